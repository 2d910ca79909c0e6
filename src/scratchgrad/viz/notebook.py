"""Jupyter displays: a live training view, a Keras-like table of a model, a History as a table.

`LivePlot()` is a `fit` callback that redraws the training curves after every epoch in the
notebook cell it runs in (one picture updated in place, as livelossplot does), and for
two-feature classification the decision boundary as it moves. `module_summary(model)` lists
layers, output shapes and parameter counts, as text and as HTML. `history_html(history)` is
a History's numbers as a small HTML table with its curves.

Nothing here imports IPython or matplotlib until it is used.
"""

from __future__ import annotations

import base64
import html
import warnings

import numpy as np

from .. import graph
from ..tensor import Tensor
from ..train import Callback
from ..value import Value

# ---- live training view ----


def _in_notebook_kernel():
    """True inside a Jupyter kernel (JupyterLab, Notebook, VS Code, Colab), not a terminal IPython."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


class LivePlot(Callback):
    """Redraw the training curves, in place, after every `every` epochs of `fit`.

    Use it in a notebook as `fit(model, X, y, callbacks=[LivePlot()])`. For a classifier on
    two features, pass the points to draw (`LivePlot(X, y)`) and a third panel shows the
    decision boundary as it moves; without them the training data is used when `fit` makes
    it available to callbacks. Outside a Jupyter kernel nothing is displayed (a warning says
    so once); either way the last picture stays in `.figure`, to save or show later.

    `resolution` is the number of grid points per side of the boundary picture.
    """

    def __init__(self, X=None, y=None, every=1, resolution=80):
        if (X is None) != (y is None):
            raise ValueError("LivePlot takes both X and y (the points to draw), or neither")
        if not isinstance(every, (int, np.integer)) or isinstance(every, bool) or every < 1:
            raise ValueError(f"every must be a positive integer, got {every!r}")
        if not isinstance(resolution, (int, np.integer)) or isinstance(resolution, bool) or resolution < 2:
            raise ValueError(f"resolution must be an integer >= 2, got {resolution!r}")
        self.X, self.y = X, y
        self.every, self.resolution = int(every), int(resolution)
        self.figure = None
        self.logs = {}
        self._handle = None

    def on_train_begin(self, logs=None):
        self.logs, self._handle, self._last_drawn = {}, None, None
        self._show = _in_notebook_kernel()
        if not self._show:
            warnings.warn("LivePlot displays in a Jupyter notebook; here it only keeps the last "
                          "picture in .figure", stacklevel=2)

    def on_epoch_end(self, epoch, logs=None):
        for key, value in (logs or {}).items():
            self.logs.setdefault(key, []).append(value)
        if (epoch + 1) % self.every == 0:
            self._draw(epoch)

    def on_train_end(self, logs=None):
        if self.logs and self._last_drawn != len(self.logs["loss"]) - 1:
            self._draw(len(self.logs["loss"]) - 1)

    def _boundary_data(self):
        X, y = self.X, self.y
        if X is None:  # fit may hand its training data to callbacks
            state = getattr(self, "fit_state", None)
            X, y = getattr(state, "X", None), getattr(state, "y", None)
        if X is None or y is None:
            return None
        X, y = np.asarray(X), np.asarray(y)
        if X.ndim != 2 or X.shape[1] != 2 or "accuracy" not in self.logs:
            return None  # only two-feature classification has a boundary to draw
        if y.ndim == 2:  # one-hot rows
            y = y.argmax(axis=1)
        return X, y

    def _draw(self, epoch):
        from .plots import _figure, curve_names, draw_history, plot_decision_boundary

        if "loss" not in self.logs:
            return
        boundary = self._boundary_data()
        panels = len(curve_names(self.logs)) + (boundary is not None)
        if self.figure is None:
            self.figure = _figure((4.5 * panels, 3.6))
        else:
            self.figure.clear()  # one figure redrawn, not one per epoch
        axes = np.atleast_1d(self.figure.subplots(1, panels))
        draw_history(axes, self.logs)
        if boundary is not None:
            plot_decision_boundary(self.model, *boundary, title=f"decision boundary, epoch {epoch + 1}",
                                   resolution=self.resolution, ax=axes[-1])
        self._last_drawn = epoch
        if self._show:
            self._display()

    def _display(self):
        from IPython.display import display

        if self._handle is None:
            self._handle = display(self.figure, display_id=True)
        else:
            self._handle.update(self.figure)


# ---- a model as a table ----


def _leaf_rows(module, name=""):
    """`(name, module)` for the rows of the table: modules with no submodules, and scalar Layers."""
    from ..micro import Layer

    children = list(module.named_children())
    if not children or isinstance(module, Layer):
        yield name or type(module).__name__, module
        return
    for child_name, child in children:
        yield from _leaf_rows(child, f"{name}.{child_name}" if name else child_name)


def _parameter_count(module):
    return sum(1 if isinstance(p, Value) else int(np.size(p.data)) for p in module.parameters())


def _shape_text(output):
    if isinstance(output, Tensor):
        return str((None, *output.shape[1:])) if output.ndim >= 1 else "()"
    if isinstance(output, Value):
        return "scalar"
    if isinstance(output, (list, tuple)):
        return f"{len(output)} Value" + ("" if len(output) == 1 else "s")
    return "?"


def _guess_input(model):
    """A one-sample input for the model, from its first layer's input size (None if unknown)."""
    from ..micro import Layer, Neuron
    from ..nn.layers import Linear

    for module in model.modules():
        if isinstance(module, Linear):
            return Tensor(np.zeros((1, module.in_features)), dtype=module.weight.dtype)
        if isinstance(module, Neuron):
            return [0.0] * len(module.w)
        if isinstance(module, Layer):
            return [0.0] * len(module.neurons[0].w)
    return None


def _trace_output_shapes(model, rows, sample):
    """Run `sample` through `model` once and note each row module's output shape.

    Modules have no forward hooks, so each row's class is swapped for a subclass whose
    `__call__` records the output, and swapped back afterwards: the model is unchanged.
    """
    shapes = {}
    swapped = []
    try:
        for row_name, module in rows:
            cls = type(module)

            def recording_call(self, *args, _cls=cls, _row=row_name, **kwargs):
                out = _cls.__call__(self, *args, **kwargs)
                shapes.setdefault(_row, _shape_text(out))
                return out

            module.__class__ = type(cls.__name__, (cls,), {"__call__": recording_call})
            swapped.append((module, cls))
        was_training = model.training
        model.eval()
        try:
            with graph.no_grad():
                model(sample)
        finally:
            model.train(was_training)
    finally:
        for module, cls in swapped:
            module.__class__ = cls
    return shapes


class ModuleSummary:
    """Layers, output shapes and parameter counts of a model: text by `str`, HTML in notebooks."""

    def __init__(self, model, rows, total):
        self.model_name = type(model).__name__
        self.rows = rows      # (layer, type, output shape, parameters)
        self.total = total

    def __str__(self):
        header = ("Layer", "Type", "Output shape", "Parameters")
        cells = [header] + [(a, b, c, f"{d:,}") for a, b, c, d in self.rows]
        widths = [max(len(str(row[i])) for row in cells) for i in range(4)]

        def line(row):
            return "  ".join(str(cell).rjust(w) if i == 3 else str(cell).ljust(w)
                             for i, (cell, w) in enumerate(zip(row, widths)))

        rule = "-" * len(line(header))
        body = [line(row) for row in cells[1:]]
        return "\n".join([f"{self.model_name}", rule, line(header), rule, *body, rule,
                          f"Total parameters: {self.total:,}"])

    __repr__ = __str__

    def _repr_html_(self):
        head = "".join(f"<th style='text-align:{'right' if i == 3 else 'left'}'>{h}</th>"
                       for i, h in enumerate(("Layer", "Type", "Output shape", "Parameters")))
        body = "".join(
            f"<tr><td><code>{html.escape(a)}</code></td><td>{html.escape(b)}</td>"
            f"<td><code>{html.escape(c)}</code></td><td style='text-align:right'>{d:,}</td></tr>"
            for a, b, c, d in self.rows)
        return (f"<table><caption style='text-align:left'><b>{html.escape(self.model_name)}</b></caption>"
                f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody>"
                f"<tfoot><tr><td colspan='3'><b>Total parameters</b></td>"
                f"<td style='text-align:right'><b>{self.total:,}</b></td></tr></tfoot></table>")


def module_summary(model, input_shape=None):
    """A Keras-like table of `model`: each layer, its output shape and its parameter count.

    `input_shape` is one sample's shape without the batch axis, e.g. `(64,)`; left out, it is
    read from the first layer. Output shapes come from running one zero sample through the
    model in eval mode with no graph (the model is left as it was); `?` marks a shape that
    could not be found. `str()` gives the text table, and a notebook shows it as HTML.

        >>> from scratchgrad import nn
        >>> print(module_summary(nn.MLP(4, [8], 3)))
        MLP
        ---------------------------------------
        Layer  Type    Output shape  Parameters
        ---------------------------------------
        0      Linear  (None, 8)             40
        1      ReLU    (None, 8)              0
        2      Linear  (None, 3)             27
        ---------------------------------------
        Total parameters: 67
    """
    rows = list(_leaf_rows(model))
    if input_shape is not None:
        shape = (input_shape,) if isinstance(input_shape, (int, np.integer)) else tuple(input_shape)
        sample = _guess_input(model)
        sample = [0.0] * shape[0] if isinstance(sample, list) else Tensor(
            np.zeros((1, *shape)), dtype=getattr(model.parameters()[0].data, "dtype", None))
        shapes = _trace_output_shapes(model, rows, sample)  # a wrong input_shape is the user's error: raise
    else:
        sample = _guess_input(model)
        try:
            shapes = _trace_output_shapes(model, rows, sample) if sample is not None else {}
        except Exception:  # a display must never fail: without shapes the table still helps
            shapes = {}
    table = [(name, type(module).__name__, shapes.get(name, "?"), _parameter_count(module))
             for name, module in rows]
    return ModuleSummary(model, table, _parameter_count(model))


# ---- a History as a table with its curves ----


def history_html(history, max_rows=10):
    """`fit`'s History as HTML: a table of the epochs (first and last ones if many) and its curves.

    The curves are a PNG inside the HTML when matplotlib is installed.
    """
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict):
        raise ValueError("history_html needs fit()'s History or a dict of per-epoch lists")
    names = list(logs)
    n = max((len(v) for v in logs.values()), default=0)
    epochs = list(range(n))
    if n > max_rows:
        half = max_rows // 2
        epochs = epochs[:half] + [None] + epochs[-half:]
    head = "<th>epoch</th>" + "".join(f"<th>{html.escape(name)}</th>" for name in names)
    body = []
    for e in epochs:
        if e is None:
            body.append(f"<tr><td colspan='{len(names) + 1}' style='text-align:center'>…</td></tr>")
        else:
            cells = "".join(f"<td>{logs[name][e]:.4f}</td>" if e < len(logs[name]) else "<td></td>"
                            for name in names)
            body.append(f"<tr><td>{e + 1}</td>{cells}</tr>")
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"
    picture = ""
    if n and "loss" in logs:
        try:
            from .plots import plot_history

            png = plot_history(logs)._repr_png_()
            picture = (f"<img alt='training curves' style='max-width:100%' "
                       f"src='data:image/png;base64,{base64.b64encode(png).decode()}'>")
        except ImportError:
            pass  # no matplotlib: the table alone
    return f"<div><b>History</b>: {n} epochs{table}{picture}</div>"
