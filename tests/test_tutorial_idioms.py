"""The tutorials' own code patterns, typed against scratchgrad (issue 13), checked against PyTorch (float64).

micrograd's way of adding an operation (a `_backward` closure), stepping through backprop
by hand, PyTorch's `with no_grad(): p -= lr * p.grad`, the scalar networks' home
(`scratchgrad.micro`), and drawings a learner can follow.
"""

import math
import random
import re
import warnings

import numpy as np
import pytest
import torch

from scratchgrad import Tensor, Value, no_grad
from scratchgrad.micro import MLP, Layer, Neuron, draw_dot
from scratchgrad.value import MissingGradientRuleError
from scratchgrad.viz import draw_graph

# ---- micrograd's way of adding an operation ----


def tanh_seed_002(self):
    """Seed 002's tanh, word for word: a new node and a closure adding to the input's grad."""
    x = self.data
    t = (math.exp(2 * x) - 1) / (math.exp(2 * x) + 1)
    out = Value(t, (self,), "tanh")

    def _backward():
        self.grad += (1 - t**2) * out.grad
    out._backward = _backward
    return out


def mul_seed_004(self, other):
    """Seed 004's __mul__ (two inputs, both accumulated)."""
    out = Value(self.data * other.data, (self, other), "*")

    def _backward():
        self.grad += other.data * out.grad
        other.grad += self.data * out.grad
    out._backward = _backward
    return out


def cos(self):
    out = Value(math.cos(self.data), (self,), "cos")
    out._backward = lambda: setattr(self, "grad", self.grad - math.sin(self.data) * out.grad)
    return out


def test_a_closure_written_micrograd_s_way_gets_its_gradient_through_backward():
    x, w = Value(0.7, label="x"), Value(-1.3, label="w")
    # built-in and user-written nodes mixed, x used three times (gradients must accumulate)
    y = tanh_seed_002(mul_seed_004(x, w) + 0.5) * cos(x) + x.exp() * x
    y.backward()

    xt = torch.tensor(0.7, dtype=torch.float64, requires_grad=True)
    wt = torch.tensor(-1.3, dtype=torch.float64, requires_grad=True)
    yt = torch.tanh(xt * wt + 0.5) * torch.cos(xt) + torch.exp(xt) * xt
    yt.backward()
    assert y.data == pytest.approx(yt.item(), rel=1e-12)
    assert x.grad == pytest.approx(xt.grad.item(), rel=1e-12)
    assert w.grad == pytest.approx(wt.grad.item(), rel=1e-12)


def test_the_issue_s_cos_example_is_no_longer_a_silent_zero():
    x = Value(1.0)
    cos(x).backward()
    assert x.grad == pytest.approx(-math.sin(1.0))

    x = Value(1.0)
    forgot = Value(math.cos(x.data), (x,), "cos")  # no _backward: micrograd would pass 0 silently
    y = forgot * 2 + x
    with pytest.raises(MissingGradientRuleError, match=r"(?s)'cos'.*out\._backward = _backward"):
        y.backward()
    assert x.grad == 0.0 and forgot.grad == 0.0  # refused before any gradient moved
    with pytest.raises(MissingGradientRuleError):
        forgot._backward()
    assert isinstance(MissingGradientRuleError("x"), RuntimeError)


def test_a_node_built_from_constants_or_under_no_grad_needs_no_rule():
    c = Value(2.0, requires_grad=False)
    out = Value(c.data**2, (c,), "square")  # no input needs a gradient, so neither does out
    assert not out.requires_grad
    with no_grad():
        inside = Value(3.0, (Value(1.0),), "f")
    assert inside._prev == () and not inside.requires_grad
    with pytest.raises(TypeError, match="children must be Values"):
        Value(1.0, (2.0,), "+")


def test_seed_000_argument_order_with_requires_grad_fourth():
    a = Value(2.0, requires_grad=True)
    s = 1 / (1 + math.exp(-a.data))
    out = Value(s, (a,), "sigmoid", a.requires_grad)  # seed 000: Value(data, _prev, _op, requires_grad)
    assert out.requires_grad and out.label == ""


# ---- stepping through backprop by hand ----


def seed_004_expression():
    a, b, c, f = Value(2.0, label="a"), Value(-3.0, label="b"), Value(10.0, label="c"), Value(-2.0, label="f")
    e = a * b
    d = e + c
    L = d * f
    return a, b, c, f, e, d, L


def test_stepping_node_by_node_equals_backward_and_torch():
    """Seed 004: `L.grad = 1; L._backward(); ...` gives a 6, b -4, c -2, e -2, d -2, f 4."""
    a, b, c, f, e, d, L = seed_004_expression()
    L.grad = 1.0
    for node in (L, d, e, c, f, b, a):  # one step of the chain rule at a time
        node._backward()
    by_hand = [n.grad for n in (a, b, c, f, e, d)]

    *leaves, _, _, L2 = nodes = seed_004_expression()
    L2.backward()
    assert by_hand == [n.grad for n in nodes[:6]]

    ts = [torch.tensor(v.data, dtype=torch.float64, requires_grad=True) for v in leaves]
    (((ts[0] * ts[1]) + ts[2]) * ts[3]).backward()
    assert by_hand[:4] == [t.grad.item() for t in ts]


def test_one_step_moves_only_one_node_s_gradients():
    a, b, c, f, e, d, L = seed_004_expression()
    L.grad = 1.0
    L._backward()
    assert (d.grad, f.grad) == (f.data, d.data)
    assert (e.grad, a.grad) == (0.0, 0.0)  # not reached yet
    a._backward()  # a leaf: nothing to pass on
    assert a.grad == 0.0


def test_seed_000_manual_training_loop_matches_its_pytorch_twin():
    """Seed 000: L.grad = 1; L._backward(); c._backward(); update; forward, against its torch.no_grad loop."""
    a, b, d = Value(5.0, label="a"), Value(3.0, label="b"), Value(10.0, label="d")
    c = a + b
    L = c * d
    ours = []
    for _ in range(10):
        for p in (a, b, c, d, L):
            p.grad = 0.0
        L.grad = 1.0
        L._backward()
        c._backward()
        for p in (a, b, d):
            p.data -= 0.01 * p.grad
        c = a + b
        L = c * d
        ours.append(L.data)

    at, bt, dt = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (5.0, 3.0, 10.0))
    Lt = (at + bt) * dt
    theirs = []
    for _ in range(10):
        Lt.backward()
        with torch.no_grad():
            for p in (at, bt, dt):
                p -= 0.01 * p.grad
        for p in (at, bt, dt):
            p.grad.zero_()
        Lt = (at + bt) * dt
        theirs.append(Lt.item())
    assert ours == pytest.approx(theirs, rel=1e-12)
    assert round(ours[0], 2) == 77.38 and round(ours[-1], 2) == 56.35  # the seed's printed losses


# ---- PyTorch's in-place update under no_grad ----


def test_in_place_update_under_no_grad_keeps_the_parameter_and_its_training():
    """The seed 000 PyTorch loop, written on Values: `with no_grad(): a -= lr * a.grad`."""
    a, b, d = Value(5.0), Value(3.0), Value(10.0)
    params = [a, b, d]
    L = (a + b) * d
    losses = []
    for _ in range(10):
        L.backward()
        with no_grad():
            a -= 0.01 * a.grad
            b -= 0.01 * b.grad
            d -= 0.01 * d.grad
        assert [a, b, d] == params  # the same objects: `-=` did not make constants of them
        for p in params:
            p.grad = 0.0
        L = (a + b) * d
        losses.append(L.data)

    at, bt, dt = (torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in (5.0, 3.0, 10.0))
    for _ in range(10):
        Lt = (at + bt) * dt
        Lt.backward()
        with torch.no_grad():
            for p in (at, bt, dt):
                p -= 0.01 * p.grad
                p.grad.zero_()
    assert [a.data, b.data, d.data] == pytest.approx([at.item(), bt.item(), dt.item()], rel=1e-12)
    assert a.requires_grad and a._prev == ()


def test_no_grad_update_loop_trains_an_mlp_like_p_data():
    def train(update):
        random.seed(0)
        model = MLP(3, [4, 4, 1])
        xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
        ys = [1.0, -1.0, -1.0, 1.0]
        for _ in range(20):
            loss = sum((model(x) - y) ** 2 for x, y in zip(xs, ys))
            model.zero_grad()
            loss.backward()
            update(model.parameters())
        return loss.data, [p.data for p in model.parameters()]

    def in_place(params):
        with no_grad():
            for p in params:
                p -= 0.05 * p.grad

    def by_data(params):
        for p in params:
            p.data -= 0.05 * p.grad

    assert train(in_place) == train(by_data)


def test_in_place_ops_only_update_parameters_inside_no_grad():
    c = Value(1.0)
    first = c
    c += c + 1  # micrograd: a new node, outside no_grad
    assert c is not first and c.data == 3.0 and first.data == 1.0 and c._prev

    p = Value(2.0)
    with no_grad():
        q = p
        p *= 3
        p /= 2
        p += Value(1.0)
        assert p is q and p.data == 4.0
        y = p * 2  # computed inside no_grad: no parameter, so `+=` rebinds
        z = y
        y += 1
        assert z.data == 8.0 and y.data == 9.0
        with pytest.raises(ValueError, match="division"):
            p /= 0
    h = p * 1.0  # a computed node outside no_grad: a new node, the graph below it untouched
    g = h
    h -= 1
    assert g.data == 4.0 and h is not g


def test_tensor_parameter_updates_in_place_under_no_grad():
    p = Tensor(np.array([1.0, 2.0]), requires_grad=True)
    q = p
    (p * p).sum().backward()
    with no_grad():
        p -= 0.1 * p.grad
    assert p is q and p.requires_grad and np.allclose(q.data, [0.8, 1.6])


# ---- the scalar networks' home ----


def test_seed_002_code_runs_on_scratchgrad_micro_and_matches_torch():
    random.seed(1)
    m = MLP(3, [4, 4, 1], output_activation="tanh")  # seed 002's MLP: tanh on every layer
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]
    ypred = [m(x) for x in xs]
    loss = sum((yout - ygt) ** 2 for yout, ygt in zip(ypred, ys))
    loss.backward()
    first_weight = m.layers[0].neurons[0].w[0]

    state = m.state_dict()
    weights = [torch.tensor(state[f"layers.{i}.weight"], dtype=torch.float64, requires_grad=True)
               for i in range(3)]
    biases = [torch.tensor(state[f"layers.{i}.bias"], dtype=torch.float64, requires_grad=True) for i in range(3)]
    h = torch.tensor(xs, dtype=torch.float64)
    for W, b in zip(weights, biases):
        h = torch.tanh(h @ W + b)
    loss_t = ((h[:, 0] - torch.tensor(ys, dtype=torch.float64)) ** 2).sum()
    loss_t.backward()
    assert loss.data == pytest.approx(loss_t.item(), rel=1e-12)
    assert first_weight.grad == pytest.approx(weights[0].grad[0, 0].item(), rel=1e-12)
    assert len(m.parameters()) == 41


def test_layer_and_neuron_behave_as_in_micrograd():
    layer = Layer(3, 1, seed=0)
    out = layer([1.0, 2.0, 3.0])
    assert isinstance(out, Value)  # one neuron: a bare Value, as micrograd's Layer
    out.backward()
    assert isinstance(Layer(3, 2, seed=0)([1.0, 2.0, 3.0]), list)
    assert [w.label for w in Neuron(3, seed=0).w] == ["w0", "w1", "w2"]
    assert Neuron(1, seed=0)(Value(0.5)).data == Neuron(1, seed=0)([0.5]).data
    assert Neuron(2, activation="ReLU", seed=0).activation == "relu"


def test_nn_names_of_the_scalar_engine_point_to_micro_and_say_so():
    from scratchgrad import micro, nn
    from scratchgrad.nn.scalar import MLP as FileMLP

    with pytest.warns(FutureWarning, match="scratchgrad.micro"):
        from scratchgrad.nn import Neuron as OldNeuron
    with pytest.warns(FutureWarning, match="from scratchgrad.micro import Neuron, Layer, MLP"):
        old_layer = nn.Layer
    assert OldNeuron is micro.Neuron and old_layer is micro.Layer
    assert nn.MLP is not micro.MLP  # nn stays the tensor engine
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert nn.ScalarMLP is micro.MLP is FileMLP  # model files' name, no warning
    assert {"Neuron", "Layer"}.isdisjoint(nn.__all__)
    assert {"Value", "Neuron", "Layer", "MLP"} <= set(micro.__all__) and micro.Value is Value


# ---- drawings ----


def labels(dot):
    return [quoted or bare for quoted, bare in re.findall(r'label=(?:"([^"]*)"|([^\s\]]+))', dot.source)]


def test_a_neuron_is_drawn_term_by_term_with_numbered_weights():
    neuron = Neuron(3, seed=0)
    x = [Value(1.0, label="x0"), Value(2.0, label="x1"), Value(-1.0, label="x2")]
    out = neuron(x)
    out.backward()
    found = labels(draw_graph(out))
    for i in range(3):
        product = neuron.w[i].data * x[i].data
        assert any(text.startswith(f"w{i}*x{i} | data {product:.4f}") for text in found)
        assert any(text.startswith(f"w{i} | data") for text in found)
    assert found.count("*") == 3 and found.count("+") == 1 and "dot" not in found
    compact = labels(draw_graph(out, expand_dot=False))
    assert "dot" in compact and "*" not in compact


def test_constants_appear_in_drawings():
    n = Value(3.0, label="n")
    found = labels(draw_graph(2 * n - 1))
    assert "2" in found and "1" in found
    inputs = labels(draw_graph(Neuron(2, seed=0)([0.25, -4.0])))  # plain numbers into a neuron
    assert "0.25" in inputs and "-4" in inputs


def test_draw_dot_is_micrograd_s_name_for_draw_graph():
    from scratchgrad.viz import draw_dot as viz_draw_dot

    a = Value(2.0, label="a")
    L = (a * a).tanh()
    assert draw_dot(L).source == draw_graph(L).source == viz_draw_dot(L, format="svg", rankdir="LR").source


def test_draw_dot_looked_for_at_the_top_names_draw_graph():
    import scratchgrad

    with pytest.raises(AttributeError, match=r"scratchgrad\.viz\.draw_graph"):
        scratchgrad.draw_dot  # noqa: B018


def test_the_size_limit_counts_the_expanded_terms():
    out = Neuron(30, seed=0)([0.5] * 30)  # 33 Values (30 w, b, the sum, tanh), 63 records expanded
    with pytest.raises(ValueError, match=r"63 nodes.*expand_dot=False"):
        draw_graph(out, max_nodes=50)
    assert draw_graph(out, max_nodes=50, expand_dot=False).source.count("record") == 33


def test_a_rule_set_on_a_built_in_node_replaces_its_derivative_and_gradcheck_sees_it():
    from scratchgrad import gradcheck

    def softsign(v):  # a learner's op, checked against finite differences
        out = Value(v.data / (1 + abs(v.data)), (v,), "softsign")

        def _backward():
            v.grad += out.grad / (1 + abs(v.data)) ** 2
        out._backward = _backward
        return out

    assert gradcheck(lambda a, b: softsign(a * b) * tanh_seed_002(a), [Value(0.7), Value(-1.2)]).ok

    def wrong_tanh(v):
        out = v.tanh()
        out._backward = lambda: setattr(v, "grad", v.grad + 2.0 * out.grad)  # not 1 - t**2
        return out

    x = Value(0.3)
    wrong_tanh(x).backward()
    assert x.grad == 2.0
    assert not gradcheck(wrong_tanh, [Value(0.3)]).ok


# ---- PyTorch's and Keras's names and idioms on the tensor engine ----


def test_names_readers_bring_are_found_or_refused_with_the_right_name():
    from scratchgrad import fit, nn
    from scratchgrad import functional as F
    from scratchgrad.errors import InvalidParameterError

    x = Tensor(np.array([[1.0, 3.0, 2.0], [0.0, -1.0, 5.0]]))
    np.testing.assert_array_equal(x.argmax(axis=1), torch.tensor(x.data).argmax(dim=1).numpy())
    for call in (lambda: x.sum(dim=1), lambda: x.max(dim=1), lambda: F.softmax(x, dim=1)):
        with pytest.raises(InvalidParameterError, match=r"use axis=1 \(NumPy's name for PyTorch's dim\)"):
            call()
    assert isinstance(nn.make_activation("RELU"), nn.ReLU) and isinstance(nn.make_activation("Tanh"), nn.Tanh)
    X = np.random.default_rng(0).normal(size=(30, 3))
    labels = (X[:, 0] > 0).astype(int)
    for name in ("MSE", "mean_squared_error"):
        model = nn.MLP(3, [4], 1, seed=0)
        assert "loss" in fit(model, X, X[:, :1], loss=name, epochs=1, verbose=0).history
    model = nn.MLP(3, [4], 2, seed=0)
    assert fit(model, X, labels, loss="categorical_crossentropy", metrics=["ACC"], epochs=1, verbose=0)["accuracy"]
    with pytest.raises(InvalidParameterError, match=r"'mse' compares outputs.*use metrics=\['accuracy'\]"):
        fit(model, X, labels, metrics=["mse"], epochs=1, verbose=0)
    with pytest.raises(TypeError, match=r"micrograd's MLP\(3, \[4, 4, 1\]\) on Values is scratchgrad.micro.MLP"):
        nn.MLP(3, [4, 4, 1])


def test_seed_003s_builder_and_the_softmax_twice_warning():
    from scratchgrad import fit, nn

    net = nn.Sequential().add(16, "relu", input_size=4).add(3, "softmax")  # seed 003's way
    assert [type(layer).__name__ for layer in net] == ["Linear", "ReLU", "Linear", "Softmax"]
    X = np.random.default_rng(1).normal(size=(60, 4))
    y = X[:, :3].argmax(axis=1)
    with pytest.warns(UserWarning, match="expects raw scores.*remove the model's final Softmax"):
        fit(net, X, y, epochs=1, verbose=0)
    with pytest.raises(ValueError, match="the first layer needs input_size="):
        nn.Sequential().add(4)
