"""Tensor autograd: `Tensor`, a NumPy array that remembers how it was computed.

The same idea as `Value`, one array at a time. Each operation computes its result and
hands `_result` one small function per input, `grad_fn(grad_of_output) -> grad_of_input`,
written next to the forward formula. `backward()` walks the graph (graph.py) and calls
them; it also sums each gradient back to its input's shape, undoing NumPy broadcasting,
so no operation has to.

The gradient functions capture input and output *arrays*, never the output Tensor, so a
graph holds no reference cycle and is freed as soon as it is dropped.
"""

from __future__ import annotations

import functools
import math
import numbers
from operator import attrgetter

import numpy as np

from . import graph
from .errors import InvalidParameterError
from .graph import grad_mode

DEFAULT_DTYPE = np.float32


def _swap_last_two(a):
    return a.swapaxes(-1, -2)


def sum_to_shape(grad, shape):
    """Sum `grad` over the axes that broadcasting added or stretched, giving `shape`."""
    if grad.shape == shape:
        return grad
    extra = grad.ndim - len(shape)
    if extra > 0:
        grad = grad.sum(axis=tuple(range(extra)))
    stretched = tuple(i for i, n in enumerate(shape) if n == 1 and grad.shape[i] != 1)
    if stretched:
        grad = grad.sum(axis=stretched, keepdims=True)
    return grad


class Tensor:
    """An n-dimensional array node: `Tensor(data, requires_grad=False, dtype=None)`.

    `dtype` defaults to float32, or to the float dtype of a NumPy array passed in (as
    `torch.from_numpy`). Arithmetic mixes freely with arrays and numbers, with NumPy
    broadcasting; `backward()` on a scalar result fills `.grad` of every tensor it depends
    on that has `requires_grad=True`.
    """

    __slots__ = ("data", "grad", "requires_grad", "label", "_prev", "_op", "_grad_fns")
    __array_priority__ = 1000  # `ndarray + Tensor` calls Tensor.__radd__, not NumPy's loop

    def __init__(self, data, requires_grad=False, dtype=None, label=""):
        if isinstance(data, Tensor):
            data = data.data
        if isinstance(data, np.ndarray) and data.dtype.kind in _REAL_KINDS:
            if dtype is None:  # a float array keeps its precision (as torch.from_numpy)
                dtype = data.dtype if data.dtype.kind == "f" else DEFAULT_DTYPE
        else:
            dtype = DEFAULT_DTYPE if dtype is None else dtype
            if type(data) is not float:  # (a float, the constant of arithmetic, needs no check)
                data = _real_data(data)
        try:
            self.data = np.array(data, dtype=dtype)
        except (TypeError, ValueError) as error:
            raise InvalidParameterError(f"Tensor(): cannot make dtype {dtype!r} ({error})") from None
        if self.data.dtype.kind != "f":
            raise InvalidParameterError(f"Tensor dtype must be a float type, got {self.data.dtype}")
        self.grad = None
        self.requires_grad = bool(requires_grad)
        self.label = label
        self._prev = ()
        self._op = ""
        self._grad_fns = ()

    @staticmethod
    def _result(data, op, parents, *grad_fns):
        """The node `data = op(*parents)`; `grad_fns[i]` maps d(loss)/d(data) to d(loss)/d(parents[i])."""
        out = Tensor.__new__(Tensor)
        out.data = data
        out.grad = None
        out.label = ""
        out._op = op
        if not grad_mode.enabled:
            parents = ()
        out._prev = parents
        for parent in parents:
            if parent.requires_grad:  # some input needs a gradient: so does the result
                out.requires_grad = True
                out._grad_fns = grad_fns
                return out
        out.requires_grad = False
        out._grad_fns = ()
        return out

    def _operand(self, other):
        """`other` as a Tensor of this one's dtype (numbers and arrays need no gradient)."""
        if isinstance(other, Tensor):
            return other
        if isinstance(other, (numbers.Real, np.ndarray, list, tuple)):
            return Tensor(other, dtype=self.data.dtype)
        return None

    # ---- properties ----

    # read without a Python call (attrgetter is C), as often as the array's own attributes
    shape = property(attrgetter("data.shape"))
    ndim = property(attrgetter("data.ndim"))
    dtype = property(attrgetter("data.dtype"))
    size = property(attrgetter("data.size"))
    T = property(lambda self: self.transpose())

    def __len__(self):
        return len(self.data)

    def item(self) -> float:
        if self.data.size != 1:
            raise ValueError(f"item() needs a tensor with one element, this one has shape {self.shape}")
        return self.data.item()

    def numpy(self) -> np.ndarray:
        return self.data

    def detach(self) -> Tensor:
        """A copy of the data, cut from the graph."""
        return Tensor(self.data, dtype=self.data.dtype)

    def __repr__(self):
        body = np.array2string(self.data, precision=4, separator=", ", threshold=20)
        extra = ", requires_grad=True" if self.requires_grad else ""
        if self.data.dtype != DEFAULT_DTYPE:
            extra += f", dtype={self.data.dtype}"
        return f"Tensor({body}{extra})"

    # ---- arithmetic, with broadcasting ----

    def __add__(self, other):
        other = self._operand(other)
        if other is None:
            return NotImplemented
        return _binary(np.add, "+", self, other, _identity, _identity)

    def __sub__(self, other):
        other = self._operand(other)
        if other is None:
            return NotImplemented
        return _binary(np.subtract, "-", self, other, _identity, np.negative)

    def __mul__(self, other):
        other = self._operand(other)
        if other is None:
            return NotImplemented
        a, b = self.data, other.data
        return _binary(np.multiply, "*", self, other, lambda g: g * b, lambda g: g * a)

    def __truediv__(self, other):
        other = self._operand(other)
        if other is None:
            return NotImplemented
        a, b = self.data, other.data
        return _binary(np.divide, "/", self, other, lambda g: g / b, lambda g: -g * a / (b * b))

    def __radd__(self, other):
        return self + other

    def __rmul__(self, other):
        return self * other

    def __rsub__(self, other):
        other = self._operand(other)
        return NotImplemented if other is None else other - self

    def __rtruediv__(self, other):
        other = self._operand(other)
        return NotImplemented if other is None else other / self

    def __neg__(self):
        return Tensor._result(-self.data, "neg", (self,), np.negative)

    # `p -= lr * p.grad` inside no_grad(), as PyTorch's loops write it: a parameter is updated in
    # place and stays the parameter. Anywhere else `a -= b` is `a = a - b`, a new node (micrograd's
    # `c += c + 1` builds a graph).

    def __iadd__(self, other):
        return self._in_place(np.add, other) if self._updatable() else self + other

    def __isub__(self, other):
        return self._in_place(np.subtract, other) if self._updatable() else self - other

    def __imul__(self, other):
        return self._in_place(np.multiply, other) if self._updatable() else self * other

    def __itruediv__(self, other):
        return self._in_place(np.divide, other) if self._updatable() else self / other

    def _updatable(self):
        return self.requires_grad and not self._prev and not grad_mode.enabled

    def _in_place(self, ufunc, other):
        value = other.data if isinstance(other, Tensor) else np.asarray(other)
        try:
            fits = np.broadcast_shapes(self.shape, value.shape) == self.shape
        except ValueError:
            fits = False
        if not fits:
            raise ValueError(f"in-place update of a parameter of shape {self.shape} by shape {value.shape}: "
                             f"it would change the parameter's shape")
        ufunc(self.data, value, out=self.data, casting="same_kind")
        return self

    def argmax(self, axis=None, *, dim=None):
        """The index of the largest value (along `axis`): an integer array, with no gradient."""
        _refuse_dim(dim, "argmax")
        if axis is not None:
            axis = normalize_axis(axis, self.shape, "argmax")
        return self.data.argmax(axis=axis)

    def __pow__(self, exponent):
        if not isinstance(exponent, numbers.Real):
            return NotImplemented  # tensor exponents: use exp(log(x) * y)
        exponent = _python_number(exponent)  # a NumPy float64 would make a float32 result float64
        a = self.data
        if exponent == 0:  # x**0 is 1 everywhere, so its slope is 0, even at x = 0 (as in PyTorch)
            return Tensor._result(np.ones_like(a), "**0", (self,), np.zeros_like)
        return Tensor._result(a**exponent, f"**{exponent}", (self,),
                              lambda g: g * exponent * a ** (exponent - 1))

    def __rpow__(self, base):  # base ** self, for a positive number base
        if not isinstance(base, numbers.Real) or base <= 0:
            return NotImplemented
        base = _python_number(base)
        out = np.power(np.asarray(base, dtype=self.data.dtype), self.data)
        log_base = math.log(base)
        return Tensor._result(out, "**", (self,), lambda g: g * out * log_base)

    def __matmul__(self, other):
        other = self._operand(other)
        if other is None:
            return NotImplemented
        a, b = self.data, other.data
        if a.ndim == 0 or b.ndim == 0:
            raise ValueError(f"matmul needs at least 1-D operands: {a.shape} @ {b.shape}")
        inner_b = b.shape[0] if b.ndim == 1 else b.shape[-2]
        if a.shape[-1] != inner_b:
            raise ValueError(f"matmul: {a.shape} @ {b.shape} (inner sizes {a.shape[-1]} != {inner_b})")
        try:
            data = a @ b
        except ValueError:
            raise ValueError(f"matmul: {a.shape} @ {b.shape} (batch shapes do not broadcast)") from None
        if a.ndim == 2 and b.ndim == 2:  # the common case, kept plain
            grad_fns = (lambda g: g @ b.T), (lambda g: a.T @ g)
        else:
            grad_fns = _matmul_grad_fns(a, b)
        if a.dtype is not b.dtype:  # float32 with float64
            grad_fns = keep_input_dtypes(data, (a, b), grad_fns)
        return Tensor._result(data, "@", (self, other), *grad_fns)

    def __rmatmul__(self, other):
        other = self._operand(other)
        return NotImplemented if other is None else other @ self

    # ---- elementwise functions ----

    def exp(self):
        out = np.exp(self.data)
        return Tensor._result(out, "exp", (self,), lambda g: g * out)

    def log(self):
        a = self.data
        return Tensor._result(np.log(a), "log", (self,), lambda g: g / a)

    def sqrt(self):
        out = np.sqrt(self.data)
        return Tensor._result(out, "sqrt", (self,), lambda g: g * 0.5 / out)

    def abs(self):
        a = self.data
        return Tensor._result(np.abs(a), "abs", (self,), lambda g: g * np.sign(a))

    def tanh(self):
        out = np.tanh(self.data)
        return Tensor._result(out, "tanh", (self,), lambda g: g * (1 - out * out))

    def sigmoid(self):
        a = self.data
        e = np.exp(-np.abs(a))  # never overflows
        out = np.where(a >= 0, 1 / (1 + e), e / (1 + e))
        return Tensor._result(out, "sigmoid", (self,), lambda g: g * out * (1 - out))

    def relu(self):
        a = self.data
        zero = constant(0, a.dtype)
        return Tensor._result(np.maximum(a, zero), "relu", (self,), lambda g: g * (a > zero))

    def leaky_relu(self, slope=0.01):
        a, slope = self.data, _python_number(slope)
        positive = a > 0
        return Tensor._result(np.where(positive, a, slope * a), "leaky_relu", (self,),
                              lambda g: np.where(positive, g, slope * g))

    def clip(self, min=None, max=None):
        a = self.data
        inside = np.ones(a.shape, dtype=bool)
        if min is not None:
            min = _python_number(min)
            inside &= a >= min
        if max is not None:
            max = _python_number(max)
            inside &= a <= max
        return Tensor._result(np.clip(a, min, max), "clip", (self,), lambda g: g * inside)

    # ---- reductions ----

    # `axis` is None (all axes), an int or a tuple of ints, negative counting from the end;
    # reduction_axes turns it into sorted non-negative axes, so the backward never meets a
    # negative one.

    def sum(self, axis=None, keepdims=False, *, dim=None):
        _refuse_dim(dim, "sum")
        shape = self.shape
        axis = reduction_axes(axis, shape, "sum")
        return Tensor._result(self.data.sum(axis=axis, keepdims=keepdims), "sum", (self,),
                              lambda g: np.broadcast_to(_keep_dims(g, axis, keepdims), shape))

    def mean(self, axis=None, keepdims=False, *, dim=None):
        _refuse_dim(dim, "mean")
        shape = self.shape
        axis = reduction_axes(axis, shape, "mean")
        count = self.size if axis is None else math.prod(shape[i] for i in axis)  # per output
        if count:
            data = self.data.mean(axis=axis, keepdims=keepdims)
        else:  # the mean of nothing is NaN, as in PyTorch (and without NumPy's warning)
            data = np.full_like(self.data.sum(axis=axis, keepdims=keepdims), np.nan)
            count = 1  # the input has no elements: its gradient is empty whatever we divide by
        return Tensor._result(data, "mean", (self,),
                              lambda g: np.broadcast_to(_keep_dims(g, axis, keepdims) / count, shape))

    def max(self, axis=None, keepdims=False, *, dim=None):
        _refuse_dim(dim, "max")
        a = self.data
        axis = reduction_axes(axis, a.shape, "max")
        for i in range(a.ndim) if axis is None else axis:
            if a.shape[i] == 0:
                raise ValueError(f"max over axis {i} of a tensor of shape {a.shape}: that axis is empty")
        kept = a.max(axis=axis, keepdims=True)

        def grad_fn(g):  # shared equally between tied maxima, as torch.amax does
            winners = (a == kept).astype(a.dtype)
            return _keep_dims(g, axis, keepdims) * winners / winners.sum(axis=axis, keepdims=True)

        return Tensor._result(kept if keepdims else a.max(axis=axis), "max", (self,), grad_fn)

    # ---- shape ----

    def reshape(self, *shape):
        if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
            shape = tuple(shape[0])
        old = self.shape
        try:
            data = self.data.reshape(shape)
        except ValueError:
            raise ValueError(f"reshape: cannot reshape {old} ({self.size} elements) to {shape}") from None
        return Tensor._result(data, "reshape", (self,), lambda g: g.reshape(old))

    def transpose(self, *axes):
        """Permute the axes (NumPy's `transpose`); no axes reverses them, as `.T` does."""
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        if axes:
            given = axes
            axes = tuple(normalize_axis(a, self.shape, "transpose") for a in axes)
            if sorted(axes) != list(range(self.ndim)):
                raise InvalidParameterError(
                    f"transpose: axes {given} are not a permutation of the {self.ndim} axes of shape {self.shape}")
        else:
            axes = tuple(reversed(range(self.ndim)))
        inverse = np.argsort(axes)  # where each axis went: the backward puts it back
        return Tensor._result(self.data.transpose(axes), "transpose", (self,),
                              lambda g: g.transpose(inverse))

    def __getitem__(self, index):
        _check_index(index)
        shape, dtype = self.shape, self.data.dtype
        try:
            data = self.data[index]
        except IndexError as error:
            raise IndexError(f"index into tensor of shape {shape}: {error}") from None
        basic = _is_basic_index(index)

        def grad_fn(g):
            full = np.zeros(shape, dtype=dtype)
            if basic:  # slices and ints pick each element at most once
                full[index] = g
            else:  # integer arrays may repeat an element: add, don't overwrite
                np.add.at(full, index, g)
            return full

        return Tensor._result(data, "getitem", (self,), grad_fn)

    # ---- backpropagation ----

    def backward(self, grad=None):
        """Fill `.grad` of every tensor this one depends on.

        A scalar output starts from d(self)/d(self) = 1; any other needs `grad` of its own
        shape. Leaves accumulate (call `zero_grad()` between steps); intermediate tensors
        are reset on every call, as for `Value`.
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward() called on a Tensor that does not require grad: none of its inputs "
                "has requires_grad=True, or it was computed inside no_grad()"
            )
        if grad is None:
            if self.data.size != 1:
                raise RuntimeError(
                    f"backward() without a grad needs a scalar output, this one has shape "
                    f"{self.shape}: pass grad= of that shape, or reduce it (e.g. .sum())"
                )
            grad = np.array(1, dtype=self.data.dtype)  # np.ones, minus its wrapper
            if self.data.ndim:  # a one-element array: (1,), (1, 1), ...
                grad = grad.reshape(self.data.shape)
        else:
            grad = np.asarray(grad.data if isinstance(grad, Tensor) else grad, dtype=self.data.dtype)
            if grad.shape != self.shape:
                raise ValueError(f"backward(): grad has shape {grad.shape}, output has {self.shape}")

        order = graph.backward_order(self)  # the nodes with inputs, each after its inputs
        for node in order:
            node.grad = None
        self.grad = grad if self.grad is None else self.grad + grad
        for node in reversed(order):
            out_grad = node.grad
            if out_grad is None:  # no gradient reached it (requires_grad switched by hand on the way)
                continue
            for parent, grad_fn in zip(node._prev, node._grad_fns):
                if parent.requires_grad:
                    g = grad_fn(out_grad)
                    if g.shape != parent.data.shape:  # broadcasting stretched this input: sum it back
                        g = sum_to_shape(g, parent.data.shape)
                    parent.grad = g if parent.grad is None else parent.grad + g


def _refuse_dim(dim, name):
    if dim is not None:
        raise InvalidParameterError(f"{name}: use axis={dim!r} (NumPy's name for PyTorch's dim)")


def _identity(g):
    return g


def _binary(ufunc, name, x, y, grad_x, grad_y):
    """The node `ufunc(x, y)`, with NumPy broadcasting and an error naming both shapes."""
    try:
        data = ufunc(x.data, y.data)
    except ValueError:
        raise ValueError(f"{name}: shapes {x.shape} and {y.shape} do not broadcast") from None
    if x.data.dtype is not data.dtype or y.data.dtype is not data.dtype:  # float32 with float64
        grad_x, grad_y = keep_input_dtypes(data, (x.data, y.data), (grad_x, grad_y))
    return Tensor._result(data, name, (x, y), grad_x, grad_y)


def keep_input_dtypes(result, inputs, grad_fns):
    """`grad_fns`, each giving its input's gradient in that input's dtype.

    When float32 meets float64 the result is float64, and so are the gradients flowing
    back; as in PyTorch, a float32 input still gets a float32 gradient. Called by the
    operations that take several tensors, where dtypes can mix (never in the backward loop).
    """
    return tuple(
        grad_fn if x.dtype is result.dtype else (lambda g, f=grad_fn, d=x.dtype: f(g).astype(d, copy=False))
        for x, grad_fn in zip(inputs, grad_fns)
    )


@functools.lru_cache(maxsize=64)
def constant(value, dtype):
    """A read-only 0-d array of `value` in `dtype`. NumPy combines an array with it faster than with a
    Python number, which it must first turn into an array each time (the same numbers either way)."""
    array = np.full((), value, dtype)
    array.flags.writeable = False
    return array


def _python_number(x):
    """A NumPy scalar as a Python number, which NumPy lets the array's dtype decide about."""
    return x if type(x) is int or type(x) is float else (int(x) if isinstance(x, numbers.Integral) else float(x))


def normalize_axis(axis, shape, name, ndim=None):
    """`axis` (negative counts from the end) as an index in 0..ndim-1, ndim = len(shape) by default.

    Anything else is an InvalidParameterError (a ValueError) naming the axis and the shape.
    """
    ndim = len(shape) if ndim is None else ndim
    if isinstance(axis, bool) or not isinstance(axis, numbers.Integral):
        raise InvalidParameterError(f"{name}: axis must be an integer, got {axis!r}")
    if not -ndim <= axis < ndim:
        valid = f"axes -{ndim} to {ndim - 1}" if ndim else "no axes"
        raise InvalidParameterError(
            f"{name}: axis {axis} is out of range for a tensor of shape {shape} ({valid})")
    return int(axis) % ndim


def reduction_axes(axis, shape, name):
    """A reduction's `axis` (None, an int or a tuple) as None or a sorted tuple of axes >= 0."""
    if axis is None:
        return None
    given = axis if isinstance(axis, (tuple, list)) else (axis,)
    axes = tuple(sorted(normalize_axis(a, shape, name) for a in given))
    if len(set(axes)) != len(axes):
        raise InvalidParameterError(f"{name}: axis {axis} names an axis twice (shape {shape})")
    return axes


def _keep_dims(g, axis, keepdims):
    """A reduction's gradient with the reduced axes put back (size 1), ready to broadcast."""
    if keepdims or axis is None:
        return g
    return np.expand_dims(g, axis)


def _check_index(index):
    """Refuse float indices (NumPy would say IndexError deep inside; PyTorch refuses them too)."""
    for item in index if isinstance(index, tuple) else (index,):
        if isinstance(item, Tensor):
            raise InvalidParameterError(
                "a Tensor cannot index a Tensor: its values are floats. Index with ints, slices "
                "or an integer or boolean NumPy array (e.g. t.numpy().astype(int))")
        if isinstance(item, float) or (isinstance(item, (np.ndarray, np.generic)) and item.dtype.kind == "f"):
            raise InvalidParameterError(
                f"an index must be integers, slices or integer/boolean arrays, got floats: {item!r}")


def _is_basic_index(index):
    items = index if isinstance(index, tuple) else (index,)
    return all(isinstance(i, (int, np.integer, slice)) or i is None or i is Ellipsis for i in items)


def _matmul_grad_fns(a, b):
    """Gradients of `a @ b` for 1-D and batched operands (NumPy's matmul rules)."""
    a2 = a[np.newaxis, :] if a.ndim == 1 else a  # a vector is a one-row matrix ...
    b2 = b[:, np.newaxis] if b.ndim == 1 else b  # ... or a one-column one

    def as_matrix_grad(g):
        if b.ndim == 1:
            g = g[..., np.newaxis]
        if a.ndim == 1:
            g = g[..., np.newaxis, :]
        return g

    def grad_a(g):
        ga = as_matrix_grad(g) @ _swap_last_two(b2)
        return ga.squeeze(-2) if a.ndim == 1 else ga

    def grad_b(g):
        gb = _swap_last_two(a2) @ as_matrix_grad(g)
        return gb.squeeze(-1) if b.ndim == 1 else gb

    return grad_a, grad_b


_REAL_KINDS = "fiub"  # NumPy kinds that are real numbers: float, int, unsigned, bool


def _real_data(data):
    """`data` as something NumPy turns into real numbers, or an InvalidParameterError saying why not.

    NumPy would silently make None into NaN, text such as "1.5" into a number, and drop the
    imaginary part of complex numbers; a Tensor refuses all three.
    """
    if type(data) is float or type(data) is int:  # the constants of arithmetic, first
        return data
    if isinstance(data, numbers.Real):  # NumPy scalars, bools, fractions
        return float(data) if not isinstance(data, np.generic) else data
    if data is None:
        raise InvalidParameterError("Tensor() needs numbers, got None")
    try:
        array = np.asarray(data)
    except (TypeError, ValueError) as error:
        raise InvalidParameterError(
            f"Tensor() needs numbers, a nested list of numbers of equal lengths, or an array; "
            f"got {type(data).__name__} ({error})") from None
    if array.dtype.kind == "c":
        raise InvalidParameterError(
            "Tensor() holds real numbers, got complex ones: pass their .real, .imag or abs()")
    if array.dtype.kind not in _REAL_KINDS:
        raise InvalidParameterError(
            f"Tensor() needs numbers, a (nested) list of numbers or an array; got "
            f"{type(data).__name__} {_shorten(data)} (NumPy dtype {array.dtype})")
    return array


def _shorten(data, limit=60):
    text = repr(data)
    return text if len(text) <= limit else text[:limit] + "..."


def as_tensor(x, dtype=None) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x, dtype=dtype)


def _join(name, numpy_join, tensors, axis, part_of_grad):
    """concatenate / stack: one node over all inputs; input i's gradient is `part_of_grad(g, i)`."""
    try:
        data = numpy_join([t.data for t in tensors], axis=axis)
    except ValueError:
        shapes = ", ".join(str(t.shape) for t in tensors)
        raise ValueError(f"{name} along axis {axis}: shapes {shapes} do not fit") from None
    grad_fns = tuple((lambda g, i=i: part_of_grad(g, i)) for i in range(len(tensors)))
    return Tensor._result(data, name, tensors, *keep_input_dtypes(data, [t.data for t in tensors], grad_fns))


def _join_inputs(name, tensors):
    tensors = tuple(as_tensor(t) for t in tensors)
    if not tensors:
        raise ValueError(f"{name} needs at least one tensor")
    return tensors


def concatenate(tensors, axis=0) -> Tensor:
    """Join tensors along an existing axis (`np.concatenate`, `torch.cat`)."""
    tensors = _join_inputs("concatenate", tensors)
    axis = normalize_axis(axis, tensors[0].shape, "concatenate")
    ends = np.cumsum([t.shape[axis] if t.ndim > axis else 0 for t in tensors])

    def piece(g, i):  # input i's slice of the gradient, cut directly (no split per input)
        index = [slice(None)] * g.ndim
        index[axis] = slice(ends[i - 1] if i else 0, ends[i])
        return g[tuple(index)]

    return _join("concatenate", np.concatenate, tensors, axis, piece)


def stack(tensors, axis=0) -> Tensor:
    """Join tensors of one shape along a new axis (`np.stack`, `torch.stack`)."""
    tensors = _join_inputs("stack", tensors)
    # the new axis is an axis of the result, one more than the inputs have
    axis = normalize_axis(axis, tensors[0].shape, "stack", ndim=tensors[0].ndim + 1)
    return _join("stack", np.stack, tensors, axis, lambda g, i: np.take(g, i, axis=axis))
