"""The kernel guard's module snapshot (:mod:`mlops_course.grading.kernel_snapshot`), in process.

Restoring compares before it writes: a changed entry is put back and reported, an identical
one is never written. A snapshot taken before the fork (the template's) is brought up to
date at ``install``: what changed before is adopted silently, what changes after is undone.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator
from typing import Any

import pytest

from mlops_course.grading import kernel_snapshot
from mlops_course.grading.kernel_snapshot import Snapshot

NAME = "mlops_snapshot_probe"
SOURCE = """
class Meta(type):
    writes = []

    def __setattr__(cls, key, value):
        Meta.writes.append(key)
        super().__setattr__(key, value)


class Scorer(metaclass=Meta):
    limit = 3

    def score(self, x):
        return x * 2

    def other(self):
        return "other"


def check(x, tolerance=0.5):
    return abs(x) < tolerance


THRESHOLD = 10
"""


@pytest.fixture
def probe() -> Iterator[Any]:
    module = types.ModuleType(NAME)
    module.__dict__["__name__"] = NAME
    exec(compile(SOURCE, NAME, "exec"), module.__dict__)
    sys.modules[NAME] = module
    yield module
    sys.modules.pop(NAME, None)
    kernel_snapshot._PREPARED.clear()


def _restore(snapshot: Snapshot) -> list[str]:
    changed: list[str] = []
    snapshot.restore(changed)
    return changed


def test_a_changed_class_attribute_is_restored_and_identical_ones_are_not_written(probe: Any) -> None:
    snapshot = Snapshot((NAME,))
    probe.Scorer.limit = 99
    probe.Meta.writes.clear()
    assert _restore(snapshot) == [f"{NAME}.Scorer.limit"]
    assert probe.Scorer.limit == 3
    assert probe.Meta.writes == ["limit"]  # score, other, __module__, ... were compared, not written
    probe.Meta.writes.clear()
    assert _restore(snapshot) == []
    assert probe.Meta.writes == []


def test_patched_globals_functions_and_sys_modules_are_undone_and_reported(probe: Any) -> None:
    snapshot = Snapshot((NAME,))
    original_check, original_score = probe.check, probe.Scorer.score
    probe.THRESHOLD = 0
    probe.check = lambda x, tolerance=0.5: True
    original_check.__defaults__ = (1e9,)
    original_score.__code__ = probe.Scorer.other.__code__
    sys.modules[NAME] = types.ModuleType(NAME)
    changed = _restore(snapshot)
    assert sorted(changed) == sorted(
        [
            f"sys.modules[{NAME!r}]",
            f"{NAME}.THRESHOLD",
            f"{NAME}.check",
            f"{NAME}.check.__code__",
            f"{NAME}.Scorer.score.__code__",
        ]
    )
    assert sys.modules[NAME] is probe and probe.THRESHOLD == 10 and probe.check is original_check
    assert not probe.check(1.0) and probe.Scorer().score(2) == 4
    assert _restore(snapshot) == []


def test_a_function_attribute_that_is_not_its_code_is_not_reported(probe: Any) -> None:
    snapshot = Snapshot((NAME,))
    probe.check.note = "made a __dict__"  # changes what the function refers to, not its code
    assert _restore(snapshot) == []
    probe.check.__kwdefaults__ = {"extra": 1}
    assert _restore(snapshot) == [f"{NAME}.check.__code__"]
    assert probe.check.__kwdefaults__ is None


def test_the_templates_snapshot_adopts_changes_made_before_install_only(probe: Any) -> None:
    kernel_snapshot.prepare((NAME,))
    probe.THRESHOLD = 11  # after the fork, before install (the kernel starting): pristine
    probe.Scorer.limit = 4
    probe.added = "new global"
    snapshot = kernel_snapshot.take((NAME,))
    assert kernel_snapshot._PREPARED == []  # used once
    assert _restore(snapshot) == []
    assert (probe.THRESHOLD, probe.Scorer.limit) == (11, 4)
    probe.THRESHOLD, probe.Scorer.limit, probe.added = 0, 0, "patched"
    assert sorted(_restore(snapshot)) == sorted([f"{NAME}.THRESHOLD", f"{NAME}.Scorer.limit", f"{NAME}.added"])
    assert (probe.THRESHOLD, probe.Scorer.limit, probe.added) == (11, 4, "new global")


def test_the_templates_snapshot_keeps_only_the_protected_modules(probe: Any) -> None:
    kernel_snapshot.prepare((NAME, "json"))
    snapshot = kernel_snapshot.take(("json",))
    assert NAME not in snapshot.names and "json" in snapshot.names
    probe.THRESHOLD = 0
    assert _restore(snapshot) == []
    assert probe.THRESHOLD == 0
