"""One small way to check what learners pass to the package's public functions.

Each ``check_*`` returns the value (converted where that helps: a float, an int, a
``Path``) or raises an :class:`ArgumentError` whose message names the argument, what it
got and what is allowed. In a notebook the error shows as that message and the learner's
own lines, not as a long traceback through pandas::

    frame = check_frame("frame", frame, required=["age"], numeric=["age"])
    share = check_number("max_null_share", share, low=0, high=1)
    n = check_count("n_rows", n, low=1)
"""

from __future__ import annotations

import math
import numbers
import sysconfig
import traceback
from collections.abc import Callable, Collection, Iterable
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from mlops_course.i18n import tr

_PACKAGE_DIR = str(Path(__file__).resolve().parent)
_LIBRARY_DIRS = tuple(
    str(Path(p).resolve())
    for p in {sysconfig.get_path("stdlib"), sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
)


class ArgumentError(Exception):
    """A public function was called with an argument it cannot use; the message says which and why."""

    def _render_traceback_(self) -> list[str]:
        """IPython shows this instead of a full traceback: the learner's own frames, then the message."""
        frames = [frame for frame in traceback.extract_tb(self.__traceback__) if _is_learner_code(frame.filename)]
        lines = [line.rstrip("\n") for line in traceback.format_list(frames[-3:])]
        return [*lines, f"{type(self).__name__}: {self}"]


class BadValue(ArgumentError, ValueError):
    """The argument has the right kind but a value that is not allowed (NaN, out of range, unknown name, ...)."""


class BadType(ArgumentError, TypeError, ValueError):
    """The argument is of the wrong kind (``None``, a string for a number, ...).

    Also a ``ValueError``, so code that catches bad values catches it too.
    """


def _is_learner_code(filename: str) -> bool:
    """Whether a traceback frame is the learner's (a notebook cell, their script), not the package's or a library's."""
    if filename.startswith("<"):
        return True
    path = str(Path(filename).resolve())
    return not path.startswith((_PACKAGE_DIR, *_LIBRARY_DIRS))


def describe(value: object, limit: int = 60) -> str:
    """A short description of ``value`` for an error message: its repr (cut) and, for containers, its type."""
    if isinstance(value, pd.DataFrame):
        return tr("checks.frame_rows", rows=len(value), columns=list(map(str, value.columns))[:8])
    if isinstance(value, pd.Series):
        return tr("checks.series", count=len(value))
    text = repr(value)
    if len(text) > limit:
        text = text[: limit - 3] + "..."
    if value is None or isinstance(value, (bool, numbers.Number, str)):
        return text
    return f"{text} ({type(value).__name__})"


def check_frame(
    name: str,
    value: object,
    *,
    required: Iterable[str] = (),
    numeric: Iterable[str] = (),
    non_empty: bool = True,
) -> pd.DataFrame:
    """A DataFrame with the ``required`` columns, ``numeric`` columns that hold numbers, and rows unless ``non_empty`` is False."""
    if not isinstance(value, pd.DataFrame):
        raise BadType(tr("checks.not_frame", name=name, got=describe(value)))
    required = list(required)
    missing = [c for c in required if c not in value.columns]
    if missing:
        columns = list(map(str, value.columns))
        raise BadValue(tr("checks.missing_columns", name=name, missing=missing, columns=columns, required=required))
    if non_empty and value.empty:
        raise BadValue(tr("checks.no_rows", name=name))
    for column in numeric:
        if column in value.columns:
            check_numeric_series(f"{name}[{column!r}]", value[column])
    return value


def check_numeric_series(name: str, values: pd.Series) -> pd.Series:
    """A Series whose present values are all numbers (``'forty'`` is not)."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return values
    not_numbers = wrong_type_mask(values)
    if not_numbers.any():
        examples = list(dict.fromkeys(values[not_numbers].astype(str)))[:3]
        raise BadType(tr("checks.not_numbers", name=name, count=int(not_numbers.sum()), examples=examples))
    return pd.to_numeric(values)


def wrong_type_mask(values: pd.Series) -> pd.Series:
    """True where a value is present but is not a number (what data checks report as ``wrong_type``)."""
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        return pd.Series(False, index=values.index)
    coerced = pd.to_numeric(values, errors="coerce")
    return values.notna() & (coerced.isna() | values.map(lambda v: isinstance(v, bool)))


def check_number(
    name: str,
    value: object,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    high_open: bool = False,
    allow_none: bool = False,
) -> Any:
    """A finite real number within ``[low, high]`` (bounds excluded when ``*_open``); returns it as a float."""
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise BadType(
            tr("checks.number", name=name, range=_range_text(low, high, low_open, high_open), got=describe(value))
        )
    number = float(value)
    if not math.isfinite(number):
        raise BadValue(
            tr("checks.finite", name=name, range=_range_text(low, high, low_open, high_open), got=repr(value))
        )
    too_low = low is not None and (number <= low if low_open else number < low)
    too_high = high is not None and (number >= high if high_open else number > high)
    if too_low or too_high:
        raise BadValue(
            tr("checks.number", name=name, range=_range_text(low, high, low_open, high_open), got=repr(value))
        )
    return number


def check_count(name: str, value: object, *, low: int = 0, high: int | None = None) -> int:
    """A whole number (``3`` or ``3.0``, not ``3.5`` or ``True``) within ``[low, high]``; returns it as an int."""
    allowed = tr("checks.whole", low=low) + (tr("checks.whole_high", high=high) if high is not None else "")
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise BadType(tr("checks.must_be", name=name, allowed=allowed, got=describe(value)))
    number = float(value)
    if not math.isfinite(number) or number != int(number):
        raise BadValue(tr("checks.must_be", name=name, allowed=allowed, got=repr(value)))
    count = int(number)
    if count < low or (high is not None and count > high):
        raise BadValue(tr("checks.must_be", name=name, allowed=allowed, got=repr(value)))
    return count


def check_choice(name: str, value: object, allowed: Collection[Any]) -> Any:
    """One of ``allowed`` (names, modes, kinds)."""
    try:
        ok = value in allowed
    except TypeError:  # an unhashable value asked of a set
        ok = False
    if not ok:
        raise BadValue(tr("checks.choice", name=name, allowed=", ".join(map(repr, allowed)), got=describe(value)))
    return value


def check_names(name: str, value: object, allowed: Collection[str] | None = None) -> list[str]:
    """A list of names; a single string means that one name (never its characters)."""
    if isinstance(value, str):
        names = [value]
    elif value is None or not isinstance(value, Iterable) or isinstance(value, (bytes, pd.DataFrame)):
        raise BadType(tr("checks.names", name=name, got=describe(value)))
    else:
        names = list(value)
    wrong = [v for v in names if not isinstance(v, str)]
    if wrong:
        raise BadType(tr("checks.names_strings", name=name, got=describe(wrong)))
    if allowed is not None:
        unknown = [v for v in names if v not in allowed]
        if unknown:
            known = ", ".join(map(repr, allowed))
            raise BadValue(tr("checks.unknown_names", name=name, unknown=unknown, allowed=known))
    return names


def check_callable(name: str, value: object, what: str | None = None) -> Callable[..., Any]:
    """Something that can be called (a model's predict, a client); ``None`` or a URL is not."""
    if not callable(value):
        hint = tr("checks.url_hint") if isinstance(value, str) else ""
        what = what or tr("checks.a_function")
        raise BadType(tr("checks.callable", name=name, what=what, got=describe(value), hint=hint))
    return value


def check_path(name: str, value: object, *, kind: Literal["file", "dir", "any"] = "any") -> Path:
    """A path (string or ``Path``) that exists, and is a file or a folder when ``kind`` says so."""
    if not isinstance(value, (str, Path)) or (isinstance(value, str) and not value):
        raise BadType(tr("checks.path_type", name=name, got=describe(value)))
    path = Path(value)
    exists = {"file": path.is_file, "dir": path.is_dir, "any": path.exists}[kind]()
    if not exists:
        raise BadValue(tr("checks.path_missing", name=name, what=tr(f"checks.{kind}"), path=repr(str(path))))
    return path


def _range_text(low: float | None, high: float | None, low_open: bool, high_open: bool) -> str:
    if low is None and high is None:
        return ""
    if low is not None and high is not None:
        return tr("checks.in", interval=f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}")
    if low is not None:
        return f" {'>' if low_open else '>='} {low:g}"
    assert high is not None
    return f" {'<' if high_open else '<='} {high:g}"


__all__ = [
    "ArgumentError",
    "BadType",
    "BadValue",
    "check_callable",
    "check_choice",
    "check_count",
    "check_frame",
    "check_names",
    "check_number",
    "check_numeric_series",
    "check_path",
    "describe",
    "wrong_type_mask",
]
