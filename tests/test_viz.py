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
from scratchgrad.micro import MLP as ScalarMLP
from scratchgrad.micro import Neuron
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
        model = ScalarMLP(2, [4, 3], seed=0)
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


# ---- notebook displays (their behaviour in a real kernel is in test_notebooks.py) ----


def test_plots_stay_pyplot_free_and_carry_a_png_for_jupyter():
    import subprocess
    import sys

    code = ("import sys\nfrom scratchgrad import viz\n"
            "figure = viz.plot_history({'loss': [1.0, 0.5]})\n"
            "png = figure._repr_png_()\n"
            "assert png[:4] == b'\\x89PNG', png[:8]\n"
            "print('pyplot' if 'matplotlib.pyplot' in sys.modules else 'no pyplot')")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "no pyplot"


def test_figure_png_shows_what_savefig_writes(tmp_path):
    figure = plot_regression([1.0, 2.0, 3.0], [1.1, 1.9, 3.2], path=tmp_path / "r.png")
    (tmp_path / "shown.png").write_bytes(figure._repr_png_())
    shown, saved = pixels(tmp_path / "shown.png"), pixels(tmp_path / "r.png")
    assert shown.std() > 10 and abs(shown.mean() - saved.mean()) < 10  # same picture, maybe cropped tighter


def test_module_summary_counts_match_pytorch_and_shapes_match_a_forward_pass():
    from scratchgrad.export import to_torch
    from scratchgrad.viz import module_summary

    model = nn.MLP(4, [8, 5], 3, dropout=0.1, seed=0)
    summary = module_summary(model)
    torch_model = to_torch(model)
    expected_counts = [sum(p.numel() for p in child.parameters()) for _, child in torch_model.named_children()]
    assert [row[3] for row in summary.rows] == expected_counts
    assert summary.total == sum(p.numel() for p in torch_model.parameters())
    x = Tensor(np.zeros((1, 4)), dtype=np.float32)
    for (name, kind, shape, _), layer in zip(summary.rows, model.layers):
        x = layer(x)
        assert (name, kind, shape) == (name, type(layer).__name__, str((None, *x.shape[1:])))
    text = str(summary)
    assert "Total parameters: 103" in text and "(None, 5)" in text
    assert "<td><code>(None, 3)</code></td>" in summary._repr_html_()
    assert model.training  # the summary's forward pass ran in eval mode and put the mode back
    assert type(model.layers[0]) is nn.Linear  # and left every layer its own class


def test_module_summary_of_a_scalar_mlp_and_with_a_given_input_shape():
    from scratchgrad.viz import module_summary

    scalar = ScalarMLP(3, [4, 4, 1], seed=0)
    summary = module_summary(scalar)
    assert [row[3] for row in summary.rows] == [16, 20, 5]  # (inputs + 1 bias) per neuron
    x = [0.0, 0.0, 0.0]
    for row, layer in zip(summary.rows, scalar.layers):
        x = layer(x)  # micro's Layer of one neuron gives a bare Value, as micrograd's does
        assert row[2] == ("scalar" if isinstance(x, Value) else f"{len(x)} Values")
    assert summary.rows[-1][2] == "scalar"
    assert summary.total == len(scalar.parameters())
    with pytest.raises(ValueError, match="got input with 5 features"):
        module_summary(nn.MLP(4, [8], 3), input_shape=(5,))


def test_history_html_lists_every_epoch_and_embeds_the_curves():
    from scratchgrad.viz import history_html

    X, y = make_spiral(30, 3, random_state=0)
    history = fit(nn.MLP(2, [8], 3, seed=0), X, y, epochs=3, validation_split=0.2, verbose=0, seed=0)
    text = history_html(history)
    assert text.count("<tr>") == 1 + 3
    assert f"{history['val_loss'][-1]:.4f}" in text and "data:image/png;base64," in text
    long = history_html({"loss": list(np.linspace(1, 0, 40))}, max_rows=6)
    assert long.count("<tr>") == 1 + 6 + 1 and "<td>40</td>" in long


def test_liveplot_outside_a_notebook_warns_once_and_keeps_the_last_picture():
    from scratchgrad.viz import LivePlot

    X, y = make_spiral(30, 3, random_state=0)
    live = LivePlot(X, y, every=2, resolution=20)
    with pytest.warns(UserWarning, match="Jupyter") as record:
        fit(nn.MLP(2, [8], 3, seed=0), X, y, epochs=3, validation_split=0.2, callbacks=[live], verbose=0, seed=0)
    assert len(record) == 1
    assert titles(live.figure) == ["loss", "accuracy", "decision boundary, epoch 3"]
    assert [len(line.get_xdata()) for line in live.figure.axes[0].lines] == [3, 3]  # train and validation
    regression = LivePlot(X, y)  # no accuracy in the logs: curves only, no boundary
    with pytest.warns(UserWarning):
        fit(nn.MLP(2, [8], 1, seed=0), X, y.astype(float), loss="mse", epochs=2, callbacks=[regression],
            verbose=0)
    assert titles(regression.figure) == ["loss"]
    with pytest.raises(ValueError, match="both X and y"):
        LivePlot(X)


def test_liveplot_draws_the_boundary_of_the_data_fit_hands_to_callbacks():
    from types import SimpleNamespace

    from scratchgrad.viz import LivePlot

    X, y = make_spiral(30, 3, random_state=0)
    live = LivePlot(resolution=20)  # no data given: it reads fit_state.X / fit_state.y when fit sets them
    live.model, live.fit_state = nn.MLP(2, [8], 3, seed=0), SimpleNamespace(X=X, y=np.eye(3)[y])
    with pytest.warns(UserWarning):
        live.on_train_begin()
    live.on_epoch_end(0, {"loss": 1.0, "accuracy": 0.4})
    assert titles(live.figure) == ["loss", "accuracy", "decision boundary, epoch 1"]
    live.fit_state = SimpleNamespace()  # a fit that shares no data: curves only
    live.on_epoch_end(1, {"loss": 0.9, "accuracy": 0.5})
    assert titles(live.figure) == ["loss", "accuracy"]


def test_plots_without_matplotlib_name_the_extra_to_install():
    import subprocess
    import sys

    code = ("import sys\nsys.modules['matplotlib'] = None  # as if it were not installed\n"
            "from scratchgrad.errors import MissingDependencyError\nfrom scratchgrad.viz import plot_history\n"
            "try:\n    plot_history({'loss': [1.0]})\nexcept MissingDependencyError as error:\n    print(error)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pip install 'scratchgrad[viz]'" in result.stdout
