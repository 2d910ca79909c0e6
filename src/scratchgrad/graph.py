"""The computation graph, shared by both engines.

A node (a `Value` or a `Tensor`) knows the nodes it was computed from (`_prev`) and
whether it needs a gradient (`requires_grad`). This module orders such nodes for the
backward pass, iteratively so that deep graphs never hit Python's recursion limit, and
holds the switch that turns graph building off.
"""

from __future__ import annotations

import functools

# Read by every operation of both engines: when False, results remember no inputs.
grad_enabled = True


def is_grad_enabled() -> bool:
    """True unless inside a `no_grad()` block."""
    return grad_enabled


class no_grad:
    """Context manager (and decorator) under which operations build no graph.

    >>> with no_grad():
    ...     y = model(x)          # y has no history, needs no gradient
    """

    def __enter__(self):
        global grad_enabled
        self._previous = grad_enabled
        grad_enabled = False
        return self

    def __exit__(self, *exc_info):
        global grad_enabled
        grad_enabled = self._previous
        return False

    def __call__(self, function):
        @functools.wraps(function)
        def without_grad(*args, **kwargs):
            with no_grad():
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
                stack.append((child, iter(child._prev)))
                break
        else:  # every input of `node` is already in `order`
            stack.pop()
            order.append(node)
    return order
