"""skl2onnx converters for scratchgrad's estimators, so that a scikit-learn Pipeline ending in
`scratchgrad.estimators.MLPClassifier` or `MLPRegressor` converts as any other:

    from scratchgrad.sklearn_onnx import register_converters
    register_converters()
    onx = skl2onnx.to_onnx(pipeline, X[:1].astype(np.float32))

The converters read only the fitted attributes scikit-learn's own MLPs have (`coefs_`,
`intercepts_`, `activation`, `out_activation_`, `classes_`) and write MatMul / Add and the
activations; classifiers give a `label` and `probabilities` output, like every skl2onnx
classifier (with its `zipmap` option).
"""

from __future__ import annotations

import numpy as np

from .errors import MissingDependencyError

ACTIVATION_OPS = {"identity": "Identity", "logistic": "Sigmoid", "tanh": "Tanh", "relu": "Relu", "softmax": "Softmax"}


def _skl2onnx():
    try:
        import skl2onnx
    except ImportError:
        raise MissingDependencyError("converting pipelines to ONNX needs skl2onnx: pip install 'scratchgrad[io]'") \
            from None
    return skl2onnx


def _forward(scope, operator, container):
    """The network's outputs (after its output activation) as a variable name, and its proto dtype."""
    from onnx import TensorProto
    from skl2onnx.common.data_types import guess_proto_type

    estimator = operator.raw_operator
    proto = guess_proto_type(operator.inputs[0].type)
    if proto != TensorProto.DOUBLE:
        proto = TensorProto.FLOAT
    dtype = np.float64 if proto == TensorProto.DOUBLE else np.float32
    current = scope.get_unique_variable_name("input_cast")
    container.add_node("Cast", operator.inputs[0].full_name, current, to=proto,
                       name=scope.get_unique_operator_name("Cast"))
    layers = list(zip(estimator.coefs_, estimator.intercepts_))
    for i, (weight, bias) in enumerate(layers):
        weight_name, bias_name = scope.get_unique_variable_name("coef"), scope.get_unique_variable_name("intercept")
        container.add_initializer(weight_name, proto, list(weight.shape), np.asarray(weight, dtype=dtype).ravel())
        container.add_initializer(bias_name, proto, [1, len(bias)], np.asarray(bias, dtype=dtype).ravel())
        product, total = scope.get_unique_variable_name("matmul"), scope.get_unique_variable_name("add")
        container.add_node("MatMul", [current, weight_name], product, name=scope.get_unique_operator_name("MatMul"))
        container.add_node("Add", [product, bias_name], total, name=scope.get_unique_operator_name("Add"))
        activation = estimator.activation if i < len(layers) - 1 else estimator.out_activation_
        op = ACTIVATION_OPS[activation]
        current = scope.get_unique_variable_name(op.lower())
        container.add_node(op, total, current, name=scope.get_unique_operator_name(op),
                           **({"axis": 1} if op == "Softmax" else {}))
    return current, proto


def convert_classifier(scope, operator, container):
    from onnx import TensorProto

    estimator = operator.raw_operator
    scores, proto = _forward(scope, operator, container)
    probabilities = operator.outputs[1].full_name
    if len(estimator.classes_) == 2 and estimator.coefs_[-1].shape[1] == 1:  # one sigmoid output: P(second class)
        one, negative = scope.get_unique_variable_name("one"), scope.get_unique_variable_name("negative")
        container.add_initializer(one, proto, [], [1.0])
        container.add_node("Sub", [one, scores], negative, name=scope.get_unique_operator_name("Sub"))
        container.add_node("Concat", [negative, scores], probabilities, axis=1,
                           name=scope.get_unique_operator_name("Concat"))
    else:
        container.add_node("Identity", scores, probabilities, name=scope.get_unique_operator_name("Identity"))
    classes = np.asarray(estimator.classes_)
    names = scope.get_unique_variable_name("classes")
    if classes.dtype.kind in "iub":
        container.add_initializer(names, TensorProto.INT64, [len(classes)], classes.astype(np.int64).tolist())
    else:
        container.add_initializer(names, TensorProto.STRING, [len(classes)], [str(c).encode() for c in classes])
    index = scope.get_unique_variable_name("argmax")
    container.add_node("ArgMax", probabilities, index, axis=1, keepdims=0,
                       name=scope.get_unique_operator_name("ArgMax"))
    container.add_node("Gather", [names, index], operator.outputs[0].full_name, axis=0,
                       name=scope.get_unique_operator_name("Gather"))


def convert_regressor(scope, operator, container):
    outputs, _ = _forward(scope, operator, container)
    container.add_node("Identity", outputs, operator.outputs[0].full_name,
                       name=scope.get_unique_operator_name("Identity"))


def register_converters():
    """Teach skl2onnx our MLPClassifier and MLPRegressor (safe to call more than once)."""
    skl2onnx = _skl2onnx()
    from skl2onnx.common.shape_calculator import (
        calculate_linear_classifier_output_shapes,
        calculate_linear_regressor_output_shapes,
    )

    from .estimators import MLPClassifier, MLPRegressor

    skl2onnx.update_registered_converter(MLPClassifier, "ScratchgradMLPClassifier",
                                         calculate_linear_classifier_output_shapes, convert_classifier,
                                         options={"zipmap": [True, False, "columns"], "nocl": [False]})
    skl2onnx.update_registered_converter(MLPRegressor, "ScratchgradMLPRegressor",
                                         calculate_linear_regressor_output_shapes, convert_regressor)
