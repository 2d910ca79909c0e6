"""`Module`: the base of every network, on either engine.

A module finds its parameters and submodules by looking at its own attributes: a
parameter (a `Value` or a `Tensor` leaf that requires grad), a submodule, or a list,
tuple or dict of those (nested as deep as you like). Nothing needs registering by hand,
and subclasses need not call `super().__init__()`. One walk (`_members`) serves
`parameters()`, `modules()`, `train()` / `eval()` and saving, so they always agree.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from ..value import Value


def _is_leaf(x) -> bool:
    """A Value or Tensor not computed from others: a parameter (trained if it requires grad), or a
    constant the module keeps (a frozen weight); `state_dict()` saves both."""
    return isinstance(x, (Value, Tensor)) and not x._prev


def _members_of(item, name):
    """`(name, item)` for each Module or leaf tensor in `item`, looking into lists, tuples and dicts."""
    if isinstance(item, Module) or _is_leaf(item):
        yield name, item
    elif isinstance(item, (list, tuple)):
        for index, element in enumerate(item):
            yield from _members_of(element, f"{name}.{index}")
    elif isinstance(item, dict):
        for key, element in item.items():
            yield from _members_of(element, f"{name}.{key}")


class Module:
    training = True  # the class default; train() / eval() set it per instance

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(
            f"{type(self).__name__} defines no forward(): write `def forward(self, x): ...` (or __call__)")

    # ---- what a module holds: one walk, used by everything below ----

    def _attributes(self):
        """`(name, value)` of what this module holds; Sequential names its layers by position."""
        return vars(self).items()

    def _members(self):
        """`(name, item)` for every submodule and parameter held directly by this module."""
        for name, value in self._attributes():
            yield from _members_of(value, name)

    def named_children(self):
        """Yield `(name, submodule)` for the modules held directly by this one."""
        for name, member in self._members():
            if isinstance(member, Module):
                yield name, member

    def named_modules(self, prefix: str = ""):
        """Yield `(name, module)` for this module and every one below it, each once."""
        seen = {id(self)}
        stack = [(prefix, self)]
        while stack:  # depth first, in attribute order; a module used twice is listed once
            name, module = stack.pop()
            yield name, module
            children = []
            for child_name, child in module.named_children():
                if id(child) not in seen:
                    seen.add(id(child))
                    children.append((f"{name}.{child_name}" if name else child_name, child))
            stack.extend(reversed(children))

    def modules(self):
        """This module and every module below it, each once."""
        return (module for _, module in self.named_modules())

    def named_parameters(self, prefix: str = ""):
        """Yield `(name, parameter)` pairs, names dotted like PyTorch's (`layers.0.weight`).

        Parameters are the leaf tensors that require grad: what an optimizer trains. A
        parameter shared by two layers, or a layer used twice, counts once.
        """
        return ((name, leaf) for name, leaf in self._named_leaves(prefix) if leaf.requires_grad)

    def _named_leaves(self, prefix=""):
        """Every leaf tensor, trained or frozen, each once: what `state_dict()` holds."""
        seen = set()
        for module_name, module in self.named_modules(prefix):
            for name, member in module._members():
                if not isinstance(member, Module) and id(member) not in seen:
                    seen.add(id(member))
                    yield (f"{module_name}.{name}" if module_name else name), member

    def parameters(self) -> list:
        return [parameter for _, parameter in self.named_parameters()]

    def zero_grad(self):
        """Reset every parameter's gradient before the next `backward()`."""
        for parameter in self.parameters():
            parameter.grad = 0.0 if isinstance(parameter, Value) else None

    # ---- modes ----

    def train(self, mode: bool = True):
        """Training mode (dropout active); `eval()` is `train(False)`. Returns self."""
        for module in self.modules():
            module.training = bool(mode)
        return self

    def eval(self):
        return self.train(False)

    # ---- weights in and out ----

    def state_dict(self) -> dict:
        """`{name: array}`, a copy of every leaf tensor's data, frozen ones included (a Value's as a 0-d array)."""
        return {name: np.array(p.data) for name, p in self._named_leaves()}

    def load_state_dict(self, state: dict):
        """Copy weights in from `state`; names and shapes must match exactly.

        Everything is checked before anything is copied: a bad `state` leaves the
        module as it was.
        """
        if not isinstance(state, dict):
            raise TypeError(f"load_state_dict expects a dict of arrays, got {type(state).__name__}")
        parameters = dict(self._named_leaves())
        missing = [name for name in parameters if name not in state]
        unexpected = [name for name in state if name not in parameters]
        if missing or unexpected:
            raise KeyError(
                f"{type(self).__name__}.load_state_dict: missing {missing or 'nothing'}, "
                f"unexpected {unexpected or 'nothing'}"
            )
        arrays = {}
        for name, p in parameters.items():
            array = np.asarray(state[name])
            if array.shape != np.shape(p.data):
                raise ValueError(
                    f"{type(self).__name__}.load_state_dict: {name} has shape {array.shape}, "
                    f"the model expects {np.shape(p.data)}"
                )
            arrays[name] = array
        for name, p in parameters.items():
            if isinstance(p, Value):
                p.data = float(arrays[name])
            else:
                p.data[...] = arrays[name]  # in place: views of p.data (an optimizer's) stay valid

    # ---- display ----

    def summary(self, input_shape=None):
        """A Keras-like table of layers, output shapes and parameter counts (`print` it; a
        notebook shows it as HTML). `input_shape`: one sample's shape, e.g. `(64,)`."""
        from ..viz.notebook import module_summary  # display lives in the shell, loaded when asked for

        return module_summary(self, input_shape)

    def _repr_html_(self):
        return self.summary()._repr_html_()

    def extra_repr(self) -> str:
        """What goes between the parentheses of this module's line in `repr`."""
        return ""

    def __repr__(self):
        children = list(self.named_children())
        if not children:
            return f"{type(self).__name__}({self.extra_repr()})"
        lines = [f"{type(self).__name__}("]
        if self.extra_repr():
            lines.append(f"  {self.extra_repr()}")
        for name, child in children:
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        return "\n".join(lines + [")"])
