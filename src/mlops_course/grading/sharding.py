"""Split a class into grading shards that every machine computes the same way.

A student's shard depends only on their id and the number of shards (a SHA-256 of the
id, never Python's per-process ``hash()``), so N machines each given ``--shard i/N``
grade disjoint groups that together cover the whole class, with no coordination.
On the command line shards count from 1 (``--shard 1/3`` is the first of three, as in
Playwright, Jest and Vitest); inside, :func:`shard_of` and :func:`select_shard` use 0-based
indices, like a Kubernetes indexed Job's ``JOB_COMPLETION_INDEX`` (the Job passes
``JOB_COMPLETION_INDEX + 1`` to ``--shard``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable


def _check_n_shards(n_shards: object) -> int:
    if isinstance(n_shards, bool) or not isinstance(n_shards, int) or n_shards < 1:
        raise ValueError(f"n_shards must be a whole number of at least 1, got {n_shards!r}.")
    return n_shards


def shard_of(student_id: str, n_shards: int) -> int:
    """The shard (``0 … n_shards-1``) that grades ``student_id``.

    Args:
        student_id: the student's folder name in the submissions folder.
        n_shards: how many shards the class is split into.

    Returns:
        The shard index, stable across machines, processes and Python versions.
    """
    if not isinstance(student_id, str) or not student_id:
        raise ValueError(f"student_id must be a non-empty string, got {student_id!r}.")
    n_shards = _check_n_shards(n_shards)
    digest = hashlib.sha256(student_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % n_shards


def select_shard(student_ids: Iterable[str], index: int, n_shards: int) -> list[str]:
    """The students of shard ``index`` out of ``n_shards``, in the order given.

    Args:
        student_ids: every student of the class.
        index: this shard, ``0 … n_shards-1``.
        n_shards: how many shards in all.

    Returns:
        The ids with ``shard_of(id, n_shards) == index``.
    """
    n_shards = _check_n_shards(n_shards)
    if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < n_shards:
        raise ValueError(f"shard index must be a whole number from 0 to {n_shards - 1}, got {index!r}.")
    return [student for student in student_ids if shard_of(student, n_shards) == index]


def parse_shard(text: str) -> tuple[int, int]:
    """Read a ``--shard`` value ``"i/N"``, counting from 1 (``"1/4"`` is the first of four).

    Returns:
        ``(index, N)`` with the 0-based index :func:`select_shard` takes (``"1/4"`` gives ``(0, 4)``).

    Raises:
        ValueError: the text is not two whole numbers ``i/N`` with ``1 <= i <= N``.
    """
    parts = str(text).strip().split("/")
    if len(parts) != 2 or not all(part.strip().isdigit() for part in parts):
        raise ValueError(f"--shard must look like i/N with whole numbers, e.g. 1/4 (the first of four), got {text!r}.")
    number, n_shards = (int(part) for part in parts)
    if n_shards < 1 or not 1 <= number <= n_shards:
        raise ValueError(
            f"--shard {text}: shards count from 1, so i must be 1 to N (here 1 to {max(n_shards, 1)}); "
            "a Kubernetes indexed Job passes JOB_COMPLETION_INDEX + 1."
        )
    return number - 1, n_shards
