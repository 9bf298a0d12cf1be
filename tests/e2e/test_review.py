"""``mlops-course review`` in Chromium: a class with written answers is graded (pending),
reviewed in the browser with the keyboard and a reusable comment, and graded again (the
reviews are in the score and the feedback). Drives Debian's chromium like test_browser.py."""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from helpers import manual_exercise as mx
from helpers.grading_run import by_student, run_grade

pytestmark = [pytest.mark.browser, pytest.mark.grading]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CLI = str(Path(sys.executable).parent / "mlops-course")


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("review")
    source = mx.write_source(root / "source")
    subs = root / "submissions"
    mx.write_submission(
        subs, "alice", mx.answered(mx.RIGHT, "Alice's plan: <script>alert(1)</script> one test per risk.")
    )
    mx.write_submission(subs, "bob", mx.answered(mx.WRONG, "Bob's plan: test later."))
    out = root / "grades"
    first = by_student(run_grade(subs, out, source=source))
    assert first["alice"]["pending_points"] == 8 and first["bob"]["pending_points"] == 8
    return {"root": root, "source": source, "subs": subs, "out": out}


@pytest.fixture(scope="module")
def server(graded: dict[str, Any]) -> Iterator[str]:
    process = subprocess.Popen(
        [CLI, "review", str(graded["out"]), "--no-browser"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        line = process.stdout.readline() if process.stdout else ""
        url = next(word for word in line.split() if word.startswith("http://127.0.0.1:"))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not requests.get(url, timeout=5).ok:
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


@pytest.fixture(scope="module")
def page(server: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: install Debian's package (apt-get install chromium); .ci/run does.")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]
        )
        page = browser.new_page(viewport={"width": 1300, "height": 850})
        page.goto(server)
        page.wait_for_selector("body[data-ready=true]")
        yield page
        browser.close()


def _scores(out: Path) -> dict[tuple[str, str], tuple[str, str]]:
    path = out / "manual_scores.csv"
    if not path.exists():
        return {}
    with path.open() as handle:
        return {(r["student_id"], r["grade_id"]): (r["points"], r["comment"]) for r in csv.DictReader(handle)}


def _wait_saved(out: Path, key: tuple[str, str], expected: tuple[str, str]) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _scores(out).get(key) != expected:
        time.sleep(0.1)
    assert _scores(out).get(key) == expected, _scores(out)


def test_review_in_chromium_then_grade_merges(page: Any, graded: dict[str, Any]) -> None:
    out = graded["out"]
    # the first pending answer: alice's code answer "design" (exercise, question, student order)
    assert page.text_content("#progress") == "Reviewed 0 / 4 · pending 4"
    assert page.text_content("#who") == f"alice · {mx.STEM} · design"
    assert "RUBRIC-SECRET: layers named" in page.text_content("#rubric")
    page.fill("#points", "3")
    _wait_saved(out, ("alice", "design"), ("3", ""))
    page.keyboard.press("Enter")  # Enter in the points box: next answer
    assert page.text_content("#who") == f"bob · {mx.STEM} · design"
    page.fill("#points", "1")
    page.fill("#comment", "Name the layers.")
    _wait_saved(out, ("bob", "design"), ("1", "Name the layers."))

    page.keyboard.press("Escape")  # leave the box; the keys navigate
    page.keyboard.press("ArrowRight")
    assert page.text_content("#who") == f"alice · {mx.STEM} · plan"
    assert "<script>" in page.text_content("#answer"), "the answer is shown as text, not run as HTML"
    assert mx.RUBRIC in page.text_content("#rubric") and mx.PROMPT.splitlines()[1] in page.text_content("#prompt")
    page.fill("#points", "12")  # above the maximum: refused, named, not saved
    page.wait_for_selector("#status.error")
    assert "from 0 to 5" in page.text_content("#status") and ("alice", "plan") not in _scores(out)
    page.fill("#points", "5")
    page.fill("#comment", "Clear plan.")
    _wait_saved(out, ("alice", "plan"), ("5", "Clear plan."))
    page.keyboard.press("Control+Enter")
    assert page.text_content("#who") == f"bob · {mx.STEM} · plan"
    page.fill("#points", "2")
    page.focus("#comment")
    page.keyboard.press("Alt+1")  # the reusable comment given to alice for this question
    _wait_saved(out, ("bob", "plan"), ("2", "Clear plan."))
    page.wait_for_function("document.getElementById('progress').textContent.startsWith('Reviewed 4 / 4')")

    page.reload()  # what was saved is what the page shows again
    page.wait_for_selector("body[data-ready=true]")
    assert page.text_content("#progress") == "Reviewed 4 / 4 · pending 0"

    results = by_student(run_grade(graded["subs"], out, source=graded["source"]))
    assert results["alice"]["score"] == 10 + 5 + 3 and results["alice"]["pending_points"] == 0
    assert results["bob"]["score"] == 0 + 2 + 1
    feedback = (out / "feedback" / "bob" / f"{mx.STEM}.html").read_text()
    assert "Name the layers." in feedback and "Clear plan." in feedback and "2 / 5" in feedback
