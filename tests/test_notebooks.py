"""Jupyter, as a learner meets it: plots display in a fresh kernel, and every notebook runs.

Notebooks are executed by nbclient in a kernel that runs this interpreter (a kernelspec
written to a temporary JUPYTER_PATH, so another Python on the machine is never picked up).
"""

import base64
import json
import sys
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

NOTEBOOKS = sorted((Path(__file__).parents[1] / "notebooks").glob("*.ipynb"))
IMAGE_TYPES = {"image/png", "image/svg+xml"}
BLAS_THREADS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")


@pytest.fixture(scope="module")
def kernel_name(tmp_path_factory):
    folder = tmp_path_factory.mktemp("jupyter")
    spec = folder / "kernels" / "scratchgrad-test"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "scratchgrad test kernel", "language": "python"}))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JUPYTER_PATH", str(folder))
        patch.delenv("MPLBACKEND", raising=False)  # as in a fresh Jupyter: the kernel picks its backend
        for variable in BLAS_THREADS:  # one BLAS thread per kernel: the tests share a few busy cores
            patch.setenv(variable, "1")
        yield "scratchgrad-test"


def execute(notebook, kernel_name, folder):
    client = nbclient.NotebookClient(notebook, kernel_name=kernel_name, timeout=180,
                                     resources={"metadata": {"path": str(folder)}})
    client.execute()
    return notebook


def notebook_of(*sources):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in sources]
    return notebook


def rich_outputs(cell):
    return [output for output in cell.outputs if output.output_type in ("display_data", "execute_result")]


def stderr_text(cell):
    return "".join(o.text for o in cell.outputs if o.output_type == "stream" and o.name == "stderr")


PLOT_CELLS = {
    "plot_activations": "viz.plot_activations()",
    "plot_neuron_surface": "viz.plot_neuron_surface(Neuron(2, activation='sigmoid', seed=0))",
    "plot_decision_boundary": "viz.plot_decision_boundary(nn.MLP(2, [8], 3, seed=0), X, y, resolution=30)",
    "plot_history": "viz.plot_history({'loss': [1.0, 0.5, 0.3], 'val_loss': [1.1, 0.7, 0.6]})",
    "plot_confusion_matrix": "viz.plot_confusion_matrix([0, 1, 2, 2], [0, 2, 2, 1])",
    "plot_regression": "viz.plot_regression([1.0, 2.0, 3.0], [1.2, 1.8, 3.1])",
    "draw_graph": "a = Value(2.0, label='a'); b = (a * a).tanh(); b.backward(); viz.draw_graph(b)",
}


@pytest.mark.slow
def test_every_plot_displays_inline_in_a_fresh_kernel_without_pyplot(kernel_name, tmp_path):
    setup = ("from scratchgrad import Value, nn, viz\nfrom scratchgrad.micro import Neuron\n"
             "from scratchgrad.datasets import make_spiral\nX, y = make_spiral(30, 3, random_state=0)")
    check = "import sys; print('pyplot' if 'matplotlib.pyplot' in sys.modules else 'no pyplot')"
    notebook = execute(notebook_of(setup, *PLOT_CELLS.values(), check), kernel_name, tmp_path)
    for name, cell in zip(PLOT_CELLS, notebook.cells[1:-1]):
        outputs = rich_outputs(cell)
        assert len(outputs) == 1, f"{name}: {cell.outputs}"
        assert IMAGE_TYPES & set(outputs[0].data), f"{name} showed only {sorted(outputs[0].data)}"
    assert notebook.cells[-1].outputs[0].text.strip() == "no pyplot"


@pytest.mark.slow
def test_liveplot_updates_one_picture_in_place(kernel_name, tmp_path):
    notebook = execute(notebook_of(
        "from scratchgrad import fit, nn, viz\nfrom scratchgrad.datasets import make_spiral\n"
        "X, y = make_spiral(40, 3, random_state=0)\nmodel = nn.MLP(2, [16], 3, seed=0)",
        "live = viz.LivePlot(X, y, resolution=20)\n"
        "history = fit(model, X, y, epochs=4, validation_split=0.25, callbacks=[live], verbose=0, seed=0)",
        "import base64; print([ax.get_title() for ax in live.figure.axes]); "
        "print(base64.b64encode(live.figure._repr_png_()).decode())",
    ), kernel_name, tmp_path)
    live_cell, check_cell = notebook.cells[1], notebook.cells[2]
    assert stderr_text(live_cell) == ""
    outputs = rich_outputs(live_cell)
    assert len(outputs) == 1, "four epochs must update one picture, not add four"
    titles, final_png = "".join(o.text for o in check_cell.outputs if o.output_type == "stream").splitlines()
    assert titles == "['loss', 'accuracy', 'decision boundary, epoch 4']"
    # what the cell shows is the last epoch's picture: the display was updated in place
    assert base64.b64decode(outputs[0].data["image/png"]) == base64.b64decode(final_png)


@pytest.mark.slow
def test_summary_and_history_have_rich_displays(kernel_name, tmp_path):
    notebook = execute(notebook_of(
        "from scratchgrad import fit, nn, viz\nfrom scratchgrad.datasets import make_spiral\n"
        "X, y = make_spiral(20, 3, random_state=0)\nmodel = nn.MLP(2, [16], 3, seed=0)",
        "viz.module_summary(model)",
        "from IPython.display import HTML\n"
        "HTML(viz.history_html(fit(model, X, y, epochs=3, verbose=0)))",
    ), kernel_name, tmp_path)
    summary = rich_outputs(notebook.cells[1])[0].data
    assert "<table>" in summary["text/html"] and "Total parameters" in summary["text/plain"]
    history = rich_outputs(notebook.cells[2])[0].data["text/html"]
    assert history.count("<tr>") == 1 + 3 and "data:image/png;base64," in history


@pytest.mark.slow
def test_fit_progress_bar_in_a_notebook_is_a_widget_without_warnings(kernel_name, tmp_path):
    pytest.importorskip("ipywidgets")
    notebook = execute(notebook_of(
        "from scratchgrad import fit, nn\nfrom scratchgrad.datasets import make_spiral\n"
        "X, y = make_spiral(20, 3, random_state=0)\n"
        "history = fit(nn.MLP(2, [8], 3, seed=0), X, y, epochs=2, verbose=1)"), kernel_name, tmp_path)
    cell = notebook.cells[0]
    assert "Warning" not in stderr_text(cell)
    assert any("application/vnd.jupyter.widget-view+json" in o.data for o in rich_outputs(cell))


# ---- the tutorials ----


def test_there_is_a_notebook_for_every_tutorial():
    assert len(NOTEBOOKS) >= 5, NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebooks_are_stored_clean_and_open_in_colab(path):
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    for cell in notebook.cells:
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None, f"{path.name} is stored with outputs"
    first_code = next(cell for cell in notebook.cells if cell.cell_type == "code")
    assert 'pip install "scratchgrad[all]"' in first_code.source
    assert notebook.metadata.kernelspec.name == "python3"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_top_to_bottom_and_its_plots_are_images(path, kernel_name, tmp_path):
    notebook = execute(nbformat.read(path, as_version=4), kernel_name, tmp_path)
    pictures = 0
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        for output in rich_outputs(cell):
            is_image = bool(IMAGE_TYPES & set(output.data))
            assert is_image or "<Figure size" not in output.data.get("text/plain", ""), \
                f"{path.name}: a figure showed as text: {cell.source[:80]}"
            pictures += is_image
        assert "Warning" not in stderr_text(cell), f"{path.name}: {stderr_text(cell)}"
    assert pictures >= 1, f"{path.name} draws nothing"
