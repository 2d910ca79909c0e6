"""Ways out and in: ONNX export, and conversion to and from PyTorch.

Both import their libraries (onnx, torch) only when called.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ._version import __version__
from .io import ACTIVATION_TYPES, _atomic_write
from .nn import layers as L

# ---- ONNX ----

ONNX_ACTIVATIONS = {L.ReLU: "Relu", L.Tanh: "Tanh", L.Sigmoid: "Sigmoid"}


def _onnx():
    try:
        import onnx
        from onnx import helper, numpy_helper
    except ImportError:
        raise ImportError("ONNX export needs onnx: pip install 'scratchgrad[io]'") from None
    return onnx, helper, numpy_helper


def _flat_layers(model):
    if isinstance(model, L.Sequential):
        return [leaf for layer in model for leaf in _flat_layers(layer)]
    return [model]


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
    if opset < 13:
        raise ValueError(f"opset must be >= 13 (Softmax changed meaning there), got {opset}")
    if output not in ("raw", "probabilities"):
        raise ValueError(f"output must be 'raw' or 'probabilities', got {output!r}")
    if hasattr(model, "_network") and hasattr(model, "get_params"):  # a fitted estimator
        if not hasattr(model._network, "model") or not isinstance(model._network.model, L.Sequential):
            raise TypeError("export_onnx exports tensor-engine estimators; refit with engine='tensor'")
        if getattr(model, "_loss_kind", "squared") != "squared":
            output = "probabilities"
        model = model._network.model
    layers = [layer for layer in _flat_layers(model) if not isinstance(layer, L.Dropout)]
    linears = [layer for layer in layers if isinstance(layer, L.Linear)]
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
    for i, layer in enumerate(layers):
        if isinstance(layer, L.Linear):
            bias = layer.bias.data if layer.bias is not None else np.zeros(layer.out_features)
            add("Gemm", [current, constant(f"weight_{i}", layer.weight.data), constant(f"bias_{i}", bias)])
        elif type(layer) in ONNX_ACTIVATIONS:
            add(ONNX_ACTIVATIONS[type(layer)], [current])
        elif isinstance(layer, L.LeakyReLU):
            add("LeakyRelu", [current], alpha=float(layer.negative_slope))
        elif isinstance(layer, L.Softmax):
            add("Softmax", [current], axis=int(layer.axis))
        elif isinstance(layer, L.Identity):
            continue
        else:
            raise TypeError(f"export_onnx cannot export a {type(layer).__name__} layer")
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
    for layer in _flat_layers(model):
        if isinstance(layer, L.Linear):
            linear = torch.nn.Linear(layer.in_features, layer.out_features, bias=layer.bias is not None,
                                     dtype=torch.float64 if layer.weight.dtype == np.float64 else torch.float32)
            with torch.no_grad():
                linear.weight.copy_(torch.from_numpy(np.ascontiguousarray(layer.weight.data.T)))
                if layer.bias is not None:
                    linear.bias.copy_(torch.from_numpy(layer.bias.data))
            parts.append(linear)
        elif isinstance(layer, L.LeakyReLU):
            parts.append(torch.nn.LeakyReLU(layer.negative_slope))
        elif isinstance(layer, L.Softmax):
            parts.append(torch.nn.Softmax(dim=layer.axis))
        elif isinstance(layer, L.Dropout):
            parts.append(torch.nn.Dropout(layer.p))
        elif type(layer) in (L.ReLU, L.Tanh, L.Sigmoid, L.Identity):
            parts.append(getattr(torch.nn, type(layer).__name__)())
        else:
            raise TypeError(f"to_torch cannot convert a {type(layer).__name__}")
    return torch.nn.Sequential(*parts)


def from_torch(module):
    """A scratchgrad Sequential from a `torch.nn.Sequential` of Linear and supported activations."""
    torch = _torch()
    if not isinstance(module, torch.nn.Sequential):
        raise TypeError(f"from_torch expects a torch.nn.Sequential, got {type(module).__name__}")
    layers = []
    for part in module:
        if isinstance(part, torch.nn.Linear):
            weight = part.weight.detach().cpu().numpy()
            dtype = np.float64 if weight.dtype == np.float64 else np.float32
            linear = L.Linear(part.in_features, part.out_features, bias=part.bias is not None, dtype=dtype)
            linear.weight.data[...] = weight.T
            if part.bias is not None:
                linear.bias.data[...] = part.bias.detach().cpu().numpy()
            layers.append(linear)
        elif isinstance(part, torch.nn.LeakyReLU):
            layers.append(L.LeakyReLU(part.negative_slope))
        elif isinstance(part, torch.nn.Softmax):
            layers.append(L.Softmax(part.dim if part.dim is not None else -1))
        elif isinstance(part, torch.nn.Dropout):
            layers.append(L.Dropout(part.p))
        elif type(part).__name__ in ("ReLU", "Tanh", "Sigmoid", "Identity"):
            layers.append(ACTIVATION_TYPES[type(part).__name__]())
        else:
            raise TypeError(f"from_torch cannot convert a {type(part).__name__}: supported are Linear, ReLU, "
                            f"LeakyReLU, Tanh, Sigmoid, Softmax, Dropout, Identity")
    return L.Sequential(*layers)
