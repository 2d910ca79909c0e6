"""`fit`: the Keras-style training loop, with validation, callbacks and a progress bar."""

from __future__ import annotations

import math
import sys
import warnings
from dataclasses import dataclass

import numpy as np

from . import functional as F
from . import graph
from .errors import TrainingDivergedError
from .nn.module import Module
from .tensor import Tensor

LOSSES = {
    "cross_entropy": F.cross_entropy,
    "mse": F.mse_loss,
    "binary_cross_entropy": F.binary_cross_entropy_with_logits,
}
CLASSIFICATION_LOSSES = ("cross_entropy", "binary_cross_entropy")



# ---- batches ----


def batches(X, y, batch_size, shuffle=True, rng=None):
    """Yield `(X_batch, y_batch)`; one permutation per call, each batch copied alone."""
    n = len(X)
    if len(y) != n:
        raise ValueError(f"batches: X has {n} samples but y has {len(y)}")
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    if shuffle:
        order = (rng if rng is not None else np.random.default_rng()).permutation(n)
        for start in range(0, n, batch_size):
            index = order[start:start + batch_size]
            yield X[index], y[index]
    else:
        for start in range(0, n, batch_size):
            yield X[start:start + batch_size], y[start:start + batch_size]


# ---- history and callbacks ----


class History:
    """Per-epoch `loss`, `val_loss` and metrics, as Keras's `History.history`."""

    def __init__(self):
        self.history = {}
        self.epoch = []

    def append(self, epoch, logs):
        self.epoch.append(epoch)
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)

    def __getitem__(self, key):
        return self.history[key]

    def __repr__(self):
        last = {k: round(v[-1], 4) for k, v in self.history.items()}
        return f"History({len(self.epoch)} epochs, last: {last})"


class Callback:
    """Hooks called by `fit`; `self.model`, `self.optimizer` and `self.fit_state` are set by it."""

    def on_train_begin(self, logs=None): ...
    def on_train_end(self, logs=None): ...
    def on_epoch_begin(self, epoch, logs=None): ...
    def on_epoch_end(self, epoch, logs=None): ...
    def on_batch_begin(self, batch, logs=None): ...
    def on_batch_end(self, batch, logs=None): ...


class FitState:
    """What callbacks may read and steer: `stop_training = True` ends `fit` after this epoch."""

    def __init__(self):
        self.stop_training = False


class EarlyStopping(Callback):
    """Stop when `monitor` has not improved by `min_delta` for `patience` epochs."""

    def __init__(self, monitor="val_loss", patience=5, min_delta=0.0, mode="auto",
                 restore_best_weights=False):
        if mode not in ("auto", "min", "max"):
            raise ValueError(f"mode must be 'auto', 'min' or 'max', got {mode!r}")
        if patience < 0 or min_delta < 0:
            raise ValueError("patience and min_delta must be >= 0")
        self.monitor, self.patience, self.min_delta = monitor, patience, min_delta
        self.restore_best_weights = restore_best_weights
        self.maximize = mode == "max" or (mode == "auto" and "acc" in monitor)

    def on_train_begin(self, logs=None):
        self.best, self.best_epoch, self.best_weights, self.wait = None, None, None, 0
        self.stopped_epoch = None

    def _improved(self, value):
        if self.best is None:
            return True
        return value > self.best + self.min_delta if self.maximize else value < self.best - self.min_delta

    def on_epoch_end(self, epoch, logs=None):
        if self.monitor not in logs:
            raise KeyError(f"EarlyStopping monitors {self.monitor!r}, but the logs have only "
                           f"{sorted(logs)} (val_ entries need validation data)")
        value = logs[self.monitor]
        if self._improved(value):
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if self.restore_best_weights:
                self.best_weights = self.model.state_dict()
        else:
            self.wait += 1
            if self.wait > self.patience:
                self.fit_state.stop_training = True
                self.stopped_epoch = epoch

    def on_train_end(self, logs=None):
        if self.restore_best_weights and self.best_weights is not None:
            self.model.load_state_dict(self.best_weights)


class LearningRateScheduler(Callback):
    """Set `optimizer.lr = schedule(epoch)` at the start of every epoch (see optim's schedules)."""

    def __init__(self, schedule):
        if not callable(schedule):
            raise TypeError(f"schedule must be a function of the epoch number, got {schedule!r}")
        self.schedule = schedule

    def on_epoch_begin(self, epoch, logs=None):
        self.optimizer.lr = self.schedule(epoch)


# ---- metrics on predictions ----


def _correct(outputs, targets, loss_name):
    """How many rows of `outputs` predict their target's class."""
    if loss_name == "binary_cross_entropy":
        return int(np.sum((outputs > 0) == (targets > 0.5)))
    predicted = outputs.argmax(axis=1)
    labels = targets if targets.ndim == 1 else targets.argmax(axis=1)
    return int(np.sum(predicted == labels))


METRICS = ("accuracy", "mae", "mse")


def _metric_sums(metrics, outputs, targets, loss_name):
    sums = {}
    for metric in metrics:
        if metric == "accuracy":
            sums[metric] = _correct(outputs, targets, loss_name)
        else:
            difference = outputs - targets.reshape(outputs.shape)
            per_row = np.abs(difference) if metric == "mae" else difference * difference
            sums[metric] = float(per_row.mean(axis=tuple(range(1, per_row.ndim))).sum()) \
                if per_row.ndim > 1 else float(per_row.sum())
    return sums


# ---- fit ----


def _prepare(X, y, dtype, loss_name, n_outputs=None):
    X = np.asarray(X.data if isinstance(X, Tensor) else X)
    y = np.asarray(y.data if isinstance(y, Tensor) else y)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (samples, features), got shape {X.shape}")
    if not np.issubdtype(X.dtype, np.number):
        raise TypeError(f"X must be numeric, got dtype {X.dtype}")
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} samples but y has {len(y)}")
    if not np.all(np.isfinite(X)):
        raise ValueError("X contains NaN or infinite values")
    X = X.astype(dtype, copy=False)
    if loss_name == "cross_entropy" and y.ndim == 1:
        if y.dtype.kind == "f" and not np.all(y == np.round(y)):
            raise ValueError("cross_entropy needs integer class labels (or one-hot rows) in y")
        y = y.astype(np.intp, copy=False)
    else:
        y = y.astype(dtype, copy=False)
        if loss_name in ("mse", "binary_cross_entropy") and y.ndim == 1:
            y = y.reshape(-1, 1)
    return X, y


def _class_weights(class_weight, y, n_classes):
    if class_weight is None:
        return None
    labels = y if y.ndim == 1 else y.argmax(axis=1)
    if isinstance(class_weight, str):
        if class_weight != "balanced":
            raise ValueError(f"class_weight must be a dict or 'balanced', got {class_weight!r}")
        counts = np.bincount(labels, minlength=n_classes).astype(float)
        return np.where(counts > 0, len(labels) / (n_classes * np.maximum(counts, 1)), 0.0)
    weights = np.ones(n_classes)
    for label, weight in class_weight.items():
        if not 0 <= label < n_classes:
            raise ValueError(f"class_weight names class {label}, outside [0, {n_classes})")
        weights[label] = weight
    return weights


def _progress_bar(total, epoch, epochs, verbose):
    """A tqdm bar for one epoch, or None (verbose != 1, or tqdm missing: then epoch lines)."""
    if verbose != 1:
        return None
    try:
        from tqdm.auto import tqdm
    except ImportError:
        warnings.warn("progress bars need tqdm: pip install 'scratchgrad[progress]' (showing a line per epoch)",
                      stacklevel=4)
        return None
    return tqdm(total=total, desc=f"epoch {epoch + 1}/{epochs}", leave=False, disable=None,
                unit="batch", file=sys.stderr)


def _format_logs(logs):
    return "  ".join(f"{k} {v:.4f}" for k, v in logs.items())


def evaluate(model, X, y, loss="cross_entropy", metrics=None, batch_size=1024, class_weights=None):
    """Mean loss and metrics of `model` on `(X, y)`, in eval mode, building no graph."""
    loss_name, loss_fn = _loss(loss)
    dtype = _dtype_of(model)
    X, y = _prepare(X, y, dtype, loss_name)
    metrics = _metrics(metrics, loss_name)
    was_training = model.training
    model.eval()
    totals, weight_total = {"loss": 0.0, **{m: 0.0 for m in metrics}}, 0
    with graph.no_grad():
        for Xb, yb in batches(X, y, batch_size, shuffle=False):
            out = model(Tensor(Xb, dtype=dtype))
            batch_loss = loss_fn(out, yb, **({"weight": class_weights} if class_weights is not None else {}))
            totals["loss"] += float(batch_loss.data) * len(Xb)
            for m, s in _metric_sums(metrics, out.data, yb, loss_name).items():
                totals[m] += s
            weight_total += len(Xb)
    model.train(was_training)
    return {k: v / max(weight_total, 1) for k, v in totals.items()}


def _loss(loss):
    if callable(loss):
        return getattr(loss, "__name__", "custom"), loss
    if loss not in LOSSES:
        raise ValueError(f"loss must be one of {sorted(LOSSES)} or a function, got {loss!r}")
    return loss, LOSSES[loss]


def _metrics(metrics, loss_name):
    if metrics is None:
        return ("accuracy",) if loss_name in CLASSIFICATION_LOSSES else ()
    metrics = (metrics,) if isinstance(metrics, str) else tuple(metrics)
    for metric in metrics:
        if metric not in METRICS:
            raise ValueError(f"metrics must be among {METRICS}, got {metric!r}")
        if metric == "accuracy" and loss_name not in CLASSIFICATION_LOSSES:
            raise ValueError(f"'accuracy' needs a classification loss, not {loss_name!r}")
    return metrics


def _dtype_of(model):
    parameters = model.parameters()
    return parameters[0].data.dtype if parameters else np.float32


def fit(model, X, y, loss="cross_entropy", optimizer=None, epochs=10, batch_size=32, shuffle=True,
        validation_split=0.0, validation_data=None, metrics=None, class_weight=None, callbacks=(),
        verbose=1, seed=None, checkpoint_dir=None, checkpoint_every=1, resume_from=None) -> History:
    """Train `model` on `(X, y)` with mini-batches; returns the per-epoch History.

    `y` holds class indices or one-hot rows (cross_entropy), 0/1 (binary_cross_entropy),
    or targets (mse). `metrics` defaults to accuracy for classification losses.
    `validation_split` holds out that fraction of the samples, drawn at random with `seed`
    (Keras takes the last rows, which leaves whole classes out of sorted data).
    `verbose`: 0 silent, 1 a progress bar per epoch (only on a terminal), 2 a line per epoch.

    `checkpoint_dir` keeps `checkpoint.safetensors` there (model, optimizer state, random
    generators, epoch, history), rewritten every `checkpoint_every` epochs; `resume_from`
    (that file or its folder) continues a run from it, with the same model, optimizer
    type, data and seed, to the same result as a run never stopped. Callback state (such
    as EarlyStopping's patience count) is not in the checkpoint.
    """
    if not isinstance(model, Module):
        raise TypeError(f"fit expects a scratchgrad Module, got {type(model).__name__}")
    loss_name, loss_fn = _loss(loss)
    metrics = _metrics(metrics, loss_name)
    if not isinstance(epochs, (int, np.integer)) or epochs < 0:
        raise ValueError(f"epochs must be a non-negative integer, got {epochs!r}")
    if not 0 <= validation_split < 1:
        raise ValueError(f"validation_split must be in [0, 1), got {validation_split}")
    if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"batch_size must be a positive integer, got {batch_size!r}")
    if verbose not in (0, 1, 2):
        raise ValueError(f"verbose must be 0, 1 or 2, got {verbose!r}")
    if not isinstance(checkpoint_every, (int, np.integer)) or checkpoint_every < 1:
        raise ValueError(f"checkpoint_every must be a positive integer, got {checkpoint_every!r}")
    dtype = _dtype_of(model)
    X, y = _prepare(X, y, dtype, loss_name)
    rng = np.random.default_rng(seed)
    if validation_data is None and validation_split:
        n_val = int(round(len(X) * validation_split))
        if n_val < 1 or n_val >= len(X):
            raise ValueError(f"validation_split={validation_split} leaves no samples on one side")
        held_out = rng.permutation(len(X))  # random, not Keras's last rows: data is often sorted
        validation_data = (X[held_out[:n_val]], y[held_out[:n_val]])
        X, y = X[held_out[n_val:]], y[held_out[n_val:]]
    if optimizer is None:
        from .optim import Adam

        optimizer = Adam(model.parameters(), lr=1e-3)

    extra_loss_args = {}
    if class_weight is not None:
        if loss_name != "cross_entropy":
            raise ValueError("class_weight needs loss='cross_entropy'")
        n_classes = model(Tensor(X[:1], dtype=dtype)).shape[-1]
        extra_loss_args["weight"] = _class_weights(class_weight, y, n_classes)

    history, state = History(), FitState()
    start_epoch = 0
    if resume_from is not None:
        from .io import load_checkpoint

        last_epoch, history.history, history.epoch = load_checkpoint(_checkpoint_path(resume_from), model,
                                                                       optimizer, rng)
        start_epoch = last_epoch + 1
    callbacks = list(callbacks)
    for callback in callbacks:
        callback.model, callback.optimizer, callback.fit_state = model, optimizer, state
    for callback in callbacks:
        callback.on_train_begin()

    run = _Run(model, X, y, loss_fn, extra_loss_args, optimizer, metrics, loss_name, batch_size, shuffle, rng,
               callbacks, epochs, verbose)
    model.train()
    try:
        for epoch in range(start_epoch, epochs):
            for callback in callbacks:
                callback.on_epoch_begin(epoch)
            logs = _train_one_epoch(run, epoch)
            if validation_data is not None:
                val = evaluate(model, *validation_data, loss=loss, metrics=metrics,
                               class_weights=extra_loss_args.get("weight"))
                logs.update({f"val_{k}": v for k, v in val.items()})
            history.append(epoch, logs)
            if verbose:
                print(f"epoch {epoch + 1}/{epochs}  {_format_logs(logs)}")
            for callback in callbacks:
                callback.on_epoch_end(epoch, logs)
            if checkpoint_dir is not None and ((epoch + 1) % checkpoint_every == 0 or epoch + 1 == epochs
                                               or state.stop_training):
                from .io import save_checkpoint

                save_checkpoint(_checkpoint_path(checkpoint_dir), model, optimizer, rng, epoch, history)
            if state.stop_training:
                break
    finally:
        for callback in callbacks:
            callback.on_train_end()
    return history


def _checkpoint_path(path):
    from pathlib import Path

    path = Path(path)
    return path / "checkpoint.safetensors" if path.suffix != ".safetensors" else path


@dataclass
class _Run:
    """What every epoch of one `fit` call shares."""

    model: Module
    X: np.ndarray
    y: np.ndarray
    loss_fn: object
    loss_args: dict
    optimizer: object
    metrics: tuple
    loss_name: str
    batch_size: int
    shuffle: bool
    rng: np.random.Generator
    callbacks: list
    epochs: int
    verbose: int


def _train_one_epoch(run, epoch):
    model, optimizer, callbacks = run.model, run.optimizer, run.callbacks
    bar = _progress_bar(math.ceil(len(run.X) / run.batch_size), epoch, run.epochs, run.verbose)
    snapshot = None
    totals, seen = {"loss": 0.0, **{m: 0.0 for m in run.metrics}}, 0
    try:
        for index, (Xb, yb) in enumerate(batches(run.X, run.y, run.batch_size, run.shuffle, run.rng)):
            for callback in callbacks:
                callback.on_batch_begin(index)
            out = model(Tensor(Xb, dtype=Xb.dtype))
            batch_loss = run.loss_fn(out, yb, **run.loss_args)
            value = float(batch_loss.data)
            if not math.isfinite(value):
                _keep_finite_weights(model, snapshot)
                raise TrainingDivergedError(
                    f"loss became {value} at epoch {epoch + 1}, batch {index + 1}; training stopped "
                    f"and the model keeps its last finite weights (try a lower learning rate)"
                )
            optimizer.zero_grad()
            batch_loss.backward()
            if snapshot is None:  # weights before this epoch's first update, for the NaN guard
                snapshot = model.state_dict()
            optimizer.step()
            totals["loss"] += value * len(Xb)
            for m, s in _metric_sums(run.metrics, out.data, yb, run.loss_name).items():
                totals[m] += s
            seen += len(Xb)
            if bar is not None:
                bar.update()
                bar.set_postfix({k: f"{v / seen:.4f}" for k, v in totals.items()}, refresh=False)
            for callback in callbacks:
                callback.on_batch_end(index, {"loss": value})
    finally:
        if bar is not None:
            bar.close()
    return {k: v / max(seen, 1) for k, v in totals.items()}


def _keep_finite_weights(model, snapshot):
    if snapshot is not None and not all(np.all(np.isfinite(p.data)) for p in model.parameters()):
        model.load_state_dict(snapshot)

