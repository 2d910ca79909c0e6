"""The micrograd view: the network on screen rebuilt on the scalar engine, for one training point.

The tensor network's current weights are copied into a `scratchgrad.nn.ScalarMLP` (one
`Value` per number), the chosen point goes through it, the loss for that point is
backpropagated, and the resulting graph is sent with each node's data and gradient. Only
for networks small enough to read: past `Limits.micrograd_max_nodes` nodes the view says so.
"""

from __future__ import annotations

import math

from ..nn import ScalarMLP
from ..value import Value
from .data import FEATURES


def count_nodes(n_inputs, hidden, n_outputs):
    """Nodes of the scalar graph: inputs, weights and biases, one dot and one activation per neuron, the loss."""
    sizes = [n_inputs, *hidden, n_outputs]
    parameters = sum((a + 1) * b for a, b in zip(sizes[:-1], sizes[1:]))
    neurons = sum(hidden)
    loss_nodes = 3 * n_outputs + 3
    return n_inputs + parameters + 2 * neurons + n_outputs + loss_nodes


def build_scalar_network(session):
    """A ScalarMLP with the session's current weights, each Value labelled w[layer](i→j) or b[layer](j)."""
    s = session.settings
    network = ScalarMLP(len(s.feature_order), [*s.hidden, session.n_outputs], activation=s.activation, seed=0)
    for number, (layer, linear) in enumerate(zip(network.layers, session.linears), start=1):
        weight, bias = linear.weight.data, linear.bias.data
        for j, neuron in enumerate(layer.neurons):
            for i, w in enumerate(neuron.w):
                w.data, w.label = float(weight[i, j]), f"w{number}[{i}→{j}]"
            neuron.b.data, neuron.b.label = float(bias[j]), f"b{number}[{j}]"
    return network


def point_loss(session, outputs, target):
    """The loss of one point, as the tensor engine computes it for a batch of one."""
    if session.settings.task == "regression":
        return (outputs - float(target)) ** 2
    if session.n_outputs == 1:  # binary cross-entropy with logits: log(1 + exp(-z)) for label 1
        z = outputs if int(target) == 1 else -outputs
        return ((-z).exp() + 1).log()
    logits = outputs
    return sum((z.exp() for z in logits), Value(0.0)).log() - logits[int(target)]


def graph_for_point(session, index) -> dict:
    s = session.settings
    nodes_needed = count_nodes(len(s.feature_order), s.hidden, session.n_outputs)
    limit = session.limits.micrograd_max_nodes
    if nodes_needed > limit:
        return {"error": f"this network has about {nodes_needed} scalar nodes; the micrograd view draws at most "
                         f"{limit}. Try fewer features, layers or neurons (e.g. x₁, x₂ and one layer of 3)."}
    index = min(max(int(index), 0), len(session.X_train) - 1)
    network = build_scalar_network(session)
    inputs = [Value(float(v), label=FEATURES[name][0]) for v, name in zip(session.X_train[index], s.feature_order)]
    try:
        loss = point_loss(session, network(inputs), session.train_points[index, 2])
    except (ArithmeticError, ValueError) as error:
        return {"error": f"the loss of this point cannot be computed on the scalar engine: {error}"}
    loss.label = "loss"
    loss.backward()
    return {"point": index, "x": session.train_points[index, :2].tolist(),
            "target": float(session.train_points[index, 2]), **serialize(loss)}


def serialize(root) -> dict:
    """Nodes (id, label, op, data, grad, column) and edges (from input to result) of the graph below `root`."""
    order, seen, stack = [], set(), [(root, False)]
    while stack:  # iterative post-order: inputs before the nodes that use them
        node, expanded = stack.pop()
        if expanded:
            order.append(node)
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        stack.append((node, True))
        stack.extend((child, False) for child in reversed(node._prev) if id(child) not in seen)
    ids = {id(node): number for number, node in enumerate(order)}
    column = {}  # operations on even columns by depth; each leaf on the odd column just before its first user
    for node in order:
        column[id(node)] = 2 + max((column[id(child)] for child in node._prev), default=-2)
    consumers = {}
    for node in order:
        for child in node._prev:
            consumers.setdefault(id(child), []).append(column[id(node)])
    nodes = []
    for node in order:
        leaf = not node._prev
        place = column[id(node)]
        if leaf and id(node) in consumers:  # a weight sits just left of the neuron that uses it
            place = min(consumers[id(node)]) - 1
        nodes.append({"id": ids[id(node)], "label": node.label, "op": node._op,
                      "data": _number(node.data), "grad": _number(node.grad), "column": place,
                      "kind": _kind(node)})
    edges = [[ids[id(child)], ids[id(node)]] for node in order for child in node._prev]
    used = sorted({node["column"] for node in nodes})
    for node in nodes:  # close the gaps: columns numbered 0, 1, 2, ... in order
        node["column"] = used.index(node["column"])
    _assign_rows(nodes, edges)
    return {"nodes": nodes, "edges": edges}


def _assign_rows(nodes, edges):
    """A vertical place (in rows) for each node: level with the nodes that use it, right to left,
    pushed down just enough not to overlap, so a weight sits beside the neuron it feeds."""
    users = {}
    for child, parent in edges:
        users.setdefault(child, []).append(parent)
    row = {}
    for column in sorted({node["column"] for node in nodes}, reverse=True):
        def wanted(node):
            rows = [row[u] for u in users.get(node["id"], []) if u in row]
            return (sum(rows) / len(rows) if rows else 0.0, node["id"])
        lowest = -1.0
        for node in sorted((node for node in nodes if node["column"] == column), key=wanted):
            row[node["id"]] = lowest = max(wanted(node)[0], lowest + 1.0)
    top = min(row.values())
    for node in nodes:
        node["row"] = row[node["id"]] - top


def _kind(node):
    if node._prev:
        return "operation"
    if node.label.startswith(("w", "b")) and "[" in node.label:
        return "parameter"
    return "input" if node.label else "constant"


def _number(x):
    x = float(x)
    return x if math.isfinite(x) else None
