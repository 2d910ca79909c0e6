"""`fit`: the Keras-style training loop, with validation, callbacks and a progress bar.

`fit`, at the bottom, reads as a table of contents: argument checks, the hold-out split,
the epoch loop, checkpointing; each is a small function above it. Two pieces are shared
with the scikit-learn estimators, so both loops batch and fail alike: `batch_indices`
(one permutation per epoch, cut into mini-batches) and `DivergenceGuard` (stop when the
loss is no longer finite, and go back to the weights from before the step that broke it).
"""

from __future__ import annotations

import math
import operator
import os
import sys
import warnings
from dataclasses import dataclass

import numpy as np

from . import functional as F
from . import graph
from .checks import check_bool, check_choice, check_integer, check_number
from .errors import InvalidParameterError, TrainingDivergedError
from .nn.module import Module
from .tensor import Tensor

LOSSES = {
    "cross_entropy": F.cross_entropy,
    "mse": F.mse_loss,
    "binary_cross_entropy": F.binary_cross_entropy_with_logits,
}
# the names readers bring from Keras and the tutorials, in any case
LOSS_ALIASES = {"categorical_crossentropy": "cross_entropy", "sparse_categorical_crossentropy": "cross_entropy",
                "crossentropy": "cross_entropy", "mean_squared_error": "mse",
                "binary_crossentropy": "binary_cross_entropy"}
CLASSIFICATION_LOSSES = ("cross_entropy", "binary_cross_entropy")
METRICS = ("accuracy", "mae", "mse")


# ---- batches ----


def batch_indices(n_samples, batch_size, shuffle=True, rng=None):
    """Yield what selects each mini-batch of `n_samples` rows: index arrays drawn from one
    permutation per call when shuffling, else plain slices (NumPy views, no copy)."""
    if shuffle:
        order = (rng if rng is not None else np.random.default_rng()).permutation(n_samples)
        for start in range(0, n_samples, batch_size):
            yield order[start:start + batch_size]
    else:
        for start in range(0, n_samples, batch_size):
            yield slice(start, start + batch_size)


def rows_of(a, index):
    """`a[index]` for an index from `batch_indices`: a view for a slice, and for an index array
    into a NumPy array `take`, which copies the same rows a third faster than fancy indexing
    (anything else indexable, a Tensor or a torch tensor given to `batches`, is indexed as is)."""
    if isinstance(index, slice) or not isinstance(a, np.ndarray):
        return a[index]
    return a.take(index, axis=0)


def batches(X, y, batch_size, shuffle=True, rng=None):
    """Yield `(X_batch, y_batch)`; one permutation per call, each batch copied alone."""
    n = len(X)
    if len(y) != n:
        raise ValueError(f"batches: X has {n} samples but y has {len(y)}")
    batch_size = check_integer("batch_size", batch_size, minimum=1)
    for index in batch_indices(n, batch_size, shuffle, rng):
        yield rows_of(X, index), rows_of(y, index)


# ---- the divergence guard ----


def _shared_buffer(parameters):
    """The stretch of one flat array that the parameters' data cover end to end, in order (an
    optimizer's pack), or None."""
    return F.flat_stretch([p.data for p in parameters])


class DivergenceGuard:
    """Stops training when the loss is no longer finite, leaving the weights of the step before.

    The loss of a batch is checked before its step; a non-finite loss means the previous
    step broke the weights, so the guard keeps a copy of the weights from before every step
    and puts it back. The copy goes into arrays allocated once: one pass over the weights
    per step, against the three matrix products per layer of the forward and backward
    passes (each `batch_size` multiply-adds per weight) and the ~10 passes of an Adam step;
    the way back is then always exactly one step long, whatever the epoch or batch.
    The optimizer's own state (momentum, Adam's averages) is not rolled back.

    `who` starts each message ("fit", "MLPClassifier"), `unit` names the outer loop
    ("epoch", "iteration") and `advice` ends it.
    """

    def __init__(self, parameters, who="fit", unit="epoch", advice="try a lower learning rate"):
        self.parameters = list(parameters)
        self.who, self.unit, self.advice = who, unit, advice
        self.steps_taken = 0
        self._before_last_step = None
        self._flat_copy = self._flat_source = None
        self._arrays = None  # the parameters' arrays at the last look for a flat buffer

    def step(self, update):
        """`update()` (an optimizer's `step`, or a compiled step's backward and update), after
        copying the weights it starts from."""
        self._remember()
        update()
        self.steps_taken += 1

    def check_loss(self, value, epoch, batch):
        """Raise TrainingDivergedError (weights restored) if the loss `value` is NaN or infinite."""
        if math.isfinite(value):
            return
        if self.steps_taken == 0:
            raise TrainingDivergedError(
                f"{self.who}: the loss is {value} at {self.unit} {epoch}, batch {batch}, before any "
                f"update: the weights are unchanged. The data's scale or the initial weights give a "
                f"non-finite loss; scale the features and targets")
        self._restore()
        raise TrainingDivergedError(
            f"{self.who}: the loss became {value} at {self.unit} {epoch}, batch {batch}; training stopped "
            f"and the model keeps its weights from before the step that diverged (the last with a finite "
            f"loss); {self.advice}")

    def check_weights(self, epoch, batch):
        """After the last step of an epoch no loss follows to check it: check the weights themselves."""
        if self.steps_taken and not all(np.all(np.isfinite(p.data)) for p in self.parameters):
            self._restore()
            raise TrainingDivergedError(
                f"{self.who}: the weights became NaN or infinite at {self.unit} {epoch}, batch {batch}; "
                f"training stopped and the model keeps its weights from before that step; {self.advice}")

    def _remember(self):
        if self._before_last_step is None:
            self._before_last_step = [np.array(p.data, copy=True) for p in self.parameters]
            return
        arrays = [p.data for p in self.parameters]
        if self._arrays is None or not all(map(operator.is_, arrays, self._arrays)):  # a p.data was replaced
            self._arrays, self._flat_source = arrays, _shared_buffer(self.parameters)
            if self._flat_source is not None and (self._flat_copy is None
                                                  or self._flat_copy.shape != self._flat_source.shape):
                self._flat_copy = np.empty_like(self._flat_source)
        if self._flat_source is not None:  # the parameters are views of one flat array: one copy, not one each
            np.copyto(self._flat_copy, self._flat_source)
            return
        for saved, data in zip(self._before_last_step, arrays):
            np.copyto(saved, data)

    def _restore(self):
        if self._flat_source is not None:  # the parameters are still views of it: a step never repacks them
            np.copyto(self._flat_source, self._flat_copy)
            return
        for saved, p in zip(self._before_last_step, self.parameters):
            if isinstance(p.data, np.ndarray):
                p.data[...] = saved  # in place: views of p.data (an optimizer's buffer) stay valid
            else:
                p.data = float(saved)  # a Value's plain float


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

    def _repr_html_(self):  # Jupyter: a small table of the epochs, with the curves
        from .viz.notebook import history_html

        return history_html(self)

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
    """What callbacks may read and steer: `stop_training = True` ends `fit` after this epoch.

    `X` and `y` are the training rows (after any validation split), for callbacks that draw them.
    """

    def __init__(self, X=None, y=None):
        self.stop_training = False
        self.X, self.y = X, y


class EarlyStopping(Callback):
    """Stop when `monitor` has not improved by `min_delta` for `patience` epochs."""

    def __init__(self, monitor="val_loss", patience=5, min_delta=0.0, mode="auto",
                 restore_best_weights=False):
        self.mode = check_choice("mode", mode, ("auto", "min", "max"), where="EarlyStopping")
        self.patience = check_integer("patience", patience, minimum=0, where="EarlyStopping")
        self.min_delta = check_number("min_delta", min_delta, minimum=0, where="EarlyStopping")
        self.monitor = monitor
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
            raise InvalidParameterError(f"schedule must be a function of the epoch number, got {schedule!r}")
        self.schedule = schedule

    def on_epoch_begin(self, epoch, logs=None):
        self.optimizer.lr = self.schedule(epoch)


# ---- metrics on predictions ----


def _correct(outputs, targets, loss_name):
    """How many rows of `outputs` predict their target's class."""
    if loss_name == "binary_cross_entropy":
        return np.count_nonzero((outputs > 0) == (targets > 0.5))
    predicted = outputs.argmax(axis=1)
    labels = targets if targets.ndim == 1 else targets.argmax(axis=1)
    return np.count_nonzero(predicted == labels)


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


# ---- the progress bar ----


def _progress_bar(total, epoch, epochs, verbose):
    """A bar for one epoch (verbose=1), or None (verbose 0 or 2, or tqdm missing: lines per epoch).

    In Jupyter with ipywidgets, tqdm's widget bar. Without ipywidgets, tqdm.auto would
    pick the widget bar anyway, warn "IProgress not found" and draw nothing: there the text
    bar goes to stdout, which Jupyter redraws in place. Elsewhere, the text bar on stderr,
    silent when stderr is not a terminal (CI, pipes).
    """
    if verbose != 1:
        return None
    try:
        from tqdm.std import tqdm as text_bar
    except ImportError:
        warnings.warn("progress bars need tqdm: pip install 'scratchgrad[progress]' (showing a line per epoch)",
                      stacklevel=4)
        return None
    settings = dict(total=total, desc=f"epoch {epoch + 1}/{epochs}", leave=False, unit="batch")
    if not _in_jupyter():
        return text_bar(**settings, disable=None, file=sys.stderr)
    if _importable("ipywidgets"):
        from tqdm.notebook import tqdm as widget_bar

        return widget_bar(**settings)
    return text_bar(**settings, file=sys.stdout)


def _in_jupyter():
    """Running in a Jupyter kernel (notebook, lab, VS Code, Colab), not a Qt console or Spyder (tqdm's test)."""
    if "ipykernel.zmqshell" not in sys.modules or "IPython" not in sys.modules:
        return False
    if sys.modules["IPython"].get_ipython() is None:  # ipykernel imported, but no kernel running here
        return False
    return not any(name == "QT_API" or name.startswith("SPYDER") for name in os.environ)


def _importable(name):
    import importlib.util

    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _format_logs(logs):
    return "  ".join(f"{k} {v:.4f}" for k, v in logs.items())


# ---- argument checks ----


def _loss(loss):
    if callable(loss):
        return getattr(loss, "__name__", "custom"), loss
    name = loss.lower() if isinstance(loss, str) else None
    name = LOSS_ALIASES.get(name, name)
    if name not in LOSSES:
        raise InvalidParameterError(f"loss must be one of {sorted(LOSSES)} (or Keras's names for them) or a "
                                    f"function, got {loss!r}")
    return name, LOSSES[name]


def _metrics(metrics, loss_name):
    if metrics is None:
        return ("accuracy",) if loss_name in CLASSIFICATION_LOSSES else ()
    metrics = (metrics,) if isinstance(metrics, str) else tuple(metrics)
    metrics = tuple({"acc": "accuracy"}.get(m.lower(), m.lower()) if isinstance(m, str) else m for m in metrics)
    for metric in metrics:
        if metric not in METRICS:
            raise InvalidParameterError(f"metrics must be among {METRICS}, got {metric!r}")
        if metric == "accuracy" and loss_name not in CLASSIFICATION_LOSSES:
            raise InvalidParameterError(f"'accuracy' needs a classification loss, not {loss_name!r}")
        if metric != "accuracy" and loss_name in CLASSIFICATION_LOSSES:
            raise InvalidParameterError(
                f"'{metric}' compares outputs with targets of the same kind, but with loss={loss_name!r} the "
                f"outputs are class scores (logits) and the targets classes: use metrics=['accuracy'], or "
                f"loss='mse' on one-hot rows to train a regression on them")
    return metrics


def _check_arguments(model, loss, metrics, epochs, batch_size, shuffle, validation_split, verbose,
                     checkpoint_every):
    """Every argument of `fit` checked before any work: returns (loss name, loss function, metrics)."""
    if not isinstance(model, Module):
        raise InvalidParameterError(f"fit expects a scratchgrad Module, got {type(model).__name__}")
    loss_name, loss_fn = _loss(loss)
    check_integer("epochs", epochs, minimum=0, where="fit")
    check_integer("batch_size", batch_size, minimum=1, where="fit")
    check_bool("shuffle", shuffle, where="fit")
    check_number("validation_split", validation_split, minimum=0, maximum=1, high_open=True, where="fit")
    check_choice("verbose", verbose, (0, 1, 2), where="fit")
    check_integer("checkpoint_every", checkpoint_every, minimum=1, where="fit")
    return loss_name, loss_fn, _metrics(metrics, loss_name)


def _prepare(X, y, dtype, loss_name):
    """X and y as arrays of the model's dtype (class indices for cross_entropy), checked first."""
    X = np.asarray(X.data if isinstance(X, Tensor) else X)
    y = np.asarray(y.data if isinstance(y, Tensor) else y)
    if X.ndim != 2:
        raise ValueError(f"X must be 2-D (samples, features), got shape {X.shape}")
    if len(X) == 0:
        raise ValueError("X has no rows: there is nothing to train on")
    if y.ndim == 0:
        raise ValueError(f"y must hold one target per sample (a 1-D or 2-D array), got the single value {y}")
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} samples but y has {len(y)}")
    for name, what, array in (("X", "features", X), ("y", "targets", y)):
        if not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
            raise ValueError(f"{name} (the {what}) must be numeric, got dtype {array.dtype}")
        _check_finite(name, what, array)
    X = np.ascontiguousarray(X, dtype=dtype)  # rows in order: a batch's products round alike, slice or copy
    if loss_name == "cross_entropy" and y.ndim == 1:
        if y.dtype.kind == "f" and not np.all(y == np.round(y)):
            raise ValueError("cross_entropy needs integer class labels (or one-hot rows) in y")
        y = y.astype(np.intp, copy=False)
    else:
        y = y.astype(dtype, copy=False)
        if loss_name in ("mse", "binary_cross_entropy") and y.ndim == 1:
            y = y.reshape(-1, 1)
    return X, y


def _check_finite(name, what, array):
    if array.dtype.kind not in "fc" or np.all(np.isfinite(array)):
        return
    rows = np.flatnonzero(~np.isfinite(array).reshape(len(array), -1).all(axis=1))
    shown = ", ".join(str(row) for row in rows[:5]) + (", ..." if len(rows) > 5 else "")
    raise ValueError(f"{name} (the {what}) contains NaN or infinite values in {len(rows)} "
                     f"row{'s' if len(rows) > 1 else ''} ({shown}); remove or fill them before training")


def _class_weights(class_weight, y, n_classes):
    if class_weight is None:
        return None
    labels = y if y.ndim == 1 else y.argmax(axis=1)
    if isinstance(class_weight, str):
        check_choice("class_weight", class_weight, ("balanced",), where="fit")
        counts = np.bincount(labels, minlength=n_classes).astype(float)
        return np.where(counts > 0, len(labels) / (n_classes * np.maximum(counts, 1)), 0.0)
    weights = np.ones(n_classes)
    for label, weight in class_weight.items():
        if not 0 <= label < n_classes:
            raise InvalidParameterError(f"class_weight names class {label}, outside [0, {n_classes})")
        weights[label] = weight
    return weights


def _loss_arguments(class_weight, loss_name, model, X, y):
    """Extra keyword arguments of the loss function: the class weights, if any."""
    if class_weight is None:
        return {}
    if loss_name != "cross_entropy":
        raise InvalidParameterError("class_weight needs loss='cross_entropy'")
    was_training = model.training
    model.eval()  # in eval mode, dropout draws no random numbers: a resumed run stays exact
    with graph.no_grad():
        n_classes = model(Tensor(X[:1], dtype=X.dtype)).shape[-1]
    model.train(was_training)
    return {"weight": _class_weights(class_weight, y, n_classes)}


def _dtype_of(model):
    parameters = model.parameters()
    return parameters[0].data.dtype if parameters else np.float32


# ---- the hold-out split ----


def _hold_out(X, y, validation_split, validation_data, rng):
    """`(X, y, validation_data)`: `validation_split` of the rows drawn at random for validation
    (not Keras's last rows: data is often sorted by class), unless validation data is given."""
    if validation_data is not None or not validation_split:
        return X, y, validation_data
    n_val = int(round(len(X) * validation_split))
    if n_val < 1 or n_val >= len(X):
        raise InvalidParameterError(f"validation_split={validation_split} leaves no samples on one side "
                                    f"of {len(X)} rows")
    held_out = rng.permutation(len(X))
    validation = held_out[:n_val]
    training = held_out[n_val:]
    return X[training], y[training], (X[validation], y[validation])


# ---- the epoch loop ----


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
    guard: DivergenceGuard
    validation_data: tuple | None
    loss: object
    compiled: object = None  # a CompiledStep, or None to train eagerly
    compile: object = "auto"  # fit's `compile` argument


def _run_epoch(run, epoch, history):
    """Train one epoch, evaluate on the validation data, record and report it."""
    for callback in run.callbacks:
        callback.on_epoch_begin(epoch)
    logs = _train_one_epoch(run, epoch)
    if run.validation_data is not None:
        scores = evaluate(run.model, *run.validation_data, loss=run.loss, metrics=run.metrics,
                          class_weights=run.loss_args.get("weight"))
        logs.update({f"val_{k}": v for k, v in scores.items()})
    history.append(epoch, logs)
    if run.verbose:
        print(f"epoch {epoch + 1}/{run.epochs}  {_format_logs(logs)}")
    for callback in run.callbacks:
        callback.on_epoch_end(epoch, logs)


def _train_one_epoch(run, epoch):
    """One pass over the training rows in mini-batches: forward, loss, guard, backward, step."""
    model, callbacks, guard = run.model, run.callbacks, run.guard
    bar = _progress_bar(math.ceil(len(run.X) / run.batch_size), epoch, run.epochs, run.verbose)
    totals, seen, batch_number = {"loss": 0.0, **{m: 0.0 for m in run.metrics}}, 0, 0
    try:
        for index, rows in enumerate(batch_indices(len(run.X), run.batch_size, run.shuffle, run.rng)):
            Xb, yb, batch_number = rows_of(run.X, rows), rows_of(run.y, rows), index + 1
            for callback in callbacks:
                callback.on_batch_begin(index)
            if callbacks and run.compiled is not None and not run.compiled.matches_model():
                run.compiled = _compiled_step(run.compile, run)  # a callback changed the model: record anew
            if run.compiled is not None:  # the same arithmetic, recorded once (compile.py)
                value, outputs = run.compiled.forward_loss(Xb, yb)
                guard.check_loss(value, epoch + 1, batch_number)
                guard.step(run.compiled.backward_and_update)
            else:
                out = model(Tensor(Xb, dtype=Xb.dtype))
                batch_loss = run.loss_fn(out, yb, **run.loss_args)
                value, outputs = float(batch_loss.data), out.data
                guard.check_loss(value, epoch + 1, batch_number)
                run.optimizer.zero_grad()
                batch_loss.backward()
                guard.step(run.optimizer.step)
            totals["loss"] += value * len(Xb)
            for m, s in _metric_sums(run.metrics, outputs, yb, run.loss_name).items():
                totals[m] += s
            seen += len(Xb)
            if bar is not None:
                bar.update()
                bar.set_postfix({k: f"{v / seen:.4f}" for k, v in totals.items()}, refresh=False)
            for callback in callbacks:
                callback.on_batch_end(index, {"loss": value})
        guard.check_weights(epoch + 1, batch_number)
    finally:
        if bar is not None:
            bar.close()
    return {k: v / max(seen, 1) for k, v in totals.items()}


# ---- checkpointing ----


def _checkpoint_path(path):
    from pathlib import Path

    path = Path(path)
    return path / "checkpoint.safetensors" if path.suffix != ".safetensors" else path


def _resume(resume_from, model, optimizer, rng):
    """`(history, first epoch)`: empty and 0, or as the checkpoint at `resume_from` left them."""
    history = History()
    if resume_from is None:
        return history, 0
    from .io import load_checkpoint

    last_epoch, history.history, history.epoch = load_checkpoint(_checkpoint_path(resume_from), model,
                                                                   optimizer, rng)
    return history, last_epoch + 1


def _save_checkpoint_if_due(checkpoint_dir, checkpoint_every, run, epoch, history, stopping):
    """Every `checkpoint_every` epochs, at the last epoch, and when a callback stops the run."""
    if checkpoint_dir is None:
        return
    if (epoch + 1) % checkpoint_every == 0 or epoch + 1 == run.epochs or stopping:
        from .io import save_checkpoint

        save_checkpoint(_checkpoint_path(checkpoint_dir), run.model, run.optimizer, run.rng, epoch, history)


# ---- fit and evaluate ----


def _compiled_step(compile, run):
    """A CompiledStep for this run, or None (eager): see `fit`'s `compile`."""
    if compile is False:
        return None
    from .compile import CompileError, compile_step

    try:
        if not isinstance(run.loss, str):
            raise CompileError("a loss function of your own is run eagerly")
        if run.loss_args:
            raise CompileError("class_weight is not recorded")
        if run.loss_name == "cross_entropy" and run.y.ndim != 1:
            raise CompileError("cross_entropy on probability rows is not recorded")
        step = compile_step(run.model, run.loss_name, run.optimizer)
        if run.loss_name == "cross_entropy" and len(run.y):  # check every label once, not every batch
            step.check_targets = not (run.y.min() >= 0 and run.y.max() < step.out_features)
        return step
    except CompileError as reason:
        if compile is True:
            warnings.warn(f"fit: training eagerly, since the step cannot be compiled: {reason}", stacklevel=3)
        return None


def _default_optimizer(model):
    from .optim import Adam

    return Adam(model.parameters(), lr=1e-3)


def _attach(callbacks, model, optimizer, state):
    """The callbacks as a list, each told the model, the optimizer and the run's state."""
    callbacks = list(callbacks)
    for callback in callbacks:
        callback.model, callback.optimizer, callback.fit_state = model, optimizer, state
    return callbacks


def fit(model, X, y, loss="cross_entropy", optimizer=None, epochs=10, batch_size=32, shuffle=True,
        validation_split=0.0, validation_data=None, metrics=None, class_weight=None, callbacks=(),
        verbose=1, seed=None, checkpoint_dir=None, checkpoint_every=1, resume_from=None,
        compile="auto") -> History:
    """Train `model` on `(X, y)` in mini-batches, Keras-style; returns the per-epoch History.

    Parameters
    ----------
    model : Module
        A tensor-engine network, such as `nn.MLP`.
    X : array-like of shape (n_samples, n_features)
        The features; NaN or infinite values are refused before training, naming the rows.
    y : array-like
        Class indices or one-hot rows (cross_entropy), 0/1 (binary_cross_entropy), or the
        targets (mse); checked for NaN and infinity as X is.
    loss : {'cross_entropy', 'mse', 'binary_cross_entropy'} or callable, default='cross_entropy'
        The loss, or a function `(outputs, targets) -> scalar Tensor`.
    optimizer : Optimizer, optional
        Default: `optim.Adam(model.parameters(), lr=1e-3)`.
    epochs : int, default=10
        Passes over the training rows.
    batch_size : int, default=32
        Rows per step.
    shuffle : bool, default=True
        A new order of the rows every epoch, drawn from `seed`.
    validation_split : float, default=0.0
        The share of rows held out for validation, drawn at random with `seed` (Keras takes
        the last rows, which leaves whole classes out of sorted data).
    validation_data : tuple (X_val, y_val), optional
        Validation rows of your own, instead of `validation_split`.
    metrics : sequence of {'accuracy', 'mae', 'mse'}, optional
        Default: accuracy for classification losses, none for mse.
    class_weight : dict or 'balanced', optional
        Weights per class index (cross_entropy only).
    callbacks : sequence of Callback, default=()
        Hooks run at the start and end of training, epochs and batches.
    verbose : {0, 1, 2}, default=1
        0 silent; 1 a progress bar per epoch (a widget in Jupyter with ipywidgets, text on
        a terminal, nothing in CI or pipes) and a line per epoch; 2 a line per epoch.
    seed : int, optional
        Seeds the hold-out split and the batch order.
    checkpoint_dir : str or Path, optional
        Keep `checkpoint.safetensors` there (model, optimizer state, random generators,
        epoch, history), rewritten every `checkpoint_every` epochs, at the last epoch and
        when a callback stops the run.
    checkpoint_every : int, default=1
        Epochs between checkpoints.
    resume_from : str or Path, optional
        A checkpoint (or its folder) to continue from, with the same model, optimizer type,
        data and seed, to the same result as a run never stopped. Callback state (such as
        EarlyStopping's patience count) is not in the checkpoint.
    compile : {'auto', True, False}, default='auto'
        Train with a compiled step (compile.py: recorded once per batch size, replayed into
        preallocated arrays; bit for bit the same weights as eager training, faster). 'auto'
        compiles what it can (models of the layer table's types, the named losses, class
        indices, no class_weight) and trains the rest eagerly; True does the same but warns,
        saying why, when it cannot; False always trains eagerly.

    Returns
    -------
    History
        `history["loss"]`, `history["val_loss"]` and the metrics, one value per epoch.

    Raises
    ------
    TrainingDivergedError
        When the loss (or a weight) becomes NaN or infinite. The model then holds its
        weights from before the step that diverged, the last with a finite loss; the
        optimizer's state is not rolled back, so make a new optimizer to train on.
    InvalidParameterError
        For an argument of the wrong type or out of range, before any training.
    """
    loss_name, loss_fn, metrics = _check_arguments(model, loss, metrics, epochs, batch_size, shuffle,
                                                   validation_split, verbose, checkpoint_every)
    check_choice("compile", compile, ("auto", True, False), where="fit")
    X, y = _prepare(X, y, _dtype_of(model), loss_name)
    rng = np.random.default_rng(seed)
    X, y, validation_data = _hold_out(X, y, validation_split, validation_data, rng)
    optimizer = optimizer if optimizer is not None else _default_optimizer(model)
    loss_args = _loss_arguments(class_weight, loss_name, model, X, y)
    history, start_epoch = _resume(resume_from, model, optimizer, rng)

    state = FitState(X, y)
    run = _Run(model=model, X=X, y=y, loss=loss, loss_name=loss_name, loss_fn=loss_fn,
               loss_args=loss_args, optimizer=optimizer,
               metrics=metrics, batch_size=batch_size, shuffle=shuffle, rng=rng,
               callbacks=_attach(callbacks, model, optimizer, state), epochs=epochs, verbose=verbose,
               guard=DivergenceGuard(model.parameters()), validation_data=validation_data)
    run.compile = compile
    run.compiled = _compiled_step(compile, run)
    for callback in run.callbacks:
        callback.on_train_begin()
    model.train()
    try:
        for epoch in range(start_epoch, epochs):
            _run_epoch(run, epoch, history)
            _save_checkpoint_if_due(checkpoint_dir, checkpoint_every, run, epoch, history, state.stop_training)
            if state.stop_training:
                break
    finally:
        for callback in run.callbacks:
            callback.on_train_end()
    return history


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
