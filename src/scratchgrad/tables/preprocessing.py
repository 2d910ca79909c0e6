"""From a table's columns to the numbers a network takes, and back from a model file.

Fitting uses scikit-learn's own pieces in a ColumnTransformer, on the training rows only:

    numeric      SimpleImputer(median, add_indicator) -> StandardScaler
    categorical  SimpleImputer(constant "(missing)") -> OneHotEncoder(handle_unknown="infrequent_if_exist")

What they learned (medians, which columns had missing values, means, scales, categories)
is then kept as plain data: JSON in the model file, never a pickle. `transform` recomputes
the same numbers from that data with NumPy, which is also what the ONNX export writes as a
graph, so training, `predict` and ONNX agree (the tests compare all three with scikit-learn).
"""

from __future__ import annotations

import numpy as np

from ..errors import MissingDependencyError
from . import TableError
from .reading import pandas
from .roles import as_numbers, category_strings

MISSING_CATEGORY = "(missing)"
OTHER_CATEGORY = "(other)"
MAX_CATEGORIES = 30  # per column; rarer ones share an "(other)" column, as do categories never seen


def numeric_block(frame, columns):
    """The numeric columns as float64, NaN where missing, not a number, or infinite."""
    if not columns:
        return np.empty((len(frame), 0))
    pd = pandas()
    part = frame[columns]
    if all(pd.api.types.is_numeric_dtype(dtype) for dtype in part.dtypes):  # the common case, in one go
        block = part.to_numpy(dtype=float, na_value=np.nan, copy=True)
    else:
        block = np.column_stack([as_numbers(part.iloc[:, j])[0].to_numpy(dtype=float) for j in range(len(columns))])
    block[~np.isfinite(block)] = np.nan
    return block


def categorical_block(frame, columns):
    """The categorical columns as strings (object array), missing ones as "(missing)"."""
    if not columns:
        return np.empty((len(frame), 0), dtype=object)
    return np.column_stack([category_strings(frame[name]).fillna(MISSING_CATEGORY).to_numpy(dtype=object)
                            for name in columns])


def sklearn_column_transformer(numeric, categorical):
    """The unfitted scikit-learn ColumnTransformer this module mirrors."""
    try:
        from sklearn.compose import ColumnTransformer
        from sklearn.impute import SimpleImputer
        from sklearn.pipeline import Pipeline
        from sklearn.preprocessing import OneHotEncoder, StandardScaler
    except ImportError:
        raise MissingDependencyError("preprocessing tables needs scikit-learn: pip install 'scratchgrad[tables]'") \
            from None
    parts = []
    if numeric:
        parts.append(("numeric", Pipeline([
            ("impute", SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True)),
            ("scale", StandardScaler())]), list(range(len(numeric)))))
    if categorical:
        parts.append(("categorical", Pipeline([
            ("impute", SimpleImputer(strategy="constant", fill_value=MISSING_CATEGORY)),
            ("onehot", OneHotEncoder(handle_unknown="infrequent_if_exist", max_categories=MAX_CATEGORIES,
                                     sparse_output=False))]),
            list(range(len(numeric), len(numeric) + len(categorical)))))
    return ColumnTransformer(parts, remainder="drop", sparse_threshold=0)


def raw_matrix(frame, numeric, categorical):
    """Numeric then categorical columns in one object array: what the ColumnTransformer is fitted on."""
    return np.concatenate([numeric_block(frame, numeric).astype(object), categorical_block(frame, categorical)],
                          axis=1)


class TablePreprocessing:
    """Imputation, indicators, scaling and one-hot encoding, as data (see the module's docstring)."""

    def __init__(self, numeric, median, indicator, mean, scale, categorical, categories, infrequent):
        self.numeric = list(numeric)
        self.median = np.asarray(median, dtype=float).reshape(-1)
        self.indicator = list(indicator)                 # numeric columns with a missing-value indicator
        self.mean = np.asarray(mean, dtype=float).reshape(-1)
        self.scale = np.asarray(scale, dtype=float).reshape(-1)
        self.categorical = list(categorical)
        self.categories = [list(c) for c in categories]  # per column: the frequent categories, in order
        self.infrequent = [list(c) if c is not None else None for c in infrequent]  # those sharing "(other)"
        n_numeric = len(self.numeric) + len(self.indicator)
        if not (len(self.median) == len(self.numeric) and len(self.mean) == len(self.scale) == n_numeric
                and len(self.categories) == len(self.infrequent) == len(self.categorical)
                and set(self.indicator) <= set(self.numeric)):
            raise TableError("the saved preprocessing is inconsistent (lengths of its parts differ)")
        self._positions = [{category: j for j, category in enumerate(c)} for c in self.categories]

    @property
    def columns(self):
        """The input columns, numeric then categorical."""
        return self.numeric + self.categorical

    @property
    def output_names(self):
        names = self.numeric + [f"missing:{name}" for name in self.indicator]
        for name, categories, infrequent in zip(self.categorical, self.categories, self.infrequent):
            names += [f"{name}={category}" for category in categories]
            if infrequent is not None:
                names.append(f"{name}={OTHER_CATEGORY}")
        return names

    @classmethod
    def fit(cls, frame, numeric, categorical):
        """Fit scikit-learn's ColumnTransformer on `frame` (the training rows) and keep what it learned."""
        transformer = sklearn_column_transformer(numeric, categorical)
        transformer.fit(raw_matrix(frame, numeric, categorical))
        fitted = cls.from_sklearn(transformer, numeric, categorical)
        names = fitted.numeric + [f"missing:{name}" for name in fitted.indicator]
        bad = [name for name, mean, scale in zip(names, fitted.mean, fitted.scale)
               if not (np.isfinite(mean) and np.isfinite(scale) and scale > 0)]
        if bad:
            raise TableError(f"column(s) {bad} hold numbers too large to standardise (their variance overflows); "
                             f"rescale them, or leave them out with --drop")
        return fitted, transformer

    @classmethod
    def from_sklearn(cls, transformer, numeric, categorical):
        median, indicator, mean, scale, categories, infrequent = [], [], [], [], [], []
        if numeric:
            steps = transformer.named_transformers_["numeric"].named_steps
            median = steps["impute"].statistics_.astype(float)
            indicated = steps["impute"].indicator_.features_ if steps["impute"].indicator_ is not None else []
            indicator = [numeric[i] for i in indicated]
            mean, scale = steps["scale"].mean_, steps["scale"].scale_
        if categorical:
            encoder = transformer.named_transformers_["categorical"].named_steps["onehot"]
            rare = getattr(encoder, "infrequent_categories_", [None] * len(categorical))
            for all_categories, rare_ones in zip(encoder.categories_, rare):
                rare_set = set() if rare_ones is None else set(rare_ones.tolist())
                categories.append([str(c) for c in all_categories.tolist() if c not in rare_set])
                infrequent.append(None if rare_ones is None else [str(c) for c in rare_ones.tolist()])
        return cls(numeric, median, indicator, mean, scale, categorical, categories, infrequent)

    def check_columns(self, columns, where):
        present = set(columns)
        missing = [name for name in self.columns if name not in present]
        if missing:
            trained = f" (it was trained on {self.columns})" if len(missing) < len(self.columns) else ""
            raise TableError(f"{where}: the model needs the column(s) {missing}, which are not there{trained}")

    def transform(self, frame):
        """The network's input (float64) for the rows of `frame`: any extra columns are ignored."""
        self.check_columns(frame.columns, "the table")
        parts = []
        if self.numeric:
            values = numeric_block(frame, self.numeric)
            missing = np.isnan(values)
            filled = np.where(missing, self.median, values)
            indicators = missing[:, [self.numeric.index(name) for name in self.indicator]].astype(float)
            parts.append((np.concatenate([filled, indicators], axis=1) - self.mean) / self.scale)
        strings = categorical_block(frame, self.categorical)
        for j, (positions, infrequent) in enumerate(zip(self._positions, self.infrequent)):
            width = len(positions) + (infrequent is not None)
            other = len(positions) if infrequent is not None else -1  # unseen and rare: "(other)" or nothing
            index = np.array([positions.get(value, other) for value in strings[:, j]], dtype=np.int64)
            parts.append((index[:, None] == np.arange(width)).astype(float))
        return np.concatenate(parts, axis=1) if parts else np.empty((len(frame), 0))

    def unusable_counts(self, frame):
        """{column: how many values are not numbers} for numeric columns (they are imputed as missing)."""
        counts = {}
        for name in self.numeric:
            _, bad = as_numbers(frame[name])
            if bad:
                counts[name] = bad
        return counts

    def to_json(self):
        return {"numeric": self.numeric, "median": self.median.tolist(), "indicator": self.indicator,
                "mean": self.mean.tolist(), "scale": self.scale.tolist(), "categorical": self.categorical,
                "categories": self.categories, "infrequent": self.infrequent}

    @classmethod
    def from_json(cls, data):
        try:
            return cls(data["numeric"], data["median"], data["indicator"], data["mean"], data["scale"],
                       data["categorical"], data["categories"], data["infrequent"])
        except (KeyError, TypeError, ValueError) as error:
            raise TableError(f"the saved preprocessing is unreadable ({error})") from None


def frame_from_arrays(X, feature_names=None):
    """A DataFrame from an array (columns x0, x1, ... unless named), for code that has arrays."""
    pd = pandas()
    X = np.asarray(X)
    names = list(feature_names) if feature_names is not None else [f"x{i}" for i in range(X.shape[1])]
    return pd.DataFrame(X, columns=names)
