"""A rehearsal project: a tiny stand-in for the credit project whose stages answer to the same
commands in a fraction of a second, record what they saw, and pass or fail as told.

A CI file is replayed on it (``run_ci_locally``) to see which stages run, in which order,
with which variables, on which branch, without training a model.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

#: The stages a rehearsal project can be told to fail, and the command each one answers to.
REHEARSAL_COMMANDS: dict[str, str] = {
    "lint": "ruff check credit_project tests",
    "test": "python -m pytest -q",
    "train": "python -m credit_project.train",
    "evaluate": "python -m credit_project.evaluate",
    "register": "python -m credit_project.register",
}
_REHEARSAL_STAGE = '''"""Rehearsal stand-in for stage {stage!r}: record what it saw, then pass or fail as told."""

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEEN = {{
    "stage": {stage!r},
    "CREDIT_ENV": os.environ.get("CREDIT_ENV"),
    "token": bool(os.environ.get("CREDIT_API_TOKEN")),
    "branch": os.environ.get("CI_COMMIT_BRANCH"),
}}
with (ROOT / "rehearsal.log").open("a", encoding="utf-8") as log:
    log.write(json.dumps(SEEN) + "\\n")
failing = (ROOT / "rehearsal_fails.txt").read_text(encoding="utf-8").split()
print(f"rehearsal {stage}: {{'fails' if {stage!r} in failing else 'passes'}}")
sys.exit(1 if {stage!r} in failing else 0)
'''


# the course environment's pytest plugins (nbval, hypothesis, ...) take seconds to load; the rehearsal needs none
_QUIET_PYTEST = " ".join(
    f"-p no:{name}"
    for name in (
        "cacheprovider",
        "nbval",
        "faker",
        "hypothesispytest",
        "hydra_pytest",
        "anyio",
        "xdist",
        "xdist.looponfail",
    )
)


def write_rehearsal_project(dest: str | Path, fail: tuple[str, ...] = ()) -> Path:
    """Write a tiny stand-in for the credit project whose stages take a second and record what they saw.

    It answers to the same commands as the real project (:data:`REHEARSAL_COMMANDS`): ruff lints
    real files, pytest runs a real test, and each ``python -m credit_project.<stage>`` appends
    ``{"stage", "CREDIT_ENV", "token" (whether CREDIT_API_TOKEN was set), "branch"}`` to
    ``rehearsal.log`` (read it with :func:`rehearsal_log`). The stages named in ``fail`` fail
    (lint with an unused import, test with a failing assertion, the others with exit code 1),
    so a CI file's decisions can be checked in seconds, without training a model.

    Args:
        dest: an empty or new folder.
        fail: stages among :data:`REHEARSAL_COMMANDS` that must fail.
    """
    folder = Path(dest)
    if folder.exists() and any(folder.iterdir()):
        raise ValueError(f"dest {folder} is not empty; choose a new folder")
    unknown = [stage for stage in fail if stage not in REHEARSAL_COMMANDS]
    if isinstance(fail, str) or unknown:
        raise ValueError(f"fail must be a tuple of stages from {list(REHEARSAL_COMMANDS)}, got {fail!r}")
    (folder / "credit_project").mkdir(parents=True)
    (folder / "tests").mkdir()
    (folder / "pyproject.toml").write_text(
        '[project]\nname = "credit-project-rehearsal"\nversion = "0.0.0"\n\n'
        f'[tool.ruff]\nline-length = 120\n\n[tool.pytest.ini_options]\naddopts = "{_QUIET_PYTEST}"\n'
    )
    (folder / "rehearsal_fails.txt").write_text(" ".join(fail) + "\n")
    (folder / "credit_project" / "__init__.py").write_text(
        '"""Rehearsal stand-in for the credit project."""\n' + ("import os\n" if "lint" in fail else "")
    )
    for stage in ("train", "evaluate", "register"):
        (folder / "credit_project" / f"{stage}.py").write_text(_REHEARSAL_STAGE.format(stage=stage))
    (folder / "tests" / "test_rehearsal.py").write_text(
        "import json\nfrom pathlib import Path\n\n\n"
        "def test_stage():\n"
        "    root = Path(__file__).resolve().parents[1]\n"
        "    with (root / 'rehearsal.log').open('a', encoding='utf-8') as log:\n"
        "        log.write(json.dumps({'stage': 'test'}) + '\\n')\n"
        f"    assert {'test' not in fail}, 'rehearsal test: told to fail'\n"
    )
    return folder


def rehearsal_log(project: str | Path) -> list[dict[str, Any]]:
    """What the stages of a rehearsal project recorded, in the order they ran (``[]`` if none ran)."""

    log = Path(project) / "rehearsal.log"
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines() if line.strip()]
