"""The scratchgrad command, end to end in subprocesses."""

import csv
import json
import subprocess
import sys

import numpy as np
import onnxruntime
import pytest

from scratchgrad.datasets import load_iris


def scratchgrad(*args, cwd):
    return subprocess.run([sys.executable, "-m", "scratchgrad", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=600)


@pytest.fixture(scope="module")
def iris_csv(tmp_path_factory):
    folder = tmp_path_factory.mktemp("data")
    X, y = load_iris()
    names = np.array(["setosa", "versicolor", "virginica"])[y]
    header = ["sepal_length", "sepal_width", "petal_length", "petal_width", "species"]
    with open(folder / "iris.csv", "w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows([*row, name] for row, name in zip(X.tolist(), names))
    return folder / "iris.csv"


@pytest.fixture(scope="module")
def trained_run(iris_csv, tmp_path_factory):
    work = tmp_path_factory.mktemp("work")
    result = scratchgrad("train", iris_csv, "--target", "species", "--epochs", "80", "--lr", "0.01",
                         "--out", "run", "--verbose", "0", cwd=work)
    assert result.returncode == 0, result.stderr
    return work / "run"


@pytest.mark.slow
def test_demo_quick_writes_a_complete_run_folder(tmp_path):
    result = scratchgrad("demo", "spiral", "--quick", "--out", "runs/spiral", "--verbose", "0", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "reading the spiral data" in result.stdout and "training" in result.stdout
    assert "writing runs/spiral" in result.stdout
    folder = tmp_path / "runs" / "spiral"
    assert {p.name for p in folder.iterdir()} == {"model.safetensors", "metrics.json", "history.csv", "summary.txt",
                                                  "command.txt", "training_curves.png", "decision_boundary.png"}
    metrics = json.loads((folder / "metrics.json").read_text())
    assert metrics["accuracy"] > 0.8 and set(metrics["class"]) == {"c1", "c2", "c3"}
    assert len((folder / "history.csv").read_text().splitlines()) == 11
    command = (folder / "command.txt").read_text().split()
    assert command[:3] == ["scratchgrad", "demo", "spiral"]
    again = scratchgrad(*command[1:], "--out", "again", "--verbose", "0", cwd=tmp_path)  # it reproduces the run
    assert again.returncode == 0, again.stderr
    assert json.loads((tmp_path / "again" / "metrics.json").read_text()) == metrics


@pytest.mark.parametrize("dataset, plot", [("digits", "confusion_matrix.png"),
                                           ("regression", "predicted_vs_true.png"), ("toy", "training_curves.png")])
def test_demo_digits_regression_and_toy(tmp_path, dataset, plot):
    result = scratchgrad("demo", dataset, "--quick", "--out", "run", "--verbose", "0", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "run" / plot).exists()


def test_train_predict_evaluate_export_with_string_labels(trained_run, iris_csv, tmp_path):
    metrics = json.loads((trained_run / "metrics.json").read_text())
    assert metrics["accuracy"] >= 0.9 and metrics["split"] == "test" and metrics["rows"]["test"] == 30
    assert metrics["rows"]["train"] + metrics["rows"]["validation"] == 120
    result = scratchgrad("predict", trained_run, iris_csv, "--proba", "--out", tmp_path / "p.csv", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(open(tmp_path / "p.csv")))
    assert len(rows) == 150 and set(rows[0]) == {"predicted_species", "p_setosa", "p_versicolor", "p_virginica"}
    truth = [row["species"] for row in csv.DictReader(open(iris_csv))]
    assert np.mean([r["predicted_species"] == t for r, t in zip(rows, truth)]) > 0.9
    result = scratchgrad("evaluate", trained_run, iris_csv, cwd=tmp_path)
    assert result.returncode == 0 and "accuracy" in result.stdout and "virginica" in result.stdout
    result = scratchgrad("export", trained_run, "--onnx", tmp_path / "iris.onnx", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    X, _ = load_iris()
    names = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    labels, probabilities = onnxruntime.InferenceSession(str(tmp_path / "iris.onnx")).run(
        None, {name: X[:, [j]] for j, name in enumerate(names)})
    assert labels.tolist() == [r["predicted_species"] for r in rows]
    np.testing.assert_allclose(probabilities, [[float(r[f"p_{c}"]) for c in ("setosa", "versicolor", "virginica")]
                                               for r in rows], atol=1e-5)


def test_graph_command(tmp_path):
    result = scratchgrad("graph", "tanh(a*b + c)", "--values", "a=2", "b=-3", "c=10", "--out", "g.svg", cwd=tmp_path)
    if "apt-get install graphviz" in result.stderr:
        pytest.skip("Graphviz's dot is not installed (CI installs it)")
    assert result.returncode == 0, result.stderr
    assert "d/da = -0.00402285" in result.stdout
    assert "tanh(a * b + c)" in (tmp_path / "g.svg").read_text()


def write(path, text):
    path.write_text(text)
    return path


@pytest.mark.parametrize("make_args, message", [
    (lambda d, run: ["train", d / "absent.csv", "--target", "y"], "absent.csv: no such file"),
    (lambda d, run: ["train", write(d / "a.csv", "x,y\n1,2\n3,4\n"), "--target", "label"], "no column 'label'"),
    (lambda d, run: ["train", write(d / "b.csv", "x,y\n1,a\n"), "--target", "y"], "single value"),
    (lambda d, run: ["evaluate", run, write(d / "e.csv", "sepal_length,sepal_width,petal_length,petal_width,species\n"
                                            "1,2,3,4,rose\n")], r"label\(s\) \['rose'\] were not seen in training"),
    (lambda d, run: ["predict", run, write(d / "d.csv", "sepal_length,sepal_width,petal_length,colour\n1,2,3,4\n")],
     r"needs the column\(s\) \['petal_width'\]"),
    (lambda d, run: ["graph", "__import__('os').system('true')"], "is not allowed"),
    (lambda d, run: ["predict", d / "no-run", d / "x.csv"], "no run folder or model file"),
])
def test_bad_input_gives_one_line_and_exit_code_1(tmp_path, trained_run, make_args, message):
    result = scratchgrad(*make_args(tmp_path, trained_run), cwd=tmp_path)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("scratchgrad ")
    import re
    assert re.search(message, lines[0]), lines[0]
    assert not (tmp_path / "runs").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]


def test_usage_errors_exit_2_and_help_has_examples(tmp_path):
    result = scratchgrad("train", "x.csv", "--target", "y", "--epochs", "ten", cwd=tmp_path)
    assert result.returncode == 2 and "'ten' is not an integer" in result.stderr
    assert scratchgrad("demo", "--colour", cwd=tmp_path).returncode == 2
    for command in ("demo", "train", "predict", "evaluate", "graph", "export"):
        result = scratchgrad(command, "--help", cwd=tmp_path)
        assert result.returncode == 0 and "example" in result.stdout


@pytest.mark.parametrize("args", [
    ["train", "x.csv", "--target", "y", "--seed", "-1"],
    ["demo", "--seed", "-3"],
    ["train", "x.csv", "--target", "y", "--validation-split", "0", "--early-stopping"],
    ["train", "x.csv", "--target", "y", "--cv", "1"],
    ["train", "x.csv", "--target", "y", "--test-split", "1.5"],
    ["export", "run", "--onnx", "m.onnx", "--opset", "99"],
    ["export", "run", "--onnx", "m.onnx", "--opset", "9"],
])
def test_out_of_range_values_are_usage_errors(tmp_path, args):
    result = scratchgrad(*args, cwd=tmp_path)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith(f"scratchgrad {args[0]}: error: ")
    assert "Traceback" not in result.stderr and not (tmp_path / "runs").exists()


def test_bare_command_lists_the_commands(tmp_path):
    result = scratchgrad(cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for command in ("demo", "train", "predict", "evaluate", "graph", "export", "playground"):
        assert command in result.stdout


def option_lines(help_text):
    """Each option's help entry as one string (argparse wraps long ones over several lines)."""
    entries = []
    for line in help_text.splitlines():
        if line.startswith("  -"):
            entries.append(line)
        elif entries and line.startswith("      ") and not line.strip().startswith("-"):
            entries[-1] += " " + line.strip()
    return entries


@pytest.mark.parametrize("command", ["demo", "train", "predict", "evaluate", "graph", "export"])
def test_help_shows_every_default(tmp_path, command):
    import argparse

    from scratchgrad.cli import make_parser

    parser = make_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction)).choices[command]
    entries = option_lines(scratchgrad(command, "--help", cwd=tmp_path).stdout)
    for action in sub._actions:
        if not action.option_strings or action.required or action.default in (False, argparse.SUPPRESS):
            continue  # required options, flags off by default, and --help
        entry = next(e for e in entries if action.option_strings[0] in e.split()[0] + " " + e)
        assert "default" in entry, entry
def test_debug_shows_the_traceback(tmp_path):
    result = scratchgrad("evaluate", "--debug", tmp_path / "none", tmp_path / "x.csv", cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" in result.stderr
