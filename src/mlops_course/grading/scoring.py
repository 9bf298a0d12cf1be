"""The final score of every stored result: tests + reviewed manual answers, then late penalty.

Run at the end of every ``grade`` over all stored results (not only the ones graded in
this run), so that a review or a due date added later reaches every row. The result files
stay the source of truth; one is rewritten (atomically) only when it changes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from mlops_course.grading.gradebook import load_result
from mlops_course.grading.late import LatePolicy, apply_late, load_policies, read_extensions, save_policies
from mlops_course.grading.manual import SCORES_FILE, Reviews, apply_reviews, load_reviews, write_index
from mlops_course.util import atomic_write_json

if TYPE_CHECKING:
    from mlops_course.grading.grade import Exercise, GradeOptions, Task


def prepare(
    options: GradeOptions, exercises: dict[str, Exercise], tasks: list[Task]
) -> tuple[Reviews, dict[str, LatePolicy]]:
    """Check the reviews and the late policy before grading starts (a bad row stops the run
    before any kernel starts), store the manual cells' rubrics and this run's due dates.

    Raises:
        ReviewError: a bad row in ``manual_scores.csv``.
        LateError: a bad due date, policy or extensions file.
    """
    maxima = {stem: {c.grade_id: c.points for c in ex.spec.manual} for stem, ex in exercises.items()}
    reviews = load_reviews(options.out / SCORES_FILE, maxima)
    policies = load_policies(options.out)
    if options.late is not None:
        options.late.check()
        for stem in sorted({t.exercise.stem for t in tasks}):
            extensions = read_extensions(options.extensions, stem) if options.extensions else {}
            policies[stem] = LatePolicy(
                options.late.due, options.late.policy, options.late.percent_per_day, options.late.cap, extensions
            )
    options.out.mkdir(parents=True, exist_ok=True)
    if options.late is not None:
        save_policies(options.out, policies)
    write_index(options.out, {stem: (ex.notebook, ex.spec) for stem, ex in exercises.items()})
    return reviews, policies


def finalize(out: Path, reviews: Reviews, policies: dict[str, LatePolicy], times: dict[tuple[str, str], str]) -> None:
    """Recompute every stored result's score, pending points and lateness.

    Args:
        out: the grades folder.
        reviews: checked reviews (:func:`mlops_course.grading.manual.load_reviews`).
        policies: late policy per exercise.
        times: submit time per ``(student_id, exercise)`` graded in this run (``""``: none).
    """
    for path in sorted((out / "results").glob("*/*.json")):
        result = load_result(path)
        if result is None:
            continue
        before = json.dumps(result, sort_keys=True)
        key = (str(result.get("student_id")), str(result.get("exercise")))
        if key in times:
            result["submitted_at"] = times[key]
        result.setdefault("manual", [])
        apply_reviews(result, reviews)
        apply_late(result, policies.get(key[1]))
        if json.dumps(result, sort_keys=True) != before:
            atomic_write_json(path, result)
