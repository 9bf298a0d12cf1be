"""``mlops-course review GRADES_DIR``: review written answers in the browser, on loopback.

One answer at a time, with the cell's prompt and the instructor's rubric beside it, a
points box and a comment box, comments already given to the same question offered again,
keyboard navigation and progress. Every change is saved at once to
``GRADES_DIR/manual_scores.csv`` (atomically), so closing the page loses nothing; the next
``mlops-course grade`` merges the reviews into the scores and the feedback.

The answers come from the stored results (``results/<student>/<stem>.json``) and the
rubrics from ``manual_cells.json``, both written by ``grade``. The server listens on
127.0.0.1 only and accepts a change only with the page's random token.
"""

from __future__ import annotations

import json
import math
import secrets
import threading
from collections import Counter
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from mlops_course.grading.gradebook import load_results
from mlops_course.grading.manual import SCORES_FILE, read_index, read_rows, save_review
from mlops_course.grading.review_page import page_html

MAX_BODY = 1_000_000
MAX_COMMENT = 5_000


class ReviewData:
    """The answers to review and their current reviews (read again on every request)."""

    def __init__(self, grades: Path) -> None:
        self.grades = grades
        self.scores = grades / SCORES_FILE
        self.token = secrets.token_urlsafe(24)
        self.lock = threading.Lock()

    def items(self) -> list[dict[str, Any]]:
        """Every answer awaiting or having a review, by exercise, question, then student."""
        index = read_index(self.grades)
        reviews = {(r["student_id"], r["exercise"], r["grade_id"]): r for r in read_rows(self.scores)}
        items: list[dict[str, Any]] = []
        for result in load_results(self.grades):
            if result.get("status") not in ("graded", "timeout"):
                continue
            student, exercise = str(result["student_id"]), str(result["exercise"])
            for cell in result.get("manual", []):
                info = index.get(exercise, {}).get(str(cell.get("grade_id")), {})
                review = reviews.get((student, exercise, str(cell.get("grade_id"))), {})
                items.append(
                    {
                        "student_id": student,
                        "exercise": exercise,
                        "grade_id": str(cell.get("grade_id")),
                        "max_points": float(cell.get("max_points") or 0),
                        "answer": str(cell.get("answer") or ""),
                        "cell_type": str(info.get("cell_type", "markdown")),
                        "prompt": str(info.get("prompt", "")),
                        "rubric": str(info.get("rubric", "")),
                        "points": review.get("points", ""),
                        "comment": review.get("comment", ""),
                    }
                )
        items.sort(key=lambda i: (i["exercise"], i["grade_id"], i["student_id"]))
        comments: dict[tuple[str, str], Counter[str]] = {}
        for row in reviews.values():
            if row["comment"]:
                comments.setdefault((row["exercise"], row["grade_id"]), Counter())[row["comment"]] += 1
        for item in items:
            used = comments.get((str(item["exercise"]), str(item["grade_id"])), Counter())
            item["reusable"] = [text for text, _n in used.most_common(9)]
        return items

    def save(self, body: dict[str, Any]) -> dict[str, Any]:
        """Check and store one review; returns the progress.

        Raises:
            ValueError: an unknown answer, or points that are not a number from 0 to the maximum.
        """
        key = tuple(str(body.get(k, "")) for k in ("student_id", "exercise", "grade_id"))
        with self.lock:
            items = {(i["student_id"], i["exercise"], i["grade_id"]): i for i in self.items()}
            item = items.get(key)  # type: ignore[arg-type]
            if item is None:
                raise ValueError(f"no answer {'/'.join(key)} to review; grade the class again, then reload.")
            points = str(body.get("points", "")).strip()
            if points:
                try:
                    value = float(points)
                except ValueError:
                    value = math.nan
                if not (math.isfinite(value) and 0 <= value <= item["max_points"]):
                    raise ValueError(f"points must be a number from 0 to {item['max_points']:g}.")
            comment = str(body.get("comment", ""))[:MAX_COMMENT].replace("\r\n", "\n")
            save_review(self.scores, key[0], key[1], key[2], points, comment)
            reviewed = sum(1 for k, i in items.items() if (points if k == key else i["points"]))
        return {"saved": True, "reviewed": reviewed, "total": len(items)}


def _handler(data: ReviewData) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            return

        def _send(self, status: int, body: bytes, kind: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.send_header("X-Content-Type-Options", "nosniff")
            self.send_header(
                "Content-Security-Policy", "default-src 'self'; script-src 'unsafe-inline'; style-src 'unsafe-inline'"
            )
            self.end_headers()
            self.wfile.write(body)

        def _json(self, status: int, payload: Any) -> None:
            self._send(status, json.dumps(payload).encode(), "application/json")

        def _local(self) -> bool:
            """Only requests addressed to this server on loopback (a rebinding DNS name is refused)."""
            port = int(self.server.server_address[1])  # type: ignore[index]  # an (address, port) pair
            if self.headers.get("Host") in (f"127.0.0.1:{port}", f"localhost:{port}"):
                return True
            self._json(HTTPStatus.FORBIDDEN, {"error": f"open http://127.0.0.1:{port}/"})
            return False

        def do_GET(self) -> None:
            if not self._local():
                return
            if self.path in ("/", "/index.html"):
                self._send(HTTPStatus.OK, page_html(data.token).encode(), "text/html; charset=utf-8")
            elif self.path == "/api/items":
                self._json(HTTPStatus.OK, {"items": data.items()})
            else:
                self._json(HTTPStatus.NOT_FOUND, {"error": "not found"})

        def do_POST(self) -> None:
            if not self._local():
                return
            if self.path != "/api/review":
                self._json(HTTPStatus.NOT_FOUND, {"error": "not found"})
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self._json(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": "too large"})
                return
            try:
                body = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                self._json(HTTPStatus.BAD_REQUEST, {"error": "not JSON"})
                return
            if not isinstance(body, dict) or not secrets.compare_digest(str(body.get("token", "")), data.token):
                self._json(HTTPStatus.FORBIDDEN, {"error": "reload the review page (its token is stale)"})
                return
            try:
                self._json(HTTPStatus.OK, data.save(body))
            except ValueError as exc:
                self._json(HTTPStatus.BAD_REQUEST, {"error": str(exc)})

    return Handler


def make_server(grades: Path, port: int = 0) -> ThreadingHTTPServer:
    """A review server for ``grades`` on 127.0.0.1 (port 0: a free one); call ``serve_forever``.

    Raises:
        FileNotFoundError: ``grades`` has no results yet.
    """
    if not (grades / "results").is_dir():
        raise FileNotFoundError(f"{grades} has no results/; run mlops-course grade first (with --out {grades}).")
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(ReviewData(grades)))
    server.daemon_threads = True
    return server
