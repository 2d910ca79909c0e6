"""The scalar engine's Neuron, Layer and MLP, whose home is now `scratchgrad.micro`.

Kept so that `scratchgrad.nn.scalar.MLP` (named "ScalarMLP" in model files) and older code
still import; new code writes `from scratchgrad.micro import Neuron, Layer, MLP`.
"""

from ..micro import ACTIVATIONS, MLP, Layer, Neuron

__all__ = ["Neuron", "Layer", "MLP", "ACTIVATIONS"]
