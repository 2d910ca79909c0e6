"""The tutorials' plots, with matplotlib's object API: no pyplot, no window, no `show()`.

Every function returns a `matplotlib.figure.Figure` (a subclass that Jupyter displays inline
by itself, see `figure.py`); pass `path=` to also save it (PNG, SVG or PDF by suffix). They
work on a machine without a display.
"""

from __future__ import annotations

import numpy as np

from .. import graph
from ..errors import InvalidParameterError, MissingDependencyError
from ..tensor import Tensor
from ..value import Value


def _figure(figsize):
    try:
        from .figure import Figure
    except ImportError:
        raise MissingDependencyError("plots need matplotlib: pip install 'scratchgrad[viz]'") from None
    return Figure(figsize=figsize, layout="constrained")


def _finish(figure, path):
    if path is not None:
        figure.savefig(path, dpi=100)
    return figure


def plot_activations(path=None):
    """Sigmoid, tanh, ReLU and leaky ReLU with their derivatives, computed by the tensor engine."""
    figure = _figure((12, 3))
    x = np.linspace(-5, 5, 201)
    names = {"sigmoid": Tensor.sigmoid, "tanh": Tensor.tanh, "ReLU": Tensor.relu,
             "leaky ReLU (0.1)": lambda t: t.leaky_relu(0.1)}
    for ax, (name, function) in zip(figure.subplots(1, 4), names.items()):
        t = Tensor(x, requires_grad=True, dtype=np.float64)
        out = function(t)
        out.sum().backward()  # each output depends on its own input: the sum's gradient is f'(x)
        ax.plot(x, out.data, label=name)
        ax.plot(x, t.grad, "--", label="derivative")
        ax.set_title(name)
        ax.axhline(0, color="grey", linewidth=0.5)
        ax.legend(loc="upper left", fontsize=8)
    return _finish(figure, path)


def plot_neuron_surface(neuron, x_range=(-5, 5), path=None):
    """Seed 000's picture: the output of a two-input scalar `Neuron` over the input plane."""
    if not hasattr(neuron, "w") or len(neuron.w) != 2:
        raise ValueError("plot_neuron_surface needs a scalar Neuron with two inputs, e.g. Neuron(2)")
    grid = np.linspace(*x_range, 41)
    xx, yy = np.meshgrid(grid, grid)
    with graph.no_grad():
        zz = np.array([[neuron([a, b]).data for a, b in zip(row_x, row_y)] for row_x, row_y in zip(xx, yy)])
    figure = _figure((7, 5))
    ax = figure.add_subplot(projection="3d")
    ax.plot_surface(xx, yy, zz, cmap="viridis")
    ax.set_xlabel("x1")
    ax.set_ylabel("x2")
    ax.set_zlabel("output")
    ax.set_title(f"{neuron!r}: output over (x1, x2)")
    return _finish(figure, path)


# ---- decision boundaries ----

REGION_STRENGTH = 0.3  # how much of its class's colour a region keeps; the rest is white


def class_colours(count):
    """One colour per class, from matplotlib's qualitative palettes (tab10; tab20 past ten classes)."""
    from matplotlib import colormaps

    palette = colormaps["tab10" if count <= 10 else "tab20"].colors
    return np.array([palette[i % len(palette)] for i in range(count)])


def tint(colours, strength=REGION_STRENGTH):
    """Colours mixed with white: lighter, with the same hue (every channel moves toward 1 by one fraction)."""
    return strength * np.asarray(colours, dtype=float) + (1 - strength)


def _output_threshold(model):
    """Where a one-output network switches class: 0.5 after a sigmoid, 0 for a logit or a tanh."""
    last = model.layers[-1] if hasattr(model, "layers") and len(model.layers) else None
    if last is not None and hasattr(last, "neurons"):  # a scalar Layer
        return 0.5 if last.neurons[0].activation == "sigmoid" else 0.0
    return 0.5 if type(last).__name__ == "Sigmoid" else 0.0


def _two_classes(outputs, threshold, labels):
    """One output per row: the higher of two labels above the threshold (micrograd's -1/1 too), else 0/1."""
    low, high = (labels[0], labels[1]) if len(labels) == 2 else (0, 1)
    return np.where(np.asarray(outputs, dtype=float).ravel() > threshold, high, low)


def _predictor(model, labels):
    """A function from an (n, 2) array to class labels, for any kind of classifier."""
    if hasattr(model, "predict"):  # a scratchgrad or scikit-learn estimator
        columns = getattr(model, "feature_names_in_", None)
        if columns is not None:  # fitted on a DataFrame: give it one with the same names, or it warns
            import pandas as pd

            return lambda X: np.asarray(model.predict(pd.DataFrame(X, columns=list(columns))))
        return lambda X: np.asarray(model.predict(X))
    if hasattr(model, "layers") and hasattr(model, "parameters") and isinstance(model.parameters()[0], Value):
        def predict_scalar(X):  # a scalar MLP, one row at a time
            with graph.no_grad():
                outputs = [model(row) for row in X.tolist()]
            if isinstance(outputs[0], Value):
                return _two_classes([o.data for o in outputs], _output_threshold(model), labels)
            return np.array([np.argmax([o.data for o in out]) for out in outputs])
        return predict_scalar
    if callable(model):  # a tensor module giving one logit per class (or one for two classes)
        def predict_tensor(X):
            was_training = getattr(model, "training", False)
            if hasattr(model, "eval"):
                model.eval()
            try:
                with graph.no_grad():
                    out = model(Tensor(X)).data
            finally:
                if hasattr(model, "train"):
                    model.train(was_training)
            if out.ndim == 1 or out.shape[-1] == 1:
                return _two_classes(out, _output_threshold(model), labels)
            return out.argmax(axis=-1)
        return predict_tensor
    raise TypeError(f"plot_decision_boundary needs a model with predict() or a callable module, "
                    f"got {type(model).__name__}")


def _points(X, y, which):
    """`X` as an (n, 2) float array and `y` as n labels (one-hot rows become class numbers)."""
    columns = list(map(str, X.columns)) if hasattr(X, "columns") else None
    X, y = np.asarray(X, dtype=float), np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"plot_decision_boundary needs two features, {which} has shape {X.shape}")
    if y.ndim == 2 and y.shape[1] > 1:
        y = y.argmax(axis=1)
    y = y.ravel()
    if len(X) != len(y):
        raise ValueError(f"{which} has {len(X)} rows but its labels have {len(y)}")
    return X, y, columns


def _class_names(labels, class_names):
    if class_names is None:
        return [str(label) if isinstance(label, str) else f"class {label}" for label in labels]
    if isinstance(class_names, dict):
        return [str(class_names.get(label, label)) for label in labels]
    class_names = list(class_names)
    if len(class_names) < len(labels):
        raise InvalidParameterError(f"class_names has {len(class_names)} names for {len(labels)} classes "
                         f"({', '.join(map(str, labels))}): give one per class, in sorted order, or a dict")
    return [str(name) for name in class_names[:len(labels)]]


def _feature_names(feature_names, columns, model):
    if feature_names is None:
        feature_names = columns if columns is not None else getattr(model, "feature_names_in_", None)
    if feature_names is None:
        return ["x1", "x2"]
    feature_names = [str(name) for name in feature_names]
    if len(feature_names) != 2:
        raise InvalidParameterError(f"feature_names needs two names (the horizontal and vertical axes), "
                                    f"got {feature_names}")
    return feature_names


def _class_legend(ax, names, colours, point_sets, beside):
    """One entry per class (its region's tint under a point of its colour); markers for train and test.

    `beside`: to the right of the plot, as a legend of the whole figure (constrained layout makes
    room for it, and the same figure drawn twice gives the same picture, which a legend placed
    outside its axes by hand does not); else inside the axes, where it hides the fewest points.
    """
    from matplotlib.legend_handler import HandlerTuple
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles = [(Patch(facecolor=region, edgecolor="none"),
                Line2D([], [], linestyle="", marker="o", markersize=6, markerfacecolor=colour,
                       markeredgecolor="0.2", markeredgewidth=0.5))
               for region, colour in zip(tint(colours), colours)]
    labels = list(names)
    if len(point_sets) > 1:
        for marker, caption in point_sets:
            handles.append(Line2D([], [], linestyle="", marker=marker["marker"], markersize=6, markerfacecolor="0.6",
                                  markeredgecolor=marker["edgecolors"], markeredgewidth=marker["linewidths"]))
            labels.append(caption)
    options = dict(handler_map={tuple: HandlerTuple(ndivide=1)}, fontsize=9, title="class")
    if beside:
        return ax.figure.legend(handles, labels, loc="outside right upper", frameon=False, **options)
    return ax.legend(handles, labels, loc="best", framealpha=0.85, **options)


TRAIN_MARKER = dict(marker="o", s=18, edgecolors="0.2", linewidths=0.4)
TEST_MARKER = dict(marker="^", s=34, edgecolors="black", linewidths=0.9)


def plot_decision_boundary(model, X, y, title=None, resolution=None, ax=None, path=None, *, X_test=None, y_test=None,
                           feature_names=None, class_names=None):
    """Seed 001's plot: the class a model predicts at each point of the plane, with the data on top.

    Class k's region is a light tint of the colour of class k's points, so a point whose colour
    differs from the ground beneath it is one the model gets wrong. Pass held-out rows as
    `X_test, y_test` to draw them as triangles beside the training circles (the legend gives each
    set's share predicted right). The legend sits beside the plot, or inside it when you pass
    your own `ax`.

    The legend names the classes: `class_names` (a list in the order of the sorted labels, or a
    dict from label to name), else the labels. The axes name the features: `feature_names`, else a
    DataFrame's columns, else x1 and x2. `resolution` is the number of grid points per axis: 200,
    or 100 for a scalar-engine network, which predicts one row at a time.

    >>> from scratchgrad import datasets, nn
    >>> X, y = datasets.make_spiral(30, 3, random_state=0)
    >>> figure = plot_decision_boundary(nn.MLP(2, [8], 3, seed=0), X, y, resolution=20,
    ...                                 class_names=["arm A", "arm B", "arm C"])
    >>> print(*(text.get_text() for text in figure.legends[0].get_texts()), sep=", ")
    arm A, arm B, arm C
    """
    X, y, columns = _points(X, y, "X")
    point_sets = [(X, y, TRAIN_MARKER, "train")]
    if (X_test is None) != (y_test is None):
        raise InvalidParameterError("pass both X_test and y_test to draw the test points, or neither")
    if X_test is not None:
        X_test, y_test, _ = _points(X_test, y_test, "X_test")
        point_sets.append((X_test, y_test, TEST_MARKER, "test"))
    is_scalar = hasattr(model, "parameters") and not hasattr(model, "predict") and model.parameters() \
        and isinstance(model.parameters()[0], Value)
    resolution = resolution or (100 if is_scalar else 200)
    given = np.unique(np.concatenate([labels for _, labels, _, _ in point_sets]))
    predict = _predictor(model, given)

    every_point = np.concatenate([points for points, _, _, _ in point_sets])
    pad = 0.1 * (every_point.max(axis=0) - every_point.min(axis=0) + 1e-9)
    (x_min, y_min), (x_max, y_max) = every_point.min(axis=0) - pad, every_point.max(axis=0) + pad
    cells_x = x_min + (np.arange(resolution) + 0.5) * (x_max - x_min) / resolution  # centres of the grid's cells
    cells_y = y_min + (np.arange(resolution) + 0.5) * (y_max - y_min) / resolution
    xx, yy = np.meshgrid(cells_x, cells_y)
    predicted = predict(np.c_[xx.ravel(), yy.ravel()])
    labels = np.unique(np.concatenate([given, predicted]))
    colours = class_colours(len(labels))

    figure = None
    if ax is None:
        figure = _figure((6.8, 5))
        ax = figure.subplots()
    from matplotlib.colors import ListedColormap

    # cells drawn as they are (no interpolation): a smoothed boundary between classes 0 and 2
    # would show a false strip of class 1's colour
    ax.imshow(np.searchsorted(labels, predicted).reshape(xx.shape), origin="lower", interpolation="nearest",
              extent=(x_min, x_max, y_min, y_max), aspect="auto", cmap=ListedColormap(tint(colours)),
              vmin=-0.5, vmax=len(labels) - 0.5)
    captions = []
    for points, targets, marker, set_name in point_sets:
        ax.scatter(points[:, 0], points[:, 1], c=colours[np.searchsorted(labels, targets)], **marker)
        right = np.mean(predict(points) == targets) if len(point_sets) > 1 else None
        captions.append((marker, f"{set_name}: {right:.0%} right" if right is not None else set_name))
    ax.set_xlim(x_min, x_max)
    ax.set_ylim(y_min, y_max)
    x_name, y_name = _feature_names(feature_names, columns, model)
    ax.set_xlabel(x_name)
    ax.set_ylabel(y_name)
    ax.set_title(title or "Decision boundary")
    _class_legend(ax, _class_names(labels, class_names), colours, captions, beside=figure is not None)
    return _finish(figure if figure is not None else ax.figure, path)


# ---- training curves ----

LOG_SCALE_DECADES = 1.5  # a curve falling further than this (a factor of ~32) is drawn on a log axis
SHRINKING_TOWARD_ZERO = ("loss", "mse", "mae", "rmse", "error")  # accuracy and other scores stay linear


def _history_logs(history):
    """`{name: values}` from fit's History, a dict, or a plain list of losses (a hand-written loop's)."""
    if isinstance(history, (list, tuple, np.ndarray)):
        history = {"loss": [float(value) for value in np.ravel(history)]}
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict) or "loss" not in logs:
        raise ValueError("plot_history needs fit()'s History, a dict with at least a 'loss' list, "
                         "or a list of losses")
    if len(logs["loss"]) == 0:
        raise ValueError("plot_history got no epochs: the 'loss' list is empty")
    return logs


def curve_names(logs):
    """The quantities with a panel each: `loss` and the metrics (validation goes with its own)."""
    return [name for name in logs if not name.startswith("val_")]


def spans_decades(values, decades=LOG_SCALE_DECADES):
    """True when positive values range over more than `decades` powers of ten."""
    values = np.asarray(values, dtype=float)
    values = values[np.isfinite(values)]
    return values.size > 1 and values.min() > 0 and values.max() / values.min() > 10 ** decades


def _log_axis(ax, values):
    """A log y axis labelled in plain numbers (0.02, 0.1, 1), not 2 x 10^-2."""
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    ax.set_yscale("log")
    plain = FuncFormatter(lambda value, _: f"{value:g}")
    ax.yaxis.set_major_formatter(plain)
    values = values[np.isfinite(values)]
    if np.log10(values.max() / values.min()) < 3:  # few powers of ten: label 2 and 5 times each as well
        ax.yaxis.set_minor_locator(LogLocator(subs=(2.0, 5.0)))
        ax.yaxis.set_minor_formatter(plain)
    else:
        ax.yaxis.set_minor_formatter(NullFormatter())


def draw_history(axes, logs, epochs=None, x_label="epoch"):
    """Draw one panel per quantity of `logs` on `axes` (as many as `curve_names(logs)`).

    Epochs are numbered from 1 (or from `epochs`, fit's 0-based epoch numbers), with whole-number
    ticks. A loss (or an error such as mse) falling over more than 1.5 decades gets a log axis, so
    its last, small values stay visible.
    """
    from matplotlib.ticker import MaxNLocator

    for ax, name in zip(axes, curve_names(logs)):
        curves = {"train": logs[name]}
        if f"val_{name}" in logs:
            curves["validation"] = logs[f"val_{name}"]
        for curve, values in curves.items():
            steps = np.arange(1, len(values) + 1) if epochs is None or len(epochs) != len(values) \
                else np.asarray(epochs) + 1
            last = f", last {values[-1]:.3g}" if len(values) else ""
            ax.plot(steps, values, marker="." if len(values) < 30 else None, label=f"{curve}{last}")
        ax.set_title(name)
        ax.set_xlabel(x_label)
        ax.set_ylabel(name)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True, steps=[1, 2, 5, 10]))
        values = np.concatenate([np.asarray(v, dtype=float) for v in curves.values()])
        if any(word in name.lower() for word in SHRINKING_TOWARD_ZERO) and spans_decades(values):
            _log_axis(ax, values)
            ax.set_ylabel(f"{name} (log scale)")
        ax.grid(alpha=0.3)
        ax.legend()


def plot_history(history, path=None, x_label="epoch"):
    """Loss and each metric per epoch, training and validation, from `fit`'s History, a dict or a list.

    A hand-written loop's list of losses works as it is: `plot_history(losses)` (pass
    `x_label="step"` if each entry is one update rather than one epoch). A loss falling over more
    than 1.5 powers of ten is drawn on a log axis, so that its last, small values show:

    >>> figure = plot_history([6.2, 1.3, 0.31, 0.052, 0.0047])
    >>> axes = figure.axes[0]
    >>> axes.get_yscale(), axes.get_xlabel(), axes.get_ylabel()
    ('log', 'epoch', 'loss (log scale)')
    """
    logs = _history_logs(history)
    names = curve_names(logs)
    figure = _figure((5 * len(names), 4))
    draw_history(np.atleast_1d(figure.subplots(1, len(names))), logs, epochs=getattr(history, "epoch", None),
                 x_label=x_label)
    return _finish(figure, path)


def plot_confusion_matrix(y_true, y_pred, labels=None, normalize=False, path=None):
    """Counts (or row fractions) of true against predicted classes, numbers in the cells."""
    from ..metrics import confusion_matrix

    y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
    if labels is None:
        labels = np.unique(np.concatenate([y_true, y_pred]))
    matrix = confusion_matrix(y_true, y_pred, labels=labels).astype(float)
    if normalize:
        matrix = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    size = max(4, 0.6 * len(labels) + 2)
    figure = _figure((size + 1, size))
    ax = figure.subplots()
    image = ax.imshow(matrix, cmap="Blues")
    figure.colorbar(image, ax=ax)
    ax.set_xticks(range(len(labels)), [str(label) for label in labels], rotation=45)
    ax.set_yticks(range(len(labels)), [str(label) for label in labels])
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title("Confusion matrix")
    for i in range(len(labels)):
        for j in range(len(labels)):
            value = f"{matrix[i, j]:.2f}" if normalize else f"{int(matrix[i, j])}"
            ax.text(j, i, value, ha="center", va="center",
                    color="white" if matrix[i, j] > matrix.max() / 2 else "black", fontsize=8)
    return _finish(figure, path)


def plot_regression(y_true, y_pred, path=None):
    """Predicted against true values, with the line where they would be equal."""
    y_true, y_pred = np.ravel(y_true), np.ravel(y_pred)
    if y_true.shape != y_pred.shape:
        raise ValueError(f"y_true has {y_true.size} values but y_pred has {y_pred.size}")
    figure = _figure((5, 5))
    ax = figure.subplots()
    ax.scatter(y_true, y_pred, s=12, alpha=0.7)
    low, high = min(y_true.min(), y_pred.min()), max(y_true.max(), y_pred.max())
    ax.plot([low, high], [low, high], "k--", linewidth=1, label="predicted = true")
    ax.set_xlabel("true")
    ax.set_ylabel("predicted")
    ax.set_title("Predicted against true")
    ax.legend()
    return _finish(figure, path)
