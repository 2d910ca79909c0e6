"""fit: the tutorials' results, callbacks, the NaN guard, and reproducibility."""

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from scratchgrad import Tensor, fit, nn, optim
from scratchgrad.datasets import make_spiral
from scratchgrad.train import (
    Callback,
    EarlyStopping,
    LearningRateScheduler,
    TrainingDivergedError,
    batches,
    evaluate,
)


def predict(model, X):
    model.eval()
    return model(Tensor(X)).data.argmax(axis=1)


@pytest.fixture(scope="module")
def spiral():
    """Seed 001: 3 x 500 points, stratified 70 / 15 / 15, standardised."""
    X, y = make_spiral(500, 3, random_state=0)
    X_train, X_rest, y_train, y_rest = train_test_split(X, y, test_size=0.3, stratify=y, random_state=0)
    X_val, X_test, y_val, y_test = train_test_split(X_rest, y_rest, test_size=0.5, stratify=y_rest,
                                                    random_state=0)
    scaler = StandardScaler().fit(X_train)
    return [scaler.transform(X_train), y_train, scaler.transform(X_val), y_val,
            scaler.transform(X_test), y_test]


def test_spiral_mlp_beats_097_and_a_linear_model_stays_near_chance(spiral):
    X_train, y_train, X_val, y_val, X_test, y_test = spiral
    mlp = nn.MLP(2, [100], 3, seed=0)
    history = fit(mlp, X_train, y_train, optimizer=optim.Adam(mlp.parameters(), lr=0.01),
                  epochs=60, batch_size=32, validation_data=(X_val, y_val), verbose=0, seed=0)
    assert accuracy_score(y_test, predict(mlp, X_test)) >= 0.97
    assert f1_score(y_test, predict(mlp, X_test), average="weighted") >= 0.97
    assert history["val_accuracy"][-1] >= 0.95

    linear = nn.Linear(2, 3, seed=0)
    fit(linear, X_train, y_train, optimizer=optim.Adam(linear.parameters(), lr=0.01), epochs=30,
        verbose=0, seed=0)
    assert accuracy_score(y_test, predict(linear, X_test)) < 0.6


def test_digits_reaches_097():
    X, y = load_digits(return_X_y=True)
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=360, stratify=y, random_state=0)
    scaler = StandardScaler().fit(X_train)
    scores = []
    for seed in range(3):  # the median of three seeds: one seed's result sits a sample or two from 0.97
        model = nn.MLP(64, [128], 10, seed=seed)
        fit(model, scaler.transform(X_train), y_train, epochs=20, verbose=0, seed=seed)
        scores.append(accuracy_score(y_test, predict(model, scaler.transform(X_test))))
    assert sorted(scores)[1] >= 0.97, scores


def small_problem(n=200, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    y = (X[:, 0] + X[:, 1] * X[:, 2] > 0).astype(int)
    return X, y


def test_same_seed_same_weights_and_history():
    X, y = small_problem()
    runs = []
    for _ in range(2):
        model = nn.MLP(4, [16], 2, dropout=0.2, seed=5, dtype=np.float64)
        history = fit(model, X, y, epochs=5, batch_size=16, validation_split=0.2, verbose=0, seed=7)
        runs.append((model.state_dict(), history.history))
    assert runs[0][1] == runs[1][1]
    for name in runs[0][0]:
        np.testing.assert_array_equal(runs[0][0][name], runs[1][0][name])


def test_early_stopping_restores_best_weights():
    X, y = small_problem()
    model = nn.MLP(4, [32], 2, seed=0, dtype=np.float64)

    class Record(Callback):
        def on_epoch_end(self, epoch, logs=None):
            self.weights = getattr(self, "weights", []) + [self.model.state_dict()]

    record = Record()
    stopper = EarlyStopping(monitor="val_loss", patience=2, restore_best_weights=True)
    history = fit(model, X, y, optimizer=optim.SGD(model.parameters(), lr=2.0), epochs=60,
                  validation_split=0.3, callbacks=[record, stopper], verbose=0, seed=0)
    best = int(np.argmin(history["val_loss"]))
    assert len(history.epoch) < 60 and stopper.stopped_epoch == len(history.epoch) - 1
    assert best == stopper.best_epoch and best < len(history.epoch) - 1
    for name, array in model.state_dict().items():
        np.testing.assert_array_equal(array, record.weights[best][name])


@pytest.mark.filterwarnings("ignore:overflow encountered")
def test_nan_loss_stops_with_epoch_and_batch_and_keeps_finite_weights():
    X, y = small_problem()
    X[150, 0] = 1e30  # sample 150: the fifth batch of 32, without shuffling
    model = nn.MLP(4, [8], 1, seed=0)
    before = model.state_dict()
    with pytest.raises(TrainingDivergedError, match=r"epoch 1, batch 5"):
        fit(model, X, y, optimizer=optim.SGD(model.parameters(), lr=0.1), epochs=3, shuffle=False,
            verbose=0, loss="mse", metrics=())
    assert all(np.all(np.isfinite(p.data)) for p in model.parameters())
    assert any(not np.array_equal(before[n], a) for n, a in model.state_dict().items())


def test_one_hot_targets_equal_integer_targets():
    X, y = small_problem()
    results = []
    for targets in (y, np.eye(2)[y]):
        model = nn.MLP(4, [8], 2, seed=1, dtype=np.float64)
        results.append(fit(model, X, targets, epochs=2, verbose=0, seed=0).history)
    assert results[0]["loss"] == pytest.approx(results[1]["loss"], rel=1e-12)
    assert results[0]["accuracy"] == results[1]["accuracy"]


def test_learning_rate_scheduler_callback_and_class_weight():
    X, y = small_problem()
    model = nn.MLP(4, [8], 2, seed=1)
    optimizer = optim.SGD(model.parameters(), lr=1.0)
    seen = []

    class Watch(Callback):
        def on_epoch_begin(self, epoch, logs=None):
            seen.append(self.optimizer.lr)

    fit(model, X, y, optimizer=optimizer, epochs=3, verbose=0, class_weight="balanced",
        callbacks=[LearningRateScheduler(optim.inverse_time_decay(0.1, 1.0)), Watch()])
    assert seen == pytest.approx([0.1, 0.05, 0.1 / 3])


def test_verbose_2_prints_a_line_per_epoch_and_0_prints_nothing(capsys):
    X, y = small_problem()
    fit(nn.MLP(4, [8], 2), X, y, epochs=3, verbose=2)
    lines = [line for line in capsys.readouterr().out.splitlines() if line.startswith("epoch")]
    assert len(lines) == 3 and "loss" in lines[0] and "accuracy" in lines[0]
    fit(nn.MLP(4, [8], 2), X, y, epochs=3, verbose=0)
    captured = capsys.readouterr()
    assert captured.out == "" and captured.err == ""


def test_evaluate_matches_sklearn_accuracy():
    X, y = small_problem()
    model = nn.MLP(4, [8], 2, seed=0)
    fit(model, X, y, epochs=3, verbose=0)
    assert evaluate(model, X, y)["accuracy"] == pytest.approx(accuracy_score(y, predict(model, X)))


@pytest.mark.parametrize("kwargs, message", [
    (dict(loss="hinge"), "loss must be one of"),
    (dict(validation_split=1.5), r"validation_split must be in \[0, 1\)"),
    (dict(epochs=-1), "epochs must be a non-negative integer"),
    (dict(metrics=("f1",)), "metrics must be among"),
    (dict(loss="mse", metrics=("accuracy",)), "'accuracy' needs a classification loss"),
    (dict(batch_size=0), "batch_size must be a positive integer"),
])
def test_bad_arguments(kwargs, message):
    X, y = small_problem()
    with pytest.raises(ValueError, match=message):
        fit(nn.MLP(4, [8], 2), X, y, verbose=0, **kwargs)


def test_bad_data():
    X, y = small_problem()
    with pytest.raises(ValueError, match="X has 200 samples but y has 10"):
        fit(nn.MLP(4, [8], 2), X, y[:10], verbose=0)
    with pytest.raises(ValueError, match=r"Linear\(4 -> 8\) got input with 3 features"):
        fit(nn.MLP(4, [8], 2), X[:, :3], y, verbose=0)
    with pytest.raises(ValueError, match="target class 2 is outside"):
        fit(nn.MLP(4, [8], 2), X, y + 1, verbose=0)


def test_batches_cover_every_sample_once():
    X, y = np.arange(10)[:, None], np.arange(10)
    seen = np.concatenate([yb for _, yb in batches(X, y, 3, rng=np.random.default_rng(0))])
    assert sorted(seen) == list(range(10)) and not np.array_equal(seen, np.arange(10))
    assert [len(b) for b, _ in batches(X, y, 4, shuffle=False)] == [4, 4, 2]
