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

import numbers

import numpy as np

from . import graph
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
        if dtype is None:
            floating = isinstance(data, np.ndarray) and data.dtype.kind == "f"
            dtype = data.dtype if floating else DEFAULT_DTYPE
        try:
            self.data = np.array(data, dtype=dtype)
        except (TypeError, ValueError) as error:
            raise TypeError(
                f"Tensor() expects numbers, a (nested) list of numbers or an array; "
                f"got {type(data).__name__} ({error})"
            ) from None
        if self.data.dtype.kind != "f":
            raise TypeError(f"Tensor dtype must be a float type, got {self.data.dtype}")
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
        out.requires_grad = False
        out._grad_fns = ()
        if not grad_mode.enabled:
            out._prev = ()
            return out
        out._prev = parents
        for parent in parents:
            if parent.requires_grad:
                out.requires_grad = True
                out._grad_fns = grad_fns
                break
        return out

    def _operand(self, other):
        """`other` as a Tensor of this one's dtype (numbers and arrays need no gradient)."""
        if isinstance(other, Tensor):
            return other
        if isinstance(other, (numbers.Real, np.ndarray, list, tuple)):
            return Tensor(other, dtype=self.data.dtype)
        return None

    # ---- properties ----

    shape = property(lambda self: self.data.shape)
    ndim = property(lambda self: self.data.ndim)
    dtype = property(lambda self: self.data.dtype)
    size = property(lambda self: self.data.size)
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
        data = _broadcasting(np.add, "+", self, other)
        return Tensor._result(data, "+", (self, other), _identity, _identity)

    def __sub__(self, other):
        other = self._operand(other)
        if other is None:
            return NotImplemented
        data = _broadcasting(np.subtract, "-", self, other)
        return Tensor._result(data, "-", (self, other), _identity, np.negative)

    def __mul__(self, other):
        other = self._operand(other)
        if other is None:
            return NotImplemented
        a, b = self.data, other.data
        data = _broadcasting(np.multiply, "*", self, other)
        return Tensor._result(data, "*", (self, other), lambda g: g * b, lambda g: g * a)

    def __truediv__(self, other):
        other = self._operand(other)
        if other is None:
            return NotImplemented
        a, b = self.data, other.data
        data = _broadcasting(np.divide, "/", self, other)
        return Tensor._result(data, "/", (self, other),
                              lambda g: g / b, lambda g: -g * a / (b * b))

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

    def __pow__(self, exponent):
        if not isinstance(exponent, numbers.Real):
            return NotImplemented  # tensor exponents: use exp(log(x) * y)
        a = self.data
        return Tensor._result(a**exponent, f"**{exponent}", (self,),
                              lambda g: g * exponent * a ** (exponent - 1))

    def __rpow__(self, base):  # base ** self, for a positive number base
        if not isinstance(base, numbers.Real) or base <= 0:
            return NotImplemented
        out = np.power(np.asarray(base, dtype=self.data.dtype), self.data)
        return Tensor._result(out, "**", (self,), lambda g: g * out * np.log(base))

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
            return Tensor._result(data, "@", (self, other), lambda g: g @ b.T, lambda g: a.T @ g)
        return Tensor._result(data, "@", (self, other), *_matmul_grad_fns(a, b))

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
        return Tensor._result(np.maximum(a, 0), "relu", (self,), lambda g: g * (a > 0))

    def leaky_relu(self, slope=0.01):
        a = self.data
        positive = a > 0
        return Tensor._result(np.where(positive, a, slope * a), "leaky_relu", (self,),
                              lambda g: np.where(positive, g, slope * g))

    def clip(self, min=None, max=None):
        a = self.data
        inside = np.ones(a.shape, dtype=bool)
        if min is not None:
            inside &= a >= min
        if max is not None:
            inside &= a <= max
        return Tensor._result(np.clip(a, min, max), "clip", (self,), lambda g: g * inside)

    # ---- reductions ----

    def sum(self, axis=None, keepdims=False):
        shape = self.shape
        axis = _check_axis(axis, self.ndim, "sum")
        return Tensor._result(self.data.sum(axis=axis, keepdims=keepdims), "sum", (self,),
                              lambda g: np.broadcast_to(_keep_dims(g, axis, keepdims), shape))

    def mean(self, axis=None, keepdims=False):
        shape = self.shape
        axis = _check_axis(axis, self.ndim, "mean")
        data = self.data.mean(axis=axis, keepdims=keepdims)
        count = self.data.size // max(data.size, 1)  # elements averaged into each output
        return Tensor._result(data, "mean", (self,),
                              lambda g: np.broadcast_to(_keep_dims(g, axis, keepdims) / count, shape))

    def max(self, axis=None, keepdims=False):
        a = self.data
        axis = _check_axis(axis, self.ndim, "max")
        if a.size == 0:
            raise ValueError("max of an empty tensor")
        kept = a.max(axis=axis, keepdims=True)

        def grad_fn(g):  # shared equally between tied maxima, as torch.amax does
            winners = a == kept
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
        if len(axes) == 1 and isinstance(axes[0], (tuple, list)):
            axes = tuple(axes[0])
        axes = axes or tuple(reversed(range(self.ndim)))
        if sorted(a % max(self.ndim, 1) for a in axes) != list(range(self.ndim)):
            raise ValueError(f"transpose: axes {axes} are not a permutation for shape {self.shape}")
        inverse = np.argsort(axes)
        return Tensor._result(self.data.transpose(axes), "transpose", (self,),
                              lambda g: g.transpose(inverse))

    def __getitem__(self, index):
        if isinstance(index, Tensor):
            index = index.data.astype(np.intp) if index.data.dtype.kind == "f" else index.data
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
            grad = np.ones(self.shape, dtype=self.data.dtype)
        else:
            grad = np.asarray(grad.data if isinstance(grad, Tensor) else grad, dtype=self.data.dtype)
            if grad.shape != self.shape:
                raise ValueError(f"backward(): grad has shape {grad.shape}, output has {self.shape}")

        order = graph.topological_order(self)
        for node in order:
            if node._prev:
                node.grad = None
        self.grad = grad if self.grad is None else self.grad + grad
        for node in reversed(order):
            if node.grad is None:
                continue
            for parent, grad_fn in zip(node._prev, node._grad_fns):
                if parent.requires_grad:
                    g = sum_to_shape(grad_fn(node.grad), parent.data.shape)
                    parent.grad = g if parent.grad is None else parent.grad + g


def _identity(g):
    return g


def _broadcasting(ufunc, name, x, y):
    try:
        return ufunc(x.data, y.data)
    except ValueError:
        raise ValueError(f"{name}: shapes {x.shape} and {y.shape} do not broadcast") from None


def _check_axis(axis, ndim, name):
    if axis is None:
        return None
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    for a in axes:
        if not -ndim <= a < max(ndim, 1):
            raise ValueError(f"{name}: axis {a} is out of range for a {ndim}-D tensor")
    return axis if isinstance(axis, (int, np.integer)) else tuple(axis)


def _keep_dims(g, axis, keepdims):
    """A reduction's gradient with the reduced axes put back (size 1), ready to broadcast."""
    if keepdims or axis is None:
        return g
    return np.expand_dims(g, axis)


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


def as_tensor(x, dtype=None) -> Tensor:
    return x if isinstance(x, Tensor) else Tensor(x, dtype=dtype)


def _join(name, numpy_join, tensors, axis, part_of_grad):
    """concatenate / stack: one node over all inputs; input i's gradient is `part_of_grad(g, i)`."""
    tensors = tuple(as_tensor(t) for t in tensors)
    if not tensors:
        raise ValueError(f"{name} needs at least one tensor")
    try:
        data = numpy_join([t.data for t in tensors], axis=axis)
    except ValueError:
        shapes = ", ".join(str(t.shape) for t in tensors)
        raise ValueError(f"{name} along axis {axis}: shapes {shapes} do not fit") from None
    return Tensor._result(data, name, tensors, *((lambda g, i=i: part_of_grad(g, i)) for i in range(len(tensors))))


def concatenate(tensors, axis=0) -> Tensor:
    tensors = [as_tensor(t) for t in tensors]
    ends = np.cumsum([t.shape[axis] for t in tensors]) if tensors else []

    def piece(g, i):  # input i's slice of the gradient, cut directly (no split per input)
        index = [slice(None)] * g.ndim
        index[axis] = slice(ends[i - 1] if i else 0, ends[i])
        return g[tuple(index)]

    return _join("concatenate", np.concatenate, tensors, axis, piece)


def stack(tensors, axis=0) -> Tensor:
    return _join("stack", np.stack, tensors, axis, lambda g, i: np.take(g, i, axis=axis))
