"""Grad mode belongs to a thread, as in PyTorch: `no_grad()` in one thread never changes
what another thread computes, and a new thread starts with grad enabled.

The threads are interleaved with barriers, never with sleeps: an inference thread is held
inside `no_grad()` exactly while the training thread runs the phase under test.
"""

import threading

import numpy as np
import torch
from hypothesis import example, given, settings
from hypothesis import strategies as st

from scratchgrad import Tensor, Value, is_grad_enabled, nn, no_grad, optim
from scratchgrad import functional as F

DEADLOCK = 60  # seconds a barrier waits before the test reports a deadlock (never reached when passing)
STEPS = 4
PHASES = ("forward", "backward", "step")

_rng = np.random.default_rng(0)
X = _rng.normal(size=(16, 4))
Y = _rng.integers(0, 3, 16)
X_INFERENCE = _rng.normal(size=(5, 4))


def train(before_phase=None):
    """Train a fresh MLP for STEPS steps of SGD; returns every step's gradients (copies).

    `before_phase(step, phase)` runs before each phase of each step: the test's hook to
    interleave other threads.
    """
    model = nn.MLP(4, [8], 3, seed=0)
    optimizer = optim.SGD(model.parameters(), lr=0.5)
    gradients = []
    for step in range(STEPS):
        if before_phase:
            before_phase(step, "forward")
        loss = F.cross_entropy(model(X), Y)
        if before_phase:
            before_phase(step, "backward")
        model.zero_grad()
        loss.backward()
        gradients.append([p.grad.copy() for p in model.parameters()])
        if before_phase:
            before_phase(step, "step")
        optimizer.step()
    return gradients


class InferenceThreads:
    """Threads running another model under `no_grad()` in a loop, each checking its output.

    `hold()` makes every one of them stop inside its `no_grad()` block and returns once all
    are there; `release()` lets them go on.
    """

    def __init__(self, count):
        self.model = nn.MLP(4, [6], 2, seed=1)
        with no_grad():
            self.expected = self.model(X_INFERENCE).data.copy()
        self.hold_requested = threading.Event()
        self.stop = threading.Event()
        self.entered = threading.Barrier(count + 1, timeout=DEADLOCK)
        self.released = threading.Barrier(count + 1, timeout=DEADLOCK)
        self.held = False
        self.errors = []
        self.threads = [threading.Thread(target=self._run) for _ in range(count)]

    def _run(self):
        try:
            while not self.stop.is_set():
                with no_grad():
                    out = self.model(X_INFERENCE)
                    assert not out.requires_grad and out._prev == ()
                    np.testing.assert_array_equal(out.data, self.expected)
                    if self.hold_requested.is_set():
                        self.entered.wait()
                        self.released.wait()
        except threading.BrokenBarrierError:
            pass  # the training thread failed and gave up on us; it reports why
        except BaseException as error:  # noqa: BLE001 -- reported by the main thread
            self.errors.append(error)
            self.entered.abort()  # so that the training thread does not wait for us in vain
            self.released.abort()

    def hold(self):
        self.hold_requested.set()
        self.entered.wait()
        self.hold_requested.clear()  # before `release`: no thread can ask again until then
        self.held = True

    def release(self):
        if self.held:
            self.released.wait()
            self.held = False

    def __enter__(self):
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc_info):
        if exc_info[0] is None:
            self.release()
        self.stop.set()
        self.entered.abort()
        self.released.abort()
        for thread in self.threads:
            thread.join(DEADLOCK)
        assert not any(thread.is_alive() for thread in self.threads), "an inference thread hangs"
        if self.errors:
            raise self.errors[0]


def run_in_thread(function):
    """`function()` run in a new thread; its result, or its exception raised here."""
    outcome = {}

    def target():
        try:
            outcome["result"] = function()
        except BaseException as error:  # noqa: BLE001 -- re-raised below
            outcome["error"] = error

    thread = threading.Thread(target=target)
    thread.start()
    thread.join(DEADLOCK)
    assert not thread.is_alive(), "the thread hangs"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["result"]


SINGLE_THREADED = train()


@settings(max_examples=12, deadline=None)
@given(inference_threads=st.integers(1, 3),
       schedule=st.lists(st.sampled_from((None, *PHASES)), min_size=STEPS, max_size=STEPS))
@example(inference_threads=1, schedule=["forward", None, "backward", "forward"])
def test_training_beside_no_grad_inference_gets_single_threaded_gradients(inference_threads, schedule):
    """`schedule[step]` is the phase of that step during which inference sits inside no_grad()."""
    with InferenceThreads(inference_threads) as inference:
        def before_phase(step, phase):
            inference.release()
            if schedule[step] == phase:
                inference.hold()

        gradients = run_in_thread(lambda: train(before_phase))
    for step, (ours, reference) in enumerate(zip(gradients, SINGLE_THREADED, strict=True)):
        for got, expected in zip(ours, reference, strict=True):
            assert np.array_equal(got, expected), f"step {step}: gradients differ"


def test_value_engine_builds_its_graph_while_another_thread_is_in_no_grad():
    def gradients():
        a, b = Value(2.0), Value(-3.0)
        out = (a * b + 1).tanh() * a
        out.backward()
        return out.data, a.grad, b.grad

    expected = gradients()
    inside, done = threading.Barrier(2, timeout=DEADLOCK), threading.Barrier(2, timeout=DEADLOCK)

    def hold_no_grad():
        with no_grad():
            inside.wait()
            done.wait()

    holder = threading.Thread(target=hold_no_grad)
    holder.start()
    inside.wait()
    try:
        assert run_in_thread(gradients) == expected
    finally:
        done.wait()
        holder.join(DEADLOCK)


def test_two_threads_leaving_no_grad_out_of_order_leave_grad_mode_on():
    """A enters, B enters, A leaves, B leaves: with one process-wide flag B restores "off"."""
    barrier = threading.Barrier(2, timeout=DEADLOCK)
    seen_after = {}

    def thread(name, leaves_first):
        with no_grad():
            barrier.wait()  # both inside
            if not leaves_first:
                barrier.wait()  # the other one has left
        if leaves_first:
            barrier.wait()
        seen_after[name] = is_grad_enabled()

    threads = [threading.Thread(target=thread, args=("A", True)),
               threading.Thread(target=thread, args=("B", False))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(DEADLOCK)
    assert seen_after == {"A": True, "B": True}
    assert is_grad_enabled()
    a = Tensor([1.0, 2.0], requires_grad=True)
    assert (a * a).sum().requires_grad
    assert run_in_thread(lambda: (Value(1.0) * Value(2.0))._prev != ())


def test_one_no_grad_decorator_used_by_two_threads_at_once():
    barrier = threading.Barrier(2, timeout=DEADLOCK)

    @no_grad()
    def infer(order):
        barrier.wait()  # both inside the same decorator's no_grad()
        if order == "second":
            barrier.wait()  # the first call has returned
        return (Tensor([1.0], requires_grad=True) * 2).requires_grad, is_grad_enabled()

    results = {}

    def call(order):
        results[order] = infer(order)
        if order == "first":
            barrier.wait()

    threads = [threading.Thread(target=call, args=(order,)) for order in ("first", "second")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(DEADLOCK)
    assert results == {"first": (False, False), "second": (False, False)}
    assert is_grad_enabled()


def test_a_new_thread_starts_with_grad_enabled():
    with no_grad():
        assert not is_grad_enabled()
        in_thread = run_in_thread(lambda: (is_grad_enabled(), (Value(1.0) * Value(2.0)).requires_grad))
        assert not is_grad_enabled()
    assert in_thread == (True, True)


def test_threads_training_at_once_share_the_cached_row_numbers_and_ones_safely():
    """Cross-entropy and Linear's bias gradient read vectors cached per size and dtype (functional.ones,
    functional.arange, an lru_cache of 256): threads filling and evicting it at once (300 batch sizes,
    float32 and float64) get the gradients of a run alone, which match torch float64."""
    sizes = list(range(1, 301))
    data = np.random.default_rng(5).normal(size=(300, 4))
    classes = np.arange(300) % 3

    def gradients(dtype, order):
        model = nn.MLP(4, [5], 3, seed=0, dtype=dtype)
        result = []
        for n in order:
            model.zero_grad()
            F.cross_entropy(model(data[:n]), classes[:n]).backward()
            result.append([p.grad.copy() for p in model.parameters()])
        return model, result

    jobs = [(np.float32, sizes), (np.float64, sizes[::-1]), (np.float32, sizes[::-1]), (np.float64, sizes)]
    alone = [gradients(dtype, order)[1] for dtype, order in jobs]
    together = [None] * len(jobs)
    start = threading.Barrier(len(jobs), timeout=DEADLOCK)

    def run(index):
        start.wait()
        together[index] = gradients(*jobs[index])[1]

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(jobs))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(DEADLOCK)
    for ours, reference in zip(together, alone, strict=True):
        assert ours is not None, "a thread failed"
        for got, expected in zip(ours, reference, strict=True):
            for a, b in zip(got, expected, strict=True):
                assert np.array_equal(a, b)
    # and the gradients themselves are torch float64's (the largest batch, float64)
    model, (ours,) = gradients(np.float64, [300])
    w0, b0, w1, b1 = (torch.tensor(p.data, requires_grad=True) for p in model.parameters())
    logits = torch.relu(torch.tensor(data) @ w0 + b0) @ w1 + b1
    torch.nn.functional.cross_entropy(logits, torch.tensor(classes)).backward()
    for got, expected in zip(ours, (w0, b0, w1, b1), strict=True):
        np.testing.assert_allclose(got, expected.grad.numpy(), rtol=1e-10, atol=1e-12)
