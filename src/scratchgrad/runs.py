"""Run folders: train a network on a table, and keep with it everything needed to use it.

A run folder holds `model.safetensors` (the network, with the column roles, the fitted
preprocessing and the class names as JSON metadata, never a pickle), `metrics.json` (scores
on the held-out test split, the size of every split, cross-validation), `summary.txt`,
`history.csv`, plots and `command.txt`. It is written whole in a private temporary folder
and renamed into place at the end: a failure leaves no half run behind, and two runs aiming
at the same folder never write into each other.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from . import functional as F
from . import io, metrics, nn, optim
from .errors import ScratchgradError
from .graph import no_grad
from .tables import TableError
from .tables.model import TableModel
from .tables.roles import ColumnRoles, target_labels
from .tables.splits import folds, split_rows
from .tensor import Tensor
from .train import EarlyStopping, fit

MODEL_FILE = "model.safetensors"


class RunError(ScratchgradError, ValueError):
    """A problem with a run or its data, said in one line."""


@dataclass
class TrainSettings:
    hidden: list = field(default_factory=lambda: [64])
    activation: str = "relu"
    epochs: int = 100
    batch_size: int = 32
    lr: float = 1e-3
    optimizer: str = "adam"
    test_split: float = 0.2
    validation_split: float = 0.1
    early_stopping: bool = True
    patience: int = 10
    cv: int = 0
    seed: int = 0
    verbose: int = 1


# ---- training ----


def _network_outputs(network, features):
    network.eval()
    dtype = network.parameters()[0].data.dtype
    with no_grad():
        return network(Tensor(features.astype(dtype, copy=False))).data


def predict_with(network, table_model, frame, proba=False):
    """Predictions (or class probabilities, float64) for the rows of `frame`."""
    outputs = _network_outputs(network, table_model.features(frame))
    if proba:
        return F.softmax(Tensor(outputs.astype(np.float64))).data
    return table_model.decode(outputs)


def evaluation_report(task, y_true, y_pred):
    if task == "classify":
        return {"accuracy": metrics.accuracy(y_true, y_pred), **metrics.classification_report(y_true, y_pred)}
    return metrics.regression_report(np.asarray(y_true, dtype=float), np.asarray(y_pred, dtype=float))


def _train_once(frame, y, roles, settings, seed, verbose, log=print):
    """Fit the preprocessing and a network on these rows (a validation part of them for early
    stopping only); returns (network, table model, history, rows trained on, validation rows)."""
    classify = roles.task == "classify"
    fit_rows, validation_rows = np.arange(len(y)), np.array([], dtype=np.int64)
    if settings.validation_split:
        try:
            fit_rows, validation_rows = split_rows(y, settings.validation_split, classify, seed + 1, "validation")
        except TableError:
            log(f"{len(y)} training rows are too few for a validation split: training without early stopping")
    table_model = TableModel.fit(frame.iloc[fit_rows], y[fit_rows], roles)
    if classify and len(np.unique(y[fit_rows])) < 2:
        raise RunError("the training rows hold a single class; classification needs two or more")
    X = table_model.features(frame.iloc[fit_rows])
    network = nn.MLP(X.shape[1], list(settings.hidden), table_model.n_outputs, activation=settings.activation,
                     seed=seed)
    optimizer = optim.Adam(network.parameters(), lr=settings.lr) if settings.optimizer == "adam" else \
        optim.SGD(network.parameters(), lr=settings.lr, momentum=0.9)
    validation, callbacks = None, []
    if len(validation_rows):
        validation = (table_model.features(frame.iloc[validation_rows]), table_model.encode(y[validation_rows]))
        if settings.early_stopping:
            callbacks = [EarlyStopping(patience=settings.patience, restore_best_weights=True)]
    history = fit(network, X, table_model.encode(y[fit_rows]), loss="cross_entropy" if classify else "mse",
                  optimizer=optimizer, epochs=settings.epochs, batch_size=settings.batch_size,
                  validation_data=validation, callbacks=callbacks, verbose=verbose, seed=seed)
    return network, table_model, history, len(fit_rows), len(validation_rows)


def _score(task, report):
    return report["accuracy"] if task == "classify" else report["r2"]


def cross_validate(frame, y, roles, settings, log=print):
    """K-fold scores of the whole procedure (preprocessing fitted inside each fold)."""
    scores = []
    for i, (train, test) in enumerate(folds(y, settings.cv, roles.task == "classify", settings.seed)):
        network, table_model, _, _, _ = _train_once(frame.iloc[train], y[train], roles, settings,
                                                    settings.seed + 10 * (i + 1), verbose=0, log=lambda _: None)
        predictions = predict_with(network, table_model, frame.iloc[test])
        scores.append(_score(roles.task, evaluation_report(roles.task, y[test], predictions)))
        log(f"  fold {i + 1}/{settings.cv}: {'accuracy' if roles.task == 'classify' else 'r2'} {scores[-1]:.4f} "
            f"on {len(test)} rows")
    return {"metric": "accuracy" if roles.task == "classify" else "r2", "folds": settings.cv, "scores": scores,
            "mean": float(np.mean(scores)), "std": float(np.std(scores))}


@dataclass
class TrainedRun:
    network: object
    table_model: TableModel
    history: object
    report: dict
    evaluation: tuple      # (y_true, y_pred) of the split the report describes
    splits: dict


def train_table(frame, roles: ColumnRoles, settings: TrainSettings, log=print) -> TrainedRun:
    """Split the rows (test, validation, training), fit, and score on the test split."""
    used = frame[frame[roles.target].notna()].reset_index(drop=True)
    y = target_labels(used[roles.target], roles.task).to_numpy()
    classify = roles.task == "classify"
    rows = np.arange(len(y))
    test_rows = np.array([], dtype=np.int64)
    if settings.test_split:
        rows, test_rows = split_rows(y, settings.test_split, classify, settings.seed, "test")
    cv = None
    if settings.cv:
        log(f"cross-validating ({settings.cv} folds on the {len(rows)} rows outside the test split)")
        cv = cross_validate(used.iloc[rows].reset_index(drop=True), y[rows], roles, settings, log)
        log(f"  {cv['metric']} {cv['mean']:.4f} ± {cv['std']:.4f} over {cv['folds']} folds")
    network, table_model, history, n_fit, n_validation = _train_once(
        used.iloc[rows].reset_index(drop=True), y[rows], roles, settings, settings.seed, settings.verbose, log)
    splits = {"train": n_fit, "validation": n_validation, "test": len(test_rows)}
    if len(test_rows):
        scored, where = test_rows, f"the test split ({len(test_rows)} rows never seen in training)"
    else:
        scored, where = rows, f"the training data ({len(rows)} rows; no test split, so this score is optimistic)"
    predictions = predict_with(network, table_model, used.iloc[scored])
    report = evaluation_report(roles.task, y[scored], predictions)
    report["evaluated_on"] = where
    report["split"] = "test" if len(test_rows) else "train"
    report["rows"] = splits
    if roles.rows_without_target:
        report["rows_without_target"] = roles.rows_without_target
    if cv:
        report["cross_validation"] = cv
    return TrainedRun(network, table_model, history, report, (y[scored], predictions), splits)


# ---- run folders ----


def check_output_folder(folder):
    """Fail now, not after training, if `folder` cannot become a new run folder."""
    folder = Path(folder)
    if folder.exists():
        raise RunError(f"{folder} already exists; runs are never overwritten: choose another --out")
    parent = folder.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise RunError(f"cannot create {folder}: {parent} is a file, not a folder")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise RunError(f"cannot create {folder}: no permission to write in {parent}")
    return folder


def write_folder(folder, fill):
    """Create `folder` whole or not at all: `fill(path)` writes into a private temporary folder,
    renamed to `folder` once everything is there. If another process took `folder` meanwhile,
    the result goes to a fresh name beside it rather than being lost.
    Returns `(folder, what fill returned)`."""
    folder = Path(folder)  # checked before training (check_output_folder); taken since? see below
    folder.parent.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", suffix=".partial", dir=folder.parent))
    umask = os.umask(0o22)
    os.umask(umask)
    os.chmod(partial, 0o777 & ~umask)  # mkdtemp makes it private; a run folder is an ordinary folder
    try:
        result = fill(partial)
        target = folder
        for n in range(2, 1000):
            try:
                os.rename(partial, target)  # atomic; refuses a non-empty existing folder
                break
            except OSError:
                if not target.exists():
                    raise
                target = folder.with_name(f"{folder.name}-{n}")
        if target != folder:
            result = (result + "\n" if result else "") + f"{folder} appeared while training; this run is in {target}"
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return target, result


def write_run(folder, run: TrainedRun, command, summary="", plots_2d=None):
    """A run folder: the model with its preprocessing, metrics, history, plots, the command."""

    def fill(path):
        io.save(run.network, path / MODEL_FILE, metadata={"table": run.table_model.to_json()})
        (path / "metrics.json").write_text(json.dumps(run.report, indent=2, default=_plain) + "\n")
        write_history_csv(path / "history.csv", run.history)
        (path / "command.txt").write_text(command + "\n")
        if summary:
            (path / "summary.txt").write_text(summary + "\n")
        return write_plots(path, run, plots_2d)

    return write_folder(folder, fill)


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    raise TypeError(f"{type(value).__name__} is not JSON")


def write_history_csv(path, history, first_column="epoch"):
    columns = list(history.history)
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([first_column, *columns])
        for i, epoch in enumerate(history.epoch):
            writer.writerow([epoch + 1, *(f"{history.history[c][i]:.6g}" for c in columns)])


def write_plots(folder, run, plots_2d):
    try:
        import matplotlib  # noqa: F401

        from .viz import plots
    except ImportError:
        return "plots skipped: pip install 'scratchgrad[viz]' for them"
    splits = run.splits
    figure = plots.plot_history(run.history)
    figure.suptitle(f"training ({splits['train']} rows)" + (f" and validation ({splits['validation']} rows, "
                                                              f"for early stopping)" if splits["validation"] else ""))
    _save(figure, folder / "training_curves.png")
    y_true, y_pred = run.evaluation
    which = f"{run.report['split']} split ({len(y_true)} rows)"
    if plots_2d is not None:
        frame, labels = plots_2d

        class Predictor:  # the boundary in the data's own units
            def predict(self, X):
                return predict_with(run.network, run.table_model, _frame_like(frame, X))

        figure = plots.plot_decision_boundary(Predictor(), frame.to_numpy(dtype=float), labels,
                                              feature_names=list(frame.columns),
                                              title=f"Decision boundary, {which}")
        _save(figure, folder / "decision_boundary.png")
    elif run.table_model.task == "classify":
        figure = plots.plot_confusion_matrix(y_true, y_pred, labels=run.table_model.classes)
        figure.axes[0].set_title(f"Confusion matrix, {which}")
        _save(figure, folder / "confusion_matrix.png")
    else:
        figure = plots.plot_regression(np.asarray(y_true, dtype=float), y_pred)
        figure.axes[0].set_title(f"Predicted against true, {which}")
        _save(figure, folder / "predicted_vs_true.png")
    return None


def _frame_like(frame, X):
    import pandas as pd

    return pd.DataFrame(np.asarray(X), columns=frame.columns)


def _save(figure, path):
    figure.savefig(path, dpi=100, bbox_inches="tight")
    try:
        import matplotlib.pyplot as plt

        plt.close(figure)
    except Exception:  # figures made without pyplot need no closing
        pass


def load_run(run):
    """`(network, TableModel)` from a run folder or its model file."""
    path = Path(run)
    model_path = path / MODEL_FILE if path.is_dir() else path
    if not model_path.exists():
        raise RunError(f"{run}: no run folder or model file there (expected {model_path})")
    network, extra = io.load_bundle(model_path)
    table_model = TableModel.from_json(extra.get("table"), model_path)
    parameters = network.parameters()
    n_features, n_outputs = len(table_model.preprocessing.output_names), table_model.n_outputs
    if not parameters or parameters[0].data.shape[0] != n_features or parameters[-1].data.shape[-1] != n_outputs:
        raise RunError(f"{model_path}: the network does not fit its saved preprocessing ({n_features} features in, "
                       f"{n_outputs} outputs): the file was edited or assembled from two runs")
    return network, table_model


def run_name(prefix, out):
    """`out`, or a new folder under runs/ named after the prefix and the time."""
    if out:
        return Path(out)
    base = Path("runs") / f"{prefix}-{time.strftime('%Y%m%d-%H%M%S')}"
    folder, n = base, 1
    while folder.exists():
        n += 1
        folder = base.with_name(f"{base.name}-{n}")
    return folder
