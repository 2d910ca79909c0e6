"""Modules and layers: registration, state, and agreement with PyTorch and the scalar engine."""

import re

import numpy as np
import pytest
import torch

from scratchgrad import Tensor, nn
from scratchgrad.nn import init


class TwoLayers(nn.Module):
    def __init__(self):
        self.first = nn.Linear(3, 4, seed=0)
        self.blocks = [nn.Linear(4, 4, seed=1), nn.ReLU()]
        self.head = nn.Sequential(nn.Linear(4, 2, seed=2), nn.Tanh())
        self.scale = Tensor(np.ones(2))  # a constant, not a parameter

    def __call__(self, x):
        x = self.first(x)
        for layer in self.blocks:
            x = layer(x)
        return self.head(x) * self.scale


def test_attributes_lists_and_sequentials_are_registered():
    model = TwoLayers()
    names = [name for name, _ in model.named_parameters()]
    assert names == ["first.weight", "first.bias", "blocks.0.weight", "blocks.0.bias",
                     "head.0.weight", "head.0.bias"]
    assert len(model.parameters()) == 6
    mlp = nn.MLP(4, [8], 3)
    assert [n for n, _ in mlp.named_parameters()] == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_repr_reads_like_pytorch():
    text = repr(nn.MLP(64, [128], 10, dropout=0.1))
    assert text.splitlines()[:3] == [
        "MLP(", "  (0): Linear(in_features=64, out_features=128, bias=True)", "  (1): ReLU()"]
    assert "(2): Dropout(p=0.1)" in text


def test_train_eval_reach_every_submodule():
    model = nn.MLP(4, [8, 8], 2, dropout=0.5)
    model.eval()
    assert all(not m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())


def test_state_dict_round_trip_and_errors_leave_model_unchanged():
    a, b = nn.MLP(3, [5], 2, seed=0), nn.MLP(3, [5], 2, seed=1)
    b.load_state_dict(a.state_dict())
    x = np.random.default_rng(0).normal(size=(4, 3))
    np.testing.assert_array_equal(a(x).data, b(x).data)

    before = b.state_dict()
    bad = a.state_dict()
    bad["2.weight"] = np.zeros((6, 2))
    with pytest.raises(ValueError, match=r"2.weight has shape \(6, 2\), the model expects \(5, 2\)"):
        b.load_state_dict(bad)
    del bad["2.weight"]
    with pytest.raises(KeyError, match="missing.*2.weight"):
        b.load_state_dict(bad)
    for name, array in b.state_dict().items():
        np.testing.assert_array_equal(array, before[name])


def test_linear_matches_torch_and_checks_features():
    layer = nn.Linear(5, 3, seed=0, dtype=np.float64)
    torch_layer = torch.nn.Linear(5, 3)
    with torch.no_grad():
        torch_layer.weight.copy_(torch.tensor(layer.weight.data.T))
        torch_layer.bias.copy_(torch.tensor(layer.bias.data))
    x = np.random.default_rng(1).normal(size=(7, 5))
    out = layer(Tensor(x))
    torch_out = torch_layer(torch.tensor(x))
    out.tanh().sum().backward()
    torch_out.tanh().sum().backward()
    np.testing.assert_allclose(out.data, torch_out.detach().numpy(), atol=1e-12)
    np.testing.assert_allclose(layer.weight.grad, torch_layer.weight.grad.numpy().T, atol=1e-12)
    np.testing.assert_allclose(layer.bias.grad, torch_layer.bias.grad.numpy(), atol=1e-12)
    with pytest.raises(ValueError, match=r"Linear\(5 -> 3\) got input with 4 features"):
        layer(np.zeros((2, 4)))


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid"])
def test_tensor_mlp_equals_scalar_mlp_with_the_same_weights(activation):
    scalar = nn.ScalarMLP(3, [4, 5, 2], activation=activation, seed=0)
    tensor = nn.MLP(3, [4, 5], 2, activation=activation, dtype=np.float64)
    for scalar_layer, linear in zip(scalar.layers, tensor[0::2]):
        linear.weight.data[...] = [[n.w[i].data for n in scalar_layer.neurons]
                                   for i in range(len(scalar_layer.neurons[0].w))]
        linear.bias.data[...] = [n.b.data for n in scalar_layer.neurons]
    X = np.random.default_rng(0).normal(size=(6, 3))
    targets = np.random.default_rng(1).normal(size=(6, 2))
    scalar_loss = sum((o - t) ** 2 for x, row in zip(X.tolist(), targets.tolist())
                      for o, t in zip(scalar(x), row))
    tensor_out = tensor(X)
    tensor_loss = ((tensor_out - targets) ** 2).sum()
    scalar_loss.backward()
    tensor_loss.backward()
    assert scalar_loss.data == pytest.approx(tensor_loss.item(), abs=1e-9)
    for scalar_layer, linear in zip(scalar.layers, tensor[0::2]):
        for j, neuron in enumerate(scalar_layer.neurons):
            np.testing.assert_allclose([w.grad for w in neuron.w], linear.weight.grad[:, j], atol=1e-9)
            assert neuron.b.grad == pytest.approx(linear.bias.grad[j], abs=1e-9)


def test_dropout_layer_scales_in_training_and_is_identity_in_eval():
    layer = nn.Dropout(0.25, seed=0)
    x = np.ones((100, 40))
    out = layer(x).data
    np.testing.assert_allclose(np.unique(out), [0.0, 1 / 0.75])
    assert 0.7 < (out != 0).mean() < 0.8
    layer.eval()
    np.testing.assert_array_equal(layer(x).data, x)
    with pytest.raises(ValueError, match=r"p must be a number in \[0, 1\)"):
        nn.Dropout(1.0)


def test_sequential_indexing_and_append():
    seq = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    seq.append(nn.Linear(3, 1))
    assert len(seq) == 3 and isinstance(seq[-1], nn.Linear) and len(seq[:2]) == 2
    assert seq(np.zeros((4, 2))).shape == (4, 1)
    with pytest.raises(TypeError, match="callables"):
        seq.append(3)


@pytest.mark.parametrize("name, expected_std", [
    ("xavier_normal", np.sqrt(2 / (400 + 300))), ("xavier_uniform", np.sqrt(2 / (400 + 300))),
    ("kaiming_normal", np.sqrt(2 / 400)), ("kaiming_uniform", np.sqrt(2 / 400)),
    ("normal", 0.01), ("uniform", np.sqrt(1 / 3)), ("pytorch", np.sqrt(1 / (3 * 400))),
])
def test_initializers_have_their_spread_and_are_seeded(name, expected_std):
    weights = init.get(name)((400, 300), rng=0)
    assert weights.std() == pytest.approx(expected_std, rel=0.02)
    assert abs(weights.mean()) < 0.02 * max(expected_std, 0.01) * 10
    np.testing.assert_array_equal(weights, init.get(name)((400, 300), rng=0))
    assert not np.array_equal(weights, init.get(name)((400, 300), rng=1))


def test_layers_are_seeded():
    a, b = nn.MLP(4, [8], 2, seed=3), nn.MLP(4, [8], 2, seed=3)
    for (name, p), q in zip(a.named_parameters(), b.parameters()):
        np.testing.assert_array_equal(p.data, q.data, err_msg=name)
    with pytest.raises(ValueError, match="activation must be one of"):
        nn.MLP(4, [8], 2, activation="swish")


def test_modules_and_histories_show_themselves_as_tables():
    from scratchgrad import fit

    model = nn.MLP(4, [8], 3)
    text = str(model.summary())
    assert "Total parameters: 67" in text and "(None, 8)" in text
    assert model._repr_html_().startswith("<table>") and "67" in model._repr_html_()
    history = fit(model, np.random.default_rng(0).random((20, 4)), np.arange(20) % 3, epochs=2, verbose=0)
    assert "<table>" in history._repr_html_() and "2 epochs" in history._repr_html_()
    assert repr(Tensor([1.0])).startswith("Tensor(")  # the short text forms stay


def _torch_linear(layer, x):
    """PyTorch float64's Linear with `layer`'s weights, on `x`; returns (output, weight, bias) tensors."""
    weight = torch.tensor(np.asarray(layer.weight.data if isinstance(layer.weight, Tensor) else layer.weight,
                                     dtype=np.float64), requires_grad=True)
    bias = torch.tensor(np.asarray(layer.bias.data if isinstance(layer.bias, Tensor) else layer.bias,
                                   dtype=np.float64), requires_grad=True)
    return torch.nn.functional.linear(x, weight.T, bias), weight, bias


@pytest.mark.parametrize("shape", [(5,), (4, 5), (2, 3, 5)])
@pytest.mark.parametrize("given", ["float64 array", "list", "float64 Tensor"])
def test_linear_on_any_batch_shape_and_input_kind_matches_torch(shape, given):
    """1-D, 2-D (the fused node) and 3-D inputs; float64 data for a float32 layer is rounded to float32
    first, a float64 Tensor is multiplied as it is (its gradient stays float64)."""
    layer = nn.Linear(5, 3, seed=0)
    data = np.random.default_rng(2).normal(size=shape)
    x = {"float64 array": data, "list": data.tolist(), "float64 Tensor": Tensor(data, requires_grad=True)}[given]
    out = layer(x)
    rounded = given != "float64 Tensor"
    tx = torch.tensor(data.astype(np.float32).astype(np.float64) if rounded else data, requires_grad=True)
    t_out, t_weight, t_bias = _torch_linear(layer, tx)
    assert out.dtype == (np.float32 if rounded else np.float64) and out.shape == shape[:-1] + (3,)
    np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=1e-5, atol=1e-6)
    upstream = np.random.default_rng(3).normal(size=out.shape)
    out.backward(upstream)
    t_out.backward(torch.tensor(upstream))
    assert layer.weight.grad.dtype == layer.bias.grad.dtype == np.float32
    np.testing.assert_allclose(layer.weight.grad, t_weight.grad.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(layer.bias.grad, t_bias.grad.numpy(), rtol=1e-5, atol=1e-5)
    if not rounded:
        assert x.grad.dtype == np.float64
        np.testing.assert_allclose(x.grad, tx.grad.numpy(), rtol=1e-6, atol=1e-6)


def test_linear_with_a_weight_of_the_wrong_shape_says_so_as_f_linear_does():
    layer = nn.Linear(3, 2, seed=0)
    layer.weight = Tensor(np.ones((4, 2)), requires_grad=True)  # put there by hand
    with pytest.raises(ValueError, match=re.escape("linear: (2, 3) @ (4, 2) (inner sizes 3 != 4)")):
        layer(np.ones((2, 3)))


@pytest.mark.parametrize("which", ["weight", "bias"])
def test_linear_takes_a_numpy_weight_or_bias_put_there_by_hand_as_f_linear_does(which):
    layer = nn.Linear(3, 2, seed=0, dtype=np.float64)
    setattr(layer, which, getattr(layer, which).data.copy())
    x = np.random.default_rng(4).normal(size=(4, 3))
    out = layer(x)
    t_out, _, _ = _torch_linear(layer, torch.tensor(x))
    np.testing.assert_allclose(out.data, t_out.detach().numpy(), rtol=1e-12)
