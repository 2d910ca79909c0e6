"""scikit-learn's `MLPClassifier` and `MLPRegressor`, trained by scratchgrad.

Drop-in replacements: the same constructor parameters, methods and fitted attributes as
`sklearn.neural_network`, so one changed import keeps a pipeline working. They add
`engine` ("tensor", or "scalar" to train the very same network on `Value`s, slowly, as
seed 000's Classifier did), `dropout`, `class_weight` and `dtype`.

What differs from scikit-learn, on purpose: networks train in float32 by default, as in
PyTorch and Keras (`dtype="float64"`, or None to follow the input's dtype, for
scikit-learn's precision), and the optimizers follow PyTorch's formulas (SGD momentum as
`v = m v + g; w -= lr v`, Adam's epsilon after bias correction).
"""

from __future__ import annotations

import warnings

import numpy as np

try:
    from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.model_selection import train_test_split
    from sklearn.utils.multiclass import check_classification_targets
    from sklearn.utils.validation import check_is_fitted, validate_data
except ImportError as error:  # pragma: no cover - depends on the environment
    raise ImportError(
        "scratchgrad.estimators needs scikit-learn: pip install 'scratchgrad[sklearn]'"
    ) from error

from . import functional as F
from . import graph, nn, optim
from .tensor import Tensor
from .value import Value

ACTIVATIONS = {"identity": "linear", "logistic": "sigmoid", "tanh": "tanh", "relu": "relu"}


# ---- the network on either engine ----


class _TensorNetwork:
    """The MLP as tensor layers; `loss` and `outputs` work on whole batches."""

    def __init__(self, weights, biases, activation, dropout, dtype, rng):
        sizes = [weights[0].shape[0]] + [w.shape[1] for w in weights]
        self.model = nn.MLP(sizes[0], sizes[1:-1], sizes[-1], activation=activation,
                            dropout=dropout, dtype=dtype, seed=rng)
        self.linears = [layer for layer in self.model if isinstance(layer, nn.Linear)]
        for layer, w, b in zip(self.linears, weights, biases):
            layer.weight.data[...] = w
            layer.bias.data[...] = b

    def parameters(self):
        return self.model.parameters()

    def coefs(self):
        return [layer.weight.data.copy() for layer in self.linears]

    def intercepts(self):
        return [layer.bias.data.copy() for layer in self.linears]

    def set_weights(self, coefs, intercepts):
        for layer, w, b in zip(self.linears, coefs, intercepts):
            layer.weight.data[...] = w
            layer.bias.data[...] = b

    def weights(self):
        return [layer.weight for layer in self.linears]

    def loss(self, X, y, kind, class_weights):
        out = self.model(Tensor(X, dtype=X.dtype))
        if kind == "softmax":
            data_loss = F.cross_entropy(out, y, weight=class_weights)
        elif kind == "logistic":
            weight = None if class_weights is None else class_weights[y.astype(int)]
            data_loss = F.binary_cross_entropy_with_logits(out, y, weight=weight)
        else:
            data_loss = F.mse_loss(out, y) * 0.5  # scikit-learn's squared loss is halved
        return data_loss

    def outputs(self, X):
        self.model.eval()
        with graph.no_grad():
            out = self.model(Tensor(X, dtype=self.linears[0].weight.dtype)).data
        self.model.train()
        return out


class _ScalarNetwork:
    """The same MLP built from `Value`s: one sample, one graph of scalars at a time."""

    def __init__(self, weights, biases, activation, dropout, dtype, rng):
        if dropout:
            raise ValueError("engine='scalar' does not support dropout; use engine='tensor'")
        sizes = [weights[0].shape[0]] + [w.shape[1] for w in weights]
        self.model = nn.ScalarMLP(sizes[0], sizes[1:], activation=activation, output_activation="linear",
                                  seed=0)
        self.set_weights(weights, biases)

    def parameters(self):
        return self.model.parameters()

    def coefs(self):
        return [np.array([[n.w[i].data for n in layer.neurons] for i in range(len(layer.neurons[0].w))])
                for layer in self.model.layers]

    def intercepts(self):
        return [np.array([n.b.data for n in layer.neurons]) for layer in self.model.layers]

    def set_weights(self, coefs, intercepts):
        for layer, w, b in zip(self.model.layers, coefs, intercepts):
            for j, neuron in enumerate(layer.neurons):
                for i, weight in enumerate(neuron.w):
                    weight.data = float(w[i, j])
                neuron.b.data = float(b[j])

    def weights(self):
        return [w for layer in self.model.layers for n in layer.neurons for w in n.w]

    def _row_outputs(self, row):
        out = self.model(row)
        return [out] if isinstance(out, Value) else out

    def loss(self, X, y, kind, class_weights):
        total, weight_total = 0.0, 0.0
        for row, target in zip(X.tolist(), y.tolist()):
            outputs = self._row_outputs(row)
            if kind == "softmax":
                shift = max(o.data for o in outputs)  # log-sum-exp, shifted like the tensor engine
                log_norm = sum((o - shift).exp() for o in outputs).log() + shift
                sample_loss, weight = log_norm - outputs[target], 1.0
                if class_weights is not None:
                    weight = float(class_weights[target])
            elif kind == "logistic":
                sample_loss, weight = 0.0, 1.0
                for o, t in zip(outputs, target):
                    softplus = (1 + (-o).exp()).log() if o.data >= 0 else (1 + o.exp()).log() - o
                    sample_loss = sample_loss + softplus + o * (1 - t)  # -log sigmoid(+-o)
                if class_weights is not None:
                    weight = float(class_weights[int(target[0])])
                sample_loss = sample_loss * (1 / len(outputs))
            else:
                sample_loss = sum((o - t) ** 2 for o, t in zip(outputs, target)) * (0.5 / len(outputs))
                weight = 1.0
            total = total + sample_loss * weight
            weight_total += weight
        denominator = weight_total if kind == "softmax" else len(X)
        return total * (1 / denominator)

    def outputs(self, X):
        with graph.no_grad():
            return np.array([[o.data for o in self._row_outputs(row)] for row in X.tolist()])


ENGINES = {"tensor": _TensorNetwork, "scalar": _ScalarNetwork}


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
        hidden = self.hidden_layer_sizes
        hidden = [hidden] if isinstance(hidden, (int, np.integer)) else list(hidden)
        problems = []
        if any(not isinstance(h, (int, np.integer)) or h < 1 for h in hidden):
            problems.append(f"hidden_layer_sizes must be positive integers, got {self.hidden_layer_sizes!r}")
        checks = [  # (parameter, is it fine, what it must be)
            ("activation", self.activation in ACTIVATIONS, f"one of {sorted(ACTIVATIONS)}"),
            ("solver", self.solver in ("sgd", "adam"), "'sgd' or 'adam' (lbfgs is not offered)"),
            ("engine", self.engine in ENGINES, f"one of {sorted(ENGINES)}"),
            ("learning_rate", self.learning_rate in ("constant", "invscaling", "adaptive"),
             "'constant', 'invscaling' or 'adaptive'"),
            ("alpha", self.alpha >= 0, ">= 0"),
            ("learning_rate_init", self.learning_rate_init > 0, "> 0"),
            ("max_iter", self.max_iter >= 1, ">= 1"),
            ("momentum", self.momentum >= 0, ">= 0"),
            ("validation_fraction", 0 < self.validation_fraction < 1, "in (0, 1)"),
            ("beta_1", 0 <= self.beta_1 < 1, "in [0, 1)"),
            ("beta_2", 0 <= self.beta_2 < 1, "in [0, 1)"),
            ("epsilon", self.epsilon > 0, "> 0"),
            ("n_iter_no_change", self.n_iter_no_change >= 1, ">= 1"),
            ("dropout", 0 <= self.dropout < 1, "in [0, 1)"),
            ("dtype", self.dtype in (None, "float32", "float64", np.float32, np.float64),
             "None, 'float32' or 'float64'"),
            ("batch_size", self.batch_size == "auto" or (
                isinstance(self.batch_size, (int, np.integer)) and self.batch_size >= 1),
             "'auto' or a positive integer"),
        ]
        problems += [f"{name} must be {expected}, got {getattr(self, name)!r}"
                     for name, ok, expected in checks if not ok]
        if problems:
            raise ValueError(f"{type(self).__name__}: " + "; ".join(problems))
        return hidden

    def _data_dtype(self, X):
        if self.dtype is not None:
            return np.dtype(self.dtype)
        return np.dtype(np.float32) if X.dtype == np.float32 else np.dtype(np.float64)

    # ---- training ----

    def _initialize(self, n_features, n_outputs, hidden, dtype):
        """scikit-learn's Glorot-uniform start, drawn from `random_state`."""
        # separate streams, so both engines draw the same weights and the same batches
        init_rng, self._rng, network_rng = (
            np.random.default_rng(s) for s in np.random.SeedSequence(_seed(self.random_state)).spawn(3))
        sizes = [n_features, *hidden, n_outputs]
        factor = 2.0 if self.activation == "logistic" else 6.0
        weights, biases = [], []
        for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
            bound = np.sqrt(factor / (fan_in + fan_out))
            weights.append(init_rng.uniform(-bound, bound, (fan_in, fan_out)).astype(dtype))
            biases.append(init_rng.uniform(-bound, bound, fan_out).astype(dtype))
        self._network = ENGINES[self.engine](weights, biases, ACTIVATIONS[self.activation], self.dropout,
                                             dtype, network_rng)
        if self.solver == "adam":
            self._optimizer = optim.Adam(self._network.parameters(), lr=self.learning_rate_init,
                                         betas=(self.beta_1, self.beta_2), eps=self.epsilon)
        else:
            self._optimizer = optim.SGD(self._network.parameters(), lr=self.learning_rate_init,
                                        momentum=self.momentum,
                                        nesterov=self.nesterovs_momentum and self.momentum > 0)
        self.n_iter_, self.t_ = 0, 0
        self.loss_curve_ = []
        self._no_improvement_count = 0
        self.n_layers_ = len(hidden) + 2
        self.n_outputs_ = n_outputs
        if self.early_stopping:
            self.validation_scores_, self.best_validation_score_, self.best_loss_ = [], -np.inf, None
        else:
            self.validation_scores_, self.best_validation_score_, self.best_loss_ = None, None, np.inf
        self._publish_weights()

    def _publish_weights(self):
        self.coefs_ = self._network.coefs()
        self.intercepts_ = self._network.intercepts()

    def _fit(self, X, y_encoded, incremental):
        hidden = self._check_parameters()
        dtype = self._data_dtype(X)
        X = X.astype(dtype, copy=False)
        targets = y_encoded if self._loss_kind == "softmax" else y_encoded.astype(dtype)
        fresh = not (hasattr(self, "_network") and (self.warm_start or incremental))
        if fresh:
            self._initialize(X.shape[1], self._n_network_outputs(y_encoded), hidden, dtype)
        class_weights = self._class_weights(y_encoded)

        X_val = y_val = None
        if self.early_stopping and not incremental:
            X, X_val, targets, y_val = train_test_split(
                X, targets, test_size=self.validation_fraction, random_state=_seed(self.random_state),
                stratify=targets if self._stratify_validation(targets) else None)
            y_val = self._decode(y_val)

        n = len(X)
        batch_size = min(200, n) if self.batch_size == "auto" else int(self.batch_size)
        if batch_size > n:
            warnings.warn(f"Got `batch_size` less than 1 or larger than sample size. It is going to be "
                          f"clipped to {n}", UserWarning, stacklevel=3)
            batch_size = n
        self._best_weights = None
        for _ in range(self.max_iter):
            self.loss_ = self._train_epoch(X, targets, batch_size, class_weights)
            self.n_iter_ += 1
            self.t_ += n
            self.loss_curve_.append(self.loss_)
            if self.verbose:
                print(f"Iteration {self.n_iter_}, loss = {self.loss_:.8f}")
            if self.solver == "sgd" and self.learning_rate == "invscaling":
                self._optimizer.lr = self.learning_rate_init / (self.t_ + 1) ** self.power_t
            if self._stalled(X_val, y_val) or incremental:
                break
        else:
            warnings.warn(f"Stochastic Optimizer: Maximum iterations ({self.max_iter}) reached and "
                          f"the optimization hasn't converged yet.", ConvergenceWarning, stacklevel=3)
        if self._best_weights is not None:  # early stopping: back to the best validation score
            self._network.set_weights(*self._best_weights)
        del self._best_weights
        self._publish_weights()
        return self

    def _train_epoch(self, X, targets, batch_size, class_weights):
        """One pass over the data in mini-batches; returns the mean loss (L2 penalty included)."""
        order = self._rng.permutation(len(X)) if self.shuffle else np.arange(len(X))
        total = 0.0
        for start in range(0, len(X), batch_size):
            index = order[start:start + batch_size]
            loss = self._network.loss(X[index], targets[index], self._loss_kind, class_weights)
            value = float(loss.data) + self._l2_penalty(len(index))
            if not np.isfinite(value):
                raise FloatingPointError(
                    f"{type(self).__name__}: the loss became {value} in iteration {self.n_iter_ + 1}; "
                    f"try a smaller learning_rate_init or scaled features")
            self._optimizer.zero_grad()
            loss.backward()
            self._add_l2_gradient(len(index))
            self._optimizer.step()
            total += value * len(index)
        return total / len(X)

    def _stalled(self, X_val, y_val):
        """scikit-learn's stopping rule: no improvement by `tol` for `n_iter_no_change` epochs
        (in validation score with early_stopping, else in training loss). With adaptive SGD a
        stall first divides the learning rate by 5."""
        if X_val is not None:
            self._publish_weights()
            score = self.score(X_val, y_val)
            self.validation_scores_.append(score)
            if self.verbose:
                print(f"Validation score: {score:f}")
            improved = score >= self.best_validation_score_ + self.tol
            if score > self.best_validation_score_:
                self.best_validation_score_ = score
                self._best_weights = (self._network.coefs(), self._network.intercepts())
        else:
            improved = self.best_loss_ is None or self.loss_ <= self.best_loss_ - self.tol
            if self.best_loss_ is not None and self.loss_ < self.best_loss_:
                self.best_loss_ = self.loss_
        self._no_improvement_count = 0 if improved else self._no_improvement_count + 1
        if self._no_improvement_count <= self.n_iter_no_change:
            return False
        if self.solver == "sgd" and self.learning_rate == "adaptive" and self._optimizer.lr > 1e-6:
            self._optimizer.lr /= 5.0
            self._no_improvement_count = 0
            return False
        if self.verbose:
            what = "Validation score" if X_val is not None else "Training loss"
            print(f"{what} did not improve more than tol={self.tol} for {self.n_iter_no_change} consecutive "
                  f"epochs. Stopping.")
        return True

    # ---- files ----

    FITTED = ("n_features_in_", "loss_", "best_loss_", "loss_curve_", "validation_scores_",
              "best_validation_score_", "n_iter_", "t_", "n_layers_", "n_outputs_", "out_activation_",
              "_loss_kind", "_y_1d")

    def save(self, path):
        """Save the fitted estimator (settings, fitted attributes, weights) to a safetensors file.

        The optimizer's state is not kept: `warm_start` after `load` starts a fresh optimizer.
        """
        from . import io

        check_is_fitted(self)
        params = self.get_params()
        if not isinstance(params["random_state"], (int, type(None))):
            params["random_state"] = None  # a RandomState object has no place in a file
        if isinstance(params["class_weight"], dict):
            params["class_weight"] = [[_plain(k), v] for k, v in params["class_weight"].items()]
        fitted = {name: _plain(getattr(self, name)) for name in self.FITTED if hasattr(self, name)}
        if hasattr(self, "classes_"):
            fitted["classes_"] = {"values": self.classes_.tolist(), "dtype": self.classes_.dtype.str}
        if hasattr(self, "feature_names_in_"):
            fitted["feature_names_in_"] = self.feature_names_in_.tolist()
        arrays = {f"coefs.{i}": w for i, w in enumerate(self.coefs_)}
        arrays.update({f"intercepts.{i}": b for i, b in enumerate(self.intercepts_)})
        io.write_file(path, arrays, {"estimator": type(self).__name__, "params": params, "fitted": fitted})

    @classmethod
    def load(cls, path):
        """An estimator saved by `save`, ready to predict."""
        from . import io

        arrays, metadata = io.read_file(path)
        if metadata.get("estimator") != cls.__name__:
            raise io.ModelFileError(f"{path}: holds {metadata.get('estimator') or 'no estimator'}, "
                                    f"not a {cls.__name__}")
        params = metadata["params"]
        if isinstance(params.get("class_weight"), list):
            params["class_weight"] = dict((k, v) for k, v in params["class_weight"])
        if isinstance(params.get("hidden_layer_sizes"), list):
            params["hidden_layer_sizes"] = tuple(params["hidden_layer_sizes"])
        try:
            estimator = cls(**params)
            hidden = estimator._check_parameters()
            n = len(hidden) + 1
            coefs = [arrays[f"coefs.{i}"] for i in range(n)]
            intercepts = [arrays[f"intercepts.{i}"] for i in range(n)]
        except (TypeError, ValueError, KeyError) as error:
            raise io.ModelFileError(f"{path}: the saved estimator is not valid: {error}") from None
        fitted = metadata["fitted"]
        for name, value in fitted.items():
            if name == "classes_":
                value = np.array(value["values"], dtype=np.dtype(value["dtype"]))
            elif name == "feature_names_in_":
                value = np.array(value, dtype=object)
            setattr(estimator, name, value)
        estimator._network = ENGINES[estimator.engine](coefs, intercepts, ACTIVATIONS[estimator.activation],
                                                       estimator.dropout, coefs[0].dtype, None)
        estimator._publish_weights()
        return estimator

    # scikit-learn's L2 penalty on the weights (not the biases): alpha/2 * sum(w²) per sample of the
    # batch. Added to the loss value and the gradients directly: no graph needed for it.
    def _l2_penalty(self, batch_size):
        if not self.alpha:
            return 0.0
        return 0.5 * self.alpha * sum(float(np.sum(np.square(w.data))) for w in self._network.weights()) \
            / batch_size

    def _add_l2_gradient(self, batch_size):
        if self.alpha:
            for w in self._network.weights():
                w.grad = w.grad + (self.alpha / batch_size) * w.data

    def _stratify_validation(self, targets):
        return False

    def _class_weights(self, y_encoded):
        return None

    def _raw_outputs(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, reset=False, dtype=(np.float64, np.float32))
        out = self._network.outputs(X.astype(self._data_dtype(X), copy=False))
        return out.astype(np.float64, copy=False)  # scikit-learn returns float64 whatever trained


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """Multi-layer perceptron classifier: softmax output for several classes, logistic for two."""

    def fit(self, X, y):
        X, y = validate_data(self, X, y, dtype=(np.float64, np.float32))
        check_classification_targets(y)
        self._set_classes(np.unique(y))
        return self._fit(X, self._encode(y), incremental=False)

    def partial_fit(self, X, y, classes=None):
        first_call = not hasattr(self, "classes_")
        X, y = validate_data(self, X, y, dtype=(np.float64, np.float32), reset=first_call)
        check_classification_targets(y)
        if first_call:
            if classes is None:
                raise ValueError("classes must be passed on the first call to partial_fit")
            self._set_classes(np.asarray(classes))
        elif classes is not None and not np.array_equal(np.unique(classes), self.classes_):
            raise ValueError(f"`classes={list(classes)}` is not the same as on the first call to "
                             f"partial_fit, which was {list(self.classes_)}")
        unseen = np.setdiff1d(np.unique(y), self.classes_)
        if len(unseen):
            raise ValueError(f"y contains labels {list(unseen)} that are not in classes "
                             f"{list(self.classes_)}")
        return self._fit(X, self._encode(y), incremental=True)

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

    def _decode(self, encoded):
        return self.classes_[encoded.ravel().astype(int)]

    def _stratify_validation(self, targets):
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
        weights = compute_class_weight(self.class_weight, classes=np.arange(len(self.classes_)),
                                       y=labels) if self.class_weight == "balanced" else \
            np.array([self.class_weight.get(c, 1.0) for c in self.classes_.tolist()])
        return weights

    def predict_proba(self, X):
        out = self._raw_outputs(X)
        if self._loss_kind == "logistic":
            positive = Tensor(out).sigmoid().data.ravel()
            return np.column_stack([1 - positive, positive])
        return F.softmax(Tensor(out)).data

    def predict_log_proba(self, X):
        out = self._raw_outputs(X)
        if self._loss_kind == "logistic":
            logits = out.ravel()
            return np.column_stack([-np.logaddexp(0, logits), -np.logaddexp(0, -logits)])
        return F.log_softmax(Tensor(out)).data

    def predict(self, X):
        out = self._raw_outputs(X)
        if self._loss_kind == "logistic":
            return self.classes_[(out.ravel() > 0).astype(int)]
        return self.classes_[out.argmax(axis=1)]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.classifier_tags.multi_label = False
        return tags


class MLPRegressor(RegressorMixin, _BaseMLP):
    """Multi-layer perceptron regressor: identity output, squared loss; multi-output allowed."""

    def fit(self, X, y):
        X, y = validate_data(self, X, y, dtype=(np.float64, np.float32), multi_output=True, y_numeric=True)
        return self._fit_regression(X, y, incremental=False)

    def partial_fit(self, X, y):
        first_call = not hasattr(self, "_network")
        X, y = validate_data(self, X, y, dtype=(np.float64, np.float32), multi_output=True,
                             y_numeric=True, reset=first_call)
        return self._fit_regression(X, y, incremental=True)

    def _fit_regression(self, X, y, incremental):
        self._loss_kind = "squared"
        self.out_activation_ = "identity"
        self._y_1d = y.ndim == 1
        y2 = y.reshape(len(y), -1)
        if hasattr(self, "_network") and (self.warm_start or incremental) and y2.shape[1] != self.n_outputs_:
            raise ValueError(f"y has {y2.shape[1]} outputs, the fitted model {self.n_outputs_}")
        return self._fit(X, y2, incremental)

    def _n_network_outputs(self, y_encoded):
        return y_encoded.shape[1]

    def _decode(self, y):
        return y.ravel() if y.shape[1] == 1 else y

    def predict(self, X):
        out = self._raw_outputs(X)
        return out.ravel() if out.shape[1] == 1 else out

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


def _plain(value):
    """NumPy scalars and arrays as plain Python values, for JSON."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _seed(random_state):
    """An int seed (or None) from scikit-learn's random_state conventions."""
    if random_state is None or isinstance(random_state, (int, np.integer)):
        return random_state
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(np.iinfo(np.int32).max))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(np.iinfo(np.int32).max))
    raise ValueError(f"random_state must be None, an int, a RandomState or a Generator, got {random_state!r}")

