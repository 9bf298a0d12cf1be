"""Release: stubs, hidden tests, outputs, read-only cells, determinism; exercises/ is up to date."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

from mlops_course.grading.format import FormatError, parse_spec
from mlops_course.grading.release import (
    HIDDEN_NOTE,
    release_folder,
    release_notebook,
    released_bytes,
    strip_hidden,
    stub_source,
)
from mlops_course.i18n import LANGUAGES
from mlops_course.paths import PROJECT_ROOT

ROOT = PROJECT_ROOT


def test_code_stub_keeps_indentation_and_surrounding_lines() -> None:
    source = "def f(x):\n    '''doc'''\n    ### BEGIN SOLUTION\n    return x + 1\n    ### END SOLUTION\n# after"
    assert stub_source(source, "code") == (
        "def f(x):\n    '''doc'''\n    # YOUR CODE HERE\n    raise NotImplementedError()\n# after"
    )


def test_markdown_and_unmarked_solution_cells_are_replaced_whole() -> None:
    assert stub_source("My answer is 42.", "markdown") == "YOUR ANSWER HERE"
    assert stub_source("x = 42", "code") == "# YOUR CODE HERE\nraise NotImplementedError()"
    assert "42" not in stub_source("Intro\n### BEGIN SOLUTION\n42\n### END SOLUTION", "markdown")


def test_hidden_tests_are_removed() -> None:
    source = "assert f(1) == 2\n### BEGIN HIDDEN TESTS\nassert f(5) == 6\n### END HIDDEN TESTS"
    released = strip_hidden(source)
    assert "f(5)" not in released and "assert f(1) == 2" in released and HIDDEN_NOTE in released


def _instructor() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    sol = nbformat.v4.new_code_cell(
        "### BEGIN SOLUTION\nx = 1\n### END SOLUTION",
        execution_count=3,
        outputs=[nbformat.v4.new_output("stream", text="1\n")],
    )
    sol.metadata = {"nbgrader": {"schema_version": 3, "grade_id": "s", "solution": True}, "execution": {"t": 1}}
    test = nbformat.v4.new_code_cell("assert x == 1\n### BEGIN HIDDEN TESTS\nassert x > 0\n### END HIDDEN TESTS")
    test.metadata = {"nbgrader": {"schema_version": 3, "grade_id": "t", "grade": True, "locked": True, "points": 2}}
    nb.cells = [sol, test]
    return nb


def test_release_clears_outputs_and_locks_cells() -> None:
    released = release_notebook(_instructor())
    sol, test = released.cells
    assert sol.outputs == [] and sol.execution_count is None and "execution" not in sol.metadata
    assert "x = 1" not in sol.source and "editable" not in sol.metadata
    assert test.metadata["editable"] is False and test.metadata["deletable"] is False
    assert "x > 0" not in test.source


def test_release_is_deterministic_and_reports_stale_files(tmp_path: Path) -> None:
    source, out = tmp_path / "solutions", tmp_path / "exercises"
    source.mkdir()
    nbformat.write(_instructor(), source / "ex9.ipynb")
    (out).mkdir()
    (out / "old.ipynb").write_text("{}")
    written, stale = release_folder(source, out)
    first = written[0].read_bytes()
    release_folder(source, out)
    assert written[0].read_bytes() == first == released_bytes(source / "ex9.ipynb")
    assert first.endswith(b"}\n")
    assert stale == [out / "old.ipynb"]


def test_format_errors_name_the_cell() -> None:
    nb = _instructor()
    nb.cells[1].metadata["nbgrader"]["grade_id"] = "s"
    with pytest.raises(FormatError, match="used twice"):
        parse_spec(nb, "ex9")
    nb = _instructor()
    del nb.cells[1].metadata["nbgrader"]["points"]
    nb.cells[1].metadata["nbgrader"]["points"] = -1
    with pytest.raises(FormatError, match="points"):
        parse_spec(nb, "ex9")
    nb = _instructor()
    nb.cells[1].metadata["nbgrader"]["schema_version"] = 2
    with pytest.raises(FormatError, match="schema_version"):
        parse_spec(nb, "ex9")
    nb = _instructor()
    nb.cells[1].source = "# NBVAL_SKIP\nassert x == 1"
    with pytest.raises(FormatError, match="nbval"):
        parse_spec(nb, "ex9")


# Every language: solutions/ -> exercises/, solutions/pt-BR/ -> exercises/pt-BR/.
FOLDERS = ["", *(lang for lang in LANGUAGES[1:] if (ROOT / "solutions" / lang).is_dir())]
SOLUTIONS = sorted(p for sub in FOLDERS for p in (ROOT / "solutions" / sub).glob("*.ipynb"))


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.relative_to(ROOT / "solutions").as_posix())
def test_exercise_is_exactly_the_release_of_its_solution(solution: Path) -> None:
    exercise = ROOT / "exercises" / solution.relative_to(ROOT / "solutions")
    assert exercise.exists(), f"{exercise} is missing: run `mlops-course release`"
    assert exercise.read_bytes() == released_bytes(solution), f"{exercise} is stale: run `mlops-course release`"


@pytest.mark.parametrize("sub", FOLDERS, ids=lambda sub: sub or "en")
def test_exercises_folder_has_no_extra_notebooks(sub: str) -> None:
    solutions = {p.name for p in (ROOT / "solutions" / sub).glob("*.ipynb")}
    exercises = {p.name for p in (ROOT / "exercises" / sub).glob("*.ipynb")}
    assert exercises == solutions


def test_a_translated_exercise_speaks_its_language() -> None:
    nb = _instructor()
    nb.metadata["mlops_course"] = {"language": "pt-BR"}
    released = release_notebook(nb)
    text = "\n".join(c.source for c in released.cells)
    assert "# SEU CÓDIGO AQUI" in text and "# YOUR CODE HERE" not in text


def _with_cell(source: str, cell_type: str = "code", **nbgrader: object) -> nbformat.NotebookNode:
    """The small instructor notebook with one more cell (nbgrader metadata only when given)."""
    nb = _instructor()
    cell = nbformat.v4.new_code_cell(source) if cell_type == "code" else nbformat.v4.new_markdown_cell(source)
    if nbgrader:
        cell.metadata = {"nbgrader": {"schema_version": 3, "grade_id": "extra", **nbgrader}}
    nb.cells.insert(1, cell)
    return nb


@pytest.mark.parametrize(
    ("source", "cell_type", "nbgrader", "message"),
    [
        ("### BEGIN SOLUTION\nanswer = 42\n### END SOLUTION", "code", {}, r"cell 1 \[code\]: .*not a solution cell"),
        ("### BEGIN SOLUTION\nThe answer.\n### END SOLUTION", "markdown", {}, r"cell 1 \[markdown\]: .*solution"),
        (
            "x = 1\n### BEGIN SOLUTION\nanswer = 42\n### END SOLUTION",
            "code",
            {"locked": True},
            r"cell 1 \(extra\) \[code\]: .*not a solution cell",
        ),
        (
            "assert True\n### BEGIN HIDDEN TESTS\nassert secret()\n### END HIDDEN TESTS",
            "code",
            {},
            r"cell 1 \[code\]: .*not a test cell",
        ),
        (
            "### BEGIN SOLUTION\nx = 1\n### END SOLUTION\n### BEGIN HIDDEN TESTS\nassert x\n### END HIDDEN TESTS",
            "code",
            {"solution": True},
            r"cell 1 \(extra\) \[code\]: .*HIDDEN TESTS.*not a test cell",
        ),
    ],
    ids=[
        "solution-in-plain-code",
        "solution-in-plain-markdown",
        "solution-in-locked-cell",
        "hidden-in-plain-code",
        "hidden-in-solution",
    ],
)
def test_release_refuses_misplaced_markers_naming_the_cell(
    tmp_path: Path, source: str, cell_type: str, nbgrader: dict, message: str
) -> None:
    nb = _with_cell(source, cell_type, **nbgrader)
    with pytest.raises(FormatError, match=message):
        release_notebook(nb, "ex9")
    source_dir, out = tmp_path / "solutions", tmp_path / "exercises"
    source_dir.mkdir()
    nbformat.write(nb, source_dir / "ex9.ipynb")
    with pytest.raises(FormatError, match=r"ex9 cell 1"):
        release_folder(source_dir, out)
    assert not (out / "ex9.ipynb").exists(), "nothing is written for a notebook release refuses"


def test_release_refuses_misplaced_markers_through_the_command(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from mlops_course.cli import main

    source_dir = tmp_path / "solutions"
    source_dir.mkdir()
    nbformat.write(_with_cell("### BEGIN SOLUTION\nanswer = 42\n### END SOLUTION"), source_dir / "ex9.ipynb")
    code = main(["release", "--source", str(source_dir), "--out", str(tmp_path / "exercises")])
    assert code == 2
    err = capsys.readouterr().err
    assert "release stopped" in err and "ex9 cell 1" in err and "solution cell" in err


def test_markers_in_their_own_cells_still_release() -> None:
    nb = _with_cell("Explain markers: ``### BEGIN SOLUTION`` inside a sentence is prose.", "markdown")
    released = release_notebook(nb, "ex9")
    assert "inside a sentence" in released.cells[1].source and "x = 1" not in released.cells[0].source


def test_every_check_or_submit_command_in_a_notebook_names_a_file_that_exists() -> None:
    """A learner copies these commands: each must name the notebook they are working in (exercises/pt-BR/x in Portuguese)."""
    import re

    named = []
    for folder in ("exercises", "notebooks"):
        for notebook in sorted((PROJECT_ROOT / folder).rglob("*.ipynb")):
            for path in re.findall(r"mlops-course (?:check|submit) (\S+\.ipynb)", notebook.read_text(encoding="utf-8")):
                named.append(path)
                assert (PROJECT_ROOT / path).is_file(), (
                    f"{notebook.relative_to(PROJECT_ROOT)} names {path}, which does not exist"
                )
                language = "pt-BR" if "pt-BR" in notebook.parts else "en"
                assert ("/pt-BR/" in path) == (language == "pt-BR"), f"{notebook.name} ({language}) names {path}"
    assert named
