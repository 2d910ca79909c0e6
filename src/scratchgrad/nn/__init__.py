"""Networks: the `Module` base and the scalar-engine Neuron, Layer and MLP."""

from .module import Module
from .scalar import MLP as ScalarMLP
from .scalar import Layer, Neuron

__all__ = ["Module", "Neuron", "Layer", "ScalarMLP"]
