"""Seed 004: derivatives by finite differences, then an MLP regression on Values.

    python examples/seed_004_regression.py [--quick] [--results results.json]

First the tutorial's own recipe, on `scratchgrad.micro`: MLP(3, [8, 8, 1]) (tanh hidden
layers, linear output, weights and biases uniform in (-1, 1)) on 100 points of
0.04x² + 0.07xy − z + noise (x, y, z uniform in [-5, 5], noise sd 0.2), mean squared error
over all 100 points, plain gradient descent at learning rate 0.01, 50 epochs. The page
printed the MSE before each update: 17.08 at the first epoch, 0.64 at the fiftieth, from
one random draw; here the same recipe runs over several seeds and the median is shown.
Only then, scratchgrad's better choice on the same data and budget: Adam.
"""

import argparse
import json
import random
import statistics

from scratchgrad import Value, datasets, gradcheck, no_grad, optim
from scratchgrad.micro import MLP

QUOTED = {"first MSE": 17.08, "MSE after 50 epochs": 0.64}


def train(seed, epochs=50, make_optimizer=None):
    """The seed's loop: predict every point, mean squared error, backward, step, zero the gradients."""
    X, y = datasets.make_seed_regression(100, noise=0.2, random_state=seed)
    X, y = X.tolist(), y.tolist()
    random.seed(seed)
    model = MLP(3, [8, 8, 1], activation="tanh")  # output layer linear, as the seed's
    optimizer = make_optimizer(model.parameters()) if make_optimizer else None
    losses = []
    for _ in range(epochs):
        loss = sum((model(x) - target) ** 2 for x, target in zip(X, y)) * (1 / len(y))
        losses.append(loss.data)  # printed before the update, as the seed printed it
        model.zero_grad()
        loss.backward()
        if optimizer:
            optimizer.step()
        else:
            with no_grad():
                for p in model.parameters():
                    p -= 0.01 * p.grad
    return losses


def summary(values):
    return f"{statistics.median(values):6.2f} (range {min(values):.2f}-{max(values):.2f})"


def main(quick=False):
    x = Value(3.0, label="x")
    report = gradcheck(lambda v: 3 * v**2 - 4 * v + 5, [x])
    print(f"f(x) = 3x² - 4x + 5 at x = 3: backward gives {x.grad}, 6x - 4 = {6 * 3.0 - 4}; {report}")

    seeds = range(3 if quick else 10)
    recipe = [train(seed) for seed in seeds]
    adam = [train(seed, make_optimizer=lambda params: optim.Adam(params, lr=0.03)) for seed in seeds]
    first, last = [r[0] for r in recipe], [r[-1] for r in recipe]

    print(f"\nThe seed's recipe (gradient descent, lr 0.01, 50 epochs), {len(seeds)} seeds:")
    print(f"{'':28} {'quoted (1 draw)':>16} {'measured: median (range)':>30}")
    print(f"{'MSE at the first epoch':28} {QUOTED['first MSE']:16.2f} {summary(first):>30}")
    print(f"{'MSE at epoch 50':28} {QUOTED['MSE after 50 epochs']:16.2f} {summary(last):>30}")
    print("\nscratchgrad's choice, same data, network and 50 epochs:")
    print(f"{'Adam, lr 0.03: MSE at 50':28} {'':16} {summary([r[-1] for r in adam]):>30}")
    return {"recipe_first": statistics.median(first), "recipe_last": statistics.median(last),
            "recipe_last_min": min(last), "recipe_last_max": max(last),
            "adam_last": statistics.median(r[-1] for r in adam), "gradcheck_ok": report.ok}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer seeds, to check it runs")
    parser.add_argument("--results", help="write the headline numbers to this JSON file")
    args = parser.parse_args()
    results = main(args.quick)
    if args.results:
        with open(args.results, "w") as file:
            json.dump(results, file, indent=2)
