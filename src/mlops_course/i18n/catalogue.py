"""Translation catalogues: one YAML file per English notebook, beside the single English source.

``translations/<lang>/<folder>/<notebook stem>.yaml`` holds, for each cell id, a list of
entries ``{key, en, pt}``: the hash of the English text, the English text itself (for the
translator's eyes) and its translation. ``update`` adds an empty entry for every new
English unit and moves entries whose English is gone under ``stale:``, with their old
text, so a translator sees what changed. ``problems`` lists what is missing, stale or
unusable; CI fails while the list is not empty.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import yaml

from mlops_course.i18n.units import Unit, cell_units, text_hash
from mlops_course.util import atomic_write_bytes

# The notebooks that have a translation, relative to the course root.
SOURCE_FOLDERS = ("notebooks", "solutions")
TRANSLATIONS = "translations"


class _BlockDumper(yaml.SafeDumper):
    """Writes multi-line text as YAML block scalars, which a translator edits comfortably."""


def _text_representer(dumper: yaml.SafeDumper, text: str) -> yaml.ScalarNode:
    if "\n" in text:
        return dumper.represent_scalar("tag:yaml.org,2002:str", text, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", text)


_BlockDumper.add_representer(str, _text_representer)


@dataclass
class Catalogue:
    """The translations of one notebook into one language."""

    path: Path
    language: str
    source: str
    cells: dict[str, list[dict[str, str]]] = field(default_factory=dict)
    stale: dict[str, list[dict[str, str]]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path, language: str, source: str) -> Catalogue:
        """Read a catalogue; a missing file is an empty catalogue."""
        if not path.exists():
            return cls(path, language, source)
        try:
            data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as error:
            raise ValueError(f"{path}: not valid YAML ({error}); fix the file and run the command again.") from None
        if not isinstance(data, dict) or not isinstance(data.get("cells", {}), dict):
            raise ValueError(f"{path}: expected a mapping with 'cells:' by cell id; see translations/README.md.")
        return cls(path, language, source, dict(data.get("cells") or {}), dict(data.get("stale") or {}))

    def save(self) -> None:
        data: dict[str, Any] = {"language": self.language, "source": self.source, "cells": self.cells}
        if self.stale:
            data["stale"] = self.stale
        text = yaml.dump(data, Dumper=_BlockDumper, allow_unicode=True, sort_keys=False, width=1000)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(self.path, text.encode("utf-8"))

    def translations(self, cell_id: str) -> dict[str, str]:
        """Key → translated text for one cell (entries with an empty translation are left out)."""
        return {e["key"]: e["pt"] for e in self.cells.get(cell_id, []) if isinstance(e, dict) and e.get("pt")}


def catalogue_path(root: Path, language: str, source: Path) -> Path:
    """Where the catalogue of ``source`` (a path under ``root``) lives."""
    relative = source.resolve().relative_to(root.resolve())
    return root / TRANSLATIONS / language / relative.parent / f"{relative.stem}.yaml"


def english_sources(root: Path) -> list[Path]:
    """Every English notebook that has a translation: the modules and the instructor's exercises."""
    return sorted(p for folder in SOURCE_FOLDERS for p in (root / folder).glob("*.ipynb"))


def notebook_units(notebook: nbformat.NotebookNode) -> list[tuple[str, str, list[Unit]]]:
    """(cell id, cell type, units) for every cell of a notebook that has something to translate."""
    out = []
    for cell in notebook.cells:
        units = cell_units(cell.cell_type, cell.source)
        if units:
            out.append((cell.get("id", ""), cell.cell_type, units))
    return out


def update(catalogue: Catalogue, notebook: nbformat.NotebookNode) -> tuple[int, int]:
    """Bring a catalogue in line with the English notebook.

    New units get an entry with an empty ``pt``; entries whose English is gone move under
    ``stale`` (keeping what was there before). Returns (entries added, entries made stale).
    """
    added = staled = 0
    cells: dict[str, list[dict[str, str]]] = {}
    for cell_id, _, units in notebook_units(notebook):
        old = {e.get("key"): e for e in catalogue.cells.get(cell_id, []) if isinstance(e, dict)}
        entries: list[dict[str, str]] = []
        for unit in units:
            if any(e.get("key") == unit.key for e in entries):
                continue  # the same text twice in one cell: one entry translates both
            if unit.key in old:
                entries.append(old.pop(unit.key))
            else:
                entries.append({"key": unit.key, "en": unit.text, "pt": ""})
                added += 1
        gone = [e for e in old.values() if _translated(e)]
        if gone:
            catalogue.stale.setdefault(cell_id, []).extend(gone)
            staled += len(gone)
        cells[cell_id] = entries
    for cell_id, entries in catalogue.cells.items():
        if cell_id not in cells:
            gone = [e for e in entries if isinstance(e, dict) and _translated(e)]
            if gone:
                catalogue.stale.setdefault(cell_id, []).extend(gone)
                staled += len(gone)
    catalogue.cells = cells
    return added, staled


def _translated(entry: dict[str, str]) -> bool:
    """An entry holds a translation worth keeping (not empty, not the English kept as it is)."""
    return bool(entry.get("pt")) and entry.get("pt") != entry.get("en")


PLACEHOLDER = re.compile(r"\{[^{}]*\}")


def unit_problem(unit: Unit, translation: str) -> str | None:
    """Why a translation cannot replace its unit, or None when it can."""
    if unit.kind == "comment":
        if not translation.startswith("#") or "\n" in translation:
            return "a translated comment must be one line starting with '#'"
        return None
    if unit.kind != "string":
        return None
    try:
        # In parentheses: a literal split over lines ("a" \n "b") is one expression there.
        english = ast.parse(f"({unit.text}\n)", mode="eval")
        translated = ast.parse(f"({translation}\n)", mode="eval")
    except SyntaxError:
        return "the translation is not a valid Python string literal (check its quotes)"
    if type(english.body) is not type(translated.body):
        return "the translation must be the same kind of literal (f-string or plain string)"
    fields = [ast.dump(v) for v in ast.walk(english.body) if isinstance(v, ast.FormattedValue)]
    translated_fields = [ast.dump(v) for v in ast.walk(translated.body) if isinstance(v, ast.FormattedValue)]
    if sorted(fields) != sorted(translated_fields):
        return "the translation must keep the same {placeholders} as the English"
    if isinstance(english.body, ast.Constant) and sorted(PLACEHOLDER.findall(str(english.body.value))) != sorted(
        PLACEHOLDER.findall(str(getattr(translated.body, "value", "")))
    ):
        return "the translation must keep the same {placeholders} as the English (used by .format)"
    return None


def problems(catalogue: Catalogue, notebook: nbformat.NotebookNode) -> list[str]:
    """Everything that keeps this catalogue from building a faithful translation."""
    found: list[str] = []
    name = "/".join(catalogue.path.parts[-4:])
    all_units = notebook_units(notebook)
    for cell_id, _, units in all_units:
        by_key = {e.get("key"): e for e in catalogue.cells.get(cell_id, []) if isinstance(e, dict)}
        for unit in units:
            entry = by_key.get(unit.key)
            first_line = unit.text.strip().splitlines()[0][:60]
            if entry is None or not entry.get("pt"):
                found.append(f"{name}: cell {cell_id}: missing translation of {first_line!r}")
                continue
            why = unit_problem(unit, str(entry["pt"]))
            if why:
                found.append(f"{name}: cell {cell_id}: {why}: {str(entry['pt'])[:60]!r}")

    def stale(cell_id: str, entry: dict[str, str], what_to_do: str) -> str:
        english = str(entry.get("en", "")).strip()[:60]
        return (
            f"{name}: cell {cell_id}: stale translation (its English changed or was removed): {english!r}; {what_to_do}"
        )

    for cell_id, stale_entries in catalogue.stale.items():
        found += [stale(cell_id, entry, "update it and delete it from 'stale:'") for entry in stale_entries]
    current_keys = {cell_id: {u.key for u in units} for cell_id, _, units in all_units}
    for cell_id, cell_entries in catalogue.cells.items():
        current = current_keys.get(cell_id, set())
        for entry in cell_entries:
            if not isinstance(entry, dict) or "key" not in entry:
                found.append(f"{name}: cell {cell_id}: an entry without 'key:'")
            elif entry["key"] not in current:
                if _translated(entry):
                    found.append(stale(cell_id, entry, "run `mlops-course translate update`"))
            elif entry.get("en") is not None and text_hash(str(entry["en"])) != entry["key"]:
                found.append(f"{name}: cell {cell_id}: 'en:' was edited; it must stay the English text of its key")
    return found
