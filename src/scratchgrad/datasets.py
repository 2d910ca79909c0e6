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
