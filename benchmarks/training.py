"""Full training on digits: scratchgrad `fit` (compiled and eager) against hand-written
NumPy (plain, and with buffers and a flat Adam), JAX's `jit`, PyTorch and scikit-learn.

    pip install -e ".[bench]" && python -m benchmarks.training [--repeats 7]

Stratified 1437 / 360 split, standardised; MLP 64-128-10 ReLU, softmax cross-entropy,
Adam lr 1e-3, batch 32, 20 epochs, float32, the same initial weights and batch order for
scratchgrad, NumPy, JAX and PyTorch (scikit-learn draws its own). One thread each, the process
on one core (see one_core.py). The runs take turns in one process, in a rotated order; the table shows
medians of wall time and test accuracy, and the median of per-round ratios to scratchgrad.
JAX appears twice: its steady state (the step compiled before the clock starts, as a long
run would see it) and a run that pays for its compilation, as a short one does.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

from benchmarks import one_core  # first: one thread each, set before NumPy loads

# isort: split
import numpy as np  # noqa: E402
import torch  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from scratchgrad import Tensor, fit, nn, optim  # noqa: E402

EPOCHS, BATCH, LR = 20, 32, 1e-3


def digits():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=360, stratify=y,
                                                        random_state=0)
    scaler = StandardScaler().fit(X_train)
    return (scaler.transform(X_train).astype(np.float32), y_train,
            scaler.transform(X_test).astype(np.float32), y_test)


def batch_orders(n, seed):
    """The batch order `fit` draws with this seed (no validation split: the first draws are the epochs')."""
    rng = np.random.default_rng(seed)
    return [rng.permutation(n) for _ in range(EPOCHS)]


def run_scratchgrad(data, seed, compile="auto"):
    X, y, X_test, y_test = data
    model = nn.MLP(64, [128], 10, seed=seed)
    fit(model, X, y, optimizer=optim.Adam(model.parameters(), lr=LR), epochs=EPOCHS,
        batch_size=BATCH, verbose=0, seed=seed, compile=compile)
    model.eval()
    return float(np.mean(model(Tensor(X_test)).data.argmax(1) == y_test))


def run_scratchgrad_eager(data, seed):
    return run_scratchgrad(data, seed, compile=False)


def initial_weights(seed):
    model = nn.MLP(64, [128], 10, seed=seed)
    return [p.data.copy() for p in model.parameters()]


def run_numpy(data, seed):
    """Seed 001's network and gradients by hand, with Adam written out."""
    X, y, X_test, y_test = data
    params = initial_weights(seed)
    means = [np.zeros_like(p) for p in params]
    squares = [np.zeros_like(p) for p in params]
    b1, b2, eps, t = 0.9, 0.999, 1e-8, 0
    for order in batch_orders(len(X), seed):
        for start in range(0, len(X), BATCH):
            index = order[start:start + BATCH]
            xb, yb = X[index], y[index]
            W1, b1_, W2, b2_ = params
            h = np.maximum(xb @ W1 + b1_, 0)
            logits = h @ W2 + b2_
            probs = np.exp(logits - logits.max(axis=1, keepdims=True))
            probs /= probs.sum(axis=1, keepdims=True)
            probs[np.arange(len(yb)), yb] -= 1
            d_logits = probs / len(yb)
            d_h = (d_logits @ W2.T) * (h > 0)
            grads = [xb.T @ d_h, d_h.sum(0), h.T @ d_logits, d_logits.sum(0)]
            t += 1
            for p, g, m, v in zip(params, grads, means, squares):
                m *= b1
                m += (1 - b1) * g
                v *= b2
                v += (1 - b2) * g * g
                p -= (LR / (1 - b1**t)) * m / (np.sqrt(v / (1 - b2**t)) + eps)
    W1, b1_, W2, b2_ = params
    return float(np.mean((np.maximum(X_test @ W1 + b1_, 0) @ W2 + b2_).argmax(1) == y_test))


def run_numpy_fast(data, seed):
    """What a careful engineer writes: buffers allocated once, `out=` everywhere, and Adam run
    once over one flat buffer holding every parameter (the gradients written straight into it)."""
    X, y, X_test, y_test = data
    initial = initial_weights(seed)
    flat = np.concatenate([p.ravel() for p in initial])
    grad, mean, square, step = (np.zeros_like(flat) for _ in range(4))
    views = []
    start = 0
    for p in initial:
        views.append((flat[start:start + p.size].reshape(p.shape), grad[start:start + p.size].reshape(p.shape)))
        start += p.size
    (W1, dW1), (b1, db1), (W2, dW2), (b2, db2) = views
    buffers = {}
    beta1, beta2, eps, t = 0.9, 0.999, 1e-8, 0

    def buffers_for(n):
        if n not in buffers:
            buffers[n] = (np.empty((n, 128), np.float32), np.empty((n, 128), bool), np.empty((n, 10), np.float32),
                          np.empty((n, 1), np.float32), np.empty((n, 128), np.float32), np.arange(n))
        return buffers[n]

    for order in batch_orders(len(X), seed):
        for start in range(0, len(X), BATCH):
            index = order[start:start + BATCH]
            xb, yb = X[index], y[index]
            h, mask, logits, row, d_h, rows = buffers_for(len(yb))
            np.matmul(xb, W1, out=h)
            h += b1
            np.greater(h, 0, out=mask)
            np.maximum(h, 0, out=h)
            np.matmul(h, W2, out=logits)
            logits += b2
            np.max(logits, axis=1, keepdims=True, out=row)
            logits -= row
            np.exp(logits, out=logits)
            np.sum(logits, axis=1, keepdims=True, out=row)
            logits /= row
            logits[rows, yb] -= 1
            logits *= np.float32(1 / len(yb))
            np.matmul(h.T, logits, out=dW2)
            np.sum(logits, axis=0, out=db2)
            np.matmul(logits, W2.T, out=d_h)
            d_h *= mask
            np.matmul(xb.T, d_h, out=dW1)
            np.sum(d_h, axis=0, out=db1)
            t += 1
            np.subtract(grad, mean, out=step)
            step *= 1 - beta1
            mean += step
            np.multiply(grad, grad, out=step)
            step -= square
            step *= 1 - beta2
            square += step
            c = np.sqrt(1 - beta2**t)  # the bias corrections folded into two numbers: one pass fewer
            np.sqrt(square, out=step)
            step += eps * c
            np.divide(mean, step, out=step)
            step *= LR * c / (1 - beta1**t)
            flat -= step
    return float(np.mean((np.maximum(X_test @ W1 + b1, 0) @ W2 + b2).argmax(1) == y_test))


def _jax_training(data, seed):
    """A fresh `jax.jit` Adam step (so it compiles anew), and a function running the 20 epochs."""
    import jax
    import jax.numpy as jnp

    one_core.jax_synchronous()
    X, y, X_test, y_test = data
    params = [jnp.asarray(p) for p in initial_weights(seed)]

    def loss_fn(params, xb, yb):
        W1, b1, W2, b2 = params
        logits = jax.nn.relu(xb @ W1 + b1) @ W2 + b2
        return -jnp.mean(jax.nn.log_softmax(logits)[jnp.arange(yb.shape[0]), yb])

    def adam_step(params, means, squares, t, xb, yb):
        grads = jax.grad(loss_fn)(params, xb, yb)
        means = [0.9 * m + 0.1 * g for m, g in zip(means, grads)]
        squares = [0.999 * v + 0.001 * g * g for v, g in zip(squares, grads)]
        params = [p - (LR / (1 - 0.9**t)) * m / (jnp.sqrt(v / (1 - 0.999**t)) + 1e-8)
                  for p, m, v in zip(params, means, squares)]
        return params, means, squares

    step = jax.jit(adam_step)
    batches = [[(X[order[s:s + BATCH]], y[order[s:s + BATCH]]) for s in range(0, len(X), BATCH)]
               for order in batch_orders(len(X), seed)]

    def train():
        p, means, squares = params, [jnp.zeros_like(q) for q in params], [jnp.zeros_like(q) for q in params]
        t = 0
        for epoch in batches:
            for xb, yb in epoch:
                t += 1
                p, means, squares = step(p, means, squares, float(t), xb, yb)
        jax.block_until_ready(p)
        W1, b1, W2, b2 = (np.asarray(q) for q in p)
        return float(np.mean((np.maximum(X_test @ W1 + b1, 0) @ W2 + b2).argmax(1) == y_test))

    def compile_both_shapes():  # the full batches and the ragged last one
        for xb, yb in (batches[0][0], batches[0][-1]):
            jax.block_until_ready(step(params, params, params, 1.0, xb, yb))

    return train, compile_both_shapes


def run_jax_compiling(data, seed):
    train, _ = _jax_training(data, seed)
    return train()


def run_torch(data, seed):
    X, y, X_test, y_test = data
    W1, b1, W2, b2 = initial_weights(seed)
    model = torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 10))
    with torch.no_grad():
        for layer, (W, b) in ((model[0], (W1, b1)), (model[2], (W2, b2))):
            layer.weight.copy_(torch.from_numpy(W.T))
            layer.bias.copy_(torch.from_numpy(b))
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    Xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    for order in batch_orders(len(X), seed):
        order = torch.from_numpy(order)
        for start in range(0, len(X), BATCH):
            index = order[start:start + BATCH]
            loss = torch.nn.functional.cross_entropy(model(Xt[index]), yt[index])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    with torch.no_grad():
        return float((model(torch.from_numpy(X_test)).argmax(1).numpy() == y_test).mean())


def run_sklearn(data, seed):
    X, y, X_test, y_test = data
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = MLPClassifier(hidden_layer_sizes=(128,), batch_size=BATCH, max_iter=EPOCHS,
                              learning_rate_init=LR, random_state=seed).fit(X, y)
    return model.score(X_test, y_test)


def run_sklearn_float64(data, seed):
    X, y, X_test, y_test = data
    return run_sklearn((X.astype(np.float64), y, X_test.astype(np.float64), y_test), seed)


RUNNERS = {"scratchgrad": run_scratchgrad, "scratchgrad eager": run_scratchgrad_eager, "numpy fast": run_numpy_fast,
           "numpy plain": run_numpy, "jax jit, steady": None, "jax jit, compile included": run_jax_compiling,
           "torch": run_torch, "sklearn float32": run_sklearn, "sklearn float64": run_sklearn_float64}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    # One thread is PyTorch's fastest setting for a model this small, and leaves no OpenMP
    # threads spinning to slow down whichever library runs next.
    torch.set_num_threads(1)
    data = digits()
    names = [name for name in RUNNERS if not name.startswith("jax") or _has_jax()]
    times = {name: [] for name in names}
    accuracy = {name: [] for name in names}
    with one_core.pinned():
        for repeat in range(args.repeats):
            for name in names[repeat % len(names):] + names[:repeat % len(names)]:
                if name == "jax jit, steady":
                    train, compile_first = _jax_training(data, repeat)
                    compile_first()
                    start = time.perf_counter()
                    accuracy[name].append(train())
                else:
                    start = time.perf_counter()
                    accuracy[name].append(RUNNERS[name](data, seed=repeat))
                times[name].append(time.perf_counter() - start)
    print(f"digits, MLP 64-128-10, Adam, batch {BATCH}, {EPOCHS} epochs, float32 unless said; "
          f"medians of {args.repeats} rounds")
    print(f"{'':26} {'seconds':>8} {'accuracy':>9} {'time / scratchgrad':>19}")
    for name in names:
        ratio = statistics.median(a / b for a, b in zip(times[name], times["scratchgrad"]))
        print(f"{name:26} {statistics.median(times[name]):8.3f} {statistics.median(accuracy[name]):9.3f} "
              f"{ratio:19.2f}")


def _has_jax():
    try:
        import jax  # noqa: F401
    except ImportError:
        print("(jax: not installed, left out; pip install -e '.[bench]')")
        return False
    return True


if __name__ == "__main__":
    main()
