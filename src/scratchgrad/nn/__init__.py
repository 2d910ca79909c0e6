"""Networks on tensors: the `Module` base and the layers. The scalar engine's networks live in `scratchgrad.micro`."""

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

__all__ = [
    "Module", "Linear", "ReLU", "LeakyReLU", "Tanh", "Sigmoid", "Softmax", "Identity", "Dropout",
    "Sequential", "MLP", "make_activation", "init", "ScalarMLP",
]


def __getattr__(name):
    """`nn.Neuron` and `nn.Layer` were the scalar engine's: they still work, and say where they live now.

    Next to the tensor `nn.MLP`, `from scratchgrad.nn import Neuron, Layer, MLP` mixed the two
    engines without a word; `from scratchgrad.micro import Neuron, Layer, MLP` does not.
    """
    if name == "ScalarMLP":  # the scalar MLP under the name model files give it (loaded late: micro imports nn)
        from ..micro import MLP

        return MLP
    if name in ("Neuron", "Layer"):
        import warnings

        from .. import micro

        warnings.warn(
            f"scratchgrad.nn.{name} is the scalar engine's {name} (Values, one number at a time) and now lives in "
            f"scratchgrad.micro: write `from scratchgrad.micro import Neuron, Layer, MLP`. scratchgrad.nn is the "
            f"tensor engine: nn.MLP(in_features, hidden_sizes, out_features) is not micrograd's MLP(nin, nouts).",
            FutureWarning, stacklevel=2)
        return getattr(micro, name)
    raise AttributeError(f"module 'scratchgrad.nn' has no attribute {name!r}")
