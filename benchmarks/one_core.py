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
    """Run the block on one core (Linux; elsewhere unchanged), then give the others back."""
    if not hasattr(os, "sched_setaffinity"):
        yield
        return
    cores = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(cores)})
    try:
        yield
    finally:
        os.sched_setaffinity(0, cores)


def jax_synchronous():
    """JAX computes each call before returning (no dispatch thread), its faster mode on one core."""
    import jax

    jax.config.update("jax_cpu_enable_async_dispatch", False)
