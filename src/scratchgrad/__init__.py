"""scratchgrad: neural networks from scratch, readable end to end.

`import scratchgrad` needs NumPy alone; parts that need optional libraries import
them when first used.
"""

from . import functional, graph, micro, nn, optim
from ._version import __version__  # noqa: F401
from .gradcheck import gradcheck
from .graph import is_grad_enabled, no_grad
from .tensor import Tensor, concatenate, stack
from .train import fit
from .value import Value

# Modules that need optional libraries (or are simply not needed by every user) load on
# first use: `scratchgrad.viz` imports nothing until one of its functions is called.
_LAZY = ("datasets", "metrics", "viz", "io", "export", "estimators", "train")


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return importlib.import_module(f".{name}", __name__)
    if name in ("draw_dot", "draw_graph"):  # micrograd's name, looked for at the top
        raise AttributeError(f"module 'scratchgrad' has no attribute {name!r}: graph drawing is "
                             f"scratchgrad.viz.draw_graph (also under micrograd's name, scratchgrad.micro.draw_dot)")
    raise AttributeError(f"module 'scratchgrad' has no attribute {name!r}")

__all__ = [
    "Value", "Tensor", "concatenate", "stack", "no_grad", "is_grad_enabled", "gradcheck",
    "fit", "functional", "graph", "micro", "nn", "optim", "__version__",
]
