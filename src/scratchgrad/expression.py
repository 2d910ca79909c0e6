"""Build a `Value` graph from a formula such as "tanh(a*b + c)", without `eval`.

The text is parsed into Python's syntax tree and only numbers, variable names, + - * / **,
unary minus and the functions below are accepted; anything else is an error that says
what was found. Every node is labelled with the piece of the formula it computes.
"""

from __future__ import annotations

import ast

from .value import Value

FUNCTIONS = {"tanh": Value.tanh, "exp": Value.exp, "log": Value.log, "relu": Value.relu,
             "sigmoid": Value.sigmoid, "leaky_relu": Value.leaky_relu}
OPERATORS = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b, ast.Mult: lambda a, b: a * b,
             ast.Div: lambda a, b: a / b, ast.Pow: lambda a, b: a**b}


class ExpressionError(ValueError):
    """A formula that is not made only of numbers, names, arithmetic and known functions."""


def parse_values(assignments) -> dict:
    """`["a=2", "b=-3"]` -> `{"a": 2.0, "b": -3.0}`."""
    values = {}
    for item in assignments:
        name, sep, number = item.partition("=")
        name = name.strip()
        if not sep or not name.isidentifier():
            raise ExpressionError(f"values are given as name=number, got {item!r}")
        try:
            values[name] = float(number)
        except ValueError:
            raise ExpressionError(f"{name} must be a number, got {number!r}") from None
    return values


MAX_FORMULA_LENGTH = 2000


def build(formula: str, values: dict, max_nodes=None) -> tuple[Value, dict]:
    """The root Value of `formula` and the leaf Value of each variable.

    `max_nodes` refuses a formula whose graph has more nodes than that (counting those
    the operations add, such as the -1 in a - b)."""
    if len(formula) > MAX_FORMULA_LENGTH:
        raise ExpressionError(f"the formula has {len(formula)} characters; at most {MAX_FORMULA_LENGTH} are drawn")
    try:
        tree = ast.parse(formula.strip(), mode="eval")
    except SyntaxError as error:
        raise ExpressionError(f"cannot read the formula {formula!r}: {error.msg}") from None
    leaves = {name: Value(number, label=name) for name, number in values.items()}
    root = _evaluate(tree.body, leaves)
    if not isinstance(root, Value):
        raise ExpressionError(f"the formula {formula!r} uses no variable: there is nothing to differentiate")
    unused = [name for name in leaves if name not in {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}]
    if unused:
        raise ExpressionError(f"values given for {unused}, which the formula does not use")
    if max_nodes is not None:
        count = count_nodes(root)
        if count > max_nodes:
            raise ExpressionError(f"the formula makes a graph of {count} nodes, more than --max-nodes {max_nodes}")
    return root, leaves


def count_nodes(root) -> int:
    """How many distinct nodes `root` was computed from (itself included), without recursion."""
    seen, stack = {id(root)}, [root]
    while stack:
        for child in stack.pop()._prev:
            if id(child) not in seen:
                seen.add(id(child))
                stack.append(child)
    return len(seen)


def _evaluate(node, leaves):
    if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)) and not isinstance(node.value, bool):
        return float(node.value)
    if isinstance(node, ast.Name):
        if node.id not in leaves:
            hint = f" (a function? call it: {node.id}(x))" if node.id in FUNCTIONS else ""
            raise ExpressionError(f"no value for {node.id!r}{hint}: give it as {node.id}=NUMBER")
        return leaves[node.id]
    if isinstance(node, ast.BinOp) and type(node.op) in OPERATORS:
        result = OPERATORS[type(node.op)](_evaluate(node.left, leaves), _evaluate(node.right, leaves))
    elif isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        operand = _evaluate(node.operand, leaves)
        result = -operand if isinstance(node.op, ast.USub) else operand
    elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in FUNCTIONS \
            and len(node.args) == 1 and not node.keywords:
        argument = _evaluate(node.args[0], leaves)
        if not isinstance(argument, Value):
            argument = Value(argument, requires_grad=False)
        result = FUNCTIONS[node.func.id](argument)
    else:
        raise ExpressionError(f"{ast.unparse(node)!r} is not allowed: use numbers, names, + - * / **, and "
                              f"the functions {', '.join(FUNCTIONS)}")
    if isinstance(result, Value) and not result.label:
        result.label = ast.unparse(node)
    return result
