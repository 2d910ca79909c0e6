"""The playground's data: toy datasets on the plane, the features fed to the network, CSV uploads.

Every dataset lives in the square [-6, 6]² (as in TensorFlow Playground), so one picture
frame fits them all. Classification labels are class indices 0, 1, (2); regression targets
lie in [-1, 1]. Everything is drawn from `numpy.random.default_rng(seed)`: the same seed
gives the same points, which is what lets the "show code" script reproduce a run.
"""

from __future__ import annotations

import csv
import io
import math

import numpy as np

from ..errors import InvalidParameterError

DOMAIN = 6.0  # points and the boundary picture cover [-DOMAIN, DOMAIN]²

CLASSIFICATION_DATASETS = ("circle", "xor", "gaussian", "spiral", "spiral3", "moons")
REGRESSION_DATASETS = ("plane", "multigauss")
DATASET_TITLES = {
    "circle": "Circle", "xor": "Exclusive or", "gaussian": "Two Gaussians", "spiral": "Spiral",
    "spiral3": "Three-arm spiral (the tutorials')", "moons": "Moons", "plane": "Plane",
    "multigauss": "Multiple Gaussians", "csv": "Your CSV",
}

# name -> (title, function of the two coordinates); the order is the order on screen
FEATURES = {
    "x1": ("x₁", lambda x1, x2: x1),
    "x2": ("x₂", lambda x1, x2: x2),
    "x1_squared": ("x₁²", lambda x1, x2: x1 * x1),
    "x2_squared": ("x₂²", lambda x1, x2: x2 * x2),
    "x1_x2": ("x₁x₂", lambda x1, x2: x1 * x2),
    "sin_x1": ("sin x₁", lambda x1, x2: np.sin(x1)),
    "sin_x2": ("sin x₂", lambda x1, x2: np.sin(x2)),
}


def make_dataset(name, n_points=500, noise=0.0, seed=0):
    """`(X, y)`: `n_points` points (n, 2) in [-6, 6]² and their labels or targets.

    `noise` in [0, 0.5] blurs the pattern (Gaussian jitter of the points, or of the angle
    for the spirals). The tutorials' spiral (`spiral3`) is the cs231n one, scaled by 5.
    """
    rng = np.random.default_rng(seed)
    half = n_points // 2
    if name == "circle":
        radius = np.r_[rng.uniform(0, 2.5, half), rng.uniform(3.5, 5.0, n_points - half)]
        angle = rng.uniform(0, 2 * math.pi, n_points)
        X = np.c_[radius * np.sin(angle), radius * np.cos(angle)]
        y = np.r_[np.ones(half), np.zeros(n_points - half)]
    elif name == "xor":
        X = rng.uniform(-5, 5, (n_points, 2))
        X += np.where(X > 0, 0.3, -0.3)  # keep points off the axes, where the label flips
        y = (X[:, 0] * X[:, 1] >= 0).astype(float)
    elif name == "gaussian":
        spread = 1.0 + 3.0 * noise
        X = np.r_[rng.normal(2, spread, (half, 2)), rng.normal(-2, spread, (n_points - half, 2))]
        y = np.r_[np.ones(half), np.zeros(n_points - half)]
    elif name == "spiral":  # Playground's two arms, half a turn apart
        parts = []
        for label, delta, count in ((1, 0.0, half), (0, math.pi, n_points - half)):
            t = np.arange(count) / count
            angle = 1.75 * t * 2 * math.pi + delta + noise * rng.standard_normal(count)
            parts.append(np.c_[5 * t * np.sin(angle), 5 * t * np.cos(angle), np.full(count, label)])
        points = np.r_[parts[0], parts[1]]
        X, y = points[:, :2], points[:, 2]
    elif name == "spiral3":  # cs231n / seed 001: r = 0..1, angle 4c..4(c+1) + 0.2 randn
        counts = [n_points // 3 + (1 if c < n_points % 3 else 0) for c in range(3)]
        parts = []
        for c, count in enumerate(counts):
            radius = np.linspace(0.0, 1.0, count)
            angle = np.linspace(4 * c, 4 * (c + 1), count) + (0.2 + noise) * rng.standard_normal(count)
            parts.append(np.c_[5 * radius * np.sin(angle), 5 * radius * np.cos(angle), np.full(count, c)])
        points = np.concatenate(parts)
        X, y = points[:, :2], points[:, 2]
    elif name == "moons":
        t = rng.uniform(0, math.pi, n_points)
        upper = np.arange(n_points) < half
        X = np.where(upper[:, None], np.c_[np.cos(t), np.sin(t)], np.c_[1 - np.cos(t), 0.5 - np.sin(t)])
        X = (X - [0.5, 0.25]) * 3.0
        y = (~upper).astype(float)
    elif name == "plane":
        X = rng.uniform(-5, 5, (n_points, 2))
        y = (X[:, 0] + X[:, 1]) / 10.0
    elif name == "multigauss":
        X = rng.uniform(-5, 5, (n_points, 2))
        y = _gaussian_bumps(X)
    else:
        raise InvalidParameterError(f"unknown dataset {name!r}; choose one of "
                                    f"{', '.join(CLASSIFICATION_DATASETS + REGRESSION_DATASETS)}")
    if name not in ("spiral", "spiral3", "gaussian"):
        X = X + rng.normal(0, 2.0 * noise, X.shape) if noise else X
    X = np.clip(X, -DOMAIN, DOMAIN)
    if name in CLASSIFICATION_DATASETS:
        return X, y.astype(np.int64)
    return X, np.clip(y, -1, 1)


def _gaussian_bumps(X):
    """Playground's "multiple Gaussians": bumps of alternating sign on a 3 x 2 grid."""
    centres = [(-3.5, 2.5, 1), (0, 2.5, -1), (3.5, 2.5, 1), (-3.5, -2.5, -1), (0, -2.5, 1), (3.5, -2.5, -1)]
    y = np.zeros(len(X))
    for cx, cy, sign in centres:
        y += sign * np.exp(-((X[:, 0] - cx) ** 2 + (X[:, 1] - cy) ** 2) / (2 * 1.2**2))
    return y


def make_features(X, names):
    """The network's input: one float32 column per feature name, computed from (x1, x2)."""
    x1, x2 = X[:, 0], X[:, 1]
    return np.stack([FEATURES[name][1](x1, x2) for name in names], axis=1).astype(np.float32)


def split_train_test(features, y, train_fraction=0.5, seed=0):
    """`(X_train, y_train), (X_test, y_test)`: a random split, `train_fraction` of the points for training."""
    train, test = split_indices(len(features), train_fraction, seed)
    return (features[train], y[train]), (features[test], y[test])


def split_indices(n, train_fraction, seed):
    """The row numbers of the training and the test points."""
    order = np.random.default_rng([seed, 2]).permutation(n)
    n_train = min(max(1, round(n * train_fraction)), n - 1)
    return order[:n_train], order[n_train:]


# ---- CSV uploads ----


def parse_csv(text, task, max_rows):
    """`(X, y, classes, column_names)` from CSV text with two feature columns and a label / target.

    The last column is the label (classification: any values, up to 8 classes) or the
    target (regression: numbers); two other numeric columns are the features. A header
    row is optional. Features are scaled onto [-5, 5] and regression targets onto [-1, 1]
    so the picture and the default learning rates fit; the code panel shows the data as
    scaled.
    """
    rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    if not rows:
        raise InvalidParameterError("the CSV file is empty")
    has_header = not all(_is_number(cell) for cell in rows[0][:2])
    header = [cell.strip() for cell in rows[0]] if has_header else ["x1", "x2", "label"]
    rows = rows[1:] if has_header else rows
    if len(header) != 3:
        raise InvalidParameterError(f"the CSV needs exactly 3 columns (two features, then the label or target); "
                                    f"its first row has {len(header)}")
    if len(rows) < 4:
        raise InvalidParameterError(f"the CSV has {len(rows)} data rows; at least 4 are needed")
    if len(rows) > max_rows:
        raise InvalidParameterError(f"the CSV has {len(rows)} data rows; the playground takes at most {max_rows}")
    features, labels = [], []
    for number, row in enumerate(rows, start=2 if has_header else 1):
        if len(row) != 3:
            raise InvalidParameterError(f"CSV line {number}: {len(row)} columns, expected 3")
        if not (_is_number(row[0]) and _is_number(row[1])):
            raise InvalidParameterError(f"CSV line {number}: the features must be numbers, got {row[:2]}")
        features.append((float(row[0]), float(row[1])))
        labels.append(row[2].strip())
    X = np.array(features)
    if not np.all(np.isfinite(X)):
        raise InvalidParameterError("the CSV's features must be finite numbers (no inf or nan)")
    low, high = X.min(axis=0), X.max(axis=0)
    X = (X - (low + high) / 2) / np.maximum((high - low) / 2, 1e-12) * 5.0
    if task == "classification":
        classes = sorted(set(labels), key=lambda label: (not _is_number(label), float(label) if _is_number(label)
                                                          else 0.0, label))
        if not 2 <= len(classes) <= 8:
            raise InvalidParameterError(f"classification needs 2 to 8 distinct labels; the CSV has {len(classes)}")
        index = {label: i for i, label in enumerate(classes)}
        return X, np.array([index[label] for label in labels], dtype=np.int64), classes, header
    bad = next((label for label in labels if not _is_number(label)), None)
    if bad is not None:
        raise InvalidParameterError(f"regression needs a numeric target; the CSV's last column has {bad!r} "
                                    f"(for labels, set the problem type to classification first)")
    y = np.array([float(label) for label in labels])
    if not np.all(np.isfinite(y)):
        raise InvalidParameterError("the CSV's targets must be finite numbers")
    low, high = y.min(), y.max()
    y = (y - (low + high) / 2) / max((high - low) / 2, 1e-12)
    return X, y, None, header


def _is_number(text):
    try:
        float(text)
    except ValueError:
        return False
    return True
