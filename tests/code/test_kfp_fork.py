"""KFP local steps forked from a pre-imported template server (mlops_course.workflows.kfp_fork).

A tiny pipeline, a template that preloads only ``numpy`` and what KFP's executor imports (fast):
steps run in its children, print and fail as before, draw fresh random numbers, cannot see the
caller's globals; the server is single-threaded, ends with its parent, and without it steps run
in fresh interpreters with the same results.
(No ``from __future__ import annotations``: KFP reads the components' annotations as types.)
"""

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytest.importorskip("kfp")
if sys.platform != "linux":
    pytest.skip("forked steps need Linux", allow_module_level=True)

from kfp import dsl

from mlops_course.workflows import kfp_fork
from mlops_course.workflows.kfp_local import init_local_runner, run_pipeline

SMALL_PRELOAD = ("kfp.dsl.executor", "kfp.dsl.kfp_config", "numpy")
STEP = {"base_image": "python:3.11", "install_kfp_package": False}


@dsl.component(**STEP)
def probe(out: str):
    import json
    import os
    import sys

    preloaded = "numpy" in sys.modules  # before this step imports it
    import numpy as np

    state = {
        "numpy_preloaded": preloaded,
        "ppid": os.getppid(),
        "draw": int(np.random.randint(0, 2**31)),
        "server_tasks": len(os.listdir(f"/proc/{os.getppid()}/task")),
        "sees_caller_global": "CALLER_SECRET" in globals() or hasattr(sys.modules["__main__"], "CALLER_SECRET"),
        "argv0": sys.argv[0],
    }
    print("probe says hello")
    with open(out, "w") as handle:
        json.dump(state, handle)


@dsl.component(**STEP)
def fail(reason: str):
    from mlops_course.workflows import DataValidationError

    print("about to fail")
    raise DataValidationError(f"the batch is bad: {reason}")


@dsl.component(**STEP)
def die():
    import os
    import signal

    os.kill(os.getpid(), signal.SIGKILL)


@dsl.pipeline(name="two-probes")
def two_probes(first: str, second: str):
    probe(out=first)
    probe(out=second)


@dsl.pipeline(name="probe-then-fail")
def probe_then_fail(out: str):
    fail(reason="nulls").after(probe(out=out))


@dsl.pipeline(name="killed")
def killed():
    die()


@pytest.fixture(scope="module")
def _small_template():
    """Templates of this module preload little (fast); stopped at the end of the module."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(kfp_fork, "PRELOAD", SMALL_PRELOAD)
        patch.setattr(sys.modules["__main__"], "CALLER_SECRET", "do not leak", raising=False)
        yield
    kfp_fork.stop()


@pytest.fixture
def fork_server(_small_template, tmp_path, monkeypatch):
    """The running template server (started, or restarted if a test killed it)."""
    monkeypatch.delenv(kfp_fork.ENV_SWITCH, raising=False)
    init_local_runner(tmp_path / "kfp")
    server = kfp_fork._state["server"]
    assert server is not None and server.alive()
    return server


def _probe_twice(tmp_path: Path) -> tuple[dict, dict, str]:
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    summary = run_pipeline(two_probes, first=str(first), second=str(second))
    assert summary.succeeded, summary.log[-2000:]
    return json.loads(first.read_text()), json.loads(second.read_text()), summary.log


def test_steps_run_in_children_of_the_single_threaded_server(fork_server, tmp_path) -> None:
    one, two, log = _probe_twice(tmp_path)
    assert one["ppid"] == two["ppid"] == fork_server.process.pid
    assert one["numpy_preloaded"] and two["numpy_preloaded"]
    assert one["server_tasks"] == 1  # the server has one thread while its child runs
    assert len(os.listdir(f"/proc/{fork_server.process.pid}/task")) == 1
    assert one["draw"] != two["draw"]  # numpy reseeded in each child, as in a new process
    assert not one["sees_caller_global"] and not two["sees_caller_global"]
    assert one["argv0"].endswith("kfp/dsl/executor_main.py")
    assert log.count("probe says hello") == 2


def test_output_and_failure_pass_through_as_without_forking(fork_server, tmp_path, monkeypatch) -> None:
    forked = run_pipeline(probe_then_fail, out=str(tmp_path / "a.json"))
    monkeypatch.setenv(kfp_fork.ENV_SWITCH, "0")
    fresh = run_pipeline(probe_then_fail, out=str(tmp_path / "b.json"))
    for summary in (forked, fresh):
        assert not summary.succeeded
        assert summary.failed_task == "fail"
        assert summary.error == "DataValidationError: the batch is bad: nulls"
        assert summary.attempts == {"probe": 1, "fail": 1}
        assert "about to fail" in summary.log and "probe says hello" in summary.log
    assert json.loads((tmp_path / "a.json").read_text())["ppid"] == fork_server.process.pid
    assert json.loads((tmp_path / "b.json").read_text())["ppid"] != fork_server.process.pid

    def traceback_of(summary) -> list[str]:
        lines = summary.log.splitlines()
        start = next(i for i, line in enumerate(lines) if "Traceback" in line)
        kept = [line.strip() for line in lines[start:] if line.strip().startswith(("File", "Traceback", "mlops"))]
        return [re.sub(r"/tmp/tmp\.\w+/", "TMP/", line) for line in kept]

    assert traceback_of(forked) == traceback_of(fresh)  # no frame of the fork machinery


def test_a_step_killed_by_a_signal_fails_its_task(fork_server) -> None:
    summary = run_pipeline(killed)
    assert not summary.succeeded and summary.failed_task == "die"
    assert fork_server.alive()  # the server survives its child


def test_the_shim_passes_the_exit_status_and_stderr_through(fork_server, tmp_path) -> None:
    argv = ["-m", "kfp.dsl.executor_main"]  # no --function_to_execute: argparse exits with 2
    forked = subprocess.run([str(fork_server.shim), *argv], capture_output=True, text=True, cwd=tmp_path)
    fresh = subprocess.run([sys.executable, *argv], capture_output=True, text=True, cwd=tmp_path)
    assert forked.returncode == fresh.returncode == 2
    assert forked.stderr == fresh.stderr and "--function_to_execute" in forked.stderr


@pytest.mark.parametrize("how", ["fork_steps=False", "env", "server killed"])
def test_without_the_server_steps_start_afresh_with_the_same_results(fork_server, tmp_path, monkeypatch, how) -> None:
    if how == "fork_steps=False":
        init_local_runner(tmp_path / "kfp", fork_steps=False)
        assert fork_server.process.poll() is not None  # stopped
    elif how == "env":
        monkeypatch.setenv(kfp_fork.ENV_SWITCH, "0")
    else:
        fork_server.process.kill()
        fork_server.process.wait()
        argv = [str(fork_server.shim), "-m", "kfp.dsl.executor_main"]  # the shim alone: refused, so exec
        assert subprocess.run(argv, capture_output=True, text=True).returncode == 2
    one, two, log = _probe_twice(tmp_path)
    assert one["ppid"] != fork_server.process.pid and two["ppid"] != fork_server.process.pid
    assert one["draw"] != two["draw"]
    assert not one["sees_caller_global"]
    assert log.count("probe says hello") == 2
    assert not one["numpy_preloaded"]  # a fresh interpreter


def test_init_local_runner_reuses_its_server_restarts_a_dead_one_and_stop_ends_it(fork_server, tmp_path) -> None:
    init_local_runner(tmp_path / "again")
    assert kfp_fork._state["server"] is fork_server
    fork_server.process.kill()
    fork_server.process.wait()
    init_local_runner(tmp_path / "again")
    replacement = kfp_fork._state["server"]
    assert replacement is not fork_server and replacement.alive()
    assert not fork_server.folder.exists()  # the dead server's shim and socket are gone
    kfp_fork.stop()  # asked to stop: it exits and takes its folder with it
    assert replacement.process.poll() is not None and not replacement.folder.exists()
    assert kfp_fork.current_shim() is None


_PARENT = """
import sys, threading, time
from mlops_course.workflows import kfp_fork
def go():
    server = kfp_fork.TemplateServer(preload=())
    print(server.process.pid, flush=True)
if sys.argv[1] == "thread":  # no PR_SET_PDEATHSIG: the server notices through getppid()
    threading.Thread(target=go).start()
else:
    go()
time.sleep(600)
"""


def _wait_gone(pid: int, seconds: float = 30.0) -> bool:
    """Whether ``pid`` ended (or is a zombie nobody reaped yet) within ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except OSError:
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.1)
    return False


@pytest.mark.parametrize("started_from", ["main", "thread"])
def test_the_server_ends_when_its_parent_dies(started_from) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(_PARENT), started_from], stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout is not None
        server_pid = int(parent.stdout.readline())
        os.kill(server_pid, 0)  # running
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait()
    assert _wait_gone(server_pid), "the template server outlived its parent"


def test_the_instructors_switch_reaches_a_grading_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    from mlops_course.grading.sandbox import NS_WORKDIR, SandboxConfig, kernel_env

    config = SandboxConfig(mode="namespaces", workdir=NS_WORKDIR)
    monkeypatch.delenv(kfp_fork.ENV_SWITCH, raising=False)
    assert kfp_fork.ENV_SWITCH not in kernel_env(config)
    monkeypatch.setenv(kfp_fork.ENV_SWITCH, "0")
    assert kernel_env(config)[kfp_fork.ENV_SWITCH] == "0"


# -- a server forked from its user (kfp_prefork: what a grading kernel does before ipykernel starts) --
_PREFORKED = """
import json, os, signal, sys, tempfile
from kfp import dsl
from mlops_course.workflows import kfp_fork, kfp_prefork
from mlops_course.workflows.kfp_local import init_local_runner, run_pipeline

kfp_fork.PRELOAD = ("kfp.dsl.executor", "kfp.dsl.kfp_config", "wave")  # wave: imported by nothing else


@dsl.component(base_image="python:3.11", install_kfp_package=False)
def report(out: str):
    import json, os, sys

    state = {"ppid": os.getppid(), "wave": "wave" in sys.modules, "tasks": len(os.listdir(f"/proc/{os.getppid()}/task"))}
    with open(out, "w") as handle:
        json.dump(state, handle)


@dsl.pipeline(name="report")
def reporting(out: str):
    report(out=out)


def step():
    out = os.path.join(tempfile.mkdtemp(), "out.json")
    assert run_pipeline(reporting, out=out).succeeded
    return json.load(open(out))


def cmdline(pid):
    return open(f"/proc/{pid}/cmdline", "rb").read()


server = kfp_prefork.prefork()
if sys.argv[1] == "off":
    print(json.dumps({"server": server is None and kfp_fork._state["server"] is None}))
    sys.exit()
pid = server.process.pid
facts = {"forked": server.forked, "same_cmdline": cmdline(pid) == cmdline(os.getpid()), "wave_here": "wave" in sys.modules}
init_local_runner(tempfile.mkdtemp())
init_local_runner(tempfile.mkdtemp())
facts["adopted"] = kfp_fork._state["server"] is server
facts["step"] = step()
if sys.argv[1] == "die":
    print(json.dumps({"pid": pid}), flush=True)
    os.kill(os.getpid(), signal.SIGKILL)
if sys.argv[1] == "env":
    os.environ["TZ"] = "Europe/Lisbon"  # an import-time variable the server was not forked with
else:
    server.process.terminate()
    server.process.wait(5)
init_local_runner(tempfile.mkdtemp())
fresh = kfp_fork._state["server"]
facts["fresh"] = fresh is not server and not fresh.forked and not server.alive()
facts["fresh_step"] = step()["ppid"] == fresh.process.pid
facts["old_folder"] = server.folder.exists()
print(json.dumps({"pid": pid, **facts}), flush=True)
"""


def _preforked(tmp_path: Path, how: str, **env: str) -> tuple[dict, subprocess.CompletedProcess]:
    script = tmp_path / "preforked.py"  # a file: KFP reads the component's source
    script.write_text(_PREFORKED)
    environ = {k: v for k, v in os.environ.items() if k != kfp_fork.ENV_SWITCH} | env
    environ |= kfp_fork._SERVER_ENV  # no OpenBLAS or jemalloc thread: a single-threaded parent, as a kernel
    done = subprocess.run(
        [sys.executable, str(script), how], capture_output=True, text=True, timeout=300, cwd=tmp_path, env=environ
    )
    return json.loads(done.stdout.strip().splitlines()[-1]), done


@pytest.mark.parametrize("how", ["killed", "env"])
def test_a_preforked_server_is_adopted_and_replaced_when_gone(tmp_path, how) -> None:
    facts, done = _preforked(tmp_path, how)
    assert done.returncode == 0, done.stderr[-3000:]
    assert facts["forked"] and facts["same_cmdline"]  # a fork of this process, no fresh interpreter
    assert facts["adopted"]  # by init_local_runner, called twice
    assert facts["step"] == {"ppid": facts["pid"], "wave": True, "tasks": 1}  # single-threaded, preloaded
    assert not facts["wave_here"]  # what was missing was imported in the server, not in its parent
    assert facts["fresh"] and facts["fresh_step"] and not facts["old_folder"]
    assert _wait_gone(facts["pid"])


def test_a_preforked_server_ends_with_its_parent(tmp_path) -> None:
    facts, done = _preforked(tmp_path, "die")
    assert done.returncode == -signal.SIGKILL
    assert _wait_gone(facts["pid"]), "the pre-forked server outlived its parent"


def test_no_server_is_preforked_with_the_switch_off(tmp_path) -> None:
    facts, done = _preforked(tmp_path, "off", **{kfp_fork.ENV_SWITCH: "0"})
    assert facts == {"server": True}, done.stderr[-2000:]
