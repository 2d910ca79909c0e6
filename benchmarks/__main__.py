"""Run every benchmark and write benchmarks/RESULTS.md.

    pip install -e ".[bench]" && python -m benchmarks [--quick]

Each benchmark runs its libraries side by side in this one process and prints medians
and ratios; this collects their tables with the machine and the versions they ran on.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import platform
import sys
import time
from importlib import metadata
from pathlib import Path

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # see tensor_engine.py; set before torch loads

from benchmarks import estimators, matrix_products, playground, scalar_engine, tabular, tensor_engine, training  # noqa: E402

BENCHMARKS = [
    ("Scalar engine: one SGD step of MLP(4, [16, 16, 3]) on Iris, against micrograd and plain Python",
     scalar_engine, ["--repeats", "7"], ["--repeats", "2"]),
    ("Tensor engine: one SGD step, compiled and eager, against NumPy, JAX and PyTorch (one core each)",
     tensor_engine, ["--rounds", "21", "--sweep"], ["--rounds", "3"]),
    ("Matrix products: a Linear layer's three, through NumPy's BLAS (16- and 64-byte aligned) and XLA",
     matrix_products, ["--rounds", "15"], ["--rounds", "2"]),
    ("Training: digits, 20 epochs of Adam, against NumPy, JAX, PyTorch and scikit-learn", training,
     ["--repeats", "7"], ["--repeats", "1"]),
    ("Estimators: fit against scikit-learn's MLPClassifier / MLPRegressor at equal precision", estimators,
     ["--repeats", "3"], ["--repeats", "1"]),
    ("Tables: `scratchgrad train` defaults against scikit-learn", tabular, ["--seeds", "5"], ["--seeds", "1"]),
    ("Playground: frames per second and step latency", playground, ["--seconds", "5"], ["--quick"]),
]


def cpu_name():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def versions():
    names = ["scratchgrad", "numpy", "torch", "jax", "scikit-learn", "micrograd", "pandas", "starlette"]
    found = []
    for name in names:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return ", ".join([f"Python {platform.python_version()}"] + found)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="few repeats: a smoke test, not numbers to quote")
    parser.add_argument("--out", default=Path(__file__).parent / "RESULTS.md", type=Path)
    args = parser.parse_args(argv)
    sections = []
    for title, module, full, quick in BENCHMARKS:
        print(f"== {title}", flush=True)
        captured = io.StringIO()
        start = time.perf_counter()
        with contextlib.redirect_stdout(captured):
            module.main(quick if args.quick else full)
        print(captured.getvalue(), end="", flush=True)
        command = f"python -m benchmarks.{module.__name__.split('.')[-1]} {' '.join(quick if args.quick else full)}"
        sections.append(f"## {title}\n\n`{command}` ({time.perf_counter() - start:.0f} s)\n\n"
                        f"```\n{captured.getvalue().rstrip()}\n```\n")
    header = (f"# Benchmark results\n\nMade by `python -m benchmarks{' --quick' if args.quick else ''}` on "
              f"{time.strftime('%Y-%m-%d')}: {cpu_name()}, {os.cpu_count()} cores, {platform.system()}; "
              f"{versions()}.\nThe machine is shared: every figure is a median of alternating runs, and the ratios "
              f"are what to compare.\n\n")
    args.out.write_text(header + "\n".join(sections))
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
