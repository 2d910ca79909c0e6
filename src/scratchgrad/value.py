"""Scalar autograd: `Value`, one float that remembers how it was computed.

micrograd's API (`Value(x)`, `+ - * / **`, `relu`, `tanh`, `exp`, `backward`, `.data`,
`.grad`, `._prev`, `._op`) with one change inside: instead of a `_backward` closure, each
node stores the local derivatives of its output with respect to its inputs
(`_local_grads`, computed next to the operation itself). The chain rule is then one loop
in `backward()`:

    child.grad += local_grad * node.grad

A built-in node holds no closure and no reference to itself, so a graph is plain data
that Python frees as soon as it is dropped, without the cyclic garbage collector's help.
One addition: `Value.dot(w, x, b)`, a neuron's weighted sum as a single node, which is
what makes the scalar networks fast (fewer nodes, the same gradients).

micrograd's own way of adding an operation still works, for what a learner writes:

    def cos(self):
        out = Value(math.cos(self.data), (self,), "cos")
        def _backward():
            self.grad += -math.sin(self.data) * out.grad
        out._backward = _backward
        return out

and `node._backward()` runs one node's step of the chain rule by hand, as the lectures
do (`L.grad = 1.0; L._backward(); d._backward(); ...`), whichever way the node was made.
"""

from __future__ import annotations

import math
import numbers

from . import graph
from .errors import ScratchgradError
from .graph import grad_mode


class MissingGradientRuleError(ScratchgradError, RuntimeError):
    """A node built with inputs, `Value(data, (inputs...), op)`, but no rule for its gradient."""


def _as_number(x):
    """`x` as a Python number (so `.data` stays a plain float), or None if it is not a real number."""
    if type(x) is float or type(x) is int:
        return x
    if isinstance(x, numbers.Real):  # NumPy scalars, bools, fractions
        return float(x)
    return None


def _domain_error(operation: str, value) -> ValueError:
    return ValueError(f"{operation} is undefined for input {value!r}")


def _missing_rule_error(node) -> MissingGradientRuleError:
    op = f" {node._op!r}" if node._op else ""
    return MissingGradientRuleError(
        f"the Value{op} built as Value(data, children, op) from {len(node._prev)} input(s) has no gradient "
        f"rule, so backward() cannot pass its gradient on (its inputs would silently get 0). Give it one, as "
        f"micrograd does: a function adding this node's share to each input's .grad, set before backward():\n"
        f"    out = Value(t, (self,), 'tanh')\n"
        f"    def _backward():\n"
        f"        self.grad += (1 - t**2) * out.grad\n"
        f"    out._backward = _backward\n"
        f"or build the result from existing operations (+, *, exp, tanh, ...), or pass requires_grad=False "
        f"if no gradient should flow through it.")


class Value:
    """A scalar node of a computation graph.

    `Value(2.0, label="a")` is a leaf; operations on Values build the graph:

    >>> a, b = Value(2.0), Value(-3.0)
    >>> c = (a * b + 10).tanh()
    >>> c.backward()              # fills a.grad and b.grad

    `requires_grad=False` marks a constant: nodes computed only from constants need no
    gradient, get none (their `.grad` stays 0) and are skipped by `backward()`.

    `Value(data, (inputs...), op)` followed by `out._backward = function` is micrograd's
    way of adding an operation; such a node without a `_backward` is refused by
    `backward()` rather than passing no gradient. Inside `no_grad()`, `p -= lr * p.grad`
    (and `+=`, `*=`, `/=`) on a parameter (a leaf that requires grad) changes it in place,
    as in PyTorch; everywhere else `c += x` makes a new node, as in micrograd.
    """

    __slots__ = ("data", "grad", "requires_grad", "label", "_prev", "_op", "_local_grads",
                 "_backward_rule", "_constant", "_terms")

    def __init__(self, data, _children=(), _op="", label="", requires_grad=True):
        number = _as_number(data)
        if number is None:
            raise TypeError(f"Value() expects a real number, got {type(data).__name__}: {data!r}")
        if isinstance(label, bool):  # seed 000's Value(data, children, op, requires_grad) order
            label, requires_grad = "", label
        self.data = float(number)
        self.grad = 0.0
        self.label = label
        self._op = _op
        self._local_grads = ()
        self._backward_rule = None
        children = tuple(_children)
        for child in children:
            if not isinstance(child, Value):
                raise TypeError(f"Value(data, children, op): children must be Values, got "
                                f"{type(child).__name__}: {child!r}")
        if children and not grad_mode.enabled:  # an operation inside no_grad(): no graph, as for built-ins
            children, requires_grad = (), False
        elif children:  # needs a gradient only if one of its inputs does
            requires_grad = requires_grad and any(child.requires_grad for child in children)
        self._prev = children
        self.requires_grad = bool(requires_grad)

    @staticmethod
    def _result(data, op, children, local_grads):
        """The node `data = op(*children)`; `local_grads[i]` is d(data)/d(children[i])."""
        out = Value.__new__(Value)
        out.data = data
        out.grad = 0.0
        out.label = ""
        out._op = op
        out.requires_grad = False
        out._local_grads = ()
        out._backward_rule = None
        if not grad_mode.enabled:
            out._prev = ()
            return out
        out._prev = children
        for child in children:
            if child.requires_grad:
                out.requires_grad = True
                out._local_grads = local_grads
                break
        return out

    # ---- arithmetic: each result with its local derivatives ----

    def __add__(self, other):
        if isinstance(other, Value):
            return Value._result(self.data + other.data, "+", (self, other), (1.0, 1.0))
        other = _as_number(other)
        if other is None:
            return NotImplemented
        out = Value._result(self.data + other, "+", (self,), (1.0,))
        out._constant = other  # kept for drawings: `2 * n` shows the 2
        return out

    def __radd__(self, other):  # other + self
        other = _as_number(other)
        if other is None:
            return NotImplemented
        out = Value._result(other + self.data, "+", (self,), (1.0,))
        out._constant = other
        return out

    def __mul__(self, other):
        if isinstance(other, Value):
            return Value._result(
                self.data * other.data, "*", (self, other), (other.data, self.data)
            )
        other = _as_number(other)
        if other is None:
            return NotImplemented
        out = Value._result(self.data * other, "*", (self,), (other,))
        out._constant = other
        return out

    def __rmul__(self, other):  # other * self
        other = _as_number(other)
        if other is None:
            return NotImplemented
        out = Value._result(other * self.data, "*", (self,), (other,))
        out._constant = other
        return out

    def __neg__(self):
        return Value._result(-self.data, "neg", (self,), (-1.0,))

    def __sub__(self, other):
        if isinstance(other, Value):
            return Value._result(self.data - other.data, "-", (self, other), (1.0, -1.0))
        other = _as_number(other)
        if other is None:
            return NotImplemented
        out = Value._result(self.data - other, "-", (self,), (1.0,))
        out._constant = other
        return out

    def __rsub__(self, other):  # other - self
        other = _as_number(other)
        if other is None:
            return NotImplemented
        out = Value._result(other - self.data, "-", (self,), (-1.0,))
        out._constant = other
        return out

    def __truediv__(self, other):
        if isinstance(other, Value):
            if other.data == 0:
                raise _domain_error("division", f"{self.data} / {other.data}")
            return Value._result(
                self.data / other.data, "/", (self, other),
                (1.0 / other.data, -self.data / other.data**2),
            )
        other = _as_number(other)
        if other is None:
            return NotImplemented
        if other == 0:
            raise _domain_error("division", f"{self.data} / {other}")
        out = Value._result(self.data / other, "/", (self,), (1.0 / other,))
        out._constant = other
        return out

    def __rtruediv__(self, other):  # other / self
        other = _as_number(other)
        if other is None:
            return NotImplemented
        if self.data == 0:
            raise _domain_error("division", f"{other} / {self.data}")
        out = Value._result(other / self.data, "/", (self,), (-other / self.data**2,))
        out._constant = other
        return out

    def __pow__(self, exponent):
        if isinstance(exponent, Value):
            out = _power(self.data, exponent.data)
            return Value._result(
                out, "**", (self, exponent),
                (_power_base_grad(self.data, exponent.data), _power_exponent_grad(self.data, out)),
            )
        number = _as_number(exponent)
        if number is None:
            return NotImplemented
        return Value._result(
            _power(self.data, number), f"**{number}", (self,),
            (_power_base_grad(self.data, number),),
        )

    def __rpow__(self, base):  # base ** self
        base = _as_number(base)
        if base is None:
            return NotImplemented
        out = _power(base, self.data)
        out = Value._result(out, "**", (self,), (_power_exponent_grad(base, out),))
        out._constant = base
        return out

    @staticmethod
    def dot(weights, inputs, bias=None):
        """`bias + sum(w * x)` as one node, the weighted sum at the heart of a neuron.

        The same value and gradients as the chain of `*` and `+` nodes that `sum()` would
        build, in one node instead of two per term: d/dw_i = x_i, d/dx_i = w_i,
        d/dbias = 1. `inputs` may mix Values and plain numbers.
        """
        if len(weights) != len(inputs):
            raise ValueError(f"dot: {len(weights)} weights but {len(inputs)} inputs")
        children, local_grads = [], []
        total = 0.0
        for w, x in zip(weights, inputs):
            if isinstance(x, Value):
                total += w.data * x.data
                children += (w, x)
                local_grads += (x.data, w.data)
            else:
                number = _as_number(x)
                if number is None:
                    raise TypeError(f"dot: inputs must be Values or numbers, got {type(x).__name__}: {x!r}")
                total += w.data * number
                children.append(w)
                local_grads.append(number)
        if bias is not None:
            total += bias.data
            children.append(bias)
            local_grads.append(1.0)
        out = Value._result(total, "dot", tuple(children), tuple(local_grads))
        if out._prev:  # for drawings that show each w_i * x_i and the sum (viz.draw_graph)
            out._terms = (weights, inputs, bias)
        return out

    # ---- in place, inside no_grad() only: a parameter update, as in PyTorch ----

    def _updates_in_place(self):
        """True inside no_grad() for a parameter: a leaf (no inputs) that requires grad."""
        return not grad_mode.enabled and self.requires_grad and not self._prev

    def __iadd__(self, other):
        if self._updates_in_place():
            self.data += _operand_number(other)
            return self
        return self + other  # a new node, as micrograd's `c += c + 1`

    def __isub__(self, other):
        if self._updates_in_place():
            self.data -= _operand_number(other)
            return self
        return self - other

    def __imul__(self, other):
        if self._updates_in_place():
            self.data *= _operand_number(other)
            return self
        return self * other

    def __itruediv__(self, other):
        if self._updates_in_place():
            number = _operand_number(other)
            if number == 0:
                raise _domain_error("division", f"{self.data} / {number}")
            self.data /= number
            return self
        return self / other

    # ---- functions ----

    def exp(self):
        try:
            out = math.exp(self.data)
        except OverflowError:
            raise _domain_error("exp (overflow)", self.data) from None
        return Value._result(out, "exp", (self,), (out,))

    def log(self):
        if self.data <= 0:
            raise _domain_error("log", self.data)
        return Value._result(math.log(self.data), "log", (self,), (1.0 / self.data,))

    def tanh(self):
        t = math.tanh(self.data)
        return Value._result(t, "tanh", (self,), (1.0 - t * t,))

    def sigmoid(self):
        x = self.data
        if x >= 0:
            s = 1.0 / (1.0 + math.exp(-x))
        else:  # the same value, without overflowing exp(-x) for very negative x
            e = math.exp(x)
            s = e / (1.0 + e)
        return Value._result(s, "sigmoid", (self,), (s * (1.0 - s),))

    def relu(self):
        x = self.data
        return Value._result(0.0 if x < 0 else x, "ReLU", (self,), (1.0 if x > 0 else 0.0,))

    def leaky_relu(self, slope=0.01):
        x = self.data
        if x > 0:
            return Value._result(x, "leaky_relu", (self,), (1.0,))
        return Value._result(slope * x, "leaky_relu", (self,), (slope,))

    # ---- backpropagation ----

    @property
    def _backward(self):
        """This node's step of the chain rule: add its share of `self.grad` to its inputs' `.grad`.

        micrograd's per-node function: call it by hand to step through backpropagation
        (`L.grad = 1.0; L._backward(); ...`), or assign one to a node you built yourself.
        """
        if self._backward_rule is not None:
            return self._backward_rule
        return self._apply_local_grads

    @_backward.setter
    def _backward(self, function):
        if function is not None and not callable(function):
            raise TypeError(f"_backward must be a function taking no arguments, got {function!r}")
        self._backward_rule = function
        if function is not None:
            self._local_grads = ()  # the rule replaces the built-in local derivatives

    def _apply_local_grads(self):
        if self._prev and not self._local_grads and self.requires_grad:
            raise _missing_rule_error(self)
        grad = self.grad
        for child, local_grad in zip(self._prev, self._local_grads):
            if child.requires_grad:
                child.grad += local_grad * grad

    def backward(self):
        """Fill `.grad` of every node this one depends on with d(self)/d(node).

        Leaves (nodes with no inputs, such as parameters) accumulate, as in PyTorch: call
        `zero_grad()` between steps. Intermediate nodes are reset first, so a second
        `backward()` on the same graph leaves their gradients as they were and doubles
        only the leaves' (PyTorch's `retain_graph=True` result).
        """
        if not self.requires_grad:
            raise RuntimeError(
                "backward() called on a Value that does not require grad: it was computed "
                "only from constants (requires_grad=False) or inside no_grad()"
            )
        order = graph.topological_order(self)
        for node in order:
            if node._prev:
                node.grad = 0.0
                if not node._local_grads and node._backward_rule is None:  # before any gradient moves
                    raise _missing_rule_error(node)
        self.grad += 1.0
        for node in reversed(order):
            local_grads = node._local_grads
            if not local_grads:  # a leaf, or a node built micrograd's way with its own rule
                if node._backward_rule is not None:
                    node._backward_rule()
                continue
            grad = node.grad
            for child, local_grad in zip(node._prev, local_grads):
                if child.requires_grad:
                    child.grad += local_grad * grad

    # ---- conveniences ----

    def __float__(self):
        return self.data

    def __repr__(self):
        label = f", label={self.label!r}" if self.label else ""
        return f"Value(data={self.data}, grad={self.grad}{label})"


def _operand_number(other) -> float:
    if isinstance(other, Value):
        return other.data
    number = _as_number(other)
    if number is None:
        raise TypeError(f"unsupported operand for an in-place update of a Value: {type(other).__name__}")
    return float(number)


def _power(base, exponent):
    try:
        out = base**exponent
    except (ZeroDivisionError, OverflowError):
        raise _domain_error("pow", f"{base} ** {exponent}") from None
    if isinstance(out, complex):
        raise _domain_error("pow (negative base, fractional exponent)", f"{base} ** {exponent}")
    return float(out)


def _power_base_grad(base, exponent):
    """d(base**exponent)/d(base) = exponent * base**(exponent - 1)."""
    if exponent == 0:
        return 0.0
    if base == 0 and exponent < 1:
        return math.copysign(math.inf, exponent)  # sqrt at 0: an infinite slope, as in PyTorch
    return exponent * base ** (exponent - 1)


def _power_exponent_grad(base, out):
    """d(base**exponent)/d(exponent) = base**exponent * log(base), as PyTorch defines it."""
    if base > 0:
        return out * math.log(base)
    return 0.0 if base == 0 else math.nan
