"""scikit-learn's `MLPClassifier` and `MLPRegressor`, trained by scratchgrad.

Drop-in replacements: the same constructor parameters, methods and fitted attributes as
`sklearn.neural_network` (1.7 and later, `sample_weight` included), so one changed import
keeps a pipeline working. They add `engine` ("tensor", or "scalar" to train the very same
network on `Value`s, slowly, as seed 000's Classifier did), `dropout`, `class_weight`,
`dtype` and, with early stopping, `validation_loss_curve_`. `help(MLPClassifier)` lists
every parameter.

Training shares `fit`'s pieces (scratchgrad.train): the mini-batches (`batch_indices`)
and the divergence guard (`DivergenceGuard`), so a run whose loss stops being finite
raises TrainingDivergedError and keeps the weights from before the step that diverged.
"""

from __future__ import annotations

import numbers
import warnings

import numpy as np

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.metrics import accuracy_score, r2_score
    from sklearn.model_selection import train_test_split
    from sklearn.utils.multiclass import check_classification_targets
    from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data
except ImportError as error:  # pragma: no cover - depends on the environment
    from .errors import MissingDependencyError

    raise MissingDependencyError(
        "scratchgrad.estimators needs scikit-learn: pip install 'scratchgrad[sklearn]'"
    ) from error

from . import functional as F
from . import optim
from .checks import check_bool, check_choice, check_integer, check_number
from .errors import InvalidParameterError, ModelFileError, TrainingDivergedError
from .estimator_networks import ENGINES
from .tensor import Tensor
from .train import DivergenceGuard, batch_indices, rows_of

ACTIVATIONS = {"identity": "linear", "logistic": "sigmoid", "tanh": "tanh", "relu": "relu"}
DTYPES = (None, "float32", "float64", np.float32, np.float64)


# ---- the estimators ----


class _BaseMLP(BaseEstimator):
    def __init__(self, hidden_layer_sizes=(100,), activation="relu", *, solver="adam", alpha=0.0001,
                 batch_size="auto", learning_rate="constant", learning_rate_init=0.001, power_t=0.5,
                 max_iter=200, shuffle=True, random_state=None, tol=1e-4, verbose=False,
                 warm_start=False, momentum=0.9, nesterovs_momentum=True, early_stopping=False,
                 validation_fraction=0.1, beta_1=0.9, beta_2=0.999, epsilon=1e-8, n_iter_no_change=10,
                 engine="tensor", dropout=0.0, class_weight=None, dtype="float32"):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.engine = engine
        self.dropout = dropout
        self.class_weight = class_weight
        self.dtype = dtype

    # ---- checks ----

    def _check_parameters(self):
        """Every parameter checked, in scikit-learn's manner: one sentence naming it. Returns the hidden sizes."""
        where = type(self).__name__
        hidden = self.hidden_layer_sizes
        if isinstance(hidden, numbers.Integral) and not isinstance(hidden, bool):
            hidden = (hidden,)
        try:
            hidden = tuple(hidden)
        except TypeError:
            raise InvalidParameterError(f"{where}: hidden_layer_sizes must be a tuple of positive integers, "
                                        f"got {self.hidden_layer_sizes!r}") from None
        for size in hidden:
            if isinstance(size, bool) or not isinstance(size, numbers.Integral) or size < 1:
                raise InvalidParameterError(f"{where}: hidden_layer_sizes must be positive integers, "
                                            f"got {self.hidden_layer_sizes!r}")
        check_choice("activation", self.activation, tuple(ACTIVATIONS), where)
        if self.solver not in ("sgd", "adam"):
            raise InvalidParameterError(f"{where}: solver must be 'sgd' or 'adam' (lbfgs is not offered), "
                                        f"got {self.solver!r}")
        check_choice("engine", self.engine, tuple(ENGINES), where)
        check_choice("learning_rate", self.learning_rate, ("constant", "invscaling", "adaptive"), where)
        check_number("alpha", self.alpha, minimum=0, where=where)
        if not (isinstance(self.batch_size, str) and self.batch_size == "auto"):
            if isinstance(self.batch_size, bool) or not isinstance(self.batch_size, numbers.Integral) \
                    or self.batch_size < 1:
                raise InvalidParameterError(f"{where}: batch_size must be 'auto' or an integer >= 1, "
                                            f"got {self.batch_size!r}")
        check_number("learning_rate_init", self.learning_rate_init, minimum=0, low_open=True, where=where)
        check_number("power_t", self.power_t, minimum=0, where=where)
        check_integer("max_iter", self.max_iter, minimum=1, where=where)
        check_bool("shuffle", self.shuffle, where)
        check_number("tol", self.tol, minimum=0, where=where)
        if not isinstance(self.verbose, numbers.Integral) or self.verbose < 0:  # bools are Integral
            raise InvalidParameterError(f"{where}: verbose must be True, False or an integer >= 0, "
                                        f"got {self.verbose!r}")
        check_bool("warm_start", self.warm_start, where)
        check_number("momentum", self.momentum, minimum=0, maximum=1, where=where)
        check_bool("nesterovs_momentum", self.nesterovs_momentum, where)
        check_bool("early_stopping", self.early_stopping, where)
        check_number("validation_fraction", self.validation_fraction, minimum=0, maximum=1, low_open=True,
                     high_open=True, where=where)
        check_number("beta_1", self.beta_1, minimum=0, maximum=1, high_open=True, where=where)
        check_number("beta_2", self.beta_2, minimum=0, maximum=1, high_open=True, where=where)
        check_number("epsilon", self.epsilon, minimum=0, low_open=True, where=where)
        check_integer("n_iter_no_change", self.n_iter_no_change, minimum=1, where=where)
        check_number("dropout", self.dropout, minimum=0, maximum=1, high_open=True, where=where)
        if self.engine == "scalar" and self.dropout:
            raise InvalidParameterError(f"{where}: engine='scalar' does not support dropout; use engine='tensor'")
        weights_by_class = isinstance(self.class_weight, dict) and all(
            _is_number(w) and w >= 0 for w in self.class_weight.values())
        if not (self.class_weight is None or weights_by_class
                or (isinstance(self.class_weight, str) and self.class_weight == "balanced")):
            raise InvalidParameterError(f"{where}: class_weight must be None, 'balanced' or a dict "
                                        f"{{class: weight >= 0}}, got {self.class_weight!r}")
        check_choice("dtype", self.dtype, DTYPES, where)
        if not isinstance(self.random_state, (type(None), numbers.Integral, np.random.RandomState,
                                              np.random.Generator)) or isinstance(self.random_state, bool):
            raise InvalidParameterError(f"{where}: random_state must be None, an int, a RandomState or a "
                                        f"Generator, got {self.random_state!r}")
        return hidden

    def _data_dtype(self, X):
        if self.dtype is not None:
            return np.dtype(self.dtype)
        return np.dtype(np.float32) if X.dtype == np.float32 else np.dtype(np.float64)

    # ---- training ----

    def _initialize(self, n_features, n_outputs, hidden, dtype):
        """scikit-learn's Glorot-uniform start, drawn from `random_state`."""
        # separate streams, so both engines draw the same weights and the same batches
        init_rng, self._rng, network_rng = _random_streams(self.random_state)
        sizes = [n_features, *hidden, n_outputs]
        factor = 2.0 if self.activation == "logistic" else 6.0
        weights, biases = [], []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            bound = np.sqrt(factor / (fan_in + fan_out))
            weights.append(init_rng.uniform(-bound, bound, (fan_in, fan_out)).astype(dtype))
            biases.append(init_rng.uniform(-bound, bound, fan_out).astype(dtype))
        self._network = ENGINES[self.engine](weights, biases, ACTIVATIONS[self.activation], self.dropout,
                                             dtype, network_rng)
        self._optimizer = None
        self.n_iter_, self.t_ = 0, 0
        self.loss_curve_ = []
        self._no_improvement_count = 0
        self.n_layers_ = len(hidden) + 2
        self.n_outputs_ = n_outputs
        if self.early_stopping:
            self.validation_scores_, self.best_validation_score_, self.best_loss_ = [], -np.inf, None
            self.validation_loss_curve_ = []
        else:
            self.validation_scores_, self.best_validation_score_, self.best_loss_ = None, None, np.inf
            self.validation_loss_curve_ = None
        self._publish_weights()

    def _new_optimizer(self):
        if self.solver == "adam":
            return optim.Adam(self._network.parameters(), lr=self.learning_rate_init,
                              betas=(self.beta_1, self.beta_2), eps=self.epsilon)
        return optim.SGD(self._network.parameters(), lr=self.learning_rate_init, momentum=self.momentum,
                         nesterov=self.nesterovs_momentum and self.momentum > 0)

    def _publish_weights(self):
        self.coefs_ = self._network.coefs()
        self.intercepts_ = self._network.intercepts()

    def _fit(self, X, y_encoded, sample_weight, hidden, incremental):
        """Train on encoded targets: a fresh network, or the fitted one with `warm_start` or
        `partial_fit`. As scikit-learn, each `fit` starts a fresh optimizer; `partial_fit`
        keeps its own across calls. The callers check `sample_weight` before they change any
        fitted state."""
        if self.early_stopping and incremental:
            raise InvalidParameterError(f"{type(self).__name__}: partial_fit does not support "
                                        f"early_stopping=True")
        continuing = hasattr(self, "_network") and (self.warm_start or incremental)
        if continuing:
            self._ensure_curves()
        else:
            self._initialize(X.shape[1], self._n_network_outputs(y_encoded), hidden, self._data_dtype(X))
        if not incremental or getattr(self, "_optimizer", None) is None:
            self._optimizer = self._new_optimizer()
        if not hasattr(self, "_rng"):  # a loaded estimator: its batch order starts from random_state
            self._rng = _random_streams(self.random_state)[1]
        X = X.astype(self._network.dtype, copy=False)
        targets = y_encoded if self._loss_kind == "softmax" else y_encoded.astype(self._network.dtype)
        weights = self._combined_weights(y_encoded, sample_weight)

        validation = None
        if self.early_stopping:
            X, targets, weights, validation = self._validation_split(X, targets, weights)
        self._train(X, targets, weights, validation, incremental)
        return self

    def _ensure_curves(self):
        """What a continued run appends to, also when `early_stopping` changed since the last fit
        (or a file from before `validation_loss_curve_` was loaded)."""
        if self.early_stopping:
            if self.validation_scores_ is None:
                self.validation_scores_, self.best_validation_score_ = [], -np.inf
            if getattr(self, "validation_loss_curve_", None) is None:
                self.validation_loss_curve_ = []
        elif self.best_loss_ is None:
            self.best_loss_ = np.inf

    def _validation_split(self, X, targets, weights):
        """scikit-learn's hold-out for early stopping (stratified for classifiers), weights split alike."""
        arrays = [X, targets] + ([] if weights is None else [weights])
        parts = train_test_split(*arrays, test_size=self.validation_fraction,
                                 random_state=_seed(self.random_state),
                                 stratify=targets if self._stratify_validation() else None)
        X, X_val, targets, y_val = parts[:4]
        weights, w_val = (parts[4], parts[5]) if weights is not None else (None, None)
        if len(X_val) < 2:
            raise ValueError("The validation set is too small. Increase 'validation_fraction' or the size "
                             "of your dataset.")
        return X, targets, weights, (X_val, y_val, w_val)

    def _train(self, X, targets, weights, validation, incremental):
        n = len(X)
        batch_size = min(200, n) if self.batch_size == "auto" else int(self.batch_size)
        if batch_size > n:
            warnings.warn(f"Got `batch_size` less than 1 or larger than sample size. It is going to be "
                          f"clipped to {n}", UserWarning, stacklevel=4)
            batch_size = n
        guard = DivergenceGuard(self._network.parameters(), who=type(self).__name__, unit="iteration",
                                advice="try a smaller learning_rate_init, or scale the features")
        self._best_weights = None
        compiled = self._compiled_step(weights)
        try:
            for _ in range(self.max_iter):
                self.loss_ = self._train_epoch(X, targets, weights, batch_size, guard, compiled)
                self.n_iter_ += 1
                self.t_ += n
                self.loss_curve_.append(self.loss_)
                if self.verbose:
                    print(f"Iteration {self.n_iter_}, loss = {self.loss_:.8f}")
                if self.solver == "sgd" and self.learning_rate == "invscaling":
                    self._optimizer.lr = self.learning_rate_init / (self.t_ + 1) ** self.power_t
                if self._stalled(validation) or incremental:
                    break
            else:
                warnings.warn(f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and "
                              f"the optimization hasn't converged yet.", ConvergenceWarning, stacklevel=4)
        except TrainingDivergedError:
            # the guard put back the last finite weights; the optimizer's averages hold the step that
            # diverged, so the next fit or partial_fit starts a fresh one
            self._optimizer = None
            raise
        finally:
            if self._best_weights is not None:  # early stopping: back to the best validation score
                self._network.set_weights(*self._best_weights)
            del self._best_weights
            self._publish_weights()

    def _compiled_step(self, weights):
        """The training step compiled (compile.py: the same arithmetic, bit for bit, recorded once),
        or None where it cannot be: sample weights, the scalar engine."""
        if weights is not None or self.engine != "tensor":
            return None
        from .compile import CompileError, compile_step

        loss = {"softmax": "cross_entropy", "logistic": "binary_cross_entropy", "squared": "mse"}[self._loss_kind]
        scale = 0.5 * self.n_outputs_ if self._loss_kind == "squared" else 1.0  # as `loss` scales it
        try:
            step = compile_step(self._network.model, loss, self._optimizer, loss_scale=scale, l2=self.alpha)
        except CompileError:
            return None
        step.check_targets = False  # the targets are the encoded classes 0..n-1, never out of range
        return step

    def _train_epoch(self, X, targets, weights, batch_size, guard, compiled=None):
        """One pass in mini-batches (fit's batching and guard); returns the mean loss, L2 penalty included."""
        total, batch = 0.0, 0
        for batch, rows in enumerate(batch_indices(len(X), batch_size, self.shuffle, self._rng), start=1):
            Xb, yb = rows_of(X, rows), rows_of(targets, rows)
            batch_weights = None if weights is None else rows_of(weights, rows)
            weight_sum = len(Xb) if batch_weights is None else float(batch_weights.sum())
            if weight_sum == 0:  # every sample of this batch weighs 0: nothing to learn from it
                continue
            if compiled is not None:
                value = compiled.forward_loss(Xb, yb)[0] * self._reported_loss_scale() + self._l2_penalty(weight_sum)
                guard.check_loss(value, self.n_iter_ + 1, batch)
                guard.step(compiled.backward_and_update)
            else:
                loss = self._network.loss(Xb, yb, self._loss_kind, batch_weights)
                value = float(loss.data) * self._reported_loss_scale() + self._l2_penalty(weight_sum)
                guard.check_loss(value, self.n_iter_ + 1, batch)
                self._optimizer.zero_grad()
                loss.backward()
                self._add_l2_gradient(weight_sum)
                guard.step(self._optimizer.step)
            total += value * len(Xb)
        guard.check_weights(self.n_iter_ + 1, batch)
        return total / len(X)

    def _reported_loss_scale(self):
        """scikit-learn's squared loss steps along the squared error summed over the outputs, but
        reports its mean over the outputs: `loss_` divides by the number of outputs, as it does."""
        return 1.0 / self.n_outputs_ if self._loss_kind == "squared" else 1.0

    def _stalled(self, validation):
        """scikit-learn's stopping rule: no improvement by `tol` for `n_iter_no_change` epochs
        (in validation score with early_stopping, else in training loss). With adaptive SGD a
        stall first divides the learning rate by 5."""
        if validation is not None:
            X_val, y_val, w_val = validation
            score = self._validation_score(X_val, y_val, w_val)
            self.validation_scores_.append(score)
            self.validation_loss_curve_.append(
                self._network.evaluation_loss(X_val, y_val, self._loss_kind, w_val) * self._reported_loss_scale())
            if self.verbose:
                print(f"Validation score: {score:f}")
            improved = score >= self.best_validation_score_ + self.tol
            if score > self.best_validation_score_:
                self.best_validation_score_ = score
                self._best_weights = (self._network.coefs(), self._network.intercepts())
        else:
            improved = self.loss_ <= self.best_loss_ - self.tol  # best_loss_ starts at inf
            if self.loss_ < self.best_loss_:
                self.best_loss_ = self.loss_
        self._no_improvement_count = 0 if improved else getattr(self, "_no_improvement_count", 0) + 1
        if self._no_improvement_count <= self.n_iter_no_change:
            return False
        if self.solver == "sgd" and self.learning_rate == "adaptive" and self._optimizer.lr > 1e-6:
            self._optimizer.lr /= 5.0
            self._no_improvement_count = 0
            return False
        if self.verbose:
            what = "Validation score" if validation is not None else "Training loss"
            print(f"{what} did not improve more than tol={self.tol} for {self.n_iter_no_change} consecutive "
                  f"epochs. Stopping.")
        return True

    # scikit-learn's L2 penalty on the weights (not the biases): alpha/2 * sum(w²) divided by the batch's
    # total sample weight (its size, unweighted). Added to the loss value and the gradients directly.
    def _l2_penalty(self, weight_sum):
        if not self.alpha:
            return 0.0
        # sum of squares as a dot product: one BLAS call per matrix, no temporary array
        return 0.5 * self.alpha * sum(float(np.vdot(w.data, w.data)) for w in self._network.weights()) / weight_sum

    def _add_l2_gradient(self, weight_sum):
        if self.alpha:
            for w in self._network.weights():
                w.grad = w.grad + (self.alpha / weight_sum) * w.data

    def _combined_weights(self, y_encoded, sample_weight):
        """Each sample's weight: `sample_weight` times its class's `class_weight` (None if neither)."""
        class_weights = self._class_weights(y_encoded)
        if class_weights is None:
            return sample_weight
        per_sample = class_weights[y_encoded.ravel().astype(int)]
        return per_sample if sample_weight is None else per_sample * sample_weight

    def _stratify_validation(self):
        return False

    def _class_weights(self, y_encoded):
        return None

    def _raw_outputs(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=(np.float64, np.float32))
        out = self._network.outputs(X.astype(self._network.dtype, copy=False))
        return out.astype(np.float64, copy=False)  # scikit-learn returns float64 whatever trained

    # ---- files ----

    def save(self, path):
        """Save the fitted estimator (settings, fitted attributes, weights) to a safetensors file.

        The optimizer's state is not kept: `fit` with `warm_start=True` after `load` starts a
        fresh optimizer, as every `fit` does; `partial_fit` after `load` starts one too.
        """
        from . import io

        check_is_fitted(self)
        params = {name: _plain(value) for name, value in self.get_params().items()}
        if not isinstance(self.random_state, (numbers.Integral, type(None))):
            params["random_state"] = None  # a RandomState object has no place in a file
        if isinstance(self.class_weight, dict):
            params["class_weight"] = [[_plain(k), _plain(v)] for k, v in self.class_weight.items()]
        if self.dtype is not None:
            params["dtype"] = np.dtype(self.dtype).name
        fitted = {name: _plain(getattr(self, name)) for name in self._FITTED if hasattr(self, name)}
        if hasattr(self, "classes_"):
            fitted["classes_"] = {"values": self.classes_.tolist(), "dtype": self.classes_.dtype.str}
        if hasattr(self, "feature_names_in_"):
            fitted["feature_names_in_"] = self.feature_names_in_.tolist()
        arrays = {f"coefs.{i}": w for i, w in enumerate(self.coefs_)}
        arrays.update({f"intercepts.{i}": b for i, b in enumerate(self.intercepts_)})
        io.write_file(path, arrays, {"estimator": type(self).__name__, "params": params, "fitted": fitted})

    @classmethod
    def load(cls, path):
        """An estimator saved by `save`, ready to predict and to train on (`warm_start`, `partial_fit`).

        Nothing in the file is trusted: its parameters, fitted attributes and weights are checked
        against each other, and any problem is one ModelFileError naming the file and the problem.
        """
        from . import io

        arrays, metadata = io.read_file(path)
        try:
            return cls._from_file_contents(arrays, metadata)
        except (InvalidParameterError, ValueError, TypeError, KeyError) as error:
            if isinstance(error, ModelFileError):
                raise ModelFileError(f"{path}: {error}") from None
            raise ModelFileError(f"{path}: not a valid saved {cls.__name__}: {error}") from None

    @classmethod
    def _from_file_contents(cls, arrays, metadata):
        if not isinstance(metadata, dict) or metadata.get("estimator") != cls.__name__:
            found = metadata.get("estimator") if isinstance(metadata, dict) else None
            raise ModelFileError(f"holds {found or 'no estimator'}, not a {cls.__name__}")
        params, fitted = metadata.get("params"), metadata.get("fitted")
        if not isinstance(params, dict) or not isinstance(fitted, dict):
            raise ModelFileError("its 'params' and 'fitted' entries must be JSON objects")
        estimator = cls(**_params_from_file(cls, params))
        hidden = estimator._check_parameters()
        for name, value in fitted.items():
            if name not in cls._FITTED_CHECKS:
                raise ModelFileError(f"sets the attribute {name!r}, which {cls.__name__} does not define "
                                     f"(it defines {sorted(cls._FITTED_CHECKS)})")
            try:
                setattr(estimator, name, cls._FITTED_CHECKS[name](value))
            except (ValueError, TypeError) as error:
                raise ModelFileError(f"the attribute {name!r} is not valid: {error}") from None
        missing = [name for name in cls._REQUIRED if name not in fitted]
        if missing:
            raise ModelFileError(f"lacks the fitted attributes {missing}")
        estimator._check_consistency(hidden)
        coefs, intercepts = _weights_from_file(arrays, [estimator.n_features_in_, *hidden, estimator.n_outputs_])
        # the dtype inputs are cast to: the parameter's; the tensor engine's weights must have it too
        dtype = coefs[0].dtype if estimator.dtype is None else np.dtype(estimator.dtype)
        if estimator.engine == "tensor" and coefs[0].dtype != dtype:
            raise ModelFileError(f"weights of dtype {coefs[0].dtype} for dtype={estimator.dtype!r}")
        estimator._network = ENGINES[estimator.engine](coefs, intercepts, ACTIVATIONS[estimator.activation],
                                                       estimator.dropout, dtype, None)
        estimator._publish_weights()
        return estimator

    def _check_consistency(self, hidden):
        if self.n_layers_ != len(hidden) + 2:
            raise ModelFileError(f"n_layers_ is {self.n_layers_}, but hidden_layer_sizes={hidden} makes "
                                 f"{len(hidden) + 2}")
        names = getattr(self, "feature_names_in_", None)
        if names is not None and len(names) != self.n_features_in_:
            raise ModelFileError(f"{len(names)} feature names for n_features_in_={self.n_features_in_}")

    # the fitted attributes a file may set, each with its check (returning the value to set)
    _FITTED = ("n_features_in_", "loss_", "best_loss_", "loss_curve_", "validation_scores_",
               "validation_loss_curve_", "best_validation_score_", "n_iter_", "t_", "n_layers_", "n_outputs_",
               "out_activation_", "_loss_kind")
    _REQUIRED = tuple(name for name in _FITTED if name != "validation_loss_curve_")  # newer than the format


def _checked_sample_weight(sample_weight, X):
    """`sample_weight` as float64 of X's length, none negative (None stays None)."""
    if sample_weight is None:
        return None
    return _check_sample_weight(sample_weight, X, dtype=np.float64, ensure_non_negative=True)


def _is_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _an_integer(minimum):
    return lambda value: check_integer("it", value, minimum=minimum)


def _a_number_or_none(value):
    if value is None or _is_number(value):
        return value
    raise TypeError(f"expected a number or null, got {value!r}")


def _numbers(value):
    if not isinstance(value, list) or not all(_is_number(v) for v in value):
        raise TypeError(f"expected a list of numbers, got {value!r:.80}")
    return value


def _numbers_or_none(value):
    return None if value is None else _numbers(value)


def _a_bool(value):
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {value!r}")
    return value


def _feature_names(value):
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise TypeError("expected a list of strings")
    return np.array(value, dtype=object)


_BASE_CHECKS = {
    "n_features_in_": _an_integer(1),
    "loss_": _a_number_or_none,
    "best_loss_": _a_number_or_none,
    "loss_curve_": _numbers,
    "validation_scores_": _numbers_or_none,
    "validation_loss_curve_": _numbers_or_none,
    "best_validation_score_": _a_number_or_none,
    "n_iter_": _an_integer(0),
    "t_": _an_integer(0),
    "n_layers_": _an_integer(2),
    "n_outputs_": _an_integer(1),
    "feature_names_in_": _feature_names,
}


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """Multi-layer perceptron classifier, trained by scratchgrad: a drop-in for scikit-learn's.

    A softmax output for three classes or more, a single logistic unit for two, trained on
    cross-entropy with an L2 penalty by mini-batch SGD or Adam, on either of scratchgrad's
    engines. Like scikit-learn's, it expects scaled features (use a StandardScaler in a
    pipeline).

    Parameters
    ----------
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        The number of units in each hidden layer, in order.
    activation : {'identity', 'logistic', 'tanh', 'relu'}, default='relu'
        The hidden layers' activation: the identity, the logistic sigmoid
        1 / (1 + exp(-x)), tanh, or the rectified linear unit max(0, x).
    solver : {'sgd', 'adam'}, default='adam'
        The optimizer: stochastic gradient descent (with momentum) or Adam. scikit-learn's
        'lbfgs' is not offered.
    alpha : float, default=0.0001
        Strength of the L2 penalty on the weights (not the biases): alpha / 2 times the
        sum of the squared weights, divided by the batch's total sample weight.
    batch_size : int or 'auto', default='auto'
        Rows per mini-batch; 'auto' is min(200, n_samples). Larger than the data, it is
        clipped to it, with a warning.
    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
        The schedule of the step size, with solver='sgd' only: constant at
        `learning_rate_init`; 'invscaling' divides it by (t + 1) ** `power_t` after each
        epoch, t counting the samples seen; 'adaptive' divides it by 5 each time the stopping
        rule would otherwise stop training.
    learning_rate_init : float, default=0.001
        The initial step size.
    power_t : float, default=0.5
        The exponent of 'invscaling'.
    max_iter : int, default=200
        The most epochs (passes over the data) `fit` runs; a ConvergenceWarning says when
        they run out before the stopping rule is met.
    shuffle : bool, default=True
        Whether each epoch visits the rows in a new random order.
    random_state : int, RandomState instance, Generator or None, default=None
        Seeds the initial weights, the batch order, the early-stopping split and dropout;
        an int gives the same model on every run.
    tol : float, default=1e-4
        The improvement of the training loss (or of the validation score, with
        early_stopping) that counts as progress for the stopping rule.
    verbose : bool or int, default=False
        Print the loss of every epoch (and the validation score).
    warm_start : bool, default=False
        Continue from the fitted weights at the next `fit` instead of starting afresh. Each
        `fit` starts a fresh optimizer, as in scikit-learn; `partial_fit` keeps its own.
    momentum : float, default=0.9
        SGD's momentum, in [0, 1].
    nesterovs_momentum : bool, default=True
        Use Nesterov's momentum (solver='sgd' and momentum > 0).
    early_stopping : bool, default=False
        Hold out `validation_fraction` of the rows (stratified by class) and stop when the
        validation score has not improved by `tol` for `n_iter_no_change` epochs; the
        weights of the best epoch are kept. Fills `validation_scores_` and
        `validation_loss_curve_`.
    validation_fraction : float, default=0.1
        The share of rows held out by early_stopping, in (0, 1).
    beta_1 : float, default=0.9
        Adam's decay rate of the gradient's running mean, in [0, 1).
    beta_2 : float, default=0.999
        Adam's decay rate of the squared gradient's running mean, in [0, 1).
    epsilon : float, default=1e-8
        Adam's guard against division by zero. It is added after the bias correction, as
        in PyTorch (scikit-learn adds it before): at step t, ours equals scikit-learn's
        divided by sqrt(1 - beta_2 ** t).
    n_iter_no_change : int, default=10
        How many epochs without improvement the stopping rule tolerates.
    engine : {'tensor', 'scalar'}, default='tensor'
        scratchgrad's engine: 'tensor' trains on NumPy arrays; 'scalar' builds the very same
        network from `Value` objects, one number per node, slowly and readably (no dropout).
    dropout : float, default=0.0
        The probability of zeroing each hidden unit during training, in [0, 1); off when
        predicting. Tensor engine only.
    class_weight : dict, 'balanced' or None, default=None
        Weights per class, multiplying each sample's weight: {label: weight} (unnamed
        classes weigh 1), or 'balanced' for n_samples / (n_classes * the class's count).
        Not in scikit-learn's MLPClassifier.
    dtype : {'float32', 'float64'} or None, default='float32'
        The floating-point type of the weights and the computation; None follows the input
        (float32 input stays float32, anything else becomes float64). scikit-learn computes
        in float64.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        The class labels, sorted.
    loss_ : float
        The mean loss of the last epoch, L2 penalty included.
    best_loss_ : float or None
        The lowest epoch loss; None with early_stopping (see `best_validation_score_`).
    loss_curve_ : list of float
        The loss of every epoch.
    validation_scores_ : list of float or None
        With early_stopping, the accuracy on the held-out rows after every epoch; else None.
    validation_loss_curve_ : list of float or None
        With early_stopping, the loss on the held-out rows after every epoch (the data loss,
        without the L2 penalty, in eval mode); else None. scikit-learn has no such curve.
    best_validation_score_ : float or None
        The best of `validation_scores_`, whose weights are kept; None without early_stopping.
    t_ : int
        The number of rows the optimizer has seen, over all epochs.
    coefs_ : list of ndarray
        The weight matrices, layer by layer, each of shape (units in, units out).
    intercepts_ : list of ndarray
        The bias vectors, layer by layer.
    n_features_in_ : int
        The number of features seen by `fit`.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        The column names seen by `fit`, when X had string column names.
    n_iter_ : int
        The number of epochs run.
    n_layers_ : int
        The number of layers, input and output included.
    n_outputs_ : int
        The number of output units.
    out_activation_ : str
        The output's activation: 'logistic' (two classes) or 'softmax'.

    Notes
    -----
    Training shares `scratchgrad.fit`'s mini-batches and divergence guard: if the loss becomes
    NaN or infinite, `fit` raises TrainingDivergedError, the estimator keeps the weights from
    before the step that diverged (the last with a finite loss; with early_stopping, the best
    epoch's, as on any finish), and its optimizer is discarded, so the next `fit` or
    `partial_fit` starts a fresh one.

    `sample_weight` follows scikit-learn 1.7: each batch's loss and L2 penalty are divided by
    its total sample weight. `class_weight` multiplies each sample's weight by its class's.

    `save(path)` and `load(path)` keep a fitted estimator in a safetensors file without pickle;
    a loaded estimator predicts and trains on (`warm_start`, `partial_fit`).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from scratchgrad.estimators import MLPClassifier
    >>> X, y = load_iris(return_X_y=True)
    >>> model = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(16,), learning_rate_init=0.01,
    ...                                                   random_state=0)).fit(X, y)
    >>> model.score(X, y) > 0.95
    True
    """

    def fit(self, X, y, sample_weight=None):
        """Fit the model to data matrix X and target(s) y.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,)
            The target class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights; with `class_weight`, a sample weighs the product of the two.

        Returns
        -------
        self : MLPClassifier
            The fitted estimator.
        """
        hidden = self._check_parameters()
        X, y = validate_data(self, X, y, dtype=(np.float64, np.float32))
        check_classification_targets(y)
        # sample weights refused before `classes_` changes: the fitted network keeps the classes it
        # was trained on (partial_fit and warm_start continue it with targets below its outputs)
        sample_weight = _checked_sample_weight(sample_weight, X)
        self._set_classes(np.unique(y))
        return self._fit(X, self._encode(y), sample_weight, hidden, incremental=False)

    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Update the model with a single iteration over the given data.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,)
            The target class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.
        classes : array of shape (n_classes,), default=None
            Every class label; required on the first call, and then the same on every call.

        Returns
        -------
        self : MLPClassifier
            The trained estimator.
        """
        hidden = self._check_parameters()
        first_call = not hasattr(self, "classes_")
        X, y = validate_data(self, X, y, dtype=(np.float64, np.float32), reset=first_call)
        check_classification_targets(y)
        sample_weight = _checked_sample_weight(sample_weight, X)  # refused before `classes_` changes
        if first_call:
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit")
            self._set_classes(np.unique(np.asarray(classes)))
        elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(f"`classes={np.asarray(classes).tolist()}` is not the same as on the first call "
                             f"to partial_fit, which was {self.classes_.tolist()}")
        unseen = np.setdiff1d(np.unique(y), self.classes_)
        if len(unseen):
            raise ValueError(f"y contains labels {unseen.tolist()} that are not in classes "
                             f"{self.classes_.tolist()}")
        return self._fit(X, self._encode(y), sample_weight, hidden, incremental=True)

    def _set_classes(self, classes):
        if len(classes) < 2:
            raise ValueError(f"{type(self).__name__} needs at least two classes in y, got 1 class: "
                             f"{classes.tolist()}")
        if hasattr(self, "classes_") and (self.warm_start and not np.array_equal(classes, self.classes_)):
            raise ValueError(f"warm_start can only be used where `y` has the same classes as in the "
                             f"previous call to fit. Previously got {self.classes_}, `y` has {classes}")
        self.classes_ = classes
        self._loss_kind = "logistic" if len(classes) == 2 else "softmax"
        self.out_activation_ = "logistic" if len(classes) == 2 else "softmax"

    def _n_network_outputs(self, y_encoded):
        return 1 if self._loss_kind == "logistic" else len(self.classes_)

    def _encode(self, y):
        """Class indices (softmax) or a 0/1 column (logistic)."""
        indices = np.searchsorted(self.classes_, y)
        return indices if self._loss_kind == "softmax" else indices.reshape(-1, 1)

    def _stratify_validation(self):
        return True

    def _class_weights(self, y_encoded):
        if self.class_weight is None:
            return None
        from sklearn.utils.class_weight import compute_class_weight

        labels = y_encoded.ravel()
        if isinstance(self.class_weight, dict):
            unknown = set(self.class_weight) - set(self.classes_.tolist())
            if unknown:
                raise ValueError(f"class_weight names classes {sorted(unknown)} not in {list(self.classes_)}")
            return np.array([self.class_weight.get(c, 1.0) for c in self.classes_.tolist()], dtype=float)
        return compute_class_weight("balanced", classes=np.arange(len(self.classes_)), y=labels)

    def _predict_from_outputs(self, out):
        if self._loss_kind == "logistic":
            return self.classes_[(out.ravel() > 0).astype(int)]
        return self.classes_[out.argmax(axis=1)]

    def _validation_score(self, X, y_encoded, sample_weight):
        predicted = self._predict_from_outputs(self._network.outputs(X))
        return accuracy_score(self.classes_[y_encoded.ravel().astype(int)], predicted, sample_weight=sample_weight)

    def predict_proba(self, X):
        """Probability estimates, one column per class in `classes_` order.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
        """
        out = self._raw_outputs(X)
        if self._loss_kind == "logistic":
            positive = Tensor(out).sigmoid().data.ravel()
            return np.column_stack([1 - positive, positive])
        return F.softmax(Tensor(out)).data

    def predict_log_proba(self, X):
        """The logarithm of `predict_proba`, computed stably.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
        """
        out = self._raw_outputs(X)
        if self._loss_kind == "logistic":
            logits = out.ravel()
            return np.column_stack([-np.logaddexp(0, logits), -np.logaddexp(0, -logits)])
        return F.log_softmax(Tensor(out)).data

    def predict(self, X):
        """Predict using the multi-layer perceptron classifier.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,)
            The predicted classes.
        """
        return self._predict_from_outputs(self._raw_outputs(X))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = False
        return tags

    _FITTED_CHECKS = {
        **_BASE_CHECKS,
        "out_activation_": lambda value: check_choice("out_activation_", value, ("logistic", "softmax")),
        "_loss_kind": lambda value: check_choice("_loss_kind", value, ("logistic", "softmax")),
        "classes_": lambda value: _classes_from_file(value),
    }
    _REQUIRED = _BaseMLP._REQUIRED + ("classes_",)

    def _check_consistency(self, hidden):
        super()._check_consistency(hidden)
        two = len(self.classes_) == 2
        expected = ("logistic", "logistic", 1) if two else ("softmax", "softmax", len(self.classes_))
        if (self._loss_kind, self.out_activation_, self.n_outputs_) != expected:
            raise ModelFileError(f"{len(self.classes_)} classes need a {expected[0]} output with {expected[2]} "
                                 f"unit(s), the file says {self.out_activation_} with {self.n_outputs_}")


class MLPRegressor(RegressorMixin, _BaseMLP):
    """Multi-layer perceptron regressor, trained by scratchgrad: a drop-in for scikit-learn's.

    An identity output (one unit per target column) trained on the squared error with an L2
    penalty by mini-batch SGD or Adam, on either of scratchgrad's engines. Like
    scikit-learn's, it expects scaled features and targets of moderate size.

    With several target columns, scikit-learn's scaling is kept: each step follows half the
    squared error summed over the outputs (per sample, averaged over the batch), while
    `loss_` and `loss_curve_` report its mean over the outputs.

    Parameters
    ----------
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        The number of units in each hidden layer, in order.
    activation : {'identity', 'logistic', 'tanh', 'relu'}, default='relu'
        The hidden layers' activation: the identity, the logistic sigmoid
        1 / (1 + exp(-x)), tanh, or the rectified linear unit max(0, x).
    solver : {'sgd', 'adam'}, default='adam'
        The optimizer: stochastic gradient descent (with momentum) or Adam. scikit-learn's
        'lbfgs' is not offered.
    alpha : float, default=0.0001
        Strength of the L2 penalty on the weights (not the biases): alpha / 2 times the
        sum of the squared weights, divided by the batch's total sample weight.
    batch_size : int or 'auto', default='auto'
        Rows per mini-batch; 'auto' is min(200, n_samples). Larger than the data, it is
        clipped to it, with a warning.
    learning_rate : {'constant', 'invscaling', 'adaptive'}, default='constant'
        The schedule of the step size, with solver='sgd' only: constant at
        `learning_rate_init`; 'invscaling' divides it by (t + 1) ** `power_t` after each
        epoch, t counting the samples seen; 'adaptive' divides it by 5 each time the stopping
        rule would otherwise stop training.
    learning_rate_init : float, default=0.001
        The initial step size.
    power_t : float, default=0.5
        The exponent of 'invscaling'.
    max_iter : int, default=200
        The most epochs (passes over the data) `fit` runs; a ConvergenceWarning says when
        they run out before the stopping rule is met.
    shuffle : bool, default=True
        Whether each epoch visits the rows in a new random order.
    random_state : int, RandomState instance, Generator or None, default=None
        Seeds the initial weights, the batch order, the early-stopping split and dropout;
        an int gives the same model on every run.
    tol : float, default=1e-4
        The improvement of the training loss (or of the validation score, with
        early_stopping) that counts as progress for the stopping rule.
    verbose : bool or int, default=False
        Print the loss of every epoch (and the validation score).
    warm_start : bool, default=False
        Continue from the fitted weights at the next `fit` instead of starting afresh. Each
        `fit` starts a fresh optimizer, as in scikit-learn; `partial_fit` keeps its own.
    momentum : float, default=0.9
        SGD's momentum, in [0, 1].
    nesterovs_momentum : bool, default=True
        Use Nesterov's momentum (solver='sgd' and momentum > 0).
    early_stopping : bool, default=False
        Hold out `validation_fraction` of the rows (at random) and stop when the
        validation score has not improved by `tol` for `n_iter_no_change` epochs; the
        weights of the best epoch are kept. Fills `validation_scores_` and
        `validation_loss_curve_`.
    validation_fraction : float, default=0.1
        The share of rows held out by early_stopping, in (0, 1).
    beta_1 : float, default=0.9
        Adam's decay rate of the gradient's running mean, in [0, 1).
    beta_2 : float, default=0.999
        Adam's decay rate of the squared gradient's running mean, in [0, 1).
    epsilon : float, default=1e-8
        Adam's guard against division by zero. It is added after the bias correction, as
        in PyTorch (scikit-learn adds it before): at step t, ours equals scikit-learn's
        divided by sqrt(1 - beta_2 ** t).
    n_iter_no_change : int, default=10
        How many epochs without improvement the stopping rule tolerates.
    engine : {'tensor', 'scalar'}, default='tensor'
        scratchgrad's engine: 'tensor' trains on NumPy arrays; 'scalar' builds the very same
        network from `Value` objects, one number per node, slowly and readably (no dropout).
    dropout : float, default=0.0
        The probability of zeroing each hidden unit during training, in [0, 1); off when
        predicting. Tensor engine only.
    class_weight : None, default=None
        Only for MLPClassifier; the regressor accepts None alone.
    dtype : {'float32', 'float64'} or None, default='float32'
        The floating-point type of the weights and the computation; None follows the input
        (float32 input stays float32, anything else becomes float64). scikit-learn computes
        in float64.

    Attributes
    ----------
    loss_ : float
        The mean loss of the last epoch, L2 penalty included.
    best_loss_ : float or None
        The lowest epoch loss; None with early_stopping (see `best_validation_score_`).
    loss_curve_ : list of float
        The loss of every epoch.
    validation_scores_ : list of float or None
        With early_stopping, the R² (coefficient of determination) on the held-out rows after every epoch; else None.
    validation_loss_curve_ : list of float or None
        With early_stopping, the loss on the held-out rows after every epoch (the data loss,
        without the L2 penalty, in eval mode); else None. scikit-learn has no such curve.
    best_validation_score_ : float or None
        The best of `validation_scores_`, whose weights are kept; None without early_stopping.
    t_ : int
        The number of rows the optimizer has seen, over all epochs.
    coefs_ : list of ndarray
        The weight matrices, layer by layer, each of shape (units in, units out).
    intercepts_ : list of ndarray
        The bias vectors, layer by layer.
    n_features_in_ : int
        The number of features seen by `fit`.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        The column names seen by `fit`, when X had string column names.
    n_iter_ : int
        The number of epochs run.
    n_layers_ : int
        The number of layers, input and output included.
    n_outputs_ : int
        The number of output units.
    out_activation_ : str
        The output's activation: 'identity'.

    Notes
    -----
    Training shares `scratchgrad.fit`'s mini-batches and divergence guard: if the loss becomes
    NaN or infinite, `fit` raises TrainingDivergedError, the estimator keeps the weights from
    before the step that diverged (the last with a finite loss; with early_stopping, the best
    epoch's, as on any finish), and its optimizer is discarded, so the next `fit` or
    `partial_fit` starts a fresh one.

    `sample_weight` follows scikit-learn 1.7: each batch's loss and L2 penalty are divided by
    its total sample weight. `class_weight` multiplies each sample's weight by its class's.

    `save(path)` and `load(path)` keep a fitted estimator in a safetensors file without pickle;
    a loaded estimator predicts and trains on (`warm_start`, `partial_fit`).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import StandardScaler
    >>> from scratchgrad.estimators import MLPRegressor
    >>> X, y = load_iris(return_X_y=True)
    >>> model = make_pipeline(StandardScaler(), MLPRegressor(hidden_layer_sizes=(16,), learning_rate_init=0.01,
    ...                                                   random_state=0)).fit(X, X[:, 3])
    >>> model.score(X, X[:, 3]) > 0.9
    True
    """

    def fit(self, X, y, sample_weight=None):
        """Fit the model to data matrix X and target(s) y.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        self : MLPRegressor
            The fitted estimator.
        """
        hidden = self._check_parameters()
        X, y = validate_data(self, X, y, dtype=(np.float64, np.float32), multi_output=True, y_numeric=True)
        return self._fit_regression(X, y, sample_weight, hidden, incremental=False)

    def partial_fit(self, X, y, sample_weight=None):
        """Update the model with a single iteration over the given data.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        self : MLPRegressor
            The trained estimator.
        """
        hidden = self._check_parameters()
        first_call = not hasattr(self, "_network")
        X, y = validate_data(self, X, y, dtype=(np.float64, np.float32), multi_output=True,
                             y_numeric=True, reset=first_call)
        return self._fit_regression(X, y, sample_weight, hidden, incremental=True)

    def _check_parameters(self):
        hidden = super()._check_parameters()
        if self.class_weight is not None:
            raise InvalidParameterError(f"{type(self).__name__}: class_weight is for classifiers; "
                                        f"it must be None, got {self.class_weight!r}")
        return hidden

    def _fit_regression(self, X, y, sample_weight, hidden, incremental):
        sample_weight = _checked_sample_weight(sample_weight, X)  # refused before the fitted state changes
        y2 = y.reshape(len(y), -1)
        if hasattr(self, "_network") and (self.warm_start or incremental) and y2.shape[1] != self.n_outputs_:
            raise ValueError(f"y has {y2.shape[1]} outputs, the fitted model {self.n_outputs_}")
        self._loss_kind = "squared"
        self.out_activation_ = "identity"
        self._y_1d = y.ndim == 1
        return self._fit(X, y2, sample_weight, hidden, incremental)

    def _n_network_outputs(self, y_encoded):
        return y_encoded.shape[1]

    def _validation_score(self, X, y, sample_weight):
        return r2_score(y, self._network.outputs(X), sample_weight=sample_weight)

    def predict(self, X):
        """Predict using the multi-layer perceptron model.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predicted values.
        """
        out = self._raw_outputs(X)
        return out.ravel() if out.shape[1] == 1 else out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags

    _FITTED = _BaseMLP._FITTED + ("_y_1d",)
    _FITTED_CHECKS = {
        **_BASE_CHECKS,
        "out_activation_": lambda value: check_choice("out_activation_", value, ("identity",)),
        "_loss_kind": lambda value: check_choice("_loss_kind", value, ("squared",)),
        "_y_1d": _a_bool,
    }
    _REQUIRED = _BaseMLP._REQUIRED + ("_y_1d",)

    def _check_consistency(self, hidden):
        super()._check_consistency(hidden)
        if self._y_1d and self.n_outputs_ != 1:
            raise ModelFileError(f"a one-column target, but n_outputs_={self.n_outputs_}")


# ---- helpers: files ----


def _classes_from_file(value):
    if not isinstance(value, dict) or set(value) != {"values", "dtype"} or not isinstance(value["values"], list):
        raise TypeError("expected {\"values\": [...], \"dtype\": \"...\"}")
    if not isinstance(value["dtype"], str):
        raise TypeError(f"dtype must be a string, got {value['dtype']!r}")
    dtype = np.dtype(value["dtype"])
    if dtype.kind not in "biufUO":
        raise ValueError(f"class labels of dtype {dtype} are not allowed")
    if not all(isinstance(v, (str, int, float, bool)) for v in value["values"]):
        raise TypeError("class labels must be strings or numbers")
    classes = np.array(value["values"], dtype=dtype)
    if classes.ndim != 1 or len(classes) < 2 or len(np.unique(classes)) != len(classes):
        raise ValueError("expected at least two distinct class labels")
    if not np.array_equal(np.sort(classes), classes):
        raise ValueError("class labels must be sorted, as np.unique gives them")
    return classes


def _params_from_file(cls, params):
    known = cls().get_params()
    unknown = sorted(set(params) - set(known))
    if unknown:
        raise ModelFileError(f"sets the parameters {unknown}, which {cls.__name__} does not have")
    params = dict(params)
    if isinstance(params.get("class_weight"), list):
        pairs = params["class_weight"]
        if not all(isinstance(pair, list) and len(pair) == 2 for pair in pairs):
            raise ModelFileError("class_weight must be a list of [class, weight] pairs")
        params["class_weight"] = {k: v for k, v in pairs}
    if isinstance(params.get("hidden_layer_sizes"), list):
        params["hidden_layer_sizes"] = tuple(params["hidden_layer_sizes"])
    return params


def _weights_from_file(arrays, sizes):
    """The coefs and intercepts, checked: exactly the expected names, shapes from `sizes`, one float dtype, finite."""
    n = len(sizes) - 1
    expected = {f"coefs.{i}": (sizes[i], sizes[i + 1]) for i in range(n)}
    expected.update({f"intercepts.{i}": (sizes[i + 1],) for i in range(n)})
    if set(arrays) != set(expected):
        raise ModelFileError(f"expected the arrays {sorted(expected)}, the file has {sorted(arrays)}")
    for name, shape in expected.items():
        if arrays[name].shape != shape:
            raise ModelFileError(f"{name} has shape {arrays[name].shape}, the parameters make it {shape}")
    dtypes = {array.dtype for array in arrays.values()}
    if len(dtypes) != 1 or next(iter(dtypes)) not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise ModelFileError(f"weights of dtypes {sorted(map(str, dtypes))}; expected all float32 or all float64")
    if not all(np.all(np.isfinite(array)) for array in arrays.values()):
        raise ModelFileError("some weights are NaN or infinite")
    return [arrays[f"coefs.{i}"] for i in range(n)], [arrays[f"intercepts.{i}"] for i in range(n)]


def _plain(value):
    """NumPy scalars and arrays, tuples included, as plain Python values, for JSON."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


# ---- helpers: randomness ----


def _seed(random_state):
    """An int seed (or None) from scikit-learn's random_state conventions."""
    if random_state is None or (isinstance(random_state, numbers.Integral) and not isinstance(random_state, bool)):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(np.iinfo(np.int32).max))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(np.iinfo(np.int32).max))
    raise InvalidParameterError(f"random_state must be None, an int, a RandomState or a Generator, "
                                f"got {random_state!r}")


def _random_streams(random_state):
    """Three generators from one seed: initial weights, batch order, dropout."""
    return [np.random.default_rng(s) for s in np.random.SeedSequence(_seed(random_state)).spawn(3)]

