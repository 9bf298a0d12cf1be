"""nbgrader's ``autograde`` on the same submissions, for the grading benchmark (optional).

Installs nbgrader 0.9.6 in a throwaway venv (``.course-data/nbgrader-bench-venv``) that
sees the course's environment through a ``.pth`` file, so both graders import the same
libraries; nothing is installed into the course's own environment.
"""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
from pathlib import Path

from mlops_course import paths

NBGRADER = "nbgrader==0.9.6"


def nbgrader_venv() -> Path:
    """The throwaway venv's python (created and filled on first use)."""
    venv = paths.COURSE_DATA_DIR / "nbgrader-bench-venv"
    python = venv / "bin" / "python"
    if not (venv / "bin" / "nbgrader").exists():
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
        subprocess.run([str(python), "-m", "ensurepip"], stdout=subprocess.DEVNULL, check=True)
        purelib = Path(
            subprocess.run(
                [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                check=True,
                capture_output=True,
                text=True,
            ).stdout.strip()
        )
        (purelib / "course-env.pth").write_text("\n".join(site.getsitepackages()) + "\n")
        subprocess.run([str(python), "-m", "pip", "install", "-q", NBGRADER], check=True)
        # nbgrader runs the `alembic` command; the course env's script would use the course's python
        subprocess.run(
            [str(python), "-m", "pip", "install", "-q", "--ignore-installed", "--no-deps", "alembic"], check=True
        )
    return python


def autograde(solution: Path, n: int, root: Path) -> None:
    """``nbgrader generate_assignment`` then ``autograde`` of n copies of ``solution``."""
    python = nbgrader_venv()
    course = root / "nbgrader-course"
    shutil.rmtree(course, ignore_errors=True)
    (course / "source" / "ps1").mkdir(parents=True)
    shutil.copy(solution, course / "source" / "ps1" / solution.name)
    config = (
        "c = get_config()\n"
        f"c.CourseDirectory.root = {str(course)!r}\n"
        "c.ExecutePreprocessor.kernel_name = 'python3'\n"
        "c.Execute.kernel_name = 'python3'\n"
        "c.ExecutePreprocessor.timeout = 600\n"
    )
    (course / "nbgrader_config.py").write_text(config)
    env = {**os.environ, "PATH": f"{python.parent}:{os.environ.get('PATH', '')}"}  # nbgrader runs alembic
    run = {"cwd": course, "check": True, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env}
    nbgrader = [str(python), "-m", "nbgrader"]
    subprocess.run([*nbgrader, "generate_assignment", "ps1", "--force"], **run)  # type: ignore[call-overload]
    for i in range(n):
        folder = course / "submitted" / f"student{i:03d}" / "ps1"
        folder.mkdir(parents=True)
        shutil.copy(solution, folder / solution.name)
    subprocess.run([*nbgrader, "autograde", "ps1", "--create", "--force"], **run)  # type: ignore[call-overload]
