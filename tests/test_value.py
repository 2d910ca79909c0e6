"""The scalar engine beyond the per-operation table of test_ops.py: micrograd's own tests,
random expressions and the rules of backward(), against PyTorch float64."""

import math

import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from scratchgrad import Value, no_grad
from scratchgrad.graph import topological_order


def close(a, b, tol=1e-12):
    return abs(a - b) <= tol * max(1.0, abs(b))


def test_micrograd_sanity_check():
    x = Value(-4.0)
    z = 2 * x + 2 + x
    q = z.relu() + z * x
    h = (z * z).relu()
    y = h + q + q * x
    y.backward()

    xt = torch.tensor([-4.0], requires_grad=True)
    zt = 2 * xt + 2 + xt
    qt = zt.relu() + zt * xt
    ht = (zt * zt).relu()
    yt = ht + qt + qt * xt
    yt.backward()
    assert y.data == yt.item()
    assert x.grad == xt.grad.item()


def test_micrograd_more_ops():
    a, b = Value(-4.0), Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    g.backward()

    at, bt = torch.tensor([-4.0], requires_grad=True), torch.tensor([2.0], requires_grad=True)
    ct = at + bt
    dt = at * bt + bt**3
    ct = ct + ct + 1
    ct = ct + 1 + ct + (-at)
    dt = dt + dt * 2 + (bt + at).relu()
    dt = dt + 3 * dt + (bt - at).relu()
    et = ct - dt
    ft = et**2
    gt = ft / 2.0
    gt = gt + 10.0 / ft
    gt.backward()
    assert close(g.data, gt.item())
    assert close(a.grad, at.grad.item())
    assert close(b.grad, bt.grad.item())


def test_micrograd_readme_expression_and_repr():
    a, b = Value(-4.0), Value(2.0)
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    assert f"{g.data:.4f}" == "24.7041"  # micrograd's README
    g.backward()
    assert f"{a.grad:.4f}" == "138.8338" and f"{b.grad:.4f}" == "645.5773"
    assert repr(Value(2.0)) == "Value(data=2.0, grad=0.0)"


def test_reused_nodes_accumulate():
    a = Value(3.0)
    (a * a).backward()
    assert a.grad == 6.0
    a = Value(3.0)
    b = a + a
    c = b + b
    c.backward()
    assert a.grad == 4.0 and b.grad == 2.0


def test_in_place_add_rebinds():
    c = Value(1.0)
    first = c
    c += c + 1
    assert c is not first and c.data == 3.0 and first.data == 1.0


def test_values_hash_by_identity():
    a, b = Value(1.0), Value(1.0)
    assert len({a, b}) == 2 and {a: 1}[a] == 1


# the operations of the random expressions below (each one's own checks: test_ops.py)
UNARY = {
    "tanh": (Value.tanh, torch.tanh),
    "exp": (Value.exp, torch.exp),
    "log": (Value.log, torch.log),
    "sigmoid": (Value.sigmoid, torch.sigmoid),
    "relu": (Value.relu, torch.relu),
    "leaky_relu": (lambda v: v.leaky_relu(0.1), lambda t: torch.nn.functional.leaky_relu(t, 0.1)),
    "neg": (lambda v: -v, lambda t: -t),
}


def apply(op, a, b):
    return {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b,
            "/": lambda: a / b, "**": lambda: a**b}[op]()


# ---- random expressions, compared with PyTorch ----

def build(program, leaves):
    """Run `program` (a list of (op, i, j)) on both engines; returns the last node."""
    nodes = list(leaves)
    for op, i, j in program:
        a, b = nodes[i % len(nodes)], nodes[j % len(nodes)]
        if op in UNARY:
            nodes.append(UNARY[op][0](a) if isinstance(a, Value) else UNARY[op][1](a))
        elif op == "**":
            nodes.append(a**2)
        elif op == "/":
            nodes.append(a / (b * b + 1))
        else:
            nodes.append(apply(op, a, b))
    return nodes[-1]


SAFE_UNARY = ["tanh", "sigmoid", "relu", "leaky_relu", "neg"]
program_strategy = st.lists(
    st.tuples(st.sampled_from(SAFE_UNARY + ["+", "-", "*", "/", "**"]),
              st.integers(0, 50), st.integers(0, 50)),
    min_size=1, max_size=12,
)


@settings(max_examples=200, deadline=None)
@given(program_strategy, st.lists(st.floats(-2, 2), min_size=1, max_size=4))
def test_random_expressions_match_torch(program, xs):
    values = [Value(x) for x in xs]
    tensors = [torch.tensor(x, requires_grad=True) for x in xs]
    out, tout = build(program, values), build(program, tensors)
    if not out.requires_grad:
        return
    out.backward()
    if tout.requires_grad:
        tout.backward()
    assert math.isclose(out.data, tout.item(), rel_tol=1e-10, abs_tol=1e-10)
    for v, t in zip(values, tensors):
        expected = 0.0 if t.grad is None else t.grad.item()
        assert math.isclose(v.grad, expected, rel_tol=1e-9, abs_tol=1e-9)


def test_value_exponent_and_number_base():
    a, b = Value(1.5), Value(-0.7)
    out = a**b + 2**b
    out.backward()
    at, bt = torch.tensor(1.5, requires_grad=True), torch.tensor(-0.7, requires_grad=True)
    tout = at**bt + 2**bt
    tout.backward()
    assert close(out.data, tout.item())
    assert close(a.grad, at.grad.item()) and close(b.grad, bt.grad.item())


def test_dot_equals_chain_of_mul_and_add():
    w = [Value(0.3), Value(-1.2), Value(2.0)]
    x = [Value(1.5), 0.5, Value(-2.0)]
    bias = Value(0.25)
    out = Value.dot(w, x, bias)
    out.backward()
    dot_grads = [v.grad for v in (*w, x[0], x[2], bias)]
    for v in (*w, x[0], x[2], bias):
        v.grad = 0.0
    chain = sum((wi * xi for wi, xi in zip(w, x)), bias)
    chain.backward()
    assert out.data == pytest.approx(chain.data, abs=1e-15)
    assert dot_grads == pytest.approx([v.grad for v in (*w, x[0], x[2], bias)], abs=1e-15)


# ---- backward semantics ----

def test_second_backward_doubles_leaves_only_like_torch():
    a, b = Value(2.0), Value(-3.0)
    c = a * b
    d = (c + 1).tanh()
    d.backward()
    first = (a.grad, b.grad, c.grad)
    d.backward()
    at, bt = torch.tensor(2.0, requires_grad=True), torch.tensor(-3.0, requires_grad=True)
    ct = at * bt
    ct.retain_grad()
    dt = (ct + 1).tanh()
    dt.backward(retain_graph=True)
    dt.backward()
    assert close(a.grad, at.grad.item()) and close(b.grad, bt.grad.item())
    assert a.grad == 2 * first[0] and c.grad == first[2]  # intermediate: not doubled


@pytest.mark.slow
def test_deep_chain_has_no_recursion_error():
    x = Value(1.0)
    y = x
    for _ in range(1_000_000):
        y = y + 1e-6
    y.backward()
    assert x.grad == 1.0 and y.data == pytest.approx(2.0)


def test_no_grad_builds_no_graph():
    a = Value(2.0)
    with no_grad():
        b = a * 3 + 1
    assert b._prev == () and not b.requires_grad
    with pytest.raises(RuntimeError, match="does not require grad"):
        b.backward()
    c = a * 3  # the switch is back on
    assert c._prev == (a,) and c.requires_grad


def test_requires_grad_false_nodes_get_no_gradient_and_are_skipped():
    x = Value(2.0, requires_grad=False)
    w = Value(0.5)
    constant = x * x
    assert not constant.requires_grad and constant._prev == (x, x)
    out = (w * constant).sigmoid()
    out.backward()
    assert x.grad == 0.0 and constant.grad == 0.0 and w.grad != 0.0
    assert x not in topological_order(out) and constant not in topological_order(out)


@pytest.mark.parametrize("expression, words", [
    (lambda: Value(0.0).log(), ["log", "0.0"]),
    (lambda: Value(-1.0).log(), ["log", "-1.0"]),
    (lambda: Value(1000.0).exp(), ["exp", "1000.0"]),
    (lambda: Value(0.0) ** -1, ["pow", "0.0 ** -1"]),
    (lambda: Value(-8.0) ** 0.5, ["pow", "-8.0 ** 0.5"]),
    (lambda: Value(1.0) / 0, ["division", "1.0 / 0"]),
    (lambda: 1.0 / Value(0.0), ["division", "1.0 / 0.0"]),
])
def test_math_domain_errors_name_operation_and_input(expression, words):
    with pytest.raises(ValueError) as info:
        expression()
    for word in words:
        assert word in str(info.value)


def test_bad_operands_are_type_errors():
    for data in ("3", None, 1 + 2j):
        with pytest.raises(TypeError, match="real number"):
            Value(data)
    with pytest.raises(TypeError):
        Value(1.0) + "a"


def test_no_grad_as_decorator_and_nested():
    from scratchgrad import is_grad_enabled

    @no_grad()
    def double(v):
        return v * 2

    @no_grad  # bare, as torch.no_grad allows
    def triple(v):
        return v * 3

    a = Value(1.0)
    assert double(a)._prev == () and is_grad_enabled()
    assert triple(a)._prev == () and triple(a).data == 3.0 and triple.__name__ == "triple"
    assert is_grad_enabled()
    with no_grad():
        with no_grad():
            pass
        assert not is_grad_enabled()  # the inner block restored "off", not "on"
    assert is_grad_enabled()


def test_built_in_graphs_hold_no_reference_cycle():
    """Built-in nodes store local derivatives, not closures: a dropped graph leaves nothing for gc."""
    import gc

    from scratchgrad.micro import MLP

    model = MLP(3, [4, 1], seed=0)
    gc.collect()
    gc.disable()
    try:
        loss = (model([1.0, -2.0, 0.5]) - 1.0) ** 2 * 2
        loss.backward()
        del loss
        assert gc.collect() == 0  # everything was already freed by reference counting

        def cube(v):  # a user's closure node makes a cycle: the same check sees it
            out = Value(v.data**3, (v,), "cube")
            def _backward():
                v.grad += 3 * v.data**2 * out.grad
            out._backward = _backward
            return out

        loss = cube(model([1.0, -2.0, 0.5]))
        del loss
        assert gc.collect() > 0
    finally:
        gc.enable()
