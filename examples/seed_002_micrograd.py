"""Seed 002: micrograd's MLP(3, [4, 4, 1]) on four points, by gradient descent on Values.

    python examples/seed_002_micrograd.py [--quick] [--results results.json]

First the tutorial's own recipe, word for word on `scratchgrad.micro`: MLP(3, [4, 4, 1]) with
tanh on every layer (the seed's MLP puts tanh on the output too), weights and biases
uniform in (-1, 1), the sum of squared errors over the four points, gradients reset, then
`p.data -= 0.05 * p.grad`, 100 steps. The page printed 6.0873 at step 0 and 0.0187 at step
30 (its output is cut at step 35; the seeds' index sums it up as "about 0.01 in 100
steps"), from one random draw. Here the same recipe runs over several seeds, median shown.
Only then, scratchgrad's choice on the same network and budget: Adam.
"""

import argparse
import json
import random
import statistics

from scratchgrad import optim
from scratchgrad.micro import MLP

QUOTED = {0: "6.0873", 30: "0.0187", 99: "about 0.01"}  # as printed on the page

xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
ys = [1.0, -1.0, -1.0, 1.0]


def train(seed, steps=100, make_optimizer=None):
    random.seed(seed)
    m = MLP(3, [4, 4, 1], activation="tanh", output_activation="tanh")
    optimizer = make_optimizer(m.parameters()) if make_optimizer else None
    losses = []
    for _ in range(steps):
        ypred = [m(x) for x in xs]
        loss = sum((yout - ygt) ** 2 for yout, ygt in zip(ypred, ys))
        for p in m.parameters():
            p.grad = 0.0
        loss.backward()
        if optimizer:
            optimizer.step()
        else:
            for p in m.parameters():
                p.data -= 0.05 * p.grad
        losses.append(loss.data)
    return losses


def first_below(losses, level=0.01):
    return next((step for step, loss in enumerate(losses) if loss < level), None)


def main(quick=False):
    seeds = range(5 if quick else 20)
    recipe = [train(seed) for seed in seeds]
    adam = [train(seed, make_optimizer=lambda params: optim.Adam(params, lr=0.05)) for seed in seeds]

    def median_at(runs, step):
        return statistics.median(run[step] for run in runs)

    print(f"The seed's recipe (gradient descent, lr 0.05, 100 steps), {len(seeds)} seeds:")
    print(f"{'':22} {'quoted (1 draw)':>16} {'measured: median':>17} {'range':>16}")
    for step in (0, 30, 99):
        values = [run[step] for run in recipe]
        print(f"{f'loss at step {step}':22} {QUOTED[step]:>16} {median_at(recipe, step):17.4f} "
              f"{min(values):7.4f}-{max(values):.4f}")
    reached = [first_below(run) for run in recipe]
    print(f"runs below 0.01 within 100 steps: {sum(r is not None for r in reached)} of {len(seeds)}")
    print("\nscratchgrad's choice, same network and 100 steps:")
    print(f"{'Adam, lr 0.05: step 99':22} {'':16} {median_at(adam, 99):17.4f}")
    return {"recipe_first": median_at(recipe, 0), "recipe_step_30": median_at(recipe, 30),
            "recipe_last": median_at(recipe, 99), "recipe_share_below_001": sum(r is not None for r in reached)
            / len(seeds), "adam_last": median_at(adam, 99)}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer seeds, to check it runs")
    parser.add_argument("--results", help="write the headline numbers to this JSON file")
    args = parser.parse_args()
    results = main(args.quick)
    if args.results:
        with open(args.results, "w") as file:
            json.dump(results, file, indent=2)
