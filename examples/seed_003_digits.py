"""Seed 003: digits with a sigmoid hidden layer, softmax output, mini-batch SGD, 1/t decay.

    python examples/seed_003_digits.py [--quick]

The seed's from-scratch network (64 sigmoid units, softmax, batch 10, learning rate
eta0 / (1 + decay * t)) took 287 s for 94% test accuracy; Keras took 39 s for 96.7%.
The softmax + cross-entropy gradient is `softmax - onehot`, never a Jacobian: here it is
one fused node of the engine (functional.cross_entropy).
"""

import argparse
import time
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SklearnMLP
from sklearn.preprocessing import StandardScaler

from scratchgrad import Tensor, datasets, fit, nn, no_grad, optim
from scratchgrad.train import LearningRateScheduler


def main(quick=False):
    X, y = datasets.load_digits()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, stratify=y, random_state=0)
    scaler = StandardScaler().fit(X_train)
    X_train, X_test = scaler.transform(X_train), scaler.transform(X_test)
    epochs = 3 if quick else 30

    start = time.perf_counter()
    model = nn.MLP(64, [64], 10, activation="sigmoid", seed=0)  # softmax lives in the loss
    fit(model, X_train, y_train, optimizer=optim.SGD(model.parameters(), lr=0.3), epochs=epochs, batch_size=10,
        callbacks=[LearningRateScheduler(optim.inverse_time_decay(0.3, 0.1))], verbose=0, seed=0)
    seconds = time.perf_counter() - start
    model.eval()
    with no_grad():
        accuracy = float(np.mean(model(Tensor(X_test)).data.argmax(axis=1) == y_test))

    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reference = SklearnMLP(hidden_layer_sizes=(64,), activation="logistic", solver="sgd", batch_size=10,
                               learning_rate_init=0.3, learning_rate="invscaling", power_t=0.5, momentum=0,
                               max_iter=epochs, random_state=0).fit(X_train, y_train)
    sklearn_seconds = time.perf_counter() - start
    print(f"{'':28} {'test accuracy':>13} {'seconds':>8}")
    print(f"{'seed 003 from scratch':28} {0.94:13.3f} {287:8.1f}")
    print(f"{'seed 003 Keras':28} {0.967:13.3f} {39:8.1f}")
    print(f"{'scratchgrad':28} {accuracy:13.3f} {seconds:8.2f}")
    print(f"{'scikit-learn MLPClassifier':28} {reference.score(X_test, y_test):13.3f} {sklearn_seconds:8.2f}")
    return accuracy, seconds


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    main(parser.parse_args().quick)
