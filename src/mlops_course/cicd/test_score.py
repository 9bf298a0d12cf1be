"""Breck et al.'s ML Test Score: the rubric and how to score it."""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from typing import Any

import yaml

_SCORE_BANDS = (
    (0.0, "a research project, not yet a production system"),
    (1.0, "some tests, but probably serious holes"),
    (2.0, "a first pass at production; more investment needed"),
    (3.0, "reasonably tested; automate more"),
    (5.0, "strong automated testing and monitoring"),
    (float("inf"), "exceptional automated testing and monitoring"),
)


def ml_test_score_rubric() -> list[dict[str, str]]:
    """The 28 tests of Breck et al.'s ML Test Score as rows: ``id`` (e.g. ``data-1``), ``section``, ``test``."""
    text = (resources.files("mlops_course") / "resources" / "module4" / "ml_test_score.yaml").read_text(
        encoding="utf-8"
    )
    sections = yaml.safe_load(text)
    return [
        {"id": f"{section}-{i}", "section": section, "test": test}
        for section, tests in sections.items()
        for i, test in enumerate(tests, start=1)
    ]


def ml_test_score(scores: Mapping[str, float]) -> dict[str, Any]:
    """Score the rubric: each test 0, 0.5 (manual) or 1 (automated); final score = the weakest section's sum.

    Args:
        scores: test id (``"data-1"`` ... ``"monitoring-7"``) to 0, 0.5 or 1; missing ids count 0.

    Returns:
        ``sections`` (section to sum), ``final`` (the minimum) and ``meaning`` (how to read it).
    """
    if not isinstance(scores, Mapping):
        raise TypeError(f"scores must be a dict of test id -> 0, 0.5 or 1, got {type(scores).__name__}.")
    rubric = ml_test_score_rubric()
    known = {row["id"] for row in rubric}
    unknown = sorted(set(scores) - known)
    if unknown:
        raise ValueError(f"unknown test ids {unknown}; ids look like 'data-1' ... 'monitoring-7'")
    bad = {k: v for k, v in scores.items() if float(v) not in (0.0, 0.5, 1.0)}
    if bad:
        raise ValueError(f"each score must be 0, 0.5 (manual) or 1 (automated), got {bad}")
    sections: dict[str, float] = {}
    for row in rubric:
        sections[row["section"]] = sections.get(row["section"], 0.0) + float(scores.get(row["id"], 0.0))
    final = min(sections.values())
    meaning = next(text for limit, text in _SCORE_BANDS if final <= limit)
    return {"sections": sections, "final": final, "meaning": meaning}
