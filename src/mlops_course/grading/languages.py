"""Exercises in more than one language: ``solutions/<language>/<stem>.ipynb`` beside the English.

A translated instructor notebook is built from the English one (``mlops-course translate
build``): same cells, same grade ids and points, only its text translated. A submission is
graded against the instructor notebook of its own language (its metadata
``mlops_course.language``), and its feedback is written in that language.
"""

from __future__ import annotations

from pathlib import Path

from nbformat import NotebookNode

from mlops_course.grading.format import ExerciseSpec, FormatError, read_instructor
from mlops_course.i18n import DEFAULT, LANGUAGES, normalise


def submission_language(notebook: NotebookNode) -> str:
    """The language a submitted notebook declares (English when it declares none or an unknown one)."""
    declared = (notebook.metadata.get("mlops_course") or {}).get("language")
    try:
        return normalise(str(declared)) if declared else DEFAULT
    except ValueError:
        return DEFAULT


def _shape(spec: ExerciseSpec) -> list[tuple[str, str, float, bool, bool]]:
    return [(c.grade_id, c.cell_type, c.points, c.solution, c.grade) for c in spec.cells]


def translated_instructor_notebooks(
    source: Path, english: dict[str, ExerciseSpec]
) -> dict[str, dict[str, tuple[NotebookNode, ExerciseSpec, bytes]]]:
    """``{stem: {language: (notebook, spec, bytes)}}`` for every translation in ``source/<language>/``.

    Raises:
        FormatError: a translation without an English twin, or whose graded cells differ from it.
    """
    found: dict[str, dict[str, tuple[NotebookNode, ExerciseSpec, bytes]]] = {}
    for lang in LANGUAGES[1:]:
        for path in sorted((source / lang).glob("*.ipynb")):
            if path.stem not in english:
                raise FormatError(f"{path} has no English instructor notebook {path.stem}.ipynb in {source}.")
            notebook, spec, data = read_instructor(path)
            if _shape(spec) != _shape(english[path.stem]):
                raise FormatError(
                    f"{path}: its graded cells (grade ids, points, kinds) differ from {source / path.name}; "
                    f"rebuild it from the English: mlops-course translate build --lang {lang} {path.stem}"
                )
            found.setdefault(path.stem, {})[lang] = (notebook, spec, data)
    return found
