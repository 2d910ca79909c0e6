"""Estimator files: a loaded estimator trains on, and nothing in a file is trusted.

Malformed files are made by rewriting a good file's metadata or arrays with the public
`io.read_file` / `io.write_file`, so each one passes the file-level checks (format,
checksum) and reaches the estimator's own.
"""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning

from scratchgrad import io
from scratchgrad.errors import ModelFileError
from scratchgrad.estimators import MLPClassifier, MLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def data(seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(60, 4))
    y = np.array(["a", "b", "c"])[np.digitize(X[:, 0] + X[:, 1], [-0.5, 0.5])]
    return X, y


def fitted_classifier(**params):
    X, y = data()
    settings = dict(hidden_layer_sizes=(6,), max_iter=5, shuffle=False, random_state=0, dtype="float64")
    return MLPClassifier(**{**settings, **params}).fit(X, y)


# ---- a loaded estimator trains on ----


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_warm_start_after_load_continues_as_the_original_does(tmp_path, solver):
    X, y = data()
    original = fitted_classifier(solver=solver, warm_start=True)
    original.save(tmp_path / "clf.safetensors")
    loaded = MLPClassifier.load(tmp_path / "clf.safetensors")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        original.fit(X, y)  # every fit starts a fresh optimizer: the file needs no optimizer state
        loaded.fit(X, y)
    for mine, theirs in zip(loaded.coefs_ + loaded.intercepts_, original.coefs_ + original.intercepts_):
        np.testing.assert_array_equal(mine, theirs)
    assert loaded.n_iter_ == original.n_iter_ == 10 and loaded.loss_curve_ == original.loss_curve_


def test_partial_fit_after_load_is_one_epoch_with_a_fresh_optimizer(tmp_path):
    X, y = data()
    original = fitted_classifier(warm_start=True)
    original.save(tmp_path / "clf.safetensors")
    loaded = MLPClassifier.load(tmp_path / "clf.safetensors")
    loaded.partial_fit(X, y)
    original.set_params(max_iter=1).fit(X, y)  # one epoch, fresh optimizer, same weights to start from
    for mine, theirs in zip(loaded.coefs_, original.coefs_):
        np.testing.assert_array_equal(mine, theirs)
    assert loaded.n_iter_ == 6


def test_regressor_partial_fit_after_load(tmp_path):
    X, _ = data()
    reg = MLPRegressor(hidden_layer_sizes=(5,), max_iter=3, random_state=0).fit(X, X[:, 0])
    reg.save(tmp_path / "reg.safetensors")
    loaded = MLPRegressor.load(tmp_path / "reg.safetensors")
    before = loaded.predict(X)
    loaded.partial_fit(X, X[:, 0])
    assert loaded.n_iter_ == 4 and not np.array_equal(loaded.predict(X), before)


# ---- malformed files: each one ModelFileError naming the file and the problem ----


@pytest.fixture
def good_file(tmp_path):
    path = tmp_path / "good.safetensors"
    fitted_classifier().save(path)
    return path


def rewrite(source, target, change_metadata=None, change_arrays=None):
    arrays, metadata = io.read_file(source)
    metadata.pop("library_version", None)
    if change_metadata:
        change_metadata(metadata)
    if change_arrays:
        change_arrays(arrays)
    io.write_file(target, arrays, metadata)
    return target


def test_a_file_may_set_only_the_fitted_attributes_the_estimator_defines(good_file, tmp_path):
    for attribute in ("predict", "__class__", "_network", "_rng", "coefs_"):
        bad = rewrite(good_file, tmp_path / f"{attribute}.safetensors",
                      lambda m, name=attribute: m["fitted"].update({name: 1}))
        with pytest.raises(ModelFileError, match=rf"{bad.name}.*sets the attribute '{attribute}', which "
                                                 rf"MLPClassifier does not define"):
            MLPClassifier.load(bad)
    regressor_only = rewrite(good_file, tmp_path / "y1d.safetensors", lambda m: m["fitted"].update(_y_1d=True))
    with pytest.raises(ModelFileError, match="'_y_1d'"):
        MLPClassifier.load(regressor_only)


def _set(path, value):
    """A change that sets metadata[path[0]][path[1]]... = value (deleting it if value is DELETE)."""
    def change(metadata):
        target = metadata
        for key in path[:-1]:
            target = target[key]
        if value is DELETE:
            del target[path[-1]]
        else:
            target[path[-1]] = value
    return change


DELETE = object()

BAD_METADATA = {
    "no params": (_set(["params"], DELETE), "'params' and 'fitted' entries must be JSON objects"),
    "params a list": (_set(["params"], [1, 2]), "'params' and 'fitted' entries must be JSON objects"),
    "no fitted": (_set(["fitted"], DELETE), "'params' and 'fitted'"),
    "unknown parameter": (_set(["params", "n_jobs"], 2), r"sets the parameters \['n_jobs'\]"),
    "alpha a string": (_set(["params", "alpha"], "0.1"), "alpha must be a number >= 0"),
    "hidden sizes nested": (_set(["params", "hidden_layer_sizes"], [[6]]), "hidden_layer_sizes must be"),
    "hidden sizes mismatch": (_set(["params", "hidden_layer_sizes"], [7]), "coefs.0 has shape"),
    "more hidden layers": (_set(["params", "hidden_layer_sizes"], [6, 6]), "n_layers_ is 3"),
    "class_weight not pairs": (_set(["params", "class_weight"], [1, 2]), "class_weight must be a list of"),
    "dtype unknown": (_set(["params", "dtype"], "float16"), "dtype must be one of"),
    "n_iter_ negative": (_set(["fitted", "n_iter_"], -1), "'n_iter_' is not valid"),
    "n_iter_ a float": (_set(["fitted", "n_iter_"], 1.5), "'n_iter_' is not valid"),
    "loss curve text": (_set(["fitted", "loss_curve_"], "abc"), "'loss_curve_' is not valid"),
    "loss curve of lists": (_set(["fitted", "loss_curve_"], [[1]]), "'loss_curve_' is not valid"),
    "loss kind unknown": (_set(["fitted", "_loss_kind"], "hinge"), "'_loss_kind' is not valid"),
    "classes a list": (_set(["fitted", "classes_"], ["a", "b", "c"]), "'classes_' is not valid"),
    "classes dtype odd": (_set(["fitted", "classes_"], {"values": [1, 2, 3], "dtype": "<M8[s]"}),
                          "'classes_' is not valid"),
    "classes dtype garbage": (_set(["fitted", "classes_"], {"values": [1, 2, 3], "dtype": "no such"}),
                              "'classes_' is not valid"),
    "classes unsorted": (_set(["fitted", "classes_"], {"values": ["c", "a", "b"], "dtype": "<U1"}),
                         "'classes_' is not valid"),
    "two classes, softmax": (_set(["fitted", "classes_"], {"values": ["a", "b"], "dtype": "<U1"}),
                             "2 classes need a logistic output"),
    "no classes": (_set(["fitted", "classes_"], DELETE), r"lacks the fitted attributes \['classes_'\]"),
    "no n_outputs_": (_set(["fitted", "n_outputs_"], DELETE), "lacks the fitted attributes"),
    "feature names too few": (_set(["fitted", "feature_names_in_"], ["x0"]), "1 feature names"),
    "feature names not text": (_set(["fitted", "feature_names_in_"], [1, 2, 3, 4]),
                               "'feature_names_in_' is not valid"),
    "another estimator": (_set(["estimator"], "MLPRegressor"), "holds MLPRegressor, not a MLPClassifier"),
}


@pytest.mark.parametrize("change, message", BAD_METADATA.values(), ids=BAD_METADATA.keys())
def test_malformed_metadata_is_one_model_file_error(good_file, tmp_path, change, message):
    bad = rewrite(good_file, tmp_path / "bad.safetensors", change)
    with pytest.raises(ModelFileError, match=message) as raised:
        MLPClassifier.load(bad)
    assert str(bad) in str(raised.value)
    assert raised.value.__cause__ is None or isinstance(raised.value.__cause__, ModelFileError)


BAD_ARRAYS = {
    "a missing array": (lambda a: a.pop("intercepts.1"), "expected the arrays"),
    "an extra array": (lambda a: a.update(extra=np.zeros(2)), "expected the arrays"),
    "a transposed weight": (lambda a: a.update({"coefs.0": np.ascontiguousarray(a["coefs.0"].T)}),
                            "coefs.0 has shape"),
    "integer weights": (lambda a: a.update({k: v.astype(np.int64) for k, v in a.items()}), "dtypes"),
    "mixed dtypes": (lambda a: a.update({"coefs.1": a["coefs.1"].astype(np.float32)}), "dtypes"),
    "a NaN weight": (lambda a: a["coefs.1"].__setitem__((0, 0), np.nan), "NaN or infinite"),
    "float32 weights for float64": (lambda a: a.update({k: v.astype(np.float32) for k, v in a.items()}),
                                    "weights of dtype float32 for dtype='float64'"),
}


@pytest.mark.parametrize("change, message", BAD_ARRAYS.values(), ids=BAD_ARRAYS.keys())
def test_malformed_weights_are_one_model_file_error(good_file, tmp_path, change, message):
    bad = rewrite(good_file, tmp_path / "bad.safetensors", change_arrays=change)
    with pytest.raises(ModelFileError, match=message):
        MLPClassifier.load(bad)


def test_a_regressor_file_with_a_one_column_target_and_two_outputs_is_refused(tmp_path):
    X, _ = data()
    MLPRegressor(hidden_layer_sizes=(3,), max_iter=2, random_state=0).fit(X, X[:, :2]).save(tmp_path / "r.st")
    bad = rewrite(tmp_path / "r.st", tmp_path / "bad.st", _set(["fitted", "_y_1d"], True))
    with pytest.raises(ModelFileError, match="a one-column target, but n_outputs_=2"):
        MLPRegressor.load(bad)
    bad = rewrite(tmp_path / "r.st", tmp_path / "bad2.st", _set(["fitted", "_y_1d"], "yes"))
    with pytest.raises(ModelFileError, match="'_y_1d' is not valid"):
        MLPRegressor.load(bad)


def test_settings_that_json_cannot_hold_directly_round_trip(tmp_path):
    X, y = data()
    clf = MLPClassifier(hidden_layer_sizes=(np.int64(5),), dtype=np.float64, class_weight={"a": 2.0},
                        random_state=np.random.RandomState(0), max_iter=3).fit(X, y)
    clf.save(tmp_path / "clf.safetensors")
    loaded = MLPClassifier.load(tmp_path / "clf.safetensors")
    assert loaded.get_params()["class_weight"] == {"a": 2.0} and loaded.dtype == "float64"
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
