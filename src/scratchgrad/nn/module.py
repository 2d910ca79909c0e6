"""`Module`: the base of every network, on either engine.

A module finds its parameters and submodules by looking at its own attributes: a
parameter (a `Value` or a `Tensor` leaf that requires grad), a submodule, or a list /
tuple of either. Nothing needs registering by hand, and subclasses need not call
`super().__init__()`.
"""

from __future__ import annotations

import numpy as np

from ..tensor import Tensor
from ..value import Value


def _is_parameter(x) -> bool:
    return isinstance(x, (Value, Tensor)) and x.requires_grad and not x._prev


class Module:
    training = True  # the class default; train() / eval() set it per instance

    # ---- what a module holds ----

    def named_children(self):
        """Yield `(name, submodule)` for the modules held directly by this one."""
        for name, attribute in vars(self).items():
            if isinstance(attribute, Module):
                yield name, attribute
            elif isinstance(attribute, (list, tuple)):
                for index, item in enumerate(attribute):
                    if isinstance(item, Module):
                        yield f"{name}.{index}", item

    def modules(self):
        """This module and every module below it."""
        yield self
        for _, child in self.named_children():
            yield from child.modules()

    def named_parameters(self, prefix: str = ""):
        """Yield `(name, parameter)` pairs, names dotted like PyTorch's (`layers.0.weight`)."""
        seen = set()
        for name, parameter in self._named_parameters(prefix):
            if id(parameter) not in seen:  # a parameter shared by two layers counts once
                seen.add(id(parameter))
                yield name, parameter

    def _named_parameters(self, prefix):
        for name, attribute in vars(self).items():
            yield from _named_parameters_in(attribute, prefix + name)

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
        """`{name: array}`, a copy of every parameter's data (a Value's as a 0-d array)."""
        return {name: np.array(p.data) for name, p in self.named_parameters()}

    def load_state_dict(self, state: dict):
        """Copy weights in from `state`; names and shapes must match exactly.

        Everything is checked before anything is copied: a bad `state` leaves the
        module as it was.
        """
        if not isinstance(state, dict):
            raise TypeError(f"load_state_dict expects a dict of arrays, got {type(state).__name__}")
        parameters = dict(self.named_parameters())
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


def _named_parameters_in(attribute, name):
    if isinstance(attribute, Module):
        yield from attribute._named_parameters(name + ".")
    elif isinstance(attribute, (list, tuple)):
        for index, item in enumerate(attribute):
            yield from _named_parameters_in(item, f"{name}.{index}")
    elif _is_parameter(attribute):
        yield name, attribute
