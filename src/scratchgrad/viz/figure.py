"""A matplotlib `Figure` that shows itself in Jupyter, with no pyplot and no `%matplotlib` magic.

A figure made with `matplotlib.figure.Figure(...)` (not `pyplot.figure()`) has no display
method of its own: IPython only learns to draw figures once pyplot is imported and
registers its inline backend, so a fresh notebook prints `<Figure size 1000x400 with 2 Axes>`.
This subclass carries `_repr_png_`, which IPython calls for any object that has it. Outside a
notebook nothing changes: there is still no pyplot, no GUI window and no global figure list,
and every plotting function keeps returning an ordinary (subclassed) `Figure`.

Importing this module imports matplotlib; `scratchgrad.viz.plots` imports it on first use only.
"""

from __future__ import annotations

import io

from matplotlib.figure import Figure as _MatplotlibFigure

DISPLAY_DPI = 100


class Figure(_MatplotlibFigure):
    """`matplotlib.figure.Figure`, plus the PNG that Jupyter displays."""

    def _repr_png_(self):
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=DISPLAY_DPI, bbox_inches="tight")
        return buffer.getvalue()
