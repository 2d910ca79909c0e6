"""Model files and checkpoints under hostile use: what is saved is what was trained, and
nothing in a file is trusted. Also the module walk that saving relies on."""

import ast
import os
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
import safetensors.numpy
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from scratchgrad import Tensor, fit, io, nn, optim
from scratchgrad.errors import InvalidParameterError, ModelFileError, ScratchgradError, TrainingDivergedError

X = np.random.default_rng(0).normal(size=(12, 4))


def outputs(model):
    model.eval()
    return model(Tensor(X, dtype=np.float64)).data


# ---- the module walk ----


class Holder(nn.Module):
    def __init__(self):
        self.blocks = [[nn.Linear(4, 4, seed=0), nn.Dropout(0.5)], (nn.Tanh(),)]
        self.heads = {"a": nn.Linear(4, 2, seed=1), "b": nn.Sequential(nn.Dropout(0.5), nn.Linear(4, 2, seed=2))}

    def forward(self, x):
        for block in self.blocks:
            for layer in block:
                x = layer(x)
        return self.heads["a"](x) + self.heads["b"](x)


def test_one_walk_reaches_nested_lists_tuples_and_dicts():
    model = Holder()
    names = [name for name, _ in model.named_parameters()]
    assert names == ["blocks.0.0.weight", "blocks.0.0.bias", "heads.a.weight", "heads.a.bias",
                     "heads.b.1.weight", "heads.b.1.bias"]
    assert set(model.state_dict()) == set(names)
    model.eval()  # dropout in a nested list, and in a dict, must both turn off
    assert not any(m.training for m in model.modules())
    x = np.ones((3, 4), np.float32)
    np.testing.assert_array_equal(model(x).data, model(x).data)
    model.train()
    assert all(m.training for m in model.modules())


def test_a_layer_used_twice_is_one_module_and_its_parameters_count_once():
    shared = nn.Linear(4, 4, seed=0)
    model = nn.Sequential(shared, nn.Tanh(), shared)
    assert [name for name, _ in model.named_parameters()] == ["0.weight", "0.bias"]
    assert sum(m is shared for m in model.modules()) == 1
    cyclic = nn.Sequential(nn.Linear(2, 2))
    cyclic.layers.append(cyclic)  # a module inside itself must not hang the walk
    assert len(list(cyclic.modules())) == 2


def test_a_module_with_forward_is_callable():
    class Double(nn.Module):
        def forward(self, x):
            return x * 2

    assert Double()(Tensor([1.0])).data[0] == 2.0
    with pytest.raises(NotImplementedError, match="defines no forward"):
        nn.Module()(1)


# ---- what is saved is what was trained ----


def _mlp():
    return nn.MLP(4, [5], 3, activation="tanh", seed=0, dtype=np.float64)


def _appended():
    model = _mlp()
    model.append(nn.Sigmoid())
    model.append(nn.Linear(3, 2, seed=1, dtype=np.float64))
    return model


def _replaced():
    model = _mlp()
    model[1] = nn.LeakyReLU(0.2)
    return model


def _removed():
    model = _mlp()
    del model[1]
    return model


def _shared():
    shared = nn.Linear(4, 4, seed=3, dtype=np.float64)
    return nn.Sequential(shared, nn.Tanh(), shared, nn.Sequential(nn.Linear(4, 2, seed=4, dtype=np.float64)))


@pytest.mark.parametrize("make", [_appended, _replaced, _removed, _shared], ids=["append", "replace", "remove",
                                                                                "shared"])
def test_a_changed_model_saves_as_it_is(tmp_path, make):
    model = make()
    io.save(model, tmp_path / "m.safetensors")
    loaded = io.load(tmp_path / "m.safetensors")
    assert type(loaded) is type(model)
    np.testing.assert_array_equal(outputs(loaded), outputs(model))
    if make is _shared:  # still one layer, trained as one
        assert loaded[0] is loaded[2]


def test_a_model_class_of_its_own_is_refused_before_anything_is_written(tmp_path):
    path = tmp_path / "m.safetensors"
    io.save(_mlp(), path)
    before = path.read_bytes()
    with pytest.raises(TypeError, match=r"cannot save a Holder.*save_weights"):
        io.save(Holder(), path)
    with pytest.raises(TypeError, match=r"cannot save a function \(at 1\)"):
        io.save(nn.Sequential(nn.Linear(2, 2), lambda x: x), path)
    assert path.read_bytes() == before
    io.save_weights(Holder(), tmp_path / "w.safetensors")  # the way for classes of one's own
    io.load_weights(Holder(), tmp_path / "w.safetensors")


# ---- nothing in a file is trusted ----


def test_a_flipped_byte_anywhere_is_refused(tmp_path):
    path = tmp_path / "m.safetensors"
    io.save(nn.MLP(2, [2], 2, seed=0), path, metadata={"classes": ["a", "b"]})
    data = path.read_bytes()
    bad = tmp_path / "bad.safetensors"
    for position in range(len(data)):
        flipped = bytearray(data)
        flipped[position] ^= 0x01
        bad.write_bytes(bytes(flipped))
        with pytest.raises(ModelFileError, match="bad.safetensors"):
            io.load(bad)


def _file_with(tmp_path, arrays, **metadata):
    path = tmp_path / "crafted.safetensors"
    io.write_file(path, arrays, metadata)  # a valid checksum: only the checks behind it can refuse
    return path


def test_a_tiny_file_declaring_a_huge_layer_is_refused_without_allocating(tmp_path):
    path = _file_with(tmp_path, {"weight": np.zeros((2, 2), np.float32)},
                      architecture={"type": "Linear", "config": {"in_features": 100_000, "out_features": 100_000}})
    assert path.stat().st_size < 1000
    tracemalloc.start()
    with pytest.raises(ModelFileError, match=r"declares weight of shape \(100000, 100000\)|disagree"):
        io.load(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 10_000_000


def test_deep_nesting_and_dangling_references_are_refused(tmp_path):
    deep = {"type": "Sequential", "layers": []}
    for _ in range(200):
        deep = {"type": "Sequential", "layers": [deep]}
    with pytest.raises(ModelFileError, match="nested deeper"):
        io.load(_file_with(tmp_path, {}, architecture=deep))
    with pytest.raises(ModelFileError, match="comes nowhere before it"):
        io.load(_file_with(tmp_path, {}, architecture={"type": "Sequential", "layers": [{"same_as": "3"}]}))


LAYER_NAMES = st.sampled_from(["Linear", "ReLU", "Sequential", "MLP", "Dropout", "Softmax", "LeakyReLU",
                               "ScalarMLP", "Conv2d", "", None, 3])
SCALARS = st.none() | st.booleans() | st.integers(-3, 10**6) | st.floats(allow_nan=False, allow_infinity=False) \
    | st.text(max_size=5)
JSON = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3)
                    | st.dictionaries(st.text(max_size=12), inner, max_size=3), max_leaves=12)
LAYER = st.fixed_dictionaries({"type": LAYER_NAMES}, optional={"config": JSON, "layers": st.lists(JSON, max_size=3),
                                                                "same_as": JSON})


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(architecture=st.one_of(JSON, LAYER, st.fixed_dictionaries({"type": st.just("Sequential"),
                                                                   "layers": st.lists(LAYER, max_size=3)})),
       extra=JSON)
def test_any_architecture_or_metadata_is_a_model_or_one_model_file_error(tmp_path, architecture, extra):
    arrays = {"0.weight": np.zeros((2, 3), np.float32), "0.bias": np.zeros(3, np.float32)}
    path = _file_with(tmp_path, arrays, architecture=architecture, extra=extra)
    try:
        model, _ = io.load_bundle(path)
    except ModelFileError as error:
        assert "crafted.safetensors" in str(error)
    else:
        assert isinstance(model, nn.Module)


def test_a_file_format_1_is_refused_with_the_way_out(tmp_path):
    arrays = {"weight": np.zeros((2, 2), np.float32)}
    safetensors.numpy.save_file(arrays, tmp_path / "old.safetensors",
                                metadata={"format": "scratchgrad", "format_version": "1", "library_version": "0.1.0"})
    with pytest.raises(ModelFileError, match="format 1.*save it again"):
        io.load(tmp_path / "old.safetensors")


# ---- saving: permissions and leftovers ----


def test_saved_files_follow_the_umask(tmp_path):
    old = os.umask(0o022)
    try:
        io.save(_mlp(), tmp_path / "m.safetensors")
    finally:
        os.umask(old)
    assert (tmp_path / "m.safetensors").stat().st_mode & 0o777 == 0o644


def test_a_killed_save_leaves_a_temporary_the_next_save_removes(tmp_path):
    leftover = tmp_path / ".m.safetensors.999999999-dead.partial"  # no process has this pid
    leftover.write_bytes(b"half a file")
    unrelated = tmp_path / ".other.safetensors.999999999-dead.partial"
    unrelated.write_bytes(b"x")
    io.save(_mlp(), tmp_path / "m.safetensors")
    assert not leftover.exists() and unrelated.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".other.safetensors.999999999-dead.partial",
                                                         "m.safetensors"]


# ---- checkpoints: per parameter, checked, and all or nothing ----

Xc = np.random.default_rng(1).normal(size=(40, 4))
yc = (Xc[:, 0] > 0).astype(int)


def _train(tmp_path, epochs, resume=False, optimizer_class=optim.Adam):
    model = nn.MLP(4, [6], 2, seed=0, dtype=np.float64)
    optimizer = optimizer_class(model.parameters(), lr=0.01)
    history = fit(model, Xc, yc, optimizer=optimizer, epochs=epochs, batch_size=8, seed=1, verbose=0,
                  checkpoint_dir=tmp_path, resume_from=tmp_path if resume else None)
    return model, optimizer, history


@pytest.mark.parametrize("packed_when_saved", [True, False])
def test_checkpoints_hold_optimizer_state_per_parameter(tmp_path, monkeypatch, packed_when_saved):
    monkeypatch.setattr(optim._FlatPack, "PACK_BELOW", 10**9 if packed_when_saved else 0)
    model, optimizer, _ = _train(tmp_path, 2)
    arrays, _ = io.read_file(tmp_path / "checkpoint.safetensors")
    for i, p in enumerate(model.parameters()):
        assert arrays[f"optimizer.{i}.mean"].shape == p.shape
        assert arrays[f"optimizer.{i}.square"].shape == p.shape
    # resumed with the other execution strategy, it continues to the same result
    monkeypatch.setattr(optim._FlatPack, "PACK_BELOW", 0 if packed_when_saved else 10**9)
    resumed, _, _ = _train(tmp_path, 4, resume=True)
    monkeypatch.setattr(optim._FlatPack, "PACK_BELOW", 10**9)
    straight, _, _ = _train(tmp_path / "straight", 4)
    for (name, a), b in zip(resumed.state_dict().items(), straight.state_dict().values()):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-12, err_msg=name)


def _rewrite_checkpoint(path, change):
    arrays, metadata = io.read_file(path)
    metadata.pop("library_version")
    change(arrays, metadata["checkpoint"])
    io.write_file(path, arrays, metadata)


@pytest.mark.parametrize("change, message", [
    (lambda a, info: info.update(parts=10**9), "optimizer state for"),
    (lambda a, info: info.update(epoch=10**12), "epoch"),
    (lambda a, info: info.update(lr=-1), "learning rate"),
    (lambda a, info: info.update(lr="fast"), "learning rate"),
    (lambda a, info: info.update(history={"loss": [1.0] * 99}), "history"),
    (lambda a, info: info.update(fit_rng={"bit_generator": "PCG64", "state": 7}), "random generators"),
    (lambda a, info: info.update(dropout_rngs=[{}] * 3), "dropout generators"),
    (lambda a, info: info.pop("history"), "checkpoint entries"),
    (lambda a, info: a.update({"optimizer.0.mean": np.zeros((9, 9))}), "parameter 0's mean has shape"),
    (lambda a, info: a.update({"optimizer.0.velocity": np.zeros((4, 6))}), "or all of"),
    (lambda a, info: a.pop("optimizer.1.square"), "or all of"),
    (lambda a, info: a.update({"optimizer.99.mean": np.zeros(3)}), "unexpected tensor"),
    (lambda a, info: a.pop("model.2.bias"), "missing"),
])
def test_a_resume_that_fails_leaves_model_and_optimizer_as_they_were(tmp_path, change, message):
    _train(tmp_path, 1)
    _rewrite_checkpoint(tmp_path / "checkpoint.safetensors", change)
    model = nn.MLP(4, [6], 2, seed=5, dtype=np.float64)
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    before, optimizer_before = model.state_dict(), optimizer.state_dict()
    with pytest.raises(ModelFileError, match=message):
        fit(model, Xc, yc, optimizer=optimizer, epochs=3, batch_size=8, seed=1, verbose=0, resume_from=tmp_path)
    for name, array in model.state_dict().items():
        np.testing.assert_array_equal(array, before[name])
    assert optimizer.state_dict()["step_count"] == optimizer_before["step_count"]
    assert optimizer.lr == 0.01


# ---- structure ----


def test_the_library_errors_share_one_base():
    for error in (InvalidParameterError, ModelFileError, TrainingDivergedError):
        assert issubclass(error, ScratchgradError)
    assert issubclass(InvalidParameterError, ValueError) and issubclass(TrainingDivergedError, FloatingPointError)


def test_no_module_imports_the_package_init_for_its_version():
    package = Path(io.__file__).parent
    for source in package.rglob("*.py"):
        if source.name == "__init__.py" and source.parent == package:
            continue
        for node in ast.walk(ast.parse(source.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level >= 1 and not (node.module or "").strip("."):
                assert "__version__" not in [alias.name for alias in node.names], source


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.sampled_from(sorted(io.CHECKPOINT_KEYS)), value=JSON)
def test_any_checkpoint_entry_is_resumed_or_refused_with_one_model_file_error(tmp_path, key, value):
    path = tmp_path / "checkpoint.safetensors"
    if not path.exists():
        _train(tmp_path, 1)
    arrays, metadata = io.read_file(path)
    metadata.pop("library_version")
    metadata["checkpoint"][key] = value
    crafted = tmp_path / "crafted" / "checkpoint.safetensors"
    io.write_file(crafted, arrays, metadata)
    model = nn.MLP(4, [6], 2, seed=5, dtype=np.float64)
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    try:
        io.load_checkpoint(crafted, model, optimizer, np.random.default_rng())
    except ModelFileError as error:
        assert "crafted" in str(error)


def test_frozen_weights_are_saved_and_a_weight_shared_between_layers_is_refused(tmp_path):
    model = _mlp()
    model[0].bias.requires_grad = False  # frozen: not trained, still part of the model
    assert "0.bias" not in dict(model.named_parameters()) and "0.bias" in model.state_dict()
    io.save(model, tmp_path / "frozen.safetensors")
    np.testing.assert_array_equal(outputs(io.load(tmp_path / "frozen.safetensors")), outputs(model))
    tied = nn.Sequential(nn.Linear(3, 3, seed=0), nn.Tanh(), nn.Linear(3, 3, seed=1))
    tied[2].weight = tied[0].weight
    with pytest.raises(TypeError, match=r"missing \['2.weight'\].*use the same layer twice"):
        io.save(tied, tmp_path / "tied.safetensors")
    assert not (tmp_path / "tied.safetensors").exists()


def test_saving_again_keeps_a_private_file_private_and_follows_symlinks(tmp_path):
    path = tmp_path / "m[1].safetensors"  # glob characters in the name
    io.save(_mlp(), path)
    path.chmod(0o600)
    leftover = tmp_path / ".m[1].safetensors.999999999-dead.partial"
    leftover.write_bytes(b"half")
    io.save(_mlp(), path)
    assert path.stat().st_mode & 0o777 == 0o600 and not leftover.exists()
    link = tmp_path / "latest.safetensors"
    link.symlink_to(path)
    io.save(_appended(), link)
    assert link.is_symlink() and type(io.load(path)) is type(_appended())
