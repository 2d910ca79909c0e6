"""The compiled step equals eager training bit for bit: every layer, loss and optimizer."""

import itertools

import numpy as np
import pytest

from scratchgrad import Tensor, fit, nn, optim
from scratchgrad import functional as F
from scratchgrad.compile import CompileError, compile_step

RNG = np.random.default_rng(0)
X = RNG.normal(size=(45, 5))  # 45 = 4 batches of 10 and a ragged one of 5
CLASSES = RNG.integers(0, 3, size=45)
TARGETS = RNG.normal(size=(45, 3))
BINARY = (RNG.random((45, 1)) > 0.5).astype(float)

LOSSES = {"cross_entropy": (F.cross_entropy, CLASSES, 3), "mse": (F.mse_loss, TARGETS, 3),
          "binary_cross_entropy": (F.binary_cross_entropy_with_logits, BINARY, 1)}
OPTIMIZERS = {
    "sgd": lambda p: optim.SGD(p, lr=0.1),
    "momentum": lambda p: optim.SGD(p, lr=0.05, momentum=0.9, weight_decay=1e-3),
    "nesterov": lambda p: optim.SGD(p, lr=0.05, momentum=0.9, nesterov=True),
    "adam": lambda p: optim.Adam(p, lr=0.01, weight_decay=1e-3),
    "adamw": lambda p: optim.AdamW(p, lr=0.01),
}


def _model(activation, dropout, dtype, outputs, seed=0):
    return nn.MLP(5, [8, 6], outputs, activation=activation, dropout=dropout, seed=seed, dtype=dtype)


def _batches(n, size=10):
    return [np.arange(start, min(start + size, n)) for start in range(0, n, size)]


def _train(compiled, activation="relu", loss="cross_entropy", optimizer="adam", dtype=np.float32,
           dropout=0.0, epochs=3, packed=True, loss_scale=1.0, l2=0.0):
    loss_fn, targets, outputs = LOSSES[loss]
    model = _model(activation, dropout, dtype, outputs)
    opt = OPTIMIZERS[optimizer](model.parameters())
    if not packed and opt._pack is not None:
        opt.state, opt._pack = opt._pack.unpack(), None
    Xd = X.astype(dtype)
    y = targets if loss == "cross_entropy" else targets.astype(dtype)
    step = compile_step(model, loss, opt, loss_scale=loss_scale, l2=l2) if compiled else None
    values = []
    for _ in range(epochs):
        for index in _batches(len(X)):
            if compiled:
                value, _ = step(Xd[index], y[index])
            else:
                out = model(Tensor(Xd[index], dtype=dtype))
                batch_loss = loss_fn(out, y[index])
                if loss_scale != 1.0:
                    batch_loss = batch_loss * loss_scale
                opt.zero_grad()
                batch_loss.backward()
                if l2:
                    for layer in model:
                        if isinstance(layer, nn.Linear):
                            layer.weight.grad = layer.weight.grad + (l2 / len(index)) * layer.weight.data
                opt.step()
                value = float(batch_loss.data)
            values.append(value)
    return model, opt, values


def _assert_same(settings):
    eager_model, eager_opt, eager_values = _train(False, **settings)
    model, opt, values = _train(True, **settings)
    assert values == eager_values
    for (name, a), b in zip(model.state_dict().items(), eager_model.state_dict().values()):
        np.testing.assert_array_equal(a, b, err_msg=name)
    for ours, theirs in zip(opt.state_dict()["state"], eager_opt.state_dict()["state"]):
        for key in theirs:
            np.testing.assert_array_equal(ours[key], theirs[key])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_each_optimizer_equals_eager_bit_for_bit(optimizer, dtype):
    _assert_same(dict(optimizer=optimizer, dtype=dtype))


@pytest.mark.parametrize("loss", sorted(LOSSES))
@pytest.mark.parametrize("activation", ["relu", "tanh", "sigmoid", "leaky_relu", "linear"])
def test_each_loss_and_activation_equals_eager_bit_for_bit(loss, activation):
    _assert_same(dict(loss=loss, activation=activation))


@pytest.mark.parametrize("target_dtype", [np.uint8, np.int32, np.uint64, np.int64])
def test_class_targets_of_any_integer_type_train_as_eager(target_dtype, monkeypatch):
    # the compiled cross-entropy finds each target's entry by its flat position, row * classes + t
    monkeypatch.setitem(LOSSES, "cross_entropy", (F.cross_entropy, CLASSES.astype(target_dtype), 3))
    _assert_same(dict(optimizer="sgd"))


@pytest.mark.parametrize("packed", [True, False])
def test_dropout_draws_the_same_fresh_masks(packed):
    _assert_same(dict(dropout=0.3, packed=packed, optimizer="momentum"))


def test_the_estimators_loss_scale_and_l2_penalty():
    _assert_same(dict(loss="mse", loss_scale=0.5, l2=1e-2, dtype=np.float64))


def test_what_it_cannot_record_is_refused_saying_why():
    model = nn.Sequential(nn.Linear(5, 3), nn.Softmax())
    with pytest.raises(CompileError, match="Softmax layers are not recorded"):
        compile_step(model, "cross_entropy", optim.SGD(model.parameters()))

    class Mine(nn.Module):
        def __init__(self):
            self.linear = nn.Linear(5, 3)

        def forward(self, x):
            return self.linear(x)

    mine = Mine()
    with pytest.raises(CompileError, match="Mine is not a layer type"):
        compile_step(mine, "cross_entropy", optim.SGD(mine.parameters()))
    model = _model("relu", 0.0, np.float32, 3)
    with pytest.raises(CompileError, match="does not train exactly the model's parameters"):
        compile_step(model, "cross_entropy", optim.SGD(model.parameters()[:2]))
    with pytest.raises(CompileError, match="fused losses"):
        compile_step(model, "hinge", optim.SGD(model.parameters()))


# ---- through fit and the estimators ----


def _fit(compile, tmp_path=None, epochs=4, resume=False, **settings):
    from scratchgrad import fit

    model = nn.MLP(5, [8], 3, activation="tanh", dropout=0.2, seed=0, dtype=np.float64)
    optimizer = optim.Adam(model.parameters(), lr=0.01)
    history = fit(model, X, CLASSES, optimizer=optimizer, epochs=epochs, batch_size=10, seed=3, verbose=0,
                  validation_split=0.2, compile=compile, checkpoint_dir=tmp_path,
                  resume_from=tmp_path if resume else None, **settings)
    return model, history


def test_targets_outside_the_classes_are_refused_as_eagerly():
    model = _model("relu", 0.0, np.float32, 3)
    step = compile_step(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1))
    for bad, targets in ((-1, [0, -1, 2]), (3, [0, 3, 2]), (-3, np.array([-3, 0, 1], np.int8)),
                         (-32768, np.array([1, 2, -32768], np.int16)), (200, np.array([0, 200, 1], np.uint8))):
        with pytest.raises(ValueError, match=f"target class {bad} is outside"):
            step(X[:3], np.asarray(targets))
        with pytest.raises(ValueError, match=f"target class {bad} is outside"):
            F.cross_entropy(model(X[:3]), targets)


def test_fit_compiled_equals_fit_eager_with_dropout_validation_and_a_ragged_batch():
    compiled, compiled_history = _fit(True)
    eager, eager_history = _fit(False)
    assert compiled_history.history == eager_history.history
    for a, b in zip(compiled.parameters(), eager.parameters()):
        np.testing.assert_array_equal(a.data, b.data)


def test_fit_compiled_resumes_from_a_checkpoint_to_the_same_weights(tmp_path):
    _fit(True, tmp_path, epochs=2)
    resumed, _ = _fit(True, tmp_path, epochs=4, resume=True)
    straight, _ = _fit(False, epochs=4)
    for a, b in zip(resumed.parameters(), straight.parameters()):
        np.testing.assert_array_equal(a.data, b.data)


def test_fit_falls_back_to_eager_saying_why_only_when_asked_to_compile():
    import warnings

    with pytest.warns(UserWarning, match="training eagerly.*class_weight"):
        _fit(True, class_weight="balanced")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _fit("auto", class_weight="balanced")


@pytest.mark.parametrize("kind", ["classifier-3", "classifier-2", "regressor"])
def test_estimators_compiled_equal_eager(monkeypatch, kind):
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    from scratchgrad.estimators import MLPClassifier, MLPRegressor

    if kind == "regressor":
        make, y = (lambda: MLPRegressor((7,), alpha=0.01, max_iter=5, batch_size=10, random_state=0,
                                        dtype="float64")), TARGETS
    else:
        labels = CLASSES if kind.endswith("3") else CLASSES % 2
        make, y = (lambda: MLPClassifier((7,), alpha=0.01, max_iter=5, batch_size=10, random_state=0,
                                         dropout=0.1)), labels
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        compiled = make().fit(X, y)
        monkeypatch.setattr(type(compiled), "_compiled_step", lambda self, weights: None)
        eager = make().fit(X, y)
    assert compiled.loss_curve_ == eager.loss_curve_
    for a, b in zip(compiled.coefs_ + compiled.intercepts_, eager.coefs_ + eager.intercepts_):
        np.testing.assert_array_equal(a, b)


class _ChangeModel:
    """A callback that changes the model between epochs, as a user's callback may."""

    def __init__(self, change):
        self.change = change

    def on_train_begin(self, logs=None): ...
    def on_train_end(self, logs=None): ...
    def on_epoch_begin(self, epoch, logs=None):
        if epoch == 2:
            self.change(self.model)
    def on_epoch_end(self, epoch, logs=None): ...
    def on_batch_begin(self, batch, logs=None): ...
    def on_batch_end(self, batch, logs=None): ...


@pytest.mark.parametrize("change", [
    lambda model: setattr(model[2], "p", 0.5),  # dropout switched on
    lambda model: model[2].eval(),  # one layer to eval mode
    lambda model: model.layers.__setitem__(1, nn.Tanh()),  # a layer replaced
    lambda model: setattr(model[0].bias, "requires_grad", False),  # a weight frozen
], ids=["dropout-on", "layer-eval", "replaced", "frozen"])
def test_a_callback_changing_the_model_mid_fit_is_followed_as_eagerly(change):
    from scratchgrad import fit

    results = []
    for compile in (True, False):
        model = nn.MLP(5, [8], 3, activation="relu", dropout=1e-9, seed=0, dtype=np.float64)
        model[2].p = 0.0
        fit(model, X, CLASSES, optimizer=optim.SGD(model.parameters(), lr=0.1, momentum=0.9), epochs=4,
            batch_size=10, seed=3, verbose=0, compile=compile, callbacks=[_ChangeModel(change)])
        results.append([p.data.copy() for p in model.parameters()] + [model[0].bias.data.copy()])
    for a, b in zip(*results):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("given", ["float64 array", "lists", "Tensor"])
def test_inputs_are_converted_as_the_eager_model_converts_them(given):
    """float64 data for a float32 model (rounded to float32 first, as Linear does), lists, Tensors."""
    convert = {"float64 array": lambda a: a, "lists": lambda a: a.tolist(),
               "Tensor": lambda a: Tensor(a, dtype=np.float32)}[given]
    compiled_model, eager_model = _model("relu", 0.0, np.float32, 3), _model("relu", 0.0, np.float32, 3)
    compiled_opt, eager_opt = (optim.SGD(m.parameters(), lr=0.1) for m in (compiled_model, eager_model))
    step = compile_step(compiled_model, "cross_entropy", compiled_opt)
    for index in _batches(len(X)):
        targets = CLASSES[index].tolist() if given == "lists" else CLASSES[index]
        value, _ = step(convert(X[index]), targets)
        loss = F.cross_entropy(eager_model(X[index]), CLASSES[index])
        eager_opt.zero_grad()
        loss.backward()
        eager_opt.step()
        assert value == float(loss.data)
    for a, b in zip(compiled_model.parameters(), eager_model.parameters()):
        np.testing.assert_array_equal(a.data, b.data)


@pytest.mark.parametrize("X, message", [
    (Tensor(X[:10], dtype=np.float64), "float64 Tensor for a float32 model"),
    (X[:10].astype(complex), "must hold numbers"),
    (X[0], "must be 2-D"),
    (X[:10, :4], "got input with 4 features"),
])
def test_inputs_it_cannot_take_as_eager_does_are_refused_by_name(X, message):
    model = _model("relu", 0.0, np.float32, 3)
    step = compile_step(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1))
    with pytest.raises(ValueError, match=message):
        step(X, CLASSES[:len(X)] if X.ndim == 2 else CLASSES[:1])


def _wide_training(compiled, dtype, optimizer, steps=6):
    """64-128-128-10 at batch 32: the size where the copied form of g @ W.T pays on OpenBLAS."""
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(32 * steps, 64)).astype(dtype), rng.integers(0, 10, 32 * steps)
    model = nn.MLP(64, [128, 128], 10, seed=0, dtype=dtype)
    opt = OPTIMIZERS[optimizer](model.parameters())
    step = compile_step(model, "cross_entropy", opt) if compiled else None
    for start in range(0, len(X), 32):
        xb, yb = X[start:start + 32], y[start:start + 32]
        if compiled:
            step(xb, yb)
        else:
            loss = F.cross_entropy(model(Tensor(xb, dtype=dtype)), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
    return model, step


@pytest.mark.parametrize("copied", [True, False])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_either_form_of_the_input_gradient_trains_as_eager(copied, dtype, monkeypatch):
    # the recording times `g @ W.T` against a copy of g into column order then `g @ W.T`, and keeps the
    # faster where both give the same bits; here the timing is decided for it, both ways
    import scratchgrad.compile as compiled_step

    monkeypatch.setattr(compiled_step, "_faster", lambda calls, than: copied)
    eager, _ = _wide_training(False, dtype, "adam")
    model, step = _wide_training(True, dtype, "adam")
    for (name, a), b in zip(model.state_dict().items(), eager.state_dict().values()):
        np.testing.assert_array_equal(a, b, err_msg=name)
    recorded = [call for call, _ in step._current.backward_calls]
    assert (np.copyto in recorded) == copied  # 32x128 by 128x128: the same bits both ways on OpenBLAS


def test_the_copied_form_is_refused_when_its_bits_differ(monkeypatch):
    import scratchgrad.compile as compiled_step

    replay = compiled_step._replay

    def replay_rounding_differently(calls):  # as if BLAS summed in another order for the copied form
        replay(calls)
        if any(call is np.copyto for call, _ in calls):
            gx = calls[-1][1][-1]
            gx.view(np.uint32)[0, 0] ^= 1  # one bit of one number

    monkeypatch.setattr(compiled_step, "_faster", lambda calls, than: True)
    monkeypatch.setattr(compiled_step, "_replay", replay_rounding_differently)
    model = nn.MLP(64, [128, 128], 10, seed=0)
    step = compile_step(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1))
    step._plan(np.zeros((32, 64), np.float32))
    assert np.copyto not in [call for call, _ in step._plans[(32, True)].backward_calls]


def _bottleneck_training(compiled, batch=2, steps=3):
    """6-8-1-3 (a width-1 layer: Linear(1 -> 3)'s input gradient is a (batch, 1) column), float32, SGD."""
    rng = np.random.default_rng(1)
    X = rng.normal(size=(batch * steps, 6)).astype(np.float32)
    y = rng.integers(0, 3, batch * steps)
    model = nn.MLP(6, [8, 1], 3, seed=0, activation="tanh", dtype=np.float32)
    opt = optim.SGD(model.parameters(), lr=0.1)
    step = compile_step(model, "cross_entropy", opt) if compiled else None
    for start in range(0, len(X), batch):
        xb, yb = X[start:start + batch], y[start:start + batch]
        if compiled:
            step(xb, yb)
        else:
            loss = F.cross_entropy(model(Tensor(xb, dtype=np.float32)), yb)
            opt.zero_grad()
            loss.backward()
            opt.step()
    return model


def test_compiled_bottleneck_network_trains_as_eager_when_the_copied_form_times_faster(monkeypatch):
    # where the recording's timing finds the copied form of g @ W.T faster, the compiled step must still
    # end with eager's weights bit for bit: here the input gradient of Linear(1 -> 3) is a column, which
    # OpenBLAS's two matrix-vector kernels round differently, and a check on 2 numbers can pass by chance
    import scratchgrad.compile as compiled_step

    monkeypatch.setattr(compiled_step, "_faster", lambda calls, than: True)
    eager = _bottleneck_training(False)
    model = _bottleneck_training(True)
    for (name, a), b in zip(model.state_dict().items(), eager.state_dict().values()):
        np.testing.assert_array_equal(a, b, err_msg=name)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_np_dot_makes_the_bits_of_the_matmul_operator_for_every_product_recorded(dtype):
    # the recording multiplies by np.dot (cheaper per call) where eager writes `@`: the same BLAS call,
    # so the same bits, for each product a layer or the loss makes, over sides of 1 to 128
    from scratchgrad.functional import aligned_empty

    rng = np.random.default_rng(0)
    sides = [1, 2, 3, 10, 33, 128]
    for m, n, p in itertools.product(sides, repeat=3):
        x, W, g = (rng.standard_normal(shape).astype(dtype) for shape in ((m, n), (n, p), (m, p)))
        products = {"x @ W": (x, W), "x.T @ g": (x.T, g), "g @ W.T": (g, W.T), "ones @ g": (np.ones(m, dtype), g),
                    "g in column order @ W.T": (np.asfortranarray(g), W.T), "g @ ones": (g, np.ones(p, dtype))}
        for name, (a, b) in products.items():
            expected = a @ b
            out = aligned_empty(expected.shape, dtype)
            np.dot(a, b, out=out)
            assert out.tobytes() == expected.tobytes(), (name, m, n, p)


def _wide_run(compiled, activation="relu", dropout=0.0, steps=4, packed=True, l2=0.0):
    """64-128-128-10, float32, batch 32, SGD: sizes where a Linear can take its bias inside its products."""
    rng = np.random.default_rng(2)
    X, y = rng.normal(size=(32 * steps, 64)).astype(np.float32), rng.integers(0, 10, 32 * steps)
    model = nn.MLP(64, [128, 128], 10, seed=0, activation=activation, dropout=dropout, dtype=np.float32)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    if not packed:
        opt.state, opt._pack = opt._pack.unpack(), None
    step = compile_step(model, "cross_entropy", opt, l2=l2) if compiled else None
    for start in range(0, len(X), 32):
        xb, yb = X[start:start + 32], y[start:start + 32]
        if compiled:
            step(xb, yb)
        else:
            loss = F.cross_entropy(model(Tensor(xb)), yb)
            opt.zero_grad()
            loss.backward()
            for layer in model:  # the estimators' penalty, as the compiled step adds it
                if l2 and isinstance(layer, nn.Linear):
                    layer.weight.grad = layer.weight.grad + (l2 / len(xb)) * layer.weight.data
            opt.step()
    return model, step


def _assert_same_weights(model, eager):
    for (name, a), b in zip(model.state_dict().items(), eager.state_dict().values()):
        np.testing.assert_array_equal(a, b, err_msg=name)


@pytest.mark.parametrize("activation,dropout,packed,l2", [("relu", 0.0, True, 0.0), ("relu", 0.3, True, 0.0),
                                                          ("tanh", 0.0, True, 0.0), ("leaky_relu", 0.0, True, 0.0),
                                                          ("relu", 0.0, False, 0.0), ("relu", 0.0, True, 0.1)])
def test_the_bias_inside_the_products_trains_as_eager(activation, dropout, packed, l2):
    # [x, 1] @ [W; b] for x @ W + b, where the input has a column of ones after it (the step's input, or
    # a ReLU's output) and W, b lie one after the other in the optimizer's flat buffer
    eager, _ = _wide_run(False, activation, dropout, packed=packed, l2=l2)
    model, step = _wide_run(True, activation, dropout, packed=packed, l2=l2)
    _assert_same_weights(model, eager)
    from scratchgrad.compile import _bias_inside_keeps_bits

    sizes = ((64, 128, True), (64, 128, False), (128, 128, True), (128, 10, False))
    if not all(_bias_inside_keeps_bits(32, *size, np.dtype(np.float32), after) for *size, after in sizes):
        return  # this BLAS rounds [x, 1] @ [W; b] otherwise (OpenBLAS without AVX-512): the bias stays apart
    products = [args for call, args in step._current.forward_calls if call in (np.dot, np.matmul)]
    inside = [args[1].shape[0] in (65, 129) for args in products]  # [W; b] has a row more than W
    # (OpenBLAS with AVX-512 keeps eager's bits at these sizes in float32; unpacked, there is no [W; b])
    expected = {("relu", 0.3): [True, False, False], ("tanh", 0.0): [True, False, False],
                ("leaky_relu", 0.0): [True, False, False]}.get((activation, dropout), [packed] * 3)
    assert inside == expected


def test_the_bias_is_added_apart_when_the_products_would_round_otherwise(monkeypatch):
    # as if BLAS summed the bias's term in another place: a column of "ones" one bit above 1 changes the
    # check's products, which then differ from eager's, so the recording adds the bias apart
    import scratchgrad.compile as compiled_step

    with_ones = compiled_step._with_ones

    def with_nearly_ones(shape, dtype):
        whole, view = with_ones(shape, dtype)
        whole[:, -1] = np.nextafter(np.ones((), dtype), 2)
        return whole, view

    monkeypatch.setattr(compiled_step, "_with_ones", with_nearly_ones)
    compiled_step._bias_inside_keeps_bits.cache_clear()
    try:
        eager, _ = _wide_run(False)
        model, step = _wide_run(True)
        _assert_same_weights(model, eager)
        assert np.add in [call for call, _ in step._current.forward_calls]
    finally:
        compiled_step._bias_inside_keeps_bits.cache_clear()


# ---- found in review: each failed on the code before its fix ----

RNG_R = np.random.default_rng(0)
XR = RNG_R.normal(size=(64, 64)).astype(np.float32)
YR = RNG_R.integers(0, 10, 64)


def _eager_steps(model, opt, batches, loss=F.cross_entropy):
    for xb, yb in batches:
        value = loss(model(Tensor(xb)), yb)
        opt.zero_grad()
        value.backward()
        opt.step()


def test_big_endian_class_targets_train_as_eagerly():
    t = YR[:32].astype(">i4")
    eager = nn.MLP(64, [16], 10, seed=0)
    expected = float(F.cross_entropy(eager(Tensor(XR[:32])), t).data)
    model = nn.MLP(64, [16], 10, seed=0)
    step = compile_step(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1))
    assert step(XR[:32], t)[0] == expected


def test_one_target_for_a_batch_is_refused_as_eagerly():
    model = nn.MLP(64, [16], 10, seed=0)
    with pytest.raises(ValueError, match="rows of logits but 1 targets"):
        F.cross_entropy(model(Tensor(XR[:8])), np.array([1]))
    step = compile_step(model, "cross_entropy", optim.SGD(model.parameters(), lr=0.1))
    with pytest.raises(ValueError, match="rows of logits but 1 targets"):
        step(XR[:8], np.array([1]))


def _strided_bias(model):  # W then, right after it in the same buffer, a bias read every other number
    layer = model[0]
    W, b = layer.weight.data.copy(), layer.bias.data.copy()
    buf = np.zeros(W.size + 2 * b.size, np.float32)
    buf[:W.size], buf[W.size::2] = W.ravel(), b
    layer.weight.data, layer.bias.data = buf[:W.size].reshape(W.shape), buf[W.size::2]


def _compiled_and_eager_agree(make, batches, loss="cross_entropy"):
    """Train `make()`'s (model, optimizer) on `batches` eagerly, then compiled: the same weights, bit for bit."""
    models = []
    for compiled in (False, True):
        model, opt = make()
        if compiled:
            step = compile_step(model, loss, opt)
            for xb, yb in batches:
                step(xb, yb)
        else:
            _eager_steps(model, opt, batches, {"cross_entropy": F.cross_entropy, "mse": F.mse_loss}[loss])
        models.append(model)
    for a, b in zip(models[0].parameters(), models[1].parameters()):
        np.testing.assert_array_equal(a.data, b.data)


def test_a_strided_bias_after_its_weight_is_not_stacked():
    def make():
        model = nn.MLP(64, [128], 10, seed=0)
        opt = optim.SGD(model.parameters(), lr=0.1)
        opt.state, opt._pack = opt._pack.unpack(), None
        _strided_bias(model)
        return model, opt

    _compiled_and_eager_agree(make, [(XR[s:s + 32], YR[s:s + 32]) for s in (0, 32)])


def test_a_dropout_layer_in_eval_mode_drops_nothing():
    def make():
        model = nn.MLP(64, [32], 10, seed=0, dropout=0.5)
        model[2].eval()
        return model, optim.SGD(model.parameters(), lr=0.1)

    _compiled_and_eager_agree(make, [(XR[s:s + 32], YR[s:s + 32]) for s in (0, 32)])


def test_mse_targets_of_another_dtype_are_rounded_first_as_eagerly():
    def make():
        model = nn.MLP(64, [16], 3, seed=0)
        return model, optim.SGD(model.parameters(), lr=0.1)

    y64 = RNG_R.normal(size=(64, 3))
    _compiled_and_eager_agree(make, [(XR[s:s + 8], y64[s:s + 8]) for s in range(0, 64, 8)], "mse")


def test_fit_unshuffled_on_a_fortran_ordered_x_compiled_equals_eager():
    XF = np.asfortranarray(RNG_R.normal(size=(131, 20)))
    y = RNG_R.integers(0, 3, 131)
    weights = []
    for compile in (False, True):
        model = nn.Sequential(nn.Linear(20, 3, seed=0))
        fit(model, XF, y, optimizer=optim.SGD(model.parameters(), lr=0.1), epochs=3, batch_size=32, shuffle=False,
            seed=0, verbose=0, compile=compile)
        weights.append([p.data.copy() for p in model.parameters()])
    for a, b in zip(*weights):
        np.testing.assert_array_equal(a, b)


def test_a_loss_that_is_not_finite_leaves_the_weights_as_they_were():
    model = _model("relu", 0.0, np.float32, 3)
    step = compile_step(model, "mse", optim.SGD(model.parameters(), lr=0.1))
    before = [p.data.copy() for p in model.parameters()]
    value, _ = step(X[:10].astype(np.float32), np.full((10, 3), np.inf, np.float32))
    assert not np.isfinite(value)
    for a, b in zip(model.parameters(), before):
        np.testing.assert_array_equal(a.data, b)
    eager = _model("relu", 0.0, np.float32, 3)  # where eager's step writes NaN into them
    loss = F.mse_loss(eager(Tensor(X[:10], dtype=np.float32)), np.full((10, 3), np.inf, np.float32))
    opt = optim.SGD(eager.parameters(), lr=0.1)
    opt.zero_grad()
    with np.errstate(invalid="ignore"):  # inf - inf in the gradients: that is the point
        loss.backward()
        opt.step()
    assert not all(np.isfinite(p.data).all() for p in eager.parameters())
