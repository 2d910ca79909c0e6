"""`scratchgrad train`'s defaults against scikit-learn on real and messy tables.

    pip install -e ".[bench]" && python -m benchmarks.tabular [--seeds 5] [--tables iris wine ...]

Tables: every one scikit-learn ships offline (iris, wine, breast cancer, digits, diabetes;
California housing needs a download and is left out) and two generated messy customer
tables (IDs, categories, gaps; a class and an amount to predict). For each seed, one split
(20% test, stratified for classes) shared by all contenders:

    scratchgrad   the pipeline of `scratchgrad train` with its defaults (column roles,
                  imputation + indicators, one-hot, scaling; an MLP with early stopping on a
                  validation split of the training rows), trained on the training rows only
    HGB           scikit-learn's HistGradientBoosting{Classifier,Regressor}, defaults
    sklearn MLP   scikit-learn's MLP{Classifier,Regressor}, defaults (the regressor with its
                  target standardised, as ours is)

Both scikit-learn models get the same columns and the same standard preprocessing
(SimpleImputer with indicators + StandardScaler, one-hot categories). Score: accuracy for
classes, R² for amounts, on the test rows; time: fit + predict, wall clock. Prints a
Markdown table of means over the seeds.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import warnings

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn import datasets as sklearn_datasets  # noqa: E402
from sklearn.compose import TransformedTargetRegressor  # noqa: E402
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor  # noqa: E402
from sklearn.metrics import accuracy_score, r2_score  # noqa: E402
from sklearn.neural_network import MLPClassifier, MLPRegressor  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from scratchgrad.datasets import make_messy_table, read_table  # noqa: E402
from scratchgrad.runs import TrainSettings, predict_with, train_table  # noqa: E402
from scratchgrad.tables.preprocessing import raw_matrix, sklearn_column_transformer  # noqa: E402
from scratchgrad.tables.roles import infer_roles, target_labels  # noqa: E402
from scratchgrad.tables.splits import split_rows  # noqa: E402

TABLES = ["iris", "wine", "breast_cancer", "digits", "diabetes", "messy_classify", "messy_regress"]


def load(name):
    """(DataFrame, target column) for a table name."""
    if name.startswith("messy_"):
        task = name.split("_")[1]
        frame = read_table(make_messy_table(2000, task, random_state=0))
        return frame, frame.columns[-1]
    bunch = getattr(sklearn_datasets, f"load_{name}")(as_frame=True)
    frame = bunch.frame.copy()
    return frame, "target"


def scratchgrad_fit_predict(train, test, roles, seed):
    settings = TrainSettings(seed=seed, test_split=0.0, verbose=0)  # the command's defaults otherwise
    run = train_table(train, roles, settings, log=lambda _: None)
    return predict_with(run.network, run.table_model, test)


def sklearn_fit_predict(model, train, test, y_train, roles):
    pipeline = make_pipeline(sklearn_column_transformer(roles.numeric, roles.categorical), model)
    pipeline.fit(raw_matrix(train, roles.numeric, roles.categorical), y_train)
    return pipeline.predict(raw_matrix(test, roles.numeric, roles.categorical))


def contenders(task, seed):
    if task == "classify":
        return {"HGB": HistGradientBoostingClassifier(random_state=seed),
                "sklearn MLP": MLPClassifier(random_state=seed)}
    return {"HGB": HistGradientBoostingRegressor(random_state=seed),
            "sklearn MLP": TransformedTargetRegressor(MLPRegressor(random_state=seed), transformer=StandardScaler())}


def run_table(name, seeds):
    frame, target = load(name)
    task = "regress" if name in ("diabetes", "messy_regress") else "classify"
    roles = infer_roles(frame, target, task=task, where=name)
    used = frame[frame[target].notna()].reset_index(drop=True)
    y = target_labels(used[target], task).to_numpy()
    results = {}
    for seed in range(seeds):
        train_rows, test_rows = split_rows(y, 0.2, task == "classify", seed, "test")
        train, test = used.iloc[train_rows].reset_index(drop=True), used.iloc[test_rows].reset_index(drop=True)
        score = accuracy_score if task == "classify" else r2_score
        models = {"scratchgrad": None, **contenders(task, seed)}
        order = list(models)
        for label in order[seed % len(order):] + order[:seed % len(order)]:  # rotate who goes first
            start = time.perf_counter()
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                if models[label] is None:
                    predictions = scratchgrad_fit_predict(train, test, roles, seed)
                else:
                    predictions = sklearn_fit_predict(models[label], train, test, y[train_rows], roles)
            elapsed = time.perf_counter() - start
            results.setdefault(label, []).append((score(y[test_rows], predictions), elapsed))
    return task, len(used), len(roles.features), results


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5)
    parser.add_argument("--tables", nargs="+", default=TABLES, choices=TABLES)
    args = parser.parse_args(argv)
    run_table("iris", 1)  # untimed: the first run pays for imports and first calls
    print(f"mean over {args.seeds} seeds (splits 80/20); score: accuracy for classes, R² for amounts\n")
    print("| table | rows x columns | metric | scratchgrad | HGB | sklearn MLP | scratchgrad time | HGB time | "
          "sklearn MLP time | goal met |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name in args.tables:
        task, rows, columns, results = run_table(name, args.seeds)
        score = {label: statistics.mean(s for s, _ in values) for label, values in results.items()}
        spent = {label: statistics.mean(t for _, t in values) for label, values in results.items()}
        best = max(score["HGB"], score["sklearn MLP"])
        met = (score["scratchgrad"] >= best - 0.01 if task == "classify" else score["scratchgrad"] >= best) \
            and spent["scratchgrad"] < spent["sklearn MLP"]
        print(f"| {name} | {rows} x {columns} | {'accuracy' if task == 'classify' else 'R²'} | "
              f"{score['scratchgrad']:.3f} | {score['HGB']:.3f} | {score['sklearn MLP']:.3f} | "
              f"{spent['scratchgrad']:.2f} s | {spent['HGB']:.2f} s | {spent['sklearn MLP']:.2f} s | "
              f"{'yes' if met else 'no'} |", flush=True)
    print(f"\nnumpy {np.__version__}, pandas {pd.__version__}")


if __name__ == "__main__":
    main()
