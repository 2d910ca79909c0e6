"""Datasets, splits and CSV loading."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier as SklearnMLP
from sklearn.preprocessing import StandardScaler

from scratchgrad import datasets
from scratchgrad.datasets import CSVError, load_csv


def test_shapes_and_classes():
    X, y = datasets.load_iris()
    assert X.shape == (150, 4) and sorted(set(y)) == [0, 1, 2]
    X, y = datasets.load_digits()
    assert X.shape == (1797, 64) and sorted(set(y)) == list(range(10))
    X, y = datasets.make_spiral(100, 4, random_state=0)
    assert X.shape == (400, 2) and np.bincount(y).tolist() == [100] * 4
    assert np.all(np.linalg.norm(X, axis=1) <= 1 + 1e-12)
    X, y = datasets.make_seed_regression(50, random_state=0)
    assert X.shape == (50, 3) and y.shape == (50,) and np.all(np.abs(X) <= 5)
    X, y = datasets.make_noise(300, 5, 3, random_state=0)
    assert X.shape == (300, 5) and set(y) == {0, 1, 2}
    X, y = datasets.toy_data()
    assert X.shape == (4, 3) and y.tolist() == [1.0, -1.0, -1.0, 1.0]


@pytest.mark.parametrize("make", [datasets.make_spiral, datasets.make_seed_regression, datasets.make_noise])
def test_deterministic_for_a_random_state(make):
    a, b, c = make(random_state=1), make(random_state=1), make(random_state=2)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    assert not np.array_equal(a[0], c[0])


def test_seed_regression_follows_its_formula():
    X, y = datasets.make_seed_regression(200, noise=0.0, random_state=0)
    x, v, z = X.T
    np.testing.assert_allclose(y, 0.04 * x**2 + 0.07 * v * x - z)


def test_spiral_needs_a_nonlinear_model():
    X, y = datasets.make_spiral(500, 3, random_state=0)
    X_train, X_val, X_test, y_train, y_val, y_test = datasets.train_val_test_split(X, y, random_state=0)
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    assert LogisticRegression().fit(X_train, y_train).score(X_test, y_test) < 0.6
    mlp = SklearnMLP(hidden_layer_sizes=(100,), max_iter=2000, random_state=0).fit(X_train, y_train)
    assert mlp.score(X_test, y_test) > 0.95


def test_train_val_test_split_sizes_and_stratification():
    X, y = datasets.make_spiral(100, 3, random_state=0)
    parts = datasets.train_val_test_split(X, y, sizes=(0.6, 0.2, 0.2), random_state=0)
    assert [len(p) for p in parts] == [180, 60, 60, 180, 60, 60]
    for labels in parts[3:]:
        assert np.bincount(labels).tolist() == [len(labels) // 3] * 3
    with pytest.raises(ValueError, match="adding up to 1"):
        datasets.train_val_test_split(X, y, sizes=(0.5, 0.2, 0.2))


def write(tmp_path, text, name="data.csv"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_load_csv_numbers_and_string_labels(tmp_path):
    path = write(tmp_path, "a,b,label\n1,2.5,cat\n3,-4,dog\n\n5,6e2,cat\n")
    X, y, names = load_csv(path, target="label", return_feature_names=True)
    np.testing.assert_array_equal(X, [[1, 2.5], [3, -4], [5, 600]])
    assert y.tolist() == ["cat", "dog", "cat"] and names == ["a", "b"]
    X, y = load_csv(write(tmp_path, "x,y\n1,0\n2,1\n"), target="y")
    assert y.dtype.kind == "i"
    X, y = load_csv(write(tmp_path, "x,y\n1,0.5\n2,1\n"), target="y", task="regress")
    assert y.dtype == float
    X, y = load_csv(write(tmp_path, "x;y;z\n1;2;3\n"), delimiter=";", features=["z"])
    assert X.tolist() == [[3.0]] and y is None


@pytest.mark.parametrize("text, kwargs, message", [
    ("", dict(target="y"), "the file is empty"),
    ("x,y\n", dict(target="y"), "no data rows"),
    ("x,y\n1,2\n", dict(target="label"), r"no target column 'label'; the columns are \['x', 'y'\]"),
    ("x,y\n1,2\nabc,3\n", dict(target="y"), r"row 3, column 'x': 'abc' is not a number"),
    ("x,y\n1,2\n3\n", dict(target="y"), "row 3: 1 values, but the header has 2 columns"),
    ("x,y\n1,a\n2,a\n", dict(target="y", task="classify"), "has a single class"),
    ("x,y\n1,a\n2,b\n", dict(target="y", task="regress"), "row 2, column 'y': 'a' is not a number"),
    ("x,y\n1,2\n", dict(target="y", features=["w"]), r"no feature column\(s\) \['w'\]"),
])
def test_load_csv_errors_name_file_row_and_column(tmp_path, text, kwargs, message):
    path = write(tmp_path, text)
    with pytest.raises(CSVError, match=message) as info:
        load_csv(path, **kwargs)
    assert str(path) in str(info.value)


def test_load_csv_missing_file(tmp_path):
    with pytest.raises(CSVError, match="no such file"):
        load_csv(tmp_path / "absent.csv", target="y")


def test_train_val_test_split_keeps_data_frames():
    import pandas as pd

    X, y = datasets.make_spiral(50, 2, random_state=0)
    frame = pd.DataFrame(X, columns=["left", "right"])
    parts = datasets.train_val_test_split(frame, pd.Series(y, name="arm"), random_state=0)
    assert all(list(part.columns) == ["left", "right"] for part in parts[:3])
    assert sum(len(part) for part in parts[:3]) == 100 and parts[3].name == "arm"


def test_messy_table_is_reproducible_and_messy():
    a = datasets.make_messy_table(100, "classify", random_state=3)
    b = datasets.make_messy_table(100, "classify", random_state=3)
    assert a.equals(b) and not a.equals(datasets.make_messy_table(100, "classify", random_state=4))
    assert "Customer Age" in a.columns and (a["city"] == "?").any() and (a["churn"] == "").any()
    assert a["customer_id"].is_unique and a["country"].nunique() == 1
