"""The computation graph, shared by both engines.

A node (a `Value` or a `Tensor`) knows the nodes it was computed from (`_prev`) and
whether it needs a gradient (`requires_grad`). This module orders such nodes for the
backward pass, iteratively so that deep graphs never hit Python's recursion limit, and
holds the switch that turns graph building off.
"""

from __future__ import annotations

import functools
import threading


class _GradMode(threading.local):
    """Whether operations build a graph, one switch per thread (as in PyTorch).

    `__init__` runs once in each thread that touches it, so every new thread starts with
    grad enabled, whatever another thread is doing inside `no_grad()`. `saved` holds the
    states that open `no_grad()` blocks of this thread will restore.
    """

    def __init__(self):
        self.enabled = True
        self.saved = []


# Read by every operation of both engines (`grad_mode.enabled`): one attribute read.
grad_mode = _GradMode()


def is_grad_enabled() -> bool:
    """True unless this thread is inside a `no_grad()` block."""
    return grad_mode.enabled


class no_grad:
    """Context manager (and decorator) under which this thread's operations build no graph.

    >>> from scratchgrad import Tensor
    >>> x = Tensor([1.0, 2.0], requires_grad=True)
    >>> with no_grad():
    ...     y = x * 3             # y has no history, needs no gradient
    >>> y.requires_grad, (x * 3).requires_grad
    (False, True)

    As a decorator, `@no_grad()` and `@no_grad` both work. Only the calling thread is
    affected: another thread training at the same time keeps building its graph. Blocks
    nest; the state to restore is kept per thread, so one `no_grad()` object may be
    entered by several threads, or re-entered, safely.
    """

    def __new__(cls, function=None):
        self = super().__new__(cls)
        return self if function is None else self(function)  # bare `@no_grad`

    def __enter__(self):
        grad_mode.saved.append(grad_mode.enabled)
        grad_mode.enabled = False
        return self

    def __exit__(self, *exc_info):
        grad_mode.enabled = grad_mode.saved.pop()
        return False

    def __call__(self, function):
        @functools.wraps(function)
        def without_grad(*args, **kwargs):
            with self:
                return function(*args, **kwargs)

        return without_grad


def topological_order(root, only_requiring_grad: bool = True) -> list:
    """All nodes `root` depends on, each listed after every node it was computed from.

    Depth-first with an explicit stack instead of recursion, so a chain of a million
    operations is as fine as a chain of ten. With `only_requiring_grad` (the default,
    what backward needs) the walk does not enter nodes that need no gradient.
    """
    order = []
    visited = {root}
    stack = [(root, iter(root._prev))]
    while stack:
        node, inputs = stack[-1]
        for child in inputs:
            if child not in visited and (child.requires_grad or not only_requiring_grad):
                visited.add(child)
                if child._prev:
                    stack.append((child, iter(child._prev)))
                    break
                order.append(child)  # a leaf (a parameter, an input): nothing to visit first
        else:  # every input of `node` is already in `order`
            stack.pop()
            order.append(node)
    return order


def backward_order(root) -> list:
    """What `backward()` visits: the nodes `root` depends on (itself included) that need a
    gradient and were computed from others, each after its inputs.

    The walk of `topological_order`, leaving out the leaves (parameters, inputs): they have
    no inputs to pass a gradient on to, so backward has nothing to do for them.
    """
    if not root._prev:
        return []
    order = []
    visited = set()
    stack = [(root, iter(root._prev))]
    while stack:
        node, inputs = stack[-1]
        for child in inputs:
            if child._prev and child.requires_grad and child not in visited:
                visited.add(child)
                stack.append((child, iter(child._prev)))
                break
        else:  # every input of `node` is already in `order` (or a leaf)
            stack.pop()
            order.append(node)
    return order
