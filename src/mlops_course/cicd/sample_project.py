"""The module's small credit project (code, tests, config, CI files) and named changes to it."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

_RENAMED = {"gitignore": ".gitignore", "gitlab-ci.yml": ".gitlab-ci.yml", "github-ci.yml": ".github/workflows/ci.yml"}
_CI_FILES = {"gitlab-ci.yml", "github-ci.yml", "Jenkinsfile"}

#: Named changes to the sample project: file, text to find, replacement, commit message.
CHANGES: dict[str, tuple[str, str, str, str]] = {
    "drop_risk_features": (
        "credit_project/features.py",
        '    "interest_rate",\n    "debt_to_income",\n',
        "",
        "Simplify features: drop interest_rate and debt_to_income (slow to compute)",
    ),
    "wrong_probability_column": (
        "credit_project/model.py",
        "[:, 1]",
        "[:, 0]",
        "Refactor scoring (planted bug: column 0 is the probability of *no* default)",
    ),
}


def write_sample_project(
    dest: str | Path, *, include_ci: bool = True, model_name: str = "module4-credit-model"
) -> Path:
    """Write the module's credit project (code, tests, config, CI files) into ``dest``; return it.

    Args:
        dest: an empty or new folder.
        include_ci: also write ``.gitlab-ci.yml``, ``.github/workflows/ci.yml`` and ``Jenkinsfile``.
        model_name: the registered model name written into ``config/base.yaml``.
    """
    folder = Path(dest)
    if folder.exists() and any(folder.iterdir()):
        raise ValueError(f"dest {folder} is not empty; choose a new folder")
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", model_name):
        raise ValueError(f"model_name may hold letters, digits, '_', '.', '-' only, got {model_name!r}")
    template = resources.files("mlops_course") / "resources" / "module4" / "credit_project"
    with resources.as_file(template) as source:
        for file in sorted(source.rglob("*")):
            relative = file.relative_to(source)
            caches = {"__pycache__", ".ruff_cache", ".pytest_cache"}
            if file.is_dir() or caches & set(relative.parts) or (not include_ci and relative.name in _CI_FILES):
                continue
            target = folder / _RENAMED.get(str(relative), str(relative))
            target.parent.mkdir(parents=True, exist_ok=True)
            text = file.read_text(encoding="utf-8")
            target.write_text(text.replace("module4-credit-model", model_name), encoding="utf-8")
    return folder


def apply_change(project: str | Path, name: str) -> str:
    """Apply the named change from :data:`CHANGES` to a sample project; return its commit message."""
    if name not in CHANGES:
        raise ValueError(f"change {name!r} is unknown; choose from: {', '.join(CHANGES)}")
    relative, old, new, message = CHANGES[name]
    file = Path(project) / relative
    text = file.read_text(encoding="utf-8")
    if old not in text:
        raise ValueError(f"change {name!r} does not apply: {relative} no longer contains {old.strip()!r}")
    file.write_text(text.replace(old, new), encoding="utf-8")
    return message
