"""The tensor engine beyond the per-operation table of test_ops.py: random axes, ties,
stability, mixed dtypes, refused inputs, error messages and the rules of backward(),
checked against PyTorch float64."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from scratchgrad import Tensor, Value, concatenate, gradcheck, no_grad, stack
from scratchgrad import functional as F

TOL = 1e-10


def pair(array):
    """The same float64 data as a scratchgrad Tensor and a torch tensor, both needing grad."""
    array = np.asarray(array, dtype=np.float64)
    return Tensor(array.copy(), requires_grad=True), torch.tensor(array, requires_grad=True)


def check(ours, theirs, inputs):
    """Forward equal; then backward with the same random upstream gradient, grads equal."""
    np.testing.assert_allclose(ours.data, theirs.detach().numpy(), rtol=TOL, atol=TOL)
    upstream = np.random.default_rng(0).normal(size=ours.shape)
    ours.backward(upstream)
    theirs.backward(torch.tensor(upstream))
    for mine, torch_input in inputs:
        expected = torch_input.grad.numpy() if torch_input.grad is not None else 0 * mine.data
        assert mine.grad is not None and mine.grad.shape == mine.shape
        np.testing.assert_allclose(mine.grad, expected, rtol=TOL, atol=TOL)


floats = st.floats(-3, 3, allow_nan=False, width=64)


@st.composite
def array_and_axis(draw):
    """An array, and None, one axis or several distinct ones, each maybe counted from the end."""
    array = draw(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
                            elements=floats))
    ndim = array.ndim
    chosen = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
    signed = tuple(draw(st.sampled_from([a, a - ndim])) for a in chosen)
    axis = draw(st.sampled_from([None, signed[0], signed]))
    return array, axis, draw(st.booleans())


@pytest.mark.parametrize("reduction", ["sum", "mean", "max"])
@settings(max_examples=40, deadline=None)
@given(case=array_and_axis())
def test_reductions(reduction, case):
    array, axis, keepdims = case
    if reduction == "max":
        array = array + np.arange(array.size).reshape(array.shape) * 1e-3  # no ties
    a, ta = pair(array)
    ours = getattr(a, reduction)(axis=axis, keepdims=keepdims)
    if axis is None:
        theirs = {"sum": ta.sum, "mean": ta.mean, "max": ta.amax}[reduction]()
        if keepdims:
            theirs = theirs.reshape([1] * array.ndim)
    else:
        fn = {"sum": torch.sum, "mean": torch.mean, "max": torch.amax}[reduction]
        theirs = fn(ta, dim=axis, keepdim=keepdims)
    check(ours, theirs, [(a, ta)])


@settings(max_examples=30, deadline=None)
@given(case=array_and_axis(), log=st.booleans())
def test_softmax_along_any_axis(case, log):
    array, axis, _ = case
    axis = axis[0] if isinstance(axis, tuple) else (-1 if axis is None else axis)
    a, ta = pair(array)
    ours = (F.log_softmax if log else F.softmax)(a, axis=axis)
    check(ours, (torch.log_softmax if log else torch.softmax)(ta, dim=axis), [(a, ta)])


def test_max_shares_gradient_between_ties_like_amax():
    a, ta = pair([[1.0, 3.0, 3.0], [2.0, 0.0, 2.0]])
    check(a.max(axis=1), torch.amax(ta, dim=1), [(a, ta)])


def test_matmul_error_names_both_shapes():
    with pytest.raises(ValueError, match=r"matmul: \(32, 64\) @ \(32, 10\)"):
        Tensor(np.zeros((32, 64))) @ Tensor(np.zeros((32, 10)))
    with pytest.raises(ValueError, match=r"\+: shapes \(2, 3\) and \(4,\) do not broadcast"):
        Tensor(np.zeros((2, 3))) + Tensor(np.zeros(4))


# ---- softmax and losses ----

@pytest.mark.parametrize("scale", [1.0, 1e4])
def test_softmax_and_log_softmax_are_stable(scale):
    rng = np.random.default_rng(2)
    logits = rng.normal(size=(5, 4)) * scale
    for ours_fn, theirs_fn in ((F.softmax, torch.softmax), (F.log_softmax, torch.log_softmax)):
        a, ta = pair(logits)
        ours = ours_fn(a)
        assert np.all(np.isfinite(ours.data))
        check(ours, theirs_fn(ta, dim=-1), [(a, ta)])
        assert np.all(np.isfinite(a.grad))


def test_cross_entropy_gradient_is_softmax_minus_onehot_over_n():
    logits = np.random.default_rng(4).normal(size=(5, 3))
    targets = np.array([0, 2, 1, 1, 0])
    a = Tensor(logits, requires_grad=True)
    F.cross_entropy(a, targets).backward()
    softmax = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    np.testing.assert_allclose(a.grad, (softmax - np.eye(3)[targets]) / 5, atol=1e-15)


def test_cross_entropy_errors():
    logits = Tensor(np.zeros((3, 4)))
    with pytest.raises(ValueError, match=r"target class 4 is outside \[0, 4\)"):
        F.cross_entropy(logits, [0, 4, 1])
    for negative in ([0, -1, 1], np.array([2, 0, -4], np.int8)):  # NumPy would count these from the end
        with pytest.raises(ValueError, match=f"target class {min(negative)} is outside"):
            F.cross_entropy(logits, negative)
    with pytest.raises(ValueError, match="3 rows of logits but 2 targets"):
        F.cross_entropy(logits, [0, 1])
    with pytest.raises(ValueError, match="reduction must be one of"):
        F.cross_entropy(logits, [0, 1, 2], reduction="avg")


def test_dropout_scales_in_training_and_is_identity_in_eval():
    x = Tensor(np.ones((200, 50)), requires_grad=True)
    out = F.dropout(x, 0.3, training=True, rng=np.random.default_rng(0))
    kept = out.data != 0
    assert 0.6 < kept.mean() < 0.8
    np.testing.assert_allclose(out.data[kept], 1 / 0.7)
    out.sum().backward()
    np.testing.assert_allclose(x.grad, kept / 0.7)
    assert F.dropout(x, 0.3, training=False) is x


# ---- gradcheck, engines agree, backward rules ----

def test_composite_function_passes_gradcheck():
    rng = np.random.default_rng(6)
    x = Tensor(rng.normal(size=(4, 3)), requires_grad=True, label="x")
    W = Tensor(rng.normal(size=(3, 5)), requires_grad=True, label="W")
    b = Tensor(rng.normal(size=(5,)), requires_grad=True, label="b")

    def f(x, W, b):
        h = (x @ W + b).tanh()
        return F.cross_entropy(h * 2 - h.sigmoid() ** 2, [0, 1, 4, 2]) + (h.abs() + 1).log().mean()

    report = gradcheck(f, [x, W, b])
    assert report.ok, str(report)
    assert report.checked == 12 + 15 + 5


def test_gradcheck_finds_a_wrong_tensor_gradient():
    x = Tensor(np.array([0.5, -1.0]), requires_grad=True, label="x")

    def wrong(t):
        out = t * t
        out._grad_fns = (lambda g: g * t.data,)  # should be 2 * t
        return out.sum()

    report = gradcheck(wrong, [x])
    assert [m.input for m in report.mismatches] == ["x[0]", "x[1]"]


def test_same_expression_on_value_and_0d_tensor():
    def expression(a, b):
        c = a * b + 2.0 - b / (a * a + 1)
        return (c.tanh() * c.sigmoid() + (c * 0.3).exp() + (a * a + 0.5).log()) ** 2 - c.relu()

    values = [Value(0.7), Value(-1.3)]
    tensors = [Tensor(0.7, requires_grad=True, dtype=np.float64),
               Tensor(-1.3, requires_grad=True, dtype=np.float64)]
    out_value, out_tensor = expression(*values), expression(*tensors)
    out_value.backward()
    out_tensor.backward()
    assert out_value.data == pytest.approx(out_tensor.item(), rel=1e-13)
    for v, t in zip(values, tensors):
        assert v.grad == pytest.approx(float(t.grad), rel=1e-12)


def test_backward_needs_grad_for_non_scalar_and_accumulates_leaves():
    a = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    with pytest.raises(RuntimeError, match=r"needs a scalar output.*shape \(2,\)"):
        (a * 2).backward()
    with pytest.raises(ValueError, match="grad has shape"):
        (a * 2).backward(np.ones(3))
    loss = (a * a).sum()
    loss.backward()
    loss.backward()
    np.testing.assert_allclose(a.grad, 4 * a.data)  # leaves accumulate, as in PyTorch


def test_no_grad_and_constants():
    a = Tensor(np.ones(3), requires_grad=True)
    with no_grad():
        b = (a * 2).sum()
    assert not b.requires_grad and b._prev == ()
    x = Tensor(np.ones(3))  # a constant: no gradient, skipped
    out = (a * x).sum()
    out.backward()
    assert x.grad is None and a.grad is not None


def test_dtypes():
    assert Tensor([1, 2]).dtype == np.float32
    assert Tensor(np.zeros(2)).dtype == np.float64
    assert Tensor([1.0], dtype=np.float64).dtype == np.float64
    a = Tensor([1.0, 2.0], requires_grad=True)
    loss = (a * np.array([1.0, 2.0]) + 1.5).sum()
    loss.backward()
    assert loss.dtype == np.float32 and a.grad.dtype == np.float32
    with pytest.raises(TypeError, match="Tensor\\(\\) needs numbers"):
        Tensor("abc")


# ---- axes: the right gradient, or an error naming the axis and the shape ----

def test_transpose_with_negative_axes_matches_torch():
    """The old code inverted the permutation with argsort of the raw axes: wrong for negatives."""
    array = np.random.default_rng(7).normal(size=(2, 3, 4))
    for axes, permutation in [((-1, 0, -2), (2, 0, 1)), ((1, -1, -3), (1, 2, 0)), ((-2, -3, -1), (1, 0, 2))]:
        a, ta = pair(array)
        check(a.transpose(*axes), ta.permute(*permutation), [(a, ta)])


x23 = Tensor(np.zeros((2, 3)), requires_grad=True)


AXIS_USERS = {  # each operation taking an axis, on x23 of shape (2, 3): axes -2..1 exist
    "sum": lambda axis: x23.sum(axis=axis),
    "mean": lambda axis: x23.mean(axis=axis),
    "max": lambda axis: x23.max(axis=axis, keepdims=True),
    "softmax": lambda axis: F.softmax(x23, axis=axis),
    "log_softmax": lambda axis: F.log_softmax(x23, axis=axis),
    "concatenate": lambda axis: concatenate([x23, x23], axis=axis),
    "transpose": lambda axis: x23.transpose(axis, 0),
}


@pytest.mark.parametrize("name", sorted(AXIS_USERS))
@pytest.mark.parametrize("axis", [2, -3, 7])
def test_out_of_range_axes_name_the_axis_and_the_shape(name, axis):
    with pytest.raises(ValueError, match=rf"{name}: axis {axis} is out of range for a tensor of shape \(2, 3\)"):
        AXIS_USERS[name](axis)
    if name in ("sum", "mean", "max"):  # inside a tuple of axes too
        with pytest.raises(ValueError, match=rf"axis {axis} is out of range for a tensor of shape \(2, 3\)"):
            AXIS_USERS[name]((0, axis))


@pytest.mark.parametrize("axis", [3, -4])
def test_stack_axis_counts_the_new_axis(axis):
    assert stack([x23, x23], axis=axis + (1 if axis < 0 else -1)).shape in {(2, 3, 2), (2, 2, 3)}
    with pytest.raises(ValueError, match=rf"stack: axis {axis} is out of range .* shape \(2, 3\) \(axes -3 to 2\)"):
        stack([x23, x23], axis=axis)


def test_axes_named_twice_or_not_integers_are_refused():
    with pytest.raises(ValueError, match=r"axis \(1, -1\) names an axis twice \(shape \(2, 3\)\)"):
        x23.sum(axis=(1, -1))
    with pytest.raises(ValueError, match=r"not a permutation of the 2 axes of shape \(2, 3\)"):
        x23.transpose(0, -2)
    with pytest.raises(TypeError, match="axis must be an integer, got 1.0"):
        x23.mean(axis=1.0)
    with pytest.raises(ValueError, match=r"max over axis 0 of a tensor of shape \(0, 3\): that axis is empty"):
        Tensor(np.zeros((0, 3))).max(axis=0)


def test_index_errors_name_the_shape():
    with pytest.raises(IndexError, match=r"shape \(2, 3\).*index 5 is out of bounds for axis 1"):
        x23[:, 5]
    assert [row.shape for row in x23] == [(3,), (3,)]  # iteration still ends on IndexError


# ---- edge cases with PyTorch's answer ----

def test_zero_total_class_weight_gives_nan_like_torch():
    a, ta = pair(np.random.default_rng(8).normal(size=(3, 4)))
    weight = np.array([0.0, 0.0, 0.0, 1.0])
    check(F.cross_entropy(a, [0, 1, 2], weight=weight),
          torch.nn.functional.cross_entropy(ta, torch.tensor([0, 1, 2]), weight=torch.tensor(weight)), [(a, ta)])


def test_empty_batches_raise_no_zero_division():
    with np.errstate(all="raise"):  # and no NumPy warning about 0 / 0 either
        for reduction in ("mean", "sum", "none"):
            F.cross_entropy(Tensor(np.zeros((0, 3))), [], reduction=reduction)
            F.cross_entropy(Tensor(np.zeros((0, 3))), [], weight=[1, 2, 3], reduction=reduction)
            F.mse_loss(Tensor(np.zeros((0, 2))), np.zeros((0, 2)), reduction=reduction)
            F.binary_cross_entropy_with_logits(Tensor(np.zeros(0)), [], reduction=reduction)


def test_zeroth_power_has_slope_zero_at_zero_on_both_engines():
    a = Tensor([0.0, 2.0], requires_grad=True)
    (a**0).sum().backward()
    assert a.grad.tolist() == [0.0, 0.0]
    v = Value(0.0)
    (v**0).backward()
    assert v.grad == 0.0
    t = torch.tensor(0.0, requires_grad=True)
    (t**0).backward()
    assert t.grad.item() == 0.0


# ---- dtypes: a float32 input gets a float32 gradient, whatever it met ----

MIXED = {
    "*": lambda a, b: a * b,
    "+": lambda a, b: a + b,
    "-": lambda a, b: b - a,
    "/": lambda a, b: a / (b * b + 1),
    "@": lambda a, b: a @ b.T,
    "concatenate": lambda a, b: concatenate([a, b], axis=-1) * 1.5,
    "stack": lambda a, b: stack([b, a], axis=-1) * 1.5,
    "linear": lambda a, b: F.linear(b, a.T, a[0]),
}


@pytest.mark.parametrize("name", sorted(MIXED))
def test_float32_input_beside_float64_gets_float32_gradient(name):
    rng = np.random.default_rng(9)
    low, high = rng.normal(size=(3, 3)), rng.normal(size=(3, 3))
    a32 = Tensor(low.astype(np.float32), requires_grad=True)
    b64 = Tensor(high, requires_grad=True)
    out = MIXED[name](a32, b64)
    assert out.dtype == np.float64  # NumPy's (and PyTorch's) promotion
    out.sum().backward()
    assert a32.grad.dtype == np.float32 and b64.grad.dtype == np.float64
    # the same gradients as all-float64 inputs, to float32 precision
    a64 = Tensor(low.astype(np.float32).astype(np.float64), requires_grad=True)
    b64_again = Tensor(high, requires_grad=True)
    MIXED[name](a64, b64_again).sum().backward()
    np.testing.assert_allclose(a32.grad, a64.grad, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(b64.grad, b64_again.grad, rtol=1e-6, atol=1e-6)


def test_float32_times_float64_tensor_like_torch():
    low = np.array([0.5, -1.25, 2.0])
    a = Tensor(low.astype(np.float32), requires_grad=True)
    ta = torch.tensor(low, dtype=torch.float32, requires_grad=True)
    weight = np.array([1.0 / 3, 2.0, -0.7])
    (a * Tensor(weight)).sum().backward()
    (ta * torch.tensor(weight)).sum().backward()
    assert a.grad.dtype == np.float32 and ta.grad.dtype == torch.float32
    np.testing.assert_array_equal(a.grad, ta.grad.numpy())


@pytest.mark.parametrize("expression", [
    lambda t: t ** np.float64(2.0),
    lambda t: np.float64(2.5) ** t,
    lambda t: t.clip(np.float64(-0.5), np.float64(0.5)),
    lambda t: t.leaky_relu(np.float64(0.1)),
    lambda t: t * np.float64(3.0),
    lambda t: np.float64(3.0) - t,
    lambda t: t * np.array([1.0, 2.0, 3.0]),
], ids=["t ** exponent", "base ** t", "clip", "leaky_relu", "t * number", "number - t", "t * array"])
def test_numpy_float64_numbers_keep_float32_float32(expression):
    t = Tensor([0.5, -1.0, 2.0], requires_grad=True)
    out = expression(t)
    out.sum().backward()
    assert out.dtype == np.float32 and t.grad.dtype == np.float32


# ---- data a Tensor refuses, with a sentence ----

@pytest.mark.parametrize("data, words", [
    (None, "got None"),
    ([1.0, None], "list"),
    (1 + 2j, "complex"),
    (np.array([1.0 + 0.5j]), "complex"),
    ("1.5", "str"),
    ([[1.0, 2.0], [3.0]], "equal lengths"),
    (np.array([1, 2], dtype=object), "object"),
    (np.array(["1", "2"]), "<U1"),
])
@pytest.mark.parametrize("dtype", [None, np.float64])
def test_tensor_refuses_what_is_not_real_numbers(data, words, dtype):
    from scratchgrad.errors import InvalidParameterError

    with pytest.raises(InvalidParameterError, match=words) as info:
        Tensor(data, dtype=dtype)
    assert isinstance(info.value, TypeError)


@pytest.mark.parametrize("data", [
    np.array([True, False]), np.array([1, -2], dtype=np.int8), np.array([3, 250], dtype=np.uint8), np.array(7),
    np.array(2.5, dtype=np.float16), np.float64(2.5), np.int64(3), np.bool_(True), 1.5, 3, True, [1, 2.5],
    [np.float32(1.5), 2], np.array([1.5, 2.5], dtype=np.float32)])
@pytest.mark.parametrize("dtype", [None, np.float32, np.float64])
def test_tensor_of_real_numbers_of_any_kind_as_torch_makes_it(data, dtype):
    """A float array keeps its precision unless told (as torch.from_numpy); all else is float32 unless told."""
    tensor = Tensor(data, dtype=dtype)
    keeps = isinstance(data, np.ndarray) and data.dtype.kind == "f"
    expected_dtype = dtype or (data.dtype if keeps else np.float32)
    torch_dtype = {np.dtype(np.float16): torch.float16, np.dtype(np.float32): torch.float32,
                   np.dtype(np.float64): torch.float64}[np.dtype(expected_dtype)]
    expected = torch.as_tensor(np.asarray(data).astype(np.float64), dtype=torch_dtype)
    assert tensor.dtype == expected_dtype and tensor.shape == tuple(expected.shape)
    np.testing.assert_array_equal(tensor.data, expected.numpy())


@pytest.mark.parametrize("index", [
    Tensor([0.0, 1.0]),
    np.array([0.0, 1.0]),
    (slice(None), np.array([1.0])),
    (0, 1.0),
    (Tensor([1.0]), 0),
])
def test_float_indices_are_refused(index):
    t = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    with pytest.raises(TypeError, match="index"):
        t[index]


def test_backward_twice_through_diamonds_and_constant_branches_matches_torch():
    """Nodes used several times, a branch that needs no gradient, float32 beside float64; a second
    backward: leaves accumulate (twice torch's single pass), intermediates are reset (once)."""
    rng = np.random.default_rng(3)
    a, b, c = rng.normal(size=(3, 4)), rng.normal(size=4), rng.normal(size=(3, 4))

    def build(x, w, const):
        h = x * w  # float32 times float64 in ours: a float64 node
        u = h.exp()
        d = (u + h * const) * h  # h feeds four nodes, through two paths
        return h, d.sum() + (h * h).mean() + (const * 2).sum()

    x, w, const = Tensor(a, dtype=np.float32, requires_grad=True), Tensor(b, requires_grad=True), Tensor(c)
    h, loss = build(x, w, const)
    loss.backward()
    loss.backward()
    tx = torch.tensor(a.astype(np.float32).astype(np.float64), requires_grad=True)
    tw = torch.tensor(b.astype(np.float64), requires_grad=True)
    th, tloss = build(tx, tw, torch.tensor(c))
    th.retain_grad()
    tloss.backward()
    assert x.grad.dtype == np.float32 and w.grad.dtype == np.float64
    np.testing.assert_allclose(x.grad, 2 * tx.grad.numpy(), rtol=1e-6)
    np.testing.assert_allclose(w.grad, 2 * tw.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(h.grad, th.grad.numpy(), rtol=1e-12)
    assert const.grad is None


def test_a_node_no_gradient_reaches_is_skipped_not_called_with_none():
    """`k` was computed while `h` needed no gradient, so it passes none back to `h`; switching both
    on by hand afterwards leaves `h` without a gradient (as before `backward_order`), not a TypeError."""
    x = Tensor(np.array([1.0, -2.0, 3.0]), requires_grad=True)
    h = x * 2
    h.requires_grad = False
    k = h * 3  # a constant, as far as the graph knows
    h.requires_grad = k.requires_grad = True
    (k * x).sum().backward()
    np.testing.assert_array_equal(x.grad, k.data)  # d sum(k x) / dx with k constant
    np.testing.assert_array_equal(k.grad, x.data)
    assert h.grad is None


def test_constants_are_shared_read_only_and_typed():
    from scratchgrad.tensor import constant

    zero = constant(0, np.float32)
    assert zero is constant(0, np.float32) and zero.shape == () and zero.dtype == np.float32
    assert constant(1, np.float64).dtype == np.float64 and constant(1, np.float64) == 1
    with pytest.raises(ValueError):  # shared by every caller: nobody may write into it
        zero[...] = 1
