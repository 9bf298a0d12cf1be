"""Where the course keeps things: every path in one place."""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def _find_project_root() -> Path:
    """The course checkout: ``MLOPS_COURSE_HOME`` if set, else the repo holding the package."""
    override = os.environ.get("MLOPS_COURSE_HOME")
    if override:
        return Path(override).expanduser().resolve()
    candidate = PACKAGE_DIR.parents[1]  # src/mlops_course -> repo root (editable install)
    if (candidate / "pyproject.toml").exists():
        return candidate
    return Path.cwd().resolve()


PROJECT_ROOT = _find_project_root()
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
SOLUTIONS_DIR = PROJECT_ROOT / "solutions"
EXERCISES_DIR = PROJECT_ROOT / "exercises"
# Course-local state (MLflow store, reports, generated files); ignored by git.
COURSE_DATA_DIR = PROJECT_ROOT / ".course-data"
REPORTS_DIR = COURSE_DATA_DIR / "reports"


def course_data_dir(*parts: str) -> Path:
    """Return (and create) a folder under the course-local data folder.

    Args:
        parts: sub-folder names, e.g. ``course_data_dir("reports", "module6")``.

    Returns:
        The folder's path; it exists when this returns.
    """
    wrong = [p for p in parts if not isinstance(p, str) or not p]
    if wrong:
        raise TypeError(f"parts must be folder names (non-empty strings), got {wrong!r}.")
    folder = COURSE_DATA_DIR.joinpath(*parts)
    folder.mkdir(parents=True, exist_ok=True)
    return folder
