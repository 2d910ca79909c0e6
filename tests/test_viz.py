"""Graph drawings and plots: they render, show what they should, and fail clearly."""

import html
import shutil

import numpy as np
import pytest
from PIL import Image

from scratchgrad import Tensor, Value, fit, nn
from scratchgrad import functional as F
from scratchgrad.datasets import make_spiral
from scratchgrad.estimators import MLPClassifier
from scratchgrad.nn.scalar import Neuron
from scratchgrad.viz import (
    draw_graph,
    plot_activations,
    plot_confusion_matrix,
    plot_decision_boundary,
    plot_history,
    plot_neuron_surface,
    plot_regression,
    save_graph,
)

needs_dot = pytest.mark.skipif(shutil.which("dot") is None,
                               reason="Graphviz's dot is not installed (CI installs it)")


def value_graph():
    a, b, c = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c")
    e = a * b
    e.label = "e"
    d = e + c
    d.label = "d"
    L = d.tanh()
    L.label = "L"
    L.backward()
    return L, [a, b, c, e, d, L]


@needs_dot
def test_value_graph_svg_shows_every_label_data_and_grad():
    L, nodes = value_graph()
    svg = html.unescape(draw_graph(L).pipe(format="svg").decode())
    for node in nodes:
        assert f">{node.label}</text>" in svg
        assert f"data {node.data:.4f}" in svg and f"grad {node.grad:.4f}" in svg
    for op in ("*", "+", "tanh"):
        assert f">{op}<" in svg


@needs_dot
def test_tensor_graph_svg_shows_shapes_data_and_grads(tmp_path):
    x = Tensor(np.arange(6.0).reshape(2, 3), requires_grad=True, label="x")
    W = Tensor(np.ones((3, 2)) * 0.5, requires_grad=True, label="W")
    loss = F.cross_entropy((x @ W).relu(), [0, 1])
    loss.label = "loss"
    loss.backward()
    path = save_graph(loss, tmp_path / "graph.svg")
    svg = html.unescape(path.read_text())
    assert "shape (2, 3)" in svg and "shape (3, 2)" in svg and ">loss</text>" in svg
    assert f"data {loss.item():.4f}" in svg and "grad 1.0000" in svg and "cross_entropy" in svg
    assert save_graph(loss, tmp_path / "graph.png").read_bytes()[:4] == b"\x89PNG"


@needs_dot
def test_record_characters_in_labels_render():
    a = Value(1.0, label="{weird|<label>}")
    (a * 2).backward()
    svg = html.unescape(draw_graph(a * 2).pipe(format="svg").decode())
    assert "{weird|<label>}" in svg


def test_large_graphs_are_refused_with_a_way_out():
    x = Value(1.0)
    y = x
    for _ in range(600):
        y = y * 1.001
    with pytest.raises(ValueError, match=r"601 nodes, more than max_nodes=500.*depth=3"):
        draw_graph(y)
    assert draw_graph(y, depth=3).source.count("record") == 4


def test_without_dot_the_message_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))  # no `dot` to be found
    L, _ = value_graph()
    with pytest.raises(RuntimeError, match="apt-get install graphviz"):
        save_graph(L, tmp_path / "g.svg")
    assert "tanh" in draw_graph(L).source  # the DOT text is still there
    assert not (tmp_path / "g.svg").exists()


# ---- plots ----

def pixels(path):
    return np.asarray(Image.open(path).convert("L"), dtype=float)


def assert_not_blank(path):
    assert pixels(path).std() > 10


def titles(figure):
    return [ax.get_title() for ax in figure.axes]


def test_plot_activations(tmp_path):
    figure = plot_activations(path=tmp_path / "act.png")
    assert titles(figure) == ["sigmoid", "tanh", "ReLU", "leaky ReLU (0.1)"]
    assert_not_blank(tmp_path / "act.png")


def test_plot_neuron_surface(tmp_path):
    figure = plot_neuron_surface(Neuron(2, activation="sigmoid", seed=0), path=tmp_path / "n.png")
    assert "output over" in titles(figure)[0]
    assert_not_blank(tmp_path / "n.png")
    with pytest.raises(ValueError, match="two inputs"):
        plot_neuron_surface(Neuron(3))


@pytest.mark.parametrize("kind", ["module", "estimator", "sklearn", "scalar"])
def test_plot_decision_boundary_for_any_classifier(tmp_path, kind):
    X, y = make_spiral(60, 3, random_state=0)
    if kind == "module":
        model = nn.MLP(2, [16], 3, seed=0)
        fit(model, X, y, epochs=5, verbose=0)
    elif kind == "estimator":
        model = MLPClassifier(hidden_layer_sizes=(16,), max_iter=20, tol=1).fit(X, np.array(["a", "b", "c"])[y])
        y = np.array(["a", "b", "c"])[y]
    elif kind == "sklearn":
        from sklearn.neighbors import KNeighborsClassifier
        model = KNeighborsClassifier().fit(X, y)
    else:
        model = nn.ScalarMLP(2, [4, 3], seed=0)
    figure = plot_decision_boundary(model, X, y, title=f"{kind} boundary", resolution=30,
                                    path=tmp_path / "b.png")
    assert titles(figure) == [f"{kind} boundary"]
    assert_not_blank(tmp_path / "b.png")


def test_plot_history_confusion_and_regression(tmp_path):
    X, y = make_spiral(50, 3, random_state=0)
    history = fit(nn.MLP(2, [8], 3, seed=0), X, y, epochs=4, validation_split=0.2, verbose=0, seed=0)
    assert titles(plot_history(history, path=tmp_path / "h.png")) == ["loss", "accuracy"]
    assert_not_blank(tmp_path / "h.png")
    figure = plot_confusion_matrix([0, 1, 2, 2], [0, 2, 2, 2], path=tmp_path / "c.png")
    assert "Confusion matrix" in titles(figure)
    assert_not_blank(tmp_path / "c.png")
    figure = plot_regression([1.0, 2.0, 3.0], [1.1, 1.9, 3.2], path=tmp_path / "r.png")
    assert titles(figure) == ["Predicted against true"]
    assert_not_blank(tmp_path / "r.png")
    with pytest.raises(ValueError, match="two features"):
        plot_decision_boundary(nn.MLP(3, [4], 2), np.zeros((5, 3)), np.zeros(5))
