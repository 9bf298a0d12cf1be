"""The review server without a browser: loopback only, token, checked points, saved rows,
reusable comments."""

from __future__ import annotations

import csv
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from mlops_course.grading.manual import write_index
from mlops_course.grading.review import make_server
from mlops_course.util import atomic_write_json

from helpers import manual_exercise as mx


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, str, Path]]:
    from mlops_course.grading.format import parse_spec

    nb = mx.instructor()
    write_index(tmp_path, {mx.STEM: (nb, parse_spec(nb, mx.STEM))})
    for student in ("ann", "ben"):
        atomic_write_json(
            tmp_path / "results" / student / f"{mx.STEM}.json",
            {
                "student_id": student,
                "exercise": mx.STEM,
                "status": "graded",
                "tests": [],
                "manual": [{"grade_id": "plan", "max_points": 5.0, "answer": f"{student}'s plan"}],
            },
        )
    server = make_server(tmp_path)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}"
    token = requests.get(url, timeout=10).text.split("const TOKEN = ")[1].split(";")[0].strip('"')
    yield url, token, tmp_path
    server.shutdown()
    server.server_close()


def _post(url: str, **body: str) -> requests.Response:
    base = {"student_id": "ann", "exercise": mx.STEM, "grade_id": "plan", "points": "4", "comment": "ok"}
    return requests.post(f"{url}/api/review", data=json.dumps({**base, **body}), timeout=10)


def test_items_carry_answer_rubric_and_prompt(served: tuple[str, str, Path]) -> None:
    url, _token, _out = served
    items = requests.get(f"{url}/api/items", timeout=10).json()["items"]
    assert [(i["student_id"], i["answer"]) for i in items] == [("ann", "ann's plan"), ("ben", "ben's plan")]
    assert items[0]["rubric"] == mx.RUBRIC and "quality plan" in items[0]["prompt"]


def test_saves_checked_reviews_and_offers_comments_again(served: tuple[str, str, Path]) -> None:
    url, token, out = served
    assert _post(url, token="wrong").status_code == 403
    refused = _post(url, token=token, points="6")
    assert refused.status_code == 400 and "from 0 to 5" in refused.json()["error"]
    assert _post(url, token=token, grade_id="nope").status_code == 400
    assert not (out / "manual_scores.csv").exists(), "nothing written for refused reviews"
    saved = _post(url, token=token, comment="Names a test per risk.")
    assert saved.json() == {"saved": True, "reviewed": 1, "total": 2}
    assert _post(url, token=token, points="3.5", comment="Names a test per risk.").ok  # replaced, not appended
    with (out / "manual_scores.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert rows == [
        {
            "student_id": "ann",
            "exercise": mx.STEM,
            "grade_id": "plan",
            "points": "3.5",
            "comment": "Names a test per risk.",
        }
    ]
    items = requests.get(f"{url}/api/items", timeout=10).json()["items"]
    assert items[1]["reusable"] == ["Names a test per risk."]


def test_other_host_names_are_refused(served: tuple[str, str, Path]) -> None:
    url, _token, _out = served
    assert requests.get(url, headers={"Host": "evil.example:80"}, timeout=10).status_code == 403
