"""The instructor's summary: per exercise, the score distribution and per-test analytics.

Per test: its pass rate among graded submissions, and how often *otherwise strong*
submissions fail it (those earning at least ``STRONG`` of the points outside that test): a
test that strong submissions fail much more than the rest is likely a bad test (a wrong
expected value, a brittle check). Writes ``grades/summary.html`` and one
``grades/summary_<stem>.png`` per exercise.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from html import escape
from pathlib import Path
from typing import Any

from mlops_course.util import atomic_write_bytes, atomic_write_text

#: share of the points outside a test that makes a submission "otherwise strong"
STRONG = 0.8


def _plot(stem: str, scores: list[float], max_score: float) -> bytes:
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 3.5))
    top = max(max_score, max(scores, default=0), 1)
    ax.hist(scores, bins=min(20, max(5, len(set(scores)))), range=(0, top), color="#3a6ea5", edgecolor="white")
    ax.set_title(f"{stem}: score distribution ({len(scores)} submissions)")
    ax.set_xlabel(f"score (out of {max_score:g})")
    ax.set_ylabel("submissions")
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, metadata={"Software": None})
    plt.close(fig)
    return buffer.getvalue()


def summarize(results: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per exercise: scores, status counts, and test failure counts (most failed first)."""
    by_exercise: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in results:
        by_exercise[str(r.get("exercise"))].append(r)
    summary = {}
    for stem, rows in sorted(by_exercise.items()):
        failed: Counter[str] = Counter()
        for r in rows:
            if r.get("status") in ("graded", "timeout"):
                failed.update(t["grade_id"] for t in r.get("tests", []) if t.get("outcome") != "passed")
        summary[stem] = {
            "tests": per_test_analytics([r for r in rows if r.get("status") in ("graded", "timeout")]),
            "scores": [float(r.get("score") or 0) for r in rows],
            "max_score": max(float(r.get("max_score") or 0) for r in rows),
            "statuses": Counter(str(r.get("status")) for r in rows),
            "most_failed": failed.most_common(),
            "graded": sum(r.get("status") in ("graded", "timeout") for r in rows),
            "awaiting_review": sum(bool(r.get("pending_points")) for r in rows),
        }
    return summary


def per_test_analytics(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per test of graded submissions: pass rate, and failures among otherwise strong submissions.

    Returns:
        One dict per test (``grade_id, points, hidden, graded, pass_rate, strong, strong_failed,
        strong_fail_rate``), the tests strong submissions fail most first.
    """
    stats: dict[str, dict[str, Any]] = {}
    for r in rows:
        tests = r.get("tests", [])
        total = sum(float(t.get("max_points") or 0) for t in tests)
        earned = sum(float(t.get("points") or 0) for t in tests)
        for t in tests:
            gid = str(t.get("grade_id"))
            entry = stats.setdefault(
                gid,
                {
                    "grade_id": gid,
                    "points": float(t.get("max_points") or 0),
                    "hidden": bool(t.get("hidden")),
                    "graded": 0,
                    "passed": 0,
                    "strong": 0,
                    "strong_failed": 0,
                },
            )
            passed = t.get("outcome") == "passed"
            entry["graded"] += 1
            entry["passed"] += passed
            rest = total - float(t.get("max_points") or 0)
            if rest > 0 and (earned - float(t.get("points") or 0)) >= STRONG * rest:
                entry["strong"] += 1
                entry["strong_failed"] += not passed
    for entry in stats.values():
        entry["pass_rate"] = entry["passed"] / entry["graded"] if entry["graded"] else 0.0
        entry["strong_fail_rate"] = entry["strong_failed"] / entry["strong"] if entry["strong"] else 0.0
    return sorted(stats.values(), key=lambda e: (-e["strong_fail_rate"], e["pass_rate"], e["grade_id"]))


def _tests_table(tests: list[dict[str, Any]]) -> str:
    rows = "".join(
        f"<tr><td>{escape(t['grade_id'])}{' (hidden)' if t['hidden'] else ''}</td><td>{t['points']:g}</td>"
        f"<td>{t['pass_rate']:.0%}</td><td>{t['strong_failed']} / {t['strong']}</td>"
        f"<td>{'<b>check this test</b>' if t['strong'] >= 3 and t['strong_fail_rate'] >= 0.5 else ''}</td></tr>"
        for t in tests
    )
    return (
        "<h3>Per test</h3><p>Pass rate among graded submissions; failures among otherwise strong submissions "
        f"(at least {STRONG:.0%} of the other tests' points). A test strong submissions fail is likely a bad test.</p>"
        "<table><tr><th>test</th><th>points</th><th>pass rate</th><th>failed by strong</th><th></th></tr>"
        f"{rows or '<tr><td colspan=5>no graded submissions</td></tr>'}</table>"
    )


def write_summary(out: Path, results: list[dict[str, Any]]) -> Path:
    """Write ``out/summary.html`` and its plots; returns the HTML path."""
    sections = []
    for stem, info in summarize(results).items():
        image = f"summary_{stem}.png"
        atomic_write_bytes(out / image, _plot(stem, info["scores"], info["max_score"]))
        scores = info["scores"]
        mean = sum(scores) / len(scores) if scores else 0.0
        statuses = ", ".join(f"{escape(k)}: {v}" for k, v in sorted(info["statuses"].items()))
        failed_rows = "".join(
            f"<tr><td>{escape(gid)}</td><td>{n}</td><td>{n / max(info['graded'], 1):.0%}</td></tr>"
            for gid, n in info["most_failed"]
        )
        sections.append(
            f"<h2>{escape(stem)}</h2><p>{len(scores)} submissions ({statuses}); mean score {mean:.1f} / "
            f"{info['max_score']:g}"
            + (f"; {info['awaiting_review']} with written answers awaiting review" if info["awaiting_review"] else "")
            + f"</p><img src='{escape(image)}' alt='score distribution of {escape(stem)}'>"
            "<h3>Tests most often failed</h3><table><tr><th>test</th><th>failed</th><th>share of graded</th></tr>"
            f"{failed_rows or '<tr><td colspan=3>none</td></tr>'}</table>" + _tests_table(info["tests"])
        )
    html = (
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>Grading summary</title><style>"
        "body{font-family:system-ui,sans-serif;max-width:52rem;margin:2rem auto}td,th{padding:.3rem .8rem;"
        "text-align:left}</style></head><body><h1>Grading summary</h1>"
        + "".join(sections)
        + "<p>Per-student details: gradebook.csv, results/, feedback/.</p></body></html>\n"
    )
    path = out / "summary.html"
    atomic_write_text(path, html)
    return path
