"""One step of our estimators against scikit-learn's own MLPClassifier / MLPRegressor.

Same starting weights (ours, after a first warm-startable fit, copied into scikit-learn's),
same batch (the whole data, unshuffled), float64, alpha > 0: after one more step the
weights must agree to 1e-10. Both libraries start a fresh optimizer at every `fit`, so the
step is each library's first optimizer step from the same point.

Where we differ on purpose: our Adam adds epsilon after the bias correction (PyTorch's
formula), scikit-learn's before it. At step t they agree when ours is theirs divided by
sqrt(1 - beta_2**t); the test converts at t = 1, so a large epsilon still tests its place.
Multi-output regression matches scikit-learn: the step follows half the squared error
summed over the outputs, while `loss_` reports its mean over the outputs.
"""

import math
import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.neural_network import MLPClassifier as SklearnClassifier
from sklearn.neural_network import MLPRegressor as SklearnRegressor

from scratchgrad.estimators import MLPClassifier, MLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

N_SAMPLES, N_FEATURES = 40, 5


def problem(kind, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(N_SAMPLES, N_FEATURES))
    signal = X[:, 0] - 0.5 * X[:, 1] + 0.3 * X[:, 2] * X[:, 3]
    if kind == "multiclass":
        y = np.digitize(signal, [-0.5, 0.5])
    elif kind == "binary":
        y = np.where(signal > 0, "yes", "no")
    elif kind == "regression":
        y = signal
    else:  # two outputs
        y = np.column_stack([signal, X[:, 4] - X[:, 0]])
    return X, y


def settings(solver, activation):
    common = dict(hidden_layer_sizes=(7, 4), activation=activation, solver=solver, alpha=0.3,
                  batch_size=N_SAMPLES, shuffle=False, max_iter=1, learning_rate_init=0.05)
    if solver == "sgd":
        return common | dict(momentum=0.9, nesterovs_momentum=True), {}
    beta_2, theirs = 0.999, 1e-2  # an epsilon large enough to weigh in the step
    return common | dict(beta_1=0.8, beta_2=beta_2), dict(ours=theirs / math.sqrt(1 - beta_2), theirs=theirs)


def one_step_each(kind, solver, activation, sample_weight=None):
    X, y = problem(kind)
    params, epsilon = settings(solver, activation)
    Ours, Theirs = (MLPRegressor, SklearnRegressor) if kind in ("regression", "two outputs") else \
        (MLPClassifier, SklearnClassifier)
    ours = Ours(**params, dtype="float64", warm_start=True, random_state=0,
                **({"epsilon": epsilon["ours"]} if epsilon else {}))
    theirs = Theirs(**params, warm_start=True, random_state=0,
                    **({"epsilon": epsilon["theirs"]} if epsilon else {}))
    ours.fit(X, y)  # a first step from our initial weights: only to reach a warm-startable state
    theirs.fit(X, y)
    theirs.coefs_ = [w.copy() for w in ours.coefs_]  # their optimizer updates these in place
    theirs.intercepts_ = [b.copy() for b in ours.intercepts_]
    start = [w.copy() for w in ours.coefs_]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ours.fit(X, y, sample_weight=sample_weight)
        theirs.fit(X, y, sample_weight=sample_weight)
    assert not np.allclose(ours.coefs_[0], start[0], atol=1e-6)  # a step was taken
    return ours, theirs


def assert_same_step(ours, theirs):
    for mine, reference in zip(ours.coefs_ + ours.intercepts_, theirs.coefs_ + theirs.intercepts_):
        np.testing.assert_allclose(mine, reference, rtol=0, atol=1e-10)
    assert ours.loss_ == pytest.approx(theirs.loss_, rel=1e-10, abs=1e-12)  # the loss before the step


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("kind, activation", [
    ("multiclass", "relu"), ("binary", "tanh"), ("regression", "logistic"), ("two outputs", "relu"),
])
def test_one_step_equals_scikit_learn(kind, activation, solver):
    assert_same_step(*one_step_each(kind, solver, activation))


@pytest.mark.parametrize("solver", ["sgd", "adam"])
@pytest.mark.parametrize("kind", ["multiclass", "binary", "two outputs"])
def test_one_step_with_sample_weight_equals_scikit_learn(kind, solver):
    weights = np.random.default_rng(1).uniform(0, 3, N_SAMPLES)
    weights[:3] = 0  # zero weights count as absent samples
    assert_same_step(*one_step_each(kind, solver, "relu", sample_weight=weights))
