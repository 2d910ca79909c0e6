"""Small datasets of the tutorials, as `(X, y)`."""

from __future__ import annotations


def toy_data():
    """Seed 002's four points in 3-D and their targets of +-1 (micrograd's example)."""
    X = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    y = [1.0, -1.0, -1.0, 1.0]
    return X, y


def make_seed_regression(n=100, noise=0.2, random_state=None):
    """Seed 004's data: x, y, z uniform in [-5, 5], target 0.04x² + 0.07xy − z + noise.

    `noise` is the standard deviation of the Gaussian noise (the seed used 1/5).
    """
    import numpy as np

    if not isinstance(n, int) or n < 1:
        raise ValueError(f"n must be a positive integer, got {n!r}")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise!r}")
    rng = np.random.default_rng(random_state)
    X = rng.uniform(-5, 5, size=(n, 3))
    x, y, z = X.T
    target = 0.04 * x**2 + 0.07 * y * x - z + noise * rng.standard_normal(n)
    return X, target


def make_spiral(n_per_class=500, n_classes=3, noise=0.2, random_state=None):
    """Seed 001's spiral (cs231n): arm c has radius 0..1 and angle 4c..4(c+1) plus noise.

    Returns X (n_per_class * n_classes, 2) float64 and integer labels y.
    """
    import numpy as np

    if not isinstance(n_per_class, int) or n_per_class < 1:
        raise ValueError(f"n_per_class must be a positive integer, got {n_per_class!r}")
    if not isinstance(n_classes, int) or n_classes < 2:
        raise ValueError(f"n_classes must be an integer >= 2, got {n_classes!r}")
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise!r}")
    rng = np.random.default_rng(random_state)
    X = np.empty((n_per_class * n_classes, 2))
    y = np.repeat(np.arange(n_classes), n_per_class)
    for c in range(n_classes):
        radius = np.linspace(0.0, 1.0, n_per_class)
        angle = np.linspace(4 * c, 4 * (c + 1), n_per_class) + noise * rng.standard_normal(n_per_class)
        X[c * n_per_class:(c + 1) * n_per_class] = np.c_[radius * np.sin(angle), radius * np.cos(angle)]
    return X, y
