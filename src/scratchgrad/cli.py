"""The `scratchgrad` command: train, evaluate and explain models without writing code.

    scratchgrad demo [digits|iris|spiral|regression|toy]
    scratchgrad train DATA.csv --target COLUMN [options]
    scratchgrad predict RUN DATA.csv [--proba] [--out FILE]
    scratchgrad evaluate RUN DATA.csv
    scratchgrad graph "tanh(a*b + c)" --values a=2 b=-3 c=10 [--out graph.svg]
    scratchgrad export RUN --onnx model.onnx

Exit codes: 0 success, 2 a usage error, 1 any other failure (one line; --debug shows the
traceback). A run folder appears only once training has succeeded.
"""

from __future__ import annotations

import argparse
import csv
import io as text_io
import json
import os
import shlex
import sys
from pathlib import Path

import numpy as np

from ._version import __version__
from .runs import RunError, evaluation_report, load_run, predict_with, read_features, run_name, train_run, write_run

DEMOS = ("digits", "iris", "spiral", "regression", "toy")


def say(message):
    print(message, flush=True)


# ---- data preparation kept in the bundle ----


# ---- training a run ----


def print_report(report):
    if "class" in report:
        say(f"{'class':>14} {'precision':>9} {'recall':>7} {'f1':>7} {'samples':>8}")
        for label, row in list(report["class"].items()) + [("overall", report["overall"])]:
            say(f"{label[:14]:>14} {row['precision']:9.3f} {row['recall']:7.3f} {row['f1']:7.3f} "
                f"{row['num_samples']:8.0f}")
        say(f"accuracy {report['accuracy']:.4f}" + (f" on {report['evaluated_on']}" if "evaluated_on" in report
                                                      else ""))
    else:
        say("  ".join(f"{key} {value:.4f}" for key, value in report.items() if isinstance(value, float)
                      and key != "num_samples") + f"  ({int(report['num_samples'])} samples)")


# ---- the commands ----


def demo_data(name, quick, seed):
    from . import datasets

    if name == "digits":
        X, y = datasets.load_digits()
        names = [f"pixel_{i}" for i in range(64)]
        return X, y, names, "digit", "classify", dict(hidden=[128], epochs=5 if quick else 20, lr=1e-3)
    if name == "iris":
        X, y = datasets.load_iris()
        y = np.array(["setosa", "versicolor", "virginica"])[y]
        names = ["sepal_length", "sepal_width", "petal_length", "petal_width"]
        return X, y, names, "species", "classify", dict(hidden=[16], epochs=20 if quick else 100, lr=1e-2)
    if name == "spiral":
        X, y = datasets.make_spiral(500, 3, random_state=seed)
        y = np.array(["c1", "c2", "c3"])[y]
        return X, y, ["x1", "x2"], "arm", "classify", dict(hidden=[100], epochs=10 if quick else 60, lr=1e-2)
    X, y = datasets.make_seed_regression(1000, random_state=seed)
    return X, y, ["x", "y", "z"], "target", "regress", dict(hidden=[32, 32], epochs=10 if quick else 60, lr=3e-3)


def command_demo(args):
    if args.dataset == "toy":
        return demo_toy(args)
    from sklearn.model_selection import train_test_split

    say(f"reading the {args.dataset} data")
    X, y, names, target, task, settings = demo_data(args.dataset, args.quick, args.seed)
    X_train, X_test, y_train, y_test = train_test_split(
        X, y, test_size=0.2, random_state=args.seed, stratify=y if task == "classify" else None)
    say(f"training an MLP {X.shape[1]}-{'-'.join(map(str, settings['hidden']))}-"
        f"{len(set(y)) if task == 'classify' else 1} on {len(X_train)} samples for {settings['epochs']} epochs")
    model, prep, history, report, evaluation = train_run(
        X_train, y_train, names, target, task, settings["hidden"], "relu", settings["epochs"], 32, settings["lr"],
        "adam", 0.1, False, args.seed, verbose=args.verbose, X_test=X_test, y_test=y_test)
    print_report(report)
    folder = run_name(args.dataset, args.out)
    say(f"writing {folder}")
    plots_2d = (X_test, y_test) if X.shape[1] == 2 else None
    command = f"scratchgrad demo {args.dataset} --seed {args.seed}" + (" --quick" if args.quick else "")
    folder, notes = write_run(folder, model, prep, history, report, evaluation, command, plots_2d)
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

    say("training micrograd's MLP(3, [4, 4, 1]) on its four points (seed 002), on the scalar engine")
    model, losses = train_toy(steps=20 if args.quick else 100, seed=args.seed)
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

    folder = run_name("toy", args.out)
    say(f"writing {folder}")
    folder, notes = write_folder(folder, fill)
    if notes:
        say(notes)
    say(f"done: {folder} holds the model, metrics.json, history.csv and the loss curve")
    return 0


def command_train(args):
    from .datasets import CSVError, load_csv

    say(f"reading {args.data}")
    try:
        X, y, names = load_csv(args.data, target=args.target, task=args.task, return_feature_names=True)
    except CSVError as error:
        raise RunError(str(error)) from None
    task = args.task or ("classify" if y.dtype.kind in "iuUSO" and len(set(y.tolist())) <= max(20, len(y) // 20)
                         else "regress")
    if args.early_stopping and not args.validation_split:
        raise RunError("--early-stopping needs a --validation-split above 0")
    say(f"training an MLP {X.shape[1]}-{'-'.join(map(str, args.hidden))}-... to {task} {args.target!r} "
        f"on {len(X)} rows")
    model, prep, history, report, evaluation = train_run(
        X, y, names, args.target, task, args.hidden, args.activation, args.epochs, args.batch_size, args.lr,
        args.optimizer, args.validation_split, args.early_stopping, args.seed, verbose=args.verbose)
    print_report(report)
    folder = run_name("train", args.out)
    say(f"writing {folder}")
    command = " ".join(["scratchgrad train", shlex.quote(str(args.data)), "--target", shlex.quote(args.target),
                        "--task", task, "--hidden", *map(str, args.hidden), "--activation", args.activation,
                        "--epochs", str(args.epochs), "--batch-size", str(args.batch_size), "--lr", str(args.lr),
                        "--optimizer", args.optimizer, "--validation-split", str(args.validation_split),
                        "--seed", str(args.seed)] + (["--early-stopping"] if args.early_stopping else []))
    folder, notes = write_run(folder, model, prep, history, report, evaluation, command)
    if notes:
        say(notes)
    say(f"done: predict with `scratchgrad predict {folder} DATA.csv`")
    return 0


def command_predict(args):
    model, prep = load_run(args.run)
    X, _ = read_features(args.data, prep, need_target=False)
    if args.proba and prep.task != "classify":
        raise RunError("--proba needs a classification run")
    predictions = predict_with(model, prep, X)
    header = [f"predicted_{prep.target}"]
    rows = [[p] for p in predictions.tolist()]
    if args.proba:
        probabilities = predict_with(model, prep, X, proba=True)
        header += [f"p_{label}" for label in prep.classes.tolist()]
        rows = [row + [f"{p:.6f}" for p in probs] for row, probs in zip(rows, probabilities)]
    buffer = text_io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    if args.out:
        from .io import _atomic_write

        _atomic_write(Path(args.out), buffer.getvalue().encode())
        say(f"wrote {len(rows)} predictions to {args.out}")
    else:
        sys.stdout.write(buffer.getvalue())
    return 0


def command_evaluate(args):
    model, prep = load_run(args.run)
    X, y = read_features(args.data, prep, need_target=True)
    report = evaluation_report(prep, y, predict_with(model, prep, X))
    print_report(report)
    return 0


def command_graph(args):
    from .expression import build, parse_values
    from .viz import graph as drawing

    root, leaves = build(args.expression, parse_values(args.values))
    root.backward()
    say(f"{root.label} = {root.data:.6g}")
    for name, leaf in leaves.items():
        say(f"  d/d{name} = {leaf.grad:.6g}")
    try:
        path = drawing.save_graph(root, args.out)
    except RuntimeError as error:
        raise RunError(f"{error}") from None
    say(f"wrote {path}")
    return 0


def command_export(args):
    from .export import export_onnx

    model, prep = load_run(args.run)
    classify = prep.task == "classify"
    path = export_onnx(model, args.onnx, opset=args.opset, scaler={"mean": prep.mean, "scale": prep.scale},
                          output="probabilities" if classify else "raw",
                          target_scaler=None if classify else {"mean": [prep.y_mean], "scale": [prep.y_scale]})
    outputs = f"probabilities of {prep.classes.tolist()}" if classify else f"predicted {prep.target}"
    say(f"wrote {path}: input 'input' (raw {', '.join(prep.feature_names)}), output 'output' ({outputs})")
    return 0


# ---- argument parsing ----

EXAMPLES = {
    "demo": "examples:\n  scratchgrad demo\n  scratchgrad demo spiral --out runs/spiral\n  scratchgrad demo toy",
    "train": "examples:\n  scratchgrad train iris.csv --target species\n"
             "  scratchgrad train houses.csv --target price --task regress --hidden 64 32 --epochs 100",
    "predict": "examples:\n  scratchgrad predict runs/train-20261122-101500 new.csv\n"
               "  scratchgrad predict runs/iris new.csv --proba --out predictions.csv",
    "evaluate": "example:\n  scratchgrad evaluate runs/iris test.csv",
    "graph": "examples:\n  scratchgrad graph \"tanh(a*b + c)\" --values a=2 b=-3 c=10\n"
             "  scratchgrad graph \"sigmoid(w*x + b)**2\" --values w=0.5 x=3 b=-1 --out neuron.png",
    "export": "example:\n  scratchgrad export runs/iris --onnx iris.onnx",
}


def positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text}")
    return value


def positive_float(text):
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def fraction(text):
    value = float(text)
    if not 0 <= value < 1:
        raise argparse.ArgumentTypeError(f"must be in [0, 1), got {text}")
    return value


def make_parser():
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(prog="scratchgrad", formatter_class=formatter,
                                     description="Neural networks from scratch: train, evaluate and explain.",
                                     epilog="examples:\n  scratchgrad demo\n  scratchgrad train data.csv --target "
                                            "label\n  scratchgrad graph \"tanh(a*b + c)\" --values a=2 b=-3 c=10")
    parser.add_argument("--version", action="version", version=f"scratchgrad {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the full traceback on errors")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    def command(name, help_text):
        sub = commands.add_parser(name, help=help_text, description=help_text, epilog=EXAMPLES[name],
                                  formatter_class=formatter)
        sub.add_argument("--debug", action="store_true", help="show the full traceback on errors")
        return sub

    demo = command("demo", "train a model on a built-in dataset and write a run folder")
    demo.add_argument("dataset", nargs="?", default="digits", choices=DEMOS)
    demo.add_argument("--out", help="run folder (default: runs/<dataset>-<time>)")
    demo.add_argument("--seed", type=int, default=0)
    demo.add_argument("--quick", action="store_true", help="few epochs, for a smoke test")
    demo.add_argument("--verbose", type=int, default=1, choices=(0, 1, 2), help="0 quiet, 1 progress bars, 2 lines")

    train = command("train", "train an MLP on a CSV file and save everything predict needs")
    train.add_argument("data", help="CSV file with a header row")
    train.add_argument("--target", required=True, help="the column to predict")
    train.add_argument("--task", choices=("classify", "regress"), help="default: guessed from the target")
    train.add_argument("--hidden", type=positive_int, nargs="+", default=[64], help="hidden layer sizes")
    train.add_argument("--activation", default="relu", choices=("relu", "tanh", "sigmoid", "leaky_relu"))
    train.add_argument("--epochs", type=positive_int, default=50)
    train.add_argument("--batch-size", type=positive_int, default=32)
    train.add_argument("--lr", type=positive_float, default=1e-3)
    train.add_argument("--optimizer", choices=("adam", "sgd"), default="adam")
    train.add_argument("--validation-split", type=fraction, default=0.1)
    train.add_argument("--early-stopping", action="store_true", help="stop when validation loss stalls")
    train.add_argument("--seed", type=int, default=0)
    train.add_argument("--out", help="run folder (default: runs/train-<time>)")
    train.add_argument("--verbose", type=int, default=1, choices=(0, 1, 2))

    predict = command("predict", "predict with a trained run")
    predict.add_argument("run", help="run folder (or its model.safetensors)")
    predict.add_argument("data", help="CSV with the training features (the target column may be present)")
    predict.add_argument("--proba", action="store_true", help="add class probabilities")
    predict.add_argument("--out", help="CSV file to write (default: standard output)")

    evaluate = command("evaluate", "score a trained run on a labelled CSV")
    evaluate.add_argument("run")
    evaluate.add_argument("data")

    graph = command("graph", "draw the computation graph of a formula, with gradients")
    graph.add_argument("expression", help="numbers, names, + - * / **, tanh exp log relu sigmoid leaky_relu")
    graph.add_argument("--values", nargs="*", default=[], metavar="NAME=NUMBER")
    graph.add_argument("--out", default="graph.svg", help="image to write (.svg, .png or .pdf)")

    export = command("export", "export a trained run as ONNX")
    export.add_argument("run")
    export.add_argument("--onnx", required=True, help="file to write")
    export.add_argument("--opset", type=int, default=17)

    playground = commands.add_parser("playground", help="train networks live in the browser",
                                     description="Start the playground's local web server and open it in the browser.")
    playground.add_argument("--host", default="127.0.0.1", help="address to listen on (default: this machine only)")
    playground.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    playground.add_argument("--no-browser", action="store_true", help="print the address, do not open a browser")
    return parser


def command_playground(args):
    from .playground import serve  # the web stack is an optional extra: imported only here

    return serve(host=args.host, port=args.port, open_browser=not args.no_browser)


COMMANDS = {"demo": command_demo, "train": command_train, "predict": command_predict,
            "evaluate": command_evaluate, "graph": command_graph, "export": command_export,
            "playground": command_playground}


def main(argv=None):
    parser = make_parser()
    args = parser.parse_args(argv)  # usage errors exit with code 2, as argparse does
    try:
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        print("scratchgrad: interrupted", file=sys.stderr)
        return 1
    except Exception as error:  # one line for the user; the traceback on request
        if args.debug or os.environ.get("SCRATCHGRAD_DEBUG"):
            raise
        if isinstance(error, ModuleNotFoundError):  # the app uses the optional libraries
            error = f"{error.name} is not installed; the command needs the extras: pip install 'scratchgrad[all]'"
        print(f"scratchgrad {args.command}: error: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
