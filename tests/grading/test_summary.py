"""Per-test analytics in summary.html: pass rates, and the test strong submissions fail."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mlops_course.grading.summary import per_test_analytics, write_summary


def _result(student: str, passed: set[str]) -> dict[str, Any]:
    tests = [
        {
            "grade_id": gid,
            "max_points": 10,
            "points": 10 if gid in passed else 0,
            "outcome": "passed" if gid in passed else "failed",
            "hidden": gid == "t4",
        }
        for gid in ("t1", "t2", "t3", "t4", "bad")
    ]
    score = sum(t["points"] for t in tests)
    return {
        "student_id": student,
        "exercise": "ex",
        "status": "graded",
        "score": score,
        "max_score": 50,
        "tests": tests,
    }


def _class() -> list[dict[str, Any]]:
    strong = [_result(f"strong{i}", {"t1", "t2", "t3", "t4"}) for i in range(5)]  # all fail "bad"
    weak = [_result(f"weak{i}", {"bad"}) for i in range(3)]  # "bad" passes for weak ones only
    return strong + weak + [_result("mid", {"t1", "t2", "bad"})]


def test_pass_rates_and_the_test_strong_submissions_fail() -> None:
    tests = {t["grade_id"]: t for t in per_test_analytics(_class())}
    assert tests["t1"]["pass_rate"] == 6 / 9 and tests["bad"]["pass_rate"] == 4 / 9
    assert tests["bad"]["strong"] == 5 and tests["bad"]["strong_failed"] == 5
    assert tests["t1"]["strong_failed"] == 0
    assert per_test_analytics(_class())[0]["grade_id"] == "bad", "the likely bad test comes first"


def test_summary_page_shows_the_table(tmp_path: Path) -> None:
    rows = _class()
    rows[0]["pending_points"] = 5
    html = write_summary(tmp_path, rows).read_text()
    assert "1 with written answers awaiting review" in html
    assert "Per test" in html and "check this test" in html and "5 / 5" in html and "t4 (hidden)" in html
