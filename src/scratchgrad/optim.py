"""Optimizers and learning-rate schedules, for both engines.

An optimizer reads `p.grad` and writes `p.data`, nothing else, so one `Adam` trains a
scalar MLP (floats) and a tensor MLP (arrays) alike. Each update rule is written once,
in place on NumPy arrays, following PyTorch's definitions so results match `torch.optim`.
"""

from __future__ import annotations

import math
import operator

import numpy as np

from .functional import aligned_empty
from .tensor import Tensor
from .value import Value

_data = operator.attrgetter("data")

# ---- optimizers ----


class Optimizer:
    """Base: holds the parameters, counts steps, and applies `_update` to each.

    `state[i]` is parameter i's state (Adam's running means, SGD's velocity), and that is all
    `state_dict()` and checkpoints ever see. How the update runs is a separate, private
    matter: small Tensor parameters are updated together through one flat buffer (`_FlatPack`).
    """

    STATE_KEYS = ()  # the names of the per-parameter state arrays an update rule keeps
    SCALAR_STATE = ()  # those among them that are one number (Adam's step count), not parameter-shaped

    def __init__(self, params, lr):
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        for i, p in enumerate(self.params):
            if not isinstance(p, (Value, Tensor)):
                raise TypeError(f"{type(self).__name__}: parameter {i} is a {type(p).__name__}, "
                                f"expected a Value or a Tensor")
        _check(_is_number(lr) and lr > 0, f"lr must be a number > 0, got {lr!r}")
        self.lr = lr
        self.step_count = 0
        self.state = [{} for _ in self.params]
        self._scratch_arrays = {}
        self._pack = _FlatPack(self.params) if _FlatPack.worth_it(self.params) else None

    def zero_grad(self):
        for p in self.params:
            p.grad = 0.0 if isinstance(p, Value) else None

    def step(self):
        """Update every parameter that has a gradient."""
        self.step_count += 1
        if self._pack is not None:
            if self._pack.step(self):
                return
            self.state, self._pack = self._pack.unpack(), None  # some gradient is missing: one by one from now on
        for p, state in zip(self.params, self.state):
            if p.grad is None:
                continue
            if isinstance(p, Value):  # a float: update a 0-d array copy, write it back
                data = np.array(p.data)
                self._update(data, np.array(p.grad), state)
                p.data = float(data)
            else:
                self._update(p.data, p.grad, state)

    def _step_with_gradients(self, flat_gradient, gradients):
        """`step()` with the gradients given: a compiled step's flat buffer (in parameter order)
        and its per-parameter views. The same update, without gathering `p.grad`."""
        self.step_count += 1
        if self._pack is not None:
            self._pack.step_with(self, flat_gradient)
            return
        for p, grad, state in zip(self.params, gradients, self.state):
            self._update(p.data, grad, state)

    def _update(self, data, grad, state):
        raise NotImplementedError

    def _scratch(self, data):
        """A work array shaped like `data`, kept between steps (updates run one at a time)."""
        key = (data.shape, data.dtype)
        scratch = self._scratch_arrays.get(key)
        if scratch is None:
            scratch = self._scratch_arrays[key] = np.empty(*key)
        return scratch

    def state_dict(self) -> dict:
        """`{"lr", "step_count", "state": [per-parameter {name: array}]}`, copies, in parameter order."""
        state = self._pack.unpacked_state() if self._pack is not None else self.state
        return {"lr": self.lr, "step_count": self.step_count,
                "state": [{k: np.array(v) for k, v in s.items()} for s in state]}

    def check_state_dict(self, state_dict):
        """Raise ValueError unless `state_dict` fits these parameters (keys, shapes, numbers)."""
        name = type(self).__name__
        if not isinstance(state_dict, dict) or not {"lr", "step_count", "state"} <= set(state_dict):
            raise ValueError(f"{name}.load_state_dict expects a dict with lr, step_count and state")
        lr, steps, state = state_dict["lr"], state_dict["step_count"], state_dict["state"]
        if not (_is_number(lr) and lr > 0) or not (isinstance(steps, (int, np.integer)) and steps >= 0):
            raise ValueError(f"{name}.load_state_dict: lr {lr!r} or step_count {steps!r} is not valid")
        if not isinstance(state, (list, tuple)) or len(state) != len(self.params):
            parts = len(state) if isinstance(state, (list, tuple)) else type(state).__name__
            raise ValueError(f"{name}.load_state_dict: the state has {parts} parts, this optimizer "
                             f"{len(self.params)} parameters")
        for i, (part, p) in enumerate(zip(state, self.params)):
            if not isinstance(part, dict) or set(part) not in (set(), set(self.STATE_KEYS)):
                raise ValueError(f"{name}.load_state_dict: parameter {i}'s state has "
                                 f"{sorted(part) if isinstance(part, dict) else part!r}, expected nothing (no "
                                 f"step yet) or all of {list(self.STATE_KEYS)}")
            for key, value in part.items():
                value = np.asarray(value)
                shape = () if key in self.SCALAR_STATE else np.shape(p.data)
                if value.shape != shape or value.dtype.kind != "f" or not np.all(np.isfinite(value)):
                    raise ValueError(f"{name}.load_state_dict: parameter {i}'s {key} has shape {value.shape} "
                                     f"({value.dtype}), expected finite numbers of shape {shape}")

    def load_state_dict(self, state_dict):
        """Restore a `state_dict()`; everything is checked before anything changes."""
        self.check_state_dict(state_dict)
        self.lr = state_dict["lr"]
        self.step_count = int(state_dict["step_count"])
        state = [{k: np.array(v, dtype=np.float64 if k in self.SCALAR_STATE else np.result_type(p.data))
                  for k, v in s.items()} for s, p in zip(state_dict["state"], self.params)]
        if self._pack is not None and not self._pack.load_state(state):
            self._pack.unpack()  # the parameters' states differ (some had no gradient): one by one from now on
            self._pack = None
        if self._pack is None:
            self.state = state

    def __repr__(self):
        return f"{type(self).__name__}(lr={self.lr}, {len(self.params)} parameters)"


class _FlatPack:
    """An execution detail: small Tensor parameters of one dtype live in one flat buffer.

    Each `p.data` becomes a view of its slice, and the update rule runs once on the whole
    buffer with flat state arrays, instead of once per parameter: on a small network NumPy's
    per-call cost is most of the step. Nothing outside this class and `Optimizer` knows of it;
    `unpacked_state()` / `load_state()` translate to and from per-parameter state.
    """

    PACK_BELOW = 50_000  # average numbers per parameter under which one flat buffer is faster

    @classmethod
    def worth_it(cls, params):
        """Packing saves NumPy's per-call cost but copies the gradients into the buffer each
        step: worth it while parameters are small (under ~50k numbers each, on average)."""
        if not all(isinstance(p, Tensor) for p in params) or len({p.data.dtype for p in params}) != 1:
            return False
        return sum(p.data.size for p in params) / len(params) < cls.PACK_BELOW

    def __init__(self, params):
        self.params = params
        self.ends = np.cumsum([p.data.size for p in params])
        self.state = {}  # name -> flat array, one slice per parameter
        self._repack()

    def __setstate__(self, state):
        """After a pickle or a deep copy: each `p.data` came back as an array of its own, not a view of
        the buffer (a copy keeps no aliasing), so updating the buffer would train nothing. Repack."""
        self.__dict__.update(state)
        self._repack()

    def _repack(self):
        """Copy the parameters into one flat buffer and make each `p.data` a view of it."""
        dtype = self.params[0].data.dtype  # both buffers 64-byte aligned, for BLAS (functional.aligned_empty)
        self.buffer = np.concatenate([p.data.ravel() for p in self.params], out=aligned_empty(self.ends[-1], dtype))
        self.gradient = aligned_empty(self.ends[-1], dtype)
        self.views = self._split(self.buffer)
        for p, part in zip(self.params, self.views):
            p.data = part

    def _split(self, flat):
        starts = [0, *self.ends[:-1]]
        return [flat[start:end].reshape(p.data.shape) for p, start, end in zip(self.params, starts, self.ends)]

    def step(self, optimizer):
        """One update of all parameters at once; False if some gradient is missing."""
        gradients = [p.grad for p in self.params]
        if type(None) in map(type, gradients):  # (`None in gradients` would compare arrays with ==)
            return False
        np.concatenate(gradients, axis=None, out=self.gradient)  # axis=None: each one flattened
        self.step_with(optimizer, self.gradient)
        return True

    def step_with(self, optimizer, flat_gradient):
        if not all(map(operator.is_, map(_data, self.params), self.views)):
            self._repack()  # someone replaced a p.data: take the new values in
        optimizer._update(self.buffer, flat_gradient, self.state)

    def unpacked_state(self):
        per_parameter = [{} for _ in self.params]
        for key, flat in self.state.items():
            parts = [flat] * len(self.params) if flat.ndim == 0 else self._split(flat)  # a count is everyone's
            for state, part in zip(per_parameter, parts):
                state[key] = part
        return per_parameter

    def load_state(self, per_parameter):
        """Take per-parameter state in; False (nothing changed) if it cannot be one flat state."""
        keys = set(per_parameter[0])
        if any(set(state) != keys for state in per_parameter):
            return False
        flat = {}
        for key in keys:
            parts = [state[key] for state in per_parameter]
            if parts[0].ndim == 0:
                if any(part != parts[0] for part in parts):
                    return False
                flat[key] = parts[0].copy()
            else:
                flat[key] = np.concatenate([part.ravel() for part in parts])
        self.state = flat
        return True

    def unpack(self):
        """Per-parameter state and separate `p.data` arrays again, for updating one by one."""
        state = [{key: np.array(value) for key, value in s.items()} for s in self.unpacked_state()]
        for p in self.params:
            p.data = p.data.copy()
        return state


class SGD(Optimizer):
    """Gradient descent with optional momentum (heavy-ball or Nesterov) and L2 weight decay."""

    STATE_KEYS = ("velocity",)

    def __init__(self, params, lr=0.01, momentum=0.0, nesterov=False, weight_decay=0.0):
        super().__init__(params, lr)
        _check(momentum >= 0, f"momentum must be >= 0, got {momentum}")
        _check(weight_decay >= 0, f"weight_decay must be >= 0, got {weight_decay}")
        _check(not nesterov or momentum > 0, "nesterov=True needs momentum > 0")
        self.momentum, self.nesterov, self.weight_decay = momentum, nesterov, weight_decay

    def _update(self, data, grad, state):
        step = self._scratch(data)
        if self.weight_decay:
            grad = grad + self.weight_decay * data
        if self.momentum:
            if "velocity" not in state:
                state["velocity"] = grad.copy()
            else:
                state["velocity"] *= self.momentum
                state["velocity"] += grad
            if self.nesterov:  # grad + momentum * velocity
                np.multiply(state["velocity"], self.momentum, out=step)
                grad = np.add(grad, step, out=step)
            else:
                grad = state["velocity"]
        data -= np.multiply(grad, self.lr, out=step)  # data -= lr * grad, with no temporary array


class Adam(Optimizer):
    """Adam (Kingma & Ba); `weight_decay` adds an L2 term to the gradient, as torch.optim.Adam."""

    decoupled = False
    STATE_KEYS = ("mean", "square", "step")
    SCALAR_STATE = ("step",)

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
            state["mean"], state["square"], state["step"] = np.zeros_like(data), np.zeros_like(data), np.zeros(())
        state["step"] += 1  # per parameter, as in PyTorch: a step without a gradient does not count
        mean, square = state["mean"], state["square"]
        step = self._scratch(data)  # every temporary below is this one array, allocated once
        np.subtract(grad, mean, out=step)
        step *= 1 - beta1
        mean += step  # mean = beta1 * mean + (1 - beta1) * grad
        np.multiply(grad, grad, out=step)
        step -= square
        step *= 1 - beta2
        square += step  # square = beta2 * square + (1 - beta2) * grad²
        t = float(state["step"])
        # data -= lr / (1 - beta1^t) * mean / (sqrt(square / (1 - beta2^t)) + eps), which is
        # data -= lr * c / (1 - beta1^t) * mean / (sqrt(square) + eps * c), c = sqrt(1 - beta2^t):
        # the same update with one pass fewer
        c = math.sqrt(1 - beta2**t)
        np.sqrt(square, out=step)
        step += self.eps * c
        np.divide(mean, step, out=step)
        step *= self.lr * c / (1 - beta1**t)
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


def _is_number(x):
    return isinstance(x, (int, float, np.integer, np.floating)) and not isinstance(x, bool) and math.isfinite(x)


def _check(condition, message):
    if not condition:
        raise ValueError(message)
