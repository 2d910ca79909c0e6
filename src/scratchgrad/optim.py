"""Optimizers and learning-rate schedules, for both engines.

An optimizer reads `p.grad` and writes `p.data`, nothing else, so one `Adam` trains a
scalar MLP (floats) and a tensor MLP (arrays) alike. Each update rule is written once,
in place on NumPy arrays, following PyTorch's definitions so results match `torch.optim`.
"""

from __future__ import annotations

import math

import numpy as np

from .tensor import Tensor
from .value import Value

# ---- optimizers ----

PACK_BELOW = 50_000  # average numbers per parameter under which one flat buffer is faster


class Optimizer:
    """Base: holds the parameters, counts steps, and applies `_update` to each.

    Small Tensor parameters of one dtype are packed into one flat buffer (each `p.data`
    becomes a view of its slice), so an update rule runs once over all of them instead of
    once per parameter: on a small network, NumPy's per-call cost is most of the step.
    """

    def __init__(self, params, lr):
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        for i, p in enumerate(self.params):
            if not isinstance(p, (Value, Tensor)):
                raise TypeError(f"{type(self).__name__}: parameter {i} is a {type(p).__name__}, "
                                f"expected a Value or a Tensor")
        _check(lr > 0, f"lr must be > 0, got {lr}")
        self.lr = lr
        self.step_count = 0
        self._buffer = None
        if self._worth_packing():
            self._pack()
            self.state = [{}]  # one state for the packed buffer
        else:
            self.state = [{} for _ in self.params]

    def _worth_packing(self):
        """Packing saves NumPy's per-call cost but copies the gradients into the buffer each
        step: worth it while parameters are small (under ~50k numbers each, on average)."""
        if not all(isinstance(p, Tensor) for p in self.params):
            return False
        if len({p.data.dtype for p in self.params}) != 1:
            return False
        return sum(p.data.size for p in self.params) / len(self.params) < PACK_BELOW

    def _pack(self):
        """Copy the parameters into one flat buffer and make each `p.data` a view of it."""
        self._buffer = np.concatenate([p.data.ravel() for p in self.params])
        start = 0
        for p in self.params:
            p.data = self._buffer[start:start + p.data.size].reshape(p.data.shape)
            start += p.data.size

    def _unpack(self):
        """Back to one state per parameter (PyTorch skips parameters without a gradient)."""
        sizes = np.cumsum([p.data.size for p in self.params])[:-1]
        per_parameter = [{} for _ in self.params]
        for key, flat in self.state[0].items():
            for state, part, p in zip(per_parameter, np.split(flat, sizes), self.params):
                state[key] = part.reshape(p.data.shape).copy()
        for p in self.params:
            p.data = p.data.copy()
        self._buffer, self.state = None, per_parameter

    def zero_grad(self):
        for p in self.params:
            p.grad = 0.0 if isinstance(p, Value) else None

    def step(self):
        """Update every parameter that has a gradient."""
        self.step_count += 1
        if self._buffer is not None and all(p.grad is not None for p in self.params):
            if any(p.data.base is not self._buffer for p in self.params):
                self._pack()  # someone replaced a p.data: take the new values in
            grad = np.concatenate([p.grad.ravel() for p in self.params])
            self._update(self._buffer, grad, self.state[0])
            return
        if self._buffer is not None:  # some gradient is missing: update one by one from now on
            self._unpack()
        for p, state in zip(self.params, self.state):
            if p.grad is None:
                continue
            if isinstance(p, Value):  # a float: update a 0-d array copy, write it back
                data = np.array(p.data)
                self._update(data, np.array(p.grad), state)
                p.data = float(data)
            else:
                self._update(p.data, p.grad, state)

    def _update(self, data, grad, state):
        raise NotImplementedError

    def state_dict(self) -> dict:
        return {"lr": self.lr, "step_count": self.step_count,
                "state": [{k: np.array(v) for k, v in s.items()} for s in self.state]}

    def load_state_dict(self, state_dict):
        if len(state_dict["state"]) != len(self.state):
            raise ValueError(f"{type(self).__name__}.load_state_dict: the state has "
                             f"{len(state_dict['state'])} parts, this optimizer {len(self.state)}")
        self.lr = state_dict["lr"]
        self.step_count = int(state_dict["step_count"])
        self.state = [{k: np.array(v) for k, v in s.items()} for s in state_dict["state"]]

    def __repr__(self):
        return f"{type(self).__name__}(lr={self.lr}, {len(self.params)} parameters)"


class SGD(Optimizer):
    """Gradient descent with optional momentum (heavy-ball or Nesterov) and L2 weight decay."""

    def __init__(self, params, lr=0.01, momentum=0.0, nesterov=False, weight_decay=0.0):
        super().__init__(params, lr)
        _check(momentum >= 0, f"momentum must be >= 0, got {momentum}")
        _check(weight_decay >= 0, f"weight_decay must be >= 0, got {weight_decay}")
        _check(not nesterov or momentum > 0, "nesterov=True needs momentum > 0")
        self.momentum, self.nesterov, self.weight_decay = momentum, nesterov, weight_decay

    def _update(self, data, grad, state):
        if self.weight_decay:
            grad = grad + self.weight_decay * data
        if self.momentum:
            if "velocity" not in state:
                state["velocity"] = grad.copy()
            else:
                state["velocity"] *= self.momentum
                state["velocity"] += grad
            grad = grad + self.momentum * state["velocity"] if self.nesterov else state["velocity"]
        data -= self.lr * grad


class Adam(Optimizer):
    """Adam (Kingma & Ba); `weight_decay` adds an L2 term to the gradient, as torch.optim.Adam."""

    decoupled = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, lr)
        _check(len(betas) == 2 and all(0 <= b < 1 for b in betas),
               f"betas must be two numbers in [0, 1), got {betas}")
        _check(eps > 0, f"eps must be > 0, got {eps}")
        _check(weight_decay >= 0, f"weight_decay must be >= 0, got {weight_decay}")
        self.betas, self.eps, self.weight_decay = tuple(betas), eps, weight_decay

    def _update(self, data, grad, state):
        beta1, beta2 = self.betas
        if self.weight_decay:
            if self.decoupled:
                data *= 1 - self.lr * self.weight_decay
            else:
                grad = grad + self.weight_decay * data
        if "mean" not in state:
            state["mean"], state["square"] = np.zeros_like(data), np.zeros_like(data)
        mean, square = state["mean"], state["square"]
        mean += (1 - beta1) * (grad - mean)  # = beta1 * mean + (1 - beta1) * grad
        square += (1 - beta2) * (grad * grad - square)
        t = self.step_count
        # data -= lr / (1 - beta1^t) * mean / (sqrt(square / (1 - beta2^t)) + eps), in place
        step = np.sqrt(square, out=np.empty_like(square))
        step *= 1 / math.sqrt(1 - beta2**t)
        step += self.eps
        np.divide(mean, step, out=step)
        step *= self.lr / (1 - beta1**t)
        data -= step


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter), as torch.optim.AdamW."""

    decoupled = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.01):
        super().__init__(params, lr, betas, eps, weight_decay)


def clip_grad_norm(params, max_norm) -> float:
    """Scale all gradients so their joint L2 norm is at most `max_norm`; returns the norm before."""
    _check(max_norm > 0, f"max_norm must be > 0, got {max_norm}")
    params = [p for p in params if p.grad is not None]
    total = math.sqrt(sum(float(np.sum(np.square(p.grad))) for p in params))
    scale = max_norm / (total + 1e-6)
    if scale < 1:
        for p in params:
            p.grad = p.grad * scale
    return total


# ---- learning-rate schedules: functions of the epoch (or step) number t = 0, 1, 2, ... ----


def constant(lr0):
    _check(lr0 > 0, f"lr0 must be > 0, got {lr0}")
    return lambda t: lr0


def inverse_time_decay(lr0, decay):
    """`lr0 / (1 + decay * t)`: seed 003's schedule."""
    _check(lr0 > 0 and decay >= 0, f"need lr0 > 0 and decay >= 0, got {lr0}, {decay}")
    return lambda t: lr0 / (1 + decay * t)


def step_decay(lr0, step_size, gamma=0.1):
    """`lr0 * gamma ** (t // step_size)`, as torch's StepLR."""
    _check(lr0 > 0 and step_size >= 1, f"need lr0 > 0 and step_size >= 1, got {lr0}, {step_size}")
    return lambda t: lr0 * gamma ** (t // step_size)


def exponential_decay(lr0, gamma):
    """`lr0 * gamma ** t`, as torch's ExponentialLR."""
    _check(lr0 > 0 and 0 < gamma <= 1, f"need lr0 > 0 and 0 < gamma <= 1, got {lr0}, {gamma}")
    return lambda t: lr0 * gamma**t


def cosine_decay(lr0, total, min_lr=0.0):
    """From lr0 down to min_lr along half a cosine over `total` steps, as torch's CosineAnnealingLR."""
    _check(lr0 > 0 and total >= 1, f"need lr0 > 0 and total >= 1, got {lr0}, {total}")
    return lambda t: min_lr + (lr0 - min_lr) * (1 + math.cos(math.pi * min(t, total) / total)) / 2


class LRScheduler:
    """Sets `optimizer.lr = schedule(t)`; call `step()` once per epoch, as in PyTorch."""

    def __init__(self, optimizer, schedule):
        if not callable(schedule):
            raise TypeError(f"schedule must be a function of the epoch number, got {schedule!r}")
        self.optimizer, self.schedule, self.t = optimizer, schedule, 0
        optimizer.lr = schedule(0)

    def step(self):
        self.t += 1
        self.optimizer.lr = self.schedule(self.t)


def _check(condition, message):
    if not condition:
        raise ValueError(message)
