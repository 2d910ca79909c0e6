"""The "show code" panel: the scratchgrad script that builds, trains and evaluates the network on screen.

The script does what `Session` does, step for step (same seed, same data, same batches),
so running it prints the losses the page shows. Keep the two in step: the server tests
run the script and compare.
"""

from __future__ import annotations

import numpy as np

from .data import DATASET_TITLES, FEATURES

HEADER = '''"""A scratchgrad playground run as a script: running it reproduces the losses on screen.

Data: {data}.
Network: {n_inputs} features ({features}) -> {hidden} -> {n_outputs}, {activation}; {optimizer_text}, batch {batch}.
Trained for {epochs} epochs. Run it with: python {filename}
"""

import numpy as np

from scratchgrad import functional as F
from scratchgrad import nn, no_grad, optim
from scratchgrad.playground.data import {data_imports}

SEED = {seed}
EPOCHS = {epochs}  # the epochs trained on screen
BATCH_SIZE = {batch}
'''

LOSSES = {
    "binary": ("F.binary_cross_entropy_with_logits(outputs, targets)",
               "one logit per point: P(class 1) = sigmoid(logit)", "astype(np.float32).reshape(-1, 1)"),
    "multiclass": ("F.cross_entropy(outputs, targets)", "one logit per class, targets are class numbers",
                   "astype(np.int64)"),
    "regression": ("F.mse_loss(outputs, targets)", "one output per point, targets in [-1, 1]",
                   "astype(np.float32).reshape(-1, 1)"),
}

REGULARIZATION = {
    "l2": ("L2", "RATE * layer.weight.data", "the gradient of RATE/2 * sum(w²)"),
    "l1": ("L1", "RATE * np.sign(layer.weight.data)", "the gradient of RATE * sum(|w|)"),
}

FILENAME = "playground_run.py"


def make_script(session) -> str:
    s = session.settings
    kind = "regression" if s.task == "regression" else ("multiclass" if session.n_outputs > 1 else "binary")
    loss_expression, target_comment, target_conversion = LOSSES[kind]
    optimizer_text = {"sgd": f"SGD lr={s.lr!r}", "momentum": f"SGD lr={s.lr!r} momentum=0.9",
                      "adam": f"Adam lr={s.lr!r}"}[s.optimizer]
    if s.regularization != "none" and s.regularization_rate > 0:
        optimizer_text += f", {s.regularization.upper()} {s.regularization_rate!r}"
    features = s.feature_order
    custom = s.dataset == "csv"
    if custom:
        data = f"your CSV {session.custom_data.filename!r}, {len(session.points)} points, scaled onto [-5, 5]²"
    else:
        data = f"{DATASET_TITLES[s.dataset]}, {s.n_points} points, noise {s.noise!r}"
    data += f", {round(s.train_fraction * 100)}% for training"
    lines = [HEADER.format(
        data=data, n_inputs=len(features), features=", ".join(FEATURES[f][0] for f in features),
        hidden=list(s.hidden), n_outputs=session.n_outputs, activation=s.activation, optimizer_text=optimizer_text,
        batch=min(s.batch_size, len(session.X_train)), epochs=session.epoch, filename=FILENAME, seed=s.seed,
        data_imports="make_features, split_train_test" if custom else "make_dataset, make_features, split_train_test")]
    if s.regularization != "none":
        lines.append(f"RATE = {s.regularization_rate!r}  # {s.regularization.upper()} regularization rate\n")
    lines.append("\n# ---- data: points in [-6, 6]², then the features the network sees ----\n")
    if custom:
        lines.append(_data_literals(session))
        if session.class_names:
            lines.append(f"# class numbers stand for the CSV's labels {session.class_names!r}\n")
    else:
        lines.append(f"X, y = make_dataset({s.dataset!r}, n_points={s.n_points}, noise={s.noise!r}, seed=SEED)\n")
    lines.append(f"features = make_features(X, {features!r})\n")
    lines.append(f"(X_train, y_train), (X_test, y_test) = split_train_test(features, y, "
                 f"train_fraction={s.train_fraction!r}, seed=SEED)\n")
    lines.append(f"y_train = y_train.{target_conversion}  # {target_comment}\n")
    lines.append(f"y_test = y_test.{target_conversion}\n")
    lines.append("\n# ---- the network and its optimizer ----\n")
    lines.append(f"model = nn.MLP({len(features)}, {list(s.hidden)}, {session.n_outputs}, "
                 f"activation={s.activation!r}, seed=SEED)\n")
    if s.optimizer == "adam":
        lines.append(f"optimizer = optim.Adam(model.parameters(), lr={s.lr!r})\n")
    elif s.optimizer == "momentum":
        lines.append(f"optimizer = optim.SGD(model.parameters(), lr={s.lr!r}, momentum=0.9)\n")
    else:
        lines.append(f"optimizer = optim.SGD(model.parameters(), lr={s.lr!r})\n")
    lines.append("rng = np.random.default_rng([SEED, 1])  # shuffles the training points each epoch\n\n\n")
    lines.append(f"def loss_of(outputs, targets):\n    return {loss_expression}\n\n\n")
    lines.append("# ---- training: one epoch is one pass over the shuffled training points ----\n")
    lines.append("for epoch in range(EPOCHS):\n"
                 "    order = rng.permutation(len(X_train))\n"
                 "    for start in range(0, len(order), BATCH_SIZE):\n"
                 "        batch = order[start:start + BATCH_SIZE]\n"
                 "        optimizer.zero_grad()\n"
                 "        loss = loss_of(model(X_train[batch]), y_train[batch])\n"
                 "        loss.backward()\n")
    if s.regularization != "none":
        name, expression, meaning = REGULARIZATION[s.regularization]
        lines.append(f"        for layer in model:  # {name}: add {meaning} to the weights' gradients (not biases)\n"
                     f"            if isinstance(layer, nn.Linear):\n"
                     f"                layer.weight.grad += {expression}\n")
    lines.append("        optimizer.step()\n\n")
    lines.append("with no_grad():\n"
                 "    train_loss = loss_of(model(X_train), y_train).item()\n"
                 "    test_loss = loss_of(model(X_test), y_test).item()\n"
                 'print(f"epoch {EPOCHS}: train loss {train_loss:.6f}, test loss {test_loss:.6f}")\n')
    return "".join(lines)


def _data_literals(session) -> str:
    """The uploaded points and labels as code; written once per dataset (thousands of rows take a while)."""
    key = (id(session.points), id(session.labels), session.settings.task)
    cached = getattr(session, "_data_literals", None)
    if cached is None or cached[0] != key:
        y = session.labels.astype(np.int64) if session.settings.task == "classification" else session.labels
        cached = (key, _array_literal("X", session.points) + "\n" + _array_literal("y", y) + "\n")
        session._data_literals = cached
    return cached[1]


def _array_literal(name, array) -> str:
    """`name = np.array([...])` with every number written exactly (Python's repr round-trips floats)."""
    rows = array.tolist()
    per_line = 4 if array.ndim == 2 else 10
    chunks = [", ".join(repr(row) for row in rows[i:i + per_line]) for i in range(0, len(rows), per_line)]
    return f"{name} = np.array([\n    " + ",\n    ".join(chunks) + ",\n])"
