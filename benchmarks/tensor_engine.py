"""Tensor engine against PyTorch CPU and hand-written NumPy: one training step.

    pip install -e ".[bench]" && python -m benchmarks.tensor_engine [--repeats 200]

One forward, backward and plain SGD update of an MLP with ReLU hidden layers and
softmax cross-entropy, float32, at three sizes. The three implementations run in turn in
one process (PyTorch on 2 threads); each reports the median time per step over
`--repeats` rounds, and the ratios. Hand-written NumPy (seed 001's style, gradients by
hand) is the limit for any NumPy engine.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

# PyTorch's OpenMP threads spin for a while after each operation, stealing the CPU from
# whatever runs next in this process; make them sleep so the three share it fairly.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402

from scratchgrad import Tensor, nn, optim  # noqa: E402
from scratchgrad import functional as F  # noqa: E402

CASES = [((784, 512, 512, 10), 256), ((784, 512, 512, 10), 32), ((64, 128, 10), 32)]
LEARNING_RATE = 0.01


def initial_weights(sizes, rng):
    return [(rng.normal(0, np.sqrt(2 / n_in), (n_in, n_out)).astype(np.float32),
             np.zeros(n_out, dtype=np.float32)) for n_in, n_out in zip(sizes[:-1], sizes[1:])]


class ScratchgradStep:
    """The library as a user writes it: nn.MLP, functional.cross_entropy, optim.SGD."""

    def __init__(self, weights):
        sizes = [weights[0][0].shape[0]] + [W.shape[1] for W, _ in weights]
        self.model = nn.MLP(sizes[0], sizes[1:-1], sizes[-1])
        for layer, (W, b) in zip(self.model[0::2], weights):
            layer.weight.data[...] = W
            layer.bias.data[...] = b
        self.optimizer = optim.SGD(self.model.parameters(), lr=LEARNING_RATE)

    def __call__(self, X, y):
        loss = F.cross_entropy(self.model(X), y)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss


class NumpyStep:
    """Seed 001's network, written out by hand for any depth."""

    def __init__(self, weights):
        self.params = [a.copy() for pair in weights for a in pair]

    def __call__(self, X, y):
        Ws, bs = self.params[0::2], self.params[1::2]
        activations = [X]
        for i, (W, b) in enumerate(zip(Ws, bs)):
            z = activations[-1] @ W + b
            activations.append(np.maximum(z, 0) if i < len(Ws) - 1 else z)
        logits = activations[-1]
        shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
        probs = shifted / shifted.sum(axis=1, keepdims=True)
        n = len(y)
        loss = -np.log(probs[np.arange(n), y]).mean()
        grad = probs
        grad[np.arange(n), y] -= 1
        grad /= n
        for i in reversed(range(len(Ws))):
            dW, db = activations[i].T @ grad, grad.sum(axis=0)
            if i:
                grad = (grad @ Ws[i].T) * (activations[i] > 0)
            Ws[i] -= LEARNING_RATE * dW
            bs[i] -= LEARNING_RATE * db
        return loss


class TorchStep:
    def __init__(self, weights):
        layers = []
        for i, (W, b) in enumerate(weights):
            linear = torch.nn.Linear(*W.shape)
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(W.T))
                linear.bias.copy_(torch.from_numpy(b))
            layers += [linear] + ([torch.nn.ReLU()] if i < len(weights) - 1 else [])
        self.model = torch.nn.Sequential(*layers)
        self.optimizer = torch.optim.SGD(self.model.parameters(), lr=LEARNING_RATE)

    def __call__(self, X, y):
        loss = torch.nn.functional.cross_entropy(self.model(X), y)
        self.optimizer.zero_grad()
        loss.backward()
        self.optimizer.step()
        return loss


def median_step_times(steps, repeats):
    """Medians over rounds; each round starts with the next implementation in turn, since
    whichever runs just after PyTorch shares the CPU with its still-spinning threads."""
    times = {name: [] for name in steps}
    names = list(steps)
    for round_ in range(repeats):
        for name in names[round_ % len(names):] + names[:round_ % len(names)]:
            step, X, y = steps[name]
            start = time.perf_counter()
            step(X, y)
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args(argv)
    torch.set_num_threads(2)
    rng = np.random.default_rng(0)

    print(f"median time per SGD step over {args.repeats} alternating rounds, float32")
    print(f"{'MLP':>16} {'batch':>5} {'numpy':>9} {'scratchgrad':>11} {'torch':>9} "
          f"{'sg/numpy':>8} {'torch/sg':>8}")
    for sizes, batch in CASES:
        weights = initial_weights(sizes, rng)
        X = rng.normal(size=(batch, sizes[0])).astype(np.float32)
        y = rng.integers(0, sizes[-1], batch)
        steps = {
            "numpy": (NumpyStep(weights), X, y),
            "scratchgrad": (ScratchgradStep(weights), Tensor(X), y),
            "torch": (TorchStep(weights), torch.from_numpy(X), torch.from_numpy(y)),
        }
        for step, X_, y_ in steps.values():  # warm up, and check the three agree
            step(X_, y_)
        t = median_step_times(steps, args.repeats)
        print(f"{'-'.join(map(str, sizes)):>16} {batch:5d} {t['numpy'] * 1e6:7.0f}us "
              f"{t['scratchgrad'] * 1e6:9.0f}us {t['torch'] * 1e6:7.0f}us "
              f"{t['scratchgrad'] / t['numpy']:8.2f} {t['torch'] / t['scratchgrad']:8.2f}")


if __name__ == "__main__":
    main()
