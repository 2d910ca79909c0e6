"""A compiled training step: record once, replay per batch.

The eager engine builds a graph for every batch, walks it backwards, and allocates every
intermediate array anew. For a network of the layer table's types (Linear, the activations,
Dropout) trained with one of the fused losses, all of that is the same from batch to batch:
only the numbers change. So `compile_step` *records* the step once per batch size, as a fixed
list of NumPy calls that write into arrays allocated at recording time (`out=`), and then
*replays* that list for every batch: no graph, no topological walk, no allocation.

    step = compile_step(model, "cross_entropy", optimizer)
    loss, outputs = step(X_batch, y_batch)     # forward, loss, backward, optimizer.step()

Each recorded operation does the eager operation's arithmetic in the eager order, so a
compiled run ends with bit-for-bit the weights of an eager one (tests/test_compile.py checks
it for every layer, loss and optimizer). Products of arrays in row order go through `np.dot`,
which makes the BLAS call of eager's `@` (the same bits) at less cost per call. Two forms are
chosen at recording, each only where a check on random numbers finds eager's bits: a Linear
may take its bias inside its products (`[x, 1] @ [W; b]`, see `_RecordedLinear`), and its
input gradient `g @ W.T` may run as a copy of g in column order times W.T, which OpenBLAS
does faster at a few dozen rows (timed). Anything the recording cannot take raises
`CompileError`, saying what, and `fit` then trains eagerly.
"""

from __future__ import annotations

import functools
import math
import operator
import time

import numpy as np

from .errors import ScratchgradError
from .functional import aligned_empty, flat_stretch, ones, row_starts
from .nn import layers as L
from .nn.table import layer_type
from .tensor import Tensor


class CompileError(ScratchgradError):
    """The model, loss or optimizer has something the compiled step cannot record."""


LOSSES = ("cross_entropy", "mse", "binary_cross_entropy")
_data = operator.attrgetter("data")


def compile_step(model, loss, optimizer, loss_scale=1.0, l2=0.0):
    """A `CompiledStep` for `model` trained on `loss` by `optimizer`, or CompileError saying why not.

    `loss_scale` multiplies the loss (scikit-learn halves the squared error); `l2` adds
    `l2 / batch_size * w` to the gradient of every Linear weight (not the biases), as the
    estimators' `alpha` does.
    """
    return CompiledStep(model, loss, optimizer, loss_scale, l2)


class CompiledStep:
    def __init__(self, model, loss, optimizer, loss_scale=1.0, l2=0.0):
        if loss not in LOSSES:
            raise CompileError(f"loss {loss!r} is not one of the fused losses {LOSSES}")
        self.layers = _leaf_layers(model)
        linears = [layer for layer in self.layers if isinstance(layer, L.Linear)]
        if not isinstance(self.layers[0], L.Linear):
            raise CompileError("the first layer is not Linear")
        self.dtype = linears[0].weight.data.dtype
        self.out_features = linears[-1].out_features
        parameters = [p for layer in linears for p in (layer.weight, layer.bias) if p is not None]
        if any(p.data.dtype != self.dtype for p in parameters):
            raise CompileError("the model mixes float32 and float64 parameters")
        if len({id(p) for p in parameters}) != len(parameters):
            raise CompileError("a layer is used twice")
        if not all(p.requires_grad for p in parameters):
            raise CompileError("a weight is frozen (requires_grad=False)")
        if {id(p) for p in optimizer.params} != {id(p) for p in parameters} or \
                len(optimizer.params) != len(parameters):
            raise CompileError("the optimizer does not train exactly the model's parameters")
        if not hasattr(optimizer, "_step_with_gradients"):
            raise CompileError(f"{type(optimizer).__name__} has no compiled update")
        self.model, self.loss, self.optimizer = model, loss, optimizer
        self.loss_scale, self.l2 = loss_scale, l2
        # the gradients live in one flat buffer, laid out in the optimizer's parameter order
        sizes = [p.data.size for p in optimizer.params]
        self.flat_gradient = aligned_empty(sum(sizes), self.dtype)  # every part written by the backward
        ends = np.cumsum(sizes)
        self.gradients = {id(p): self.flat_gradient[end - size:end].reshape(p.data.shape)
                          for p, size, end in zip(optimizer.params, sizes, ends)}
        self._gradient_list = [self.gradients[id(p)] for p in optimizer.params]
        self.check_targets = True  # False once the caller has checked every target up front
        self._plans = {}
        self._signature = _signature(model)

    def matches_model(self):
        """False if the model changed since recording (a layer added or replaced, a setting, train or
        eval on one layer, a weight frozen): then record anew. `fit` asks when callbacks could change it."""
        try:
            return _signature(self.model) == self._signature
        except CompileError:
            return False

    def __call__(self, X, y):
        """One training step on the batch `(X, y)`; returns `(loss value, outputs array)`.

        The outputs array is reused by the next call: copy it to keep it. A loss that is not finite
        (NaN or infinite) leaves the weights as they were, where an eager step would write NaN into them.
        """
        value, outputs = self.forward_loss(X, y)
        if math.isfinite(value):
            self.backward_and_update()
        return value, outputs

    def forward_loss(self, X, y):
        """The forward pass and the loss only (for a check before `backward_and_update`)."""
        X, y = self._as_arrays(X, y)
        self._current = self._plan(X)
        return self._current.forward(X, y), self._current.outputs

    def backward_and_update(self):
        self._current.backward()
        self.optimizer._step_with_gradients(self.flat_gradient, self._gradient_list)

    def _as_arrays(self, X, y):
        """Lists and Tensors as arrays. The plan's copy of X rounds an array to the model's dtype, as
        the eager Linear does; a Tensor of another dtype the eager model would multiply in its own."""
        if type(X) is not np.ndarray:
            if isinstance(X, Tensor) and X.data.dtype != self.dtype:
                raise ValueError(f"compiled step: X is a {X.data.dtype} Tensor for a {self.dtype} model (eager would "
                                 f"multiply in {X.data.dtype}): pass an array, or a {self.dtype} Tensor")
            X = np.asarray(X.data if isinstance(X, Tensor) else X)
        if X.dtype.kind not in "fiub":
            raise ValueError(f"compiled step: X must hold numbers, got dtype {X.dtype}")
        if type(y) is not np.ndarray:
            y = np.asarray(y.data if isinstance(y, Tensor) else y)
        return X, y

    def _plan(self, X):
        first = self.layers[0]
        if X.ndim != 2:
            raise ValueError(f"compiled step: X must be 2-D (samples, features), got shape {X.shape}")
        if X.shape[1] != first.in_features:  # Linear's own message
            raise ValueError(f"Linear({first.in_features} -> {first.out_features}) got input with "
                             f"{X.shape[1]} features (input shape {X.shape})")
        key = (len(X), self.model.training)
        plan = self._plans.get(key)
        if plan is None or not plan.still_valid():
            plan = self._plans[key] = _Plan(self, len(X))
        return plan


def _signature(model):
    """What a recording depends on, besides the weights' values: each layer, its settings and mode."""
    return tuple((id(layer), layer.training, tuple(layer.config().items()),
                  tuple(p.requires_grad for p in (getattr(layer, "weight", None), getattr(layer, "bias", None))
                        if p is not None))
                 for layer in _leaf_layers(model))


def _leaf_layers(module):
    row = layer_type(module)
    if row is None:
        raise CompileError(f"{type(module).__name__} is not a layer type it knows (see nn/table.py)")
    if row.container:
        return [leaf for layer in module.layers for leaf in _leaf_layers(layer)]
    if type(module) not in RECORDERS:
        raise CompileError(f"{row.name} layers are not recorded yet")
    return [module]


class _Plan:
    """The recorded step for one batch size: buffers, and the lists of calls that fill them."""

    def __init__(self, step, batch_size):
        self.step, dtype = step, step.dtype
        self.arrays = [p.data for p in step.optimizer.params]  # the arrays the recording reads
        recorders, width = [], step.layers[0].in_features
        for index, layer in enumerate(step.layers):
            recorders.append(RECORDERS[type(layer)](layer, (batch_size, width), dtype, step, first=index == 0))
            width = getattr(layer, "out_features", width)
        _choose_bias_inside(recorders)
        # each batch goes into `input`, with a column of ones after it when the first Linear takes them
        shape = batch_size, step.layers[0].in_features
        x_with_ones, x = _with_ones(shape, dtype) if recorders[0].fused else (None, aligned_empty(shape, dtype))
        self.input, self.forward_calls, self.backward_calls = x, [], []
        for recorder in recorders:
            recorder.x_with_ones = x_with_ones
            y = recorder.record_forward(x, self.forward_calls)
            x, x_with_ones = y, (getattr(recorder, "out_with_ones", None) if y is not x else x_with_ones)
        self.outputs = x
        self.loss = LOSS_RECORDERS[step.loss](x, dtype, step.loss_scale)
        self.loss.step = step
        g = self.loss.gradient
        for recorder in reversed(recorders):
            g = recorder.record_backward(g, self.backward_calls)

    def still_valid(self):
        """False when a parameter's array was replaced (its values are read from the arrays recorded)."""
        return all(map(operator.is_, map(_data, self.step.optimizer.params), self.arrays))

    def forward(self, X, y):
        np.copyto(self.input, X)  # rounded to the model's dtype, as the eager Linear converts its input
        _replay(self.forward_calls)
        return self.loss.forward(self.outputs, y)

    def backward(self):
        self.loss.backward()
        _replay(self.backward_calls)


_OUT_BY_KEYWORD = (np.maximum,)  # NumPy takes `out` last among the arguments, except for these


def _call(function, *args, out=None, **keywords):
    """One recorded call, `function(*args, out=out, **keywords)`, as (function, args) for the replay."""
    if out is not None and function in _OUT_BY_KEYWORD:
        keywords["out"] = out
    elif out is not None:
        args = (*args, out)
    return (functools.partial(function, **keywords) if keywords else function), args


def _product(a, b, out):
    """The recorded product `a @ b` into `out`: by np.dot when all three are in row order (C-contiguous),
    the BLAS call of `@` at 0.2-0.5 us less per call; by matmul otherwise, where np.dot is slower (1-3 us
    for `g @ W.T` with W of a few columns, a few percent of a deep step for `x.T @ g`) or refuses `out`."""
    row_order = a.flags.c_contiguous and b.flags.c_contiguous and out.flags.c_contiguous
    return _call(np.dot if row_order else np.matmul, a, b, out=out)


def _replay(calls):
    """Make the recorded calls, in order."""
    for call, args in calls:
        call(*args)


def _faster(calls, than, rounds=3):
    """Whether the recorded `calls` run faster than `than`: best of `rounds` alternating timings of
    ~0.1 ms each (well under a millisecond per layer at recording, unless one run takes longer)."""
    start = time.perf_counter()
    _replay(than)
    runs = max(1, int(1e-4 / max(time.perf_counter() - start, 1e-7)))
    best = [np.inf, np.inf]
    for _ in range(rounds):
        for key, listed in enumerate((calls, than)):
            start = time.perf_counter()
            for _ in range(runs):
                _replay(listed)
            best[key] = min(best[key], time.perf_counter() - start)
    return best[0] < best[1]


# ---- recorded layers: each does its eager counterpart's arithmetic, in the same order ----


def _choose_bias_inside(recorders):
    """Which Linears take their bias inside their products: those whose input can have a column of ones
    after it (the step's input; a ReLU's output, in place of such a Linear's), where that gives eager's bits."""
    linears = [i for i, recorder in enumerate(recorders) if type(recorder) is _RecordedLinear]
    chained = {i for i in linears if i - 2 in linears and type(recorders[i - 1]) is _RecordedReLU}
    for i in reversed(linears):  # the last first: an output has ones after it when the Linear after fuses
        recorder = recorders[i]
        recorder.ones_after = i + 2 in chained and recorders[i + 2].fused
        recorder.fused = (i == 0 or i in chained) and recorder.W_with_b is not None and \
            recorder.gW_with_gb is not None and _bias_inside_keeps_bits(len(recorder.ones), *recorder.W.shape,
                                                                        recorder.W.dtype, recorder.ones_after)
    for i in sorted(chained):  # ... along an unbroken chain from the input
        recorders[i].fused = recorders[i].fused and recorders[i - 2].fused
    for before, recorder in zip(recorders, recorders[1:]):
        recorder.in_place = type(recorder) is _RecordedReLU and type(before) is _RecordedLinear


def _with_ones(shape, dtype):
    """An empty (n, k) array with a column of ones after it: `(whole, view)`, whole the (n, k + 1) array."""
    whole = aligned_empty((shape[0], shape[1] + 1), dtype)
    whole[:, -1] = 1
    return whole, whole[:, :-1]


def _stacked(W, b):
    """`[W; b]`, an (in + 1, out) view, where b starts right after W's end in one flat buffer; else None."""
    stretch = None if b is None else flat_stretch([W, b])
    return None if stretch is None else stretch.reshape(W.shape[0] + 1, W.shape[1])


@functools.cache
def _bias_inside_keeps_bits(batch, rows, columns, dtype, ones_after):
    """Whether `[x, 1] @ [W; b]` gives eager's `x @ W + b` bit for bit, and `[x, 1].T @ g` eager's
    `x.T @ g` and `ones @ g`, at these sizes, on random numbers laid out as the plan lays them out.
    BLAS adds the ones column's term last in each sum at sizes it multiplies in one block (OpenBLAS
    does, in float32, up to a few hundred inputs); elsewhere the order differs. Only for outputs of 256
    numbers or more, no side 1, where a different rounding shows (as for `_input_gradient`)."""
    if min(batch, columns) == 1 or batch * columns < 256:
        return False
    x_with_ones, x = _with_ones((batch, rows), dtype)
    W_with_b, g = aligned_empty((rows + 1, columns), dtype), aligned_empty((batch, columns), dtype)
    for seed, a in enumerate((x, W_with_b, g)):
        a[...] = np.random.default_rng(seed).standard_normal(a.shape)
    x, W, b = np.ascontiguousarray(x), W_with_b[:-1], W_with_b[-1]  # eager's arrays
    out = _with_ones((batch, columns), dtype)[1] if ones_after else aligned_empty((batch, columns), dtype)
    gradients = aligned_empty((rows + 1, columns), dtype)
    _replay([_product(x_with_ones, W_with_b, out), _product(x_with_ones.T, g, gradients)])
    return out.tobytes() == (x @ W + b).tobytes() and \
        gradients.tobytes() == np.concatenate([x.T @ g, (ones(batch, dtype) @ g)[None]]).tobytes()


class _RecordedLinear:
    """`out = x @ W; out += b`; backward `gx = g @ W.T`, `gW = x.T @ g`, `gb = ones @ g` (column sums).

    The bias can ride inside the products, where that gives eager's bits (`_bias_inside_keeps_bits`):
    when x is followed in memory by a column of ones and b by nothing but W's end (the optimizer's flat
    buffer lays each layer out as W then b), `[x, 1] @ [W; b]` is `x @ W + b` in one product, and
    `[x, 1].T @ g` is `[x.T @ g; ones @ g]`: one call where there were two, 1-2 us less a layer."""

    def __init__(self, layer, shape, dtype, step, first):
        if shape[1] != layer.in_features:
            raise CompileError(f"Linear({layer.in_features} -> {layer.out_features}) gets {shape[1]} features")
        self.W, self.b = layer.weight.data, None if layer.bias is None else layer.bias.data
        self.gW = step.gradients[id(layer.weight)]
        self.gb = None if layer.bias is None else step.gradients[id(layer.bias)]
        self.W_with_b, self.gW_with_gb = _stacked(self.W, self.b), _stacked(self.gW, self.gb)
        self.ones = ones(shape[0], dtype)
        self.gx = None if first else aligned_empty(shape, dtype)
        self.l2 = step.l2 / shape[0] if step.l2 else 0.0
        self.l2_term = np.empty_like(self.W) if self.l2 else None
        self.weight, self.bias = layer.weight, layer.bias
        self.fused = self.ones_after = False  # set by the plan (_choose_bias_inside)

    def record_forward(self, x, calls):
        self.x, shape = x, (len(x), self.W.shape[1])
        self.out_with_ones, self.out = _with_ones(shape, x.dtype) if self.fused and self.ones_after else \
            (None, aligned_empty(shape, x.dtype))
        calls.append(_product(*((self.x_with_ones, self.W_with_b) if self.fused else (x, self.W)), self.out))
        if self.b is not None and not self.fused:
            calls.append(_call(np.add, self.out, self.b, out=self.out))
        return self.out

    def record_backward(self, g, calls):
        calls.append(_product(self.x_with_ones.T, g, self.gW_with_gb) if self.fused else _product(self.x.T, g, self.gW))
        if self.l2:  # the estimators' penalty: w.grad + (alpha / n) * w
            calls.append(_call(np.multiply, self.l2, self.W, out=self.l2_term))
            calls.append(_call(np.add, self.gW, self.l2_term, out=self.gW))
        calls.append((setattr, (self.weight, "grad", self.gW)))
        if self.gb is not None:
            if not self.fused:
                calls.append(_product(self.ones, g, self.gb))
            calls.append((setattr, (self.bias, "grad", self.gb)))
        if self.gx is not None:
            calls += self._input_gradient(g)
        return self.gx

    def _input_gradient(self, g):
        """`gx = g @ W.T` as eager computes it; or g first copied into column order, then `g @ W.T`, when
        that is faster here and gives eager's bits on random numbers. OpenBLAS's kernel for a transposed
        right-hand matrix is slow at a few dozen rows: 18 us for 32x128 by 128x128, where copying g
        takes 2 us and the product with g in column order 7. Only for a matrix of 1,024 numbers or more:
        then a different rounding cannot hide in the check (a column or a row goes to matrix-vector
        kernels, which round differently on most inputs, and a few numbers may agree by chance)."""
        eager = [_product(g, self.W.T, self.gx)]
        if min(self.gx.shape) == 1 or self.gx.size < 1024:
            return eager
        g_by_columns = aligned_empty(g.shape[::-1], g.dtype).T
        copied = [_call(np.copyto, g_by_columns, g), _product(g_by_columns, self.W.T, self.gx)]
        g[...] = np.random.default_rng(0).standard_normal(g.shape)  # g is not filled yet: free to use
        results = []
        for calls in (eager, copied):
            _replay(calls)
            results.append(self.gx.tobytes())
        return copied if results[0] == results[1] and _faster(copied, eager) else eager


class _RecordedActivation:
    def __init__(self, layer, shape, dtype, step, first):
        self.layer = layer
        self.out = np.empty(shape, dtype)
        self.gx = np.empty(shape, dtype)
        self.mask = np.empty(shape, bool)
        self.scratch = np.empty(shape, dtype)
        self.zero = np.zeros((), dtype)  # NumPy compares with a typed 0-d zero faster than with 0


class _RecordedReLU(_RecordedActivation):
    """After a Linear, in place of the Linear's output, which nothing else reads (fewer arrays for
    the cache to hold); its backward in place of the gradient it is given, read by no one else."""

    def record_forward(self, x, calls):
        self.y = x if self.in_place else self.out
        # in place on [x, 1] where x has a column of ones after it: contiguous (faster), and max(1, 0) is 1
        self.whole = self.x_with_ones if self.in_place and self.x_with_ones is not None else self.y
        calls.append(_call(np.maximum, self.whole if self.in_place else x, self.zero, out=self.whole))
        return self.y

    def record_backward(self, g, calls):  # g * (x > 0), and x > 0 exactly where max(x, 0) > 0
        mask = np.empty(self.whole.shape, bool)
        calls.append(_call(np.greater, self.whole, self.zero, out=mask))
        calls.append(_call(np.multiply, g, mask[:, :g.shape[1]], out=g))
        return g


class _RecordedLeakyReLU(_RecordedActivation):
    def record_forward(self, x, calls):  # where(x > 0, x, slope * x)
        calls.append(_call(np.greater, x, self.zero, out=self.mask))
        calls.append(_call(np.multiply, self.layer.negative_slope, x, out=self.out))
        calls.append(_call(np.copyto, self.out, x, where=self.mask))
        return self.out

    def record_backward(self, g, calls):  # where(x > 0, g, slope * g)
        calls.append(_call(np.multiply, self.layer.negative_slope, g, out=self.gx))
        calls.append(_call(np.copyto, self.gx, g, where=self.mask))
        return self.gx


class _RecordedTanh(_RecordedActivation):
    def record_forward(self, x, calls):
        calls.append(_call(np.tanh, x, out=self.out))
        return self.out

    def record_backward(self, g, calls):  # g * (1 - out * out)
        calls.append(_call(np.multiply, self.out, self.out, out=self.scratch))
        calls.append(_call(np.subtract, 1, self.scratch, out=self.scratch))
        calls.append(_call(np.multiply, g, self.scratch, out=self.gx))
        return self.gx


class _RecordedSigmoid(_RecordedActivation):
    def __init__(self, layer, shape, dtype, step, first):
        super().__init__(layer, shape, dtype, step, first)
        self.denominator = np.empty(shape, dtype)

    def record_forward(self, x, calls):  # e = exp(-|x|); where(x >= 0, 1 / (1 + e), e / (1 + e))
        e, denominator = self.scratch, self.denominator
        calls += [_call(np.abs, x, out=e), _call(np.negative, e, out=e), _call(np.exp, e, out=e),
                  _call(np.add, 1, e, out=denominator), _call(np.divide, e, denominator, out=self.out),
                  _call(np.greater_equal, x, 0, out=self.mask), _call(np.divide, 1, denominator, out=denominator),
                  _call(np.copyto, self.out, denominator, where=self.mask)]
        return self.out

    def record_backward(self, g, calls):  # g * out * (1 - out)
        calls += [_call(np.multiply, g, self.out, out=self.gx), _call(np.subtract, 1, self.out, out=self.scratch),
                  _call(np.multiply, self.gx, self.scratch, out=self.gx)]
        return self.gx


class _RecordedIdentity:
    def __init__(self, layer, shape, dtype, step, first):
        pass

    def record_forward(self, x, calls):
        return x

    def record_backward(self, g, calls):
        return g


class _RecordedDropout(_RecordedActivation):
    """Training: a fresh mask per batch, drawn from the layer's own generator as eager does."""

    def __init__(self, layer, shape, dtype, step, first):
        super().__init__(layer, shape, dtype, step, first)
        self.active = layer.training and layer.p > 0
        self.random = np.empty(shape, np.float64) if self.active else None

    def record_forward(self, x, calls):  # mask = (rng.random(shape) >= p).astype(dtype) / (1 - p); x * mask
        if not self.active:
            return x
        p, mask, scratch = self.layer.p, self.mask, self.scratch
        calls += [(self._draw, ()), _call(np.greater_equal, self.random, p, out=mask), _call(np.copyto, scratch, mask),
                  _call(np.divide, scratch, 1 - p, out=scratch), _call(np.multiply, x, scratch, out=self.out)]
        return self.out

    def _draw(self):  # from the layer's generator at each batch, as eager does (it may be replaced)
        self.layer.rng.random(out=self.random)

    def record_backward(self, g, calls):
        if not self.active:
            return g
        calls.append(_call(np.multiply, g, self.scratch, out=self.gx))
        return self.gx


RECORDERS = {L.Linear: _RecordedLinear, L.ReLU: _RecordedReLU, L.LeakyReLU: _RecordedLeakyReLU,
             L.Tanh: _RecordedTanh, L.Sigmoid: _RecordedSigmoid, L.Identity: _RecordedIdentity,
             L.Dropout: _RecordedDropout}


# ---- recorded losses (mean reduction), each as functional.py computes it ----


def _seed_gradient(dtype, loss_scale, scale):
    """d(loss)/d(loss) = 1, times `loss_scale` as a `* loss_scale` node would, times the mean's `scale`."""
    g = np.ones((), dtype)
    if loss_scale != 1.0:
        g = g * Tensor(loss_scale, dtype=dtype).data
    return g * scale


def _mean_value(losses, count, dtype, loss_scale):
    """The loss as eager's mean node makes it, a number: the sum over the count, times `loss_scale`.
    (add.reduce is sum() minus its wrapper; a NumPy number over a Python int keeps its dtype.)"""
    value = np.add.reduce(losses, axis=None) / count
    return float(value if loss_scale == 1.0 else value * Tensor(loss_scale, dtype=dtype).data)


_UNSIGNED = {np.dtype(o + k + n): np.dtype(o + "u" + n) for o in "<>" for k in "iu" for n in "1248"}  # same order


class _RecordedCrossEntropy:
    def __init__(self, z, dtype, loss_scale):
        shape = n, classes = z.shape
        self.n, self.classes, self.loss_scale = n, classes, loss_scale
        self.row_starts, self.at_targets = row_starts(n, classes), np.empty(n, np.intp)  # flat positions
        self.ones = ones(classes, dtype)
        self.best, self.at_best = np.empty(n, np.intp), np.empty(n, np.intp)
        # one number per row, each array also seen as an (n, 1) column that broadcasts over the classes
        self.shift_column, self.sums_column, self.log_sums_column = (np.empty(n, dtype) for _ in range(3))
        self.shift, self.sums, self.log_sums = (a[:, None] for a in (self.shift_column, self.sums_column,
                                                                     self.log_sums_column))
        self.shifted = np.empty(shape, dtype)
        self.exps = np.empty(shape, dtype)
        self.gradient = np.empty(shape, dtype)
        self.flat_gradient = self.gradient.reshape(-1)  # a view
        self.scale = np.reshape(_seed_gradient(dtype, loss_scale, 1.0 / n), (-1, 1))

    def forward(self, z, t):
        if self.step.check_targets:
            self._check(t)
        z.argmax(axis=1, out=self.best)  # row maxima, as functional.row_maxima finds them
        np.add(self.row_starts, self.best, out=self.at_best)
        z.take(self.at_best, out=self.shift_column)
        np.subtract(z, self.shift, out=self.shifted)
        np.exp(self.shifted, out=self.exps)
        np.dot(self.exps, self.ones, out=self.sums_column)  # row sums, as functional.row_sums
        np.log(self.sums, out=self.log_sums)
        np.add(self.row_starts, t, out=self.at_targets, casting="unsafe")  # (take is faster than [rows, t])
        losses = self.log_sums_column - self.shifted.take(self.at_targets)  # minus log softmax at the targets
        return _mean_value(losses, self.n, z.dtype, self.loss_scale)

    def _check(self, t):
        if t.ndim != 1 or t.dtype.kind not in "iu":
            raise CompileError("compiled cross_entropy takes class indices")
        if len(t) != self.n:
            raise ValueError(f"cross_entropy: {self.n} rows of logits but {len(t)} targets")
        unsigned = t.view(_UNSIGNED[t.dtype])  # a negative target becomes a huge number
        if unsigned[unsigned.argmax()] >= self.classes:  # (argmax costs NumPy a third of max)
            bad = t[(t < 0) | (t >= self.classes)][0]
            raise ValueError(f"cross_entropy: target class {bad} is outside [0, {self.classes})")

    def backward(self):  # (softmax - onehot) * scale
        np.divide(self.exps, self.sums, out=self.gradient)
        self.flat_gradient[self.at_targets] -= 1
        self.gradient *= self.scale
        return self.gradient


class _RecordedMSE:
    def __init__(self, p, dtype, loss_scale):
        shape = p.shape
        self.size, self.loss_scale = int(np.prod(shape)), loss_scale
        self.difference = np.empty(shape, dtype)
        self.squares = np.empty(shape, dtype)
        self.gradient = np.empty(shape, dtype)
        self.scale = _seed_gradient(dtype, loss_scale, 1.0 / self.size)

    def forward(self, p, y):
        y = y.astype(p.dtype, copy=False)  # rounded to the outputs' dtype first, as eager's targets are
        if y.shape != p.shape:
            raise ValueError(f"mse_loss: targets of shape {y.shape} for outputs of shape {p.shape}")
        np.subtract(p, y, out=self.difference)
        np.multiply(self.difference, self.difference, out=self.squares)
        return _mean_value(self.squares, self.size, p.dtype, self.loss_scale)

    def backward(self):  # 2 * difference * scale
        np.multiply(2, self.difference, out=self.gradient)
        return np.multiply(self.gradient, self.scale, out=self.gradient)


class _RecordedBinaryCrossEntropy:
    def __init__(self, x, dtype, loss_scale):
        shape = x.shape
        self.size, self.loss_scale = int(np.prod(shape)), loss_scale
        self.losses = np.empty(shape, dtype)
        self.scratch = np.empty(shape, dtype)
        self.sigmoid_calls = []
        self.probabilities = _RecordedSigmoid(None, shape, dtype, None, False).record_forward(x, self.sigmoid_calls)
        self.gradient = np.empty(shape, dtype)
        self.scale = _seed_gradient(dtype, loss_scale, 1.0 / self.size)

    def forward(self, x, y):
        # (max(x, 0) - x * y + log1p(exp(-|x|))) * 1.0, summed, over the size
        if y.shape != x.shape:
            raise ValueError(f"binary_cross_entropy_with_logits: targets of shape {y.shape} for outputs of "
                             f"shape {x.shape}")
        self.y = y = y.astype(x.dtype, copy=False)  # as for the squared error
        losses, scratch = self.losses, self.scratch
        np.maximum(x, 0, out=losses)
        np.multiply(x, y, out=scratch)
        np.subtract(losses, scratch, out=losses)
        np.abs(x, out=scratch)
        np.negative(scratch, out=scratch)
        np.exp(scratch, out=scratch)
        np.log1p(scratch, out=scratch)
        np.add(losses, scratch, out=losses)
        np.multiply(losses, 1.0, out=losses)
        _replay(self.sigmoid_calls)
        return _mean_value(losses, self.size, x.dtype, self.loss_scale)

    def backward(self):  # (sigmoid(x) - y) * 1.0 * scale
        np.subtract(self.probabilities, self.y, out=self.gradient)
        np.multiply(self.gradient, 1.0, out=self.gradient)
        return np.multiply(self.gradient, self.scale, out=self.gradient)


LOSS_RECORDERS = {"cross_entropy": _RecordedCrossEntropy, "mse": _RecordedMSE,
                  "binary_cross_entropy": _RecordedBinaryCrossEntropy}
