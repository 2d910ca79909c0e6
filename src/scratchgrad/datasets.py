"""The tutorials' data, CSV loading, and train / validation / test splits.

Every loader returns `(X, y)` as NumPy arrays, the same for the same `random_state`.
Iris and digits come from scikit-learn's bundled copies; splitting uses scikit-learn too.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path

import numpy as np


def _sklearn(what):
    try:
        import sklearn  # noqa: F401
    except ImportError:
        raise ImportError(f"{what} needs scikit-learn: pip install 'scratchgrad[sklearn]'") from None


def _check_count(name, value, minimum=1):
    if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < minimum:
        raise ValueError(f"{name} must be an integer >= {minimum}, got {value!r}")


def _check_noise(noise):
    if not isinstance(noise, (int, float)) or not noise >= 0:
        raise ValueError(f"noise must be a number >= 0, got {noise!r}")


# ---- the tutorials' data ----


def load_iris():
    """Fisher's iris: 150 flowers, 4 measurements, 3 species (seed 000)."""
    _sklearn("load_iris")
    from sklearn.datasets import load_iris as sklearn_load_iris

    return sklearn_load_iris(return_X_y=True)


def load_digits():
    """1,797 handwritten digits as 8x8 grey levels 0-16, labels 0-9 (seed 003)."""
    _sklearn("load_digits")
    from sklearn.datasets import load_digits as sklearn_load_digits

    return sklearn_load_digits(return_X_y=True)


def toy_data():
    """Seed 002's four points in 3-D and their targets of +-1 (micrograd's example)."""
    X = np.array([[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]])
    y = np.array([1.0, -1.0, -1.0, 1.0])
    return X, y


def make_seed_regression(n=100, noise=0.2, random_state=None):
    """Seed 004's data: x, y, z uniform in [-5, 5], target 0.04x² + 0.07xy − z + noise.

    `noise` is the standard deviation of the Gaussian noise (the seed used 1/5).
    """
    _check_count("n", n)
    _check_noise(noise)
    rng = np.random.default_rng(random_state)
    X = rng.uniform(-5, 5, size=(n, 3))
    x, y, z = X.T
    target = 0.04 * x**2 + 0.07 * y * x - z + noise * rng.standard_normal(n)
    return X, target


def make_spiral(n_per_class=500, n_classes=3, noise=0.2, random_state=None):
    """Seed 001's spiral (cs231n): arm c has radius 0..1 and angle 4c..4(c+1) plus noise.

    Returns X (n_per_class * n_classes, 2) and integer labels y, arm by arm.
    """
    _check_count("n_per_class", n_per_class)
    _check_count("n_classes", n_classes, minimum=2)
    _check_noise(noise)
    rng = np.random.default_rng(random_state)
    X = np.empty((n_per_class * n_classes, 2))
    y = np.repeat(np.arange(n_classes), n_per_class)
    for c in range(n_classes):
        radius = np.linspace(0.0, 1.0, n_per_class)
        angle = np.linspace(4 * c, 4 * (c + 1), n_per_class) + noise * rng.standard_normal(n_per_class)
        X[c * n_per_class:(c + 1) * n_per_class] = np.c_[radius * np.sin(angle), radius * np.cos(angle)]
    return X, y


def make_noise(n_samples=1500, n_features=2, n_classes=3, random_state=None):
    """Seed 001's overfitting demo: Gaussian inputs with labels drawn at random."""
    _check_count("n_samples", n_samples)
    _check_count("n_features", n_features)
    _check_count("n_classes", n_classes, minimum=2)
    rng = np.random.default_rng(random_state)
    return rng.standard_normal((n_samples, n_features)), rng.integers(0, n_classes, n_samples)


# ---- splits ----


def train_val_test_split(X, y, sizes=(0.7, 0.15, 0.15), stratify=True, random_state=None):
    """Seed 001's three-way split: `X_train, X_val, X_test, y_train, y_val, y_test`.

    Arrays or pandas DataFrames / Series (kept as they are, with their column names)."""
    _sklearn("train_val_test_split")
    from sklearn.model_selection import train_test_split

    sizes = tuple(sizes)
    if len(sizes) != 3 or any(s <= 0 for s in sizes) or not math.isclose(sum(sizes), 1.0):
        raise ValueError(f"sizes must be three positive fractions adding up to 1, got {sizes}")
    if not hasattr(X, "iloc"):  # DataFrames stay DataFrames, column names and all
        X = np.asarray(X)
    if not hasattr(y, "iloc"):
        y = np.asarray(y)
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} samples but y has {len(y)}")
    train, val, test = sizes
    X_train, X_rest, y_train, y_rest = train_test_split(
        X, y, train_size=train, stratify=y if stratify else None, random_state=random_state)
    X_val, X_test, y_val, y_test = train_test_split(
        X_rest, y_rest, test_size=test / (val + test), stratify=y_rest if stratify else None,
        random_state=random_state)
    return X_train, X_val, X_test, y_train, y_val, y_test


# ---- CSV ----


class CSVError(ValueError):
    """A CSV file that cannot be read as a table of numeric features (and a target)."""


def load_csv(path, target=None, features=None, delimiter=",", task=None, return_feature_names=False):
    """Read a table with a header row: numeric feature columns and a target of any type.

    `target` names the target column (None: every column is a feature and y is None);
    `features` picks feature columns (default: all the others). `task="classify"` needs
    at least two classes in the target; `task="regress"` a numeric one. Integer-like
    targets come back as ints, other numbers as floats, anything else as strings.
    Errors name the file, and the row and column where they apply.
    """
    path = Path(path)
    if task not in (None, "classify", "regress"):
        raise ValueError(f"task must be None, 'classify' or 'regress', got {task!r}")
    if not path.is_file():
        raise CSVError(f"{path}: no such file")
    with path.open(newline="", encoding="utf-8-sig") as handle:
        rows = [row for row in csv.reader(handle, delimiter=delimiter) if any(cell.strip() for cell in row)]
    if not rows:
        raise CSVError(f"{path}: the file is empty")
    header = [name.strip() for name in rows[0]]
    if len(rows) < 2:
        raise CSVError(f"{path}: the file has a header but no data rows")
    if target is not None and target not in header:
        raise CSVError(f"{path}: no target column {target!r}; the columns are {header}")
    if features is None:
        features = [name for name in header if name != target]
    missing = [name for name in features if name not in header]
    if missing:
        raise CSVError(f"{path}: no feature column(s) {missing}; the columns are {header}")
    if not features:
        raise CSVError(f"{path}: no feature columns besides the target {target!r}")

    feature_index = [header.index(name) for name in features]
    X = np.empty((len(rows) - 1, len(features)))
    targets = []
    for r, row in enumerate(rows[1:]):
        line = r + 2  # the header is line 1
        if len(row) != len(header):
            raise CSVError(f"{path}, row {line}: {len(row)} values, but the header has {len(header)} columns")
        for j, i in enumerate(feature_index):
            try:
                X[r, j] = float(row[i])
            except ValueError:
                raise CSVError(f"{path}, row {line}, column {header[i]!r}: {row[i]!r} is not a number") from None
            if not math.isfinite(X[r, j]):
                raise CSVError(f"{path}, row {line}, column {header[i]!r}: {row[i]!r} is not a finite number")
        if target is not None:
            targets.append(row[header.index(target)].strip())

    y = None if target is None else _parse_target(targets, path, target, task)
    return (X, y, list(features)) if return_feature_names else (X, y)


def _parse_target(values, path, column, task):
    try:
        numbers = np.array([float(v) for v in values])
    except ValueError:
        numbers = None
    if task == "regress" and (numbers is None or not np.all(np.isfinite(numbers))):
        bad = next(i for i, v in enumerate(values) if not _is_number(v))
        raise CSVError(f"{path}, row {bad + 2}, column {column!r}: {values[bad]!r} is not a number, "
                       f"and regression needs numeric targets")
    if numbers is not None and np.all(np.isfinite(numbers)) and np.all(numbers == np.round(numbers)) \
            and task != "regress":
        y = numbers.astype(np.int64)
    elif numbers is not None and task != "classify":
        y = numbers
    else:
        y = np.array(values)
    if task == "classify" and len(np.unique(y)) < 2:
        raise CSVError(f"{path}: the target column {column!r} has a single class ({y[0]!r}); "
                       f"classification needs at least two")
    return y


def _is_number(text):
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


# ---- real tables ----


def read_table(source, delimiter=None, encoding=None):
    """A table as a pandas DataFrame, from a CSV file or from a pandas / polars DataFrame.

    CSV files: the encoding is detected (BOM, UTF-8, else cp1252 / Latin-1) unless given, the
    delimiter sniffed (`,` `;` tab `|`) unless given, quoted fields and a decimal comma
    understood, and the usual spellings of missing values (empty, NA, NaN, null, ?, ...)
    read as NaN. Column names are stripped of spaces; duplicate names are an error naming
    them. `frame.attrs["csv_format"]` says how the file was read.
    """
    from .tables.reading import as_frame, read_csv

    frame = as_frame(source)
    if frame is not None:
        return frame
    if isinstance(source, (str, Path)):
        return read_csv(source, delimiter=delimiter, encoding=encoding)
    raise TypeError(f"read_table takes a CSV path or a DataFrame, got {type(source).__name__}")


CITIES = ["Paris", "Lyon", "Montréal", "Zürich", "São Paulo", "Kraków", "Malmö", "Köln"]


def make_messy_table(n_rows=400, task="classify", random_state=None):
    """A customer table as they come: an ID column, a header with spaces, categories with
    accents, missing values spelled several ways, a constant column, free text, and a target.

    `task`: "classify" (churn yes / no), "regress" (yearly spend) or "count" (support calls,
    an integer with many values: a regression target that looks like classes). Returns a
    pandas DataFrame whose cells are what a CSV file would hold (strings for the missing).
    """
    import pandas as pd

    _check_count("n_rows", n_rows, minimum=10)
    if task not in ("classify", "regress", "count"):
        raise ValueError(f"task must be 'classify', 'regress' or 'count', got {task!r}")
    rng = np.random.default_rng(random_state)
    age = rng.integers(18, 80, n_rows).astype(float)
    income = np.round(rng.lognormal(10.5, 0.5, n_rows), 2)
    city = rng.choice(CITIES, n_rows, p=[0.3, 0.2, 0.15, 0.1, 0.1, 0.06, 0.05, 0.04])
    plan = rng.choice(["basic", "plus", "premium"], n_rows, p=[0.5, 0.3, 0.2])
    visits = rng.poisson(4, n_rows)
    city_effect = {name: effect for name, effect in zip(CITIES, np.linspace(-1, 1, len(CITIES)))}
    score = (0.04 * (age - 45) - 0.8 * (np.log(income) - 10.5) + np.array([city_effect[c] for c in city])
             + np.select([plan == "basic", plan == "plus"], [0.8, 0.0], -0.9) - 0.2 * (visits - 4))
    frame = pd.DataFrame({
        "customer_id": [f"C{100000 + i}" for i in rng.permutation(n_rows)],
        "Customer Age": age,
        "income": income,
        "city": city,
        "plan": plan,
        "visits": visits,
        "country": "FR",
        "notes": [f"called on day {i} about order {rng.integers(1e6)}" for i in range(n_rows)],
    })
    if task == "classify":
        frame["churn"] = np.where(score + rng.logistic(0, 0.5, n_rows) > 0, "yes", "no")
    elif task == "regress":
        frame["spend"] = np.round(1000 + 300 * score + 50 * rng.standard_normal(n_rows), 2)
    else:
        frame["support_calls"] = rng.poisson(np.exp(1.5 + 0.6 * np.tanh(score)))
    frame = frame.astype({"Customer Age": object, "income": object, "city": object, frame.columns[-1]: object})
    for column, spelling in (("Customer Age", "NA"), ("income", ""), ("city", "?")):
        frame.loc[rng.random(n_rows) < 0.08, column] = spelling
    frame.loc[rng.random(n_rows) < 0.02, frame.columns[-1]] = ""  # a few rows without a target
    return frame
