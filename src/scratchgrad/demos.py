"""`scratchgrad demo`: the tutorials' datasets through the same pipeline as `scratchgrad train`,
and micrograd's toy on the scalar engine."""

from __future__ import annotations

import json

import numpy as np

from .console import print_report, say
from .runs import TrainSettings, check_output_folder, run_name, train_table, write_run

DEMOS = ("digits", "iris", "spiral", "regression", "toy")


def demo_table(name, quick, seed):
    """A demo dataset as a DataFrame, its target column, and the training settings."""
    import pandas as pd

    from . import datasets

    if name == "digits":
        X, y = datasets.load_digits()
        names, target = [f"pixel_{i}" for i in range(64)], "digit"
        settings = dict(hidden=[128], epochs=5 if quick else 20, lr=1e-3)
    elif name == "iris":
        X, y = datasets.load_iris()
        y = np.array(["setosa", "versicolor", "virginica"])[y]
        names, target = ["sepal_length", "sepal_width", "petal_length", "petal_width"], "species"
        settings = dict(hidden=[16], epochs=20 if quick else 100, lr=1e-2)
    elif name == "spiral":
        X, y = datasets.make_spiral(500, 3, random_state=seed)
        y = np.array(["c1", "c2", "c3"])[y]
        names, target = ["x1", "x2"], "arm"
        settings = dict(hidden=[100], epochs=10 if quick else 60, lr=1e-2)
    else:
        X, y = datasets.make_seed_regression(1000, random_state=seed)
        names, target = ["x", "y", "z"], "target"
        settings = dict(hidden=[32, 32], epochs=10 if quick else 60, lr=3e-3)
    frame = pd.DataFrame(X, columns=names)
    frame[target] = y
    return frame, target, settings


def command_demo(args):
    if args.dataset == "toy":
        return demo_toy(args)
    from .tables.roles import infer_roles

    folder = check_output_folder(run_name(args.dataset, args.out))
    say(f"reading the {args.dataset} data")
    frame, target, chosen = demo_table(args.dataset, args.quick, args.seed)
    roles = infer_roles(frame, target, task="regress" if args.dataset == "regression" else "classify",
                        where=args.dataset)
    settings = TrainSettings(hidden=chosen["hidden"], epochs=chosen["epochs"], lr=chosen["lr"], seed=args.seed,
                             early_stopping=False, verbose=args.verbose)
    say(f"training an MLP on {args.dataset} for {settings.epochs} epochs")
    run = train_table(frame, roles, settings, log=say)
    print_report(run.report)
    say(f"writing {folder}")
    plots_2d = None
    if len(roles.features) == 2:
        plots_2d = (frame[roles.features], frame[target].to_numpy())
    command = f"scratchgrad demo {args.dataset} --seed {args.seed}" + (" --quick" if args.quick else "")
    folder, notes = write_run(folder, run, command, roles.summary(frame), plots_2d)
    if notes:
        say(notes)
    say(f"done: {folder} holds the model, metrics.json, history.csv and plots")
    return 0


def train_toy(steps=100, learning_rate=0.05, seed=0, log=print):
    """Seed 002: MLP(3, [4, 4, 1]) with tanh everywhere, squared error, gradient descent."""
    from .datasets import toy_data
    from .nn.scalar import MLP

    X, y = (a.tolist() for a in toy_data())
    model = MLP(3, [4, 4, 1], activation="tanh", output_activation="tanh", seed=seed)
    losses = []
    for step in range(steps):
        loss = sum((model(x) - t) ** 2 for x, t in zip(X, y))
        model.zero_grad()
        loss.backward()
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        losses.append(loss.data)
        if log and (step < 5 or step % 10 == 9):
            log(f"step {step + 1:3d}  loss {loss.data:.6f}")
    return model, losses


def demo_toy(args):
    from . import io
    from .datasets import toy_data
    from .runs import write_folder, write_history_csv
    from .train import History

    folder = check_output_folder(run_name("toy", args.out))
    say("training micrograd's MLP(3, [4, 4, 1]) on its four points (seed 002), on the scalar engine")
    model, losses = train_toy(steps=20 if args.quick else 100, seed=args.seed, log=say)
    X, y = toy_data()
    predictions = [model(x).data for x in X.tolist()]
    say("targets:     " + " ".join(f"{t:+.3f}" for t in y))
    say("predictions: " + " ".join(f"{p:+.3f}" for p in predictions))
    say(f"loss {losses[0]:.4f} -> {losses[-1]:.4f} in {len(losses)} steps")
    history = History()
    for step, loss in enumerate(losses):
        history.append(step, {"loss": loss})

    def fill(path):
        io.save(model, path / "model.safetensors", metadata={"task": "toy"})
        metrics = {"first_loss": losses[0], "last_loss": losses[-1], "steps": len(losses),
                   "targets": y.tolist(), "predictions": predictions}
        (path / "metrics.json").write_text(json.dumps(metrics, indent=2) + "\n")
        write_history_csv(path / "history.csv", history, first_column="step")
        (path / "command.txt").write_text(f"scratchgrad demo toy --seed {args.seed}"
                                          + (" --quick" if args.quick else "") + "\n")
        try:
            from .viz.plots import plot_history
            plot_history(history, path=path / "training_curves.png")
        except ImportError:
            return "plots skipped: pip install 'scratchgrad[viz]' for them"

    say(f"writing {folder}")
    folder, notes = write_folder(folder, fill)
    if notes:
        say(notes)
    say(f"done: {folder} holds the model, metrics.json, history.csv and the loss curve")
    return 0
