"""Graph drawings and plots: they render, show what they should, and fail clearly."""

import html
import shutil
import warnings

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


# ---- pictures a teacher can use (issue 13): read back from the Figure, not from pixels ----


def hue(rgb):
    from matplotlib.colors import rgb_to_hsv

    return rgb_to_hsv(np.asarray(rgb, dtype=float)[:3])


def three_blobs():
    from sklearn.datasets import make_blobs

    return make_blobs(90, centers=[(-2, -2), (2, -2), (0, 2)], cluster_std=0.6, random_state=0)


def region_at(ax, point):
    """The RGB colour the decision regions give the grid cell holding `point`."""
    image = ax.images[0]
    x_min, x_max, y_min, y_max = image.get_extent()
    codes = image.get_array()
    row = int((point[1] - y_min) / (y_max - y_min) * codes.shape[0])
    column = int((point[0] - x_min) / (x_max - x_min) * codes.shape[1])
    return image.to_rgba(codes[row, column])[:3]


def test_boundary_regions_are_light_tints_of_their_class_points_colour():
    from sklearn.linear_model import LogisticRegression

    X, y = three_blobs()
    model = LogisticRegression().fit(X, y)
    ax = plot_decision_boundary(model, X, y, resolution=50).axes[0]
    points = ax.collections[0]
    assert np.allclose(points.get_offsets(), X)
    point_colours = points.get_facecolors()[:, :3]
    right = model.predict(X) == y
    hues = []
    for k in range(3):
        inside = np.flatnonzero(right & (y == k))[0]  # a class-k point the model puts in class k's region
        point_hsv, region_hsv = hue(point_colours[inside]), hue(region_at(ax, X[inside]))
        assert np.all(np.isclose(point_colours[y == k], point_colours[inside]).all(axis=1))  # one colour a class
        assert region_hsv[0] == pytest.approx(point_hsv[0], abs=1e-6)  # the same hue...
        assert region_hsv[1] < 0.6 * point_hsv[1] and region_hsv[2] >= point_hsv[2]  # ...paler
        hues.append(point_hsv[0])
    assert min(abs(a - b) for a, b in [(hues[0], hues[1]), (hues[0], hues[2]), (hues[1], hues[2])]) > 0.05


def legend_texts(ax):
    legend = ax.get_legend() or ax.figure.legends[0]  # a boundary's legend is the figure's, beside the plot
    return [text.get_text() for text in legend.get_texts()]


def test_boundary_legend_names_classes_and_axes_name_features():
    from sklearn.linear_model import LogisticRegression

    from scratchgrad.errors import InvalidParameterError

    X, y = three_blobs()
    model = LogisticRegression().fit(X, y)
    ax = plot_decision_boundary(model, X, y, resolution=20).axes[0]
    assert legend_texts(ax) == ["class 0", "class 1", "class 2"]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x1", "x2")
    ax = plot_decision_boundary(model, X, y, resolution=20, class_names=["setosa", "versicolor", "virginica"],
                                feature_names=["petal length", "petal width"]).axes[0]
    assert legend_texts(ax) == ["setosa", "versicolor", "virginica"]
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("petal length", "petal width")
    with pytest.raises(InvalidParameterError, match="2 names for 3 classes"):
        plot_decision_boundary(model, X, y, resolution=5, class_names=["setosa", "versicolor"])
    names = np.array(["cat", "dog", "eel"])
    ax = plot_decision_boundary(LogisticRegression().fit(X, names[y]), X, names[y], resolution=20).axes[0]
    assert legend_texts(ax) == ["cat", "dog", "eel"]


def test_boundary_takes_feature_names_from_a_dataframe():
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    X, y = three_blobs()
    frame = pd.DataFrame(X, columns=["sepal length", "sepal width"])
    model = LogisticRegression().fit(frame, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # scikit-learn warns when a model fitted on names is given none
        ax = plot_decision_boundary(model, frame, y, resolution=20).axes[0]
        assert (ax.get_xlabel(), ax.get_ylabel()) == ("sepal length", "sepal width")
        ax = plot_decision_boundary(model, X, y, resolution=20).axes[0]  # the names the model was fitted with
        assert (ax.get_xlabel(), ax.get_ylabel()) == ("sepal length", "sepal width")


def test_boundary_tells_train_and_test_points_apart_and_scores_each():
    from sklearn.metrics import accuracy_score
    from sklearn.neighbors import KNeighborsClassifier

    X, y = make_spiral(40, 3, random_state=0)
    X_test, y_test = make_spiral(20, 3, random_state=1)
    model = KNeighborsClassifier(n_neighbors=7).fit(X, y)
    ax = plot_decision_boundary(model, X, y, X_test=X_test, y_test=y_test, resolution=30).axes[0]
    train, test = ax.collections[:2]
    assert np.allclose(train.get_offsets(), X) and np.allclose(test.get_offsets(), X_test)
    assert not np.allclose(train.get_paths()[0].vertices[:3], test.get_paths()[0].vertices[:3])  # other marker
    assert legend_texts(ax) == ["class 0", "class 1", "class 2",
                                f"train: {accuracy_score(y, model.predict(X)):.0%} right",
                                f"test: {accuracy_score(y_test, model.predict(X_test)):.0%} right"]
    x_min, x_max = ax.get_xlim()
    assert x_min < min(X[:, 0].min(), X_test[:, 0].min()) and x_max > max(X[:, 0].max(), X_test[:, 0].max())
    figure = ax.figure
    assert figure._repr_png_() == figure._repr_png_()  # what a notebook shows is what a second look shows
    with pytest.raises(ValueError, match="both X_test and y_test"):
        plot_decision_boundary(model, X, y, X_test=X_test)


@pytest.mark.parametrize("output_activation, threshold", [("tanh", 0.0), ("sigmoid", 0.5)])
def test_boundary_of_a_one_output_scalar_network_uses_the_data_s_own_labels(output_activation, threshold):
    X, y01 = make_spiral(15, 2, random_state=0)
    y = y01 * 2 - 1  # micrograd's moons demo labels its classes -1 and 1
    model = ScalarMLP(2, [4, 1], output_activation=output_activation, seed=0)
    ax = plot_decision_boundary(model, X, y, resolution=8).axes[0]
    assert legend_texts(ax) == ["class -1", "class 1"]  # not a third class 0 from a 0/1 prediction
    image = ax.images[0]
    x_min, x_max, y_min, y_max = image.get_extent()
    colours = ax.collections[0].get_facecolors()[:, :3]
    colour_of = {label: colours[np.flatnonzero(y == label)[0]] for label in (-1, 1)}
    for row in range(8):
        for column in range(8):
            cell = [x_min + (column + 0.5) * (x_max - x_min) / 8, y_min + (row + 0.5) * (y_max - y_min) / 8]
            expected = 1 if model(cell).data > threshold else -1
            region = image.to_rgba(image.get_array()[row, column])[:3]
            assert hue(region)[0] == pytest.approx(hue(colour_of[expected])[0], abs=1e-6)


def micrograd_toy_losses(steps=40):
    """micrograd's README loop: four samples, MLP(3, [4, 4, 1]), squared error, plain SGD."""
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    model = ScalarMLP(3, [4, 4, 1], seed=1)
    losses = []
    for _ in range(steps):
        loss = sum((model(x) - target) ** 2 for x, target in zip(xs, ys))
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= 0.05 * p.grad
        losses.append(loss.data)
    return losses


def test_training_curves_use_a_log_axis_when_the_loss_spans_decades():
    losses = micrograd_toy_losses()
    assert losses[0] > 1 and min(losses) < 0.01  # the case the issue names
    ax = plot_history(losses).axes[0]
    assert ax.get_yscale() == "log"
    low, high = ax.get_ylim()
    assert low <= min(losses) and high >= max(losses)  # the last, small losses are on the picture
    assert "loss" in ax.get_ylabel() and ax.get_xlabel() == "epoch"
    assert ax.yaxis.get_major_formatter()(0.01, 0) == "0.01"  # plain numbers a learner reads, not 10^-2
    flat = plot_history({"loss": [0.7, 0.69, 0.71, 0.68]}).axes[0]
    assert flat.get_yscale() == "linear" and flat.get_ylabel() == "loss"
    scores = plot_history({"loss": [3.0, 2.0, 1.0], "accuracy": [0.001, 0.5, 0.9]}).axes[1]
    assert scores.get_yscale() == "linear"  # a score rising from near 0 is not a loss


def test_training_curves_have_whole_epoch_ticks_labels_and_a_legend():
    X, y = make_spiral(30, 3, random_state=0)
    history = fit(nn.MLP(2, [8], 3, seed=0), X, y, epochs=3, validation_split=0.2, verbose=0, seed=0)
    figure = plot_history(history)
    for ax, name in zip(figure.axes, ["loss", "accuracy"]):
        first, last = ax.get_xlim()
        ticks = [tick for tick in ax.get_xticks() if first <= tick <= last]
        assert len(ticks) >= 2 and all(float(tick).is_integer() for tick in ticks)
        assert ax.get_xlabel() == "epoch" and name in ax.get_ylabel()
        assert legend_texts(ax) == [f"train, last {history[name][-1]:.3g}",
                                    f"validation, last {history['val_' + name][-1]:.3g}"]
        assert [list(line.get_xdata()) for line in ax.lines] == [[1, 2, 3], [1, 2, 3]]
    assert plot_history(history, x_label="step").axes[0].get_xlabel() == "step"
    with pytest.raises(ValueError, match="no epochs"):
        plot_history([])


def graph_labels(dot):
    import re

    return [quoted or bare for quoted, bare in re.findall(r'label=(?:"([^"]*)"|([^\s\]]+))', dot.source)]


def tensor_loss(model):
    X = np.random.default_rng(0).normal(size=(5, 2))
    loss = F.cross_entropy(model(Tensor(X)), [0, 1, 2, 0, 1])
    loss.backward()
    return loss


def test_graph_names_tensor_parameters_after_the_model():
    model = nn.MLP(2, [8], 3, seed=0)
    loss = tensor_loss(model)
    assert not any("weight" in text for text in graph_labels(draw_graph(loss)))  # shapes only, as before
    for given in (model, dict(model.named_parameters()), list(model.named_parameters())):
        found = graph_labels(draw_graph(loss, model=given))
        for name, parameter in model.named_parameters():  # each name on the box of its own parameter
            assert any(text.startswith(f"{name} | shape {parameter.shape} | data") for text in found), name
    assert sum(text.split(" | ")[0] in {"0.weight", "0.bias", "2.weight", "2.bias"} for text in found) == 4
    from scratchgrad.viz import draw_dot

    assert draw_dot(loss, model=model).source == draw_graph(loss, model=model).source
    from scratchgrad.errors import InvalidParameterError

    with pytest.raises(InvalidParameterError, match="module, a dict"):
        draw_graph(loss, model=42)
    with pytest.raises(InvalidParameterError, match="'first' is a str"):
        draw_graph(loss, model={"first": "not a parameter"})


def test_graph_with_a_model_keeps_a_scalar_neuron_s_own_labels_and_expansion():
    neuron = Neuron(2, seed=0)
    out = 2 * neuron([Value(1.0, label="x0"), Value(-2.0, label="x1")])
    out.backward()
    found = graph_labels(draw_graph(out, model=neuron))
    assert any(text.startswith("w0 | data") for text in found) and any(text.startswith("w1*x1") for text in found)
    assert "2" in found and found.count("*") == 3  # two terms and the constant's product
    assert not any(text.startswith("w.0") for text in found)


@needs_dot
def test_named_tensor_graph_renders(tmp_path):
    model = nn.MLP(2, [8], 3, seed=0)
    svg = html.unescape(save_graph(tensor_loss(model), tmp_path / "g.svg", model=model).read_text())
    assert ">0.weight</text>" in svg and ">2.bias</text>" in svg


def test_graphs_without_the_graphviz_package_name_the_extra_to_install():
    import subprocess
    import sys

    code = ("import sys\nsys.modules['graphviz'] = None  # as if it were not installed\n"
            "from scratchgrad import Value\nfrom scratchgrad.errors import MissingDependencyError\n"
            "from scratchgrad.viz import draw_graph\n"
            "try:\n    draw_graph(Value(1.0) * 2)\nexcept MissingDependencyError as error:\n    print(error)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pip install 'scratchgrad[viz]'" in result.stdout
