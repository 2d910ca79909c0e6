"""Model files, checkpoints, ONNX export and PyTorch interchange."""

import json
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import onnx
import onnxruntime
import pytest
import safetensors.numpy
import torch
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from scratchgrad import Tensor, export, fit, io, nn, no_grad, optim
from scratchgrad.estimators import MLPClassifier, MLPRegressor
from scratchgrad.io import ModelFileError

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

X = np.random.default_rng(0).normal(size=(20, 4))


def outputs(model, X=X):
    model.eval()
    with no_grad():
        return model(Tensor(X, dtype=model.parameters()[0].dtype)).data


ALL_LAYERS = [nn.Linear(4, 6, seed=1), nn.ReLU(), nn.Linear(6, 5, seed=2), nn.LeakyReLU(0.2), nn.Dropout(0.3),
              nn.Linear(5, 5, bias=False, seed=3), nn.Tanh(), nn.Linear(5, 3, seed=4), nn.Sigmoid(),
              nn.Identity(), nn.Softmax()]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("make", [
    lambda dtype: nn.MLP(4, [8, 6], 3, activation="tanh", dropout=0.1, output_activation="softmax", dtype=dtype),
    lambda dtype: nn.Sequential(*ALL_LAYERS) if dtype == np.float32 else nn.MLP(4, [5], 2, dtype=dtype),
    lambda dtype: nn.Linear(4, 2, dtype=dtype),
])
def test_round_trip(tmp_path, make, dtype):
    model = make(dtype)
    io.save(model, tmp_path / "m.safetensors", metadata={"classes": ["c1", "c2"]})
    loaded, extra = io.load_bundle(tmp_path / "m.safetensors")
    assert type(loaded) is type(model) and repr(loaded) == repr(model)
    assert extra == {"classes": ["c1", "c2"]}
    assert loaded.parameters()[0].dtype == dtype
    np.testing.assert_array_equal(outputs(loaded), outputs(model))


def test_transposed_weight_survives_the_round_trip(tmp_path):
    model = nn.Linear(4, 3, seed=0)
    model.weight.data = np.asfortranarray(model.weight.data)  # not C-contiguous
    model.bias.data = np.arange(6.0, dtype=np.float32)[::2]  # a strided view
    io.save(model, tmp_path / "t.safetensors")
    np.testing.assert_array_equal(outputs(io.load(tmp_path / "t.safetensors")), outputs(model))


def test_scalar_mlp_round_trip(tmp_path):
    model = nn.ScalarMLP(3, [4, 2], activation="relu", seed=0)
    io.save(model, tmp_path / "s.safetensors")
    loaded = io.load(tmp_path / "s.safetensors")
    assert [p.data for p in loaded.parameters()] == [p.data for p in model.parameters()]
    assert [o.data for o in loaded([1.0, -2.0, 0.5])] == [o.data for o in model([1.0, -2.0, 0.5])]


@pytest.mark.parametrize("engine", ["tensor", "scalar"])
def test_estimators_with_string_classes_round_trip(tmp_path, engine):
    y = np.array(["setosa", "versicolor", "virginica"])[np.arange(20) % 3]
    clf = MLPClassifier(hidden_layer_sizes=(5,), max_iter=5, engine=engine, random_state=0).fit(X, y)
    clf.save(tmp_path / "clf.safetensors")
    loaded = MLPClassifier.load(tmp_path / "clf.safetensors")
    np.testing.assert_array_equal(loaded.predict(X), clf.predict(X))
    np.testing.assert_array_equal(loaded.predict_proba(X), clf.predict_proba(X))
    assert loaded.classes_.tolist() == clf.classes_.tolist() and loaded.loss_curve_ == clf.loss_curve_
    reg = MLPRegressor(hidden_layer_sizes=(5,), max_iter=5, random_state=0).fit(X, X[:, :2])
    io.save(reg, tmp_path / "reg.safetensors")
    np.testing.assert_array_equal(MLPRegressor.load(tmp_path / "reg.safetensors").predict(X), reg.predict(X))
    with pytest.raises(ModelFileError, match="not a MLPRegressor"):
        MLPRegressor.load(tmp_path / "clf.safetensors")


# ---- bad files ----

@pytest.fixture
def saved(tmp_path):
    path = tmp_path / "good.safetensors"
    io.save(nn.MLP(4, [8], 3, seed=0), path)
    return path


def test_truncated_and_corrupt_files(saved, tmp_path):
    data = saved.read_bytes()
    (tmp_path / "cut.safetensors").write_bytes(data[: len(data) // 2])
    with pytest.raises(ModelFileError, match="cut.safetensors: not a readable safetensors file"):
        io.load(tmp_path / "cut.safetensors")
    (tmp_path / "noise.safetensors").write_bytes(os.urandom(500))
    with pytest.raises(ModelFileError, match="not a readable safetensors file"):
        io.load(tmp_path / "noise.safetensors")
    flipped = bytearray(data)
    flipped[-3] ^= 0x40  # a byte of the last tensor's data
    (tmp_path / "flipped.safetensors").write_bytes(bytes(flipped))
    with pytest.raises(ModelFileError, match="does not match its checksum"):
        io.load(tmp_path / "flipped.safetensors")
    with pytest.raises(ModelFileError, match="no such file"):
        io.load(tmp_path / "absent.safetensors")


def test_foreign_unknown_newer_and_misshapen_files(tmp_path):
    safetensors.numpy.save_file({"w": np.zeros(3)}, tmp_path / "plain.safetensors")
    with pytest.raises(ModelFileError, match="not a scratchgrad model"):
        io.load(tmp_path / "plain.safetensors")
    io.write_file(tmp_path / "conv.safetensors", {"w": np.zeros(3, np.float32)},
                  {"architecture": {"type": "Conv2d", "channels": 3}})
    with pytest.raises(ModelFileError, match="unknown layer type 'Conv2d'"):
        io.load(tmp_path / "conv.safetensors")
    io.write_file(tmp_path / "shape.safetensors", {"weight": np.zeros((3, 2), np.float32),
                                                   "bias": np.zeros(2, np.float32)},
                  {"architecture": {"type": "Linear", "config": {"in_features": 4, "out_features": 2, "bias": True}}})
    with pytest.raises(ModelFileError, match=r"declares weight of shape \(4, 2\), the file holds \(3, 2\)"):
        io.load(tmp_path / "shape.safetensors")
    io.write_file(tmp_path / "half.safetensors", {"weight": np.zeros((4, 2), np.float16),
                                                  "bias": np.zeros(2, np.float16)},
                  {"architecture": {"type": "Linear", "config": {"in_features": 4, "out_features": 2, "bias": True}}})
    with pytest.raises(ModelFileError, match="float16"):
        io.load(tmp_path / "half.safetensors")
    arrays = {"weight": np.zeros((4, 2), np.float32), "bias": np.zeros(2, np.float32)}
    text = {"format": "scratchgrad", "format_version": "3", "library_version": "9.0",
            "architecture": json.dumps({"type": "Linear", "config": {"in_features": 4, "out_features": 2}})}
    text["checksum"] = io.checksum(arrays, text)
    safetensors.numpy.save_file(arrays, tmp_path / "new.safetensors", metadata=text)
    with pytest.raises(ModelFileError, match=r"newer scratchgrad \(9.0, format 3\).*upgrade"):
        io.load(tmp_path / "new.safetensors")


class Boom:
    def __reduce__(self):
        return (open, (str(MARKER), "w"))  # unpickling this would create the marker file


MARKER = None


def test_a_pickle_is_refused_without_being_unpickled(tmp_path):
    global MARKER
    MARKER = tmp_path / "unpickled"
    path = tmp_path / "model.pt"
    path.write_bytes(pickle.dumps(Boom()))
    torch.save({"weight": torch.zeros(2)}, tmp_path / "torch.pt")
    for candidate in (path, tmp_path / "torch.pt"):
        with pytest.raises(ModelFileError, match="not a readable safetensors file"):
            io.load(candidate)
    assert not MARKER.exists()


def test_bad_metadata_and_bad_model_fail_before_writing(tmp_path, saved):
    before = saved.read_bytes()
    with pytest.raises(TypeError, match="JSON-ready"):
        io.save(nn.MLP(4, [8], 3), saved, metadata={"scaler": object()})

    class Custom(nn.Module):
        def __init__(self):
            self.layer = nn.Linear(4, 2)

    with pytest.raises(TypeError, match="save_weights"):
        io.save(Custom(), saved)
    assert saved.read_bytes() == before
    custom = Custom()
    io.save_weights(custom, tmp_path / "custom.safetensors")
    other = Custom()
    io.load_weights(other, tmp_path / "custom.safetensors")
    np.testing.assert_array_equal(other.layer.weight.data, custom.layer.weight.data)


def run_child(code, tmp_path):
    script = tmp_path / "child.py"
    script.write_text(textwrap.dedent(code))
    return subprocess.Popen([sys.executable, str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            text=True, cwd=tmp_path)


def test_save_killed_mid_write_leaves_the_previous_file(tmp_path, saved):
    before = saved.read_bytes()
    child = run_child(f"""
        import os, sys
        from scratchgrad import io, nn
        def stall(fd):  # the new file is written but not yet renamed: stop here until killed
            print("writing", flush=True)
            sys.stdin.read()
        os.fsync = stall
        io.save(nn.MLP(4, [8], 3, seed=1), {str(saved)!r})
    """, tmp_path)
    assert child.stdout.readline().strip() == "writing"
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert saved.read_bytes() == before
    io.load(saved)
    leftovers = [p.name for p in tmp_path.iterdir() if p.name not in ("good.safetensors", "child.py")]
    assert all(name.endswith(".partial") for name in leftovers)  # only the abandoned temporary file


# ---- checkpoints ----

TRAINING = """
import numpy as np, sys
from scratchgrad import fit, nn, optim
from scratchgrad.train import Callback
rng = np.random.default_rng(0)
X = rng.normal(size=(300, 5)); y = (X[:, 0] * X[:, 1] > 0).astype(int)

class StopHere(Callback):
    def on_batch_end(self, batch, logs=None):
        if self.epoch == 3 and batch == 4:
            print("mid-epoch", flush=True)
            sys.stdin.read()  # wait here to be killed
    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

def run(checkpoint_dir=None, resume_from=None, callbacks=()):
    model = nn.MLP(5, [16], 2, dropout=0.2, seed=1, dtype=np.float64)
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    history = fit(model, X, y, optimizer=optimizer, epochs=6, batch_size=32, validation_split=0.2, seed=3,
                  verbose=0, checkpoint_dir=checkpoint_dir, resume_from=resume_from, callbacks=callbacks)
    return model, history
"""


def test_killed_training_resumes_to_the_same_result(tmp_path):
    checkpoints = tmp_path / "checkpoints"
    child = run_child(TRAINING + f"\nrun(checkpoint_dir={str(checkpoints)!r}, callbacks=[StopHere()])\n", tmp_path)
    assert child.stdout.readline().strip() == "mid-epoch"
    child.send_signal(signal.SIGKILL)
    child.wait()

    namespace = {}
    exec(TRAINING, namespace)
    resumed, resumed_history = namespace["run"](resume_from=checkpoints)
    straight, straight_history = namespace["run"]()
    assert resumed_history.epoch == list(range(6))
    assert resumed_history.history == straight_history.history
    for name, array in straight.state_dict().items():
        np.testing.assert_array_equal(resumed.state_dict()[name], array)


def test_resume_with_another_optimizer_is_refused(tmp_path):
    model = nn.MLP(3, [4], 2, seed=0)
    data = np.random.default_rng(0).normal(size=(40, 3))
    labels = (data[:, 0] > 0).astype(int)
    fit(model, data, labels, epochs=1, verbose=0, checkpoint_dir=tmp_path)
    with pytest.raises(ModelFileError, match="saved with a Adam optimizer, resumed with SGD"):
        fit(model, data, labels, optimizer=optim.SGD(model.parameters()), epochs=2, verbose=0,
            resume_from=tmp_path / "checkpoint.safetensors")


# ---- ONNX and PyTorch ----

def run_onnx(path, inputs):
    onnx.checker.check_model(onnx.load(path))
    session = onnxruntime.InferenceSession(str(path))
    return session.run(None, {"input": inputs})[0]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_onnx_export_matches_for_every_layer(tmp_path, dtype):
    model = nn.Sequential(*ALL_LAYERS) if dtype == np.float32 else \
        nn.MLP(4, [8, 8], 3, activation="leaky_relu", dropout=0.5, dtype=dtype)
    export.export_onnx(model, tmp_path / "m.onnx")
    inputs = np.random.default_rng(1).normal(size=(64, 4)).astype(dtype)
    np.testing.assert_allclose(run_onnx(tmp_path / "m.onnx", inputs), outputs(model, inputs), atol=1e-5)


def test_onnx_export_of_estimators_and_their_scaler(tmp_path):
    rng = np.random.default_rng(2)
    data = rng.normal(5, 3, size=(100, 4))
    labels = np.array(["a", "b", "c"])[(data[:, 0] > 5).astype(int) + (data[:, 1] > 5)]
    pipeline = make_pipeline(StandardScaler(), MLPClassifier(hidden_layer_sizes=(8,), max_iter=20)).fit(data, labels)
    export.export_onnx(pipeline, tmp_path / "p.onnx")
    got = run_onnx(tmp_path / "p.onnx", data.astype(np.float32))
    np.testing.assert_allclose(got, pipeline.predict_proba(data), atol=1e-5)
    binary = MLPClassifier(hidden_layer_sizes=(8,), max_iter=20).fit(data, data[:, 0] > 5)
    export.export_onnx(binary, tmp_path / "b.onnx")
    np.testing.assert_allclose(run_onnx(tmp_path / "b.onnx", data.astype(np.float32))[:, 0],
                               binary.predict_proba(data)[:, 1], atol=1e-5)
    regressor = MLPRegressor(hidden_layer_sizes=(8,), max_iter=20, dtype="float64").fit(data, data[:, :2])
    export.export_onnx(regressor, tmp_path / "r.onnx")
    np.testing.assert_allclose(run_onnx(tmp_path / "r.onnx", data), regressor.predict(data), atol=1e-5)
    with pytest.raises(ValueError, match="opset must be an integer from 13"):
        export.export_onnx(regressor, tmp_path / "old.onnx", opset=11)


def test_to_torch_and_from_torch_agree_in_float64():
    model = nn.MLP(4, [8, 6], 3, activation="tanh", output_activation="softmax", dtype=np.float64)
    torch_model = export.to_torch(model)
    with torch.no_grad():
        np.testing.assert_allclose(torch_model(torch.from_numpy(X)).numpy(), outputs(model), atol=1e-6)
    torch_model = torch.nn.Sequential(torch.nn.Linear(4, 7), torch.nn.LeakyReLU(0.1), torch.nn.Dropout(0.2),
                                      torch.nn.Linear(7, 2), torch.nn.Sigmoid()).double().eval()
    ours = export.from_torch(torch_model)
    with torch.no_grad():
        np.testing.assert_allclose(outputs(ours), torch_model(torch.from_numpy(X)).numpy(), atol=1e-6)
    with pytest.raises(TypeError, match="cannot convert a Conv1d"):
        export.from_torch(torch.nn.Sequential(torch.nn.Conv1d(1, 1, 1)))


def test_trained_model_round_trip(tmp_path):
    data = np.random.default_rng(3).normal(size=(100, 4))
    labels = (data[:, 0] > 0).astype(int)
    model = nn.MLP(4, [8], 2, seed=0)
    with warnings.catch_warnings():
        fit(model, data, labels, epochs=3, verbose=0, optimizer=optim.Adam(model.parameters(), lr=0.01))
    io.save(model, tmp_path / "trained.safetensors")
    np.testing.assert_array_equal(outputs(io.load(tmp_path / "trained.safetensors"), data), outputs(model, data))
