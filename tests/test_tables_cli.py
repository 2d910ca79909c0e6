"""`scratchgrad` on messy tables, end to end in subprocesses, as a practitioner would run it."""

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import onnxruntime
import pandas as pd
import pytest

from scratchgrad.datasets import make_messy_table, read_table
from scratchgrad.runs import load_run
from scratchgrad.tables.onnx_export import onnx_inputs


def scratchgrad(*args, cwd, **options):
    return subprocess.run([sys.executable, "-m", "scratchgrad", *map(str, args)], cwd=cwd, capture_output=True,
                          text=True, timeout=600, **options)


def one_error_line(result, command):
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 1 and len(lines) == 1, result.stderr
    assert lines[0].startswith(f"scratchgrad {command}: error: ")
    return lines[0]


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("tables")


@pytest.fixture(scope="module")
def customers(folder):
    """A latin-1, semicolon-separated customer table with IDs, categories and gaps."""
    table = make_messy_table(500, "classify", random_state=0)
    table.to_csv(folder / "customers.csv", sep=";", index=False, encoding="latin-1")
    return folder / "customers.csv"


@pytest.fixture(scope="module")
def churn_run(customers, folder):
    result = scratchgrad("train", customers, "--target", "churn", "--epochs", "40", "--verbose", "0",
                         "--out", "churn", cwd=folder)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no warnings from NumPy or scikit-learn
    return folder / "churn", result.stdout


def test_train_on_a_messy_table_says_what_it_did(churn_run, customers):
    run, stdout = churn_run
    table = read_table(customers)
    assert "semicolon-separated, cp1252" in stdout
    assert "customer_id (ID-like" in stdout and "country (constant" in stdout
    without_target = int(table["churn"].isna().sum())
    assert f"{len(table)} read; {without_target} without a target left out; {len(table) - without_target} used" \
        in stdout
    metrics = json.loads((run / "metrics.json").read_text())
    rows = metrics["rows"]
    assert rows["train"] + rows["validation"] + rows["test"] == len(table) - without_target
    assert abs(rows["test"] - 0.2 * (len(table) - without_target)) <= 2 and metrics["split"] == "test"
    assert f"{rows['test']} rows never seen in training" in stdout
    assert metrics["accuracy"] > 0.6  # the target depends on the columns: a model must find it
    _, table_model = load_run(run)
    assert "Zürich" in table_model.preprocessing.categories[table_model.preprocessing.categorical.index("city")]


def test_predict_ignores_extra_columns_passes_ids_and_imputes(churn_run, folder):
    run, _ = churn_run
    new = make_messy_table(40, "classify", random_state=5)
    new["city"] = new["city"].replace({"Paris": "Atlantis"})  # unseen category
    new["new column"] = 1
    new.to_csv(folder / "new.csv", index=False, encoding="utf-8")
    result = scratchgrad("predict", run, folder / "new.csv", "--id", "customer_id", "--proba", cwd=folder)
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("ignoring") == 1 and "new column" in result.stderr and "'churn'" in result.stderr
    rows = list(csv.DictReader(result.stdout.splitlines()))
    assert [r["customer_id"] for r in rows] == new["customer_id"].tolist()
    assert set(rows[0]) == {"customer_id", "predicted_churn", "p_no", "p_yes"}
    assert all(abs(float(r["p_no"]) + float(r["p_yes"]) - 1) < 1e-6 for r in rows)


def test_onnx_export_equals_predict_proba_on_gaps_and_unseen_categories(churn_run, folder):
    run, _ = churn_run
    new = make_messy_table(60, "classify", random_state=6).drop(columns=["churn"])
    new.loc[:10, "city"] = "Atlantis"
    new.loc[10:20, "income"] = ""
    new.to_csv(folder / "gaps.csv", index=False)
    result = scratchgrad("predict", run, folder / "gaps.csv", "--proba", "--out", folder / "gaps-p.csv", cwd=folder)
    assert result.returncode == 0, result.stderr
    assert scratchgrad("export", run, "--onnx", folder / "churn.onnx", cwd=folder).returncode == 0
    predicted = pd.read_csv(folder / "gaps-p.csv")
    _, table_model = load_run(run)
    session = onnxruntime.InferenceSession(str(folder / "churn.onnx"))
    labels, probabilities = session.run(None, onnx_inputs(read_table(folder / "gaps.csv"), table_model.preprocessing))
    np.testing.assert_allclose(probabilities, predicted[["p_no", "p_yes"]].to_numpy(), atol=1e-5)
    assert labels.tolist() == predicted["predicted_churn"].tolist()


def test_predict_in_chunks_equals_predict_whole(churn_run, customers, folder):
    run, _ = churn_run
    whole = scratchgrad("predict", run, customers, "--proba", cwd=folder)
    chunked = scratchgrad("predict", run, customers, "--proba", "--chunk-rows", "7", cwd=folder)
    assert whole.returncode == chunked.returncode == 0
    whole, chunked = (pd.read_csv(io.StringIO(r.stdout)) for r in (whole, chunked))
    assert len(whole) == 500 and whole["predicted_churn"].tolist() == chunked["predicted_churn"].tolist()
    # float32 sums may round differently in batches of another size: equal to float32 precision
    np.testing.assert_allclose(whole[["p_no", "p_yes"]], chunked[["p_no", "p_yes"]], atol=1e-6)


def test_predict_out_never_overwrites_without_force_and_never_the_input(churn_run, customers, folder):
    run, _ = churn_run
    out = folder / "kept.csv"
    out.write_text("precious\n")
    one_error_line(scratchgrad("predict", run, customers, "--out", out, cwd=folder), "predict")
    assert out.read_text() == "precious\n"
    before = customers.read_bytes()
    message = one_error_line(scratchgrad("predict", run, customers, "--out", customers, "--force", cwd=folder),
                             "predict")
    assert "input file" in message and customers.read_bytes() == before
    assert scratchgrad("predict", run, customers, "--out", out, "--force", cwd=folder).returncode == 0
    assert out.read_text().startswith("predicted_churn")


@pytest.mark.parametrize("encoding, delimiter", [("utf-8-sig", ","), ("utf-16", "\t"), ("cp1252", "|")])
def test_encodings_and_delimiters_train(tmp_path, encoding, delimiter):
    make_messy_table(120, "regress", random_state=1).to_csv(tmp_path / "t.csv", sep=delimiter, index=False,
                                                            encoding=encoding)
    result = scratchgrad("train", "t.csv", "--target", "spend", "--epochs", "3", "--verbose", "0", "--out", "r",
                         cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "spend: regress" in result.stdout
    _, table_model = load_run(tmp_path / "r")
    assert "Kraków" in table_model.preprocessing.categories[table_model.preprocessing.categorical.index("city")]


def test_explicit_encoding_and_delimiter(tmp_path):
    (tmp_path / "t.csv").write_bytes("a:b:y\n1:é:0\n2:è:1\n3:é:0\n4:è:1\n5:é:1\n6:è:0\n".encode("latin-1"))
    result = scratchgrad("train", "t.csv", "--target", "y", "--delimiter", ":", "--encoding", "latin-1",
                         "--epochs", "2", "--test-split", "0", "--verbose", "0", "--out", "r", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "categorical  b (2 values)" in result.stdout


@pytest.mark.slow
def test_count_target_is_regressed_and_task_overrides(tmp_path):
    make_messy_table(300, "count", random_state=2).to_csv(tmp_path / "calls.csv", index=False)
    result = scratchgrad("train", "calls.csv", "--target", "support_calls", "--epochs", "3", "--verbose", "0",
                         "--out", "r", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "support_calls: regress" in result.stdout and "--task classify" in result.stdout
    result = scratchgrad("train", "calls.csv", "--target", "support_calls", "--task", "classify", "--epochs", "3",
                         "--verbose", "0", "--out", "r2", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "support_calls: classify" in result.stdout


def test_rare_classes_stay_in_training(tmp_path):
    rng = np.random.default_rng(0)
    labels = np.array(["common"] * 60 + ["other"] * 30 + ["lone"])
    pd.DataFrame({"x": rng.normal(size=91), "label": labels}).to_csv(tmp_path / "rare.csv", index=False)
    result = scratchgrad("train", "rare.csv", "--target", "label", "--epochs", "3", "--verbose", "0", "--out", "r",
                         cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "lone have a single row: kept for training" in result.stdout
    _, table_model = load_run(tmp_path / "r")
    assert "lone" in table_model.classes.tolist()


@pytest.mark.parametrize("text, message", [
    ("age,city,age,y\n1,a,2,0\n", r"duplicate column names: 'age' \(columns 1, 3\)"),
    ("x,y\n1,2\n", "single value"),
    ("x,y\n1,a\n2,b\n", "training needs at least"),
    ("x,y\n1,a\n2,b\n3,c\n4,d\n5,e\n", "too few to hold out a test split.*--test-split 0"),
    ("x,y\n1,2\n3,4,5\n6,7\n", "line 3: 3 values, but the header has 2 columns"),
    ("x,y\n1,\n2,\n", "empty in all 2 rows"),
    ("id,y\n1,a\n2,b\n3,a\n4,b\n5,a\n6,b\n", "no feature columns left.*id"),
    ("x,y\n1,2,3\n4,5\n", "first data row has more values than the header has columns"),
])
def test_table_problems_are_one_line_in_our_terms(tmp_path, text, message):
    import re

    (tmp_path / "bad.csv").write_text(text)
    line = one_error_line(scratchgrad("train", "bad.csv", "--target", "y", "--out", "r", cwd=tmp_path), "train")
    assert re.search(message, line), line
    for foreign in ("test_size", "train_size", "n_splits", "ParserError", "C error", "dtype"):
        assert foreign not in line
    assert not (tmp_path / "r").exists()


def test_train_out_is_checked_before_training(tmp_path, customers):
    (tmp_path / "a file").write_text("")
    (tmp_path / "taken").mkdir()
    for out, message in ((tmp_path / "a file" / "run", "is a file"), (tmp_path / "taken", "already exists")):
        result = scratchgrad("train", customers, "--target", "churn", "--out", out, cwd=tmp_path)
        assert message in one_error_line(result, "train")
        assert "reading" not in result.stdout  # refused before the data was even read


@pytest.mark.slow
def test_two_trainings_with_the_same_out_both_keep_their_run(tmp_path, customers):
    command = [sys.executable, "-m", "scratchgrad", "train", str(customers), "--target", "churn", "--epochs", "5",
               "--verbose", "0", "--out", "same"]
    first = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    second = subprocess.Popen(command, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    results = [first.communicate(timeout=300), second.communicate(timeout=300)]
    codes = [first.returncode, second.returncode]
    made = sorted(p.name for p in tmp_path.iterdir())
    if codes == [0, 0]:
        assert made == ["same", "same-2"], made
        assert any("this run is in same-2" in out for out, _ in results)
        for name in made:
            load_run(tmp_path / name)  # each a whole, loadable run
    else:  # the second started after the first had finished: refused before training
        assert sorted(codes) == [0, 1] and made == ["same"]
        assert any("already exists" in err for _, err in results)


@pytest.mark.slow
def test_a_broken_pipe_does_not_lose_the_run(tmp_path, customers):
    command = (f"{sys.executable} -m scratchgrad train {customers} --target churn --epochs 3 --verbose 2 "
               f"--out piped | head -n 1")
    result = subprocess.run(["bash", "-o", "pipefail", "-c", command], cwd=tmp_path, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    assert "BrokenPipe" not in result.stderr and result.stderr == ""
    load_run(tmp_path / "piped")


@pytest.mark.slow
def test_cross_validation_reports_mean_and_spread(tmp_path, customers):
    result = scratchgrad("train", customers, "--target", "churn", "--cv", "3", "--epochs", "5", "--verbose", "0",
                         "--out", "cv", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    cv = json.loads((tmp_path / "cv" / "metrics.json").read_text())["cross_validation"]
    assert cv["folds"] == 3 and len(cv["scores"]) == 3
    assert cv["mean"] == pytest.approx(np.mean(cv["scores"])) and cv["std"] == pytest.approx(np.std(cv["scores"]))
    assert f"accuracy {cv['mean']:.4f} ± {cv['std']:.4f} over 3 folds" in result.stdout


def test_evaluate_leaves_out_rows_without_target(churn_run, customers, folder):
    run, _ = churn_run
    result = scratchgrad("evaluate", run, customers, cwd=folder)
    assert result.returncode == 0, result.stderr
    missing = int(read_table(customers)["churn"].isna().sum())
    assert f"{missing} row(s) without a target left out" in result.stdout


# ---- graph: bounded in time, no dot left behind ----


@pytest.fixture
def slow_dot(tmp_path):
    """A `dot` that never finishes, writing its process id where the test can see it."""
    bin_folder = tmp_path / "bin"
    bin_folder.mkdir()
    script = bin_folder / "dot"
    script.write_text(f"#!/bin/sh\necho $$ > {tmp_path / 'dot.pid'}\nexec sleep 600\n")
    script.chmod(0o755)
    return dict(os.environ, PATH=f"{bin_folder}:{os.environ['PATH']}"), tmp_path / "dot.pid"


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as handle:
            return handle.read().split(") ")[1][0] != "Z"  # a zombie has ended
    except FileNotFoundError:
        return False


def test_graph_times_out_and_kills_dot(tmp_path, slow_dot):
    environment, pid_file = slow_dot
    result = scratchgrad("graph", "tanh(a*b + a)", "--values", "a=2", "b=-3", "--timeout", "1", cwd=tmp_path,
                         env=environment)
    assert "took more than 1 s" in one_error_line(result, "graph")
    assert not alive(int(pid_file.read_text()))


def test_interrupted_graph_leaves_no_dot_running(tmp_path, slow_dot):
    environment, pid_file = slow_dot
    process = subprocess.Popen([sys.executable, "-m", "scratchgrad", "graph", "a*a + a", "--values", "a=1"],
                               cwd=tmp_path, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    for _ in range(600):  # wait until dot has started (no fixed sleep: poll for its pid file)
        if pid_file.exists() and pid_file.read_text().strip():
            break
        time.sleep(0.05)
    process.send_signal(signal.SIGINT)
    _, errors = process.communicate(timeout=60)
    assert process.returncode == 1 and b"interrupted" in errors
    assert not alive(int(pid_file.read_text()))


def test_graph_refuses_too_many_nodes(tmp_path):
    formula = " + ".join(["tanh(a*a + a)"] * 40)
    message = one_error_line(scratchgrad("graph", formula, "--values", "a=1", "--max-nodes", "100", cwd=tmp_path),
                             "graph")
    assert "more than --max-nodes 100" in message


def test_a_folder_taken_during_training_does_not_cost_the_run(tmp_path):
    from scratchgrad.runs import write_folder

    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "someone else's").write_text("")

    def fill(path):
        (path / "model").write_text("trained")
        return None

    folder, note = write_folder(tmp_path / "out", fill)
    assert folder == tmp_path / "out-2" and (folder / "model").read_text() == "trained"
    assert "this run is in" in note and (tmp_path / "out" / "someone else's").exists()
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]


def test_a_model_file_whose_network_and_preprocessing_disagree_is_refused(churn_run, tmp_path):
    from scratchgrad import io
    from scratchgrad.runs import RunError

    run, _ = churn_run
    network, metadata = io.load_bundle(run / "model.safetensors")
    preprocessing = metadata["table"]["preprocessing"]
    preprocessing["categorical"], preprocessing["categories"], preprocessing["infrequent"] = [], [], []
    io.save(network, tmp_path / "edited.safetensors", metadata=metadata)
    with pytest.raises(RunError, match="does not fit its saved preprocessing"):
        load_run(tmp_path / "edited.safetensors")
