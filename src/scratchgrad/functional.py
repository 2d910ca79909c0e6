"""Activations, softmax and losses on Tensors.

softmax, log_softmax and the losses are single fused nodes with hand-written gradients:
cross-entropy's is seed 003's `softmax - onehot`, never a Jacobian. Everything is
max-shifted, so logits of +-1e4 stay finite.
"""

from __future__ import annotations

import functools
import warnings

import numpy as np

from .tensor import Tensor, _refuse_dim, as_tensor, constant, keep_input_dtypes, normalize_axis

REDUCTIONS = ("mean", "sum", "none")


def relu(x):
    return as_tensor(x).relu()


def tanh(x):
    return as_tensor(x).tanh()


def sigmoid(x):
    return as_tensor(x).sigmoid()


def leaky_relu(x, slope=0.01):
    return as_tensor(x).leaky_relu(slope)


def linear(x, weight, bias=None) -> Tensor:
    """`x @ weight + bias` as one node: one fewer node and temporary array per layer.

    x (..., in), weight (in, out), bias (out,). The gradients are those of the two
    separate operations: x: g @ weightᵀ, weight: xᵀ @ g, bias: g summed over the rows.
    """
    if not (isinstance(x, Tensor) and isinstance(weight, Tensor) and isinstance(bias, Tensor)):
        x, weight = as_tensor(x), as_tensor(weight)  # arrays, lists, numbers (a layer passes Tensors)
        bias = None if bias is None else as_tensor(bias)
    if x.ndim != 2:  # the fused node is for batches of rows; anything else composes the ops
        out = x @ weight
        return out if bias is None else out + bias
    a, w = x.data, weight.data
    if a.shape[1] != w.shape[0]:
        raise ValueError(f"linear: {a.shape} @ {w.shape} (inner sizes {a.shape[1]} != {w.shape[0]})")
    out = a @ w
    if bias is None:
        grad_fns = (lambda g: g @ w.T, lambda g: a.T @ g)
        if a.dtype is not w.dtype:  # float32 with float64
            grad_fns = keep_input_dtypes(out, (a, w), grad_fns)
        return Tensor._result(out, "linear", (x, weight), *grad_fns)
    b = bias.data
    if a.dtype is w.dtype is b.dtype:
        out += b  # in place: one array fewer per layer
        return Tensor._result(out, "linear", (x, weight, bias), lambda g: g @ w.T, lambda g: a.T @ g, column_sums)
    out = out + b  # float32 with float64: the result is float64
    grad_fns = keep_input_dtypes(out, (a, w, b), (lambda g: g @ w.T, lambda g: a.T @ g, column_sums))
    return Tensor._result(out, "linear", (x, weight, bias), *grad_fns)


# Small reductions along an axis cost NumPy several microseconds of set-up, more than the
# arithmetic on a batch of a small network; these do the same with faster calls.


def row_maxima(a):
    """`a.max(axis=1, keepdims=True)` for a 2-D array, through argmax (twice as fast), gathered by flat
    position (`take` with one index array costs NumPy less than `a[rows, columns]`)."""
    return a.take(row_starts(*a.shape) + a.argmax(axis=1))[:, None]


def row_sums(a):
    """`a.sum(axis=1, keepdims=True)` for a 2-D array, as a matrix-vector product with ones."""
    return (a @ ones(a.shape[1], a.dtype))[:, None]


def column_sums(a):
    """`a.sum(axis=0)` for a 2-D array, as a vector-matrix product with ones."""
    return ones(a.shape[0], a.dtype) @ a


@functools.lru_cache(maxsize=256)
def ones(n, dtype):
    """A read-only vector of `n` ones, made once per size and dtype."""
    return _read_only(np.ones(n, dtype=dtype))


@functools.lru_cache(maxsize=256)
def arange(n):
    """A read-only `np.arange(n)` (row numbers, for picking one entry per row), made once per size."""
    return _read_only(np.arange(n, dtype=np.intp))


@functools.lru_cache(maxsize=256)
def row_starts(n, width):
    """A read-only `np.arange(n) * width`: where each row of a C-ordered (n, width) array starts in its
    flat data (plus a column: the flat position of one entry per row), made once per shape."""
    return _read_only(np.arange(n, dtype=np.intp) * width)


def aligned_empty(shape, dtype):
    """`np.empty(shape, dtype)` starting on a 64-byte boundary (NumPy gives 16). OpenBLAS multiplies
    by such a matrix faster: a 32x128 by 128x128 product takes 7 us instead of 10 on AVX-512."""
    dtype, size = np.dtype(dtype), int(np.prod(shape))
    whole = np.empty(size + 64 // dtype.itemsize, dtype)  # a view of it: its `.base` has the dtype too
    start = -whole.ctypes.data % 64 // dtype.itemsize
    return whole[start:start + size].reshape(shape)


def flat_stretch(arrays):
    """The stretch of one flat array that `arrays` cover end to end, in order, as a 1-D view (an
    optimizer's flat buffer holds its parameters so), or None."""
    base = getattr(arrays[0], "base", None) if arrays else None
    if base is None or base.ndim != 1 or base.dtype != arrays[0].dtype or any(a.base is not base for a in arrays):
        return None
    start, sizes = (arrays[0].ctypes.data - base.ctypes.data) // base.itemsize, [a.size for a in arrays]
    stretch = base[start:start + sum(sizes)]
    parts = np.split(stretch, np.cumsum(sizes)[:-1])
    covered = stretch.size == sum(sizes) and all(a.flags.c_contiguous and a.ctypes.data == part.ctypes.data
                                                 for a, part in zip(arrays, parts))
    return stretch if covered else None


def _read_only(vector):
    vector.flags.writeable = False  # shared by every caller: nobody may write into it
    return vector


def _log_sum_exp(a, axis):
    shift = a.max(axis=axis, keepdims=True)
    return shift + np.log(np.exp(a - shift).sum(axis=axis, keepdims=True))


def softmax(x, axis=-1, *, dim=None) -> Tensor:
    _refuse_dim(dim, "softmax")
    x = as_tensor(x)
    axis = normalize_axis(axis, x.shape, "softmax")
    if x.size == 0:  # nothing to normalize: an empty result, as in PyTorch
        return Tensor._result(x.data.copy(), "softmax", (x,), _identity)
    shifted = np.exp(x.data - x.data.max(axis=axis, keepdims=True))
    out = shifted / shifted.sum(axis=axis, keepdims=True)
    return Tensor._result(out, "softmax", (x,),
                          lambda g: out * (g - (g * out).sum(axis=axis, keepdims=True)))


def log_softmax(x, axis=-1, *, dim=None) -> Tensor:
    _refuse_dim(dim, "log_softmax")
    x = as_tensor(x)
    axis = normalize_axis(axis, x.shape, "log_softmax")
    if x.size == 0:
        return Tensor._result(x.data.copy(), "log_softmax", (x,), _identity)
    out = x.data - _log_sum_exp(x.data, axis)

    def grad_fn(g):
        return g - np.exp(out) * g.sum(axis=axis, keepdims=True)

    return Tensor._result(out, "log_softmax", (x,), grad_fn)


def _check_reduction(reduction):
    if reduction not in REDUCTIONS:
        raise ValueError(f"reduction must be one of {REDUCTIONS}, got {reduction!r}")


def _targets_like(outputs, targets, name):
    """`targets` as an array of the outputs' dtype, which must have the outputs' shape."""
    y = np.asarray(targets.data if isinstance(targets, Tensor) else targets, dtype=outputs.dtype)
    if y.shape != outputs.shape:
        raise ValueError(f"{name}: targets of shape {y.shape} for outputs of shape {outputs.shape}")
    return y


def _identity(g):
    return g


def _reduce(losses, reduction, denominator):
    """(value, d value / d losses) for per-sample `losses` under `reduction`.

    The mean of an empty batch (or of samples whose weights sum to 0) is 0 / 0 = NaN, as in
    PyTorch; its gradient is NaN too (an empty batch has no elements to carry it).
    """
    if reduction == "none":
        return losses, 1.0
    if reduction == "sum":
        return losses.sum(), 1.0
    if denominator == 0:
        return np.nan, np.nan
    return losses.sum() / denominator, 1.0 / denominator


def cross_entropy(logits, targets, weight=None, reduction="mean") -> Tensor:
    """Softmax cross-entropy of `logits` (N, C) against `targets`, as one node.

    `targets` are class indices (N,) in [0, C) or probability rows (N, C). `weight` (C,)
    weights each class; with class indices the mean divides by the total weight of the
    targets, as PyTorch does. The gradient is `(softmax - onehot) * weights / N`.
    """
    if not isinstance(logits, Tensor):
        logits = Tensor(logits)
    _check_reduction(reduction)
    z = logits.data
    if z.ndim != 2:
        raise ValueError(f"cross_entropy expects logits of shape (N, C), got {z.shape}")
    if logits._op == "softmax":  # Keras's from_logits check: softmax twice trains slowly and badly
        warnings.warn("cross_entropy got the output of a softmax, but it expects raw scores (logits) and "
                      "applies softmax itself: remove the model's final Softmax (apply F.softmax to the "
                      "outputs when you want probabilities)", stacklevel=2)
    n, classes = z.shape
    t = targets.data if isinstance(targets, Tensor) else np.asarray(targets)
    if weight is not None:
        weight = np.asarray(weight.data if isinstance(weight, Tensor) else weight, dtype=z.dtype)
        if weight.shape != (classes,):
            raise ValueError(f"cross_entropy: weight must have shape ({classes},), got {weight.shape}")
    shifted = z - row_maxima(z)  # max-shifted: exp never overflows
    exps = np.exp(shifted)
    sums = row_sums(exps)
    log_sums = np.log(sums)  # log softmax is `shifted - log_sums`

    if t.ndim == 1:  # class indices
        if t.shape[0] != n:
            raise ValueError(f"cross_entropy: {n} rows of logits but {t.shape[0]} targets")
        if t.dtype.kind == "f":
            if not np.all(t == np.round(t)):
                raise ValueError("cross_entropy: class targets must be whole numbers")
            t = t.astype(np.intp)
        elif t.dtype.kind not in "iu":
            raise TypeError(f"cross_entropy: class targets must be integers, got dtype {t.dtype}")
        # the smallest and largest targets (argmin and argmax cost NumPy a third of min and max)
        if n and (t[t.argmin()] < 0 or t[t.argmax()] >= classes):
            bad = t[(t < 0) | (t >= classes)][0]
            raise ValueError(f"cross_entropy: target class {bad} is outside [0, {classes})")
        # each row's target by its flat position (one index array: cheaper than [rows, t]); every target
        # is in range, so any integer dtype converts to intp exactly
        at_targets = np.add(row_starts(n, classes), t, dtype=np.intp, casting="unsafe")
        losses = log_sums[:, 0] - shifted.take(at_targets)  # minus log softmax at the targets
        if weight is None:
            value, scale = _reduce(losses, reduction, n)
        else:
            sample_weight = weight[t]
            losses = losses * sample_weight
            value, scale = _reduce(losses, reduction, sample_weight.sum())
            scale = sample_weight * scale

        def grad_fn(g):  # (softmax - onehot) * scale
            grad = np.divide(exps, sums, order="C")  # C order whatever the logits', so that
            grad.reshape(-1)[at_targets] -= constant(1, grad.dtype)  # reshape(-1) is a view, not a copy
            factor = g * scale  # one number, or one per row (class weights, or reduction="none")
            grad *= factor[:, None] if factor.ndim else factor
            return grad
    elif t.ndim == 2:  # probability rows
        if t.shape != z.shape:
            raise ValueError(f"cross_entropy: target rows {t.shape} differ from logits {z.shape}")
        target = t.astype(z.dtype) if weight is None else t.astype(z.dtype) * weight
        log_probs = np.subtract(shifted, log_sums, out=shifted)
        losses = -(target * log_probs).sum(axis=1)
        value, scale = _reduce(losses, reduction, n)

        def grad_fn(g):
            grad = exps / sums * target.sum(axis=1, keepdims=True) - target
            return grad * (g * scale).reshape(-1, 1)
    else:
        raise ValueError(f"cross_entropy: targets must be class indices (N,) or rows (N, C), got {t.shape}")
    return Tensor._result(np.asarray(value, dtype=z.dtype), "cross_entropy", (logits,), grad_fn)


def binary_cross_entropy_with_logits(logits, targets, weight=None, reduction="mean") -> Tensor:
    """`-(y log sigmoid(x) + (1 - y) log(1 - sigmoid(x)))`, stable for any x.

    `weight` multiplies each element's loss (broadcast to the logits), as in PyTorch.
    """
    logits = as_tensor(logits)
    _check_reduction(reduction)
    x = logits.data
    y = _targets_like(x, targets, "binary_cross_entropy_with_logits")
    w = 1.0 if weight is None else np.broadcast_to(np.asarray(weight, dtype=x.dtype), x.shape)
    losses = (np.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x)))) * w
    value, scale = _reduce(losses, reduction, x.size)
    sigmoid_x = Tensor(x).sigmoid().data
    return Tensor._result(np.asarray(value, dtype=x.dtype), "binary_cross_entropy", (logits,),
                          lambda g: (sigmoid_x - y) * w * (g * scale))


def mse_loss(predictions, targets, reduction="mean") -> Tensor:
    predictions = as_tensor(predictions)
    _check_reduction(reduction)
    p = predictions.data
    y = _targets_like(p, targets, "mse_loss")
    difference = p - y
    value, scale = _reduce(difference * difference, reduction, p.size)
    return Tensor._result(np.asarray(value, dtype=p.dtype), "mse_loss", (predictions,),
                          lambda g: 2 * difference * (g * scale))


def dropout(x, p=0.5, training=True, rng=None) -> Tensor:
    """Zero each element with probability `p` and scale the rest by 1/(1-p) (training only)."""
    x = as_tensor(x)
    if not 0 <= p < 1:
        raise ValueError(f"dropout probability must be in [0, 1), got {p}")
    if not training or p == 0:
        return x
    rng = rng if rng is not None else np.random.default_rng()
    mask = (rng.random(x.shape) >= p).astype(x.data.dtype) / (1 - p)
    return x * mask
