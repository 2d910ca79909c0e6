"""The table of layer types: one row per layer class, read by saving, loading, ONNX export and
the PyTorch conversion (io.py, export.py). A new layer type is one class with a `config()`
method and one row here.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import layers as L
from .scalar import MLP as ScalarMLP


@dataclass(frozen=True)
class LayerType:
    """How one layer type is described in files and translated to ONNX and PyTorch.

    `onnx_op`: the ONNX operator (None: nothing to do at inference, as for Dropout).
    `torch_class`: the `torch.nn` class name (None: no PyTorch counterpart).
    `attributes`: `(config key, ONNX attribute, torch argument)` for each setting that carries
    over (None where that side has no such setting).
    `container`: its parts are its layers, described one by one (Sequential, MLP).
    """

    cls: type
    onnx_op: str | None = None
    torch_class: str | None = None
    attributes: tuple = ()
    container: bool = False
    type_name: str | None = None  # the name in files, when the class name is taken

    @property
    def name(self) -> str:
        return self.type_name or self.cls.__name__


LAYER_TYPES = {row.name: row for row in (
    LayerType(L.Linear, "Gemm", "Linear"),
    LayerType(L.ReLU, "Relu", "ReLU"),
    LayerType(L.LeakyReLU, "LeakyRelu", "LeakyReLU", (("negative_slope", "alpha", "negative_slope"),)),
    LayerType(L.Tanh, "Tanh", "Tanh"),
    LayerType(L.Sigmoid, "Sigmoid", "Sigmoid"),
    LayerType(L.Softmax, "Softmax", "Softmax", (("axis", "axis", "dim"),)),
    LayerType(L.Identity, None, "Identity"),
    LayerType(L.Dropout, None, "Dropout", (("p", None, "p"),)),
    LayerType(L.Sequential, torch_class="Sequential", container=True),
    LayerType(L.MLP, container=True),
    LayerType(ScalarMLP, type_name="ScalarMLP"),  # the scalar engine: config = its layers, weights as matrices
)}


def layer_type(module) -> LayerType | None:
    """The row for `module`'s exact class; None for classes of your own (subclasses included)."""
    return _ROW_OF_CLASS.get(type(module))


_ROW_OF_CLASS = {row.cls: row for row in LAYER_TYPES.values()}
