"""Optimizers and schedules, step for step against torch.optim (float64)."""

import numpy as np
import pytest
import torch

from scratchgrad import Tensor, Value, optim

CONFIGS = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.5, weight_decay=0.1)),
    ("Adam", dict(lr=0.01)),
    ("Adam", dict(lr=0.01, betas=(0.8, 0.99), weight_decay=0.1)),
    ("AdamW", dict(lr=0.01, weight_decay=0.1)),
]


def quadratic_loss(params, targets):
    return sum(((p - t) ** 2).sum() + (p * 0.5).tanh().sum() for p, t in zip(params, targets))


@pytest.mark.parametrize("packed", [True, False])
@pytest.mark.parametrize("name, settings", CONFIGS)
def test_tensor_optimizers_match_torch(name, settings, packed, monkeypatch):
    monkeypatch.setattr(optim._FlatPack, "PACK_BELOW", 10**9 if packed else 0)
    rng = np.random.default_rng(0)
    starts = [rng.normal(size=(3, 4)), rng.normal(size=(4,))]
    targets = [rng.normal(size=(3, 4)), rng.normal(size=(4,))]
    ours = [Tensor(s.copy(), requires_grad=True) for s in starts]
    theirs = [torch.tensor(s, requires_grad=True) for s in starts]
    our_optimizer = getattr(optim, name)(ours, **settings)
    assert (our_optimizer._pack is not None) == packed
    their_optimizer = getattr(torch.optim, name)(theirs, **settings)
    for _ in range(6):
        our_optimizer.zero_grad()
        quadratic_loss(ours, targets).backward()
        our_optimizer.step()
        their_optimizer.zero_grad()
        quadratic_loss(theirs, [torch.tensor(t) for t in targets]).backward()
        their_optimizer.step()
        for p, q in zip(ours, theirs):
            np.testing.assert_allclose(p.data, q.detach().numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("name, settings", CONFIGS)
def test_value_optimizers_match_torch(name, settings):
    starts, targets = [0.5, -1.5, 2.0], [1.0, 0.0, -1.0]
    ours = [Value(s) for s in starts]
    theirs = [torch.tensor(s, requires_grad=True) for s in starts]
    our_optimizer = getattr(optim, name)(ours, **settings)
    their_optimizer = getattr(torch.optim, name)(theirs, **settings)
    for _ in range(6):
        our_optimizer.zero_grad()
        sum((p - t) ** 2 + (p * 0.5).tanh() for p, t in zip(ours, targets)).backward()
        our_optimizer.step()
        their_optimizer.zero_grad()
        sum((p - t) ** 2 + (p * 0.5).tanh() for p, t in zip(theirs, targets)).backward()
        their_optimizer.step()
        assert [p.data for p in ours] == pytest.approx([q.item() for q in theirs], rel=1e-12, abs=1e-12)


def test_parameter_without_gradient_is_skipped_like_torch():
    rng = np.random.default_rng(1)
    used, unused = rng.normal(size=3), rng.normal(size=2)
    ours = [Tensor(used.copy(), requires_grad=True), Tensor(unused.copy(), requires_grad=True)]
    theirs = [torch.tensor(used, requires_grad=True), torch.tensor(unused, requires_grad=True)]
    a, b = optim.Adam(ours, lr=0.1), torch.optim.Adam(theirs, lr=0.1)
    for step in range(4):
        for params, opt in ((ours, a), (theirs, b)):
            opt.zero_grad()
            loss = (params[0] * params[0]).sum() + ((params[1] * params[1]).sum() if step < 2 else 0)
            loss.backward()
            opt.step()
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.data, q.detach().numpy(), atol=1e-12)


def test_optimizer_state_dict_round_trip():
    p = Tensor(np.ones(3), requires_grad=True)
    first = optim.Adam([p], lr=0.1)
    for _ in range(3):
        first.zero_grad()
        (p * p).sum().backward()
        first.step()
    q = Tensor(p.data.copy(), requires_grad=True)
    second = optim.Adam([q], lr=0.5)
    second.load_state_dict(first.state_dict())
    for opt, param in ((first, p), (second, q)):
        opt.zero_grad()
        (param * param).sum().backward()
        opt.step()
    np.testing.assert_array_equal(p.data, q.data)


@pytest.mark.parametrize("make, message", [
    (lambda p: optim.SGD(p, lr=0), "lr must be a number > 0"),
    (lambda p: optim.SGD(p, lr=0.1, nesterov=True), "nesterov=True needs momentum > 0"),
    (lambda p: optim.Adam(p, betas=(0.9, 1.0)), r"betas must be two numbers in \[0, 1\)"),
    (lambda p: optim.Adam([], lr=0.1), "empty parameter list"),
    (lambda p: optim.Adam([np.zeros(2)], lr=0.1), "expected a Value or a Tensor"),
])
def test_bad_settings_fail_at_construction(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make([Tensor(np.ones(2), requires_grad=True)])


SCHEDULES = [
    (lambda: optim.inverse_time_decay(0.1, 0.5),
     lambda opt: torch.optim.lr_scheduler.LambdaLR(opt, lambda t: 1 / (1 + 0.5 * t))),
    (lambda: optim.step_decay(0.1, 3, 0.5), lambda opt: torch.optim.lr_scheduler.StepLR(opt, 3, 0.5)),
    (lambda: optim.exponential_decay(0.1, 0.9),
     lambda opt: torch.optim.lr_scheduler.ExponentialLR(opt, 0.9)),
    (lambda: optim.cosine_decay(0.1, 12, 0.01),
     lambda opt: torch.optim.lr_scheduler.CosineAnnealingLR(opt, 12, 0.01)),
    (lambda: optim.constant(0.1), lambda opt: torch.optim.lr_scheduler.ConstantLR(opt, 1.0)),
]


@pytest.mark.parametrize("ours, theirs", SCHEDULES)
def test_schedules_match_torch(ours, theirs):
    p = Tensor(np.ones(1), requires_grad=True)
    optimizer = optim.SGD([p], lr=0.1)
    scheduler = optim.LRScheduler(optimizer, ours())
    torch_optimizer = torch.optim.SGD([torch.ones(1, requires_grad=True)], lr=0.1)
    torch_scheduler = theirs(torch_optimizer)
    for _ in range(10):
        assert optimizer.lr == pytest.approx(torch_optimizer.param_groups[0]["lr"], rel=1e-12)
        torch_optimizer.step()
        torch_scheduler.step()
        scheduler.step()


def test_clip_grad_norm_matches_torch():
    rng = np.random.default_rng(2)
    grads = [rng.normal(size=(3, 3)) * 5, rng.normal(size=4) * 5]
    ours = [Tensor(np.zeros_like(g), requires_grad=True) for g in grads]
    theirs = [torch.zeros(g.shape, requires_grad=True, dtype=torch.float64) for g in grads]
    for p, q, g in zip(ours, theirs, grads):
        p.grad, q.grad = g.copy(), torch.tensor(g)
    total = optim.clip_grad_norm(ours, 1.0)
    torch_total = torch.nn.utils.clip_grad_norm_(theirs, 1.0)
    assert total == pytest.approx(torch_total.item(), rel=1e-12)
    for p, q in zip(ours, theirs):
        np.testing.assert_allclose(p.grad, q.grad.numpy(), rtol=1e-12)


def test_adam_counts_steps_per_parameter_as_pytorch_does():
    """A parameter without a gradient at a step does not count that step (bias correction)."""
    ours = [Tensor(np.array([1.0, -2.0]), requires_grad=True), Tensor(np.array([0.5]), requires_grad=True)]
    theirs = [torch.tensor(p.data, requires_grad=True) for p in ours]
    ours_optimizer, torch_optimizer = optim.Adam(ours, lr=0.1), torch.optim.Adam(theirs, lr=0.1)
    for step in range(4):
        used = [0, 1] if step else [0]  # the second parameter gets no gradient at the first step
        ours_optimizer.zero_grad()
        torch_optimizer.zero_grad()
        sum((ours[i] * ours[i]).sum() for i in used).backward()
        sum((theirs[i] * theirs[i]).sum() for i in used).backward()
        ours_optimizer.step()
        torch_optimizer.step()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.data, b.detach().numpy(), rtol=1e-12)


def test_a_checkpoint_with_a_parameter_that_never_got_a_gradient_resumes(tmp_path):
    from scratchgrad import fit, nn

    class WithSpare(nn.Module):
        def __init__(self, seed):
            self.used, self.spare = nn.MLP(3, [4], 2, seed=seed, dtype=np.float64), nn.Linear(2, 2, seed=seed)

        def forward(self, x):
            return self.used(x)

    X = np.random.default_rng(0).normal(size=(20, 3))
    y = (X[:, 0] > 0).astype(int)

    def train(epochs, resume):
        model = WithSpare(0)
        fit(model, X, y, optimizer=optim.Adam(model.parameters(), lr=0.01), epochs=epochs, batch_size=5, seed=1,
            verbose=0, checkpoint_dir=tmp_path / ("straight" if epochs == 4 and not resume else "run"),
            resume_from=tmp_path / "run" if resume else None)
        return model

    train(2, resume=False)
    resumed, straight = train(4, resume=True), train(4, resume=False)
    for a, b in zip(resumed.parameters(), straight.parameters()):
        np.testing.assert_array_equal(a.data, b.data)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_packed_parameters_start_on_64_byte_boundaries_for_blas(dtype):
    # OpenBLAS multiplies by a 64-byte-aligned matrix up to a third faster (AVX-512); NumPy aligns to 16
    from scratchgrad import nn
    from scratchgrad.functional import aligned_empty

    model = nn.MLP(64, [128, 128], 10, dtype=dtype, seed=0)
    before = [p.data.copy() for p in model.parameters()]
    optimizer = optim.Adam(model.parameters())
    assert all(p.data.ctypes.data % 64 == 0 for p in optimizer.params)  # every size here is a multiple of 16
    assert all(np.array_equal(p.data, b) and p.data.dtype == dtype for p, b in zip(optimizer.params, before))
    for shape in [(3, 5), (7,), (0,), (2, 3, 4)]:
        array = aligned_empty(shape, dtype)
        assert array.shape == shape and array.dtype == dtype
        assert array.size == 0 or array.ctypes.data % 64 == 0  # (an empty one has nothing to align)
        assert array.flags.c_contiguous and array.flags.writeable


@pytest.mark.parametrize("how", ["deepcopy", "pickle"])
def test_a_copied_model_and_optimizer_train_on_as_the_original(how):
    # the optimizer keeps small parameters as views of one flat buffer; a copy must keep training its
    # own parameters (a copy does not keep views: updating the copied buffer trained nothing)
    import copy
    import pickle

    from scratchgrad import functional as F
    from scratchgrad import nn

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 4)), rng.integers(0, 3, 40)
    model = nn.MLP(4, [8], 3, seed=0)
    opt = optim.Adam(model.parameters(), lr=0.05)

    def train(model, opt, steps=3):
        for _ in range(steps):
            loss = F.cross_entropy(model(Tensor(X)), y)
            opt.zero_grad()
            loss.backward()
            opt.step()

    train(model, opt)
    pair = copy.deepcopy((model, opt)) if how == "deepcopy" else pickle.loads(pickle.dumps((model, opt)))
    train(model, opt)
    train(*pair)
    for a, b in zip(model.parameters(), pair[0].parameters()):
        np.testing.assert_array_equal(a.data, b.data)
