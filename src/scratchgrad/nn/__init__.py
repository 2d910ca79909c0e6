"""Networks: the `Module` base, tensor layers, and the scalar-engine Neuron, Layer and MLP."""

from . import init
from .layers import (
    MLP,
    Dropout,
    Identity,
    LeakyReLU,
    Linear,
    ReLU,
    Sequential,
    Sigmoid,
    Softmax,
    Tanh,
    make_activation,
)
from .module import Module
from .scalar import MLP as ScalarMLP
from .scalar import Layer, Neuron

__all__ = [
    "Module", "Linear", "ReLU", "LeakyReLU", "Tanh", "Sigmoid", "Softmax", "Identity", "Dropout",
    "Sequential", "MLP", "make_activation", "init", "Neuron", "Layer", "ScalarMLP",
]
