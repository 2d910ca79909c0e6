"""`Module`: the base of every network, on either engine.

A module finds its parameters by looking at its own attributes: a parameter (a `Value`
or a `Tensor` that requires grad), a submodule, or a list / tuple of either. Nothing
needs registering by hand.
"""

from __future__ import annotations

from ..value import Value


def _is_parameter(x) -> bool:
    return getattr(x, "requires_grad", False) is True and hasattr(x, "_prev") and not x._prev


class Module:
    def named_parameters(self, prefix: str = ""):
        """Yield `(name, parameter)` pairs, names dotted like PyTorch's (`layers.0.w.1`)."""
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


def _named_parameters_in(attribute, name):
    if isinstance(attribute, Module):
        yield from attribute._named_parameters(name + ".")
    elif isinstance(attribute, (list, tuple)):
        for index, item in enumerate(attribute):
            yield from _named_parameters_in(item, f"{name}.{index}")
    elif _is_parameter(attribute):
        yield name, attribute
