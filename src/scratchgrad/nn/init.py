"""Weight initialisations, each returning a new array of `shape`, drawn from `rng`.

Shapes are `(fan_in, fan_out)`, the layout of `Linear.weight`. `rng` is a NumPy
`Generator`, an int seed or None (fresh entropy).
"""

from __future__ import annotations

import math

import numpy as np

RELU_GAIN = math.sqrt(2.0)  # He et al.'s gain for ReLU


def as_generator(rng) -> np.random.Generator:
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, (int, np.integer)) and not isinstance(rng, bool)):
        return np.random.default_rng(rng)
    raise TypeError(f"seed must be None, an int or a numpy.random.Generator, got {rng!r}")


def _fans(shape):
    if len(shape) == 1:
        return shape[0], shape[0]
    return shape[0], shape[1]


def uniform(shape, low=-1.0, high=1.0, rng=None, dtype=np.float32):
    """uniform(-1, 1): micrograd's and the scalar tutorials' choice."""
    return as_generator(rng).uniform(low, high, shape).astype(dtype)


def normal(shape, std=0.01, rng=None, dtype=np.float32):
    """N(0, 0.01²): seeds 001 and 003's small random weights."""
    return (std * as_generator(rng).standard_normal(shape)).astype(dtype)


def zeros(shape, rng=None, dtype=np.float32):
    return np.zeros(shape, dtype=dtype)


def xavier_uniform(shape, gain=1.0, rng=None, dtype=np.float32):
    """Glorot: uniform(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)) (seed 001)."""
    fan_in, fan_out = _fans(shape)
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform(shape, -bound, bound, rng, dtype)


def xavier_normal(shape, gain=1.0, rng=None, dtype=np.float32):
    """Glorot: N(0, std²), std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _fans(shape)
    return normal(shape, gain * math.sqrt(2.0 / (fan_in + fan_out)), rng, dtype)


def kaiming_uniform(shape, gain=RELU_GAIN, rng=None, dtype=np.float32):
    """He: uniform(-a, a), a = gain * sqrt(3 / fan_in); the default gain suits ReLU."""
    fan_in, _ = _fans(shape)
    bound = gain * math.sqrt(3.0 / fan_in)
    return uniform(shape, -bound, bound, rng, dtype)


def kaiming_normal(shape, gain=RELU_GAIN, rng=None, dtype=np.float32):
    """He: N(0, std²), std = gain / sqrt(fan_in)."""
    fan_in, _ = _fans(shape)
    return normal(shape, gain / math.sqrt(fan_in), rng, dtype)


def pytorch_default(shape, rng=None, dtype=np.float32):
    """torch.nn.Linear's: uniform(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    bound = 1.0 / math.sqrt(_fans(shape)[0])
    return uniform(shape, -bound, bound, rng, dtype)


INITIALIZERS = {
    "uniform": uniform,
    "normal": normal,
    "xavier_uniform": xavier_uniform,
    "xavier_normal": xavier_normal,
    "kaiming_uniform": kaiming_uniform,
    "kaiming_normal": kaiming_normal,
    "pytorch": pytorch_default,
}


def get(name_or_function):
    if callable(name_or_function):
        return name_or_function
    if name_or_function not in INITIALIZERS:
        raise ValueError(f"init must be one of {sorted(INITIALIZERS)} or a function, "
                         f"got {name_or_function!r}")
    return INITIALIZERS[name_or_function]
