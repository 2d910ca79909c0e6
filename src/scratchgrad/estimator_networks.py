"""The network behind the estimators, on either engine: the same MLP as tensor layers
(`_TensorNetwork`, whole batches) or as `Value`s (`_ScalarNetwork`, one sample at a time, as
seed 000's Classifier trained), behind one small interface: parameters, coefficients and
intercepts in scikit-learn's layout, the loss of a batch, and the outputs.
"""

from __future__ import annotations

import numpy as np

from . import functional as F
from . import graph, nn
from .errors import InvalidParameterError
from .tensor import Tensor
from .value import Value


class _TensorNetwork:
    """The MLP as tensor layers; `loss` and `outputs` work on whole batches."""

    def __init__(self, weights, biases, activation, dropout, dtype, rng):
        sizes = [weights[0].shape[0]] + [w.shape[1] for w in weights]
        self.dtype = np.dtype(dtype)
        self.model = nn.MLP(sizes[0], sizes[1:-1], sizes[-1], activation=activation,
                            dropout=dropout, dtype=dtype, seed=rng)
        self.linears = [layer for layer in self.model if isinstance(layer, nn.Linear)]
        self.set_weights(weights, biases)

    def parameters(self):
        return self.model.parameters()

    def coefs(self):
        return [layer.weight.data.copy() for layer in self.linears]

    def intercepts(self):
        return [layer.bias.data.copy() for layer in self.linears]

    def set_weights(self, coefs, intercepts):
        for layer, w, b in zip(self.linears, coefs, intercepts):
            layer.weight.data[...] = w
            layer.bias.data[...] = b

    def weights(self):
        return [layer.weight for layer in self.linears]

    def loss(self, X, y, kind, sample_weight):
        """scikit-learn's loss of a batch: the (weighted) mean over samples of each sample's loss,
        which for squared error is half the squared error summed over the outputs."""
        out = self.model(Tensor(X, dtype=X.dtype))
        if sample_weight is None:  # the fused, unweighted means
            if kind == "softmax":
                return F.cross_entropy(out, y)
            if kind == "logistic":
                return F.binary_cross_entropy_with_logits(out, y)
            return F.mse_loss(out, y) * (0.5 * out.shape[1])
        if kind == "softmax":
            per_sample = F.cross_entropy(out, y, reduction="none")
        elif kind == "logistic":
            per_sample = F.binary_cross_entropy_with_logits(out, y, reduction="none").sum(axis=1)
        else:
            per_sample = F.mse_loss(out, y, reduction="none").sum(axis=1) * 0.5
        weight = sample_weight.astype(X.dtype, copy=False)
        return (per_sample * weight).sum() * (1.0 / float(weight.sum()))

    def outputs(self, X):
        self.model.eval()
        with graph.no_grad():
            out = self.model(Tensor(X, dtype=self.dtype)).data
        self.model.train()
        return out

    def evaluation_loss(self, X, y, kind, sample_weight):
        """The loss in eval mode (dropout off), building no graph."""
        self.model.eval()
        with graph.no_grad():
            value = float(self.loss(X, y, kind, sample_weight).data)
        self.model.train()
        return value


class _ScalarNetwork:
    """The same MLP built from `Value`s: one sample, one graph of scalars at a time."""

    def __init__(self, weights, biases, activation, dropout, dtype, rng):
        if dropout:
            raise InvalidParameterError("engine='scalar' does not support dropout; use engine='tensor'")
        sizes = [weights[0].shape[0]] + [w.shape[1] for w in weights]
        self.dtype = np.dtype(dtype)  # of the inputs; the Values themselves hold Python floats
        self.model = nn.ScalarMLP(sizes[0], sizes[1:], activation=activation, output_activation="linear",
                                  seed=0)
        self.set_weights(weights, biases)

    def parameters(self):
        return self.model.parameters()

    def coefs(self):
        return [np.array([[n.w[i].data for n in layer.neurons] for i in range(len(layer.neurons[0].w))])
                for layer in self.model.layers]

    def intercepts(self):
        return [np.array([n.b.data for n in layer.neurons]) for layer in self.model.layers]

    def set_weights(self, coefs, intercepts):
        for layer, w, b in zip(self.model.layers, coefs, intercepts):
            for j, neuron in enumerate(layer.neurons):
                for i, weight in enumerate(neuron.w):
                    weight.data = float(w[i, j])
                neuron.b.data = float(b[j])

    def weights(self):
        return [w for layer in self.model.layers for n in layer.neurons for w in n.w]

    def _row_outputs(self, row):
        out = self.model(row)
        return [out] if isinstance(out, Value) else out

    def _sample_loss(self, outputs, target, kind):
        if kind == "softmax":
            shift = max(o.data for o in outputs)  # log-sum-exp, shifted like the tensor engine
            return sum((o - shift).exp() for o in outputs).log() + shift - outputs[target]
        if kind == "logistic":
            loss = 0.0
            for o, t in zip(outputs, target):
                softplus = (1 + (-o).exp()).log() if o.data >= 0 else (1 + o.exp()).log() - o
                loss = loss + softplus + o * (1 - t)  # -log sigmoid(+-o)
            return loss
        return sum((o - t) ** 2 for o, t in zip(outputs, target)) * 0.5

    def loss(self, X, y, kind, sample_weight):
        weights = [1.0] * len(X) if sample_weight is None else [float(w) for w in sample_weight]
        total = 0.0
        for row, target, weight in zip(X.tolist(), y.tolist(), weights):
            total = total + self._sample_loss(self._row_outputs(row), target, kind) * weight
        return total * (1 / sum(weights))

    def outputs(self, X):
        with graph.no_grad():
            return np.array([[o.data for o in self._row_outputs(row)] for row in X.tolist()])

    def evaluation_loss(self, X, y, kind, sample_weight):
        with graph.no_grad():
            return float(self.loss(X, y, kind, sample_weight).data)


ENGINES = {"tensor": _TensorNetwork, "scalar": _ScalarNetwork}
