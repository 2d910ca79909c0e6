"""The scalar engine's networks, as micrograd and the tutorials write them: `Value`, `Neuron`, `Layer`, `MLP`.

    from scratchgrad.micro import Value, Neuron, Layer, MLP

    model = MLP(3, [4, 4, 1])                  # 3 inputs, two hidden layers of 4, one output
    loss = sum((model(x) - y) ** 2 for x, y in zip(xs, ys))
    model.zero_grad()
    loss.backward()
    for p in model.parameters():
        p.data -= 0.05 * p.grad

One `Value` per number: slow by design, and meant for reading, drawing (`draw_dot`) and
checking. `scratchgrad.nn` is the tensor engine's home (`nn.MLP`, `nn.Linear`, ...), which
trains the same networks on arrays.

As in micrograd, a `Layer` of one neuron returns a bare `Value` (and a `Neuron` accepts one,
so a hidden layer of width one works), weights and biases start uniform in (-1, 1), and
`random.seed()` makes a network reproducible. Weights are labelled `w0, w1, ...`.
"""

from __future__ import annotations

import random

import numpy as np

from .graph import no_grad
from .nn.module import Module
from .value import Value

__all__ = ["Value", "Neuron", "Layer", "MLP", "no_grad", "draw_dot"]

ACTIVATIONS = {
    "tanh": Value.tanh,
    "relu": Value.relu,
    "sigmoid": Value.sigmoid,
    "leaky_relu": Value.leaky_relu,
    "linear": None,
}


def _activation_name(name):
    """The activation's name in our spelling ("ReLU" and "TANH" are found), None for linear."""
    if name is None:
        return "linear"
    if isinstance(name, str) and name.lower().replace("-", "_") in ACTIVATIONS:
        return name.lower().replace("-", "_")
    raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, got {name!r}")


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


def _as_inputs(x):
    """A list of inputs; a bare Value or number is one input (a width-1 layer's output)."""
    if isinstance(x, (Value, int, float)):
        return [x]
    return x


class Neuron(Module):
    """`activation(w · x + b)`, weights and bias drawn from uniform(-1, 1).

    The weighted sum is one node (`Value.dot`), with the gradients of the chain of `*` and
    `+` nodes it stands for; `viz.draw_graph` draws it expanded, term by term.
    """

    def __init__(self, nin, activation="tanh", seed=None):
        _check_size("nin", nin)
        self.activation = _activation_name(activation)
        self._activate = ACTIVATIONS[self.activation]
        rng = _random_source(seed)
        self.w = [Value(rng.uniform(-1, 1), label=f"w{i}") for i in range(nin)]
        self.b = Value(rng.uniform(-1, 1), label="b")

    def __call__(self, x):
        x = _as_inputs(x)
        if len(x) != len(self.w):
            raise ValueError(f"Neuron({len(self.w)}) got an input of {len(x)} numbers")
        out = Value.dot(self.w, x, self.b)
        return self._activate(out) if self._activate else out

    def __repr__(self):
        return f"Neuron({len(self.w)}, activation={self.activation!r})"


class Layer(Module):
    """`nout` neurons reading the same `nin` inputs: a list of outputs, a bare Value for one."""

    def __init__(self, nin, nout, activation="tanh", seed=None):
        _check_size("nout", nout)
        rng = _random_source(seed)
        self.neurons = [Neuron(nin, activation, rng) for _ in range(nout)]

    def __call__(self, x):
        x = _as_inputs(x)
        outs = [neuron(x) for neuron in self.neurons]
        return outs[0] if len(outs) == 1 else outs

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
        _activation_name(activation)
        rng = _random_source(seed)
        sizes = [nin, *nouts]
        self.layers = [
            Layer(sizes[i], sizes[i + 1], activation if i < len(nouts) - 1 else output_activation, rng)
            for i in range(len(nouts))
        ]

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    # ---- as data: the layers it holds now, and their weights as one matrix per layer ----

    def config(self):
        """`{"nin": ..., "layers": [[nout, activation], ...]}`, from the layers as they are now."""
        layers = []
        for layer in self.layers:
            activations = {neuron.activation for neuron in layer.neurons}
            if len(activations) != 1:
                raise ValueError(f"a scalar MLP layer mixes activations {sorted(map(str, activations))}: "
                                 f"it cannot be described as one layer")
            layers.append([len(layer.neurons), activations.pop()])
        return {"nin": len(self.layers[0].neurons[0].w), "layers": layers}

    @classmethod
    def from_config(cls, config):
        mlp = cls.__new__(cls)
        sizes = [config["nin"]] + [nout for nout, _ in config["layers"]]
        mlp.layers = [Layer(sizes[i], nout, activation, seed=0) for i, (nout, activation) in
                      enumerate(config["layers"])]
        return mlp

    @staticmethod
    def parameter_shapes(config):
        sizes = [config["nin"]] + [nout for nout, _ in config["layers"]]
        shapes = {}
        for i, (nin, nout) in enumerate(zip(sizes[:-1], sizes[1:])):
            shapes[f"layers.{i}.weight"], shapes[f"layers.{i}.bias"] = (nin, nout), (nout,)
        return shapes

    def state_dict(self):
        """`{"layers.i.weight": (nin, nout) array, "layers.i.bias": (nout,) array}`, as nn.Linear's."""
        state = {}
        for i, layer in enumerate(self.layers):
            state[f"layers.{i}.weight"] = np.array([[w.data for w in n.w] for n in layer.neurons]).T
            state[f"layers.{i}.bias"] = np.array([n.b.data for n in layer.neurons])
        return state

    def load_state_dict(self, state):
        """Copy weights in from a `state_dict()`-shaped dict; everything is checked before anything is copied."""
        expected = self.state_dict()
        if not isinstance(state, dict) or set(state) != set(expected):
            names = sorted(state) if isinstance(state, dict) else type(state).__name__
            raise KeyError(f"ScalarMLP.load_state_dict: expected {sorted(expected)}, got {names}")
        for name, array in expected.items():
            if np.shape(state[name]) != array.shape:
                raise ValueError(f"ScalarMLP.load_state_dict: {name} has shape {np.shape(state[name])}, "
                                 f"the model expects {array.shape}")
        for i, layer in enumerate(self.layers):
            weight, bias = np.asarray(state[f"layers.{i}.weight"]), np.asarray(state[f"layers.{i}.bias"])
            for j, neuron in enumerate(layer.neurons):
                for k, w in enumerate(neuron.w):
                    w.data = float(weight[k, j])
                neuron.b.data = float(bias[j])

    def __repr__(self):
        return "MLP(" + ", ".join(repr(layer) for layer in self.layers) + ")"


def draw_dot(root, format="svg", rankdir="LR", **options):
    """micrograd's name for `scratchgrad.viz.draw_graph`: a graphviz drawing of `root`'s graph."""
    from .viz.graph import draw_graph

    return draw_graph(root, format=format, rankdir=rankdir, **options)
