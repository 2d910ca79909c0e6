"""The three matrix products of a Linear layer's step, through NumPy's BLAS and through XLA.

    pip install -e ".[bench]" && python -m benchmarks.matrix_products [--rounds 15]

A training step of a Linear layer makes three products: the forward `x @ W`, the input's
gradient `g @ W.T` and the weight's gradient `x.T @ g`. They do the same arithmetic, but
BLAS libraries have a kernel per transposition, and at small sizes these differ in speed.
This prints each product's time through NumPy (one thread, float32, into a preallocated
array) with its arrays 16 bytes past a 64-byte boundary (NumPy aligns its arrays to 16 bytes) and on
64-byte boundaries (as scratchgrad's compiled step and its optimizer's flat buffer allocate them), and, for the two
products that can be chained, XLA's time per product inside one `jax.jit` program of 100
chained products on one core (no dispatch per product: the way a compiled step runs them).
It is what the README's "How fast" means by "OpenBLAS is slow for a product whose right-hand
matrix is transposed". Times are medians over rounds that take turns.
"""

from __future__ import annotations

from benchmarks import one_core  # first: one thread each, set before NumPy loads

# isort: split
import argparse
import statistics
import timeit

import numpy as np  # noqa: E402

from scratchgrad.functional import aligned_empty  # noqa: E402

SHAPES = [(32, 128, 128), (32, 64, 128), (32, 128, 10), (256, 512, 512)]  # batch, inputs, outputs


def products(batch, inputs, outputs, aligned, rng):
    """The three products as functions of no arguments, writing into preallocated arrays."""
    def array(shape):  # on a 64-byte boundary, or 16 bytes past one (where NumPy's own arrays may start)
        size = int(np.prod(shape))
        out = aligned_empty(size + 4, np.float32)[(0 if aligned else 4):][:size].reshape(shape)
        out[...] = rng.standard_normal(shape)
        return out

    x, W, g = array((batch, inputs)), array((inputs, outputs)), array((batch, outputs))
    out, gx, gW = array((batch, outputs)), array((batch, inputs)), array((inputs, outputs))
    return {"x @ W": lambda: np.matmul(x, W, out=out), "g @ W.T": lambda: np.matmul(g, W.T, out=gx),
            "x.T @ g": lambda: np.matmul(x.T, g, out=gW)}


def jax_products(batch, inputs, outputs, rng, chain=100):
    """XLA's time per product: one jitted program of `chain` products, each on the last's result."""
    import jax
    import jax.numpy as jnp

    one_core.jax_synchronous()
    if inputs != outputs:
        return {}
    x = jnp.asarray(rng.standard_normal((batch, inputs)).astype(np.float32))
    W = jnp.asarray((rng.standard_normal((inputs, outputs)) / np.sqrt(inputs)).astype(np.float32))
    forward = jax.jit(lambda x, W: jax.lax.fori_loop(0, chain, lambda i, x: x @ W, x))
    backward = jax.jit(lambda g, W: jax.lax.fori_loop(0, chain, lambda i, g: g @ W.T, g))
    calls = {"x @ W": lambda: forward(x, W), "g @ W.T": lambda: backward(x, W)}
    for call in calls.values():
        jax.block_until_ready(call())  # compiled here, not in the rounds
    return {name: (lambda call=call: jax.block_until_ready(call()), chain) for name, call in calls.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args(argv)
    try:
        import jax  # noqa: F401
        with_jax = True
    except ImportError:
        print("(jax: not installed, left out; pip install -e '.[bench]')")
        with_jax = False
    print("microseconds per product, float32, one thread (median over rounds)")
    header = f"{'batch x in -> out':>18} {'product':>8} {'16-byte':>8} {'64-byte':>8}"
    print(header + (f" {'XLA':>8}" if with_jax else ""))
    rng = np.random.default_rng(0)
    with one_core.pinned():
        for shape in SHAPES:
            calls = {("NumPy", name): (call, 1) for name, call in products(*shape, False, rng).items()}
            calls.update({("aligned", name): (call, 1) for name, call in products(*shape, True, rng).items()})
            if with_jax:
                calls.update({("XLA", name): call for name, call in jax_products(*shape, rng).items()})
            number = max(10, int(2e8 / np.prod(shape)))  # a few milliseconds per timing
            times = {key: [] for key in calls}
            for _ in range(args.rounds):
                for key, (call, products_per_call) in calls.items():
                    times[key].append(timeit.timeit(call, number=number) / number / products_per_call * 1e6)
            for name in ("x @ W", "g @ W.T", "x.T @ g"):
                cells = " ".join(f"{statistics.median(times[kind, name]):8.1f}" if (kind, name) in times
                                 else f"{'':8}" for kind in ("NumPy", "aligned", "XLA")[:3 if with_jax else 2])
                label = "{} x {} -> {}".format(*shape)
                print(f"{label:>18} {name:>8} {cells}")

if __name__ == "__main__":
    main()
