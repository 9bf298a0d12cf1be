"""Release: generate the learner's ``exercises/`` from the instructor's ``solutions/``.

Answers between ``### BEGIN SOLUTION`` and ``### END SOLUTION`` become a stub (code:
``# YOUR CODE HERE`` + ``raise NotImplementedError()`` at the same indentation; markdown:
``YOUR ANSWER HERE``); a solution cell without markers is replaced whole. Hidden tests are
removed, outputs and execution counts cleared, timing metadata dropped, and locked cells
marked read-only for JupyterLab. The bytes are deterministic: nbformat's sorted-key JSON
with a trailing newline.
"""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from mlops_course.grading.format import (
    BEGIN_HIDDEN,
    BEGIN_SOLUTION,
    END_HIDDEN,
    END_SOLUTION,
    FormatError,
    nbgrader_meta,
    read_instructor,
)
from mlops_course.i18n import LANGUAGES, tr
from mlops_course.i18n.messages import MESSAGES
from mlops_course.util import atomic_write_bytes

CODE_STUB = ("# YOUR CODE HERE", "raise NotImplementedError()")
MARKDOWN_STUB = "YOUR ANSWER HERE"
HIDDEN_NOTE = "# (hidden tests of this cell run when your exercise is graded)"
# The note in every language (a released notebook says it in its own language).
HIDDEN_NOTES = tuple(MESSAGES["release.hidden_note"].values())
_DROPPED_CELL_METADATA = ("execution", "collapsed", "scrolled", "ExecuteTime")


def _indent(line: str) -> str:
    return line[: len(line) - len(line.lstrip())]


def _replace_blocks(lines: list[str], begin: str, end: str, replacement: tuple[str, ...]) -> str:
    """``lines`` with each ``begin``..``end`` block (markers included) replaced by
    ``replacement``, indented like the block's first marker."""
    out: list[str] = []
    inside = False
    for line in lines:
        if line.strip() == begin:
            inside = True
            out.extend(_indent(line) + r for r in replacement)
        elif line.strip() == end:
            inside = False
        elif not inside:
            out.append(line)
    return "\n".join(out)


def stub_source(source: str, cell_type: str, lang: str = "en") -> str:
    """The learner's version of a solution cell's source.

    Args:
        source: the instructor's cell source.
        cell_type: ``code`` or ``markdown``.
        lang: the notebook's language (the stub's comment is written in it).

    Returns:
        The source with every solution block replaced by the stub.
    """
    code_stub = (tr("release.code_stub", lang), CODE_STUB[1])
    stub = code_stub if cell_type == "code" else (tr("release.markdown_stub", lang),)
    lines = source.splitlines()
    if not any(line.strip() == BEGIN_SOLUTION for line in lines):
        return "\n".join(stub)
    return _replace_blocks(lines, BEGIN_SOLUTION, END_SOLUTION, stub)


def strip_hidden(source: str, lang: str = "en") -> str:
    """A test cell's source without its hidden-tests blocks (a one-line note stays in their place)."""
    return _replace_blocks(source.splitlines(), BEGIN_HIDDEN, END_HIDDEN, (tr("release.hidden_note", lang),))


def check_marker_placement(nb: NotebookNode, name: str = "notebook") -> None:
    """Refuse solution or hidden-test regions where release would not remove them (as nbgrader does).

    A ``### BEGIN SOLUTION`` region belongs in a solution cell and a ``### BEGIN HIDDEN TESTS``
    region in a test cell; anywhere else release would copy it verbatim into the exercise.

    Args:
        nb: the instructor notebook.
        name: how to name the notebook in the message (its stem).

    Raises:
        FormatError: a misplaced region; the message names the cell and what to do.
    """
    for index, cell in enumerate(nb.cells):
        meta = nbgrader_meta(cell)
        lines = {line.strip() for line in str(cell.get("source", "")).splitlines()}
        grade_id = meta.get("grade_id")
        where = f"{name} cell {index}" + (f" ({grade_id})" if grade_id else "") + f" [{cell.cell_type}]"
        if not meta.get("solution") and lines & {BEGIN_SOLUTION, END_SOLUTION}:
            raise FormatError(
                f"{where}: a {BEGIN_SOLUTION!r} region in a cell that is not a solution cell; release would copy "
                "the answer into the exercise. Mark the cell as a solution cell (metadata.nbgrader.solution: true) "
                "or remove the markers."
            )
        if not meta.get("grade") and lines & {BEGIN_HIDDEN, END_HIDDEN}:
            raise FormatError(
                f"{where}: a {BEGIN_HIDDEN!r} region in a cell that is not a test cell; release would copy the "
                "hidden tests into the exercise. Move them into a test cell (grade: true, locked: true, points) "
                "or remove the markers."
            )


def release_notebook(nb: NotebookNode, name: str = "notebook") -> NotebookNode:
    """The learner's version of an instructor notebook (the input is not modified).

    Raises:
        FormatError: a solution or hidden-tests region outside its kind of cell.
    """
    check_marker_placement(nb, name)
    lang = str((nb.metadata.get("mlops_course") or {}).get("language") or "en")
    out = copy.deepcopy(nb)
    for cell in out.cells:
        for key in _DROPPED_CELL_METADATA:
            cell.metadata.pop(key, None)
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
        meta = nbgrader_meta(cell)
        if meta.get("solution"):
            cell.source = stub_source(cell.source, cell.cell_type, lang)
        if meta.get("grade"):
            cell.source = strip_hidden(cell.source, lang)
        if meta.get("locked"):
            cell.metadata["editable"] = False
            cell.metadata["deletable"] = False
    return out


def notebook_bytes(nb: NotebookNode) -> bytes:
    """Deterministic bytes of a notebook: nbformat's JSON with a trailing newline."""
    text = nbformat.writes(nb)
    return (text if text.endswith("\n") else text + "\n").encode("utf-8")


def released_bytes(solution_path: Path) -> bytes:
    """What release writes for one instructor notebook (checks its format first)."""
    nb, _spec, _data = read_instructor(solution_path)
    return notebook_bytes(release_notebook(nb, solution_path.stem))


def release_folder(source: Path, out: Path) -> tuple[list[Path], list[Path]]:
    """Release every ``source/*.ipynb`` into ``out/``, and each translation folder
    ``source/<language>/`` (e.g. ``solutions/pt-BR/``) into ``out/<language>/``.

    Args:
        source: the instructor notebooks' folder.
        out: the learner notebooks' folder (created if missing).

    Returns:
        ``(written, stale)``: the files written, and notebooks in ``out`` with no source
        (reported, never deleted: they might hold someone's work).
    """
    written: list[Path] = []
    stale: list[Path] = []
    folders = [(source, out)] + [
        (source / lang, out / lang) for lang in LANGUAGES[1:] if any((source / lang).glob("*.ipynb"))
    ]
    for source_dir, out_dir in folders:
        solutions = sorted(source_dir.glob("*.ipynb"))
        out_dir.mkdir(parents=True, exist_ok=True)
        for path in solutions:
            target = out_dir / path.name
            atomic_write_bytes(target, released_bytes(path))
            written.append(target)
        names = {p.name for p in solutions}
        stale.extend(sorted(p for p in out_dir.glob("*.ipynb") if p.name not in names))
    return written, stale
