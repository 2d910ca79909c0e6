"""The preprocessing and the network as one ONNX graph taking the raw columns.

Inputs: one per column, shape (N, 1): numbers as double (NaN for missing), categories as
strings ("" or "NA" for missing). The preprocessing graph repeats `TablePreprocessing.transform`
op for op (IsNaN/IsInf and Where impute, the indicator columns, Sub/Div scale; a
LabelEncoder maps each category to its one-hot position, Equal against 0..K-1 makes the
one-hot rows), then the network comes from `export.export_onnx`, read back from its file and
appended, so nothing here depends on how that module builds it.
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

import numpy as np

from .._version import __version__
from ..errors import MissingDependencyError
from .preprocessing import MISSING_CATEGORY
from .reading import MISSING_TOKENS

ML_DOMAIN, ML_OPSET = "ai.onnx.ml", 2
IR_VERSION = 8  # onnx's newest default is ahead of onnxruntime's (see NOTES)


def _onnx():
    try:
        import onnx
        from onnx import TensorProto, helper, numpy_helper
    except ImportError:
        raise MissingDependencyError("ONNX export needs onnx: pip install 'scratchgrad[io]'") from None
    return onnx, TensorProto, helper, numpy_helper


def input_names(columns):
    """ONNX input names for the columns: letters, digits and _ only, unique."""
    names, taken = [], set()
    for column in columns:
        name = re.sub(r"\W", "_", str(column), flags=re.ASCII).strip("_") or "column"
        if name[0].isdigit():
            name = "c_" + name
        base, n = name, 2
        while name in taken:
            name, n = f"{base}_{n}", n + 1
        taken.add(name)
        names.append(name)
    return names


def preprocessing_graph_parts(preprocessing, dtype, output="features"):
    """(inputs, nodes, initializers) computing `output` (N, features) of `dtype` from the raw columns."""
    onnx, TensorProto, helper, numpy_helper = _onnx()
    nodes, initializers, parts = [], [], []
    names = input_names(preprocessing.columns)
    numeric_inputs, categorical_inputs = names[:len(preprocessing.numeric)], names[len(preprocessing.numeric):]
    inputs = [helper.make_tensor_value_info(name, TensorProto.DOUBLE, ["N", 1]) for name in numeric_inputs]
    inputs += [helper.make_tensor_value_info(name, TensorProto.STRING, ["N", 1]) for name in categorical_inputs]

    def constant(name, array):
        initializers.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def node(op, inputs, output_name, domain="", **attributes):
        nodes.append(helper.make_node(op, inputs, [output_name], name=output_name, domain=domain, **attributes))
        return output_name

    if numeric_inputs:
        raw = node("Concat", numeric_inputs, "numeric_raw", axis=1) if len(numeric_inputs) > 1 \
            else node("Identity", numeric_inputs, "numeric_raw")
        missing = node("Or", [node("IsNaN", [raw], "numeric_nan"), node("IsInf", [raw], "numeric_inf")],
                       "numeric_missing")
        filled = node("Where", [missing, constant("median", preprocessing.median.reshape(1, -1)), raw],
                      "numeric_imputed")
        if preprocessing.indicator:
            where = [preprocessing.numeric.index(name) for name in preprocessing.indicator]
            chosen = node("Gather", [missing, constant("indicator_columns", np.array(where, dtype=np.int64))],
                          "indicator_bool", axis=1)
            indicators = node("Cast", [chosen], "indicators", to=TensorProto.DOUBLE)
            filled = node("Concat", [filled, indicators], "numeric_with_indicators", axis=1)
        centred = node("Sub", [filled, constant("mean", preprocessing.mean.reshape(1, -1))], "numeric_centred")
        parts.append(node("Div", [centred, constant("scale", preprocessing.scale.reshape(1, -1))], "numeric_scaled"))

    for j, (name, categories, infrequent) in enumerate(zip(categorical_inputs, preprocessing.categories,
                                                             preprocessing.infrequent)):
        positions = {category: k for k, category in enumerate(categories)}
        other = len(categories) if infrequent is not None else -1
        mapping = {category: k for category, k in positions.items()}
        for category in infrequent or ():
            mapping[category] = other
        for token in MISSING_TOKENS:  # what reading a CSV turns into a missing value
            mapping.setdefault(token, positions.get(MISSING_CATEGORY, other))
        keys = list(mapping)
        index = node("LabelEncoder", [name], f"category_index_{j}", domain=ML_DOMAIN, keys_strings=keys,
                     values_int64s=[mapping[key] for key in keys], default_int64=other)
        width = len(categories) + (infrequent is not None)
        hot = node("Equal", [index, constant(f"category_positions_{j}", np.arange(width, dtype=np.int64))],
                   f"one_hot_bool_{j}")
        parts.append(node("Cast", [hot], f"one_hot_{j}", to=TensorProto.DOUBLE))

    joined = node("Concat", parts, "features_double", axis=1) if len(parts) > 1 else parts[0]
    elem = TensorProto.DOUBLE if dtype == np.float64 else TensorProto.FLOAT
    node("Cast", [joined], output, to=elem)
    return inputs, nodes, initializers


def _network_graph(network, opset, output):
    from ..export import export_onnx

    onnx = _onnx()[0]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "network.onnx"
        export_onnx(network, path, opset=opset, output=output)
        return onnx.load(str(path))


def _append_renamed(graph, nodes, initializers, input_name, prefix):
    """The network's nodes and weights with every name prefixed, its input renamed to `input_name`;
    returns the network's output name as renamed."""

    def rename(name):
        return input_name if name == graph.input[0].name else (f"{prefix}{name}" if name else name)

    for original in graph.node:
        copied = type(original)()
        copied.CopyFrom(original)
        copied.input[:] = [rename(name) for name in original.input]
        copied.output[:] = [rename(name) for name in original.output]
        copied.name = prefix + (original.name or original.output[0])
        nodes.append(copied)
    for original in graph.initializer:
        copied = type(original)()
        copied.CopyFrom(original)
        copied.name = rename(original.name)
        initializers.append(copied)
    return rename(graph.output[0].name)


def export_table_onnx(network, table_model, path, opset=17):
    """Write the whole model as ONNX at `path`; returns (path, input names)."""
    onnx, TensorProto, helper, numpy_helper = _onnx()
    from ..io import _atomic_write

    dtype = network.parameters()[0].data.dtype
    elem = TensorProto.DOUBLE if dtype == np.float64 else TensorProto.FLOAT
    prep = table_model.preprocessing
    inputs, nodes, initializers = preprocessing_graph_parts(prep, dtype)
    classify = table_model.task == "classify"
    net = _network_graph(network, opset, "probabilities" if classify else "raw")
    result = _append_renamed(net.graph, nodes, initializers, "features", "network_")
    if classify:
        nodes.append(helper.make_node("Identity", [result], ["probabilities"], name="probabilities"))
        classes = table_model.classes
        if classes.dtype.kind in "iub":
            class_tensor = numpy_helper.from_array(classes.astype(np.int64), "class_names")
            label_type = TensorProto.INT64
        elif classes.dtype.kind == "f":
            class_tensor, label_type = numpy_helper.from_array(classes.astype(np.float64), "class_names"), \
                TensorProto.DOUBLE
        else:
            class_tensor = helper.make_tensor("class_names", TensorProto.STRING, [len(classes)],
                                              [str(c).encode() for c in classes])
            label_type = TensorProto.STRING
        initializers.append(class_tensor)
        nodes.append(helper.make_node("ArgMax", ["probabilities"], ["label_index"], axis=1, keepdims=0,
                                      name="label_index"))
        nodes.append(helper.make_node("Gather", ["class_names", "label_index"], ["label"], axis=0, name="label"))
        outputs = [helper.make_tensor_value_info("label", label_type, ["N"]),
                   helper.make_tensor_value_info("probabilities", elem, ["N", len(classes)])]
    else:
        initializers += [numpy_helper.from_array(np.array([table_model.y_scale], dtype=dtype), "target_scale"),
                         numpy_helper.from_array(np.array([table_model.y_mean], dtype=dtype), "target_mean")]
        nodes.append(helper.make_node("Mul", [result, "target_scale"], ["prediction_scaled"], name="unscale"))
        nodes.append(helper.make_node("Add", ["prediction_scaled", "target_mean"], ["prediction"], name="uncentre"))
        outputs = [helper.make_tensor_value_info("prediction", elem, ["N", 1])]
    graph = helper.make_graph(nodes, "scratchgrad_table", inputs, outputs, initializers)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", opset),
                                                    helper.make_opsetid(ML_DOMAIN, ML_OPSET)],
                              ir_version=IR_VERSION, producer_name="scratchgrad", producer_version=__version__)
    names = input_names(prep.columns)
    metadata = {"feature_names": prep.columns, "input_names": names,
                "input_types": ["double"] * len(prep.numeric) + ["string"] * len(prep.categorical),
                "target": table_model.target, "task": table_model.task,
                "preprocessing": prep.to_json()}
    if classify:
        metadata["class_names"] = table_model.classes.tolist()
    for key, value in metadata.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, json.dumps(value)
    onnx.checker.check_model(model)
    _atomic_write(Path(path), model.SerializeToString())
    return Path(path), names


def onnx_inputs(frame, preprocessing):
    """The ONNX inputs for the rows of a DataFrame: {input name: (N, 1) array}."""
    from .preprocessing import categorical_block, numeric_block

    names = input_names(preprocessing.columns)
    numbers = numeric_block(frame, preprocessing.numeric)
    strings = categorical_block(frame, preprocessing.categorical)
    feeds = {name: numbers[:, [j]] for j, name in enumerate(names[:len(preprocessing.numeric)])}
    for j, name in enumerate(names[len(preprocessing.numeric):]):
        feeds[name] = strings[:, [j]].astype(str)
    return feeds
