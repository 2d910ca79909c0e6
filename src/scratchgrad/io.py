"""Model files: safetensors weights with JSON metadata, and training checkpoints.

A model file is a safetensors file: the weights as named arrays, and as text metadata the
architecture (each layer's type and `config()`, from the table of layer types), the library
and format versions, any extra facts (a scaler, class names), and a checksum over all of it.
Loading never runs code from the file (no pickle anywhere) and trusts nothing in it: the
checksum, the declared architecture against the tensors actually present, and every setting
are checked before anything is built. Saving writes a temporary file beside the target and
renames it over the old one, so an interrupted save leaves the previous file as it was.
(ONNX and PyTorch are in export.py.)
"""

from __future__ import annotations

import glob
import hashlib
import inspect
import json
import math
import os
import secrets
import stat
from pathlib import Path

import numpy as np

from ._version import __version__
from .errors import MissingDependencyError, ModelFileError
from .nn.module import Module
from .nn.table import LAYER_TYPES, layer_type

FORMAT = "scratchgrad"
FORMAT_VERSION = 2  # 2: the checksum covers the metadata too
DTYPES = {"float32": np.float32, "float64": np.float64}
MAX_DEPTH = 32  # containers nested deeper than this are refused, not recursed into
MAX_LAYERS = 10_000
_RESERVED = ("format", "format_version", "library_version", "checksum")

__all__ = ["ModelFileError", "save", "load", "load_bundle", "save_weights", "load_weights",
           "save_checkpoint", "load_checkpoint", "write_file", "read_file", "describe", "build"]


def _safetensors():
    try:
        import safetensors.numpy as safetensors_numpy
        from safetensors import SafetensorError, safe_open
    except ImportError:
        raise MissingDependencyError(
            "saving and loading models needs safetensors: pip install 'scratchgrad[io]'") from None
    return safetensors_numpy, SafetensorError, safe_open


# ---- describing and rebuilding architectures, from the table of layer types ----


def describe(module) -> dict:
    """A JSON-ready description of `module` as it is now: its layers' types and settings.

    A layer used twice is described once and then referred to (`{"same_as": "0"}`), so the
    rebuilt model shares it too. Classes of your own are refused: save their weights with
    `save_weights()` and rebuild them in code.
    """
    return _describe(module, "", {})


def _describe(module, path, seen):
    if id(module) in seen:
        return {"same_as": seen[id(module)]}
    seen[id(module)] = path
    row = layer_type(module)
    if row is None:
        raise TypeError(
            f"cannot save a {type(module).__name__}{f' (at {path})' if path else ''}: save() knows the layers "
            f"{', '.join(sorted(LAYER_TYPES))}; for a model class of your own use save_weights() / load_weights()")
    if row.container:
        return {"type": row.name,
                "layers": [_describe(layer, f"{path}.{i}" if path else str(i), seen)
                           for i, layer in enumerate(module.layers)]}
    return {"type": row.name, "config": module.config()}


def _expected_shapes(spec, prefix="", depth=0, counter=None):
    """`{tensor name: shape}` that `spec` declares, from the description alone: nothing is allocated."""
    counter = counter if counter is not None else [0]
    counter[0] += 1
    if depth > MAX_DEPTH or counter[0] > MAX_LAYERS:
        raise ModelFileError(f"the architecture is nested deeper than {MAX_DEPTH} or has more than "
                             f"{MAX_LAYERS} layers")
    if not isinstance(spec, dict):
        raise ModelFileError(f"architecture entry {_short(spec)} is not a layer description")
    if set(spec) == {"same_as"}:
        return {}
    row = LAYER_TYPES.get(spec.get("type")) if isinstance(spec.get("type"), str) else None
    if row is None:
        raise ModelFileError(f"unknown layer type {_short(spec.get('type'))}: this scratchgrad ({__version__}) "
                             f"builds {', '.join(sorted(LAYER_TYPES))}")
    if row.container:
        if set(spec) != {"type", "layers"} or not isinstance(spec["layers"], list):
            raise ModelFileError(f"{row.name} entry {_short(spec)} must hold a list of layers")
        shapes = {}
        for i, layer in enumerate(spec["layers"]):
            shapes.update(_expected_shapes(layer, f"{prefix}{i}.", depth + 1, counter))
        return shapes
    if set(spec) != {"type", "config"} or not isinstance(spec["config"], dict):
        raise ModelFileError(f"{row.name} entry {_short(spec)} must have exactly a type and a config")
    shapes_of = getattr(row.cls, "parameter_shapes", None)
    if shapes_of is None:
        return {}
    try:
        shapes = shapes_of(spec["config"])
    except (KeyError, TypeError, ValueError) as error:
        raise ModelFileError(f"{row.name} config {_short(spec['config'])} is not valid: {error!r}") from None
    return {prefix + name: shape for name, shape in shapes.items()}


def build(spec, dtype=np.float32):
    """The module a `describe()` dictionary stands for, with fresh weights."""
    _expected_shapes(spec)  # the structure and its limits, before anything is built
    return _build(spec, dtype, "", {})


def _build(spec, dtype, path, built):
    if "same_as" in spec:
        if spec["same_as"] not in built:
            raise ModelFileError(f"layer {path} refers to {_short(spec['same_as'])}, which comes nowhere before it")
        return built[spec["same_as"]]
    row = LAYER_TYPES[spec["type"]]
    if row.container:
        module = row.cls.from_layers([_build(layer, dtype, f"{path}.{i}" if path else str(i), built)
                                      for i, layer in enumerate(spec["layers"])])
    else:
        config = spec["config"]
        try:
            if hasattr(row.cls, "from_config"):
                module = row.cls.from_config(config)
            elif "dtype" in inspect.signature(row.cls).parameters:
                module = row.cls(**config, dtype=dtype)
            else:
                module = row.cls(**config)
        except (TypeError, ValueError, KeyError, IndexError) as error:
            raise ModelFileError(f"{row.name} config {_short(config)} is not valid: {error}") from None
        if module.config() != config:  # a setting the constructor would silently change
            raise ModelFileError(f"{row.name} config {_short(config)} is not valid")
    built[path] = module
    return module


def _short(value, limit=120):
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + "..."


# ---- the checksum: over every metadata entry and every tensor ----


def checksum(arrays: dict, text: dict) -> str:
    """sha256 over each metadata entry (but the checksum itself) and each tensor's name, dtype,
    shape and bytes, in name order."""
    digest = hashlib.sha256()
    for key in sorted(text):
        if key != "checksum":
            digest.update(json.dumps([key, text[key]]).encode())
    for name in sorted(arrays):
        array = _contiguous(arrays[name])
        digest.update(f"{name}|{array.dtype.str}|{array.shape}|".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


# ---- files ----


def _contiguous(array):
    """`array` in C order (safetensors scrambles strided arrays); unlike np.ascontiguousarray,
    a 0-d array stays 0-d."""
    array = np.asarray(array)
    return array if array.flags.c_contiguous else np.ascontiguousarray(array)


def _atomic_write(path, data: bytes):
    """Write `data` to `path` through a temporary file and a rename: all or nothing.

    A new file gets the permissions of any file the user creates (the umask decides); a file
    saved again keeps its own. A save killed midway may leave its temporary file; the next
    save to the same path removes it. Saving through a symbolic link updates its target.
    """
    path = Path(path)
    if path.is_symlink():
        path = path.resolve()  # update the file the link points to, and keep the link
    if path.is_dir():
        raise IsADirectoryError(f"{path} is a directory; give a file name such as {path / 'model.safetensors'}")
    path.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_temporaries(path)
    temporary = path.parent / f".{path.name}.{os.getpid()}-{secrets.token_hex(4)}.partial"
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        if path.exists():  # a file saved again keeps its permissions (a private one stays private)
            os.chmod(descriptor, stat.S_IMODE(path.stat().st_mode))
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _remove_stale_temporaries(path):
    """Remove temporaries of earlier saves to `path` whose process is gone."""
    for leftover in path.parent.glob(f".{glob.escape(path.name)}.*.partial"):
        pid = leftover.name[len(path.name) + 2:].split("-")[0]
        if pid.isdigit() and int(pid) != os.getpid() and not _process_alive(int(pid)):
            leftover.unlink(missing_ok=True)


def _process_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def write_file(path, arrays: dict, metadata: dict):
    """Save `{name: array}` with JSON-ready `metadata` (each value stored as JSON text)."""
    safetensors_numpy, _, _ = _safetensors()
    arrays = {name: _contiguous(array) for name, array in arrays.items()}  # see NOTES: strided arrays
    text = {"format": FORMAT, "format_version": str(FORMAT_VERSION), "library_version": __version__}
    for key, value in metadata.items():
        if key in _RESERVED:
            raise ValueError(f"metadata key {key!r} is reserved")
        text[key] = json.dumps(value, allow_nan=False)
    text["checksum"] = checksum(arrays, text)
    _atomic_write(Path(path), safetensors_numpy.save(arrays, metadata=text))


def read_file(path):
    """`(arrays, metadata)` from a file `write_file` made; every problem is a ModelFileError."""
    _, SafetensorError, safe_open = _safetensors()
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: no such file")
    try:
        with safe_open(str(path), framework="numpy") as handle:
            text = handle.metadata() or {}
            arrays = {name: handle.get_tensor(name) for name in handle.keys()}
    except (SafetensorError, OSError, ValueError, TypeError, MemoryError) as error:
        raise ModelFileError(f"{path}: not a readable safetensors file (truncated, corrupt, or another "
                             f"format such as a pickle): {error}") from None
    if text.get("format") != FORMAT:
        raise ModelFileError(f"{path}: a safetensors file, but not a scratchgrad model (no format tag)")
    version = text.get("format_version", "")
    if not version.isdigit():
        raise ModelFileError(f"{path}: unreadable format version {_short(version)}")
    if int(version) > FORMAT_VERSION:
        raise ModelFileError(f"{path}: written by a newer scratchgrad ({str(text.get('library_version'))[:40]}, "
                             f"format {version}); this one ({__version__}) reads format {FORMAT_VERSION}: upgrade it")
    if int(version) < FORMAT_VERSION:
        raise ModelFileError(f"{path}: written in format {version} by scratchgrad "
                             f"{str(text.get('library_version'))[:40]}, whose checksum does not cover the metadata; "
                             f"this one ({__version__}) reads only format {FORMAT_VERSION}: load it with the "
                             f"version that wrote it and save it again")
    if checksum(arrays, text) != text.get("checksum"):
        raise ModelFileError(f"{path}: the file does not match its checksum: it was changed or damaged after "
                             f"it was saved")
    metadata = {}
    for key, value in text.items():
        if key not in _RESERVED:
            try:
                metadata[key] = json.loads(value)
            except (json.JSONDecodeError, RecursionError):
                raise ModelFileError(f"{path}: metadata {key!r} is not valid JSON") from None
    metadata["library_version"] = text.get("library_version")
    return arrays, metadata


def _dtype_of_arrays(arrays):
    dtypes = {array.dtype for array in arrays.values()}
    if not dtypes:
        return np.float32
    if len(dtypes) > 1 or next(iter(dtypes)) not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ModelFileError(f"tensors of dtype {sorted(map(str, dtypes))}; a model is all float32 "
                             f"or all float64")
    return next(iter(dtypes)).type


def _check_tensors(expected, arrays, what="the architecture"):
    """The file's tensors are exactly those `expected` declares, shape for shape."""
    missing, unexpected = sorted(set(expected) - set(arrays)), sorted(set(arrays) - set(expected))
    if missing or unexpected:
        raise ModelFileError(f"{what} and the tensors disagree: missing {_short(missing) if missing else 'nothing'}, "
                             f"unexpected {_short(unexpected) if unexpected else 'nothing'}")
    for name, shape in expected.items():
        if not isinstance(shape, tuple) or tuple(arrays[name].shape) != shape:
            raise ModelFileError(f"{what} declares {name} of shape {_short(shape)}, the file holds "
                                 f"{tuple(arrays[name].shape)}")


def _is_estimator(model):
    return hasattr(model, "get_params") and hasattr(model, "save")


def save(model, path, metadata=None):
    """Save a model (or a fitted estimator) to `path`; `metadata` is any JSON-ready dict kept beside it.

    The file describes the model as it is now (layers appended, replaced or removed
    included); a model class of your own is refused, before anything is written.
    """
    if _is_estimator(model):
        return model.save(path)
    if not isinstance(model, Module):
        raise TypeError(f"save expects a scratchgrad model, got {type(model).__name__}")
    metadata = dict(metadata or {})
    try:
        json.dumps(metadata, allow_nan=False)
    except (TypeError, ValueError) as error:
        raise TypeError(f"metadata must be JSON-ready (numbers, strings, lists, dicts): {error}") from None
    architecture, state = describe(model), model.state_dict()
    try:
        _check_tensors(_expected_shapes(architecture), state, what="its layers' settings")
    except ModelFileError as error:
        raise TypeError(f"cannot save this {type(model).__name__}: {error}. A weight shared between two layers "
                        f"(`b.weight = a.weight`) cannot be described by layer settings: use the same layer twice "
                        f"instead, or save_weights()") from None
    write_file(path, state, {"architecture": architecture, "extra": metadata})


def load_bundle(path):
    """`(model, metadata)`: the model rebuilt from the file, and the `metadata` it was saved with."""
    arrays, metadata = read_file(path)
    if "architecture" not in metadata:
        raise ModelFileError(f"{path}: a scratchgrad file, but it holds no model architecture "
                             f"(an estimator? use MLPClassifier.load; a checkpoint? use fit(resume_from=))")
    try:
        _check_tensors(_expected_shapes(metadata["architecture"]), arrays)
        model = build(metadata["architecture"], dtype=_dtype_of_arrays(arrays))
    except ModelFileError as error:
        raise ModelFileError(f"{path}: {error}") from None
    _set_weights(model, arrays, path)
    extra = metadata.get("extra", {})
    if not isinstance(extra, dict):
        raise ModelFileError(f"{path}: its extra metadata is not a dictionary")
    return model, extra


def _set_weights(model, arrays, path):
    try:
        model.load_state_dict(arrays)
    except (KeyError, ValueError, TypeError) as error:
        raise ModelFileError(f"{path}: the weights do not fit the model: {error}") from None


def load(path):
    """The model saved at `path`."""
    return load_bundle(path)[0]


def save_weights(model, path):
    """Only the weights of any module (a model class of your own included)."""
    if not isinstance(model, Module):
        raise TypeError(f"save_weights expects a scratchgrad Module, got {type(model).__name__}")
    write_file(path, model.state_dict(), {"weights_of": type(model).__name__})


def load_weights(model, path):
    """Copy weights saved by `save_weights` (or `save`) into `model`; names and shapes must match."""
    if not isinstance(model, Module):
        raise TypeError(f"load_weights expects a scratchgrad Module, got {type(model).__name__}")
    arrays, _ = read_file(path)
    _set_weights(model, arrays, path)
    return model


# ---- checkpoints ----


def _dropouts(model):
    return [module for module in model.modules() if hasattr(module, "rng") and hasattr(module, "p")]


def rng_states(model) -> list:
    """The bit-generator state of every Dropout in `model`, in module order."""
    return [module.rng.bit_generator.state for module in _dropouts(model)]


def save_checkpoint(path, model, optimizer, rng, epoch, history):
    """Everything `fit` needs to continue exactly: weights, optimizer state (per parameter, in
    the optimizer's order), random generators, epoch, history."""
    optimizer_state = optimizer.state_dict()
    arrays = {f"model.{name}": array for name, array in model.state_dict().items()}
    for i, state in enumerate(optimizer_state["state"]):
        arrays.update({f"optimizer.{i}.{key}": np.asarray(value) for key, value in state.items()})
    write_file(path, arrays, {
        "checkpoint": {"epoch": epoch, "optimizer": type(optimizer).__name__, "lr": optimizer_state["lr"],
                       "step_count": optimizer_state["step_count"], "parts": len(optimizer_state["state"]),
                       "fit_rng": rng.bit_generator.state, "dropout_rngs": rng_states(model),
                       "history": history.history, "epochs_done": history.epoch}})


CHECKPOINT_KEYS = {"epoch", "optimizer", "lr", "step_count", "parts", "fit_rng", "dropout_rngs", "history",
                   "epochs_done"}
MAX_EPOCHS = 10**9


def load_checkpoint(path, model, optimizer, rng):
    """Restore a `save_checkpoint` file into `model`, `optimizer` and `rng`; returns (epoch, history dict, epochs).

    Everything is checked first (weights, optimizer state, generators, history); only then is
    anything copied, so a checkpoint that does not fit leaves the model and optimizer as they were.
    """
    arrays, metadata = read_file(path)
    info = metadata.get("checkpoint")
    if not isinstance(info, dict):
        raise ModelFileError(f"{path}: a scratchgrad file, but not a training checkpoint")
    if set(info) != CHECKPOINT_KEYS:
        raise ModelFileError(f"{path}: checkpoint entries {sorted(info)}, expected {sorted(CHECKPOINT_KEYS)}")

    def fail(problem):
        raise ModelFileError(f"{path}: {problem}")

    if info["optimizer"] != type(optimizer).__name__:
        fail(f"saved with a {str(info['optimizer'])[:40]} optimizer, resumed with {type(optimizer).__name__}")
    if not _is_int(info["epoch"], -1, MAX_EPOCHS) or not _is_int(info["step_count"], 0, 2**62):
        fail(f"epoch {_short(info['epoch'])} or step count {_short(info['step_count'])} is not a sane integer")
    if not isinstance(info["lr"], (int, float)) or isinstance(info["lr"], bool) or not (
            math.isfinite(info["lr"]) and info["lr"] > 0):
        fail(f"learning rate {_short(info['lr'])} is not a positive number")
    if info["parts"] != len(optimizer.params):
        fail(f"optimizer state for {_short(info['parts'])} parameters, this optimizer has {len(optimizer.params)}")
    epochs_done, history = info["epochs_done"], info["history"]
    if not isinstance(epochs_done, list) or not all(_is_int(e, 0, MAX_EPOCHS) for e in epochs_done) \
            or len(epochs_done) > info["epoch"] + 1:
        fail("its list of epochs done is not valid")
    if not isinstance(history, dict) or not all(
            isinstance(values, list) and len(values) == len(epochs_done)
            and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values)
            for values in history.values()):
        fail("its history is not lists of numbers, one per epoch done")

    weights = {name[len("model."):]: a for name, a in arrays.items() if name.startswith("model.")}
    expected = {name: np.shape(array) for name, array in model.state_dict().items()}
    try:
        _check_tensors(expected, weights, what="the model")
    except ModelFileError as error:
        fail(error)
    state = [{} for _ in optimizer.params]
    for name, array in arrays.items():
        if name.startswith("model."):
            continue
        parts = name.split(".")
        if len(parts) != 3 or parts[0] != "optimizer" or not parts[1].isdigit() or int(parts[1]) >= len(state):
            fail(f"unexpected tensor {_short(name)}")
        state[int(parts[1])][parts[2]] = array
    fit_rng = np.random.default_rng()
    dropouts = _dropouts(model)
    if not isinstance(info["dropout_rngs"], list) or len(info["dropout_rngs"]) != len(dropouts):
        count = len(info["dropout_rngs"]) if isinstance(info["dropout_rngs"], list) else "no list of"
        fail(f"the checkpoint has {count} dropout generators, the model {len(dropouts)}")
    try:
        fit_rng.bit_generator.state = info["fit_rng"]
        scratch = [np.random.default_rng() for _ in dropouts]
        for generator, saved, dropout in zip(scratch, info["dropout_rngs"], dropouts):
            generator.bit_generator.state = saved
            if type(generator.bit_generator) is not type(dropout.rng.bit_generator):
                raise ValueError("another kind of generator")
        optimizer_state = {"lr": float(info["lr"]), "step_count": info["step_count"], "state": state}
        optimizer.check_state_dict(optimizer_state)
    except (TypeError, ValueError, KeyError, OverflowError) as error:
        fail(f"its optimizer state or random generators are not valid: {error}")

    model.load_state_dict(weights)  # checked above: from here on nothing can fail
    optimizer.load_state_dict(optimizer_state)
    rng.bit_generator.state = fit_rng.bit_generator.state
    for dropout, generator in zip(dropouts, scratch):
        dropout.rng.bit_generator.state = generator.bit_generator.state
    return info["epoch"], history, epochs_done


def _is_int(value, low, high):
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
