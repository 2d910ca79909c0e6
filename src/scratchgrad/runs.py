"""Run folders: train a model from a table, and keep with it everything needed to use it.

A run folder holds `model.safetensors` (the network, with the feature names, the scaler
and the class names as metadata), `metrics.json`, `history.csv`, plots and `command.txt`.
It is written whole in a hidden temporary folder and renamed into place at the end, so a
failure leaves no half run behind.
"""

from __future__ import annotations

import csv
import json
import shutil
import time
from pathlib import Path

import numpy as np

from . import functional as F
from . import io, metrics, nn, optim
from .datasets import CSVError, load_csv
from .graph import no_grad
from .tensor import Tensor
from .train import EarlyStopping, fit

MODEL_FILE = "model.safetensors"


class RunError(Exception):
    """A problem with a run or its data, said in one line."""


class Preprocessing:
    """Feature standardisation and target encoding, stored as JSON beside the model."""

    def __init__(self, task, feature_names, target, mean, scale, classes=None, y_mean=0.0, y_scale=1.0):
        self.task, self.feature_names, self.target = task, list(feature_names), target
        self.mean, self.scale = np.asarray(mean, dtype=float), np.asarray(scale, dtype=float)
        self.classes = None if classes is None else np.asarray(classes)
        self.y_mean, self.y_scale = float(y_mean), float(y_scale)

    @classmethod
    def fit(cls, task, feature_names, target, X, y):
        from sklearn.preprocessing import LabelEncoder, StandardScaler

        scaler = StandardScaler().fit(X)
        if task == "classify":
            classes = LabelEncoder().fit(y).classes_
            return cls(task, feature_names, target, scaler.mean_, scaler.scale_, classes=classes)
        y = y.astype(float)
        return cls(task, feature_names, target, scaler.mean_, scaler.scale_, y_mean=y.mean(),
                   y_scale=y.std() or 1.0)

    def features(self, X):
        return (X - self.mean) / self.scale

    def encode(self, y):
        if self.task == "regress":
            return (np.asarray(y, dtype=float) - self.y_mean) / self.y_scale
        y = np.asarray(y)
        if self.classes.dtype.kind in "iu" and y.dtype.kind not in "iu":
            raise RunError(f"the target has labels {sorted(set(y.tolist()))[:5]}, the model knows "
                               f"integer classes {self.classes.tolist()}")
        unseen = sorted(set(y.tolist()) - set(self.classes.tolist()))
        if unseen:
            raise RunError(f"label(s) {unseen} were not seen in training; the model knows "
                               f"{self.classes.tolist()}")
        return np.searchsorted(self.classes, y)

    def decode(self, outputs):
        if self.task == "regress":
            return outputs.ravel() * self.y_scale + self.y_mean
        return self.classes[outputs.argmax(axis=1)]

    def to_json(self):
        return {"task": self.task, "feature_names": self.feature_names, "target": self.target,
                "scaler": {"mean": self.mean.tolist(), "scale": self.scale.tolist()},
                "classes": None if self.classes is None else self.classes.tolist(),
                "y_mean": self.y_mean, "y_scale": self.y_scale}

    @classmethod
    def from_json(cls, data):
        return cls(data["task"], data["feature_names"], data["target"], data["scaler"]["mean"],
                   data["scaler"]["scale"], data["classes"], data["y_mean"], data["y_scale"])


def train_run(X, y, feature_names, target, task, hidden, activation, epochs, batch_size, lr, optimizer_name,
              validation_split, early_stopping, seed, verbose=1, X_test=None, y_test=None):
    """Fit an MLP; returns (model, preprocessing, history, report, (y_true, y_pred) it was scored on).

    A `validation_split` fraction is held out (stratified for classification) for the
    validation curves and early stopping; the report scores the test data if given, else
    that validation data, else the training data.
    """
    from sklearn.model_selection import train_test_split


    X_val = y_val = None
    if validation_split:
        stratify = y if task == "classify" and min(np.unique(y, return_counts=True)[1]) > 1 else None
        X, X_val, y, y_val = train_test_split(X, y, test_size=validation_split, random_state=seed,
                                              stratify=stratify)
    prep = Preprocessing.fit(task, feature_names, target, X, y)
    n_out = len(prep.classes) if task == "classify" else 1
    if task == "classify" and n_out < 2:
        raise RunError(f"the target {target!r} has a single class; classification needs two or more")
    model = nn.MLP(X.shape[1], hidden, n_out, activation=activation, seed=seed)
    optimizer = optim.Adam(model.parameters(), lr=lr) if optimizer_name == "adam" else \
        optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    callbacks = [EarlyStopping(patience=10, restore_best_weights=True)] if early_stopping else []
    validation = None if X_val is None else (prep.features(X_val), prep.encode(y_val))
    history = fit(model, prep.features(X), prep.encode(y), loss="cross_entropy" if task == "classify" else "mse",
                  optimizer=optimizer, epochs=epochs, batch_size=batch_size, validation_data=validation,
                  callbacks=callbacks, verbose=verbose, seed=seed)
    if X_test is not None:
        X_eval, y_eval, where = X_test, y_test, f"{len(X_test)} held-out test samples"
    elif X_val is not None:
        X_eval, y_eval, where = X_val, y_val, f"{len(X_val)} validation samples"
    else:
        X_eval, y_eval, where = X, y, "the training data"
    predictions = predict_with(model, prep, X_eval)
    report = evaluation_report(prep, y_eval, predictions)
    report["evaluated_on"] = where
    return model, prep, history, report, (y_eval, predictions)


def predict_with(model, prep, X, proba=False):

    model.eval()
    with no_grad():
        outputs = model(Tensor(prep.features(X))).data
    if proba:
        return F.softmax(Tensor(outputs, dtype=np.float64)).data
    return prep.decode(outputs)


def evaluation_report(prep, y_true, y_pred):

    if prep.task == "classify":
        return {"accuracy": metrics.accuracy(y_true, y_pred), **metrics.classification_report(y_true, y_pred)}
    return metrics.regression_report(np.asarray(y_true, dtype=float), y_pred)


def write_folder(folder, fill):
    """Create `folder` whole or not at all: `fill(path)` writes into a hidden temporary folder,
    which is renamed to `folder` once everything is there. Returns `(folder, what fill returned)`."""
    folder = Path(folder)
    if folder.exists():
        raise RunError(f"{folder} already exists; choose another --out")
    folder.parent.mkdir(parents=True, exist_ok=True)
    partial = folder.with_name(f".{folder.name}.partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir()
    try:
        result = fill(partial)
        partial.rename(folder)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return folder, result


def write_run(folder, model, prep, history, report, evaluation, command, plots_2d=None):
    """A run folder: the model with its preprocessing, metrics, history, plots, the command."""

    def fill(path):
        io.save(model, path / MODEL_FILE, metadata={"preprocessing": prep.to_json()})
        (path / "metrics.json").write_text(json.dumps(report, indent=2) + "\n")
        write_history_csv(path / "history.csv", history)
        (path / "command.txt").write_text(command + "\n")
        return write_plots(path, model, prep, history, evaluation, plots_2d)

    return write_folder(folder, fill)


def write_history_csv(path, history, first_column="epoch"):
    columns = list(history.history)
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow([first_column, *columns])
        for i, epoch in enumerate(history.epoch):
            writer.writerow([epoch + 1, *(f"{history.history[c][i]:.6g}" for c in columns)])


def write_plots(folder, model, prep, history, evaluation, plots_2d):
    try:
        from .viz import plots
        plots._figure((1, 1))
    except ImportError:
        return "plots skipped: pip install 'scratchgrad[viz]' for them"
    plots.plot_history(history, path=folder / "training_curves.png")
    y_true, y_pred = evaluation
    if plots_2d is not None:
        X2, y2 = plots_2d

        class Scaled:  # the boundary in the data's own units
            def predict(self, X):
                return predict_with(model, prep, X)

        plots.plot_decision_boundary(Scaled(), X2, y2, path=folder / "decision_boundary.png")
    elif prep.task == "classify":
        plots.plot_confusion_matrix(y_true, y_pred, labels=prep.classes, path=folder / "confusion_matrix.png")
    else:
        plots.plot_regression(np.asarray(y_true, dtype=float), y_pred, path=folder / "predicted_vs_true.png")
    return None


def load_run(run):

    path = Path(run)
    model_path = path / MODEL_FILE if path.is_dir() else path
    if not model_path.exists():
        raise RunError(f"{run}: no run folder or model file there (expected {model_path})")
    model, extra = io.load_bundle(model_path)
    if "preprocessing" not in extra:
        raise RunError(f"{model_path}: a model without the preprocessing a run keeps; was it made by "
                           f"`scratchgrad train`?")
    return model, Preprocessing.from_json(extra["preprocessing"])


def read_features(path, prep, need_target):
    """X (and y) from a CSV, its columns checked against those the model was trained on."""

    if not Path(path).is_file():
        raise RunError(f"{path}: no such file")
    with open(path, newline="", encoding="utf-8-sig") as handle:
        header = [name.strip() for name in next(csv.reader(handle), [])]
    columns = [c for c in header if c != prep.target]
    missing = [c for c in prep.feature_names if c not in columns]
    extra = [c for c in columns if c not in prep.feature_names]
    if missing or extra:
        raise RunError(f"{path}: the columns differ from training: missing {missing or 'none'}, "
                           f"extra {extra or 'none'} (the model expects {prep.feature_names})")
    if need_target and prep.target not in header:
        raise RunError(f"{path}: no target column {prep.target!r} to evaluate against")
    try:
        X, y = load_csv(path, target=prep.target if prep.target in header else None, features=prep.feature_names)
    except CSVError as error:
        raise RunError(str(error)) from None
    if y is not None:
        prep.encode(y)  # an unseen label is an error now, not a wrong answer later
    return X, y


def run_name(prefix, out):
    """`out`, or a new folder under runs/ named after the prefix and the time."""
    if out:
        return Path(out)
    base = Path("runs") / f"{prefix}-{time.strftime('%Y%m%d-%H%M%S')}"
    folder, n = base, 1
    while folder.exists() or folder.with_name(f".{folder.name}.partial").exists():
        n += 1
        folder = base.with_name(f"{base.name}-{n}")
    return folder
