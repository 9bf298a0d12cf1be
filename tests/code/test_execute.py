"""`make execute` (``python -m mlops_course.execute``) stores real outputs and says nothing on stderr."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import nbformat


def test_execute_stores_outputs_quietly(tmp_path: Path) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("print(6 * 7)")]
    path = tmp_path / "tiny.ipynb"
    nbformat.write(notebook, path)

    done = subprocess.run(
        [sys.executable, "-m", "mlops_course.execute", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"{path}: executed in"), done.stdout
    # ipykernel warns on stderr when the kernel listens on TCP without encryption; IPC sockets avoid it
    assert done.stderr == "", done.stderr
    cell = nbformat.read(path, as_version=4).cells[0]
    assert cell.outputs[0]["text"] == "42\n" and cell.execution_count == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tiny.ipynb"], (
        "IPC sockets must not be left beside the notebook"
    )
