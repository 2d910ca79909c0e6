"""Tensor against PyTorch float64: every operation's result and gradients."""

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
shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=1, max_side=4)


@st.composite
def broadcastable_pair(draw):
    a_shape, b_shape = draw(hnp.mutually_broadcastable_shapes(num_shapes=2, max_dims=3,
                                                              max_side=4)).input_shapes
    a = draw(hnp.arrays(np.float64, a_shape, elements=floats))
    b = draw(hnp.arrays(np.float64, b_shape, elements=floats))
    return a, b


BINARY = {
    "+": lambda a, b: a + b,
    "-": lambda a, b: a - b,
    "*": lambda a, b: a * b,
    "/": lambda a, b: a / (b * b + 0.5),
}


@pytest.mark.parametrize("op", sorted(BINARY))
@settings(max_examples=40, deadline=None)
@given(data=broadcastable_pair())
def test_broadcasting_binary_ops(op, data):
    (a, ta), (b, tb) = pair(data[0]), pair(data[1])
    check(BINARY[op](a, b), BINARY[op](ta, tb), [(a, ta), (b, tb)])


@pytest.mark.parametrize("op", sorted(BINARY))
def test_numbers_and_arrays_on_either_side(op):
    (a, ta) = pair([[1.0, -2.0, 0.5]])
    array = np.array([[0.3], [1.2]])
    for other, torch_other in ((2.5, 2.5), (array, torch.tensor(array))):
        a.grad, ta.grad = None, None
        check(BINARY[op](a, other), BINARY[op](ta, torch_other), [(a, ta)])
        a.grad, ta.grad = None, None
        if op != "/":
            check(BINARY[op](other, a), BINARY[op](torch_other, ta), [(a, ta)])
        else:
            check(other / a, torch_other / ta, [(a, ta)])


UNARY = {
    "neg": (lambda t: -t, lambda t: -t),
    "exp": (Tensor.exp, torch.exp),
    "log": (lambda t: (t * t + 0.1).log(), lambda t: (t * t + 0.1).log()),
    "sqrt": (lambda t: (t * t + 0.1).sqrt(), lambda t: (t * t + 0.1).sqrt()),
    "abs": (Tensor.abs, torch.abs),
    "tanh": (Tensor.tanh, torch.tanh),
    "sigmoid": (Tensor.sigmoid, torch.sigmoid),
    "relu": (Tensor.relu, torch.relu),
    "leaky_relu": (lambda t: t.leaky_relu(0.2), lambda t: torch.nn.functional.leaky_relu(t, 0.2)),
    "pow3": (lambda t: t**3, lambda t: t**3),
    "pow-1.5": (lambda t: (t * t + 0.1) ** -1.5, lambda t: (t * t + 0.1) ** -1.5),
    "clip": (lambda t: t.clip(-1, 0.5), lambda t: t.clamp(-1, 0.5)),
    "rpow": (lambda t: 2.5**t, lambda t: 2.5**t),
    "T": (lambda t: t.T, lambda t: t.permute(*reversed(range(t.ndim))) if t.ndim else t),
}


@pytest.mark.parametrize("op", sorted(UNARY))
@settings(max_examples=30, deadline=None)
@given(array=hnp.arrays(np.float64, shapes, elements=floats.filter(lambda x: abs(x) > 1e-3)))
def test_unary_ops(op, array):
    a, ta = pair(array)
    ours, theirs = UNARY[op]
    check(ours(a), theirs(ta), [(a, ta)])


@st.composite
def array_and_axis(draw):
    array = draw(hnp.arrays(np.float64, hnp.array_shapes(min_dims=1, max_dims=3, max_side=4),
                            elements=floats))
    axis = draw(st.none() | st.integers(-array.ndim, array.ndim - 1)
                | st.just(tuple(range(array.ndim))[:2]))
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


def test_max_shares_gradient_between_ties_like_amax():
    a, ta = pair([[1.0, 3.0, 3.0], [2.0, 0.0, 2.0]])
    check(a.max(axis=1), torch.amax(ta, dim=1), [(a, ta)])


@settings(max_examples=40, deadline=None)
@given(st.sampled_from([(2, 3), (3,), (2, 1, 3), (4, 3), (3, 5)]),
       st.sampled_from([(3, 4), (3,), (2, 3, 2), (5, 3, 4), (1, 3, 2)]))
def test_matmul_1d_2d_batched(a_shape, b_shape):
    rng = np.random.default_rng(0)
    (a, ta), (b, tb) = pair(rng.normal(size=a_shape)), pair(rng.normal(size=b_shape))
    try:
        theirs = ta @ tb
    except RuntimeError:
        with pytest.raises(ValueError, match="matmul"):
            a @ b
        return
    check(a @ b, theirs, [(a, ta), (b, tb)])


def test_matmul_error_names_both_shapes():
    with pytest.raises(ValueError, match=r"matmul: \(32, 64\) @ \(32, 10\)"):
        Tensor(np.zeros((32, 64))) @ Tensor(np.zeros((32, 10)))
    with pytest.raises(ValueError, match=r"\+: shapes \(2, 3\) and \(4,\) do not broadcast"):
        Tensor(np.zeros((2, 3))) + Tensor(np.zeros(4))


def test_reshape_transpose_getitem_concatenate_stack():
    rng = np.random.default_rng(1)
    a, ta = pair(rng.normal(size=(2, 3, 4)))
    check(a.reshape(4, 6), ta.reshape(4, 6), [(a, ta)])
    a.grad, ta.grad = None, None
    check(a.transpose(2, 0, 1), ta.permute(2, 0, 1), [(a, ta)])
    for index in [1, (slice(None), 2), (0, slice(1, 3), -1), np.array([0, 1, 1]),
                  (np.array([0, 1, 0]), np.array([2, 2, 2])), np.array([True, False])]:
        a.grad, ta.grad = None, None
        torch_index = tuple(torch.tensor(i) if isinstance(i, np.ndarray) else i for i in index) \
            if isinstance(index, tuple) else (torch.tensor(index)
                                               if isinstance(index, np.ndarray) else index)
        check(a[index], ta[torch_index], [(a, ta)])
    (b, tb), (c, tc) = pair(rng.normal(size=(2, 2, 4))), pair(rng.normal(size=(2, 3, 4)))
    a.grad, ta.grad = None, None
    check(concatenate([b, a, c], axis=1), torch.cat([tb, ta, tc], dim=1),
          [(a, ta), (b, tb), (c, tc)])
    (d, td) = pair(rng.normal(size=(2, 3, 4)))
    a.grad, ta.grad = None, None
    check(stack([a, d], axis=2), torch.stack([ta, td], dim=2), [(a, ta), (d, td)])


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


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("kind", ["indices", "probabilities"])
def test_cross_entropy_matches_torch(reduction, weighted, kind):
    rng = np.random.default_rng(3)
    logits = rng.normal(size=(6, 4)) * 3
    if kind == "indices":
        targets = rng.integers(0, 4, 6)
        torch_targets = torch.tensor(targets)
    else:
        targets = rng.dirichlet(np.ones(4), 6)
        torch_targets = torch.tensor(targets)
    weight = rng.uniform(0.5, 2, 4) if weighted else None
    a, ta = pair(logits)
    ours = F.cross_entropy(a, targets, weight=weight, reduction=reduction)
    theirs = torch.nn.functional.cross_entropy(
        ta, torch_targets, weight=None if weight is None else torch.tensor(weight),
        reduction=reduction)
    check(ours, theirs, [(a, ta)])


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
    with pytest.raises(ValueError, match="3 rows of logits but 2 targets"):
        F.cross_entropy(logits, [0, 1])
    with pytest.raises(ValueError, match="reduction must be one of"):
        F.cross_entropy(logits, [0, 1, 2], reduction="avg")


def test_bce_with_logits_and_mse_match_torch():
    rng = np.random.default_rng(5)
    logits, targets = rng.normal(size=(7, 2)) * 20, rng.integers(0, 2, (7, 2)).astype(float)
    for reduction in ("mean", "sum", "none"):
        a, ta = pair(logits)
        check(F.binary_cross_entropy_with_logits(a, targets, reduction=reduction),
              torch.nn.functional.binary_cross_entropy_with_logits(
                  ta, torch.tensor(targets), reduction=reduction), [(a, ta)])
        a, ta = pair(logits)
        check(F.mse_loss(a, targets, reduction=reduction),
              torch.nn.functional.mse_loss(ta, torch.tensor(targets), reduction=reduction),
              [(a, ta)])


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
