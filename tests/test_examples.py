"""Every tutorial example runs in its quick mode, and its headline numbers are the tutorial's.

Each example runs the tutorial's own recipe over a few seeds and writes the medians to a
JSON file (--results); the bounds below are loose, around the figures the tutorials printed
(quoted in each example's docstring), so that a broken engine or a changed recipe fails.
"""

import json
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").glob("seed_*.py"))


def run_quick(name, tmp_path):
    [script] = [p for p in EXAMPLES if p.name.startswith(name)]
    results = tmp_path / "results.json"
    args = [sys.executable, str(script), "--quick", "--results", str(results)]
    if "spiral" in script.name:
        args += ["--out", str(tmp_path)]
    run = subprocess.run(args, capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    assert "quoted" in run.stdout and "measured" in run.stdout  # the two kinds of figures, marked
    return json.loads(results.read_text()), run.stdout


def test_there_is_one_example_per_seed():
    assert [p.name[:8] for p in EXAMPLES] == [f"seed_00{i}" for i in range(5)]


@pytest.mark.slow
def test_seed_000_iris(tmp_path):
    r, _ = run_quick("seed_000", tmp_path)
    assert 0.8 <= r["seed's scalar neuron"] <= 1.0  # the page: 0.97 on one split
    assert r["LogisticRegression()"] >= 0.9 and r["sklearn MLPClassifier()"] >= 0.9  # the page: 1.00
    assert r["scratchgrad MLPClassifier()"] >= 0.9


@pytest.mark.slow
def test_seed_001_spiral(tmp_path):
    r, _ = run_quick("seed_001", tmp_path)
    assert 0.4 <= r["linear"] <= 0.7  # the page: 0.49; no straight line separates the arms
    assert r["NumPy MLP"] >= 0.95 and r["PyTorch MLP"] >= 0.93  # the page: 0.98 and 0.97
    assert r["overfit_train_accuracy"] >= 0.55 and r["overfit_test_f1"] <= 0.6  # chance is 0.33
    assert min(r[f"fit {name}"] for name in ("MLP 2-100-3", "MLP, Xavier init", "MLP, dropout 0.1")) >= 0.9
    assert len(list(tmp_path.glob("boundary_*.png"))) == 4


@pytest.mark.slow
def test_seed_002_micrograd(tmp_path):
    r, _ = run_quick("seed_002", tmp_path)
    assert 2 <= r["recipe_first"] <= 12  # the page: 6.09
    assert r["recipe_step_30"] <= 0.06  # the page: 0.0187
    assert r["recipe_last"] <= 0.02 and r["recipe_share_below_001"] >= 0.6  # "about 0.01 in 100 steps"
    assert r["adam_last"] < r["recipe_last"]


@pytest.mark.slow
def test_seed_003_digits(tmp_path):
    r, _ = run_quick("seed_003", tmp_path)
    assert r["recipe"] >= 0.9  # the page: 0.94
    assert r["scratchgrad_fit"] >= 0.88


@pytest.mark.slow
def test_seed_004_regression(tmp_path):
    r, out = run_quick("seed_004", tmp_path)
    assert r["gradcheck_ok"] and "6x - 4 = 14.0" in out
    assert 3 <= r["recipe_first"] <= 25  # the page: 17.08 from one draw
    assert 0.5 <= r["recipe_last"] <= 1.6  # the page: 0.64 from one draw
    assert r["adam_last"] < r["recipe_last"]
