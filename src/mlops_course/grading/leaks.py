"""The leak scan of the learners' edition: no line of an answer or a hidden test may reach it."""

from __future__ import annotations

import json
import re
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any

from mlops_course.grading.edition_files import MATERIAL, RELEASED_COPY, classify, localized

#: A line of an answer or hidden test shorter than this (stripped) is too common to call a leak.
MIN_SECRET_CHARS = 21
_LEAD = re.compile(r"^[\s#>*/-]+")
_MARKER = re.compile(r"^#+\s*(BEGIN|END) (SOLUTION|HIDDEN TESTS)\b", re.IGNORECASE)


def _cell_source(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _regions(source: str, begin: str, end: str) -> list[str]:
    """The lines between each ``begin`` and ``end`` marker line."""
    inside, lines = False, []
    for line in source.splitlines():
        if line.strip() == begin:
            inside = True
        elif line.strip() == end:
            inside = False
        elif inside:
            lines.append(line)
    return lines


def secret_lines(solutions: Path) -> dict[str, str]:
    """The non-trivial lines of the instructor notebooks' answers and hidden tests.

    A line counts when, stripped (of indentation and leading comment, quote or list marks,
    so a commented-out copy still matches), it is at least :data:`MIN_SECRET_CHARS` long and is not
    also a line of some instructor notebook outside its answers and hidden tests (a
    signature, an import, a visible test: what release shows learners anyway).

    Args:
        solutions: the instructor notebooks' folder.

    Returns:
        ``{stripped line: where it comes from}``.
    """
    from mlops_course.grading.format import BEGIN_HIDDEN, BEGIN_SOLUTION, END_HIDDEN, END_SOLUTION, nbgrader_meta

    hidden: dict[str, str] = {}
    shown: set[str] = set()
    for solution in sorted(solutions.glob("*.ipynb")):
        nb = json.loads(solution.read_text(encoding="utf-8"))
        for index, cell in enumerate(nb.get("cells", [])):
            meta = nbgrader_meta(cell)
            source = _cell_source(cell)
            secret: list[str] = []
            if meta.get("solution"):
                has_markers = any(line.strip() == BEGIN_SOLUTION for line in source.splitlines())
                secret += _regions(source, BEGIN_SOLUTION, END_SOLUTION) if has_markers else source.splitlines()
            if meta.get("grade"):
                secret += _regions(source, BEGIN_HIDDEN, END_HIDDEN)
            secret_set = {_norm(line) for line in secret}
            shown.update(_norm(line) for line in source.splitlines() if _norm(line) not in secret_set)
            for text in secret_set:
                if len(text) >= MIN_SECRET_CHARS:
                    hidden.setdefault(text, f"{solution.name} cell {index} ({meta.get('grade_id')})")
    return {line: origin for line, origin in hidden.items() if line not in shown}


def _texts(path: Path) -> list[str]:
    """The text a file shows: its decoded bytes, and for a notebook its cells' sources and text outputs."""
    data = path.read_bytes()
    texts = [data.decode("utf-8", errors="replace")]
    if path.suffix == ".ipynb":
        try:
            nb = json.loads(data)
        except (json.JSONDecodeError, UnicodeDecodeError):
            return texts
        for cell in nb.get("cells", []):
            texts.append(_cell_source(cell))
            for output in cell.get("outputs", []) or []:
                parts = [output.get("text", "")] + [
                    v for k, v in (output.get("data") or {}).items() if k.startswith(("text/", "application/json"))
                ]
                texts.extend("".join(p) if isinstance(p, list) else str(p) for p in parts)
    return texts


def _norm(line: str) -> str:
    """A line as compared: without indentation and leading comment, quote or list marks."""
    return _LEAD.sub("", line).strip()


def _lines(path: Path) -> set[str]:
    return {line.strip() for text in _texts(path) for line in text.splitlines()}


def scan_edition(edition: Path, source: Path, lang: str = "en") -> tuple[list[str], list[str]]:
    """Check an edition against the instructor's checkout it was published from.

    Leaks (the first list; publish refuses them): a line of an answer or hidden test (see
    :func:`secret_lines`) in any file (in its cells and outputs, for a notebook), unless the
    same file in ``source`` has it too; a ``BEGIN SOLUTION`` / ``BEGIN HIDDEN TESTS`` marker
    line; a released exercise missing or different from ``exercises/``; a path the deny list
    keeps out. Only course material (:data:`MATERIAL`) can have a line excused by its source.

    Overlaps (the second list; for review): answer lines that course material shipped as it
    is in ``source`` also holds, e.g. an API idiom a module notebook teaches.

    Args:
        edition: the published folder.
        source: the instructor's checkout (``solutions/``, ``exercises/`` and the shipped files).
        lang: the edition's language; a translated edition's exercises are ``exercises/<lang>/``.
    """
    leaks: list[str] = []
    overlaps: list[str] = []
    sub = "" if lang == "en" else lang
    solutions, exercises = source / "solutions" / sub, source / "exercises" / sub
    # Answers in every language: an English answer line in a translated edition is a leak too.
    secrets = secret_lines(source / "solutions")
    for folder in sorted(p for p in (source / "solutions").iterdir() if p.is_dir()):
        secrets = {**secret_lines(folder), **secrets}
    for solution in sorted(solutions.glob("*.ipynb")):
        for copy_ in (f"exercises/{solution.name}", f"{RELEASED_COPY}/{solution.name}"):
            shipped, expected = edition / copy_, exercises / solution.name
            if not shipped.is_file():
                leaks.append(f"{copy_}: missing from the edition")
            elif not expected.is_file() or shipped.read_bytes() != localized(expected.read_bytes(), lang):
                leaks.append(f"{copy_}: differs from exercises/{sub + '/' if sub else ''}{solution.name}")
    for path in sorted(p for p in edition.rglob("*") if p.is_file() and ".git" not in p.relative_to(edition).parts):
        rel = path.relative_to(edition).as_posix()
        ships, reason = classify(rel)
        if rel.split("/")[0] == "solutions" or not ships and not _added_by_publish(rel):
            leaks.append(f"{rel}: the edition must not contain it ({reason})")
        lines = _lines(path)
        markers = sorted(line for line in lines if _MARKER.match(line.lstrip('"')))
        if markers:
            leaks.append(f"{rel}: has a marker line {markers[0][:80]!r}")
        found = {_norm(line) for line in lines} & secrets.keys()
        original = source / _source_of(rel, lang)
        verbatim = ships and any(fnmatchcase(rel, m) for m in MATERIAL) and original.is_file()
        excused = {_norm(line) for line in _lines(original)} & found if verbatim and found else set()
        for secret in sorted(found):
            entry = f"{rel}: a line of {secrets[secret]}: {secret[:80]!r}"
            (overlaps if secret in excused else leaks).append(entry)
    return leaks, overlaps


def find_leaks(edition: Path, source: Path) -> list[str]:
    """The leaks :func:`scan_edition` finds; empty when the edition is clean."""
    return scan_edition(edition, source)[0]


def _source_of(rel: str, lang: str) -> str:
    """The checkout's path of an edition file (a translated edition ships translations in English places)."""
    if lang == "en":
        return rel
    parts = rel.split("/")
    if rel == "START_HERE.md":
        return f"START_HERE.{lang}.md"
    if len(parts) == 2 and parts[0] in ("notebooks", "exercises"):
        return f"{parts[0]}/{lang}/{parts[1]}"
    return rel


def _added_by_publish(rel: str) -> bool:
    return rel == "README.md" or rel.startswith(f"{RELEASED_COPY}/")


# --- the command ------------------------------------------------------------------------------
