"""Layers on the tensor engine, PyTorch-style: Linear, activations, Dropout, Sequential, MLP.

Each layer describes itself by `config()`, its constructor settings as plain data, and has one
row in the table of layer types (table.py), which saving, loading, ONNX export and the PyTorch
conversion all read.
"""

from __future__ import annotations

import numpy as np

from .. import functional as F
from ..checks import check_integer, check_number
from ..tensor import Tensor
from . import init as initializers
from .module import Module


def _as_input(x, like=None):
    """`x` as a Tensor (a layer checks `isinstance` first, without a call): an array, list or number gets
    the dtype of `like` (the layer's weight), or keeps its own."""
    return x if isinstance(x, Tensor) else Tensor(np.asarray(x), dtype=None if like is None else like.dtype)


class Linear(Module):
    """`x @ weight + bias`, with `weight` of shape (in_features, out_features).

    The (in, out) layout needs no transpose in the forward pass (nor in ONNX's Gemm);
    `to_torch` transposes it for PyTorch's (out, in).
    """

    def __init__(self, in_features, out_features, bias=True, init="pytorch", seed=None,
                 dtype=np.float32):
        in_features = check_integer("in_features", in_features, minimum=1, where="Linear")
        out_features = check_integer("out_features", out_features, minimum=1, where="Linear")
        rng = initializers.as_generator(seed)
        self.in_features, self.out_features = int(in_features), int(out_features)
        self.weight = Tensor(initializers.get(init)((in_features, out_features), rng=rng, dtype=dtype),
                             requires_grad=True, dtype=dtype)
        if bias:
            bound = 1.0 / np.sqrt(in_features)
            self.bias = Tensor(rng.uniform(-bound, bound, out_features) if init == "pytorch"
                               else np.zeros(out_features), requires_grad=True, dtype=dtype)
        else:
            self.bias = None

    def __call__(self, x):
        if not isinstance(x, Tensor):
            x = _as_input(x, self.weight)
        shape = x.shape
        if not shape or shape[-1] != self.in_features:
            got = shape[-1] if shape else "a scalar"
            raise ValueError(
                f"Linear({self.in_features} -> {self.out_features}) got input with {got} features "
                f"(input shape {shape})"
            )
        return F.linear(x, self.weight, self.bias)

    def config(self):
        return {"in_features": self.in_features, "out_features": self.out_features, "bias": self.bias is not None}

    @staticmethod
    def parameter_shapes(config):
        """The shapes `config` implies, checked against a file's tensors before anything is allocated."""
        shapes = {"weight": (config["in_features"], config["out_features"])}
        if config.get("bias", True):
            shapes["bias"] = (config["out_features"],)
        return shapes

    def extra_repr(self):
        return ", ".join(f"{key}={value}" for key, value in self.config().items())


class _Activation(Module):
    def __call__(self, x):
        return self.forward(x if isinstance(x, Tensor) else _as_input(x))

    def config(self):
        return {}

    def extra_repr(self):
        return ", ".join(f"{key}={value}" for key, value in self.config().items())


class ReLU(_Activation):
    def forward(self, x):
        return x.relu()


class LeakyReLU(_Activation):
    def __init__(self, negative_slope=0.01):
        self.negative_slope = check_number("negative_slope", negative_slope, where="LeakyReLU")

    def forward(self, x):
        return x.leaky_relu(self.negative_slope)

    def config(self):
        return {"negative_slope": self.negative_slope}


class Tanh(_Activation):
    def forward(self, x):
        return x.tanh()


class Sigmoid(_Activation):
    def forward(self, x):
        return x.sigmoid()


class Softmax(_Activation):
    def __init__(self, axis=-1):
        self.axis = check_integer("axis", axis, where="Softmax")

    def forward(self, x):
        return F.softmax(x, self.axis)

    def config(self):
        return {"axis": self.axis}


class Identity(_Activation):
    def forward(self, x):
        return x


class Dropout(Module):
    """Zero inputs with probability `p` in training (scaling the rest by 1/(1-p)); identity in eval."""

    def __init__(self, p=0.5, seed=None):
        self.p = check_number("p", p, minimum=0, maximum=1, high_open=True, where="Dropout")
        self.rng = initializers.as_generator(seed)

    def __call__(self, x):
        return F.dropout(_as_input(x), self.p, self.training, self.rng)

    def config(self):
        return {"p": self.p}

    def extra_repr(self):
        return f"p={self.p}"


ACTIVATIONS = {
    "relu": ReLU,
    "leaky_relu": LeakyReLU,
    "tanh": Tanh,
    "sigmoid": Sigmoid,
    "softmax": Softmax,
    "linear": Identity,
    "identity": Identity,
}


def make_activation(name) -> Module:
    """A layer for an activation name (a Module passes through)."""
    if isinstance(name, Module):
        return name
    if name is None:
        return Identity()
    key = name.lower() if isinstance(name, str) else name
    if key not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)} (in any case), got {name!r}")
    return ACTIVATIONS[key]()


class Sequential(Module):
    """Layers applied in order; indexable, iterable, and `append`-able."""

    def __init__(self, *layers):
        if len(layers) == 1 and isinstance(layers[0], (list, tuple)):
            layers = tuple(layers[0])
        self.layers = []
        for layer in layers:
            self.append(layer)

    def append(self, layer):
        if not callable(layer):
            raise TypeError(f"Sequential holds layers (callables), got {type(layer).__name__}")
        self.layers.append(layer)
        return self

    def __call__(self, x):
        for layer in self.layers:
            x = layer(x)
        return x

    def __getitem__(self, index):
        if isinstance(index, slice):
            return Sequential(*self.layers[index])
        return self.layers[index]

    def __len__(self):
        return len(self.layers)

    def __iter__(self):
        return iter(self.layers)

    def add(self, n_neurons, activation=None, input_size=None):
        """Seed 003's builder: a Linear layer of `n_neurons` (fed by the previous Linear layer, or
        `input_size` features for the first), then `activation`. Returns self, to chain.

        >>> net = Sequential().add(32, "relu", input_size=64).add(10)
        """
        linears = [layer for layer in self.layers if isinstance(layer, Linear)]
        n_in = linears[-1].out_features if linears else input_size
        if n_in is None:
            raise ValueError("Sequential.add: the first layer needs input_size=, the number of input features")
        self.append(Linear(n_in, n_neurons))
        if activation not in (None, "linear", "identity"):
            self.append(make_activation(activation))
        return self

    def __setitem__(self, index, layer):
        if not callable(layer):
            raise TypeError(f"Sequential holds layers (callables), got {type(layer).__name__}")
        self.layers[index] = layer

    def __delitem__(self, index):
        del self.layers[index]

    @classmethod
    def from_layers(cls, layers):
        """A container of this class holding exactly `layers` (how a file's Sequential or MLP is rebuilt)."""
        container = cls.__new__(cls)
        Sequential.__init__(container, *layers)
        return container

    def _attributes(self):
        # PyTorch names a Sequential's parts by position alone: "0.weight", not "layers.0.weight"
        return [(str(index), layer) for index, layer in enumerate(self.layers)]


class MLP(Sequential):
    """`in_features -> hidden_sizes... -> out_features`, one line for seed 003's `add()` calls.

    Each hidden layer is Linear, then `activation`, then Dropout(`dropout`) if > 0; the
    output layer is Linear, then `output_activation` if given (None: raw outputs, for
    `cross_entropy` and `mse_loss`).
    """

    def __init__(self, in_features, hidden_sizes, out_features=None, activation="relu", dropout=0.0,
                 output_activation=None, init="pytorch", seed=None, dtype=np.float32):
        if out_features is None:
            raise TypeError(f"nn.MLP(in_features, hidden_sizes, out_features) needs out_features; "
                            f"micrograd's MLP({in_features!r}, {hidden_sizes!r}) on Values is scratchgrad.micro.MLP")
        if isinstance(hidden_sizes, (int, np.integer)):
            hidden_sizes = [hidden_sizes]
        rng = initializers.as_generator(seed)
        make_activation(activation)  # check the name before building anything
        sizes = [in_features, *hidden_sizes, out_features]
        layers = []
        for n_in, n_out in zip(sizes[:-2], sizes[1:-1]):
            layers += [Linear(n_in, n_out, init=init, seed=rng, dtype=dtype),
                       make_activation(activation)]
            if dropout:
                layers.append(Dropout(dropout, seed=rng.spawn(1)[0]))
        layers.append(Linear(sizes[-2], sizes[-1], init=init, seed=rng, dtype=dtype))
        if output_activation is not None:
            layers.append(make_activation(output_activation))
        super().__init__(*layers)

