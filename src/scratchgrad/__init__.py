"""scratchgrad: neural networks from scratch, readable end to end.

`import scratchgrad` needs NumPy alone; parts that need optional libraries import
them when first used.
"""

from . import graph, nn
from .gradcheck import gradcheck
from .graph import is_grad_enabled, no_grad
from .value import Value

__version__ = "0.1.0"

__all__ = ["Value", "no_grad", "is_grad_enabled", "gradcheck", "graph", "nn", "__version__"]
