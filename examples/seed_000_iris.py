"""Seed 000: a classifier for Iris on the scalar engine, then scikit-learn's and scratchgrad's.

    python examples/seed_000_iris.py [--quick] [--results results.json]

First the tutorial's own recipe, on `scratchgrad.micro`: its `Classifier([1])` is one
sigmoid neuron on the four raw measurements (weights uniform in (-1, 1), bias 0), the
classes 0, 1, 2 scaled to targets 0, 0.5, 1, the *sum* of squared errors over the 120
training flowers, plain gradient descent at learning rate 0.002 for 90 full-batch epochs,
a random (unstratified) 80/20 split, and a prediction counted right when round(2 * output)
is the class. The page printed 0.97 test accuracy from one split and one draw; here the
same recipe runs over several seeds (split and weights), median shown. Then scikit-learn's
LogisticRegression() and MLPClassifier() with their defaults on the same splits (the page:
1.00 each), and finally scratchgrad's MLPClassifier with its defaults (softmax outputs,
cross-entropy, Adam).
"""

import argparse
import json
import random
import statistics
import warnings

from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SklearnMLP

from scratchgrad import Value, datasets, no_grad
from scratchgrad.estimators import MLPClassifier
from scratchgrad.micro import MLP

QUOTED = {"seed's scalar neuron": "0.97", "LogisticRegression()": "1.00", "sklearn MLPClassifier()": "1.00"}


def tutorial_recipe(X_train, X_test, y_train, y_test, seed, epochs=90, learning_rate=0.002):
    random.seed(seed)
    model = MLP(4, [1], output_activation="sigmoid")  # Classifier([1]): a single sigmoid neuron
    for neuron in model.layers[0].neurons:
        neuron.b.data = 0.0  # the seed started its bias at 0
    inputs = X_train.tolist()  # plain numbers: the seed wrapped them in Values that need no gradient
    targets = [0.5 * label for label in y_train]  # "scaling labels to be between 0 and 1"
    for _ in range(epochs):
        predictions = [model(x) for x in inputs]
        loss = sum(((t - p) * (t - p) for t, p in zip(targets, predictions)), Value(0))
        model.zero_grad()
        loss.backward()
        with no_grad():
            for p in model.parameters():
                p -= learning_rate * p.grad
    correct = [round(2 * model(x).data) == label for x, label in zip(X_test.tolist(), y_test)]
    return sum(correct) / len(correct)


def fitted_score(model, X_train, X_test, y_train, y_test):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X_train, y_train)
    return model.score(X_test, y_test)


def main(quick=False):
    X, y = datasets.load_iris()
    seeds = range(3 if quick else 10)
    scores = {name: [] for name in [*QUOTED, "scratchgrad MLPClassifier()"]}
    for seed in seeds:
        split = train_test_split(X, y, test_size=0.2, random_state=seed)  # the seed's split: random, raw features
        scores["seed's scalar neuron"].append(tutorial_recipe(*split, seed=seed))
        scores["LogisticRegression()"].append(fitted_score(LogisticRegression(), *split))
        scores["sklearn MLPClassifier()"].append(fitted_score(SklearnMLP(random_state=seed), *split))
        scores["scratchgrad MLPClassifier()"].append(fitted_score(MLPClassifier(random_state=seed), *split))

    print(f"Test accuracy on Iris, the seed's random 80/20 split, {len(seeds)} seeds:")
    print(f"{'':30} {'quoted (1 split)':>16} {'measured: median':>17} {'range':>10}")
    for name, values in scores.items():
        if name == "scratchgrad MLPClassifier()":
            print("\nscratchgrad's defaults, same splits:")
        print(f"{name:30} {QUOTED.get(name, ''):>16} {statistics.median(values):17.2f} "
              f"{min(values):5.2f}-{max(values):.2f}")
    return {name: statistics.median(values) for name, values in scores.items()} | {
        "seed's scalar neuron min": min(scores["seed's scalar neuron"])}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer seeds, to check it runs")
    parser.add_argument("--results", help="write the headline numbers to this JSON file")
    args = parser.parse_args()
    results = main(args.quick)
    if args.results:
        with open(args.results, "w") as file:
            json.dump(results, file, indent=2)
