"""The course in more than one language: the learner's language, and what the package says in it.

The language of a running notebook comes from its metadata
(``metadata.mlops_course.language``), found through ``JPY_SESSION_NAME``, the path that
Jupyter Server gives every kernel it starts for a notebook. Without a notebook (a script,
a test), the ``MLOPS_COURSE_LANG`` environment variable decides; the default is English.
``set_language`` overrides both.

Messages live in :mod:`mlops_course.i18n.messages`, one English text and its translations
per key; ``tr(key, **fields)`` formats the text of the current language.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

LANGUAGES = ("en", "pt-BR")
DEFAULT = "en"
ENV_VAR = "MLOPS_COURSE_LANG"
_ALIASES = {"pt": "pt-BR", "pt_br": "pt-BR", "pt-br": "pt-BR", "en": "en", "en_us": "en", "en-us": "en"}

_chosen: str | None = None
_from_notebook: dict[str, str | None] = {}


def normalise(language: str) -> str:
    """The course's name for a language (``pt_BR.UTF-8`` → ``pt-BR``); ValueError if unsupported."""
    name = language.strip().split(".")[0].replace("_", "-").lower()
    if name in _ALIASES:
        return _ALIASES[name]
    raise ValueError(f"language {language!r} is not available; choose one of {', '.join(LANGUAGES)}.")


def set_language(language: str | None) -> None:
    """Use ``language`` for every message from now on (None: back to notebook / environment)."""
    global _chosen
    _chosen = normalise(language) if language else None


def notebook_language(path: Path) -> str | None:
    """The language a notebook file declares in its metadata (English when it declares none)."""
    try:
        metadata = json.loads(path.read_text(encoding="utf-8")).get("metadata", {})
    except (OSError, ValueError):
        return None
    declared = (metadata.get("mlops_course") or {}).get("language")
    try:
        return normalise(declared) if declared else DEFAULT
    except ValueError:
        return DEFAULT


def _session_notebook() -> Path | None:
    session = os.environ.get("JPY_SESSION_NAME", "")
    if not session.endswith(".ipynb"):
        return None
    path = Path(session)
    for candidate in (path, Path.cwd() / path, Path.cwd() / path.name):
        if candidate.is_file():
            return candidate
    return None


def language() -> str:
    """The language messages are written in now."""
    if _chosen:
        return _chosen
    notebook = _session_notebook()
    if notebook is not None:
        key = str(notebook.resolve())
        if key not in _from_notebook:
            _from_notebook[key] = notebook_language(notebook)
        found = _from_notebook[key]
        if found:
            return found
    try:
        return normalise(os.environ.get(ENV_VAR, "") or DEFAULT)
    except ValueError:
        return DEFAULT


def tr(key: str, /, lang: str | None = None, **fields: object) -> str:
    """The message ``key`` in ``lang`` (default: the current language), formatted with ``fields``."""
    from mlops_course.i18n.messages import MESSAGES

    texts = MESSAGES[key]
    text = texts.get(lang or language()) or texts["en"]
    return text.format(**fields) if fields else text
