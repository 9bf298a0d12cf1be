"""The fast path: kernels forked from a pre-imported template (what forking newly allows).

The threat suite itself runs on the fast path with ``MLOPS_COURSE_FAST_GRADING=1``; these
tests cover what only forking could break: a single-threaded template, no state carried
from one submission to the next, children that cannot reach each other or the template,
and the fallback to today's path.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import nbformat
import pytest

from mlops_course import paths
from mlops_course.grading import fast_path, fork_provisioner, grade, preload
from mlops_course.grading.jobs import JobOutcome, Limits, run_job, with_setup_cell

pytestmark = pytest.mark.grading


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    ok, why = fork_provisioner.availability()
    if not ok:
        pytest.skip(f"fast path unavailable here: {why}")
    root = tmp_path_factory.mktemp("fork")
    started = fork_provisioner.Template(["pandas", "sklearn.metrics"], root / "template")
    yield started, root
    started.stop()


def _notebook(*tests: str) -> Any:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for i, source in enumerate(tests):
        meta = {"nbgrader": {"grade": True, "grade_id": f"t{i}", "locked": True, "points": 1, "schema_version": 3}}
        nb.cells.append(nbformat.v4.new_code_cell(source, metadata=meta))
    return with_setup_cell(nb)


def _run(template: Any, root: Path, *tests: str) -> JobOutcome:
    started, _ = template
    return run_job(_notebook(*tests), root, Limits(notebook_timeout=120), [root], "fork", started.socket)


def _outcomes(outcome: JobOutcome) -> list[str]:
    return [f"{e['outcome']}: {e.get('message', '')}" for e in outcome.of("test")]


def _threads(pid: int) -> int:
    return len(os.listdir(f"/proc/{pid}/task"))


def test_the_template_is_single_threaded_when_it_forks(template: Any) -> None:
    started, root = template
    assert started.info == {"ready": True, "threads": 1, "failed": []}
    course = preload.modules_for([nbformat.read(p, as_version=4) for p in paths.SOLUTIONS_DIR.glob("*.ipynb")])
    assert "pandas" in course and "mlflow" in course
    assert _threads(started.process.pid) == 1
    outcome = _run(template, root, "import threading\nassert threading.active_count() >= 1")
    assert _outcomes(outcome) == ["passed: "]
    assert _threads(started.process.pid) == 1  # still one thread after serving a kernel


def test_a_submission_leaves_no_state_in_the_template(template: Any) -> None:
    _, root = template
    first = _run(
        template,
        root,
        "import pandas, random, sys, os\npandas._leak = 1\nsys.modules['json'].leak = 1\n"
        "os.environ['LEAK'] = '1'\nopen('leak.txt', 'w').write('x')\nprint(random.random())",
    )
    assert _outcomes(first) == ["passed: "]
    second = _run(
        template,
        root,
        "import pandas, json, os\nassert not hasattr(pandas, '_leak')\nassert not hasattr(json, 'leak')\n"
        "assert 'LEAK' not in os.environ\nassert not os.path.exists('leak.txt')",
    )
    assert _outcomes(second) == ["passed: "]


def test_each_kernel_gets_fresh_random_seeds(template: Any) -> None:
    _, root = template
    source = "import random, numpy\nraise AssertionError(f'{random.random()} {numpy.random.random()}')"
    values = {_outcomes(_run(template, root, source))[0] for _ in range(2)}
    assert len(values) == 2


def test_one_child_cannot_reach_another(template: Any, tmp_path: Path) -> None:
    _, root = template
    slow: dict[str, JobOutcome] = {}
    sleeper = threading.Thread(
        target=lambda: slow.update(
            a=_run(template, root, "import time\nopen('/tmp/secret-of-a', 'w').write('a')\ntime.sleep(12)")
        )
    )
    sleeper.start()
    time.sleep(6)
    probe = _run(
        template,
        root,
        "import os, signal\n"
        "pids = [int(p) for p in os.listdir('/proc') if p.isdigit()]\n"
        "assert os.getpid() == 1 and len(pids) <= 3, pids\n"
        "assert not os.path.exists('/tmp/secret-of-a')\n"
        "cmds = [open(f'/proc/{p}/cmdline', 'rb').read() for p in pids]\n"
        "assert sum(b'kernel' in c or b'python' in c for c in cmds) <= 1, cmds",
    )
    sleeper.join()
    assert _outcomes(probe) == ["passed: "]
    assert _outcomes(slow["a"]) == ["passed: "]


def test_a_child_cannot_reach_the_template(template: Any) -> None:
    started, root = template
    pid = started.process.pid
    listener = {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
    sockets = sorted(x for x in listener if x.startswith("socket:"))
    outcome = _run(
        template,
        root,
        f"import os, signal, socket\n"
        f"assert not os.path.exists({started.socket!r})\n"
        f"try:\n    os.kill({pid}, signal.SIGKILL)\nexcept ProcessLookupError:\n    pass\n"
        f"else:\n    raise AssertionError('the template is visible')\n"
        f"fds = os.listdir('/proc/self/fd')\n"
        f"mine = {{os.readlink('/proc/self/fd/' + fd) for fd in fds if os.path.exists('/proc/self/fd/' + fd)}}\n"
        f"assert not mine & set({sockets!r}), mine\n"
        f"s = socket.socket(socket.AF_UNIX)\n"
        f"try:\n    s.connect({started.socket!r})\nexcept OSError:\n    pass\n"
        f"else:\n    raise AssertionError('connected to the template')",
    )
    assert _outcomes(outcome) == ["passed: "]
    killer = "import os, signal\nfor pid in (0, -1, os.getppid(), 1):\n    os.kill(pid, signal.SIGKILL)"
    assert _outcomes(_run(template, root, killer))[0].startswith("failed")
    assert started.ready
    assert _outcomes(_run(template, root, "assert 1 + 1 == 2")) == ["passed: "]


def test_without_forking_grading_falls_back_and_says_so(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(fast_path, "availability", lambda: (False, "no namespaces here"))
    options = grade.GradeOptions(fast=True, progress=False)
    assert grade._start_fast_path(options, [], tmp_path) is None
    assert "fast path unavailable" in capsys.readouterr().err
    assert grade._start_fast_path(grade.GradeOptions(fast=False), [], tmp_path) is None
    assert capsys.readouterr().err == ""


def test_a_dead_template_is_restarted(template: Any, tmp_path: Path) -> None:
    fast = fast_path.FastPath(["json"], tmp_path, None)
    try:
        first = fast.sockets()
        assert first is not None
        fast.kernels.process.kill()
        fast.kernels.process.wait()
        second = fast.sockets()
        assert second is not None and second[0] != first[0] and fast.restarts == 1
    finally:
        fast.stop()


def test_templates_start_together_and_are_waited_for_on_first_use(tmp_path: Path) -> None:
    first = fork_provisioner.Template([], tmp_path / "a", runner=True)
    second = fork_provisioner.Template([], tmp_path / "b", runner=True)
    try:
        assert first._info is None and second._info is None  # not waited for yet: both import at once
        assert first.process.poll() is None and second.process.poll() is None
        assert Path(first.socket).exists() and first._info is not None  # its socket: once it listens
        assert first.ready and second.ready
        assert first.info["ready"] and second.info["ready"]
    finally:
        first.stop()
        second.stop()


def test_the_template_skips_the_iri_grammar_but_a_kernel_may_import_it(tmp_path: Path) -> None:
    import subprocess
    import sys

    code = (
        "import gc, sys\n"
        "from mlops_course.grading.kernel_template import preload\n"
        "failed = preload(['jsonschema._format'])\n"
        "print(failed, 'rfc3987_syntax' in sys.modules, gc.isenabled())\n"
        "import rfc3987_syntax\n"
        "print(rfc3987_syntax is not None)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["[] False True", "True"]
