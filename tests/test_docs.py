"""The documentation can never silently break: its examples run, and the site builds strictly.

- Docstring examples (`>>>`) of the public modules run as doctests.
- The code in the guides runs, page by page, in a scratch folder: ```python blocks in one
  namespace, ```bash blocks in a shell, in the order they appear (```console blocks, such as
  install commands, are shown and not run).
- `mkdocs build --strict` passes (a broken link or a missing API reference fails it); here
  without executing the notebooks, which tests/test_notebooks.py runs, while CI's build runs them.
"""

import doctest
import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from threadpoolctl import threadpool_limits

ROOT = Path(__file__).parents[1]
DOCS = ROOT / "docs"
ONE_BLAS_THREAD = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

PUBLIC_MODULES = [
    "scratchgrad.value", "scratchgrad.tensor", "scratchgrad.graph", "scratchgrad.functional",
    "scratchgrad.nn.module", "scratchgrad.nn.layers", "scratchgrad.nn.init", "scratchgrad.micro",
    "scratchgrad.optim", "scratchgrad.train", "scratchgrad.compile", "scratchgrad.gradcheck", "scratchgrad.checks",
    "scratchgrad.estimators", "scratchgrad.datasets", "scratchgrad.metrics", "scratchgrad.io",
    "scratchgrad.export", "scratchgrad.viz.graph", "scratchgrad.viz.plots", "scratchgrad.viz.notebook",
]


@pytest.mark.parametrize("name", PUBLIC_MODULES)
def test_docstring_examples_run(name, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # an example that writes a file writes it here
    module = importlib.import_module(name)
    finder = doctest.DocTestFinder(exclude_empty=True)
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    report = []
    for test in finder.find(module, name, globs=vars(module).copy()):
        runner.run(test, out=report.append)
    assert runner.failures == 0, "".join(report)


def test_docstring_examples_exist():
    counted = sum(len(test.examples) for name in PUBLIC_MODULES
                  for test in doctest.DocTestFinder().find(importlib.import_module(name), name))
    assert counted >= 5, f"only {counted} docstring examples in the public modules"


# ---- the guides' code ----

FENCE = re.compile(r"^```(\w+)[^\n]*\n(.*?)^```", re.M | re.S)
GUIDES = sorted([DOCS / "getting-started.md", DOCS / "index.md", *(DOCS / "how-to").glob("*.md")])


def blocks(page):
    return [(language, code) for language, code in FENCE.findall(page.read_text())
            if language in ("python", "bash")]


@pytest.mark.slow
@pytest.mark.parametrize("page", GUIDES, ids=[p.stem for p in GUIDES])
def test_guide_code_runs(page, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace = {"__name__": f"docs_{page.stem.replace('-', '_')}"}
    found = blocks(page)
    assert found, f"{page.name} has no runnable example"
    env = {**os.environ, **ONE_BLAS_THREAD, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    with threadpool_limits(limits=1, user_api="blas"):  # the tests share a few busy cores
        for language, code in found:
            if language == "python":
                exec(compile(code, f"{page.name}", "exec"), namespace)
            else:
                result = subprocess.run(["bash", "-euo", "pipefail", "-c", code], capture_output=True, text=True,
                                        env=env)
                assert result.returncode == 0, f"{page.name}: {code}\n{result.stdout}\n{result.stderr}"


# ---- the site ----


def test_every_notebook_is_a_tutorial_page():
    notebooks = {p.name for p in (ROOT / "notebooks").glob("*.ipynb")}
    pages = {p.name for p in (DOCS / "tutorials").glob("*.ipynb")}
    assert notebooks == pages
    for page in (DOCS / "tutorials").glob("*.ipynb"):  # links, so the site shows the notebooks themselves
        assert page.resolve() == (ROOT / "notebooks" / page.name).resolve()
    nav = (ROOT / "mkdocs.yml").read_text()
    assert all(f"tutorials/{name}" in nav for name in notebooks)


@pytest.mark.slow
def test_site_builds_strictly(tmp_path):
    pytest.importorskip("mkdocs")
    pytest.importorskip("material")
    site = tmp_path / "site"
    result = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(ROOT / "mkdocs.yml"),
                             "-d", str(site)], capture_output=True, text=True, cwd=ROOT,
                            env={**os.environ, **ONE_BLAS_THREAD, "SCRATCHGRAD_DOCS_EXECUTE": "false",
                                 "NO_MKDOCS_2_WARNING": "1"})
    assert result.returncode == 0, result.stderr[-4000:]
    reference = (site / "reference" / "estimators" / "index.html").read_text()
    assert "MLPClassifier" in reference and "hidden_layer_sizes" in reference
    tutorial = (site / "tutorials" / "05_digits_and_the_softmax_gradient" / "index.html").read_text()
    assert "<math" in tutorial and "$" not in re.sub(r"<(script|style|pre)\b.*?</\1>", "", tutorial, flags=re.S)
