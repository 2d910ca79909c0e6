"""Equal resources for every library: one thread each, and the process on one core.

Importing this sets the thread variables (before NumPy, PyTorch and JAX load them). On a
shared 2-core machine a multithreaded BLAS waits for a busy core at every call (steps 100x
slower, at random), and one thread is the fastest at these sizes anyway.

`pinned()` puts the process on one core while a measurement runs. Without it JAX is not
single-threaded whatever its flags say: its dispatch thread and XLA's own pool used 1.4 to
1.9 cores on the steps of tensor_engine.py (process time over wall time), NumPy 1.0. On one
core JAX is fastest with synchronous dispatch, so `jax_synchronous()` asks for it.
"""

from __future__ import annotations

import contextlib
import os

for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(variable, "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # PyTorch's idle threads must not spin
os.environ.setdefault("JAX_PLATFORMS", "cpu")
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false")


@contextlib.contextmanager
def pinned():
    """Run the block with every thread of the process on one core (Linux; elsewhere unchanged),
    then give the cores back. Threads started inside inherit the core; they get the cores back too."""
    if not hasattr(os, "sched_setaffinity"):
        yield
        return
    cores = os.sched_getaffinity(0)
    _set_every_thread({min(cores)})
    try:
        yield
    finally:
        _set_every_thread(cores)


def _set_every_thread(cores):
    """The affinity of each thread of this process (a process's affinity is its threads')."""
    try:
        threads = [int(thread) for thread in os.listdir("/proc/self/task")]
    except OSError:  # no /proc: this thread, and those it starts
        threads = [0]
    for thread in threads:
        try:
            os.sched_setaffinity(thread, cores)
        except OSError:  # it ended meanwhile
            pass


def jax_synchronous():
    """JAX computes each call before returning (no dispatch thread), its faster mode on one core."""
    import jax

    jax.config.update("jax_cpu_enable_async_dispatch", False)
