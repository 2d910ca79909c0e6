"""Finite-difference gradient checks: does `backward()` agree with the slope?

The tutorials' check (seed 004) made general: nudge each input by `eps` both ways,
measure the change of the output, and compare with the gradient from `backward()`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from . import graph
from .tensor import Tensor
from .value import Value


@dataclass
class Mismatch:
    input: str          # the input's label, or its position: "inputs[2]"
    analytic: float     # from backward()
    numeric: float      # from central differences

    def __str__(self):
        return (f"{self.input}: backward gives {self.analytic:.10g}, "
                f"finite differences {self.numeric:.10g}")


@dataclass
class GradcheckReport:
    mismatches: list = field(default_factory=list)
    checked: int = 0

    @property
    def ok(self) -> bool:
        return not self.mismatches

    def __bool__(self):
        return self.ok

    def __str__(self):
        if self.ok:
            return f"gradcheck passed: {self.checked} partial derivatives agree"
        lines = [f"gradcheck failed for {len(self.mismatches)} of {self.checked}:"]
        return "\n".join(lines + [f"  {m}" for m in self.mismatches])


def gradcheck(f, inputs, eps=1e-6, atol=1e-5, rtol=1e-4) -> GradcheckReport:
    """Compare `f(*inputs).backward()` with central differences `(f(x+eps) - f(x-eps)) / 2eps`.

    `inputs` are Values, or Tensors (use float64: float32 is too coarse for differences);
    `f` returns a scalar of the same engine. Each number disagrees when
    `|analytic - numeric| > atol + rtol * |numeric|`. The inputs' data are restored and
    their gradients left as `backward()` set them.
    """
    inputs = list(inputs)
    if not inputs:
        raise ValueError("gradcheck needs at least one input")
    for i, x in enumerate(inputs):
        if not isinstance(x, (Value, Tensor)):
            raise TypeError(
                f"gradcheck inputs must be Values or Tensors, inputs[{i}] is {type(x).__name__}"
            )
    if eps <= 0:
        raise ValueError(f"eps must be positive, got {eps}")

    for x in inputs:
        x.grad = 0.0 if isinstance(x, Value) else None
    out = f(*inputs)
    if not isinstance(out, (Value, Tensor)):
        raise TypeError(f"gradcheck's f must return a Value or a Tensor, got {type(out).__name__}")
    out.backward()

    def output():
        return float(f(*inputs).data)

    report = GradcheckReport()
    with graph.no_grad():
        for i, x in enumerate(inputs):
            name = x.label or f"inputs[{i}]"
            if isinstance(x, Value):
                slots = [(name, None)]
            else:
                slots = [(f"{name}[{', '.join(map(str, index))}]", index)
                         for index in np.ndindex(x.shape)]
            for slot_name, index in slots:
                analytic = x.grad if index is None else (
                    0.0 if x.grad is None else float(x.grad[index]))
                numeric = _central_difference(x, index, eps, output)
                report.checked += 1
                if not abs(analytic - numeric) <= atol + rtol * abs(numeric):
                    report.mismatches.append(Mismatch(slot_name, analytic, numeric))
    return report


def _central_difference(x, index, eps, output):
    if index is None:  # a Value
        original = x.data
        x.data = original + eps
        up = output()
        x.data = original - eps
        down = output()
        x.data = original
    else:
        original = x.data[index].copy()
        x.data[index] = original + eps
        up = output()
        x.data[index] = original - eps
        down = output()
        x.data[index] = original
    return (up - down) / (2 * eps)
