"""One SGD training step of an MLP, side by side: scratchgrad (eager and compiled) against
hand-written NumPy (plain, and with preallocated buffers), JAX's `jit` and PyTorch eager.

    pip install -e ".[bench]" && python -m benchmarks.tensor_engine [--rounds 15] [--sweep]

One thread for every library and the process on one core (see one_core.py), float32, ReLU
hidden layers, softmax cross-entropy, plain SGD, on random data with random labels cycled through 16 batches.
Measured in steady state:
each round times a block of consecutive steps of every implementation, in a rotated
order; the figure reported is the median over rounds of the time per step, and each ratio
is the median of the per-round ratios to the fast hand-written NumPy (the limit of any
NumPy engine). `--sweep` adds the scaling sweep over batch size, width and depth.
"""

from __future__ import annotations

import argparse
import statistics
import time

from benchmarks import one_core  # first: one thread each, set before NumPy loads

# isort: split
import numpy as np  # noqa: E402

from scratchgrad import Tensor, nn, optim  # noqa: E402
from scratchgrad import functional as F  # noqa: E402
from scratchgrad.compile import compile_step  # noqa: E402

LEARNING_RATE = 0.01
BATCHES = 16
CASES = [("small", (64, 128, 10), 32), ("deep narrow", (64,) + (128,) * 6 + (10,), 32),
         ("large", (784, 512, 512, 10), 256)]


def initial_weights(sizes, rng):
    return [(rng.normal(0, np.sqrt(2 / n_in), (n_in, n_out)).astype(np.float32),
             np.zeros(n_out, dtype=np.float32)) for n_in, n_out in zip(sizes[:-1], sizes[1:])]


# ---- the implementations: each `make(weights, X, y)` returns a step function of no arguments;
# X and y are stacks of batches (batches, n, features) and (batches, n), visited in turn ----


def cycle(X, y):
    """A function returning the next (X, y) batch each call, round and round (split beforehand:
    indexing a JAX array is an operation of its own)."""
    batches = [(X[i], y[i]) for i in range(len(X))]
    state = {"i": -1}

    def next_batch():
        state["i"] = (state["i"] + 1) % len(batches)
        return batches[state["i"]]

    return next_batch


def scratchgrad_eager(weights, X, y):
    """The library as a user writes it: nn.MLP, functional.cross_entropy, optim.SGD."""
    model = _scratchgrad_model(weights)
    optimizer = optim.SGD(model.parameters(), lr=LEARNING_RATE)
    next_batch = cycle(X, y)

    def step():
        Xb, yb = next_batch()
        loss = F.cross_entropy(model(Tensor(Xb)), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    return step


def scratchgrad_compiled(weights, X, y):
    """The same model, loss and optimizer through `compile_step`."""
    model = _scratchgrad_model(weights)
    step_once = compile_step(model, "cross_entropy", optim.SGD(model.parameters(), lr=LEARNING_RATE))
    next_batch = cycle(X, y)
    return lambda: step_once(*next_batch())


def _scratchgrad_model(weights):
    sizes = [weights[0][0].shape[0]] + [W.shape[1] for W, _ in weights]
    model = nn.MLP(sizes[0], sizes[1:-1], sizes[-1])
    for layer, (W, b) in zip(model[0::2], weights):
        layer.weight.data[...] = W
        layer.bias.data[...] = b
    return model


def numpy_plain(weights, X, y):
    """Seed 001's network written out by hand for any depth: every temporary a new array."""
    Ws, bs = [W.copy() for W, _ in weights], [b.copy() for _, b in weights]
    n, rows = y.shape[1], np.arange(y.shape[1])
    next_batch = cycle(X, y)

    def step():
        X, y = next_batch()
        activations = [X]
        for i, (W, b) in enumerate(zip(Ws, bs)):
            z = activations[-1] @ W + b
            activations.append(np.maximum(z, 0) if i < len(Ws) - 1 else z)
        logits = activations[-1]
        exps = np.exp(logits - logits.max(axis=1, keepdims=True))
        grad = exps / exps.sum(axis=1, keepdims=True)
        grad[rows, y] -= 1
        grad /= n
        for i in reversed(range(len(Ws))):
            dW, db = activations[i].T @ grad, grad.sum(axis=0)
            if i:
                grad = (grad @ Ws[i].T) * (activations[i] > 0)
            Ws[i] -= LEARNING_RATE * dW
            bs[i] -= LEARNING_RATE * db

    return step


def numpy_fast(weights, X, y):
    """What a careful engineer writes: every array allocated once, every operation `out=`."""
    Ws, bs = [W.copy() for W, _ in weights], [b.copy() for _, b in weights]
    n, rows = y.shape[1], np.arange(y.shape[1])
    next_batch = cycle(X, y)
    outs = [np.empty((n, W.shape[1]), np.float32) for W in Ws]  # pre-activation, then in place
    masks = [np.empty((n, W.shape[1]), bool) for W in Ws[:-1]]
    grads = [np.empty((n, W.shape[1]), np.float32) for W in Ws]
    dWs, dbs = [np.empty_like(W) for W in Ws], [np.empty_like(b) for b in bs]
    row_max, row_sum = np.empty((n, 1), np.float32), np.empty((n, 1), np.float32)
    inv_n, lr = np.float32(1 / n), np.float32(LEARNING_RATE)

    def step():
        X, y = next_batch()
        x = X
        for i, (W, b, out) in enumerate(zip(Ws, bs, outs)):
            np.matmul(x, W, out=out)
            out += b
            if i < len(Ws) - 1:
                np.greater(out, 0, out=masks[i])
                np.maximum(out, 0, out=out)
            x = out
        logits, grad = outs[-1], grads[-1]
        np.max(logits, axis=1, keepdims=True, out=row_max)
        np.subtract(logits, row_max, out=grad)
        np.exp(grad, out=grad)
        np.sum(grad, axis=1, keepdims=True, out=row_sum)
        grad /= row_sum
        grad[rows, y] -= 1
        grad *= inv_n
        for i in reversed(range(len(Ws))):
            np.matmul(X.T if i == 0 else outs[i - 1].T, grad, out=dWs[i])
            np.sum(grad, axis=0, out=dbs[i])
            if i:
                np.matmul(grad, Ws[i].T, out=grads[i - 1])
                grads[i - 1] *= masks[i - 1]
                grad = grads[i - 1]
            dWs[i] *= lr
            Ws[i] -= dWs[i]
            dbs[i] *= lr
            bs[i] -= dbs[i]

    return step


def jax_jit(weights, X, y):
    """The whole step (forward, loss, gradients, update) as one `jax.jit` function."""
    import jax
    import jax.numpy as jnp

    one_core.jax_synchronous()
    params = [(jnp.asarray(W), jnp.asarray(b)) for W, b in weights]
    Xj, yj = jnp.asarray(X), jnp.asarray(y)

    def loss_fn(params, X, y):
        x = X
        for i, (W, b) in enumerate(params):
            x = x @ W + b
            if i < len(params) - 1:
                x = jax.nn.relu(x)
        log_probs = jax.nn.log_softmax(x)
        return -jnp.mean(log_probs[jnp.arange(y.shape[0]), y])

    @jax.jit
    def update(params, X, y):
        grads = jax.grad(loss_fn)(params, X, y)
        return [(W - LEARNING_RATE * dW, b - LEARNING_RATE * db) for (W, b), (dW, db) in zip(params, grads)]

    state = {"params": params}
    next_batch = cycle(Xj, yj)

    def step():
        state["params"] = update(state["params"], *next_batch())

    step.block = lambda: jax.block_until_ready(state["params"])
    return step


def torch_eager(weights, X, y):
    """PyTorch eager on one thread (two threads are slower at these sizes)."""
    import torch

    torch.set_num_threads(1)
    layers = []
    for i, (W, b) in enumerate(weights):
        linear = torch.nn.Linear(*W.shape)
        with torch.no_grad():
            linear.weight.copy_(torch.from_numpy(W.T))
            linear.bias.copy_(torch.from_numpy(b))
        layers += [linear] + ([torch.nn.ReLU()] if i < len(weights) - 1 else [])
    model = torch.nn.Sequential(*layers)
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)
    next_batch = cycle(torch.from_numpy(X), torch.from_numpy(y))

    def step():
        Xt, yt = next_batch()
        loss = torch.nn.functional.cross_entropy(model(Xt), yt)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    return step


IMPLEMENTATIONS = {"numpy fast": numpy_fast, "scratchgrad compiled": scratchgrad_compiled,
                   "scratchgrad eager": scratchgrad_eager, "numpy plain": numpy_plain, "jax jit": jax_jit,
                   "torch eager": torch_eager}


def available(names):
    found = []
    for name in names:
        module = {"jax jit": "jax", "torch eager": "torch"}.get(name)
        if module:
            try:
                __import__(module)
            except ImportError:
                print(f"({name}: not installed, left out; pip install -e '.[bench]')")
                continue
        found.append(name)
    return found


def measure(sizes, batch, names, rounds, seconds_per_block=0.02):
    """Median time per step and median ratio to 'numpy fast', over `rounds` rotated rounds."""
    rng = np.random.default_rng(0)
    weights = initial_weights(sizes, rng)
    X = rng.normal(size=(BATCHES, batch, sizes[0])).astype(np.float32)
    y = rng.integers(0, sizes[-1], (BATCHES, batch))
    with one_core.pinned():
        return _measure(names, {name: IMPLEMENTATIONS[name](weights, X, y) for name in names}, rounds,
                        seconds_per_block)


def _measure(names, steps, rounds, seconds_per_block):
    blocks = {}
    for name, step in steps.items():  # warm up (JAX compiles here), and size each block
        for _ in range(3):
            step()
        _finish(step)
        start = time.perf_counter()
        step()
        _finish(step)
        blocks[name] = max(1, int(seconds_per_block / max(time.perf_counter() - start, 1e-7)))
    times = {name: [] for name in names}
    for round_ in range(rounds):
        order = names[round_ % len(names):] + names[:round_ % len(names)]
        for name in order:
            step, count = steps[name], blocks[name]
            start = time.perf_counter()
            for _ in range(count):
                step()
            _finish(step)
            times[name].append((time.perf_counter() - start) / count)
    reference = times["numpy fast"]
    return {name: (statistics.median(t), statistics.median(a / b for a, b in zip(t, reference)))
            for name, t in times.items()}


def _finish(step):
    block = getattr(step, "block", None)
    if block is not None:
        block()


def print_table(rows, names):
    print(f"{'case':>26} " + " ".join(f"{name:>22}" for name in names))
    for label, result in rows:
        cells = [f"{result[name][0] * 1e6:9.0f}us {result[name][1]:5.2f}x" for name in names]
        print(f"{label:>26} " + " ".join(f"{cell:>22}" for cell in cells))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--sweep", action="store_true", help="also the batch / width / depth sweep")
    args = parser.parse_args(argv)
    names = available(list(IMPLEMENTATIONS))
    print("time per SGD step (median over rounds) and its ratio to the fast hand-written NumPy "
          "(median of per-round ratios), float32")
    rows = [(f"{label} {'-'.join(map(str, sizes)) if len(sizes) < 5 else '64-[128]x6-10'} b{batch}",
             measure(sizes, batch, names, args.rounds)) for label, sizes, batch in CASES]
    print_table(rows, names)
    if args.sweep:
        sweep_names = [n for n in names if n in ("numpy fast", "scratchgrad compiled", "scratchgrad eager",
                                                 "jax jit")]
        print("\nscaling sweep: 64-128-10 varying one thing at a time")
        rows = []
        for batch in (1, 8, 32, 128, 512, 2048):
            rows.append((f"batch {batch}", measure((64, 128, 10), batch, sweep_names, max(5, args.rounds // 3))))
        for width in (16, 64, 256, 1024):
            rows.append((f"width {width}", measure((64, width, 10), 32, sweep_names, max(5, args.rounds // 3))))
        for depth in (1, 2, 4, 8):
            rows.append((f"depth {depth}", measure((64,) + (128,) * depth + (10,), 32, sweep_names,
                                                   max(5, args.rounds // 3))))
        print_table(rows, sweep_names)


if __name__ == "__main__":
    main()
