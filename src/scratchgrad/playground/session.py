"""One learner's experiment: data, network, optimizer, and the pictures of it at each frame.

A `Session` belongs to one browser tab. It trains with scratchgrad's public API only, in
exactly the steps that the "show code" script (script.py) writes out, so the script run on
its own reaches the same losses. `frame()` packs what the page draws: the output over a
64 x 64 grid of the plane, each neuron's output as a small heatmap, the weights and the
losses. Pictures travel as bytes (0..255, base64): a frame of a 2-[8,8]-1 network is ~30 kB.
"""

from __future__ import annotations

import base64
import math
import re

import numpy as np

from .. import functional as F
from .. import nn, optim
from ..errors import InvalidParameterError
from ..graph import no_grad
from ..tensor import Tensor
from . import micrograd_view, script
from .data import (
    DATASET_TITLES,
    DOMAIN,
    make_dataset,
    make_features,
    parse_csv,
    split_indices,
    split_train_test,
)
from .settings import DEFAULT_SETTINGS, MOMENTUM, Limits, Settings

GRID = 64  # the output picture: GRID x GRID points of the plane
THUMBNAIL_STEP = 2  # neuron heatmaps keep every 2nd grid point: 32 x 32
LONG_SCRIPT = 50_000  # characters: a script this long is not resent with every epoch of play


def grid_points(size=GRID):
    """(size², 2) cell centres of [-6, 6]², row by row from the top (x2 = +6) down."""
    centres = -DOMAIN + (np.arange(size) + 0.5) * (2 * DOMAIN / size)
    x1, x2 = np.meshgrid(centres, centres[::-1])
    return np.c_[x1.ravel(), x2.ravel()]


def to_bytes(values) -> str:
    """Numbers in [0, 1] as base64 of one byte each."""
    return base64.b64encode(np.round(np.clip(values, 0, 1) * 255).astype(np.uint8).tobytes()).decode("ascii")


def heatmap(values):
    """`{"scale", "data"}`: values in [-scale, scale] mapped to bytes (128 is zero)."""
    scale = float(np.max(np.abs(values))) if values.size else 0.0
    scale = scale if math.isfinite(scale) and scale > 1e-12 else 1.0
    return {"scale": scale, "data": to_bytes((np.nan_to_num(values) / scale + 1) / 2)}


class CustomData:
    """An uploaded CSV, parsed and scaled (see data.parse_csv)."""

    def __init__(self, filename, text, task, limits: Limits):
        if not isinstance(text, str):
            raise InvalidParameterError("the upload must be the CSV file's text")
        size = len(text.encode("utf-8"))
        if size > limits.max_csv_bytes:
            raise InvalidParameterError(f"the CSV file is {size:,} bytes; the playground takes at most "
                                        f"{limits.max_csv_bytes:,}")
        # shown in the page and written into the script's docstring: plain characters only
        self.filename = re.sub(r"[^\w. ()-]", "_", str(filename))[:100] or "data.csv"
        self.task = task
        self.X, self.y, self.classes, self.columns = parse_csv(text, task, limits.max_csv_rows)


class Session:
    def __init__(self, limits: Limits | None = None, settings: Settings = DEFAULT_SETTINGS):
        self.limits = limits or Limits()
        self.custom_data = None
        self.micrograd_point = None  # index of the training point shown in the micrograd view
        self.show_code = False
        self.settings = settings
        self.build()

    # ---- what the learner changes ----

    def configure(self, changes):
        settings = self.settings.updated(changes, self.limits)
        if settings.dataset == "csv" and (self.custom_data is None or self.custom_data.task != settings.task):
            raise InvalidParameterError("upload a CSV file first (for this task): the 'csv' dataset is your own data")
        self.settings = settings
        self.build()

    def upload(self, filename, text, task=None):
        task = self.settings.task if task is None else task
        custom_data = CustomData(filename, text, task, self.limits)  # check everything before changing anything
        settings = self.settings.updated({"task": task, "dataset": "csv"}, self.limits)
        self.custom_data, self.settings = custom_data, settings
        self.build()

    def regenerate(self):
        self.settings = self.settings.updated({"seed": (self.settings.seed + 1) % 2**31}, self.limits)
        self.build()

    def build(self):
        """Data, network and optimizer from the settings: epoch 0 (the same every time for one seed)."""
        s = self.settings
        if s.dataset == "csv":
            X, y = self.custom_data.X, self.custom_data.y
            self.class_names = self.custom_data.classes
        else:
            X, y = make_dataset(s.dataset, s.n_points, s.noise, s.seed)
            self.class_names = [str(c) for c in range(int(y.max()) + 1)] if s.task == "classification" else None
        self.points, self.labels = X, y
        self.n_classes = len(self.class_names) if self.class_names else 0
        features = make_features(X, s.feature_order)
        (self.X_train, y_train), (self.X_test, y_test) = split_train_test(features, y, s.train_fraction, s.seed)
        self.train_points, self.test_points = self._points_of_split(X, y)
        self.y_train, self.y_test = self._targets(y_train), self._targets(y_test)
        self.n_outputs = self.n_classes if self.n_classes > 2 else 1
        self.model = nn.MLP(len(s.feature_order), list(s.hidden), self.n_outputs, activation=s.activation,
                            seed=s.seed)
        self.linears = [layer for layer in self.model if isinstance(layer, nn.Linear)]
        parameters = self.model.parameters()
        if s.optimizer == "adam":
            self.optimizer = optim.Adam(parameters, lr=s.lr)
        else:
            self.optimizer = optim.SGD(parameters, lr=s.lr, momentum=MOMENTUM if s.optimizer == "momentum" else 0.0)
        self.shuffle_rng = np.random.default_rng([s.seed, 1])
        self.grid_features = make_features(grid_points(), s.feature_order)
        self.epoch = 0
        self.diverged = False
        self.history = []  # (epoch, train loss, test loss)
        self.snapshots = []  # (epoch, output picture) for the HTML replay
        self.snapshot_every = 1
        self._sent_until = -1  # the last epoch whose losses the page has
        if self.micrograd_point is not None and self.micrograd_point >= len(self.X_train):
            self.micrograd_point = 0
        self._record()

    def _points_of_split(self, X, y):
        """(x1, x2, label) rows of the training and the test points, for the picture."""
        train, test = split_indices(len(X), self.settings.train_fraction, self.settings.seed)
        return np.c_[X[train], y[train]], np.c_[X[test], y[test]]

    def _targets(self, y):
        if self.settings.task == "classification" and self.n_classes > 2:
            return y.astype(np.int64)
        return y.astype(np.float32).reshape(-1, 1)

    def loss_of(self, outputs, targets):
        if self.settings.task == "regression":
            return F.mse_loss(outputs, targets)
        if self.n_classes > 2:
            return F.cross_entropy(outputs, targets)
        return F.binary_cross_entropy_with_logits(outputs, targets)

    # ---- training: the same steps as the script the code panel shows ----

    def train(self, epochs=1):
        if self.diverged:
            raise InvalidParameterError("training diverged (the loss is not a number): lower the learning rate "
                                        "or the regularization rate, then reset")
        with np.errstate(over="ignore", invalid="ignore"):  # a diverging run is reported in the page instead
            for _ in range(epochs):
                self._train_epoch()
                self.epoch += 1
                self._record()
                if self.diverged:
                    break

    def _train_epoch(self):
        s = self.settings
        order = self.shuffle_rng.permutation(len(self.X_train))
        batch_size = min(s.batch_size, len(order))
        for start in range(0, len(order), batch_size):
            batch = order[start:start + batch_size]
            self.optimizer.zero_grad()
            loss = self.loss_of(self.model(self.X_train[batch]), self.y_train[batch])
            loss.backward()
            for layer in self.linears:  # the penalty's gradient, on weights only (not biases)
                if s.regularization == "l2":
                    layer.weight.grad += s.regularization_rate * layer.weight.data
                elif s.regularization == "l1":
                    layer.weight.grad += s.regularization_rate * np.sign(layer.weight.data)
            self.optimizer.step()

    @property
    def steps_per_epoch(self):
        return -(-len(self.X_train) // min(self.settings.batch_size, len(self.X_train)))

    def losses(self):
        with no_grad():
            train = self.loss_of(self.model(self.X_train), self.y_train).item()
            test = self.loss_of(self.model(self.X_test), self.y_test).item()
        return train, test

    def _record(self):
        train, test = self.losses()
        if not (math.isfinite(train) and math.isfinite(test)):
            self.diverged = True
        self.history.append((self.epoch, train, test))
        if len(self.history) > self.limits.max_history:  # a long run keeps every other point, and the last
            self.history = self.history[:-1:2] + self.history[-1:]
        if self.epoch % self.snapshot_every == 0:
            self._grid_pass = (self.epoch, self._forward_grid())  # the next frame reuses it
            self.snapshots.append((self.epoch, self._output_picture(self._grid_pass[1][0])))
            if len(self.snapshots) > self.limits.replay_max_snapshots:  # keep every other one, twice as sparse
                self.snapshots = self.snapshots[::2]
                self.snapshot_every *= 2

    # ---- pictures ----

    def _forward_grid(self):
        """Network output and each hidden layer's activations over the grid."""
        hidden = []
        with no_grad():
            x = Tensor(self.grid_features)
            for layer in self.model:
                x = layer(x)
                if not isinstance(layer, nn.Linear):
                    hidden.append(x.data)
        return x.data, hidden

    def _output_picture(self, outputs):
        """The output as bytes: P(class 1), per-class probabilities, or the regression value in [-1, 1]."""
        if self.settings.task == "regression":
            return to_bytes((np.nan_to_num(outputs[:, 0]) + 1) / 2)
        if self.n_classes > 2:
            shifted = np.exp(outputs - outputs.max(axis=1, keepdims=True))
            return to_bytes(np.nan_to_num(shifted / shifted.sum(axis=1, keepdims=True)).ravel())
        return to_bytes(1 / (1 + np.exp(-np.clip(np.nan_to_num(outputs[:, 0]), -50, 50))))

    def frame(self, while_playing=False) -> dict:
        """What the page draws now. `while_playing`: leave out a long script (an uploaded CSV's
        data in it) that would be sent again with every epoch; the page asks for it on pause."""
        epoch, grid_pass = self._grid_pass
        outputs, hidden = grid_pass if epoch == self.epoch else self._forward_grid()
        small = GRID // THUMBNAIL_STEP
        neurons = [[heatmap(a.reshape(GRID, GRID, -1)[::THUMBNAIL_STEP, ::THUMBNAIL_STEP, j])
                    for j in range(a.shape[1])] for a in hidden]
        new_history = []
        for entry in reversed(self.history):
            if entry[0] <= self._sent_until:
                break
            new_history.insert(0, entry)
        self._sent_until = self.history[-1][0]
        epoch, train, test = self.history[-1]
        message = {
            "type": "frame", "epoch": epoch, "train_loss": finite_or_none(train), "test_loss": finite_or_none(test),
            "diverged": self.diverged,
            "history": [[e, finite_or_none(a), finite_or_none(b)] for e, a, b in new_history],
            "output": self._output_picture(outputs), "neurons": neurons, "thumbnail_size": small,
            "weights": [{"weight": np.round(np.nan_to_num(layer.weight.data), 5).tolist(),
                         "bias": np.round(np.nan_to_num(layer.bias.data), 5).tolist()} for layer in self.linears],
        }
        if self.micrograd_point is not None:
            message["micrograd"] = micrograd_view.graph_for_point(self, self.micrograd_point)
        if self.show_code:
            text = self.script()
            if len(text) <= LONG_SCRIPT or not while_playing:
                message["script"] = text
        return message

    def setup(self) -> dict:
        """Everything that changes only on a rebuild: settings, points, layer sizes."""
        s = self.settings
        return {
            "type": "setup", "settings": s.to_json(), "grid": GRID, "domain": DOMAIN,
            "dataset_title": DATASET_TITLES[s.dataset] + (f" ({self.custom_data.filename})" if s.dataset == "csv"
                                                           else ""),
            "classes": self.class_names, "n_outputs": self.n_outputs,
            "layer_sizes": [len(s.feature_order), *s.hidden, self.n_outputs],
            "features": s.feature_order,
            "train_points": np.round(self.train_points, 4).tolist(),
            "test_points": np.round(self.test_points, 4).tolist(),
            "csv_loaded": self.custom_data is not None, "csv_task": self.custom_data.task if self.custom_data else None,
        }

    def script(self) -> str:
        return script.make_script(self)


def finite_or_none(x):
    """A loss for JSON: NaN and infinity become None (the page shows "diverged")."""
    return float(x) if math.isfinite(x) else None
