"""Build the translated notebooks from the English source and the catalogues.

``notebooks/X.ipynb`` + ``translations/pt-BR/notebooks/X.yaml`` → ``notebooks/pt-BR/X.ipynb``
(and the same for ``solutions/``). Code is the English code with only its comments and
shown strings replaced; cell ids and grade ids are the English ones; the notebook's
metadata says its language. A cell whose built source did not change keeps its stored
outputs; the others are cleared, and the notebook must be executed again
(``mlops-course translate build`` does that unless told ``--no-execute``).
"""

from __future__ import annotations

import copy
from pathlib import Path

import nbformat

from mlops_course.i18n.catalogue import Catalogue, catalogue_path, english_sources, problems
from mlops_course.i18n.units import apply, cell_units
from mlops_course.util import atomic_write_bytes


def target_path(root: Path, language: str, source: Path) -> Path:
    """Where the translation of ``source`` is written: a language folder beside it."""
    return source.parent / language / source.name


def translated_notebook(
    english: nbformat.NotebookNode, catalogue: Catalogue, existing: nbformat.NotebookNode | None
) -> nbformat.NotebookNode:
    """The translated twin of ``english``; outputs kept from ``existing`` where the cell is unchanged."""
    notebook = copy.deepcopy(english)
    previous = {c.get("id"): c for c in existing.cells} if existing is not None else {}
    for cell in notebook.cells:
        units = cell_units(cell.cell_type, cell.source)
        if units:
            cell.source = apply(cell.source, units, catalogue.translations(cell.get("id", "")))
        if cell.cell_type == "code":
            old = previous.get(cell.get("id"))
            if old is not None and old.source == cell.source:
                cell.outputs, cell.execution_count = old.outputs, old.get("execution_count")
            else:
                cell.outputs, cell.execution_count = [], None
    notebook.metadata.setdefault("mlops_course", {})["language"] = catalogue.language
    return notebook


def _bytes(notebook: nbformat.NotebookNode) -> bytes:
    return (nbformat.writes(notebook) + "\n").encode("utf-8")


def build(root: Path, language: str, sources: list[Path] | None = None) -> tuple[list[Path], list[str]]:
    """Write every translated notebook whose catalogue is complete.

    Returns (notebooks written or changed, problems that kept a notebook from being built).
    """
    written: list[Path] = []
    blocking: list[str] = []
    for source in sources or english_sources(root):
        english = nbformat.read(source, as_version=4)
        catalogue = Catalogue.load(catalogue_path(root, language, source), language, str(source.relative_to(root)))
        found = problems(catalogue, english)
        if found:
            blocking.extend(found)
            continue
        target = target_path(root, language, source)
        existing = nbformat.read(target, as_version=4) if target.exists() else None
        built = translated_notebook(english, catalogue, existing)
        data = _bytes(built)
        if not target.exists() or target.read_bytes() != data:
            target.parent.mkdir(parents=True, exist_ok=True)
            atomic_write_bytes(target, data)
            written.append(target)
    return written, blocking


def out_of_date(root: Path, language: str) -> list[str]:
    """Translated notebooks whose cell sources differ from what the catalogues build now."""
    found: list[str] = []
    for source in english_sources(root):
        target = target_path(root, language, source)
        english = nbformat.read(source, as_version=4)
        catalogue = Catalogue.load(catalogue_path(root, language, source), language, str(source.relative_to(root)))
        if not target.exists():
            found.append(f"{target.relative_to(root)} is missing; run `mlops-course translate build --lang {language}`")
            continue
        built = translated_notebook(english, catalogue, None)
        committed = nbformat.read(target, as_version=4)
        if [(c.get("id"), c.cell_type, c.source) for c in built.cells] != [
            (c.get("id"), c.cell_type, c.source) for c in committed.cells
        ] or committed.metadata.get("mlops_course", {}).get("language") != language:
            found.append(
                f"{target.relative_to(root)} differs from its English source and catalogue; "
                f"run `mlops-course translate build --lang {language}`"
            )
    return found
