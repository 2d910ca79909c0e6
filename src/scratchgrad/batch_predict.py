"""Predictions for a CSV file of any size: read in chunks, written as they come (memory bounded
by the chunk), to a file that appears whole at the end or to standard output.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from .runs import RunError, predict_with
from .tables.reading import read_csv_chunks, sniff_format


def check_prediction_output(out, data, force):
    """Refuse, before any work, an output that would overwrite the input, or any file without `force`."""
    out, data = Path(out), Path(data)
    if out.is_dir():
        raise RunError(f"--out {out} is a folder; give a file name such as {out / 'predictions.csv'}")
    if out.exists():
        if data.exists() and os.path.samefile(out, data):
            raise RunError(f"--out {out} is the input file; predictions never overwrite their data")
        if not force:
            raise RunError(f"{out} already exists; add --force to replace it")
    parent = out.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK | os.X_OK):
        raise RunError(f"cannot write {out}: {parent} is not a folder this user can write in")


def output_columns(table_model, proba, id_column):
    columns = [id_column] if id_column else []
    columns.append(f"predicted_{table_model.target}")
    if proba:
        columns += [f"p_{label}" for label in table_model.classes.tolist()]
    return columns


def predict_csv(network, table_model, data, write, proba=False, id_column=None, chunk_rows=50_000,
                delimiter=None, encoding=None, notice=print, stopped=lambda: False):
    """Predict every row of `data`, passing CSV text chunk by chunk to `write`; returns the row count.

    Columns the model does not use (and the target, if present) are ignored, saying so once;
    `id_column` is copied through; missing values are imputed as in training.
    """
    csv_format = sniff_format(data, delimiter, encoding)
    columns = csv_format.columns
    needed = table_model.preprocessing.columns
    table_model.preprocessing.check_columns(columns, data)
    if id_column is not None and id_column not in columns:
        raise RunError(f"{data}: no --id column {id_column!r}; the columns are {columns}")
    if proba and table_model.task != "classify":
        raise RunError("--proba needs a classification run; this one regresses " + repr(table_model.target))
    needed_set = set(needed)
    ignored = [name for name in columns if name not in needed_set and name != id_column]
    if ignored:
        target = [name for name in ignored if name == table_model.target]
        others = [name for name in ignored if name != table_model.target]
        said = (f"the target column {table_model.target!r}" if target else "") + (" and " if target and others else "")
        said += f"column(s) {', '.join(others)} (not used by the model)" if others else ""
        notice(f"ignoring {said}")
    usecols = [name for name in columns if name in needed_set or name == id_column]
    header = output_columns(table_model, proba, id_column)
    not_numbers, rows = {}, 0
    import pandas as pd

    for chunk in read_csv_chunks(data, chunk_rows, usecols=usecols, csv_format=csv_format):
        for name, count in table_model.preprocessing.unusable_counts(chunk).items():
            not_numbers[name] = not_numbers.get(name, 0) + count
        out = pd.DataFrame(index=chunk.index)
        if id_column:
            out[id_column] = chunk[id_column].to_numpy()
        out[header[len(out.columns)]] = predict_with(network, table_model, chunk)
        if proba:
            probabilities = predict_with(network, table_model, chunk, proba=True)
            for j, name in enumerate(header[-probabilities.shape[1]:]):
                out[name] = probabilities[:, j]
        write(out.to_csv(index=False, header=rows == 0, float_format="%.8g", lineterminator="\n"))
        rows += len(chunk)
        if stopped():
            return rows
    if rows == 0:
        write(",".join(header) + "\n")
    for name, count in not_numbers.items():
        notice(f"column {name!r}: {count} value(s) that are not numbers were imputed as missing")
    return rows


def write_atomically(path, produce):
    """Call `produce(write)` with a `write(text)` into a temporary file beside `path`, renamed to
    `path` at the end: an interrupted prediction leaves no half file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8", newline="") as handle:
            result = produce(handle.write)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return result

