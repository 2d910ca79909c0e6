"""Reports equal scikit-learn's numbers."""

import json

import numpy as np
import pytest
from sklearn import metrics as sk

from scratchgrad import metrics


@pytest.fixture
def predictions():
    rng = np.random.default_rng(0)
    y_true = rng.choice(["c1", "c2", "c3"], 200)
    y_pred = np.where(rng.random(200) < 0.7, y_true, rng.choice(["c1", "c2", "c3"], 200))
    return y_true, y_pred


def test_classification_report_matches_sklearn_and_is_json_ready(predictions):
    y_true, y_pred = predictions
    report = metrics.classification_report(y_true, y_pred)
    p, r, f, _ = sk.precision_recall_fscore_support(y_true, y_pred, average="weighted")
    assert report["overall"] == {"precision": p, "recall": r, "f1": f, "num_samples": 200.0}
    p, r, f, n = sk.precision_recall_fscore_support(y_true, y_pred, labels=["c1", "c2", "c3"])
    for i, label in enumerate(["c1", "c2", "c3"]):
        assert report["class"][label] == {"precision": p[i], "recall": r[i], "f1": f[i], "num_samples": n[i]}
    json.dumps(report)
    assert list(metrics.classification_report([0, 1, 1], [0, 1, 0])["class"]) == ["0", "1"]


def test_other_metrics_match_sklearn(predictions):
    y_true, y_pred = predictions
    np.testing.assert_array_equal(metrics.confusion_matrix(y_true, y_pred), sk.confusion_matrix(y_true, y_pred))
    assert metrics.accuracy(y_true, y_pred) == sk.accuracy_score(y_true, y_pred)
    a, b = np.random.default_rng(1).normal(size=(2, 50))
    assert metrics.mean_squared_error(a, b) == sk.mean_squared_error(a, b)
    assert metrics.r2(a, b) == sk.r2_score(a, b)
    report = metrics.regression_report(a, b)
    assert report["mae"] == sk.mean_absolute_error(a, b) and report["rmse"] == pytest.approx(
        np.sqrt(sk.mean_squared_error(a, b)))


def test_mismatched_lengths():
    with pytest.raises(ValueError, match="y_true has 3 samples but y_pred has 2"):
        metrics.accuracy([1, 2, 3], [1, 2])
