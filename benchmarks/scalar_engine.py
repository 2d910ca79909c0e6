"""Scalar engine against micrograd: one full-batch SGD step of MLP(4, [16, 16, 3]) on Iris.

    pip install -e ".[bench]" && python -m benchmarks.scalar_engine [--repeats 7]

Both libraries train the same network (ReLU hidden layers, linear outputs, the same
starting weights) on the 120 standardised Iris training samples, with the mean over
samples of the squared error against one-hot targets. The libraries take turns in one
process, with the garbage collector at its defaults: each turn is a block of 3 steps in
a row, timed whole, after an untimed `gc.collect()`, so that each library pays for its
own garbage (micrograd's reference cycles included) and not for the other's. Prints
medians of the per-step time and the ratios.

What the ratio to micrograd is made of: micrograd's `_backward` closures make every node a
reference cycle, so most of its time goes to Python's cyclic garbage collector. It is timed
twice, with the collector on (as users run it) and off (the engines alone). And the same
network written by hand in plain Python floats, gradients derived by hand, is the limit for
any scalar engine.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
import tracemalloc

import micrograd.engine
import micrograd.nn
from sklearn.datasets import load_iris
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

import scratchgrad
from scratchgrad.micro import MLP

SIZES = (4, [16, 16, 3])
STEPS_PER_BLOCK = 3
LEARNING_RATE = 0.05


def iris_training_set():
    X, y = load_iris(return_X_y=True)
    X_train, _, y_train, _ = train_test_split(X, y, test_size=0.2, stratify=y, random_state=0)
    X_train = StandardScaler().fit_transform(X_train)
    onehot = [[1.0 if c == label else 0.0 for c in range(3)] for label in y_train]
    return X_train.tolist(), onehot


def make_models(seed=0):
    ours = MLP(*SIZES, activation="relu", seed=seed)
    theirs = micrograd.nn.MLP(*SIZES)
    for mine, micro in zip(ours.parameters(), theirs.parameters()):
        micro.data = mine.data
    return ours, theirs


class ChainMLP:
    """Our MLP's weights, evaluated micrograd's way: a `*` and a `+` node per weight.

    scratchgrad's Neuron computes w . x + b as one `dot` node; this builds the same graph
    shape as micrograd, so bytes per node compare like for like.
    """

    def __init__(self, model):
        self.model = model

    def __call__(self, x):
        for layer in self.model.layers:
            outputs = []
            for neuron in layer.neurons:
                act = sum((wi * xi for wi, xi in zip(neuron.w, x)), neuron.b)
                outputs.append(neuron._activate(act) if neuron._activate else act)
            x = outputs
        return x

    def zero_grad(self):
        self.model.zero_grad()

    def parameters(self):
        return self.model.parameters()


def loss_of(model, X, Y):
    total = 0.0
    for x, targets in zip(X, Y):
        outputs = model(x)
        for output, target in zip(outputs if isinstance(outputs, list) else [outputs], targets):
            total = total + (output - target) ** 2
    return total * (1.0 / len(X))


def step(model, X, Y):
    """One forward, backward and SGD update; returns the loss (keeping the graph alive)."""
    loss = loss_of(model, X, Y)
    model.zero_grad()
    loss.backward()
    for p in model.parameters():
        p.data -= LEARNING_RATE * p.grad
    return loss


class PlainPython:
    """The same network and loss, forward and backward written out by hand on Python floats."""

    def __init__(self, model):
        self.layers = [([[w.data for w in n.w] for n in layer.neurons], [n.b.data for n in layer.neurons])
                       for layer in model.layers]

    def step(self, X, Y):
        grads = [([[0.0] * len(W[0]) for _ in W], [0.0] * len(b)) for W, b in self.layers]
        total, scale = 0.0, 1.0 / len(X)
        last = len(self.layers) - 1
        for x, targets in zip(X, Y):
            inputs = [x]
            for i, (W, b) in enumerate(self.layers):
                z = [sum(w * v for w, v in zip(row, inputs[-1])) + bias for row, bias in zip(W, b)]
                inputs.append(z if i == last else [v if v > 0 else 0.0 for v in z])
            delta = [2 * (o - t) * scale for o, t in zip(inputs[-1], targets)]
            total += sum((o - t) ** 2 for o, t in zip(inputs[-1], targets)) * scale
            for i in range(last, -1, -1):
                W, _ = self.layers[i]
                gW, gb = grads[i]
                previous = inputs[i]
                for j, d in enumerate(delta):
                    gb[j] += d
                    row = gW[j]
                    for k, v in enumerate(previous):
                        row[k] += d * v
                if i:
                    delta = [sum(W[j][k] * delta[j] for j in range(len(delta))) * (1.0 if previous[k] > 0 else 0.0)
                             for k in range(len(previous))]
        for (W, b), (gW, gb) in zip(self.layers, grads):
            for row, grow in zip(W, gW):
                for k in range(len(row)):
                    row[k] -= LEARNING_RATE * grow[k]
            for j in range(len(b)):
                b[j] -= LEARNING_RATE * gb[j]
        return total


def count_nodes(root):
    seen, stack = {root}, [root]
    while stack:
        for child in stack.pop()._prev:
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return len(seen)


def bytes_per_node(model, X, Y):
    """Memory held by one step's graph (forward and backward done), per node."""
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    loss = step(model, X, Y)
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    nodes = count_nodes(loss)
    return held / nodes, nodes, held


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    args = parser.parse_args(argv)

    X, Y = iris_training_set()
    ours, theirs = make_models()
    plain = PlainPython(ours)
    models = {"scratchgrad": ours, "sg (chain)": ChainMLP(ours), "micrograd": theirs, "micrograd, gc off": theirs}
    times = {name: [] for name in [*models, "plain Python"]}
    for _ in range(args.repeats):
        for name in times:
            gc.collect()  # untimed: start from a heap with no garbage of the other library's
            if name.endswith("gc off"):
                gc.disable()
            start = time.perf_counter()
            for _ in range(STEPS_PER_BLOCK):  # steps in a row, each paying for the garbage before it
                plain.step(X, Y) if name == "plain Python" else step(models[name], X, Y)
            times[name].append((time.perf_counter() - start) / STEPS_PER_BLOCK)
            gc.enable()

    memory = {name: bytes_per_node(model, X, Y) for name, model in models.items() if name != "micrograd, gc off"}
    medians = {name: statistics.median(t) for name, t in times.items()}

    print(f"scratchgrad {scratchgrad.__version__} vs micrograd 0.1.0: one SGD step of "
          f"MLP(4, [16, 16, 3]) on {len(X)} Iris samples, median of {args.repeats} blocks of {STEPS_PER_BLOCK}")
    print(f"{'':18} {'s/step':>9} {'nodes/step':>11} {'bytes/node':>11} {'MB/step':>8}")
    for name in times:
        if name in memory:
            per_node, nodes, held = memory[name]
            print(f"{name:18} {medians[name]:9.4f} {nodes:11d} {per_node:11.0f} {held / 1e6:8.1f}")
        else:
            print(f"{name:18} {medians[name]:9.4f}")
    print("ratios to micrograd (speed-up; memory per node; memory per step):")
    for name in ("scratchgrad", "sg (chain)"):
        print(f"  {name:12} {medians['micrograd'] / medians[name]:6.1f}x faster with the collector on, "
              f"{medians['micrograd, gc off'] / medians[name]:.1f}x with it off; "
              f"{memory[name][0] / memory['micrograd'][0]:.2f}x per node; "
              f"{memory[name][2] / memory['micrograd'][2]:.2f}x per step")
    print(f"scratchgrad takes {medians['scratchgrad'] / medians['plain Python']:.1f}x the time of the same network "
          f"written by hand in plain Python")
    print("sg (chain) is scratchgrad's engine building micrograd's graph (a * and a + node "
          "per weight); scratchgrad's Neuron makes w . x + b one `dot` node.")


if __name__ == "__main__":
    main()
