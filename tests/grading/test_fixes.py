"""Fixes from issue 16: ``ctypes.dlsym`` flags only the learner's own ctypes calls, the
reorder flag, ``--shard`` counting from 1."""

from __future__ import annotations

import json
import subprocess
import sys

import nbformat
import pytest

from mlops_course.grading.format import read_instructor
from mlops_course.grading.merge import match_solutions, reordered
from mlops_course.grading.sharding import parse_shard, select_shard

from helpers import grading_submissions as subs

PROBE = """
import json, sys
from mlops_course.grading import kernel_state
calls = []
def hook(event, args):
    if event == "ctypes.dlsym":
        calls.append(kernel_state._library_caller())
sys.addaudithook(hook)
import numpy
from threadpoolctl import threadpool_info
threadpool_info()  # what scikit-learn and MLflow call: it looks up BLAS symbols with ctypes
library = list(calls)
calls.clear()
exec(compile("import ctypes\\nctypes.CDLL(None).getpid", "/tmp/ipykernel_1/123.py", "exec"))
print(json.dumps({"library": library, "learner": calls}))
"""


def test_ctypes_dlsym_counts_only_when_the_caller_is_not_installed_code() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=300, check=True)
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["library"] and all(seen["library"]), "scikit-learn's own lookups are not the learner's doing"
    assert seen["learner"] == [False], "a learner cell's ctypes lookup is still noted"


def test_reordered_is_detected_and_still_matched() -> None:
    _nb, spec, _ = read_instructor(subs.SOLUTION)
    moved = nbformat.reads(subs.answered(subs.RIGHT, subs._reorder).decode(), as_version=4)
    kept = nbformat.reads(subs.answered(subs.RIGHT).decode(), as_version=4)
    assert reordered(spec, moved) and not reordered(spec, kept)
    assert match_solutions(spec, moved, "x") == match_solutions(spec, kept, "x")


@pytest.mark.parametrize(("text", "expected"), [("1/3", (0, 3)), ("3/3", (2, 3)), ("1/1", (0, 1))])
def test_shards_count_from_one(text: str, expected: tuple[int, int]) -> None:
    assert parse_shard(text) == expected
    students = [f"s{i}" for i in range(30)]
    n_shards = expected[1]
    union = [
        s for number in range(1, n_shards + 1) for s in select_shard(students, *parse_shard(f"{number}/{n_shards}"))
    ]
    assert sorted(union) == sorted(students)
