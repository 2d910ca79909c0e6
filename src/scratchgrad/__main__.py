"""`python -m scratchgrad`: train micrograd's toy network and watch the loss fall."""

from __future__ import annotations

import sys

from .datasets import toy_data
from .nn.scalar import MLP


def train_toy(steps=100, learning_rate=0.05, seed=0, log=print):
    """Seed 002: MLP(3, [4, 4, 1]) with tanh everywhere, squared error, gradient descent."""
    X, y = (a.tolist() for a in toy_data())
    model = MLP(3, [4, 4, 1], activation="tanh", output_activation="tanh", seed=seed)
    losses = []
    for step in range(steps):
        predictions = [model(x) for x in X]
        loss = sum((p - t) ** 2 for p, t in zip(predictions, y))
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        losses.append(loss.data)
        if log and (step < 5 or step % 10 == 9):
            log(f"step {step + 1:3d}  loss {loss.data:.6f}")
    return model, losses


def main(argv=None):
    print("Training MLP(3, [4, 4, 1]) on micrograd's four points (seed 002)")
    model, losses = train_toy()
    X, y = (a.tolist() for a in toy_data())
    print("targets:    ", " ".join(f"{t:+.3f}" for t in y))
    print("predictions:", " ".join(f"{model(x).data:+.3f}" for x in X))
    print(f"loss {losses[0]:.4f} -> {losses[-1]:.4f} in {len(losses)} steps")
    return 0


if __name__ == "__main__":
    sys.exit(main())
