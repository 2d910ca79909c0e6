"""Ways out and in: ONNX export, and conversion to and from PyTorch.

Both read the table of layer types (nn/table.py): a layer's ONNX operator, its `torch.nn`
class, and which settings carry over. Both import their libraries (onnx, torch) only when called.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ._version import __version__
from .errors import MissingDependencyError
from .io import _atomic_write
from .nn import layers as L
from .nn.table import LAYER_TYPES, layer_type

ONNX_OPSETS = range(13, 26)  # Softmax changed meaning at 13; onnxruntime 1.31 loads them all (tested)


def _onnx():
    try:
        import onnx
        from onnx import helper, numpy_helper
    except ImportError:
        raise MissingDependencyError("ONNX export needs onnx: pip install 'scratchgrad[io]'") from None
    return onnx, helper, numpy_helper


def _flat_layers(model, what):
    """The leaf layers of `model` in order, each with its table row; containers are opened."""
    row = layer_type(model)
    if row is None:
        raise TypeError(f"{what} cannot convert a {type(model).__name__}: it knows the layers "
                        f"{', '.join(sorted(LAYER_TYPES))}")
    if row.container:
        return [leaf for layer in model.layers for leaf in _flat_layers(layer, what)]
    if row.torch_class is None and row.onnx_op is None:
        raise TypeError(f"{what} cannot convert a {row.name}")
    return [(model, row)]


def export_onnx(model, path, opset=17, scaler=None, output="raw", target_scaler=None):
    """Write `model` as an ONNX graph `input` (N, features) -> `output`, checked by onnx.checker.

    Exports Sequential / MLP / Linear models with the activations and Softmax (Dropout is
    left out: it does nothing at inference), and fitted scratchgrad estimators (their
    probabilities, or predictions for a regressor). `scaler` (a fitted StandardScaler, or
    `{"mean": [...], "scale": [...]}`) puts the standardisation in front; `target_scaler` (the
    same kind) undoes a standardised target at the end. `output="probabilities"` appends a
    softmax (or a sigmoid for one output).
    """
    onnx, helper, numpy_helper = _onnx()
    if hasattr(model, "steps"):  # a scikit-learn Pipeline: [StandardScaler,] estimator
        steps = [step for _, step in model.steps]
        if len(steps) == 2 and scaler is None and hasattr(steps[0], "mean_"):
            scaler, model = steps[0], steps[1]
        elif len(steps) == 1:
            model = steps[0]
        else:
            raise TypeError("export_onnx exports a Pipeline of [StandardScaler,] a scratchgrad estimator")
    if isinstance(opset, bool) or not isinstance(opset, int) or opset not in ONNX_OPSETS:
        raise ValueError(f"opset must be an integer from {ONNX_OPSETS[0]} to {ONNX_OPSETS[-1]} (Softmax changed "
                         f"meaning at 13; onnxruntime loads up to {ONNX_OPSETS[-1]}), got {opset!r}")
    if output not in ("raw", "probabilities"):
        raise ValueError(f"output must be 'raw' or 'probabilities', got {output!r}")
    if hasattr(model, "_network") and hasattr(model, "get_params"):  # a fitted estimator
        if not hasattr(model._network, "model") or not isinstance(model._network.model, L.Sequential):
            raise TypeError("export_onnx exports tensor-engine estimators; refit with engine='tensor'")
        if getattr(model, "_loss_kind", "squared") != "squared":
            output = "probabilities"
        model = model._network.model
    layers = [(layer, row) for layer, row in _flat_layers(model, "export_onnx") if row.onnx_op is not None]
    linears = [layer for layer, row in layers if row.onnx_op == "Gemm"]
    if not linears:
        raise TypeError("export_onnx needs a model with at least one Linear layer")
    dtype = linears[0].weight.data.dtype
    elem = onnx.TensorProto.DOUBLE if dtype == np.float64 else onnx.TensorProto.FLOAT

    nodes, initializers, current = [], [], "input"

    def add(op, inputs, **attributes):
        nonlocal current
        name = f"{op.lower()}_{len(nodes)}"
        nodes.append(helper.make_node(op, inputs, [name], **attributes))
        current = name

    def constant(name, array):
        initializers.append(numpy_helper.from_array(np.ascontiguousarray(array, dtype=dtype), name))
        return name

    if scaler is not None:
        mean = getattr(scaler, "mean_", None) if not isinstance(scaler, dict) else scaler["mean"]
        scale = getattr(scaler, "scale_", None) if not isinstance(scaler, dict) else scaler["scale"]
        if mean is None or scale is None:
            raise TypeError("scaler must be a fitted StandardScaler or a dict with 'mean' and 'scale'")
        add("Sub", [current, constant("scaler_mean", mean)])
        add("Div", [current, constant("scaler_scale", scale)])
    for i, (layer, row) in enumerate(layers):
        if row.onnx_op == "Gemm":  # the one operator with weights: (in, out) as stored, no transpose
            bias = layer.bias.data if layer.bias is not None else np.zeros(layer.out_features)
            add("Gemm", [current, constant(f"weight_{i}", layer.weight.data), constant(f"bias_{i}", bias)])
        else:
            config = layer.config()
            add(row.onnx_op, [current], **{onnx_name: config[ours] for ours, onnx_name, _ in row.attributes
                                           if onnx_name is not None})
    if target_scaler is not None:
        add("Mul", [current, constant("target_scale", target_scaler["scale"])])
        add("Add", [current, constant("target_mean", target_scaler["mean"])])
    if output == "probabilities":
        add("Sigmoid" if linears[-1].out_features == 1 else "Softmax", [current],
            **({} if linears[-1].out_features == 1 else {"axis": -1}))
    nodes.append(helper.make_node("Identity", [current], ["output"]))
    graph = helper.make_graph(
        nodes, "scratchgrad", [helper.make_tensor_value_info("input", elem, ["N", linears[0].in_features])],
        [helper.make_tensor_value_info("output", elem, ["N", linears[-1].out_features])], initializers)
    # onnx's newest defaults are ahead of onnxruntime's: pin the IR version (see NOTES)
    proto = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset)], ir_version=8,
                              producer_name="scratchgrad", producer_version=__version__)
    onnx.checker.check_model(proto)
    _atomic_write(Path(path), proto.SerializeToString())
    return Path(path)


# ---- PyTorch ----


def _torch():
    try:
        import torch
    except ImportError:
        raise ImportError("to_torch / from_torch need PyTorch: pip install torch") from None
    return torch


def to_torch(model):
    """A `torch.nn.Sequential` with the same layers and weights (in the model's dtype)."""
    torch = _torch()
    parts = []
    for layer, row in _flat_layers(model, "to_torch"):
        config = layer.config()
        if row.cls is L.Linear:  # weights: ours are (in, out), PyTorch's (out, in)
            linear = torch.nn.Linear(layer.in_features, layer.out_features, bias=layer.bias is not None,
                                     dtype=torch.float64 if layer.weight.dtype == np.float64 else torch.float32)
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(np.ascontiguousarray(layer.weight.data.T)))
                if layer.bias is not None:
                    linear.bias.copy_(torch.from_numpy(layer.bias.data))
            parts.append(linear)
        else:
            arguments = {torch_name: config[ours] for ours, _, torch_name in row.attributes if torch_name}
            parts.append(getattr(torch.nn, row.torch_class)(**arguments))
    return torch.nn.Sequential(*parts)


def from_torch(module):
    """A scratchgrad Sequential from a `torch.nn.Sequential` of the layers the table knows."""
    torch = _torch()
    if not isinstance(module, torch.nn.Sequential):
        raise TypeError(f"from_torch expects a torch.nn.Sequential, got {type(module).__name__}")
    by_torch_class = {row.torch_class: row for row in LAYER_TYPES.values() if row.torch_class and not row.container}
    layers = []
    for part in module:
        row = by_torch_class.get(type(part).__name__)
        if row is None or type(part) is not getattr(torch.nn, row.torch_class):
            raise TypeError(f"from_torch cannot convert a {type(part).__name__}: supported are "
                            f"{', '.join(sorted(by_torch_class))}")
        if row.cls is L.Linear:
            weight = part.weight.detach().cpu().numpy()
            dtype = np.float64 if weight.dtype == np.float64 else np.float32
            linear = L.Linear(part.in_features, part.out_features, bias=part.bias is not None, dtype=dtype)
            linear.weight.data[...] = weight.T
            if part.bias is not None:
                linear.bias.data[...] = part.bias.detach().cpu().numpy()
            layers.append(linear)
        else:
            settings = {ours: getattr(part, torch_name) for ours, _, torch_name in row.attributes if torch_name}
            if settings.get("axis", 0) is None:
                settings["axis"] = -1  # torch.nn.Softmax(dim=None) means the last axis for 2-D inputs
            layers.append(row.cls(**settings))
    return L.Sequential(*layers)
