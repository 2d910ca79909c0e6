"""The estimators, judged by scikit-learn's own checks and by the tutorials' results."""

import pickle
import warnings

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits, load_iris, make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, cross_val_score, train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.estimator_checks import parametrize_with_checks

from scratchgrad.errors import InvalidParameterError, TrainingDivergedError
from scratchgrad.estimators import MLPClassifier, MLPRegressor

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

# Every check of the installed scikit-learn runs. (check_array_api_input skips itself, with its
# reason shown, unless SCIPY_ARRAY_API=1 is set.) One is expected to fail on the float32 default
# only, and passes in float64 (test_sample_weight_equals_repeating_samples_in_float64).
EXPECTED_FAILED_CHECKS = {
    "check_sample_weight_equivalence_on_dense_data":
        "float32 by default: a weight of k and k repeated rows sum in a different order, which "
        "moves predictions by ~1e-7, and the check allows 1e-7; equal in float64",
}


@parametrize_with_checks([MLPClassifier(), MLPRegressor()],
                         expected_failed_checks=lambda est: EXPECTED_FAILED_CHECKS)
def test_scikit_learn_estimator_checks(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


@pytest.mark.parametrize("estimator", [MLPClassifier(dtype="float64"), MLPRegressor(dtype="float64")],
                         ids=["classifier", "regressor"])
def test_sample_weight_equals_repeating_samples_in_float64(estimator):
    from sklearn.utils.estimator_checks import check_sample_weight_equivalence_on_dense_data

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check_sample_weight_equivalence_on_dense_data(type(estimator).__name__, estimator)


@pytest.fixture(scope="module")
def iris():
    X, y = load_iris(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, stratify=y, random_state=0)
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_train, y_test


def test_iris_like_seed_000(iris):
    X_train, X_test, y_train, y_test = iris
    tensor = MLPClassifier(hidden_layer_sizes=(16,), learning_rate_init=0.01, random_state=0)
    tensor.fit(X_train, y_train)
    scalar = MLPClassifier(hidden_layer_sizes=(8,), max_iter=50, batch_size=16, learning_rate_init=0.01,
                           engine="scalar", random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        scalar.fit(X_train, y_train)
    assert tensor.score(X_test, y_test) >= 0.97
    assert scalar.score(X_test, y_test) >= 0.93
    # scikit-learn's own, beside them as in the seed
    assert LogisticRegression().fit(X_train, y_train).score(X_test, y_test) >= 0.9


def test_scalar_engine_equals_tensor_engine_in_float64(iris):
    X_train, X_test, y_train, _ = iris
    kwargs = dict(hidden_layer_sizes=(6,), max_iter=15, batch_size=16, random_state=3, dtype="float64",
                  activation="tanh")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        tensor = MLPClassifier(**kwargs).fit(X_train, y_train)
        scalar = MLPClassifier(engine="scalar", **kwargs).fit(X_train, y_train)
    np.testing.assert_array_equal(tensor.predict(X_test), scalar.predict(X_test))
    np.testing.assert_allclose(tensor.predict_proba(X_test), scalar.predict_proba(X_test), atol=1e-6)
    assert tensor.loss_curve_ == pytest.approx(scalar.loss_curve_, rel=1e-9)


def test_digits_pipeline_reaches_097():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, stratify=y, random_state=0)
    scores = [make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(128,), random_state=seed))
              .fit(X_train, y_train).score(X_test, y_test) for seed in range(3)]
    assert sorted(scores)[1] >= 0.97, scores  # the median: one seed sits a sample from 0.97


def test_string_labels_like_seed_001_and_fitted_attributes():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(150, 2))
    y = np.array(["c1", "c2", "c3"])[(X[:, 0] > 0).astype(int) + (X[:, 1] > 0.5)]
    clf = MLPClassifier(hidden_layer_sizes=(10, 5), max_iter=500, random_state=0).fit(X, y)
    assert clf.classes_.tolist() == ["c1", "c2", "c3"]
    assert set(clf.predict(X)) <= {"c1", "c2", "c3"} and clf.score(X, y) > 0.9
    assert [w.shape for w in clf.coefs_] == [(2, 10), (10, 5), (5, 3)]
    assert [b.shape for b in clf.intercepts_] == [(10,), (5,), (3,)]
    assert clf.n_layers_ == 4 and clf.n_outputs_ == 3 and clf.out_activation_ == "softmax"
    assert clf.n_iter_ == len(clf.loss_curve_) and clf.t_ == 150 * clf.n_iter_
    assert clf.loss_ == clf.loss_curve_[-1] and clf.best_loss_ <= clf.loss_
    proba = clf.predict_proba(X)
    np.testing.assert_allclose(proba.sum(axis=1), 1)
    np.testing.assert_allclose(np.log(proba), clf.predict_log_proba(X), atol=1e-10)


def test_binary_uses_a_logistic_output():
    X, y = load_iris(return_X_y=True)
    mask = y < 2
    labels = np.where(y[mask] == 0, "no", "yes")
    clf = MLPClassifier(max_iter=500, random_state=0).fit(X[mask], labels)
    assert clf.n_outputs_ == 1 and clf.out_activation_ == "logistic"
    assert clf.predict_proba(X[mask]).shape == (100, 2) and clf.score(X[mask], labels) == 1


def test_early_stopping_and_convergence_warning():
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    clf = MLPClassifier(early_stopping=True, random_state=0, max_iter=200).fit(X, y)
    assert clf.best_loss_ is None and len(clf.validation_scores_) == clf.n_iter_ < 200
    assert clf.best_validation_score_ == max(clf.validation_scores_)
    with pytest.warns(ConvergenceWarning, match=r"Maximum iterations \(2\) reached"):
        MLPClassifier(max_iter=2, random_state=0).fit(X, y)


def test_partial_fit_and_warm_start():
    X, y = load_digits(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    clf = MLPClassifier(random_state=0)
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(X[:100], y[:100])
    for _ in range(5):
        clf.partial_fit(X, y, classes=np.arange(10))
    assert clf.n_iter_ == 5 and clf.score(X, y) > 0.85
    warm = MLPClassifier(max_iter=3, warm_start=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warm.fit(X, y)
        first = [w.copy() for w in warm.coefs_]
        warm.fit(X, y)
    assert warm.n_iter_ == 6 and not np.array_equal(first[0], warm.coefs_[0])


@pytest.mark.parametrize("then", ["partial_fit", "warm_start"])
def test_a_fit_refused_for_its_sample_weight_leaves_the_fitted_classifier_whole(iris, then):
    """The classes stay those the network was trained on: it predicts as before, and the
    refused labels are refused again, by name, rather than reaching the training step."""
    X, _, y, _ = iris
    clf = MLPClassifier((8,), max_iter=20, random_state=0).fit(X, np.array(["a", "b", "c"])[y])
    predicted = clf.predict(X)
    other_labels = np.array(["p", "q", "r", "s", "t"])[np.arange(len(y)) % 5]
    with pytest.raises(ValueError, match="sample_weight"):
        clf.fit(X, other_labels, sample_weight=np.ones(len(y) - 1))
    assert clf.classes_.tolist() == ["a", "b", "c"]
    np.testing.assert_array_equal(clf.predict(X), predicted)
    with pytest.raises(ValueError, match=r"\['p',? 'q',? 'r',? 's',? 't'\]"):
        if then == "partial_fit":
            clf.partial_fit(X, other_labels)
        else:
            clf.set_params(warm_start=True).fit(X, other_labels)


def test_a_regressor_fit_refused_for_its_sample_weight_still_saves_a_loadable_file(tmp_path):
    """A refused fit on a one-column y must not mark the two-output network as one-column."""
    X, y = make_regression(n_samples=60, n_features=4, n_targets=2, random_state=0)
    y = y / y.std()
    reg = MLPRegressor((8,), max_iter=5, random_state=0).fit(X, y)
    with pytest.raises(ValueError, match="sample_weight"):
        reg.fit(X, y[:, 0], sample_weight=np.ones(3))
    reg.save(tmp_path / "model.safetensors")
    loaded = MLPRegressor.load(tmp_path / "model.safetensors")
    np.testing.assert_array_equal(loaded.predict(X), reg.predict(X))
    assert loaded.predict(X).shape == (60, 2)


def test_partial_fit_names_unknown_labels_as_the_user_wrote_them():
    X, y = load_iris(return_X_y=True)
    clf = MLPClassifier((4,), random_state=0).partial_fit(X, y, classes=np.array([0, 1, 2]))
    with pytest.raises(ValueError, match=r"y contains labels \[7\] that are not in classes \[0, 1, 2\]$"):
        clf.partial_fit(X, np.where(y == 2, 7, y))
    with pytest.raises(ValueError, match=r"`classes=\[0, 1, 2, 3\]` is not the same .* which was \[0, 1, 2\]$"):
        clf.partial_fit(X, y, classes=np.arange(4))


def test_regressor_single_and_multi_output():
    X, y = make_regression(n_samples=300, n_features=5, n_targets=2, noise=1, random_state=0)
    y = y / y.std()
    reg = MLPRegressor(hidden_layer_sizes=(32,), max_iter=500, random_state=0).fit(X, y)
    assert reg.predict(X).shape == (300, 2) and reg.score(X, y) > 0.95
    assert reg.predict(X[:3]).shape == (3, 2)
    single = MLPRegressor(hidden_layer_sizes=(32,), max_iter=500, random_state=0).fit(X, y[:, 0])
    assert single.predict(X).shape == (300,) and single.out_activation_ == "identity"


def test_tools_of_scikit_learn_accept_them():
    X, y = load_iris(return_X_y=True)
    pipeline = make_pipeline(StandardScaler(), MLPClassifier(max_iter=300, random_state=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        assert cross_val_score(pipeline, X, y, cv=3).mean() > 0.9
        search = GridSearchCV(pipeline, {"mlpclassifier__hidden_layer_sizes": [(4,), (16,)]}, cv=3).fit(X, y)
    assert search.best_params_["mlpclassifier__hidden_layer_sizes"] in [(4,), (16,)]
    fitted = pipeline.fit(X, y)
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.predict_proba(X), fitted.predict_proba(X))
    assert clone(fitted[-1]).get_params() == fitted[-1].get_params()


@pytest.mark.parametrize("params, message", [
    (dict(activation="swish"), "activation must be one of"),
    (dict(solver="lbfgs"), "solver must be 'sgd' or 'adam'"),
    (dict(engine="gpu"), "engine must be one of"),
    (dict(hidden_layer_sizes=(0,)), "hidden_layer_sizes must be positive integers"),
    (dict(engine="scalar", dropout=0.5), "does not support dropout"),
])
def test_bad_parameters_fail_at_fit(params, message):
    clf = MLPClassifier(**params)  # __init__ only stores, as scikit-learn requires
    with pytest.raises(ValueError, match=message):
        clf.fit([[0.0], [1.0]], [0, 1])


@pytest.mark.parametrize("params, message", [
    (dict(alpha="0.1"), "alpha must be a number >= 0, got '0.1'"),
    (dict(max_iter=2.5), "max_iter must be an integer >= 1, got 2.5"),
    (dict(shuffle="yes"), "shuffle must be True or False, got 'yes'"),
    (dict(hidden_layer_sizes="10"), r"hidden_layer_sizes must be positive integers, got '10'"),
    (dict(hidden_layer_sizes=None), "hidden_layer_sizes must be a tuple of positive integers, got None"),
    (dict(batch_size=0), "batch_size must be 'auto' or an integer >= 1, got 0"),
    (dict(learning_rate_init=None), "learning_rate_init must be a number > 0, got None"),
    (dict(momentum=[0.9]), r"momentum must be a number in \[0, 1\], got \[0.9\]"),
    (dict(class_weight="auto"), "class_weight must be None, 'balanced' or a dict"),
    (dict(class_weight={0: "heavy"}), "class_weight must be None, 'balanced' or a dict"),
    (dict(random_state="seed"), "random_state must be None, an int, a RandomState or a Generator"),
    (dict(dtype="float16"), "dtype must be one of None, 'float32', 'float64'"),
    (dict(verbose=-1), "verbose must be True, False or an integer >= 0"),
])
@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_parameters_of_the_wrong_type_get_a_sentence_not_a_type_error(Estimator, params, message):
    with pytest.raises(InvalidParameterError, match=f"{Estimator.__name__}: {message}"):
        Estimator(**params).fit([[0.0], [1.0], [2.0]], [0, 1, 0])


# ---- divergence: an estimator never ends with weights that are not finite ----


@pytest.mark.filterwarnings("ignore:overflow encountered", "ignore:invalid value encountered")
@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_a_diverged_fit_keeps_the_last_finite_weights_and_trains_on_afterwards(Estimator, iris):
    X, _, y, _ = iris
    estimator = Estimator(hidden_layer_sizes=(8,), solver="sgd", batch_size=30, max_iter=20, warm_start=True,
                          random_state=0, dtype="float64", learning_rate_init=0.01).fit(X, y)
    good_weights, good_predictions = estimator.coefs_ + estimator.intercepts_, estimator.predict(X)
    estimator.set_params(learning_rate_init=1e300)  # the first step of the next fit makes the weights huge
    with pytest.raises(TrainingDivergedError, match=f"{Estimator.__name__}: the loss became .* at "
                                                     f"iteration 21, batch 2"):
        estimator.fit(X, y)
    for now, before in zip(estimator.coefs_ + estimator.intercepts_, good_weights):
        np.testing.assert_array_equal(now, before)  # the weights from before the step that diverged
    np.testing.assert_array_equal(estimator.predict(X), good_predictions)
    assert estimator.n_iter_ == 20
    # the optimizer's averages held the huge step: partial_fit starts a fresh one and trains on
    estimator.set_params(learning_rate_init=0.01).partial_fit(X, y)
    assert estimator.n_iter_ == 21 and np.isfinite(estimator.loss_)
    assert all(np.all(np.isfinite(w)) for w in estimator.coefs_)


@pytest.mark.filterwarnings("ignore:overflow encountered", "ignore:invalid value encountered")
def test_a_fit_diverging_at_its_first_step_keeps_the_initial_weights_not_nan(iris):
    X, _, y, _ = iris
    settings = dict(hidden_layer_sizes=(8,), solver="sgd", batch_size=30, random_state=0, dtype="float64")
    diverged = MLPClassifier(**settings, learning_rate_init=1e300)
    with pytest.raises(TrainingDivergedError, match="iteration 1, batch 2"):
        diverged.fit(X, y)
    untouched = MLPClassifier(**settings, learning_rate_init=1e-300, max_iter=1).fit(X, y)  # steps of ~0
    for now, initial in zip(diverged.coefs_, untouched.coefs_):
        np.testing.assert_array_equal(now, initial)
    assert np.all(np.isfinite(diverged.predict_proba(X)))


# ---- sample_weight and class_weight ----


def test_class_weight_multiplies_sample_weight():
    X, y = load_iris(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    sample_weight = np.random.default_rng(0).uniform(0.5, 2, len(y))
    settings = dict(hidden_layer_sizes=(5,), max_iter=5, random_state=0, dtype="float64")
    both = MLPClassifier(**settings, class_weight={0: 3.0, 2: 0.5}).fit(X, y, sample_weight=sample_weight)
    product = MLPClassifier(**settings).fit(X, y, sample_weight=sample_weight * np.array([3.0, 1, 0.5])[y])
    for a, b in zip(both.coefs_, product.coefs_):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)
    unweighted = MLPClassifier(**settings).fit(X, y)
    assert not np.allclose(unweighted.coefs_[0], both.coefs_[0])


def test_sample_weight_is_checked():
    X, y = load_iris(return_X_y=True)
    with pytest.raises(ValueError, match="Negative values in data passed to `sample_weight`"):
        MLPClassifier(max_iter=1).fit(X, y, sample_weight=-np.ones(len(y)))
    with pytest.raises(ValueError, match="Sample weights must contain at least one non-zero number"):
        MLPClassifier(max_iter=1).fit(X, y, sample_weight=np.zeros(len(y)))


# ---- early stopping: validation scores and a validation loss curve ----


@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_validation_scores_and_loss_curve_follow_the_held_out_rows(Estimator, iris):
    from sklearn.metrics import accuracy_score, log_loss, mean_squared_error, r2_score

    X, _, y, _ = iris
    settings = dict(hidden_layer_sizes=(8,), early_stopping=True, validation_fraction=0.2, max_iter=30,
                    n_iter_no_change=30, random_state=0, dtype="float64", alpha=0.0)
    estimator = Estimator(**settings).fit(X, y)
    assert len(estimator.validation_scores_) == len(estimator.validation_loss_curve_) == estimator.n_iter_
    # scikit-learn's hold-out: the same rows, found again, give the best epoch's score and loss
    classify = Estimator is MLPClassifier
    _, X_val, _, y_val = train_test_split(X, y, test_size=0.2, random_state=0, stratify=y if classify else None)
    best = int(np.argmax(estimator.validation_scores_))  # the weights kept are the best epoch's
    if classify:
        assert estimator.validation_scores_[best] == accuracy_score(y_val, estimator.predict(X_val))
        expected_loss = log_loss(y_val, estimator.predict_proba(X_val))
    else:
        assert estimator.validation_scores_[best] == pytest.approx(r2_score(y_val, estimator.predict(X_val)))
        expected_loss = mean_squared_error(y_val, estimator.predict(X_val)) / 2
    assert estimator.validation_loss_curve_[best] == pytest.approx(expected_loss, rel=1e-10)
    assert Estimator(max_iter=2).fit(X, y).validation_loss_curve_ is None


# ---- documentation ----


@pytest.mark.parametrize("Estimator", [MLPClassifier, MLPRegressor])
def test_help_documents_every_parameter(Estimator):
    import inspect
    import re

    doc = inspect.getdoc(Estimator)
    section = doc.split("Parameters\n----------\n", 1)[1].split("\nAttributes\n----------\n", 1)[0]
    documented = re.findall(r"^(\w+) : ", section, flags=re.MULTILINE)
    assert documented == list(inspect.signature(Estimator).parameters)
    attributes = doc.split("\nAttributes\n----------\n", 1)[1]
    for name in ("coefs_", "loss_curve_", "validation_scores_", "validation_loss_curve_", "n_iter_"):
        assert re.search(rf"^{name} : ", attributes, flags=re.MULTILINE), name


def test_scalar_engine_equals_tensor_engine_with_sample_weight_and_two_outputs():
    X, y = make_regression(n_samples=24, n_features=3, n_targets=2, noise=1, random_state=0)
    y = y / y.std()
    weights = np.random.default_rng(0).uniform(0, 2, len(y))
    kwargs = dict(hidden_layer_sizes=(4,), max_iter=4, batch_size=8, random_state=0, dtype="float64",
                  activation="tanh", alpha=0.01)
    tensor = MLPRegressor(**kwargs).fit(X, y, sample_weight=weights)
    scalar = MLPRegressor(engine="scalar", **kwargs).fit(X, y, sample_weight=weights)
    assert tensor.loss_curve_ == pytest.approx(scalar.loss_curve_, rel=1e-10)
    np.testing.assert_allclose(tensor.predict(X), scalar.predict(X), rtol=1e-9, atol=1e-12)


def test_the_regressor_refuses_class_weight():
    with pytest.raises(InvalidParameterError, match="MLPRegressor: class_weight is for classifiers"):
        MLPRegressor(class_weight="balanced").fit([[0.0], [1.0]], [0.0, 1.0])


def test_a_pickled_estimator_goes_on_learning_as_the_original():
    # saving a fitted model mid-way and continuing with partial_fit must give what continuing would
    X, y = load_iris(return_X_y=True)
    model = MLPClassifier(random_state=0, max_iter=5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    restored = pickle.loads(pickle.dumps(model))
    for estimator in (model, restored):
        estimator.partial_fit(X, y)
        estimator.partial_fit(X, y)
    np.testing.assert_array_equal(model.predict_proba(X), restored.predict_proba(X))
