"""The tutorials' plots, with matplotlib's object API: no pyplot, no window, no `show()`.

Every function returns a `matplotlib.figure.Figure` (a subclass that Jupyter displays inline
by itself, see `figure.py`); pass `path=` to also save it (PNG, SVG or PDF by suffix). They
work on a machine without a display.
"""

from __future__ import annotations

import numpy as np

from .. import graph
from ..errors import MissingDependencyError
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


def _predictor(model):
    """A function from an (n, 2) array to class predictions, for any kind of classifier."""
    if hasattr(model, "predict"):  # a scratchgrad or scikit-learn estimator
        return model.predict
    if hasattr(model, "layers") and isinstance(model.parameters()[0], Value):  # a scalar MLP
        def predict_scalar(X):
            with graph.no_grad():
                outputs = [model(row) for row in X.tolist()]
            if isinstance(outputs[0], Value):
                return np.array([o.data > 0 for o in outputs], dtype=int)
            return np.array([np.argmax([o.data for o in out]) for out in outputs])
        return predict_scalar
    if callable(model):  # a tensor module giving one logit per class (or one for two classes)
        def predict_tensor(X):
            was_training = getattr(model, "training", False)
            if hasattr(model, "eval"):
                model.eval()
            with graph.no_grad():
                out = model(Tensor(X)).data
            if hasattr(model, "train"):
                model.train(was_training)
            return (out.ravel() > 0).astype(int) if out.shape[-1] == 1 else out.argmax(axis=-1)
        return predict_tensor
    raise TypeError(f"plot_decision_boundary needs a model with predict() or a callable module, "
                    f"got {type(model).__name__}")


def plot_decision_boundary(model, X, y, title=None, resolution=200, ax=None, path=None):
    """Seed 001's plot: the classes a model predicts over the plane, with the data on top."""
    X, y = np.asarray(X, dtype=float), np.asarray(y)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"plot_decision_boundary needs two features, X has shape {X.shape}")
    if len(X) != len(y):
        raise ValueError(f"X has {len(X)} samples but y has {len(y)}")
    predict = _predictor(model)
    pad = 0.1 * (X.max(axis=0) - X.min(axis=0) + 1e-9)
    (x_min, y_min), (x_max, y_max) = X.min(axis=0) - pad, X.max(axis=0) + pad
    xx, yy = np.meshgrid(np.linspace(x_min, x_max, resolution), np.linspace(y_min, y_max, resolution))
    predicted = np.asarray(predict(np.c_[xx.ravel(), yy.ravel()]))
    labels = np.unique(np.concatenate([np.unique(y), np.unique(predicted)]))
    codes = {label: i for i, label in enumerate(labels)}
    grid_codes = np.array([codes[p] for p in predicted]).reshape(xx.shape)
    figure = None
    if ax is None:
        figure = _figure((6, 5))
        ax = figure.subplots()
    # the same colours for regions (pale) and points (full), so a point's colour names its region
    ax.contourf(xx, yy, grid_codes, levels=np.arange(len(labels) + 1) - 0.5, cmap="RdYlBu", alpha=0.35,
                vmin=0, vmax=max(len(labels) - 1, 1))
    ax.scatter(X[:, 0], X[:, 1], c=[codes[label] for label in y], cmap="RdYlBu", s=12, edgecolors="k",
               linewidths=0.3, vmin=0, vmax=max(len(labels) - 1, 1))
    ax.set_xlim(x_min, x_max)
    ax.set_ylim(y_min, y_max)
    ax.set_title(title or "Decision boundary")
    return _finish(figure if figure is not None else ax.figure, path)


def _history_logs(history):
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict) or "loss" not in logs:
        raise ValueError("plot_history needs fit()'s History or a dict with at least a 'loss' list")
    return logs


def curve_names(logs):
    """The quantities with a panel each: `loss` and the metrics (validation goes with its own)."""
    return [name for name in logs if not name.startswith("val_")]


def draw_history(axes, logs):
    """Draw one panel per quantity of `logs` on `axes` (as many as `curve_names(logs)`)."""
    for ax, name in zip(axes, curve_names(logs)):
        epochs = np.arange(1, len(logs[name]) + 1)
        ax.plot(epochs, logs[name], marker="." if len(epochs) < 30 else None, label="train")
        if f"val_{name}" in logs:
            ax.plot(epochs, logs[f"val_{name}"], marker="." if len(epochs) < 30 else None, label="validation")
        ax.set_title(name)
        ax.set_xlabel("epoch")
        ax.legend()


def plot_history(history, path=None):
    """Loss and each metric per epoch, training and validation, from `fit`'s History (or a dict)."""
    logs = _history_logs(history)
    names = curve_names(logs)
    figure = _figure((5 * len(names), 4))
    draw_history(np.atleast_1d(figure.subplots(1, len(names))), logs)
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
