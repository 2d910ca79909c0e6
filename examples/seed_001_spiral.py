"""Seed 001: the spiral, a linear model against an MLP, Xavier init, dropout, overfitting.

    python examples/seed_001_spiral.py [--quick] [--out spiral-output]

The seed (3 classes x 500 points, stratified 70/15/15, standardised) reported weighted
test F1 0.49 for a linear model, 0.98 for its NumPy MLP and 0.97 for its PyTorch MLP, and
showed an MLP memorising random labels. Decision boundaries are written as PNGs.
"""

import argparse
from pathlib import Path

from sklearn.preprocessing import StandardScaler

from scratchgrad import Tensor, datasets, fit, metrics, nn, no_grad, optim
from scratchgrad.viz import plot_decision_boundary


def predict(model, X):
    model.eval()
    with no_grad():
        return model(Tensor(X)).data.argmax(axis=1)


def train(model, X, y, epochs, lr=0.01, batch_size=32, **kwargs):
    fit(model, X, y, optimizer=optim.Adam(model.parameters(), lr=lr), epochs=epochs, batch_size=batch_size,
        verbose=0, seed=0, **kwargs)
    return model


def main(quick=False, out="spiral-output"):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    X, y = datasets.make_spiral(500, 3, random_state=0)
    X_train, X_val, X_test, y_train, y_val, y_test = datasets.train_val_test_split(X, y, random_state=0)
    scaler = StandardScaler().fit(X_train)
    X_train, X_val, X_test = (scaler.transform(a) for a in (X_train, X_val, X_test))
    epochs = 5 if quick else 60
    models = {
        "linear": nn.Linear(2, 3, seed=0),
        "MLP 2-100-3": nn.MLP(2, [100], 3, seed=0),
        "MLP, Xavier init": nn.MLP(2, [100], 3, init="xavier_normal", seed=0),
        "MLP, dropout 0.1": nn.MLP(2, [100], 3, dropout=0.1, seed=0),
    }
    seed_f1 = {"linear": "0.49", "MLP 2-100-3": "0.98 (NumPy) / 0.97 (PyTorch)"}
    print(f"{'model':18} {'test F1':>8} {'test accuracy':>14}   seed's F1")
    results = {}
    for name, model in models.items():
        train(model, X_train, y_train, epochs, validation_data=(X_val, y_val))
        report = metrics.classification_report(y_test, predict(model, X_test))
        results[name] = report["overall"]["f1"]
        print(f"{name:18} {results[name]:8.3f} {metrics.accuracy(y_test, predict(model, X_test)):14.3f}"
              f"   {seed_f1.get(name, '')}")
        plot_decision_boundary(model, X_test, y_test, title=f"{name}: test",
                               path=out / f"boundary_{name.replace(',', '').replace(' ', '_')}.png")

    # Overfitting, as the seed showed it: 150 points with random labels, 2*N*C + D = 302 hidden
    # units, Adam at 0.1 for 500 full-batch epochs. Nothing there to learn, yet training
    # accuracy climbs far above chance while test accuracy stays at it.
    X_noise, y_noise = datasets.make_noise(150, 2, 3, random_state=0)
    noise = datasets.train_val_test_split(X_noise, y_noise, random_state=0)
    big = train(nn.MLP(2, [302], 3, dropout=0.1, seed=0), noise[0], noise[3], 20 if quick else 500, lr=0.1,
                batch_size=len(noise[0]))
    train_accuracy = metrics.accuracy(noise[3], predict(big, noise[0]))
    test_accuracy = metrics.accuracy(noise[5], predict(big, noise[2]))
    print(f"random labels: train accuracy {train_accuracy:.3f}, test accuracy {test_accuracy:.3f} "
          f"(chance 0.333; the seed: train ~0.70, test poor): memorised, not learned")
    results["noise"] = (train_accuracy, test_accuracy)
    print(f"decision boundaries written to {out}/")
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a few epochs only, to check it runs")
    parser.add_argument("--out", default="spiral-output", help="folder for the PNGs")
    args = parser.parse_args()
    main(args.quick, args.out)
