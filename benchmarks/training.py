"""Full training on digits: scratchgrad `fit` against PyTorch, scikit-learn and NumPy.

    pip install -e ".[bench]" && python -m benchmarks.training [--repeats 5]

Stratified 1437 / 360 split, standardised; MLP 64-128-10 ReLU, softmax cross-entropy,
Adam lr 1e-3, batch 32, 20 epochs, float32, the same initial weights and batch order for
scratchgrad, PyTorch and hand-written NumPy (scikit-learn draws its own). The four run
in turn in one process; medians of wall time, test accuracy, and ratios.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np
import torch
from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier
from sklearn.preprocessing import StandardScaler

from scratchgrad import Tensor, fit, nn, optim

EPOCHS, BATCH, LR = 20, 32, 1e-3


def digits():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=360, stratify=y,
                                                        random_state=0)
    scaler = StandardScaler().fit(X_train)
    return (scaler.transform(X_train).astype(np.float32), y_train,
            scaler.transform(X_test).astype(np.float32), y_test)


def batch_orders(n, seed):
    rng = np.random.default_rng(seed)
    return [rng.permutation(n) for _ in range(EPOCHS)]


def run_scratchgrad(data, seed):
    X, y, X_test, y_test = data
    model = nn.MLP(64, [128], 10, seed=seed)
    fit(model, X, y, optimizer=optim.Adam(model.parameters(), lr=LR), epochs=EPOCHS,
        batch_size=BATCH, verbose=0, seed=seed)
    model.eval()
    return float(np.mean(model(Tensor(X_test)).data.argmax(1) == y_test))


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


RUNNERS = {"numpy": run_numpy, "scratchgrad": run_scratchgrad, "torch": run_torch,
           "sklearn": run_sklearn}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    # One thread is PyTorch's fastest setting for a model this small, and leaves no OpenMP
    # threads spinning to slow down whichever library runs next.
    torch.set_num_threads(1)
    data = digits()
    times = {name: [] for name in RUNNERS}
    accuracy = {name: [] for name in RUNNERS}
    names = list(RUNNERS)
    for repeat in range(args.repeats):
        for name in names[repeat % 4:] + names[:repeat % 4]:
            start = time.perf_counter()
            accuracy[name].append(RUNNERS[name](data, seed=repeat))
            times[name].append(time.perf_counter() - start)
    median = {name: statistics.median(t) for name, t in times.items()}
    print(f"digits, MLP 64-128-10, Adam, batch {BATCH}, {EPOCHS} epochs; medians of {args.repeats}")
    print(f"{'':12} {'seconds':>8} {'accuracy':>9} {'time / scratchgrad':>19}")
    for name in RUNNERS:
        print(f"{name:12} {median[name]:8.3f} {statistics.median(accuracy[name]):9.3f} "
              f"{median[name] / median['scratchgrad']:19.2f}")


if __name__ == "__main__":
    main()
