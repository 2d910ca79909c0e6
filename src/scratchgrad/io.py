"""Model files: safetensors weights with JSON metadata, and training checkpoints.

A model file is a safetensors file: the weights as named arrays, and as text metadata
the architecture, the library and format versions, a checksum of the weights and any
extra facts (a scaler, class names). Loading parses those two formats only: it never
runs code from the file (no pickle anywhere), and it checks everything before it builds
anything. Saving writes a temporary file beside the target and renames it over the old
one, so an interrupted save leaves the previous file as it was. (ONNX and PyTorch are in
export.py.)
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np

from ._version import __version__
from .errors import ModelFileError
from .nn import layers as L
from .nn.module import Module
from .nn.scalar import MLP as ScalarMLP

FORMAT = "scratchgrad"
FORMAT_VERSION = 1
DTYPES = {"float32": np.float32, "float64": np.float64}



def _safetensors():
    try:
        import safetensors.numpy as safetensors_numpy
        from safetensors import SafetensorError
    except ImportError:
        raise ImportError("saving and loading models needs safetensors: pip install 'scratchgrad[io]'") from None
    return safetensors_numpy, SafetensorError


# ---- describing and rebuilding architectures ----

ACTIVATION_TYPES = {"ReLU": L.ReLU, "Tanh": L.Tanh, "Sigmoid": L.Sigmoid, "Identity": L.Identity}


def describe(module) -> dict:
    """A JSON-ready description of a module built from the library's layers."""
    if isinstance(module, L.MLP):
        return {"type": "MLP", **module.config}
    if isinstance(module, L.Sequential):
        return {"type": "Sequential", "layers": [describe(layer) for layer in module]}
    if isinstance(module, L.Linear):
        return {"type": "Linear", "in_features": module.in_features, "out_features": module.out_features,
                "bias": module.bias is not None}
    if isinstance(module, L.LeakyReLU):
        return {"type": "LeakyReLU", "negative_slope": module.negative_slope}
    if isinstance(module, L.Softmax):
        return {"type": "Softmax", "axis": module.axis}
    if isinstance(module, L.Dropout):
        return {"type": "Dropout", "p": module.p}
    if type(module) in ACTIVATION_TYPES.values():
        return {"type": type(module).__name__}
    if isinstance(module, ScalarMLP):
        first = module.layers[0].neurons[0]
        return {"type": "ScalarMLP", "nin": len(first.w), "nouts": [len(layer.neurons) for layer in module.layers],
                "activation": first.activation,
                "output_activation": module.layers[-1].neurons[0].activation}
    raise TypeError(
        f"cannot describe a {type(module).__name__}: save() knows Sequential, MLP, Linear, the activations, "
        f"Softmax, Dropout and scalar MLPs; for a model of your own use save_weights() / load_weights()")


def build(spec, dtype=np.float32):
    """The module a `describe()` dictionary stands for, with fresh weights."""
    if not isinstance(spec, dict) or "type" not in spec:
        raise ModelFileError(f"architecture entry {spec!r} is not a layer description")
    kind, args = spec["type"], {k: v for k, v in spec.items() if k != "type"}
    try:
        if kind == "MLP":
            return L.MLP(**args, dtype=dtype)
        if kind == "Sequential":
            return L.Sequential(*[build(layer, dtype) for layer in args["layers"]])
        if kind == "Linear":
            return L.Linear(**args, dtype=dtype)
        if kind == "LeakyReLU":
            return L.LeakyReLU(**args)
        if kind == "Softmax":
            return L.Softmax(**args)
        if kind == "Dropout":
            return L.Dropout(**args)
        if kind in ACTIVATION_TYPES and not args:
            return ACTIVATION_TYPES[kind]()
        if kind == "ScalarMLP":
            return ScalarMLP(**args)
    except (TypeError, ValueError, KeyError) as error:
        raise ModelFileError(f"architecture entry {spec!r} is not valid: {error}") from None
    raise ModelFileError(f"unknown architecture {kind!r}: this scratchgrad ({__version__}) builds MLP, "
                         f"Sequential, Linear, activations, Softmax, Dropout and ScalarMLP")


# ---- weights as arrays ----


def _weights(model) -> dict:
    """`{name: array}`; a scalar MLP's Values are gathered into one matrix per layer."""
    if isinstance(model, ScalarMLP):
        arrays = {}
        for i, layer in enumerate(model.layers):
            arrays[f"layers.{i}.weight"] = np.array([[n.w[k].data for n in layer.neurons]
                                                     for k in range(len(layer.neurons[0].w))])
            arrays[f"layers.{i}.bias"] = np.array([n.b.data for n in layer.neurons])
        return arrays
    return model.state_dict()


def _set_weights(model, arrays, path):
    try:
        if isinstance(model, ScalarMLP):
            expected = _weights(model)
            _check_same(expected, arrays)
            for i, layer in enumerate(model.layers):
                W, b = arrays[f"layers.{i}.weight"], arrays[f"layers.{i}.bias"]
                for j, neuron in enumerate(layer.neurons):
                    for k, w in enumerate(neuron.w):
                        w.data = float(W[k, j])
                    neuron.b.data = float(b[j])
        else:
            model.load_state_dict(arrays)
    except (KeyError, ValueError) as error:
        raise ModelFileError(f"{path}: the weights do not fit the architecture: {error}") from None


def _check_same(expected, arrays):
    if set(expected) != set(arrays):
        raise KeyError(f"expected tensors {sorted(expected)}, the file has {sorted(arrays)}")
    for name, array in expected.items():
        if arrays[name].shape != array.shape:
            raise ValueError(f"{name} has shape {arrays[name].shape}, the model expects {array.shape}")


def checksum(arrays: dict) -> str:
    """sha256 over every tensor's name, dtype, shape and bytes, in name order."""
    digest = hashlib.sha256()
    for name in sorted(arrays):
        array = np.ascontiguousarray(arrays[name])
        digest.update(f"{name}|{array.dtype.str}|{array.shape}|".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


# ---- files ----


def _atomic_write(path: Path, data: bytes):
    """Write `data` to `path` through a temporary file and a rename: all or nothing."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a directory; give a file name such as {path / 'model.safetensors'}")
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def write_file(path, arrays: dict, metadata: dict):
    """Save `{name: array}` with JSON-ready `metadata` (each value stored as JSON text)."""
    safetensors_numpy, _ = _safetensors()
    arrays = {name: np.ascontiguousarray(array) for name, array in arrays.items()}  # see NOTES: strided arrays
    text = {"format": FORMAT, "format_version": str(FORMAT_VERSION), "library_version": __version__,
            "checksum": checksum(arrays)}
    text.update({key: json.dumps(value) for key, value in metadata.items()})
    _atomic_write(Path(path), safetensors_numpy.save(arrays, metadata=text))


def read_file(path):
    """`(arrays, metadata)` from a file `write_file` made; every problem is a ModelFileError."""
    safetensors_numpy, SafetensorError = _safetensors()
    from safetensors import safe_open

    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: no such file")
    try:
        with safe_open(str(path), framework="numpy") as handle:
            text = handle.metadata() or {}
            arrays = {name: handle.get_tensor(name) for name in handle.keys()}
    except (SafetensorError, OSError, ValueError) as error:
        raise ModelFileError(f"{path}: not a readable safetensors file (truncated, corrupt, or another "
                             f"format such as a pickle): {error}") from None
    if text.get("format") != FORMAT:
        raise ModelFileError(f"{path}: a safetensors file, but not a scratchgrad model (no format tag)")
    try:
        version = int(text.get("format_version", ""))
    except ValueError:
        raise ModelFileError(f"{path}: unreadable format version {text.get('format_version')!r}") from None
    if version > FORMAT_VERSION:
        raise ModelFileError(f"{path}: written by a newer scratchgrad ({text.get('library_version')}, format "
                             f"{version}); this one ({__version__}) reads format {FORMAT_VERSION}: upgrade it")
    if checksum(arrays) != text.get("checksum"):
        raise ModelFileError(f"{path}: the weights do not match their checksum: the file was changed or "
                             f"damaged after it was saved")
    metadata = {}
    for key, value in text.items():
        if key in ("format", "format_version", "library_version", "checksum"):
            continue
        try:
            metadata[key] = json.loads(value)
        except json.JSONDecodeError:
            raise ModelFileError(f"{path}: metadata {key!r} is not valid JSON") from None
    metadata["library_version"] = text.get("library_version")
    return arrays, metadata


def _dtype_of_arrays(arrays, path):
    dtypes = {array.dtype for array in arrays.values()}
    if not dtypes:
        return np.float32
    if len(dtypes) > 1 or next(iter(dtypes)) not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ModelFileError(f"{path}: tensors of dtype {sorted(map(str, dtypes))}; a model is all float32 "
                             f"or all float64")
    return next(iter(dtypes)).type


def save(model, path, metadata=None):
    """Save a model (or an estimator) to `path`; `metadata` is any JSON-ready dict kept beside it."""
    if hasattr(model, "_network") and hasattr(model, "get_params"):  # a fitted estimator
        return model.save(path)
    if not isinstance(model, (Module, ScalarMLP)):
        raise TypeError(f"save expects a scratchgrad model, got {type(model).__name__}")
    metadata = dict(metadata or {})
    try:
        json.dumps(metadata)
    except TypeError as error:
        raise TypeError(f"metadata must be JSON-ready (numbers, strings, lists, dicts): {error}") from None
    write_file(path, _weights(model), {"architecture": describe(model), "extra": metadata})


def load_bundle(path):
    """`(model, metadata)`: the model rebuilt from the file, and the `metadata` it was saved with."""
    arrays, metadata = read_file(path)
    if "architecture" not in metadata:
        raise ModelFileError(f"{path}: a scratchgrad file, but it holds no model architecture "
                             f"(an estimator? use MLPClassifier.load; a checkpoint? use fit(resume_from=))")
    model = build(metadata["architecture"], dtype=_dtype_of_arrays(arrays, path))
    _set_weights(model, arrays, path)
    return model, metadata.get("extra", {})


def load(path):
    """The model saved at `path`."""
    return load_bundle(path)[0]


def save_weights(model, path):
    """Only the weights of any module (a model class of your own included)."""
    write_file(path, _weights(model), {"weights_of": type(model).__name__})


def load_weights(model, path):
    """Copy weights saved by `save_weights` (or `save`) into `model`; names and shapes must match."""
    arrays, _ = read_file(path)
    _set_weights(model, arrays, path)
    return model


# ---- checkpoints ----


def rng_states(model) -> list:
    """The bit-generator state of every Dropout in `model`, in module order."""
    return [module.rng.bit_generator.state for module in model.modules() if isinstance(module, L.Dropout)]


def set_rng_states(model, states):
    dropouts = [module for module in model.modules() if isinstance(module, L.Dropout)]
    if len(dropouts) != len(states):
        raise ModelFileError(f"the checkpoint has {len(states)} dropout generators, the model {len(dropouts)}")
    for module, state in zip(dropouts, states):
        module.rng.bit_generator.state = state


def save_checkpoint(path, model, optimizer, rng, epoch, history):
    """Everything `fit` needs to continue exactly: weights, optimizer state, RNGs, epoch, history."""
    optimizer_state = optimizer.state_dict()
    arrays = {f"model.{name}": array for name, array in model.state_dict().items()}
    for i, state in enumerate(optimizer_state["state"]):
        arrays.update({f"optimizer.{i}.{key}": np.asarray(value) for key, value in state.items()})
    write_file(path, arrays, {
        "checkpoint": {"epoch": epoch, "optimizer": type(optimizer).__name__, "lr": optimizer_state["lr"],
                       "step_count": optimizer_state["step_count"], "parts": len(optimizer_state["state"]),
                       "fit_rng": rng.bit_generator.state, "dropout_rngs": rng_states(model),
                       "history": history.history, "epochs_done": history.epoch}})


def load_checkpoint(path, model, optimizer, rng):
    """Restore a `save_checkpoint` file into `model`, `optimizer` and `rng`; returns (epoch, history dict, epochs)."""
    arrays, metadata = read_file(path)
    info = metadata.get("checkpoint")
    if info is None:
        raise ModelFileError(f"{path}: a scratchgrad file, but not a training checkpoint")
    if info["optimizer"] != type(optimizer).__name__:
        raise ModelFileError(f"{path}: saved with a {info['optimizer']} optimizer, resumed with "
                             f"{type(optimizer).__name__}")
    weights = {name[len("model."):]: a for name, a in arrays.items() if name.startswith("model.")}
    state = [{} for _ in range(info["parts"])]
    for name, array in arrays.items():
        if name.startswith("optimizer."):
            _, index, key = name.split(".", 2)
            state[int(index)][key] = array
    _set_weights(model, weights, path)
    try:
        optimizer.load_state_dict({"lr": info["lr"], "step_count": info["step_count"], "state": state})
    except ValueError as error:
        raise ModelFileError(f"{path}: {error}") from None
    rng.bit_generator.state = info["fit_rng"]
    set_rng_states(model, info["dropout_rngs"])
    return info["epoch"], info["history"], info["epochs_done"]
