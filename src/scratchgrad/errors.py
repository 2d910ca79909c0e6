"""The library's own exceptions: one base, so `except ScratchgradError` catches them all.

Each also derives from the built-in exception a user would expect (a bad argument is a
`ValueError`, a diverged run a `FloatingPointError`), so existing `except` clauses keep working.
"""


class ScratchgradError(Exception):
    """Base of every error scratchgrad raises on purpose."""


class InvalidParameterError(ScratchgradError, ValueError, TypeError):
    """An argument or estimator parameter of the wrong type or out of range.

    Like scikit-learn's `InvalidParameterError`, it is both a ValueError and a TypeError.
    """


class ModelFileError(ScratchgradError, ValueError):
    """A model file or checkpoint that cannot be loaded: corrupt, truncated, foreign, or too new."""


class TrainingDivergedError(ScratchgradError, FloatingPointError):
    """The loss became NaN or infinite; the model keeps its last weights with a finite loss."""


class MissingDependencyError(ScratchgradError, ImportError):
    """An optional library (or program) a feature needs is not installed; the message says how to get it."""
