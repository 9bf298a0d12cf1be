"""The translated edition is complete and current: CI fails on a missing or stale translation.

Every English notebook's catalogue translates every unit of the English as it is now, and
every built notebook (``notebooks/<lang>/``, ``solutions/<lang>/``) is what the catalogues
build. The glossary's rejected words appear in no translation; every package message has
every language, with the English placeholders.
"""

from __future__ import annotations

import re
import string

import nbformat
import pytest
import yaml

from mlops_course.i18n import LANGUAGES
from mlops_course.i18n.build import out_of_date
from mlops_course.i18n.catalogue import Catalogue, catalogue_path, english_sources, problems
from mlops_course.i18n.messages import MESSAGES
from mlops_course.paths import PROJECT_ROOT

ROOT = PROJECT_ROOT
TRANSLATED = LANGUAGES[1:]
SOURCES = english_sources(ROOT)


def _catalogue(lang: str, source):
    return Catalogue.load(catalogue_path(ROOT, lang, source), lang, str(source.relative_to(ROOT)))


@pytest.mark.parametrize("lang", TRANSLATED)
@pytest.mark.parametrize("source", SOURCES, ids=[p.stem for p in SOURCES])
def test_catalogue_is_complete_and_current(lang: str, source) -> None:
    found = problems(_catalogue(lang, source), nbformat.read(source, as_version=4))
    assert not found, "\n".join(found[:20]) + f"\n({len(found)} in all; see translations/README.md)"


@pytest.mark.parametrize("lang", TRANSLATED)
def test_built_notebooks_match_their_catalogues(lang: str) -> None:
    found = out_of_date(ROOT, lang)
    assert not found, "\n".join(found)


def _translated_texts(lang: str) -> list[tuple[str, str]]:
    texts = []
    for source in SOURCES:
        catalogue = _catalogue(lang, source)
        for cell_id, entries in catalogue.cells.items():
            texts += [(f"{catalogue.path.name} {cell_id}", str(e.get("pt") or "")) for e in entries]
    for page in (ROOT / f"START_HERE.{lang}.md", ROOT / f"README.{lang}.md"):
        if page.exists():
            texts.append((page.name, page.read_text(encoding="utf-8")))
    return texts


@pytest.mark.parametrize("lang", TRANSLATED)
def test_glossary_rejected_words_are_not_used(lang: str) -> None:
    glossary = yaml.safe_load((ROOT / "translations" / lang / "glossary.yaml").read_text(encoding="utf-8"))
    avoid = [str(word) for word in glossary["avoid"]]
    pattern = re.compile(r"(?<!\w)(" + "|".join(map(re.escape, avoid)) + r")(?!\w)", re.IGNORECASE)
    found = []
    for where, text in _translated_texts(lang):
        # Code spans and blocks are English code, not prose.
        prose = re.sub(r"```.*?```|`[^`]*`", "", text, flags=re.S)
        found += [f"{where}: {m.group(0)!r}" for m in pattern.finditer(prose)]
    assert not found, "words the glossary rejects:\n" + "\n".join(found[:30])


def _fields(text: str) -> list[str]:
    return sorted(name for _, name, _, _ in string.Formatter().parse(text) if name is not None)


def test_every_message_has_every_language_with_the_same_placeholders() -> None:
    for key, texts in MESSAGES.items():
        assert set(texts) == set(LANGUAGES), f"{key}: languages {sorted(texts)}, expected {list(LANGUAGES)}"
        for lang, text in texts.items():
            assert text.strip(), f"{key} [{lang}] is empty"
            assert _fields(text) == _fields(texts["en"]), f"{key} [{lang}] placeholders differ from the English"
