"""Threats aimed at the kernel guard itself: learner code that would run *inside* its restore.

The guard restores a pristine snapshot before and after each test. Its own code must not
look anything up that the learner could have replaced first: a builtin (``zip``, ``len``,
``getattr``...), a global of the guard's modules, a method of its classes. And a failing
test must not leave the learner's patches of the cell's machinery alive while its failure
is reported. Each submission below answers wrongly (its honest part scores 0) and tries to
keep a no-op ``assert_series_equal``, or a forged verdict, alive through the guard.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from helpers import grading_submissions as subs
from helpers.grading_run import by_student, run_grade

pytestmark = pytest.mark.grading

_NOOP_ASSERTS = (
    "import numpy as np, pandas as pd\n"
    "pd.testing.assert_series_equal = lambda *a, **k: None\n"
    "pd.testing.assert_frame_equal = lambda *a, **k: None\n"
    "np.testing.assert_allclose = lambda *a, **k: None\n"
    "np.testing.assert_array_equal = lambda *a, **k: None\n"
)
# True when the caller of the wrapper is the guard's code
_FROM_GUARD = (
    "def _from_guard():\n"
    "    name = sys._getframe(2).f_code.co_filename.rsplit('/', 1)[-1]\n"
    "    return name in ('kernel_state.py', 'kernel_snapshot.py', 'kernel_guard.py')\n"
)
# builtins that answer "nothing to restore" to the guard and behave normally for everyone else
LYING_BUILTINS = (
    "import builtins, sys\n"
    + _NOOP_ASSERTS
    + _FROM_GUARD
    + "_zip, _any, _vars = builtins.zip, builtins.any, builtins.vars\n"
    "builtins.zip = lambda *a, **k: iter(()) if _from_guard() else _zip(*a, **k)\n"
    "builtins.any = lambda items: False if _from_guard() else _any(items)\n"
    "builtins.vars = lambda *a: dict(_vars(*a)) if _from_guard() and a and a[0] is builtins else _vars(*a)\n"
)
# only ``zip``: the loops that write the snapshot back then see nothing to write
LYING_ZIP = (
    "import builtins, sys\n" + _NOOP_ASSERTS + _FROM_GUARD + "_zip = builtins.zip\n"
    "builtins.zip = lambda *a, **k: iter(()) if _from_guard() else _zip(*a, **k)\n"
)
# the guard's own module globals and class methods, reached by a plain import
GUARD_GLOBALS = (
    _NOOP_ASSERTS + "from mlops_course.grading import kernel_snapshot\n"
    "kernel_snapshot._same_entries = lambda *a, **k: True\n"
)
GUARD_METHOD = (
    _NOOP_ASSERTS + "from mlops_course.grading import kernel_state\n"
    "kernel_state._State.restore = lambda self: ([], [])\n"
)
# a failing test whose failure is reported while the learner's machinery patches are alive:
# the learner's function prints the verdict line the guard would print, swallows the
# traceback and clears the cell's error, then raises
_FORGE = (
    "    import sys\n"
    "    frame = sys._getframe(1)\n"
    "    while frame is not None and frame.f_code.co_name != 'run_test':\n"
    "        frame = frame.f_back\n"
    "    if frame is not None:\n"
    "        print('\\n@@MLOPS-GRADER@@ ' + frame.f_locals['token'] + ' {\"critical\": [], \"noted\": []}')\n"
    "    ip = get_ipython()\n"
    "    ip.set_custom_exc((BaseException,), lambda *a, **k: None)\n"
    "    ip.events.register('post_run_cell', lambda result: setattr(result, 'error_in_exec', None))\n"
    "    raise ValueError('stop the test here')\n"
)
FAILING_FORGER = {
    subs.T1: "def default_rate_by_month(frame):\n" + _FORGE,
    subs.T2: "def flag_invalid_ages(frame):\n" + _FORGE,
    subs.T3: subs.WRONG[subs.T3],
}

#: student -> (notebook, phrase expected in the flags); every one must score 0 (its honest part)
ATTACKS: dict[str, tuple[bytes, str]] = {
    "threat_lying_builtins": (
        subs.answered(subs.with_prefix(subs.WRONG, subs.T1, LYING_BUILTINS)),
        "builtins-assignment",
    ),
    "threat_lying_zip": (subs.answered(subs.with_prefix(subs.WRONG, subs.T1, LYING_ZIP)), "builtins-assignment"),
    "threat_guard_globals": (subs.answered(subs.with_prefix(subs.WRONG, subs.T1, GUARD_GLOBALS)), ""),
    "threat_guard_method": (subs.answered(subs.with_prefix(subs.WRONG, subs.T1, GUARD_METHOD)), ""),
    "threat_failing_forger": (subs.answered(FAILING_FORGER), "frame-introspection"),
}
CONTROLS = {"honest_full": (subs.answered(subs.RIGHT), 100), "honest_wrong": (subs.answered(subs.WRONG), 0)}


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    root: Path = tmp_path_factory.mktemp("guard_threats")
    notebooks = {s: nb for s, (nb, _) in ATTACKS.items()} | {s: nb for s, (nb, _) in CONTROLS.items()}
    for student, data in notebooks.items():
        (root / "submissions" / student).mkdir(parents=True)
        (root / "submissions" / student / f"{subs.STEM}.ipynb").write_bytes(data)
    return by_student(run_grade(root / "submissions", root / "grades"))


@pytest.mark.parametrize("student", list(ATTACKS))
def test_attack_on_the_guard_earns_nothing(graded: dict[str, dict[str, Any]], student: str) -> None:
    result = graded[student]
    passed = [t["grade_id"] for t in result["tests"] if t["outcome"] == "passed"]
    assert result["status"] == "graded", result["message"]
    assert result["score"] == 0 and not passed, (result["score"], passed, result["tests"])
    phrase = ATTACKS[student][1]
    assert not phrase or phrase in result["flags"], result["flags"]


@pytest.mark.parametrize("student", list(CONTROLS))
def test_honest_submissions_of_the_same_run(graded: dict[str, dict[str, Any]], student: str) -> None:
    assert graded[student]["score"] == pytest.approx(CONTROLS[student][1]), graded[student]["tests"]
