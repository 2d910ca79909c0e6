"""The `scratchgrad` command: train, evaluate and explain models without writing code.

    scratchgrad demo [digits|iris|spiral|regression|toy]
    scratchgrad train DATA.csv --target COLUMN [options]
    scratchgrad predict RUN DATA.csv [--proba] [--id COLUMN] [--out FILE]
    scratchgrad evaluate RUN DATA.csv
    scratchgrad graph "tanh(a*b + c)" --values a=2 b=-3 c=10 [--out graph.svg]
    scratchgrad export RUN --onnx model.onnx

Exit codes: 0 success, 2 a usage error, 1 any other failure (one line on stderr; --debug
shows the traceback). A run folder appears only once training has succeeded.
"""

from __future__ import annotations

import argparse
import os
import shlex
import sys
import warnings

import numpy as np

from ._version import __version__
from .console import PipeSafeOutput, note, print_report, say
from .demos import DEMOS, command_demo, train_toy  # noqa: F401  (train_toy: the toy's training, for tests)
from .runs import RunError, TrainSettings, check_output_folder, load_run, run_name, train_table, write_run

MIN_OPSET, MAX_OPSET = 13, 25  # the ONNX opsets the export is tested to load in onnxruntime


# ---- train, predict, evaluate ----


def read_table_for(args):
    from .tables.reading import read_csv

    frame = read_csv(args.data, delimiter=args.delimiter, encoding=args.encoding)
    csv_format = frame.attrs["csv_format"]
    say(f"reading {args.data} ({csv_format.describe()}): {len(frame)} rows, {len(frame.columns)} columns")
    return frame


def train_command_line(args, task):
    """The command that reproduces this run."""
    parts = ["scratchgrad train", shlex.quote(str(args.data)), "--target", shlex.quote(args.target), "--task", task]
    for option in ("features", "drop", "categorical"):
        if getattr(args, option):
            parts += [f"--{option}", *map(shlex.quote, getattr(args, option))]
    for option in ("delimiter", "encoding"):
        if getattr(args, option):
            parts += [f"--{option}", shlex.quote(getattr(args, option))]
    parts += ["--hidden", *map(str, args.hidden), "--activation", args.activation, "--epochs", str(args.epochs),
              "--batch-size", str(args.batch_size), "--lr", str(args.lr), "--optimizer", args.optimizer,
              "--test-split", str(args.test_split), "--validation-split", str(args.validation_split),
              "--patience", str(args.patience), "--seed", str(args.seed),
              "--early-stopping" if args.early_stopping else "--no-early-stopping"]
    if args.cv:
        parts += ["--cv", str(args.cv)]
    return " ".join(parts)


def command_train(args):
    from .tables.roles import infer_roles

    folder = check_output_folder(run_name("train", args.out))  # a path problem must not cost a training
    frame = read_table_for(args)
    roles = infer_roles(frame, args.target, task=args.task, features=args.features, drop=args.drop,
                        categorical=args.categorical, where=args.data)
    say("columns:")
    say(roles.summary(frame))
    settings = TrainSettings(hidden=args.hidden, activation=args.activation, epochs=args.epochs,
                             batch_size=args.batch_size, lr=args.lr, optimizer=args.optimizer,
                             test_split=args.test_split, validation_split=args.validation_split,
                             early_stopping=args.early_stopping, patience=args.patience, cv=args.cv, seed=args.seed,
                             verbose=args.verbose)
    say(f"training an MLP with hidden layers {' '.join(map(str, args.hidden))} to {roles.task} {args.target!r}")
    run = train_table(frame, roles, settings, log=say)
    rows = run.splits
    say(f"rows: {rows['train']} to train, {rows['validation']} to validate (early stopping), {rows['test']} to test"
        f"; trained {len(run.history.epoch)} epochs")
    print_report(run.report)
    say(f"writing {folder}")
    folder, notes = write_run(folder, run, train_command_line(args, roles.task), roles.summary(frame))
    if notes:
        say(notes)
    say(f"done: predict with `scratchgrad predict {folder} DATA.csv`")
    return 0


def command_predict(args):
    from .batch_predict import check_prediction_output, predict_csv, write_atomically

    if args.out:
        check_prediction_output(args.out, args.data, args.force)
    network, table_model = load_run(args.run)
    options = dict(proba=args.proba, id_column=args.id, chunk_rows=args.chunk_rows, delimiter=args.delimiter,
                   encoding=args.encoding, notice=note)
    if args.out:
        rows = write_atomically(args.out, lambda write: predict_csv(network, table_model, args.data, write, **options))
        say(f"wrote {rows} predictions to {args.out}")
    else:
        stdout = sys.stdout
        predict_csv(network, table_model, args.data, stdout.write, stopped=lambda: getattr(stdout, "broken", False),
                    **options)
        stdout.flush()
    return 0


def command_evaluate(args):
    from .runs import evaluation_report, predict_with
    from .tables.roles import as_numbers, target_labels

    network, table_model = load_run(args.run)
    frame = read_table_for(args)
    table_model.preprocessing.check_columns(frame.columns, args.data)
    if table_model.target not in frame.columns:
        raise RunError(f"{args.data}: no target column {table_model.target!r} to evaluate against")
    labelled = frame[frame[table_model.target].notna()]
    if len(labelled) < len(frame):
        say(f"{len(frame) - len(labelled)} row(s) without a target left out")
    if len(labelled) == 0:
        raise RunError(f"{args.data}: no row has a value in the target column {table_model.target!r}")
    if table_model.task == "regress":
        _, not_numbers = as_numbers(labelled[table_model.target])
        if not_numbers:
            raise RunError(f"{args.data}: {not_numbers} value(s) of the target {table_model.target!r} are not "
                           f"numbers; the model predicts amounts")
    y = target_labels(labelled[table_model.target], table_model.task).to_numpy()
    table_model.encode(y)  # an unseen label is an error now, not a wrong score
    report = evaluation_report(table_model.task, y, predict_with(network, table_model, labelled))
    report["evaluated_on"] = f"{len(labelled)} rows of {args.data}"
    print_report(report)
    return 0


# ---- graph, export ----


def command_graph(args):
    from .expression import build, parse_values
    from .viz import graph as drawing

    root, leaves = build(args.expression, parse_values(args.values), max_nodes=args.max_nodes)
    root.backward()
    say(f"{root.label} = {root.data:.6g}")
    for name, leaf in leaves.items():
        say(f"  d/d{name} = {leaf.grad:.6g}")
    path = drawing.save_graph(root, args.out, max_nodes=args.max_nodes, timeout=args.timeout)
    say(f"wrote {path}")
    return 0


def command_export(args):
    from .tables.onnx_export import export_table_onnx

    network, table_model = load_run(args.run)
    path, inputs = export_table_onnx(network, table_model, args.onnx, opset=args.opset)
    outputs = (f"'label' and 'probabilities' of {table_model.classes.tolist()}" if table_model.task == "classify"
               else f"'prediction' of {table_model.target}")
    say(f"wrote {path}: one input per column ({', '.join(inputs)}), outputs {outputs}")
    return 0


# ---- argument parsing ----

EXAMPLES = {
    "demo": "examples:\n  scratchgrad demo\n  scratchgrad demo spiral --out runs/spiral\n  scratchgrad demo toy",
    "train": "examples:\n  scratchgrad train iris.csv --target species\n"
             "  scratchgrad train customers.csv --target churn --drop surname --categorical zip --cv 5\n"
             "  scratchgrad train houses.csv --target price --task regress --hidden 64 32 --epochs 100",
    "predict": "examples:\n  scratchgrad predict runs/train-20261122-101500 new.csv\n"
               "  scratchgrad predict runs/churn new.csv --proba --id customer_id --out predictions.csv",
    "evaluate": "example:\n  scratchgrad evaluate runs/iris test.csv",
    "graph": "examples:\n  scratchgrad graph \"tanh(a*b + c)\" --values a=2 b=-3 c=10\n"
             "  scratchgrad graph \"sigmoid(w*x + b)**2\" --values w=0.5 x=3 b=-1 --out neuron.png",
    "export": "example:\n  scratchgrad export runs/iris --onnx iris.onnx",
}


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Examples kept as written, and every option's default shown (unless its help says it)."""

    def _get_help_string(self, action):
        text = action.help or ""
        if "default" in text or action.default is argparse.SUPPRESS or action.required or \
                action.option_strings == [] and action.nargs not in ("?", "*"):
            return text
        if isinstance(action, (argparse._StoreTrueAction, argparse._HelpAction, argparse._VersionAction)):
            return text
        default = action.default
        if isinstance(default, list):
            default = " ".join(map(str, default)) or "none"
        return f"{text} (default: {default})" if default is not None else f"{text} (default: none)"


def _number(text, kind, check):
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not {'an integer' if kind is int else 'a number'}") from None
    problem = check(value)
    if problem:
        raise argparse.ArgumentTypeError(f"{problem}, got {text}")
    return value


def positive_int(text):
    return _number(text, int, lambda v: v < 1 and "must be a positive integer")


def non_negative_int(text):
    return _number(text, int, lambda v: v < 0 and "must be an integer >= 0")


def positive_float(text):
    return _number(text, float, lambda v: not (0 < v < float("inf")) and "must be a positive number")


def fraction(text):
    return _number(text, float, lambda v: not 0 <= v < 1 and "must be in [0, 1)")


def folds(text):
    return _number(text, int, lambda v: v != 0 and v < 2 and "must be 0 (off) or at least 2")


def opset(text):
    return _number(text, int, lambda v: not MIN_OPSET <= v <= MAX_OPSET and
                   f"must be between {MIN_OPSET} and {MAX_OPSET} (the opsets onnxruntime loads for this model)")


def make_parser():
    parser = argparse.ArgumentParser(prog="scratchgrad", formatter_class=HelpFormatter,
                                     description="Neural networks from scratch: train, evaluate and explain.",
                                     epilog="examples:\n  scratchgrad demo\n  scratchgrad train data.csv --target "
                                            "label\n  scratchgrad graph \"tanh(a*b + c)\" --values a=2 b=-3 c=10")
    parser.add_argument("--version", action="version", version=f"scratchgrad {__version__}")
    parser.add_argument("--debug", action="store_true", help="show the full traceback on errors")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name, help_text):
        sub = commands.add_parser(name, help=help_text, description=help_text, epilog=EXAMPLES[name],
                                  formatter_class=HelpFormatter)
        sub.add_argument("--debug", action="store_true", help="show the full traceback on errors")
        return sub

    def reading_options(sub):
        sub.add_argument("--delimiter", help="field separator: a character, or tab, comma, semicolon, pipe "
                                             "(default: sniffed from the file)")
        sub.add_argument("--encoding", help="text encoding such as utf-8, latin-1, cp1252 (default: detected: "
                                            "a BOM, else UTF-8 if the file is valid UTF-8, else cp1252)")

    demo = command("demo", "train a model on a built-in dataset and write a run folder")
    demo.add_argument("dataset", nargs="?", default="digits", choices=DEMOS, help="which data")
    demo.add_argument("--out", help="run folder (default: runs/<dataset>-<time>)")
    demo.add_argument("--seed", type=non_negative_int, default=0, help="random seed")
    demo.add_argument("--quick", action="store_true", help="few epochs, for a smoke test")
    demo.add_argument("--verbose", type=int, default=1, choices=(0, 1, 2), help="0 quiet, 1 progress bars, 2 lines")

    train = command("train", "train an MLP on a CSV file and save everything predict needs")
    train.add_argument("data", help="CSV file with a header row")
    train.add_argument("--target", required=True, help="the column to predict")
    train.add_argument("--task", choices=("classify", "regress"), help="default: guessed from the target")
    train.add_argument("--features", nargs="+", metavar="COLUMN", help="use only these columns (default: all)")
    train.add_argument("--drop", nargs="+", metavar="COLUMN", default=[], help="leave these columns out")
    train.add_argument("--categorical", nargs="+", metavar="COLUMN", default=[],
                       help="treat these columns as categories even if they hold numbers")
    reading_options(train)
    train.add_argument("--hidden", type=positive_int, nargs="+", default=[64], help="hidden layer sizes")
    train.add_argument("--activation", default="relu", choices=("relu", "tanh", "sigmoid", "leaky_relu"),
                       help="hidden activation")
    train.add_argument("--epochs", type=positive_int, default=100, help="most passes over the training rows")
    train.add_argument("--batch-size", type=positive_int, default=32, help="rows per step")
    train.add_argument("--lr", type=positive_float, default=1e-3, help="learning rate")
    train.add_argument("--optimizer", choices=("adam", "sgd"), default="adam", help="optimizer")
    train.add_argument("--test-split", type=fraction, default=0.2,
                       help="share of rows held out to score the model, never seen in training (0: none)")
    train.add_argument("--validation-split", type=fraction, default=0.1,
                       help="share of the training rows held out for early stopping")
    train.add_argument("--early-stopping", action=argparse.BooleanOptionalAction, default=True,
                       help="stop when the validation loss stalls, keeping the best weights")
    train.add_argument("--patience", type=positive_int, default=10, help="epochs without improvement before stopping")
    train.add_argument("--cv", type=folds, default=0, metavar="K",
                       help="also run K-fold cross-validation on the training rows and report mean and spread "
                            "(0: off)")
    train.add_argument("--seed", type=non_negative_int, default=0, help="random seed (splits, weights, batches)")
    train.add_argument("--out", help="run folder to create (default: runs/train-<time>)")
    train.add_argument("--verbose", type=int, default=1, choices=(0, 1, 2), help="0 quiet, 1 progress bars, 2 lines")

    predict = command("predict", "predict with a trained run")
    predict.add_argument("run", help="run folder (or its model.safetensors)")
    predict.add_argument("data", help="CSV with the training features (other columns are ignored)")
    predict.add_argument("--proba", action="store_true", help="add class probabilities")
    predict.add_argument("--id", metavar="COLUMN", help="copy this column into the output (default: none)")
    predict.add_argument("--out", help="CSV file to write (default: standard output)")
    predict.add_argument("--force", action="store_true", help="replace --out if it exists (never the input)")
    predict.add_argument("--chunk-rows", type=positive_int, default=50_000,
                         help="rows read at a time: memory stays bounded for any file size")
    reading_options(predict)

    evaluate = command("evaluate", "score a trained run on a labelled CSV")
    evaluate.add_argument("run", help="run folder (or its model.safetensors)")
    evaluate.add_argument("data", help="CSV with the features and the target")
    reading_options(evaluate)

    graph = command("graph", "draw the computation graph of a formula, with gradients")
    graph.add_argument("expression", help="numbers, names, + - * / **, tanh exp log relu sigmoid leaky_relu")
    graph.add_argument("--values", nargs="*", default=[], metavar="NAME=NUMBER", help="the variables' values")
    graph.add_argument("--out", default="graph.svg", help="image to write (.svg, .png or .pdf)")
    graph.add_argument("--max-nodes", type=positive_int, default=200, help="refuse larger graphs")
    graph.add_argument("--timeout", type=positive_float, default=30.0, help="seconds Graphviz may take")

    export = command("export", "export a trained run (preprocessing and network) as ONNX")
    export.add_argument("run", help="run folder (or its model.safetensors)")
    export.add_argument("--onnx", required=True, help="file to write")
    export.add_argument("--opset", type=opset, default=17, help=f"ONNX opset, {MIN_OPSET} to {MAX_OPSET}")

    playground = commands.add_parser("playground", help="train networks live in the browser",
                                     description="Start the playground's local web server and open it in the browser.")
    playground.add_argument("--host", default="127.0.0.1", help="address to listen on (default: this machine only)")
    playground.add_argument("--port", type=int, default=0, help="port (default: a free one)")
    playground.add_argument("--no-browser", action="store_true", help="print the address, do not open a browser")
    parser.commands = commands.choices
    return parser


def command_playground(args):
    from .playground import serve  # the web stack is an optional extra: imported only here

    return serve(host=args.host, port=args.port, open_browser=not args.no_browser)


COMMANDS = {"demo": command_demo, "train": command_train, "predict": command_predict,
            "evaluate": command_evaluate, "graph": command_graph, "export": command_export,
            "playground": command_playground}


def check_usage(parser, args):
    """Option combinations that cannot work: usage errors (exit 2), found before reading any data."""
    parser = parser.commands[args.command]  # the message names the command
    if args.command == "train":
        if args.early_stopping and not args.validation_split:
            parser.error("--early-stopping needs a --validation-split above 0 (or --no-early-stopping)")
        if args.features and args.drop:
            overlap = set(args.features) & set(args.drop)
            if overlap:
                parser.error(f"columns both in --features and --drop: {sorted(overlap)}")


def error_text(error):
    """One line, in the user's terms."""
    from .errors import MissingDependencyError

    if isinstance(error, ModuleNotFoundError) and not isinstance(error, MissingDependencyError):
        return f"{error.name} is not installed; the command needs the extras: pip install 'scratchgrad[all]'"
    if isinstance(error, OSError) and error.filename and error.strerror:
        return f"{error.filename}: {error.strerror.lower()}"
    text = str(error) or type(error).__name__
    return " ".join(text.split())


def main(argv=None):
    parser = make_parser()
    args = parser.parse_args(argv)  # usage errors exit with code 2, as argparse does
    if args.command is None:  # bare `scratchgrad`: what can it do?
        parser.print_help()
        return 0
    check_usage(parser, args)
    debug = args.debug or bool(os.environ.get("SCRATCHGRAD_DEBUG"))
    standard_output = sys.stdout
    sys.stdout = PipeSafeOutput(standard_output)
    try:
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            if not debug:  # other libraries' warnings speak their terms; our messages say what matters
                warnings.simplefilter("ignore")
            return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        print(f"scratchgrad {args.command}: interrupted", file=sys.stderr)
        return 1
    except Exception as error:  # one line for the user; the traceback on request
        if debug:
            raise
        print(f"scratchgrad {args.command}: error: {error_text(error)}", file=sys.stderr)
        return 1
    finally:
        sys.stdout.flush()
        sys.stdout = standard_output


if __name__ == "__main__":
    sys.exit(main())
