"""``mlops-course similarity``: a renamed copy ranks first, handed-out code does not count,
and 300 learners x 6 exercises take under a minute."""

from __future__ import annotations

import csv
import random
import subprocess
import sys
import time
from pathlib import Path

from mlops_course.grading.release import notebook_bytes
from mlops_course.grading.similarity import code_tokens, similarity

from helpers import manual_exercise as mx

CLI = str(Path(sys.executable).parent / "mlops-course")

ORIGINAL = '''def double(values):
    """Twice each value."""
    result = []
    for value in values:  # walk the list
        if value is None:
            continue
        result.append(value * 2)
    total = sum(result)
    return result, total
'''
RENAMED = """def double(xs):
    # my own work
    out=[]
    for x in xs:
        if x is None:
            continue
        out.append(x*2)
    s = sum(out)
    return out, s
"""
OTHERS = [
    "def double(values):\n    return [v * 2 for v in values if v is not None], None\n",
    "import numpy as np\n\ndef double(values):\n    arr = np.asarray([v for v in values if v is not None])\n"
    "    doubled = arr * 2\n    return list(doubled), float(doubled.sum())\n",
    "def double(values):\n    doubled = list(map(lambda v: v + v, filter(None, values)))\n"
    "    return doubled, sum(doubled)\n",
    "def double(values):\n    i = 0\n    out = []\n    while i < len(values):\n        if values[i] is not None:\n"
    "            out += [values[i] * 2]\n        i += 1\n    return out, sum(out)\n",
]


def _class(tmp_path: Path) -> tuple[Path, Path]:
    source = mx.write_source(tmp_path / "source")
    subs = tmp_path / "subs"
    mx.write_submission(subs, "orig", mx.answered(ORIGINAL, "We test every risk with a check."))
    mx.write_submission(subs, "copier", mx.answered(RENAMED, "We test every risk with a check."))
    for index, code in enumerate(OTHERS):
        mx.write_submission(subs, f"honest{index}", mx.answered(code, f"My own plan number {index} for the data."))
    mx.write_submission(subs, "untouched_a", notebook_bytes(mx.release_notebook(mx.instructor())))
    mx.write_submission(subs, "untouched_b", notebook_bytes(mx.release_notebook(mx.instructor())))
    return source, subs


def test_normalised_tokens_ignore_names_comments_spacing_and_strings() -> None:
    assert code_tokens("total = a+b  # sum\n") == code_tokens("s=x + y")
    assert code_tokens("df.groupby('a')") != code_tokens("df.merge('a')"), "attribute names are kept"
    assert code_tokens("x = 'one'") == code_tokens('y = "two"')


def test_renamed_copy_ranks_first_and_handed_out_code_does_not_count(tmp_path: Path) -> None:
    source, subs = _class(tmp_path)
    rows = similarity(subs, source, tmp_path / "out")
    assert {rows[0][0], rows[0][1]} == {"orig", "copier"} and rows[0][3] > 0.8, rows[:3]
    assert rows[0][3] > 2 * rows[1][3], rows[:3]
    assert not any({"untouched_a", "untouched_b"} == {a, b} for a, b, _e, _s in rows), "the stub is not a match"
    with (tmp_path / "out" / "similarity.csv").open() as handle:
        written = list(csv.DictReader(handle))
    assert list(written[0]) == ["student_a", "student_b", "exercise", "similarity"]
    assert [float(r["similarity"]) for r in written] == sorted((float(r["similarity"]) for r in written), reverse=True)
    html = (tmp_path / "out" / "similarity.html").read_text()
    assert "copier" in html and "<span class='same'>" in html


def _random_code(rng: random.Random, lines: int) -> str:
    verbs = ["append", "extend", "groupby", "merge", "fit", "predict", "sum", "mean", "split", "join"]
    out = []
    for _ in range(lines):
        pick = rng.random()
        if pick < 0.3:
            out.append(f"x{rng.randint(0, 9)} = df.{rng.choice(verbs)}({rng.randint(0, 99)})")
        elif pick < 0.6:
            out.append(f"for i in range({rng.randint(1, 50)}):\n    total += i * {rng.randint(2, 9)}")
        else:
            out.append(f"if value > {rng.randint(0, 9)}:\n    result.{rng.choice(verbs)}(value)")
    return "\n".join(out)


def test_300_learners_by_6_exercises_in_under_a_minute(tmp_path: Path) -> None:
    rng = random.Random(16)
    source = tmp_path / "source"
    source.mkdir()
    subs = tmp_path / "subs"
    stems = [f"exm{n}" for n in range(6)]
    for stem in stems:
        nb = mx.instructor()
        nb.metadata["mlops_course"]["exercise"] = stem
        (source / f"{stem}.ipynb").write_bytes(notebook_bytes(nb))
    for student in range(300):
        for stem in stems:
            nb = mx.release_notebook(mx.instructor())
            nb.metadata["mlops_course"]["exercise"] = stem
            nb.cells[1].source = _random_code(rng, 25)
            nb.cells[3].source = " ".join(rng.choice(["data", "test", "risk", "model", "plan"]) for _ in range(60))
            nb.cells[4].source = _random_code(rng, 10)
            folder = subs / f"s{student:03d}"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{stem}.ipynb").write_bytes(notebook_bytes(nb))
    started = time.perf_counter()
    done = subprocess.run(
        [CLI, "similarity", str(subs), "--source", str(source), "--out", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    elapsed = time.perf_counter() - started
    assert done.returncode == 0, done.stderr
    assert elapsed < 60, f"similarity took {elapsed:.1f} s for 300 learners x 6 exercises"
    print(f"similarity: 300 learners x 6 exercises in {elapsed:.1f} s")
