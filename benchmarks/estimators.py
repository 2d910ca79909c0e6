"""scratchgrad's MLPClassifier / MLPRegressor against scikit-learn's, same settings.

    pip install -e ".[bench]" && python -m benchmarks.estimators [--repeats 3] [--precision float32]

Default settings on both sides (hidden_layer_sizes=(100,), adam, batch_size='auto',
max_iter=200, tol-based stopping), the same standardised data, in one process, taking
turns, at equal precision: float32 data for scikit-learn (which then trains in float32)
against scratchgrad's dtype='float32', and float64 against dtype='float64'. One BLAS thread,
the process on one core (see one_core.py). Prints median fit time, iterations run, time per iteration, test
score, and the ratios.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

from benchmarks import one_core  # first: one thread each, set before NumPy loads

# isort: split
from sklearn import neural_network  # noqa: E402
from sklearn.datasets import load_digits, make_classification, make_regression  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from scratchgrad import estimators  # noqa: E402


def datasets(dtype=None):
    X, y = load_digits(return_X_y=True)
    yield "digits", "classifier", X, y
    X, y = make_classification(n_samples=20000, n_features=50, n_informative=30, n_classes=5,
                               random_state=0)
    yield "classification 20000x50", "classifier", X, y
    X, y = make_regression(n_samples=20000, n_features=50, noise=10, random_state=0)
    yield "regression 20000x50", "regressor", X, y / y.std()


def split(X, y, kind, dtype):
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.2, random_state=0, stratify=y if kind == "classifier" else None)
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train).astype(dtype), scaler.transform(X_test).astype(dtype), y_train, y_test


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--precision", choices=["float32", "float64", "both"], default="both")
    args = parser.parse_args(argv)
    with one_core.pinned():
        for precision in (("float32", "float64") if args.precision == "both" else (args.precision,)):
            compare(precision, args.repeats)


def compare(dtype, repeats):
    settings = {"dtype": dtype}
    print(f"\n{dtype} on both sides, default settings, median of {repeats} (seeds 0..)")
    print(f"{'data':24} {'library':12} {'fit s':>7} {'iters':>6} {'ms/iter':>8} {'score':>7}")
    for name, kind, X, y in datasets(dtype):
        X_train, X_test, y_train, y_test = split(X, y, kind, dtype)
        classes = {"scratchgrad": getattr(estimators, f"MLP{kind.title()}"),
                   "scikit-learn": getattr(neural_network, f"MLP{kind.title()}")}
        results = {library: [] for library in classes}
        for repeat in range(repeats):
            order = list(classes) if repeat % 2 == 0 else list(reversed(classes))
            for library in order:
                model = classes[library](random_state=repeat, **(settings if library == "scratchgrad" else {}))
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    start = time.perf_counter()
                    model.fit(X_train, y_train)
                    seconds = time.perf_counter() - start
                results[library].append((seconds, model.n_iter_, model.score(X_test, y_test)))
        medians = {}
        for library, runs in results.items():
            seconds, iterations, score = (statistics.median(column) for column in zip(*runs))
            per_iteration = statistics.median(s / n for s, n, _ in runs)
            medians[library] = (seconds, per_iteration, score)
            print(f"{name:24} {library:12} {seconds:7.2f} {iterations:6.0f} {per_iteration * 1e3:8.1f} "
                  f"{score:7.4f}")
        ours, theirs = medians["scratchgrad"], medians["scikit-learn"]
        print(f"{'':24} {'ratio':12} {ours[0] / theirs[0]:7.2f} {'':6} {ours[1] / theirs[1]:8.2f} "
              f"{ours[2] - theirs[2]:+7.4f}")


if __name__ == "__main__":
    main()
