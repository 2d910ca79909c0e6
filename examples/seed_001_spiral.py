"""Seed 001: the spiral, a linear model against an MLP, Xavier init, dropout, overfitting.

    python examples/seed_001_spiral.py [--quick] [--out spiral-output] [--results results.json]

First the tutorial's own recipes, each on scratchgrad's tensor engine, on spirals of 3 x 500
points (the seed downloaded its spiral; here it is generated the same way, see
`datasets.make_spiral`), split 70/15/15 stratified and standardised as the seed did, every
model trained full-batch on the 1,050 training points:

- "linear": Linear(2, 100) then Linear(100, 3), nothing between, cross-entropy, Adam at
  0.01 for 10 epochs (the page: weighted test F1 0.49);
- "NumPy MLP": 2-100-3 with ReLU, weights 0.01 * randn and zero biases, plain gradient
  descent at learning rate 1 for 1,000 epochs (0.98);
- "PyTorch MLP": the same network with PyTorch's default init, Adam at 0.01, 100 epochs (0.97);
- overfitting: 150 random points with random labels, 2-302-3 with dropout 0.1, Adam at 0.1,
  500 epochs (training accuracy "~70%", test F1 0.17).

The page's figures come from one split and one draw; here each recipe runs over several
seeds, median shown. Then scratchgrad's own way (fit: mini-batches of 32, Adam at 0.01,
60 epochs, a validation set), with decision boundaries written as PNGs.
"""

import argparse
import json
import statistics
from pathlib import Path

import numpy as np
from sklearn.preprocessing import StandardScaler

from scratchgrad import Tensor, datasets, fit, metrics, nn, no_grad, optim
from scratchgrad import functional as F
from scratchgrad.viz import plot_decision_boundary

QUOTED_F1 = {"linear": "0.49", "NumPy MLP": "0.98", "PyTorch MLP": "0.97"}


def predict(model, X):
    model.eval()
    with no_grad():
        return model(Tensor(X)).data.argmax(axis=1)


def weighted_f1(model, X, y):
    return metrics.classification_report(y, predict(model, X))["overall"]["f1"]


def spiral_splits(seed):
    X, y = datasets.make_spiral(500, 3, random_state=seed)
    X_train, X_val, X_test, y_train, y_val, y_test = datasets.train_val_test_split(X, y, random_state=seed)
    scaler = StandardScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_val), scaler.transform(X_test), y_train, y_val, y_test


def train_full_batch(model, optimizer, X, y, epochs):
    """The seed's loop: all training points at once, forward, loss, zero_grad, backward, step."""
    model.train()
    X = Tensor(X)
    for _ in range(epochs):
        loss = F.cross_entropy(model(X), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    return model


def linear_model(seed):
    rng = np.random.default_rng(seed)
    return nn.Sequential(nn.Linear(2, 100, seed=rng), nn.Linear(100, 3, seed=rng))


def numpy_mlp(seed):
    rng = np.random.default_rng(seed)
    model = nn.MLP(2, [100], 3, seed=rng)
    for layer in model.modules():
        if isinstance(layer, nn.Linear):  # W = 0.01 * np.random.randn(...), b = np.zeros(...)
            layer.weight.data[...] = 0.01 * rng.standard_normal(layer.weight.shape)
            layer.bias.data[...] = 0.0
    return model


RECIPES = {  # name: (model, optimizer, epochs)
    "linear": (linear_model, lambda params: optim.Adam(params, lr=0.01), 10),
    "NumPy MLP": (numpy_mlp, lambda params: optim.SGD(params, lr=1.0), 1000),
    "PyTorch MLP": (lambda seed: nn.MLP(2, [100], 3, seed=seed), lambda params: optim.Adam(params, lr=0.01), 100),
}


def overfitting_recipe(seed):
    """150 random points, labels 0, 1, 2 in blocks of 50: nothing to learn but the points themselves."""
    rng = np.random.default_rng(seed)
    X, y = rng.random((150, 2)), np.repeat(np.arange(3), 50)
    X_train, X_val, X_test, y_train, y_val, y_test = datasets.train_val_test_split(X, y, random_state=seed)
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    model = nn.MLP(2, [2 * 50 * 3 + 2], 3, dropout=0.1, seed=seed)
    train_full_batch(model, optim.Adam(model.parameters(), lr=0.1), X_train, y_train, 500)
    return metrics.accuracy(y_train, predict(model, X_train)), weighted_f1(model, X_test, y_test)


def median_range(values):
    return f"{statistics.median(values):17.3f} {min(values):6.3f}-{max(values):.3f}"


def main(quick=False, out="spiral-output"):
    seeds = range(2 if quick else 5)
    print(f"The seed's recipes, full-batch, {len(seeds)} seeds: weighted test F1")
    print(f"{'':24} {'quoted (1 split)':>16} {'measured: median':>17} {'range':>12}")
    results = {}
    for name, (make_model, make_optimizer, epochs) in RECIPES.items():
        scores = []
        for seed in seeds:
            X_train, X_val, X_test, y_train, y_val, y_test = spiral_splits(seed)
            model = make_model(seed)
            train_full_batch(model, make_optimizer(model.parameters()), X_train, y_train, epochs)
            scores.append(weighted_f1(model, X_test, y_test))
        results[name] = statistics.median(scores)
        print(f"{name:24} {QUOTED_F1[name]:>16} {median_range(scores)}")
    overfit = [overfitting_recipe(seed) for seed in seeds]
    train_accuracy, test_f1 = [o[0] for o in overfit], [o[1] for o in overfit]
    print(f"{'random labels: train acc':24} {'~0.70':>16} {median_range(train_accuracy)}")
    print(f"{'random labels: test F1':24} {'0.17':>16} {median_range(test_f1)}")
    results |= {"overfit_train_accuracy": statistics.median(train_accuracy),
                "overfit_test_f1": statistics.median(test_f1)}

    # scratchgrad's way: fit() with mini-batches, a validation set, and the boundaries drawn
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    X_train, X_val, X_test, y_train, y_val, y_test = spiral_splits(0)
    models = {
        "MLP 2-100-3": nn.MLP(2, [100], 3, seed=0),
        "MLP, Xavier init": nn.MLP(2, [100], 3, init="xavier_normal", seed=0),
        "MLP, dropout 0.1": nn.MLP(2, [100], 3, dropout=0.1, seed=0),
    }
    print(f"\nscratchgrad's fit (batches of 32, Adam 0.01, {5 if quick else 60} epochs), seed 0: test F1")
    for name, model in models.items():
        fit(model, X_train, y_train, optimizer=optim.Adam(model.parameters(), lr=0.01), epochs=5 if quick else 60,
            batch_size=32, validation_data=(X_val, y_val), verbose=0, seed=0)
        results[f"fit {name}"] = weighted_f1(model, X_test, y_test)
        print(f"{name:24} {'':>16} {results[f'fit {name}']:17.3f}")
        plot_decision_boundary(model, X_test, y_test, title=f"{name}: test",
                               path=out / f"boundary_{name.replace(',', '').replace(' ', '_')}.png")
    plot_decision_boundary(models["MLP 2-100-3"], X_train, y_train, title="MLP 2-100-3: train",
                           path=out / "boundary_MLP_2-100-3_train.png")
    print(f"decision boundaries written to {out}/")
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer seeds and epochs, to check it runs")
    parser.add_argument("--out", default="spiral-output", help="folder for the PNGs")
    parser.add_argument("--results", help="write the headline numbers to this JSON file")
    args = parser.parse_args()
    results = main(args.quick, args.out)
    if args.results:
        with open(args.results, "w") as file:
            json.dump(results, file, indent=2)
