"""Argument checks shared by every public function: one sentence per problem, in the user's terms.

    >>> check_integer("epochs", 0, minimum=1)
    Traceback (most recent call last):
    ...
    scratchgrad.errors.InvalidParameterError: epochs must be an integer >= 1, got 0
"""

from __future__ import annotations

import math
import numbers

from .errors import InvalidParameterError


def _fail(name, expected, value, where=""):
    prefix = f"{where}: " if where else ""
    raise InvalidParameterError(f"{prefix}{name} must be {expected}, got {value!r}")


def check_integer(name, value, minimum=None, maximum=None, where=""):
    """`value` as an int; bools, floats and strings are refused."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        _fail(name, _range_text("an integer", minimum, maximum), value, where)
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        _fail(name, _range_text("an integer", minimum, maximum), value, where)
    return int(value)


def check_number(name, value, minimum=None, maximum=None, low_open=False, high_open=False, where=""):
    """`value` as a finite float within the bounds (`low_open` / `high_open` exclude them)."""
    expected = _range_text("a number", minimum, maximum, low_open, high_open)
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        _fail(name, expected, value, where)
    value = float(value)
    if minimum is not None and (value < minimum or (low_open and value == minimum)):
        _fail(name, expected, value, where)
    if maximum is not None and (value > maximum or (high_open and value == maximum)):
        _fail(name, expected, value, where)
    return value


def check_choice(name, value, choices, where=""):
    """`value` if it is one of `choices` (compared with ==, so strings and None work)."""
    try:
        if value in choices:
            return value
    except TypeError:  # unhashable value against a set
        pass
    _fail(name, "one of " + ", ".join(repr(c) for c in choices), value, where)


def check_bool(name, value, where=""):
    if not isinstance(value, bool) and not (isinstance(value, numbers.Integral) and value in (0, 1)):
        _fail(name, "True or False", value, where)
    return bool(value)


def _range_text(kind, minimum, maximum, low_open=False, high_open=False):
    if minimum is not None and maximum is not None:
        return f"{kind} in {'(' if low_open else '['}{minimum}, {maximum}{')' if high_open else ']'}"
    if minimum is not None:
        return f"{kind} {'>' if low_open else '>='} {minimum}"
    if maximum is not None:
        return f"{kind} {'<' if high_open else '<='} {maximum}"
    return kind
