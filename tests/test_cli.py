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


def test_demo_quick_writes_a_complete_run_folder(tmp_path):
    result = scratchgrad("demo", "spiral", "--quick", "--out", "runs/spiral", "--verbose", "0", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "reading the spiral data" in result.stdout and "training" in result.stdout
    assert "writing runs/spiral" in result.stdout
    folder = tmp_path / "runs" / "spiral"
    assert {p.name for p in folder.iterdir()} == {"model.safetensors", "metrics.json", "history.csv",
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
    assert metrics["accuracy"] >= 0.9 and metrics["evaluated_on"] == "15 validation samples"
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
    probabilities = onnxruntime.InferenceSession(str(tmp_path / "iris.onnx")).run(
        None, {"input": X.astype(np.float32)})[0]
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
    (lambda d, run: ["train", write(d / "a.csv", "x,y\n1,2\n3,4\n"), "--target", "label"], "no target column 'label'"),
    (lambda d, run: ["train", write(d / "b.csv", "x,y\n1,a\nfoo,b\n"), "--target", "y"],
     "row 3, column 'x': 'foo' is not a number"),
    (lambda d, run: ["predict", run, write(d / "c.csv", "sepal_length,sepal_width,petal_length,petal_width,species\n"
                                           "1,2,3,4,daisy\n")], r"label\(s\) \['daisy'\] were not seen in training"),
    (lambda d, run: ["evaluate", run, write(d / "e.csv", "sepal_length,sepal_width,petal_length,petal_width,species\n"
                                            "1,2,3,4,rose\n")], r"label\(s\) \['rose'\] were not seen in training"),
    (lambda d, run: ["predict", run, write(d / "d.csv", "sepal_length,sepal_width,petal_length,colour\n1,2,3,4\n")],
     r"missing \['petal_width'\], extra \['colour'\]"),
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
    assert result.returncode == 2 and "invalid positive_int value" in result.stderr
    assert scratchgrad("demo", "--colour", cwd=tmp_path).returncode == 2
    for command in ("demo", "train", "predict", "evaluate", "graph", "export"):
        result = scratchgrad(command, "--help", cwd=tmp_path)
        assert result.returncode == 0 and "example" in result.stdout


def test_debug_shows_the_traceback(tmp_path):
    result = scratchgrad("evaluate", "--debug", tmp_path / "none", tmp_path / "x.csv", cwd=tmp_path)
    assert result.returncode == 1 and "Traceback" in result.stderr
