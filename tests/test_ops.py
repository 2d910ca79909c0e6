"""One table of operations drives every per-operation check of both engines (as minitorch does).

Each row names an operation, its form on the scalar engine (`Value`, element by element) or
None if that engine lacks it, its form on the tensor engine, its PyTorch form, and the
domain its inputs are drawn from. Every row is checked:

1. the tensor engine against PyTorch float64: values and gradients (for a random upstream
   gradient), and in float32 it stays float32, close to the float64 answer;
2. the scalar engine against PyTorch float64, and against the tensor engine, element by element;
3. gradcheck: backward against central finite differences, on both engines.

Adding an operation is adding one row.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from scratchgrad import Tensor, Value, concatenate, gradcheck, stack
from scratchgrad import functional as F

TOL = 1e-10


@dataclass(frozen=True)
class Domain:
    """Inputs are uniform in [low, high], at least `margin` away from each of `kinks` (where
    the function has no derivative, so finite differences cannot check it); the first
    elements of each input are then set to `exact` (points with a defined answer to check)."""

    low: float = -2.0
    high: float = 2.0
    kinks: tuple = ()
    margin: float = 0.05
    exact: tuple = ()


REAL = Domain()
POSITIVE = Domain(0.2, 3.0)
NOT_AT_ZERO = Domain(kinks=(0.0,))
FAR_FROM_ZERO = Domain(kinks=(0.0,), margin=0.3)  # divisors
WIDE = Domain(-8.0, 8.0)


@dataclass(frozen=True)
class Op:
    name: str
    scalar: Callable | None  # on Values, applied element by element; None: no scalar form
    tensor: Callable  # on Tensors
    torch: Callable  # on torch tensors (float64)
    domain: Domain = REAL
    shapes: tuple = ((3, 4),)  # one shape per input


def everywhere(name, f, domain=REAL, shapes=((3, 4),)):
    """A row whose expression is the same on Values, Tensors and torch tensors."""
    return Op(name, f, f, f, domain, shapes)


def tensor_only(name, f, domain=REAL, shapes=((3, 4),)):
    """A row whose expression is the same on Tensors and torch tensors; no scalar form."""
    return Op(name, None, f, f, domain, shapes)


tF = torch.nn.functional
_rng = np.random.default_rng(12345)
CONSTANT = _rng.normal(size=(3, 4))
CLASSES = _rng.integers(0, 4, 5)
CLASS_WEIGHTS = _rng.uniform(0.5, 2.0, 4)
PROBABILITIES = _rng.dirichlet(np.ones(4), 5)
BINARY_TARGETS = _rng.integers(0, 2, (5, 4)).astype(float)
ELEMENT_WEIGHTS = _rng.uniform(0.5, 2.0, 4)
MASK = _rng.random(3) < 0.5
EMPTY_CLASSES = np.zeros(0, dtype=int)


def torch_tensor(array):
    return torch.tensor(np.asarray(array))


OPS = [
    # ---- arithmetic, with broadcasting, numbers and arrays on either side ----
    everywhere("x + y", lambda x, y: x + y, shapes=((3, 1), (4,))),
    everywhere("x - y", lambda x, y: x - y, shapes=((2, 3, 1), (3, 4))),
    everywhere("x * y", lambda x, y: x * y, shapes=((4,), (3, 1))),
    everywhere("x / y", lambda x, y: x / y, FAR_FROM_ZERO, shapes=((3, 4), (4,))),
    everywhere("-x", lambda x: -x),
    everywhere("x + 2.5", lambda x: x + 2.5),
    everywhere("2.5 - x", lambda x: 2.5 - x),
    everywhere("-1.5 * x", lambda x: -1.5 * x),
    everywhere("x / 4", lambda x: x / 4),
    everywhere("3 / x", lambda x: 3 / x, FAR_FROM_ZERO),
    Op("x * array", None, lambda x: x * CONSTANT, lambda x: x * torch_tensor(CONSTANT)),
    Op("array - x", None, lambda x: CONSTANT - x, lambda x: torch_tensor(CONSTANT) - x),
    Op("array / x", None, lambda x: CONSTANT / x, lambda x: torch_tensor(CONSTANT) / x, FAR_FROM_ZERO),
    # ---- powers ----
    everywhere("x ** 3", lambda x: x**3),
    everywhere("x ** 2.5", lambda x: x**2.5, POSITIVE),
    everywhere("x ** -1.5", lambda x: x**-1.5, POSITIVE),
    everywhere("x ** 0 (slope 0 at 0)", lambda x: x**0, Domain(exact=(0.0,))),
    everywhere("x ** 1 at 0", lambda x: x**1, Domain(exact=(0.0,))),
    everywhere("2.5 ** x", lambda x: 2.5**x),
    # ---- elementwise functions ----
    everywhere("exp", lambda x: x.exp()),
    everywhere("log", lambda x: x.log(), POSITIVE),
    everywhere("tanh", lambda x: x.tanh()),
    everywhere("sigmoid", lambda x: x.sigmoid(), WIDE),
    everywhere("relu", lambda x: x.relu(), NOT_AT_ZERO),
    Op("leaky_relu", lambda x: x.leaky_relu(0.1), lambda x: x.leaky_relu(0.1),
       lambda x: tF.leaky_relu(x, 0.1), NOT_AT_ZERO),
    tensor_only("sqrt", lambda x: x.sqrt(), POSITIVE),
    tensor_only("abs", lambda x: x.abs(), NOT_AT_ZERO),
    Op("clip", None, lambda x: x.clip(-1, 0.5), lambda x: x.clamp(-1, 0.5), Domain(kinks=(-1.0, 0.5))),
    Op("clip below", None, lambda x: x.clip(min=0.2), lambda x: x.clamp(min=0.2), Domain(kinks=(0.2,))),
    Op("F.relu", None, F.relu, torch.relu, NOT_AT_ZERO),
    Op("F.sigmoid", None, F.sigmoid, torch.sigmoid),
    Op("F.tanh", None, F.tanh, torch.tanh),
    # ---- matrix products ----
    tensor_only("matrix @ matrix", lambda x, y: x @ y, shapes=((3, 4), (4, 2))),
    tensor_only("vector @ matrix", lambda x, y: x @ y, shapes=((4,), (4, 2))),
    tensor_only("matrix @ vector", lambda x, y: x @ y, shapes=((3, 4), (4,))),
    tensor_only("vector @ vector", lambda x, y: x @ y, shapes=((4,), (4,))),
    tensor_only("batch @ matrix", lambda x, y: x @ y, shapes=((2, 3, 4), (4, 5))),
    tensor_only("batch @ batch, broadcast", lambda x, y: x @ y, shapes=((2, 1, 3, 4), (3, 4, 2))),
    Op("linear", None, F.linear, lambda x, w, b: x @ w + b, shapes=((5, 4), (4, 3), (3,))),
    Op("linear, no bias", None, F.linear, lambda x, w: x @ w, shapes=((5, 4), (4, 3))),
    Op("linear, batch of rows of rows", None, F.linear, lambda x, w, b: x @ w + b,
       shapes=((2, 5, 4), (4, 3), (3,))),
    # ---- reductions: axes None, positive, negative, several, keepdims ----
    tensor_only("sum", lambda x: x.sum(), shapes=((2, 3, 4),)),
    Op("sum axis=0", None, lambda x: x.sum(axis=0), lambda x: x.sum(dim=0), shapes=((2, 3, 4),)),
    Op("sum axis=-1", None, lambda x: x.sum(axis=-1), lambda x: x.sum(dim=-1), shapes=((2, 3, 4),)),
    Op("sum axis=(-1, 0) keepdims", None, lambda x: x.sum(axis=(-1, 0), keepdims=True),
       lambda x: x.sum(dim=(-1, 0), keepdim=True), shapes=((2, 3, 4),)),
    Op("sum axis=-2 of 2-D", None, lambda x: x.sum(axis=-2), lambda x: x.sum(dim=-2)),
    tensor_only("mean", lambda x: x.mean(), shapes=((2, 3, 4),)),
    Op("mean axis=-1", None, lambda x: x.mean(axis=-1), lambda x: x.mean(dim=-1), shapes=((2, 3, 4),)),
    Op("mean axis=(0, -2) keepdims", None, lambda x: x.mean(axis=(0, -2), keepdims=True),
       lambda x: x.mean(dim=(0, -2), keepdim=True), shapes=((2, 3, 4),)),
    Op("mean of empty rows", None, lambda x: x.mean(axis=-1), lambda x: x.mean(dim=-1), shapes=((3, 0),)),
    Op("max", None, lambda x: x.max(), lambda x: x.amax(), shapes=((2, 3, 4),)),
    Op("max axis=-1", None, lambda x: x.max(axis=-1), lambda x: x.amax(dim=-1), shapes=((2, 3, 4),)),
    Op("max axis=(0, -2) keepdims", None, lambda x: x.max(axis=(0, -2), keepdims=True),
       lambda x: x.amax(dim=(0, -2), keepdim=True), shapes=((2, 3, 4),)),
    Op("max axis=1 of (0, 3)", None, lambda x: x.max(axis=1), lambda x: x.amax(dim=1), shapes=((0, 3),)),
    # ---- softmax ----
    Op("softmax", None, F.softmax, lambda x: torch.softmax(x, dim=-1), WIDE),
    Op("softmax axis=0", None, lambda x: F.softmax(x, axis=0), lambda x: torch.softmax(x, dim=0),
       shapes=((2, 3, 4),)),
    Op("softmax axis=-2", None, lambda x: F.softmax(x, axis=-2), lambda x: torch.softmax(x, dim=-2),
       shapes=((2, 3, 4),)),
    Op("softmax of empty rows", None, F.softmax, lambda x: torch.softmax(x, dim=-1), shapes=((3, 0),)),
    Op("softmax of no rows", None, F.softmax, lambda x: torch.softmax(x, dim=-1), shapes=((0, 4),)),
    Op("log_softmax", None, F.log_softmax, lambda x: torch.log_softmax(x, dim=-1), WIDE),
    Op("log_softmax axis=-3", None, lambda x: F.log_softmax(x, axis=-3),
       lambda x: torch.log_softmax(x, dim=-3), shapes=((2, 3, 4),)),
    Op("log_softmax axis=1", None, lambda x: F.log_softmax(x, axis=1),
       lambda x: torch.log_softmax(x, dim=1), shapes=((2, 3, 4),)),
    Op("log_softmax of empty rows", None, F.log_softmax, lambda x: torch.log_softmax(x, dim=-1),
       shapes=((3, 0),)),
    # ---- shapes ----
    Op("reshape", None, lambda x: x.reshape(2, 6), lambda x: x.reshape(2, 6)),
    Op("reshape -1", None, lambda x: x.reshape(-1), lambda x: x.reshape(-1), shapes=((2, 3, 4),)),
    Op("T", None, lambda x: x.T, lambda x: x.T),
    Op("transpose()", None, lambda x: x.transpose(), lambda x: x.permute(2, 1, 0), shapes=((2, 3, 4),)),
    Op("transpose(-1, 0, -2)", None, lambda x: x.transpose(-1, 0, -2), lambda x: x.permute(2, 0, 1),
       shapes=((2, 3, 4),)),
    Op("transpose((1, -1, 0))", None, lambda x: x.transpose((1, -1, 0)), lambda x: x.permute(1, 2, 0),
       shapes=((2, 3, 4),)),
    Op("transpose(-1, -2)", None, lambda x: x.transpose(-1, -2), lambda x: x.permute(1, 0)),
    tensor_only("x[1]", lambda x: x[1]),
    tensor_only("x[-1]", lambda x: x[-1]),
    tensor_only("x[:, -1]", lambda x: x[:, -1]),
    tensor_only("x[-2:, ::2]", lambda x: x[-2:, ::2]),
    tensor_only("x[..., None, 1]", lambda x: x[..., None, 1], shapes=((2, 3, 4),)),
    Op("x[int array, repeats]", None, lambda x: x[np.array([0, -1, 0])],
       lambda x: x[torch.tensor([0, -1, 0])]),
    Op("x[rows, columns]", None, lambda x: x[np.array([0, 2, 0]), np.array([-1, 1, -1])],
       lambda x: x[torch.tensor([0, 2, 0]), torch.tensor([-1, 1, -1])]),
    Op("x[bool mask]", None, lambda x: x[MASK], lambda x: x[torch.tensor(MASK)]),
    Op("concatenate axis=-1", None, lambda *xs: concatenate(xs, axis=-1), lambda *xs: torch.cat(xs, dim=-1),
       shapes=((2, 3), (2, 1), (2, 2))),
    Op("concatenate axis=0", None, lambda *xs: concatenate(xs, axis=0), lambda *xs: torch.cat(xs, dim=0),
       shapes=((2, 3), (1, 3))),
    Op("concatenate axis=-2 of 3-D", None, lambda *xs: concatenate(xs, axis=-2),
       lambda *xs: torch.cat(xs, dim=-2), shapes=((2, 3, 4), (2, 1, 4))),
    Op("stack axis=0", None, lambda *xs: stack(xs), lambda *xs: torch.stack(xs), shapes=((2, 3), (2, 3))),
    Op("stack axis=-1", None, lambda *xs: stack(xs, axis=-1), lambda *xs: torch.stack(xs, dim=-1),
       shapes=((2, 3), (2, 3), (2, 3))),
    Op("stack axis=-3", None, lambda *xs: stack(xs, axis=-3), lambda *xs: torch.stack(xs, dim=-3),
       shapes=((2, 3), (2, 3))),
    Op("stack axis=1", None, lambda *xs: stack(xs, axis=1), lambda *xs: torch.stack(xs, dim=1),
       shapes=((2, 3), (2, 3))),
    # ---- losses ----
    Op("cross_entropy", None, lambda x: F.cross_entropy(x, CLASSES),
       lambda x: tF.cross_entropy(x, torch_tensor(CLASSES)), WIDE, shapes=((5, 4),)),
    Op("cross_entropy sum, weighted", None,
       lambda x: F.cross_entropy(x, CLASSES, weight=CLASS_WEIGHTS, reduction="sum"),
       lambda x: tF.cross_entropy(x, torch_tensor(CLASSES), weight=torch_tensor(CLASS_WEIGHTS), reduction="sum"),
       shapes=((5, 4),)),
    Op("cross_entropy mean, weighted", None, lambda x: F.cross_entropy(x, CLASSES, weight=CLASS_WEIGHTS),
       lambda x: tF.cross_entropy(x, torch_tensor(CLASSES), weight=torch_tensor(CLASS_WEIGHTS)),
       shapes=((5, 4),)),
    Op("cross_entropy none", None, lambda x: F.cross_entropy(x, CLASSES, reduction="none"),
       lambda x: tF.cross_entropy(x, torch_tensor(CLASSES), reduction="none"), shapes=((5, 4),)),
    Op("cross_entropy none, weighted, uint8 targets", None,
       lambda x: F.cross_entropy(x, CLASSES.astype(np.uint8), weight=CLASS_WEIGHTS, reduction="none"),
       lambda x: tF.cross_entropy(x, torch_tensor(CLASSES), weight=torch_tensor(CLASS_WEIGHTS), reduction="none"),
       WIDE, shapes=((5, 4),)),
    Op("cross_entropy mean, weighted, one row, whole-float target", None,
       lambda x: F.cross_entropy(x, np.array([2.0]), weight=CLASS_WEIGHTS),
       lambda x: tF.cross_entropy(x, torch.tensor([2]), weight=torch_tensor(CLASS_WEIGHTS)), shapes=((1, 4),)),
    Op("cross_entropy none of an empty batch, weighted", None,
       lambda x: F.cross_entropy(x, EMPTY_CLASSES, weight=CLASS_WEIGHTS, reduction="none"),
       lambda x: tF.cross_entropy(x, torch_tensor(EMPTY_CLASSES), weight=torch_tensor(CLASS_WEIGHTS),
                                  reduction="none"), shapes=((0, 4),)),
    Op("cross_entropy, probabilities", None, lambda x: F.cross_entropy(x, PROBABILITIES),
       lambda x: tF.cross_entropy(x, torch_tensor(PROBABILITIES)), shapes=((5, 4),)),
    Op("cross_entropy, weighted probabilities", None,
       lambda x: F.cross_entropy(x, PROBABILITIES, weight=CLASS_WEIGHTS, reduction="sum"),
       lambda x: tF.cross_entropy(x, torch_tensor(PROBABILITIES), weight=torch_tensor(CLASS_WEIGHTS),
                                  reduction="sum"), shapes=((5, 4),)),
    Op("cross_entropy of an empty batch", None, lambda x: F.cross_entropy(x, EMPTY_CLASSES),
       lambda x: tF.cross_entropy(x, torch_tensor(EMPTY_CLASSES)), shapes=((0, 4),)),
    Op("cross_entropy sum of an empty batch", None, lambda x: F.cross_entropy(x, EMPTY_CLASSES, reduction="sum"),
       lambda x: tF.cross_entropy(x, torch_tensor(EMPTY_CLASSES), reduction="sum"), shapes=((0, 4),)),
    Op("cross_entropy of an empty batch, weighted", None,
       lambda x: F.cross_entropy(x, EMPTY_CLASSES, weight=CLASS_WEIGHTS),
       lambda x: tF.cross_entropy(x, torch_tensor(EMPTY_CLASSES), weight=torch_tensor(CLASS_WEIGHTS)),
       shapes=((0, 4),)),
    Op("cross_entropy of empty probability rows", None, lambda x: F.cross_entropy(x, np.zeros((0, 4))),
       lambda x: tF.cross_entropy(x, torch.zeros(0, 4)), shapes=((0, 4),)),
    Op("bce_with_logits", None, lambda x: F.binary_cross_entropy_with_logits(x, BINARY_TARGETS),
       lambda x: tF.binary_cross_entropy_with_logits(x, torch_tensor(BINARY_TARGETS)),
       Domain(-20, 20), shapes=((5, 4),)),
    Op("bce_with_logits sum, weighted", None,
       lambda x: F.binary_cross_entropy_with_logits(x, BINARY_TARGETS, weight=ELEMENT_WEIGHTS, reduction="sum"),
       lambda x: tF.binary_cross_entropy_with_logits(x, torch_tensor(BINARY_TARGETS),
                                                     weight=torch_tensor(ELEMENT_WEIGHTS), reduction="sum"),
       shapes=((5, 4),)),
    Op("bce_with_logits none", None,
       lambda x: F.binary_cross_entropy_with_logits(x, BINARY_TARGETS, reduction="none"),
       lambda x: tF.binary_cross_entropy_with_logits(x, torch_tensor(BINARY_TARGETS), reduction="none"),
       shapes=((5, 4),)),
    Op("bce_with_logits of an empty batch", None,
       lambda x: F.binary_cross_entropy_with_logits(x, np.zeros((0, 4))),
       lambda x: tF.binary_cross_entropy_with_logits(x, torch.zeros(0, 4)), shapes=((0, 4),)),
    Op("mse_loss", None, lambda x: F.mse_loss(x, BINARY_TARGETS),
       lambda x: tF.mse_loss(x, torch_tensor(BINARY_TARGETS)), shapes=((5, 4),)),
    Op("mse_loss sum", None, lambda x: F.mse_loss(x, BINARY_TARGETS, reduction="sum"),
       lambda x: tF.mse_loss(x, torch_tensor(BINARY_TARGETS), reduction="sum"), shapes=((5, 4),)),
    Op("mse_loss none", None, lambda x: F.mse_loss(x, BINARY_TARGETS, reduction="none"),
       lambda x: tF.mse_loss(x, torch_tensor(BINARY_TARGETS), reduction="none"), shapes=((5, 4),)),
    Op("mse_loss of an empty batch", None, lambda x: F.mse_loss(x, np.zeros(0)),
       lambda x: tF.mse_loss(x, torch.zeros(0)), shapes=((0,),)),
    Op("mse_loss sum of an empty batch", None, lambda x: F.mse_loss(x, np.zeros(0), reduction="sum"),
       lambda x: tF.mse_loss(x, torch.zeros(0), reduction="sum"), shapes=((0,),)),
]

SCALAR_OPS = [op for op in OPS if op.scalar is not None]


def by_name(ops):
    return pytest.mark.parametrize("op", ops, ids=[op.name for op in ops])


def test_names_are_unique():
    assert len({op.name for op in OPS}) == len(OPS)


# ---- inputs ----

def draw_inputs(op, shapes=None, seed=None):
    """The row's inputs (float64 arrays), the same on every run: seeded by the row's name."""
    rng = np.random.default_rng(zlib.crc32(op.name.encode()) if seed is None else seed)
    domain = op.domain
    arrays = []
    for shape in op.shapes if shapes is None else shapes:
        a = rng.uniform(domain.low, domain.high, shape)
        for kink in domain.kinks:  # push values near a kink out to `margin` from it, same side
            near = np.abs(a - kink) < domain.margin
            a[near] = kink + np.where(a[near] >= kink, domain.margin, -domain.margin)
        a.flat[: len(domain.exact)] = domain.exact[: a.size]
        arrays.append(a)
    return arrays


def upstream_for(shape, op):
    """A random gradient flowing into the output, so every output element weighs differently."""
    return np.random.default_rng(zlib.crc32(op.name.encode()) + 1).normal(size=shape)


# ---- running each engine; each returns (output values, [gradient of each input]) ----

def run_torch(op, arrays):
    inputs = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = op.torch(*inputs)
    out.backward(torch.tensor(upstream_for(tuple(out.shape), op)))
    grads = [np.zeros_like(a) if x.grad is None else x.grad.numpy() for a, x in zip(arrays, inputs)]
    return out.detach().numpy(), grads


def run_tensor(op, arrays, dtype=np.float64):
    inputs = [Tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    out = op.tensor(*inputs)
    assert isinstance(out, Tensor)
    out.backward(upstream_for(out.shape, op))
    for x in inputs:
        assert x.grad is None or (x.grad.shape == x.shape and x.grad.dtype == dtype)
    grads = [np.zeros(x.shape, dtype) if x.grad is None else x.grad for x in inputs]
    return np.asarray(out.data), grads


def run_scalar(op, arrays):
    """The row's scalar form on each element of the broadcast inputs, one graph of Values."""
    leaves = [np.array([Value(float(v)) for v in a.flat], dtype=object).reshape(a.shape) for a in arrays]
    broadcast = np.broadcast_arrays(*leaves)
    shape = broadcast[0].shape
    outputs = [op.scalar(*(b[index] for b in broadcast)) for index in np.ndindex(shape)]
    upstream = upstream_for(shape, op)
    total = sum(out * u for out, u in zip(outputs, upstream.flat))
    if isinstance(total, Value) and total.requires_grad:
        total.backward()
    values = np.array([out.data for out in outputs]).reshape(shape)
    grads = [np.array([v.grad for v in leaf.flat]).reshape(leaf.shape) for leaf in leaves]
    return values, grads


def assert_same(ours, theirs, rtol=TOL, atol=TOL):
    (our_values, our_grads), (their_values, their_grads) = ours, theirs
    np.testing.assert_allclose(our_values, their_values, rtol=rtol, atol=atol, err_msg="values")
    assert len(our_grads) == len(their_grads)
    for i, (mine, expected) in enumerate(zip(our_grads, their_grads)):
        np.testing.assert_allclose(mine, expected, rtol=rtol, atol=atol, err_msg=f"gradient of input {i}")


# ---- the checks ----

@by_name(OPS)
def test_tensor_engine_matches_torch_float64(op):
    arrays = draw_inputs(op)
    assert_same(run_tensor(op, arrays), run_torch(op, arrays))


@by_name(OPS)
def test_tensor_engine_in_float32_stays_float32(op):
    """Values and gradients of float32 inputs are float32 (run_tensor checks) and near float64's."""
    arrays = draw_inputs(op)
    values, grads = run_tensor(op, arrays, dtype=np.float32)
    assert values.dtype == np.float32
    assert_same((values, grads), run_torch(op, arrays), rtol=1e-4, atol=1e-5)


@by_name(SCALAR_OPS)
def test_scalar_engine_matches_torch_float64(op):
    arrays = draw_inputs(op)
    assert_same(run_scalar(op, arrays), run_torch(op, arrays))


@by_name(SCALAR_OPS)
def test_scalar_engine_matches_tensor_engine(op):
    arrays = draw_inputs(op)
    assert_same(run_scalar(op, arrays), run_tensor(op, arrays), rtol=1e-12, atol=1e-12)


@by_name(OPS)
def test_tensor_engine_gradcheck(op):
    arrays = draw_inputs(op)
    inputs = [Tensor(a, requires_grad=True, label=f"input{i}") for i, a in enumerate(arrays)]
    upstream = upstream_for(op.tensor(*inputs).shape, op)
    report = gradcheck(lambda *xs: (op.tensor(*xs) * upstream).sum(), inputs)
    assert report.ok, str(report)
    assert report.checked == sum(a.size for a in arrays)


@by_name(SCALAR_OPS)
def test_scalar_engine_gradcheck(op):
    arrays = draw_inputs(op)
    for position in range(2):  # the first element of each input (where `exact` values go), and the second
        inputs = [Value(float(a.flat[min(position, a.size - 1)])) for a in arrays]
        report = gradcheck(op.scalar, inputs)
        assert report.ok, str(report)


@by_name(SCALAR_OPS)
@settings(max_examples=8, deadline=None)
@given(data=st.data())
def test_elementwise_rows_under_random_broadcast_shapes(op, data):
    """The rows with a scalar form are elementwise: they must broadcast any shapes NumPy does
    (0-d included) and sum each gradient back to its input's shape."""
    shapes = data.draw(hnp.mutually_broadcastable_shapes(num_shapes=len(op.shapes), min_dims=0,
                                                         max_dims=3, max_side=3)).input_shapes
    arrays = draw_inputs(op, shapes, seed=data.draw(st.integers(0, 2**32 - 1)))
    expected = run_torch(op, arrays)
    assert_same(run_tensor(op, arrays), expected)
    assert_same(run_scalar(op, arrays), expected)


@pytest.mark.parametrize("layout", ["transposed", "fortran"])
@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_cross_entropy_of_column_ordered_logits_has_torchs_gradient(layout, reduction):
    # a user computes scores as (classes, samples) and transposes them, or loads a Fortran-ordered array;
    # the gradient of cross_entropy must not depend on how the logits lie in memory
    rng = np.random.default_rng(0)
    scores = rng.standard_normal((3, 4))  # (classes, samples)
    targets = np.array([0, 2, 1, 2])
    if layout == "transposed":
        leaf = Tensor(scores, requires_grad=True)
        logits = leaf.T
    else:
        leaf = logits = Tensor(np.asfortranarray(scores.T), requires_grad=True)
    loss = F.cross_entropy(logits, targets, reduction=reduction)
    loss.sum().backward() if reduction == "none" else loss.backward()

    reference = torch.tensor(scores.T.copy() if layout == "fortran" else scores, requires_grad=True)
    ref_logits = reference if layout == "fortran" else reference.T
    ref_loss = torch.nn.functional.cross_entropy(ref_logits, torch.tensor(targets), reduction=reduction)
    ref_loss.sum().backward()
    np.testing.assert_allclose(loss.data, ref_loss.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(leaf.grad, reference.grad.numpy(), rtol=1e-12, atol=1e-15)
