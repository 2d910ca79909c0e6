"""Draw a computation graph, as micrograd's `draw_dot` does, for Values and Tensors alike.

Each node is a record (label, data, grad; for a tensor its shape and a summary), and each
operation a small node of its own between its inputs and its result. Numbers an operation
used are drawn too (`2 * n` shows the 2), and a neuron's weighted sum (`Value.dot`, one
node in the engine) is drawn as what it stands for: each `w_i * x_i`, then their sum.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..errors import InvalidParameterError, MissingDependencyError

INSTALL_DOT = ("rendering needs Graphviz's `dot` program: apt-get install graphviz (Debian/Ubuntu), "
               "brew install graphviz (macOS), or see graphviz.org/download; the DOT text is in .source")


def _graphviz():
    try:
        import graphviz
    except ImportError:
        raise MissingDependencyError("drawing graphs needs the graphviz package: pip install 'scratchgrad[viz]'") \
            from None
    return graphviz


def _escape(text: str) -> str:
    """Make text safe inside a graphviz record label, where { } | < > and \\ mean something."""
    for char in "\\{}|<>":
        text = text.replace(char, "\\" + char)
    return text


def _summary(array) -> str:
    array = np.asarray(array)
    if array.size == 1:
        return f"{array.item():.4f}"
    if array.size <= 4:
        return np.array2string(array.ravel(), precision=3, separator=" ")
    return f"mean {array.mean():.3f} min {array.min():.3f} max {array.max():.3f}"


def _record(node, name=None) -> str:
    label = node.label or name  # a label someone set (a Neuron's w0, w1) says more than a path
    fields = [label] if label else []
    if isinstance(node.data, np.ndarray):
        fields.append(f"shape {node.data.shape}")
    fields.append(f"data {_summary(node.data)}")
    fields.append("grad -" if node.grad is None else f"grad {_summary(node.grad)}")
    return " | ".join(_escape(str(field)) for field in fields)


def collect(root, depth=None):
    """The nodes within `depth` operations of `root` (all of them for None), root first."""
    seen, frontier, level = {root}, [root], 0
    nodes = [root]
    while frontier and (depth is None or level < depth):
        next_frontier = []
        for node in frontier:
            for child in node._prev:
                if child not in seen:
                    seen.add(child)
                    nodes.append(child)
                    next_frontier.append(child)
        frontier, level = next_frontier, level + 1
    return nodes


def _is_node(operand) -> bool:
    return hasattr(operand, "_prev")


def _constant(dot, name, number):
    """A number an operation used, drawn as a small box of its own."""
    dot.node(name=name, label=_escape(f"{number:g}"), shape="box", style="dashed")


def _draw_constant(dot, node):
    """The number a one-input operation used (`2 * n`, `n - 1`), as a box feeding its operation node."""
    name = str(id(node)) + "op"
    _constant(dot, name + "c", node._constant)
    dot.edge(name + "c", name)


def _draw_weighted_sum(dot, node, inside):
    """`Value.dot(w, x, b)` as the tutorials write it: a `*` node per term, then one `+` for the sum."""
    weights, inputs, bias = node._terms
    uid = str(id(node))
    dot.node(name=uid + "op", label="+")
    dot.edge(uid + "op", uid)
    for i, (w, x) in enumerate(zip(weights, inputs)):
        term = f"{uid}t{i}"
        x_data = x.data if _is_node(x) else float(x)
        x_label = (x.label if _is_node(x) else "") or f"x{i}"
        fields = [f"{w.label or f'w{i}'}*{x_label}", f"data {w.data * x_data:.4f}", f"grad {node.grad:.4f}"]
        dot.node(name=term, label=" | ".join(_escape(field) for field in fields), shape="record")
        dot.node(name=term + "op", label="*")
        dot.edge(term + "op", term)
        dot.edge(term, uid + "op")
        if id(w) in inside:
            dot.edge(str(id(w)), term + "op")
        if not _is_node(x):
            _constant(dot, term + "c", x)
            dot.edge(term + "c", term + "op")
        elif id(x) in inside:
            dot.edge(str(id(x)), term + "op")
    if bias is not None and id(bias) in inside:
        dot.edge(str(id(bias)), uid + "op")


def _expanded_terms(nodes) -> int:
    """The `w_i * x_i` records an expanded drawing adds, one per term of each `Value.dot`."""
    return sum(len(terms[0]) for terms in (getattr(node, "_terms", None) for node in nodes) if terms is not None)


def parameter_names(model) -> dict:
    """`{id(parameter): name}` from a module (its `named_parameters()`), a dict of name -> parameter,
    or `(name, parameter)` pairs."""
    if hasattr(model, "named_parameters"):
        pairs = model.named_parameters()
    elif isinstance(model, dict):
        pairs = model.items()
    else:
        try:
            pairs = [(name, parameter) for name, parameter in model]
        except (TypeError, ValueError):
            raise InvalidParameterError(f"draw_graph(model=...) takes a module, a dict of name -> parameter or "
                            f"(name, parameter) pairs, got {type(model).__name__}") from None
    names = {}
    for name, parameter in pairs:
        if not _is_node(parameter):
            raise InvalidParameterError(f"draw_graph(model=...): {name!r} is a {type(parameter).__name__}, "
                                        f"not a Value or Tensor")
        names.setdefault(id(parameter), str(name))
    return names


def draw_graph(root, format="svg", rankdir="LR", max_nodes=500, depth=None, expand_dot=True, model=None):
    """A `graphviz.Digraph` of everything `root` was computed from (shows itself in Jupyter).

    Each box shows a node's label (`.label`, when set), its data and its gradient, and for a
    tensor its shape. Pass the network as `model` to name its parameters as PyTorch does:
    `draw_graph(loss, model=model)` shows `0.weight`, `2.bias` where the boxes showed only shapes,
    and shades every parameter's box. A label set on the parameter itself (a scalar Neuron's
    `w0`, `w1`, `b`) is kept. `model` may be a module, `dict(model.named_parameters())`, or any
    `(name, parameter)` pairs.

    >>> from scratchgrad import Tensor, nn
    >>> model = nn.MLP(2, [4], 3, seed=0)
    >>> loss = model(Tensor([[0.5, -1.0]])).sum()
    >>> loss.backward()
    >>> graph = draw_graph(loss, model=model)  # in Jupyter, `graph` shows the picture
    >>> print(*(name for name in ("0.weight", "0.bias", "2.weight", "2.bias") if f'label="{name} |' in graph.source))
    0.weight 0.bias 2.weight 2.bias

    `depth` limits the drawing to that many operations back from `root`. A graph with more
    than `max_nodes` nodes is refused (dot would take ages): draw a part of it instead.
    `expand_dot=False` draws a neuron's weighted sum as the single `dot` node the engine
    computes, instead of a `*` per weight and a `+`.
    """
    if not hasattr(root, "_prev") or not hasattr(root, "data"):
        raise TypeError(f"draw_graph expects a Value or a Tensor, got {type(root).__name__}")
    if rankdir not in ("LR", "TB", "RL", "BT"):
        raise ValueError(f"rankdir must be 'LR', 'TB', 'RL' or 'BT', got {rankdir!r}")
    nodes = collect(root, depth)
    drawn = len(nodes) + (_expanded_terms(nodes) if expand_dot else 0)
    if drawn > max_nodes:
        raise ValueError(
            f"this graph has {drawn} nodes, more than max_nodes={max_nodes}: draw part of it with "
            f"draw_graph(node, depth=3) (the last 3 operations), start from an inner node, "
            f"{'draw_graph(node, expand_dot=False), ' if drawn > len(nodes) else ''}or raise max_nodes")
    names = parameter_names(model) if model is not None else {}
    inside = set(map(id, nodes))
    dot = _graphviz().Digraph(format=format, graph_attr={"rankdir": rankdir})
    for node in nodes:
        uid = str(id(node))
        name = names.get(id(node))
        shading = {"style": "filled", "fillcolor": "#dbe9f6"} if name else {}  # what training changes
        dot.node(name=uid, label=_record(node, name), shape="record", **shading)
        if not node._op or not any(id(child) in inside for child in node._prev):
            continue
        if expand_dot and getattr(node, "_terms", None) is not None:  # a Value.dot
            _draw_weighted_sum(dot, node, inside)
            continue
        dot.node(name=uid + "op", label=node._op)
        dot.edge(uid + "op", uid)
        if getattr(node, "_constant", None) is not None:  # Values only: the number of `2 * n`
            _draw_constant(dot, node)
        for child in node._prev:
            if id(child) in inside:
                dot.edge(str(id(child)), uid + "op")
    return dot


def draw_dot(root, format="svg", rankdir="LR", **options):
    """micrograd's name for `draw_graph` (the tutorials' `draw_dot(root)` works unchanged)."""
    return draw_graph(root, format=format, rankdir=rankdir, **options)


def save_graph(root, path, timeout=60.0, **options) -> Path:
    """Draw `root`'s graph and write it to `path`; the format follows the suffix (.svg, .png, .pdf).

    Graphviz's `dot` gets `timeout` seconds: some small graphs (a variable reused many times)
    make its layout crawl. On a timeout or an interrupt the `dot` process is killed, never
    left running, and nothing is written.
    """
    path = Path(path)
    format = path.suffix.lstrip(".").lower() or "svg"
    dot = draw_graph(root, format=format, **options)
    data = _run_dot(dot.source, format, timeout)
    path.write_bytes(data)
    return path


def _run_dot(source, format, timeout):
    import shutil
    import subprocess

    executable = shutil.which("dot")
    if executable is None:
        raise RuntimeError(INSTALL_DOT)
    process = None
    try:  # Popen inside the try: an interrupt right after it starts still reaches the kill below
        process = subprocess.Popen([executable, f"-T{format}"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                   stderr=subprocess.PIPE, start_new_session=True)  # own group: Ctrl-C is ours
        data, errors = process.communicate(source.encode(), timeout=timeout)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"Graphviz took more than {timeout:g} s to lay out this graph and was stopped: draw "
                           f"a part of it (a smaller formula, or draw_graph(node, depth=3))") from None
    finally:
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()
    if process.returncode != 0:
        first_line = (errors.decode(errors="replace").strip().splitlines() or ["no message"])[0]
        raise RuntimeError(f"Graphviz failed: {first_line}")
    return data
