"""Execute notebooks in place so their stored outputs are real outputs of the committed code.

Usage: ``python -m mlops_course.execute notebooks/01_introduction_to_mlops.ipynb [...]``
(or ``make execute NB=...``). Each notebook runs top to bottom in the course kernel, in
its own folder, against a throwaway MLflow store, exactly as the test suite runs it.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from mlops_course.environment import environment_variables

KERNEL_NAME = "mlops-course"


def execute_notebook(path: Path, timeout: int = 300) -> float:
    """Run ``path`` top to bottom and save it with fresh outputs.

    Args:
        path: the notebook file.
        timeout: seconds allowed per cell.

    Returns:
        The wall-clock seconds it took.
    """
    import nbformat
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    with tempfile.TemporaryDirectory(prefix="mlops-course-execute-") as store:
        throwaway = {
            "MLFLOW_TRACKING_URI": f"sqlite:///{Path(store) / 'mlflow.db'}",
            "PYTHONHASHSEED": "0",
            "MPLBACKEND": None,
            # What Jupyter Server tells a kernel about its notebook: the package reads the
            # notebook's language from it (mlops_course.i18n).
            "JPY_SESSION_NAME": str(path.resolve()),
        }
        with environment_variables(throwaway):
            # IPC sockets in the throwaway folder, not TCP on loopback: ipykernel warns (on the
            # command's stderr) that TCP without encryption is readable by anyone on the machine.
            manager = KernelManager(kernel_name=KERNEL_NAME, transport="ipc", ip=str(Path(store) / "kernel"))
            client = NotebookClient(
                notebook,
                km=manager,
                timeout=timeout,
                kernel_name=KERNEL_NAME,
                resources={"metadata": {"path": str(path.parent.resolve())}},
                record_timing=False,
            )
            started = time.perf_counter()
            try:
                client.execute()
            finally:  # nbclient shuts down only the kernels it made itself
                if manager.has_kernel:
                    manager.shutdown_kernel()
            elapsed = time.perf_counter() - started
    for cell in notebook.cells:
        cell.get("metadata", {}).pop("execution", None)
    nbformat.write(notebook, path)
    return elapsed


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: execute each named notebook and report its time."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebooks", nargs="+", type=Path)
    parser.add_argument("--timeout", type=int, default=300, help="seconds per cell (default 300)")
    args = parser.parse_args(argv)
    for path in args.notebooks:
        if not path.is_file():
            print(f"error: {path} is not a file; name a notebook such as notebooks/01_....ipynb", file=sys.stderr)
            return 2
        seconds = execute_notebook(path, args.timeout)
        print(f"{path}: executed in {seconds:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
