"""Environment variables set for a block of code and restored after it."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Mapping


@contextlib.contextmanager
def environment_variables(values: Mapping[str, str | None]) -> Iterator[None]:
    """Set environment variables inside the block and restore the previous values after it.

    Args:
        values: name to value; ``None`` removes the variable inside the block.
    """
    if not isinstance(values, Mapping):
        raise TypeError(f"values must be a dict of variable name -> value, got {type(values).__name__}.")
    saved = {key: os.environ.get(key) for key in values}
    for key, value in values.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = str(value)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
