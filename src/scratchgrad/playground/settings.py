"""What a learner can set in the playground, checked against the limits, and the limits themselves.

Settings arrive from the browser (and from shared URLs) as JSON: every field is checked
here, one sentence per problem, before anything is built from it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

from ..checks import check_choice, check_integer, check_number
from ..errors import InvalidParameterError
from .data import CLASSIFICATION_DATASETS, FEATURES, REGRESSION_DATASETS

ACTIVATIONS = ("relu", "tanh", "sigmoid", "linear", "leaky_relu")
OPTIMIZERS = ("sgd", "momentum", "adam")
REGULARIZATIONS = ("none", "l1", "l2")
TASKS = ("classification", "regression")
MOMENTUM = 0.9  # the "momentum" optimizer is SGD with this momentum


@dataclass(frozen=True)
class Limits:
    """Bounds on what one client may ask for; the server tests shrink some of them."""

    max_layers: int = 6
    max_neurons: int = 8
    min_points: int = 20
    max_points: int = 2000
    max_csv_bytes: int = 1_000_000
    max_csv_rows: int = 5000
    max_epochs_per_message: int = 50
    max_steps_per_message: int = 5000  # one tab's request must not hold up the others for long
    max_message_bytes: int = 1_500_000  # a CSV of max_csv_bytes, quoted in JSON
    messages_per_second: float = 100.0  # sustained; a play loop sends at most ~60
    message_burst: int = 200
    max_sessions: int = 64
    idle_seconds: float = 900.0  # a tab silent this long is closed and its session freed
    micrograd_max_nodes: int = 200
    replay_max_snapshots: int = 160  # ~0.6 MB of pictures per tab for three classes
    max_history: int = 10_000  # loss points kept per session; a longer run keeps every other one


@dataclass(frozen=True)
class Settings:
    """One experiment: data, features, network, training. The defaults are Playground's."""

    task: str = "classification"
    dataset: str = "circle"
    n_points: int = 500
    noise: float = 0.0  # 0 .. 0.5
    train_fraction: float = 0.5
    seed: int = 0
    features: tuple = ("x1", "x2")
    hidden: tuple = (4, 2)
    activation: str = "tanh"
    lr: float = 0.03
    optimizer: str = "sgd"
    regularization: str = "none"
    regularization_rate: float = 0.0
    batch_size: int = 10

    def to_json(self) -> dict:
        data = asdict(self)
        data["features"], data["hidden"] = list(self.features), list(self.hidden)
        return data

    def updated(self, changes, limits: Limits) -> Settings:
        """A new Settings with `changes` (a dict from the client) applied and checked."""
        if not isinstance(changes, dict):
            raise InvalidParameterError(f"settings must be an object of name: value, got {type(changes).__name__}")
        known = {f.name for f in fields(self)}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise InvalidParameterError(f"unknown setting(s) {', '.join(map(repr, unknown))}; "
                                        f"known: {', '.join(sorted(known))}")
        values = dict(changes)
        if "features" in values:
            values["features"] = _as_tuple("features", values["features"])
        if "hidden" in values:
            values["hidden"] = _as_tuple("hidden", values["hidden"])
        settings = replace(self, **values)
        settings.check(limits)
        return settings

    def check(self, limits: Limits):
        check_choice("task", self.task, TASKS)
        allowed = (CLASSIFICATION_DATASETS if self.task == "classification" else REGRESSION_DATASETS) + ("csv",)
        if self.dataset not in allowed:
            raise InvalidParameterError(f"dataset must be one of {', '.join(allowed)} for {self.task}, "
                                        f"got {self.dataset!r}")
        check_integer("n_points", self.n_points, limits.min_points, limits.max_points)
        check_number("noise", self.noise, 0.0, 0.5)
        check_number("train_fraction", self.train_fraction, 0.1, 0.9)
        check_integer("seed", self.seed, 0, 2**31 - 1)
        if not self.features:
            raise InvalidParameterError("choose at least one feature to feed the network")
        for name in self.features:
            check_choice("feature", name, tuple(FEATURES))
        if len(set(self.features)) != len(self.features):
            raise InvalidParameterError(f"features repeat: {list(self.features)}")
        if len(self.hidden) > limits.max_layers:
            raise InvalidParameterError(f"at most {limits.max_layers} hidden layers, got {len(self.hidden)}")
        for size in self.hidden:
            check_integer("neurons in a hidden layer", size, 1, limits.max_neurons)
        check_choice("activation", self.activation, ACTIVATIONS)
        check_number("lr", self.lr, 0.0, 10.0, low_open=True)
        check_choice("optimizer", self.optimizer, OPTIMIZERS)
        check_choice("regularization", self.regularization, REGULARIZATIONS)
        check_number("regularization_rate", self.regularization_rate, 0.0, 10.0)
        check_integer("batch_size", self.batch_size, 1, limits.max_points)

    @property
    def feature_order(self) -> list:
        """The chosen features in the fixed on-screen order (the network's input columns)."""
        return [name for name in FEATURES if name in self.features]


def _as_tuple(name, value):
    if not isinstance(value, (list, tuple)):
        raise InvalidParameterError(f"{name} must be a list, got {value!r}")
    return tuple(value)


DEFAULT_SETTINGS = Settings()
DEFAULT_LIMITS = Limits()
