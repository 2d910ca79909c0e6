"""What each column of a table is for: a numeric or categorical feature, skipped (an identifier,
a constant, free text, empty), or the target, with the task it implies.

The rules are written so that a user can predict them and override each one
(`features`, `drop`, `categorical`, `task`), and `summary()` says what was decided and why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from . import TableError
from .reading import pandas

ID_WORDS = re.compile(r"(^|[_\s.\-])(id|ids|uuid|guid|key|index|idx|row|rownum|number|no)$|^unnamed", re.I)
ID_CAMEL = re.compile(r"[a-z0-9](ID|Id)$")  # CustomerID, orderId; not "paid" or "valid"
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}([ T]\d{2}:\d{2}(:\d{2})?)?|^\d{1,2}/\d{1,2}/\d{2,4}$")
MOSTLY_NUMERIC = 0.95      # share of values that must read as numbers for a column to count as numeric
MAX_CATEGORIES = 50        # more distinct strings than this, in more than half the rows: free text
MAX_CLASSES_SHOWN = 6
MIN_ROWS = 5
MAX_INTEGER_CLASSES = 10  # an integer target with more distinct values is taken for a count or an amount


@dataclass
class ColumnRoles:
    target: str
    task: str
    numeric: list
    categorical: list
    skipped: dict = field(default_factory=dict)        # column -> why it is left out
    notes: list = field(default_factory=list)          # things the user should know, one line each
    rows_read: int = 0
    rows_without_target: int = 0
    classes: dict | None = None                        # class -> row count, for classification

    @property
    def features(self):
        return self.numeric + self.categorical

    def summary(self, frame=None):
        lines = []
        if self.task == "classify":
            counts = sorted(self.classes.items(), key=lambda item: -item[1])
            shown = ", ".join(f"{label} {count}" for label, count in counts[:MAX_CLASSES_SHOWN])
            more = f", ... {len(counts) - MAX_CLASSES_SHOWN} more" if len(counts) > MAX_CLASSES_SHOWN else ""
            lines.append(f"  target       {self.target}: classify, {len(counts)} classes ({shown}{more})")
        else:
            lines.append(f"  target       {self.target}: regress")
        lines.append(f"  numeric      {_names(self.numeric)}")
        categorical = [f"{name} ({frame[name].nunique()} values)" if frame is not None else name
                       for name in self.categorical]
        lines.append(f"  categorical  {_names(categorical)}")
        if self.skipped:
            skipped = [f"{name} ({why})" for name, why in self.skipped.items()]
            more = f"; ... ({len(skipped)} in all)" if len(skipped) > 12 else ""
            lines.append("  skipped      " + "; ".join(skipped[:12]) + more)
        dropped = (f"; {self.rows_without_target} without a target left out" if self.rows_without_target else "")
        lines.append(f"  rows         {self.rows_read} read{dropped}; {self.rows_read - self.rows_without_target} used")
        return "\n".join(lines + [f"  note         {note}" for note in self.notes])


def _names(names, shown=12):
    if not names:
        return "none"
    more = f", ... ({len(names)} in all)" if len(names) > shown else ""
    return ", ".join(names[:shown]) + more


def category_strings(column):
    """A column's values as the strings one-hot encoding compares: integral numbers without '.0',
    text stripped of spaces; missing values stay missing (NaN)."""
    pd = pandas()
    if pd.api.types.is_bool_dtype(column):
        return column.astype(object).where(column.notna(), np.nan).map(lambda v: v if v is np.nan else str(v))
    if pd.api.types.is_numeric_dtype(column):
        def text(value):
            if value != value:  # NaN
                return np.nan
            value = float(value)
            return str(int(value)) if value.is_integer() and abs(value) < 2**53 else repr(value)
        return column.map(text).astype(object)
    strings = column.astype(object).map(lambda v: v if v is None or v != v else str(v).strip())
    return strings.mask(strings.isna() | (strings == ""), np.nan).astype(object)


def as_numbers(column):
    """A column as floats (values that are not numbers become NaN), and how many were not numbers."""
    pd = pandas()
    if pd.api.types.is_bool_dtype(column):
        return column.astype(float), 0
    if pd.api.types.is_numeric_dtype(column):
        return column.astype(float), 0
    numbers = pd.to_numeric(column.astype(object).map(lambda v: v.strip() if isinstance(v, str) else v),
                            errors="coerce").astype(float)
    return numbers, int((numbers.isna() & column.notna()).sum())


def _named_like_an_id(name):
    return bool(ID_WORDS.search(name) or ID_CAMEL.search(name))


def _check_names(frame, names, option, where):
    unknown = [name for name in names if name not in frame.columns]
    if unknown:
        import difflib

        hints = [difflib.get_close_matches(name, list(map(str, frame.columns)), n=1) for name in unknown]
        said = ", ".join(f"{name!r}" + (f" (did you mean {hint[0]!r}?)" if hint else "")
                         for name, hint in zip(unknown, hints))
        raise TableError(f"{where}: {option} names no column {said}; the columns are {list(frame.columns)}")


def _is_integral(numbers):
    values = numbers.dropna().to_numpy()
    return len(values) > 0 and bool(np.all(np.isfinite(values)) and np.all(values == np.round(values)))


def _feature_role(name, column, forced_categorical, chosen):
    """('numeric' | 'categorical' | 'skip', reason or note). A `chosen` column (named in
    --features) is never skipped for looking like an ID or free text: the user asked for it."""
    present = column.dropna()
    if len(present) == 0:
        return "skip", "empty"
    try:
        distinct = present.nunique()
    except TypeError:  # unhashable values: lists or records (a polars List or Struct column)
        return "skip", "nested values (lists or records): not a feature"
    if distinct <= 1 and len(present) == len(column):
        value = present.iloc[0]
        return "skip", f"constant: {value.item() if hasattr(value, 'item') else value!r}"
    if forced_categorical:
        return "categorical", None
    numbers, not_numbers = as_numbers(column)
    readable = len(present) - not_numbers
    if readable and readable >= MOSTLY_NUMERIC * len(present):
        distinct = numbers.dropna()
        if _is_integral(numbers) and distinct.is_unique and len(distinct) > 2:
            ordered = np.sort(distinct.to_numpy())
            if not chosen and (_named_like_an_id(name) or (len(ordered) > 10 and np.all(np.diff(ordered) == 1))):
                return "skip", "ID-like: distinct integers" + (" named like an id" if _named_like_an_id(name)
                                                              else " counting rows")
        note = None
        if not_numbers:
            odd = sorted({str(v) for v, n in zip(column, numbers) if n != n and v == v})[:3]
            note = (f"{name}: {not_numbers} value(s) that are not numbers ({', '.join(map(repr, odd))}) "
                    f"are treated as missing")
        return "numeric", note
    strings = category_strings(column).dropna()
    if strings.str.match(DATE).mean() >= MOSTLY_NUMERIC:
        return "skip", "dates: not used as such; derive numbers from them (year, month, ...) to use them"
    distinct = strings.nunique()
    if chosen:
        return "categorical", None
    if distinct == len(strings) and len(strings) > 2:
        return "skip", "ID-like: every value distinct (an identifier, or free text)"
    if distinct > MAX_CATEGORIES and distinct > 0.5 * len(strings):
        return "skip", f"free text: {distinct} distinct values (--categorical {name} to keep it)"
    return "categorical", None


def _target_task(target, numbers, not_numbers, n_values, task, where):
    """The task for a target column, and a note when the choice was a judgement call."""
    integral = not_numbers == 0 and _is_integral(numbers)
    if task == "regress":
        if not_numbers:
            raise TableError(f"{where}: the target {target!r} has values that are not numbers, so it cannot be "
                             f"regressed; use --task classify")
        return task, None
    if task == "classify":
        if not_numbers == 0 and not integral and n_values > 20:
            return task, (f"the target {target!r} has {n_values} distinct non-integer values, each a class as "
                          f"asked; --task regress predicts amounts")
        return task, None
    if not_numbers:
        return "classify", None
    if not integral:
        return "regress", None
    n = len(numbers.dropna())
    if n_values <= 2:
        return "classify", None
    if n_values <= min(MAX_INTEGER_CLASSES, max(3, n // 10)):
        return "classify", (f"the target {target!r} holds {n_values} distinct integers: treated as classes "
                            f"(--task regress if they are counts or amounts)")
    return "regress", (f"the target {target!r} holds {n_values} distinct integers: treated as amounts "
                       f"(--task classify if they are labels)")


def infer_roles(frame, target, task=None, features=None, drop=(), categorical=(), where="the table"):
    """Decide each column's role; returns ColumnRoles. Raises TableError for what cannot work."""
    if task not in (None, "classify", "regress"):
        raise TableError(f"task must be 'classify' or 'regress', got {task!r}")
    if len(frame.columns) == 0:
        raise TableError(f"{where}: no columns")
    _check_names(frame, [target], "--target", where)
    _check_names(frame, list(features or ()), "--features", where)
    _check_names(frame, list(drop or ()), "--drop", where)
    _check_names(frame, list(categorical or ()), "--categorical", where)
    if target in (features or ()):
        raise TableError(f"{where}: the target {target!r} cannot also be a feature (--features)")
    if target in (categorical or ()):
        raise TableError(f"{where}: --categorical is for features; the target {target!r} is categorical with "
                         f"--task classify")

    rows_read = len(frame)
    target_column = frame[target]
    has_target = target_column.notna()
    rows_without_target = int((~has_target).sum())
    used = frame[has_target]
    if rows_read == 0:
        raise TableError(f"{where}: the file has a header but no data rows")
    if len(used) == 0:
        raise TableError(f"{where}: the target column {target!r} is empty in all {rows_read} rows")

    numbers, not_numbers = as_numbers(used[target])
    labels = category_strings(used[target]) if not_numbers else numbers
    n_values = labels.nunique()
    task, target_note = _target_task(target, numbers, not_numbers, n_values, task, where)
    roles = ColumnRoles(target=target, task=task, numeric=[], categorical=[], rows_read=rows_read,
                        rows_without_target=rows_without_target)
    if target_note:
        roles.notes.append(target_note)
    if task == "classify":
        if n_values < 2:
            rows = "its only row" if len(used) == 1 else f"all {len(used)} rows"
            raise TableError(f"{where}: the target {target!r} has a single value ({category_strings(labels).iloc[0]}) "
                             f"in {rows}; classification needs two classes or more (--task regress? another "
                             f"--target?)")
        counts = target_labels(used[target], "classify").value_counts()
        roles.classes = {str(label): int(count) for label, count in counts.items()}
        rare = [str(label) for label, count in counts.items() if count < 2]
        if rare:
            roles.notes.append(f"class(es) {', '.join(rare[:5])}{' ...' if len(rare) > 5 else ''} have a single row: "
                               f"kept for training, absent from the test and validation splits")
    elif n_values < 2:
        raise TableError(f"{where}: the target {target!r} has the same value in every row; there is nothing to "
                         f"predict")
    if len(used) < MIN_ROWS:
        raise TableError(f"{where}: {len(used)} row(s) with a target; training needs at least {MIN_ROWS}")

    candidates = list(features) if features else [name for name in frame.columns if name != target]
    dropped, forced, chosen = set(drop or ()), set(categorical or ()), set(features or ())
    candidates = [name for name in candidates if name not in dropped]
    for name in candidates:
        role, why = _feature_role(name, used[name], name in forced, name in chosen)
        if role == "skip":
            roles.skipped[name] = why
            continue
        (roles.numeric if role == "numeric" else roles.categorical).append(name)
        if why:
            roles.notes.append(why)
    if not roles.features:
        skipped = f" ({'; '.join(f'{n}: {w}' for n, w in roles.skipped.items())})" if roles.skipped else ""
        raise TableError(f"{where}: no feature columns left to learn from{skipped}; choose some with --features "
                         f"or --categorical")
    return roles


def target_labels(column, task):
    """The target as the model sees it: floats to regress; for classes, integers or strings."""
    numbers, not_numbers = as_numbers(column)
    if task == "regress":
        return numbers
    if not_numbers == 0 and _is_integral(numbers):
        return numbers.astype(np.int64)
    if not_numbers == 0:
        return numbers
    return category_strings(column)
