"""Splitting rows for honest numbers: a test split nothing in training sees, a validation split
for early stopping only, K folds for cross-validation.

Stratified for classification, class by class, so that each split keeps the class
proportions; a class with a single row stays on the training side (a model cannot learn a
class it never sees, and scikit-learn's stratified split refuses such data outright).
"""

from __future__ import annotations

import numpy as np

from . import TableError


def split_rows(y, fraction, stratify, seed, what="test"):
    """`(kept, held_out)` row indices, `fraction` of the rows held out (at least one)."""
    rng = np.random.default_rng(seed)
    n = len(y)
    if not 0 < fraction < 1:
        raise TableError(f"the {what} fraction must be in (0, 1), got {fraction}")
    if stratify:
        held = []
        labels, inverse = np.unique(np.asarray(y), return_inverse=True)
        for c in range(len(labels)):
            rows = rng.permutation(np.flatnonzero(inverse == c))
            if len(rows) < 2:
                continue
            take = min(len(rows) - 1, int(np.floor(fraction * len(rows) + rng.random())))
            held.extend(rows[:take].tolist())
        held = np.sort(np.array(held, dtype=np.int64))
    else:
        held = np.sort(rng.permutation(n)[:int(round(fraction * n))])
    if len(held) == 0 or len(held) == n:
        raise TableError(f"{n} row(s) are too few to hold out a {what} split of {fraction:g}"
                         + (" (use --test-split 0 to train on every row, without an honest score)"
                            if what == "test" else ""))
    kept = np.setdiff1d(np.arange(n), held)
    return kept, held


def folds(y, k, stratify, seed):
    """K `(train, test)` index pairs covering every row once as test (rare classes always train)."""
    n = len(y)
    if k < 2:
        raise TableError(f"cross-validation needs at least 2 folds, got {k}")
    if n < 2 * k:
        raise TableError(f"{n} rows are too few for {k}-fold cross-validation; use a smaller --cv")
    rng = np.random.default_rng(seed)
    assignment = np.empty(n, dtype=np.int64)
    if stratify:
        labels, inverse = np.unique(np.asarray(y), return_inverse=True)
        start = 0
        for c in range(len(labels)):
            rows = rng.permutation(np.flatnonzero(inverse == c))
            # deal rows to folds in turn, continuing where the last class stopped, so folds stay even
            assignment[rows] = (start + np.arange(len(rows))) % k
            start = (start + len(rows)) % k
            if len(rows) < 2:
                assignment[rows] = -1  # a lone row never leaves training
    else:
        assignment[rng.permutation(n)] = np.arange(n) % k
    return [(np.flatnonzero(assignment != i), np.flatnonzero(assignment == i)) for i in range(k)]
