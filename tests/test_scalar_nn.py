"""The scalar networks of the tutorials, and the finite-difference check."""

import random

import pytest
import torch

from scratchgrad import Value, gradcheck
from scratchgrad.cli import train_toy
from scratchgrad.datasets import make_seed_regression
from scratchgrad.micro import MLP, Neuron


def test_mlp_shapes_and_parameters():
    model = MLP(3, [4, 4, 1])
    assert len(model.parameters()) == 4 * 4 + 4 * 5 + 1 * 5
    assert isinstance(model([1.0, 2.0, 3.0]), Value)
    names = [name for name, _ in model.named_parameters()]
    assert names[:5] == ["layers.0.neurons.0.w.0", "layers.0.neurons.0.w.1",
                         "layers.0.neurons.0.w.2", "layers.0.neurons.0.b",
                         "layers.0.neurons.1.w.0"]
    assert isinstance(MLP(3, [4, 2])([1.0, 2.0, 3.0]), list)


def test_one_neuron_hidden_layer_works():
    """micrograd's Layer returns a bare Value for one neuron; the next layer takes it as one input."""
    model = MLP(2, [1, 3], seed=0)
    out = model([0.5, -1.0])
    assert len(out) == 3
    hidden = model.layers[0]([0.5, -1.0])
    assert isinstance(hidden, Value)
    assert [o.data for o in out] == [o.data for o in model.layers[1]([hidden])]


def test_seeded_initialisation_is_reproducible_and_uniform():
    a, b = MLP(3, [4, 1], seed=7), MLP(3, [4, 1], seed=7)
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]
    assert [p.data for p in MLP(3, [4, 1], seed=random.Random(7)).parameters()] == \
        [p.data for p in a.parameters()]
    assert [p.data for p in MLP(3, [4, 1], seed=8).parameters()] != [p.data for p in a.parameters()]
    assert all(-1 <= p.data <= 1 for p in MLP(10, [50], seed=0).parameters())


def test_zero_grad():
    model = MLP(2, [3, 1], seed=0)
    model([1.0, 2.0]).backward()
    assert any(p.grad != 0 for p in model.parameters())
    model.zero_grad()
    assert all(p.grad == 0 for p in model.parameters())


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "leaky_relu", "linear"])
def test_neuron_matches_torch(activation):
    neuron = Neuron(3, activation=activation, seed=1)
    x = [0.5, -1.5, 2.0]
    out = neuron(x)
    out.backward()
    w = torch.tensor([p.data for p in neuron.w], requires_grad=True)
    b = torch.tensor(neuron.b.data, requires_grad=True)
    pre = w @ torch.tensor(x) + b
    f = {"tanh": torch.tanh, "relu": torch.relu, "sigmoid": torch.sigmoid,
         "leaky_relu": torch.nn.functional.leaky_relu, "linear": lambda t: t}[activation]
    tout = f(pre)
    tout.backward()
    assert out.data == pytest.approx(tout.item(), abs=1e-12)
    assert [p.grad for p in neuron.w] == pytest.approx(w.grad.tolist(), abs=1e-12)


def test_bad_arguments_say_what_was_expected():
    with pytest.raises(ValueError, match="activation must be one of"):
        Neuron(2, activation="swish")
    with pytest.raises(ValueError, match="nin must be a positive integer"):
        MLP(0, [2])
    with pytest.raises(ValueError, match=r"Neuron\(3\) got an input of 2"):
        Neuron(3)([1.0, 2.0])
    with pytest.raises(ValueError, match="nouts"):
        MLP(2, 3)


# ---- gradcheck ----

@pytest.mark.parametrize("activation", ["tanh", "exp", "log", "sigmoid", "relu", "leaky_relu"])
def test_gradcheck_passes_on_each_activation(activation):
    x, y = Value(0.8, label="x"), Value(1.3, label="y")
    report = gradcheck(lambda a, b: getattr(a * b + 0.1, activation)() * b, [x, y])
    assert report.ok, str(report)
    assert report.checked == 2


def test_gradcheck_names_the_input_that_disagrees():
    x, y = Value(0.8, label="x"), Value(1.3, label="y")

    def wrong(a, b):
        out = a * b
        out._local_grads = (b.data, 2 * a.data)  # wrong derivative for b
        return out

    report = gradcheck(wrong, [x, y])
    assert not report.ok
    assert [m.input for m in report.mismatches] == ["y"]
    assert "y: backward gives" in str(report)
    with pytest.raises(TypeError, match="must be Values"):
        gradcheck(lambda a: a, [1.0])


# ---- the tutorials' training runs ----

def test_seed_002_toy_network_reaches_loss_below_001_in_100_steps():
    _, losses = train_toy(steps=100, seed=0, log=None)
    assert losses[0] > 1.0
    assert min(losses) < 0.01


@pytest.mark.slow
def test_seed_004_regression_beats_the_seed():
    """The seed reached MSE 0.64 after 50 epochs of lr 0.01; lr 0.05 does better."""
    finals = []
    for seed in range(3):
        X, y = make_seed_regression(random_state=seed)
        X, y = X.tolist(), y.tolist()
        model = MLP(3, [8, 8, 1], seed=seed)
        for _ in range(50):
            loss = sum((model(x) - t) ** 2 for x, t in zip(X, y)) * (1 / len(y))
            model.zero_grad()
            loss.backward()
            for p in model.parameters():
                p.data -= 0.05 * p.grad
        finals.append(loss.data)
    assert sorted(finals)[1] < 0.64, finals
