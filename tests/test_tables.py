"""Tables: reading messy CSVs, column roles, splits, preprocessing against scikit-learn, ONNX."""

import codecs
import json

import numpy as np
import onnxruntime
import pandas as pd
import pytest

from scratchgrad import nn
from scratchgrad.datasets import make_messy_table, read_table
from scratchgrad.tables import TableError
from scratchgrad.tables.onnx_export import export_table_onnx, onnx_inputs
from scratchgrad.tables.preprocessing import TablePreprocessing, raw_matrix
from scratchgrad.tables.reading import detect_encoding, read_csv_chunks, sniff_format
from scratchgrad.tables.roles import infer_roles
from scratchgrad.tables.splits import folds, split_rows

# ---- reading ----


@pytest.fixture(scope="module")
def messy():
    return make_messy_table(200, "classify", random_state=0)


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "latin-1", "cp1252", "utf-16"])
def test_read_table_sniffs_delimiter_and_encoding(tmp_path, messy, delimiter, encoding):
    path = tmp_path / "t.csv"
    messy.to_csv(path, sep=delimiter, index=False, encoding=encoding)
    frame = read_table(path)
    assert list(frame.columns) == list(messy.columns)
    assert frame.attrs["csv_format"].delimiter == delimiter
    # the reference: what pandas reads when told the format
    reference = pd.read_csv(path, sep=delimiter, encoding=encoding, na_values=["?"])
    assert frame["city"].fillna("").tolist() == reference["city"].fillna("").tolist()
    assert "Zürich" in set(frame["city"]) and "Kraków" in set(frame["city"])
    np.testing.assert_array_equal(frame["income"].to_numpy(dtype=float), reference["income"].to_numpy(dtype=float))
    assert frame["Customer Age"].isna().sum() == (messy["Customer Age"] == "NA").sum()


def test_encoding_detection_reads_the_whole_file(tmp_path):
    path = tmp_path / "late.csv"
    path.write_bytes(("a,b\n" + "1,x\n" * 100_000 + "2,café\n").encode("latin-1"))
    assert detect_encoding(path) == "cp1252"
    assert read_table(path)["b"].iloc[-1] == "café"
    path.write_bytes(codecs.BOM_UTF8 + "a;b\n1;é\n".encode())
    assert detect_encoding(path) == "utf-8-sig" and read_table(path).columns.tolist() == ["a", "b"]


def test_quoted_fields_with_delimiters_and_newlines(tmp_path):
    path = tmp_path / "q.csv"
    path.write_text('id,"comment, long",y\n1,"a, b ""quoted""\nsecond line",0\n2,plain,1\n')
    frame = read_table(path)
    assert frame.columns.tolist() == ["id", "comment, long", "y"]
    assert frame["comment, long"].iloc[0] == 'a, b "quoted"\nsecond line'


def test_decimal_comma_in_semicolon_files(tmp_path):
    path = tmp_path / "eu.csv"
    path.write_text("prix;poids\n1,5;2,25\n3,0;4,75\n")
    frame = read_table(path)
    assert frame["prix"].tolist() == [1.5, 3.0] and frame["poids"].tolist() == [2.25, 4.75]


def test_duplicate_column_names_are_an_error_naming_them(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("age,city, age,y\n1,a,2,0\n")
    with pytest.raises(TableError, match=r"duplicate column names: 'age' \(columns 1, 3\)"):
        read_table(path)
    with pytest.raises(TableError, match="duplicate column names: 'x'"):
        read_table(pd.DataFrame([[1, 2]], columns=["x", "x"]))


def test_thousands_of_columns(tmp_path):
    data = np.arange(20 * 3000).reshape(20, 3000)
    path = tmp_path / "wide.csv"
    pd.DataFrame(data, columns=[f"c{i}" for i in range(3000)]).to_csv(path, index=False)
    frame = read_table(path)
    assert frame.shape == (20, 3000) and frame["c2999"].tolist() == data[:, -1].tolist()


def test_missing_value_spellings(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("a,b\n1,x\n,y\nNA,z\nnull,?\nNaN,N/A\n5, w \n")
    frame = read_table(path)
    assert frame["a"].isna().tolist() == [False, True, True, True, True, False]
    assert frame["b"].isna().tolist() == [False, False, False, True, True, False]


def test_data_frames_are_accepted_and_keep_their_names(messy):
    frame = read_table(messy)
    assert list(frame.columns) == list(messy.columns)
    assert frame["Customer Age"].isna().sum() == (messy["Customer Age"] == "NA").sum()
    assert read_table(messy) is not messy  # a copy: the caller's frame is left alone


def test_chunks_cover_the_file(tmp_path, messy):
    path = tmp_path / "t.csv"
    messy.to_csv(path, index=False)
    chunks = list(read_csv_chunks(path, 37))
    assert [len(c) for c in chunks] == [37] * 5 + [15]
    whole = read_table(path)
    pd.testing.assert_frame_equal(pd.concat(chunks).reset_index(drop=True), whole, check_dtype=False)
    assert sniff_format(path).columns == list(messy.columns)


# ---- roles ----


def test_roles_of_a_messy_table(messy):
    roles = infer_roles(read_table(messy), "churn")
    assert roles.task == "classify" and set(roles.classes) == {"yes", "no"}
    assert roles.numeric == ["Customer Age", "income", "visits"] and roles.categorical == ["city", "plan"]
    assert set(roles.skipped) == {"customer_id", "country", "notes"}
    assert "ID-like" in roles.skipped["customer_id"] and "constant" in roles.skipped["country"]
    assert roles.rows_without_target == (messy["churn"] == "").sum() > 0
    summary = roles.summary(read_table(messy))
    assert "skipped" in summary and f"{roles.rows_without_target} without a target left out" in summary


def test_roles_options_and_integer_ids():
    frame = pd.DataFrame({"row": range(100), "CustomerID": np.arange(100) * 7 + 3, "paid": np.arange(100) * 3,
                          "zip": np.tile([75001, 69002, 13003, 31000], 25), "y": np.tile([0.5, 1.5], 50)})
    roles = infer_roles(frame, "y")
    assert set(roles.skipped) == {"row", "CustomerID"} and "paid" in roles.numeric
    assert roles.task == "regress"
    roles = infer_roles(frame, "y", categorical=["zip"], drop=["paid"])
    assert roles.categorical == ["zip"] and "paid" not in roles.features
    roles = infer_roles(frame, "y", features=["zip"])
    assert roles.features == ["zip"]
    with pytest.raises(TableError, match=r"--features names no column 'zp' \(did you mean 'zip'\?\)"):
        infer_roles(frame, "y", features=["zp"])


@pytest.mark.parametrize("values, task, message", [
    (np.arange(200) % 40, "regress", "40 distinct integers: treated as amounts"),
    (np.arange(200) % 4, "classify", "treated as classes"),
    (np.tile(["a", "b"], 100), "classify", None),
    (np.linspace(0, 1, 200), "regress", None),
])
def test_target_task_inference_says_so(values, task, message):
    frame = pd.DataFrame({"x": np.linspace(0, 1, 200), "y": values})
    roles = infer_roles(frame, "y")
    assert roles.task == task
    if message:
        assert any(message in note and "--task" in note for note in roles.notes)


def test_target_problems_suggest_task():
    frame = pd.DataFrame({"x": range(10), "y": ["a", "b"] * 5})
    with pytest.raises(TableError, match="--task classify"):
        infer_roles(frame, "y", task="regress")
    with pytest.raises(TableError, match="single value.*--task regress"):
        infer_roles(pd.DataFrame({"x": range(10), "y": ["a"] * 10}), "y")


# ---- splits ----


def test_splits_keep_rare_classes_in_training_and_stratify():
    y = np.array(["a"] * 80 + ["b"] * 19 + ["lone"])
    kept, held = split_rows(y, 0.2, stratify=True, seed=0)
    assert "lone" in y[kept] and "lone" not in y[held]
    assert sorted(np.concatenate([kept, held]).tolist()) == list(range(100))
    assert abs((y[held] == "a").sum() - 16) <= 1 and abs((y[held] == "b").sum() - 4) <= 1
    parts = folds(y, 5, stratify=True, seed=0)
    tested = np.concatenate([test for _, test in parts])
    assert sorted(tested.tolist()) == [i for i in range(100) if y[i] != "lone"]
    assert all(set(train).isdisjoint(test) and 99 in train for train, test in parts)
    with pytest.raises(TableError, match="too few"):
        split_rows(np.array([1, 2]), 0.2, stratify=True, seed=0)


# ---- preprocessing against scikit-learn ----


def new_rows_with_surprises(frame):
    rows = frame.astype({"visits": object})
    rows.loc[rows.index[:5], "city"] = "Atlantis"  # never seen in training
    rows.loc[rows.index[5:10], "income"] = np.nan
    rows.loc[rows.index[10:12], "plan"] = np.nan
    rows.loc[rows.index[12], "visits"] = "lots"  # not a number: imputed
    return rows


def test_preprocessing_matches_scikit_learn_and_survives_json(messy):
    frame = read_table(messy)
    roles = infer_roles(frame, "churn")
    ours, transformer = TablePreprocessing.fit(frame.iloc[:150], roles.numeric, roles.categorical)
    rows = new_rows_with_surprises(frame.iloc[150:])
    expected = transformer.transform(raw_matrix(rows, roles.numeric, roles.categorical))
    np.testing.assert_allclose(ours.transform(rows), expected, rtol=1e-12, atol=1e-12)
    again = TablePreprocessing.from_json(json.loads(json.dumps(ours.to_json())))
    np.testing.assert_array_equal(again.transform(rows), ours.transform(rows))
    assert len(ours.output_names) == expected.shape[1]


def test_preprocessing_fits_on_the_rows_it_is_given():
    frame = pd.DataFrame({"x": [1.0, 2.0, 3.0, 100.0, 200.0]})
    prep, _ = TablePreprocessing.fit(frame.iloc[:3], ["x"], [])
    assert prep.mean.tolist() == [2.0]  # the last two rows (test rows) play no part


# ---- ONNX ----


@pytest.mark.parametrize("task", ["classify", "regress"])
def test_onnx_of_the_whole_model_equals_predict(tmp_path, task):
    from scratchgrad.runs import TableModel, predict_with

    frame = read_table(make_messy_table(120, task, random_state=1))
    roles = infer_roles(frame, frame.columns[-1])
    used = frame[frame[roles.target].notna()]
    y = used[roles.target].to_numpy() if task == "classify" else used[roles.target].astype(float).to_numpy()
    table_model = TableModel.fit(used, y, roles)
    network = nn.MLP(len(table_model.preprocessing.output_names), [8], table_model.n_outputs, seed=0)
    path, names = export_table_onnx(network, table_model, tmp_path / "m.onnx")
    rows = new_rows_with_surprises(used)
    session = onnxruntime.InferenceSession(str(path))
    assert [i.name for i in session.get_inputs()] == names
    outputs = session.run(None, onnx_inputs(rows, table_model.preprocessing))
    if task == "classify":
        np.testing.assert_allclose(outputs[1], predict_with(network, table_model, rows, proba=True), atol=1e-5)
        assert outputs[0].tolist() == predict_with(network, table_model, rows).tolist()
    else:
        np.testing.assert_allclose(outputs[0].ravel(), predict_with(network, table_model, rows), rtol=1e-5, atol=1e-3)


def test_onnx_takes_the_missing_spellings_of_a_csv(tmp_path):
    from scratchgrad.runs import TableModel, predict_with

    frame = read_table(make_messy_table(100, "classify", random_state=2))
    roles = infer_roles(frame, "churn")
    used = frame[frame["churn"].notna()]
    table_model = TableModel.fit(used, used["churn"].to_numpy(), roles)
    network = nn.MLP(len(table_model.preprocessing.output_names), [4], 2, seed=0)
    path, _ = export_table_onnx(network, table_model, tmp_path / "m.onnx")
    session = onnxruntime.InferenceSession(str(path))
    feeds = onnx_inputs(used.iloc[:3], table_model.preprocessing)
    feeds["city"] = np.array([[""], ["NA"], ["?"]])
    with_gaps = used.iloc[:3].copy()
    with_gaps["city"] = np.nan
    np.testing.assert_allclose(session.run(None, feeds)[1], predict_with(network, table_model, with_gaps, proba=True),
                               atol=1e-5)


def test_metadata_names_the_features_and_classes(tmp_path):
    import onnx

    from scratchgrad.runs import TableModel

    frame = read_table(make_messy_table(60, "classify", random_state=3))
    roles = infer_roles(frame, "churn")
    used = frame[frame["churn"].notna()]
    table_model = TableModel.fit(used, used["churn"].to_numpy(), roles)
    network = nn.MLP(len(table_model.preprocessing.output_names), [4], 2, seed=0)
    path, _ = export_table_onnx(network, table_model, tmp_path / "m.onnx")
    metadata = {p.key: json.loads(p.value) for p in onnx.load(str(path)).metadata_props}
    assert metadata["feature_names"] == roles.features and metadata["class_names"] == ["no", "yes"]


@pytest.mark.parametrize("opset", range(13, 26))
def test_every_opset_the_command_accepts_loads_in_onnxruntime(tmp_path, opset):
    from scratchgrad.cli import MAX_OPSET, MIN_OPSET
    from scratchgrad.runs import TableModel

    if not MIN_OPSET <= opset <= MAX_OPSET:
        pytest.fail(f"opset {opset} outside the command's range")
    frame = pd.DataFrame({"x": [1.0, 2.0, np.nan, 4.0, 5.0, 6.0], "c": ["a", "b", "a", None, "b", "a"],
                          "y": [0, 1, 0, 1, 1, 0]})
    roles = infer_roles(frame, "y")
    table_model = TableModel.fit(frame, frame["y"].to_numpy(), roles)
    network = nn.MLP(len(table_model.preprocessing.output_names), [3], 2, seed=0)
    path, _ = export_table_onnx(network, table_model, tmp_path / "m.onnx", opset=opset)
    session = onnxruntime.InferenceSession(str(path))
    assert session.run(None, onnx_inputs(frame, table_model.preprocessing))[1].shape == (6, 2)


# ---- skl2onnx ----


@pytest.mark.parametrize("kind", ["multiclass", "binary", "regression"])
def test_skl2onnx_converts_a_pipeline_ending_in_our_estimator(kind):
    skl2onnx = pytest.importorskip("skl2onnx")
    from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from scratchgrad.estimators import MLPClassifier, MLPRegressor
    from scratchgrad.sklearn_onnx import register_converters

    register_converters()
    load = {"multiclass": load_iris, "binary": load_breast_cancer, "regression": load_diabetes}[kind]
    X, y = load(return_X_y=True)
    if kind == "multiclass":
        y = np.array(["setosa", "versicolor", "virginica"])[y]
    estimator = MLPRegressor if kind == "regression" else MLPClassifier
    pipeline = make_pipeline(StandardScaler(), estimator(hidden_layer_sizes=(8,), max_iter=20, random_state=0))
    pipeline.fit(X, y)
    options = None if kind == "regression" else {"zipmap": False}
    model = skl2onnx.to_onnx(pipeline, X[:1].astype(np.float32), options=options, target_opset=17)
    session = onnxruntime.InferenceSession(model.SerializeToString())
    outputs = session.run(None, {session.get_inputs()[0].name: X.astype(np.float32)})
    if kind == "regression":
        np.testing.assert_allclose(outputs[0].ravel(), pipeline.predict(X), rtol=1e-4, atol=1e-3)
    else:
        np.testing.assert_allclose(outputs[1], pipeline.predict_proba(X), atol=1e-5)
        assert outputs[0].tolist() == pipeline.predict(X).tolist()


def test_dates_are_skipped_and_numbers_too_large_are_refused_in_our_terms():
    frame = pd.DataFrame({"when": pd.date_range("2020-01-01", periods=50).astype(str), "x": np.arange(50) % 7,
                          "big": np.linspace(-1, 1, 50) * 1e300, "y": np.arange(50) % 2})
    roles = infer_roles(frame, "y")
    assert roles.skipped["when"].startswith("dates") and roles.numeric == ["x", "big"]
    with pytest.raises(TableError, match=r"\['big'\] hold numbers too large to standardise.*--drop"):
        TablePreprocessing.fit(frame, roles.numeric, roles.categorical)


def test_columns_named_in_features_are_kept_even_if_they_look_like_ids():
    frame = pd.DataFrame({"code": [f"k{i}" for i in range(30)], "row_id": range(30), "x": np.arange(30) % 5,
                          "y": np.arange(30) % 2})
    assert set(infer_roles(frame, "y").skipped) == {"code", "row_id"}
    roles = infer_roles(frame, "y", features=["code", "row_id"])
    assert roles.categorical == ["code"] and roles.numeric == ["row_id"] and not roles.skipped


# ---- polars ----


def test_a_polars_frame_reads_as_the_same_table_as_pandas():
    """polars (without pyarrow, which its `to_pandas` needs) gives the table pandas would."""
    pl = pytest.importorskip("polars")
    columns = {"Customer Age": [31.5, None, 40.0, 22.0] * 10, "city": ["Köln", "Paris", None, "N/A"] * 10,
               "visits": [1, 2, 3, 4] * 10, "bought": ["yes", "no"] * 20}
    ours = read_table(pl.DataFrame(columns))
    expected = read_table(pd.DataFrame(columns))
    assert list(ours.columns) == list(expected.columns) == ["Customer Age", "city", "visits", "bought"]
    for name in expected.columns:
        assert ours[name].isna().tolist() == expected[name].isna().tolist(), name
        assert ours[name].dropna().tolist() == expected[name].dropna().tolist(), name
    assert infer_roles(ours, "bought").features == infer_roles(expected, "bought").features


def test_polars_dates_read_as_datetimes_as_polars_to_pandas_gives_them():
    """polars' `to_pandas` (with pyarrow) makes a Date column datetime64[ms]; without pyarrow the
    same column must not arrive as `datetime.date` objects, which the roles skip as date text."""
    pl = pytest.importorskip("polars")
    import datetime

    days = [datetime.date(2020, 1, 1) + datetime.timedelta(days=7 * i) for i in range(40)]
    columns = {"day": [None if i == 3 else day for i, day in enumerate(days)], "y": ["yes", "no"] * 20}
    ours = read_table(pl.DataFrame(columns))
    expected = read_table(pd.DataFrame({"day": pd.to_datetime(columns["day"]).astype("datetime64[ms]"),
                                        "y": columns["y"]}))
    assert ours["day"].dtype == expected["day"].dtype == np.dtype("datetime64[ms]")
    assert ours["day"].isna().tolist() == expected["day"].isna().tolist()
    assert ours["day"].dropna().tolist() == expected["day"].dropna().tolist()
    assert infer_roles(ours, "y").features == infer_roles(expected, "y").features == ["day"]


def test_a_polars_lazy_frame_reads_as_its_collected_frame_and_a_series_is_refused_by_name():
    pl = pytest.importorskip("polars")
    frame = pl.DataFrame({"x": [1.0, 2.0, None], "city": ["Köln", "N/A", "Paris"]})
    lazy = read_table(frame.lazy().with_columns(pl.col("x") * 2))
    assert lazy["x"].tolist()[:2] == [2.0, 4.0] and lazy["city"].isna().tolist() == [False, True, False]
    with pytest.raises(TypeError, match="read_table takes a CSV path or a DataFrame, got Series"):
        read_table(frame["x"])


def test_a_column_of_lists_is_skipped_with_its_reason():
    frame = pd.DataFrame({"x": [1.0, 2, 3, 4] * 10, "tags": [[1, 2], [3]] * 20, "y": ["a", "b"] * 20})
    roles = infer_roles(read_table(frame), "y")
    assert roles.features == ["x"]
    assert "nested" in roles.skipped["tags"]
