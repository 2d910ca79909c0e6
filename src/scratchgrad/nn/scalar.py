"""Neuron, Layer and MLP on the scalar engine, as in micrograd and the tutorials.

Slow by design (one `Value` per number) and meant for reading, drawing and checking;
`scratchgrad.nn.MLP` trains the same networks on arrays.
"""

from __future__ import annotations

import random

from ..value import Value
from .module import Module

ACTIVATIONS = {
    "tanh": Value.tanh,
    "relu": Value.relu,
    "sigmoid": Value.sigmoid,
    "leaky_relu": Value.leaky_relu,
    "linear": None,
}


def _activation(name):
    if name is None:
        return None
    if name not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {name!r}")
    return ACTIVATIONS[name]


def _random_source(seed):
    """`random` itself for None (so `random.seed()` works as with micrograd), else a Random."""
    if seed is None:
        return random
    if seed is random or isinstance(seed, random.Random):
        return seed
    if isinstance(seed, int) and not isinstance(seed, bool):
        return random.Random(seed)
    raise TypeError(f"seed must be None, an int or a random.Random, got {seed!r}")


def _check_size(name, n):
    if not isinstance(n, int) or isinstance(n, bool) or n < 1:
        raise ValueError(f"{name} must be a positive integer, got {n!r}")


class Neuron(Module):
    """`activation(w · x + b)`, weights and bias drawn from uniform(-1, 1)."""

    def __init__(self, nin, activation="tanh", seed=None):
        _check_size("nin", nin)
        self.activation = activation
        self._activate = _activation(activation)
        rng = _random_source(seed)
        self.w = [Value(rng.uniform(-1, 1), label="w") for _ in range(nin)]
        self.b = Value(rng.uniform(-1, 1), label="b")

    def __call__(self, x):
        if len(x) != len(self.w):
            raise ValueError(f"Neuron({len(self.w)}) got an input of {len(x)} numbers")
        out = Value.dot(self.w, x, self.b)
        return self._activate(out) if self._activate else out

    def __repr__(self):
        return f"Neuron({len(self.w)}, activation={self.activation!r})"


class Layer(Module):
    """`nout` neurons reading the same `nin` inputs; always returns a list."""

    def __init__(self, nin, nout, activation="tanh", seed=None):
        _check_size("nout", nout)
        rng = _random_source(seed)
        self.neurons = [Neuron(nin, activation, rng) for _ in range(nout)]

    def __call__(self, x):
        return [neuron(x) for neuron in self.neurons]

    def __repr__(self):
        return f"Layer({len(self.neurons[0].w)} -> {len(self.neurons)}, " \
               f"activation={self.neurons[0].activation!r})"


class MLP(Module):
    """Layers of sizes `nouts` after `nin` inputs: `MLP(3, [4, 4, 1])` as in micrograd.

    Hidden layers use `activation`; the last layer uses `output_activation` (None: linear,
    as in micrograd; the seed-002 tutorial used "tanh" there). A network with one output
    returns a bare Value, otherwise a list.
    """

    def __init__(self, nin, nouts, activation="tanh", output_activation=None, seed=None):
        _check_size("nin", nin)
        if isinstance(nouts, int) or not nouts:
            raise ValueError(f"nouts must be a non-empty list of layer sizes, got {nouts!r}")
        _activation(activation)
        rng = _random_source(seed)
        sizes = [nin, *nouts]
        self.layers = [
            Layer(sizes[i], sizes[i + 1],
                  activation if i < len(nouts) - 1 else (output_activation or "linear"), rng)
            for i in range(len(nouts))
        ]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x[0] if len(x) == 1 else x

    def __repr__(self):
        return "MLP(" + ", ".join(repr(layer) for layer in self.layers) + ")"
