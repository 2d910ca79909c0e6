"""Evaluation reports, thin over `sklearn.metrics` (the numbers are scikit-learn's)."""

from __future__ import annotations

import numpy as np


def _sklearn_metrics():
    try:
        from sklearn import metrics
    except ImportError:
        raise ImportError("scratchgrad.metrics needs scikit-learn: pip install 'scratchgrad[sklearn]'") \
            from None
    return metrics


def _pair(y_true, y_pred):
    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if y_true.shape[0] != y_pred.shape[0]:
        raise ValueError(f"y_true has {y_true.shape[0]} samples but y_pred has {y_pred.shape[0]}")
    if y_true.shape[0] == 0:
        raise ValueError("y_true and y_pred are empty")
    return y_true, y_pred


def _plain(label):
    """A label as a JSON-friendly key or value."""
    return label.item() if isinstance(label, np.generic) else label


def classification_report(y_true, y_pred, labels=None) -> dict:
    """Seed 001's report: weighted `overall` precision / recall / f1 / num_samples, and the
    same for each class under `class`; plain floats, ready for `json.dumps`."""
    metrics = _sklearn_metrics()
    y_true, y_pred = _pair(y_true, y_pred)
    if labels is None:
        labels = np.unique(np.concatenate([y_true, y_pred]))
    overall = metrics.precision_recall_fscore_support(y_true, y_pred, labels=labels, average="weighted",
                                                      zero_division=0)
    per_class = metrics.precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    report = {"overall": {"precision": float(overall[0]), "recall": float(overall[1]),
                          "f1": float(overall[2]), "num_samples": float(len(y_true))},
              "class": {}}
    for i, label in enumerate(labels):
        report["class"][str(_plain(label))] = {
            "precision": float(per_class[0][i]), "recall": float(per_class[1][i]),
            "f1": float(per_class[2][i]), "num_samples": float(per_class[3][i])}
    return report


def confusion_matrix(y_true, y_pred, labels=None) -> np.ndarray:
    """Counts: row = true class, column = predicted class (in `labels` order)."""
    y_true, y_pred = _pair(y_true, y_pred)
    return _sklearn_metrics().confusion_matrix(y_true, y_pred, labels=labels)


def accuracy(y_true, y_pred) -> float:
    y_true, y_pred = _pair(y_true, y_pred)
    return float(_sklearn_metrics().accuracy_score(y_true, y_pred))


def mean_squared_error(y_true, y_pred) -> float:
    y_true, y_pred = _pair(y_true, y_pred)
    return float(_sklearn_metrics().mean_squared_error(y_true, y_pred))


def r2(y_true, y_pred) -> float:
    y_true, y_pred = _pair(y_true, y_pred)
    return float(_sklearn_metrics().r2_score(y_true, y_pred))


def regression_report(y_true, y_pred) -> dict:
    """MSE, RMSE, MAE and R² with the number of samples, as plain floats."""
    metrics = _sklearn_metrics()
    y_true, y_pred = _pair(y_true, y_pred)
    mse = float(metrics.mean_squared_error(y_true, y_pred))
    return {"mse": mse, "rmse": mse ** 0.5, "mae": float(metrics.mean_absolute_error(y_true, y_pred)),
            "r2": float(metrics.r2_score(y_true, y_pred)), "num_samples": float(len(y_true))}
