"""The grading kernel's sandbox: namespaces, a private file system view, rlimits, clean env.

The kernelspec used for grading starts the kernel through this module::

    unshare --user --map-root-user --mount --pid --fork --mount-proc --kill-child -- \\
        python -m mlops_course.grading.sandbox CONFIG.json -- python -m ipykernel_launcher -f CONN

Inside the new namespaces (before the kernel starts) it reads the kernel's connection
file, then mounts a fresh size-limited tmpfs on ``/tmp`` and ``/dev/shm``, masks the
folders where other files and other checkouts usually live (``/work``, ``/home``,
``/root``, ...) with empty tmpfs, binds back only the Python environment and this course
checkout, hides the solutions, submissions, grades and the project's git history, remounts
every other file system read-only, sets rlimits (address space, CPU time, file size,
core dumps, processes), scrubs the environment (nothing says "grading"; MLflow points at
a throwaway SQLite file in the work folder, a copy of the grader's pre-migrated empty
store), and ``exec``\\ s the kernel in ``/tmp/work``.
The PID namespace hides the runner and the grader: the kernel cannot see or signal them,
and killing ``unshare`` kills every process of the namespace.

Where ``unshare`` is missing or not permitted, the same module runs without namespaces
(mode ``none``): fresh work folder, scrubbed env and rlimits only. The mode used is
recorded in each result, and grading never fails because of it.
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

UNSHARE_ARGS = ("--user", "--map-root-user", "--mount", "--pid", "--fork", "--mount-proc", "--kill-child")
_MS_RDONLY, _MS_NOSUID, _MS_NODEV, _MS_NOEXEC, _MS_REMOUNT, _MS_BIND, _MS_REC = 1, 2, 4, 8, 32, 4096, 16384
_MS_PRIVATE_REC = (1 << 18) | _MS_REC
_FLAG_NAMES = {"nosuid": _MS_NOSUID, "nodev": _MS_NODEV, "noexec": _MS_NOEXEC, "ro": _MS_RDONLY}
_KEEP_WRITABLE = ("/proc", "/sys", "/dev", "/tmp")
NS_WORKDIR = "/tmp/work"
STORE_NAME = "mlflow.db"  # the kernel's MLflow store, in its work folder


@dataclass
class SandboxConfig:
    """What the sandbox does before starting the kernel (written as JSON for the launcher).

    Attributes:
        mode: ``namespaces`` or ``none``.
        workdir: the kernel's cwd and HOME (``/tmp/work`` inside namespaces).
        hide: folders covered by an empty tmpfs (namespaces only).
        memory_bytes: RLIMIT_AS of the kernel.
        cpu_seconds: RLIMIT_CPU of the kernel.
        file_bytes: RLIMIT_FSIZE (largest file the kernel may write).
        tmp_bytes: size of the private ``/tmp`` (namespaces only).
        max_processes: RLIMIT_NPROC (not enforced by Linux for root).
        mpl_cache: a folder with a pre-built matplotlib font cache to copy in.
        mlflow_store: an empty, migrated MLflow database the kernel's store starts as a copy of
            (:mod:`mlops_course.store_template`); copied only if its SHA-256 is ``mlflow_sha256``.
        mlflow_sha256: the SHA-256 the grader read from ``mlflow_store``.
        env: extra environment variables.
        kfp_server: a forked kernel (fast path) forks a KFP step server from itself before ipykernel
            starts (:mod:`mlops_course.workflows.kfp_prefork`): set for notebooks that use KFP's local runner.
    """

    mode: str
    workdir: str
    hide: list[str] = field(default_factory=list)
    memory_bytes: int = 4 * 1024**3
    cpu_seconds: int = 900
    file_bytes: int = 256 * 1024**2
    tmp_bytes: int = 1024**3
    max_processes: int = 512
    mpl_cache: str | None = None
    mlflow_store: str | None = None
    mlflow_sha256: str | None = None
    env: dict[str, str] = field(default_factory=dict)
    kfp_server: bool = False


def kernel_argv(config_path: Path, mode: str) -> list[str]:
    """The kernelspec argv that starts an ipykernel through this sandbox."""
    inner = [
        sys.executable,
        "-m",
        "mlops_course.grading.sandbox",
        str(config_path),
        "--",
        sys.executable,
        "-Xfrozen_modules=off",
        "-m",
        "ipykernel_launcher",
        "-f",
        "{connection_file}",
    ]
    if mode == "namespaces":
        return [shutil.which("unshare") or "unshare", *UNSHARE_ARGS, "--", *inner]
    return inner


def write_kernelspec(folder: Path, name: str, config: SandboxConfig, template_socket: str | None = None) -> Path:
    """Write a kernelspec ``name`` under ``folder/kernels`` (use ``folder`` as JUPYTER_PATH).

    With ``template_socket`` the kernel is forked from that kernel template by the
    ``mlops-course-fork`` provisioner (:mod:`.fork_provisioner`) instead of started.

    Returns:
        The sandbox config file the kernelspec refers to.
    """
    spec_dir = folder / "kernels" / name
    spec_dir.mkdir(parents=True, exist_ok=True)
    config_path = folder / f"{name}-sandbox.json"
    config_path.write_text(json.dumps(asdict(config)))
    spec: dict[str, Any] = {
        "argv": kernel_argv(config_path, config.mode),
        "display_name": "Python 3 (grading)",
        "language": "python",
        "interrupt_mode": "message",
        "metadata": {"debugger": False},
    }
    if template_socket is not None:
        from mlops_course.grading.fork_provisioner import provisioner_stanza

        spec["argv"] = [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"]
        spec["metadata"]["kernel_provisioner"] = provisioner_stanza(template_socket, str(config_path))
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    return config_path


@lru_cache(maxsize=1)
def probe_namespaces() -> tuple[str, str]:
    """Which sandbox this machine allows: ``("namespaces", "")`` or ``("none", reason)``."""
    unshare = shutil.which("unshare")
    if unshare is None:
        return "none", "the unshare command is not installed"
    try:
        done = subprocess.run(
            [unshare, *UNSHARE_ARGS, "--", sys.executable, "-m", "mlops_course.grading.sandbox", "--probe"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return "none", f"unshare failed: {exc}"
    if done.returncode == 0 and done.stdout.strip().endswith("sandbox-ok"):
        return "namespaces", ""
    return "none", f"unshare not permitted here: {(done.stderr or done.stdout).strip()[-200:]}"


# -- inside the namespace ----------------------------------------------------------------
def _mount(source: str, target: str, fstype: str | None, flags: int, data: str | None) -> None:
    libc = ctypes.CDLL(None, use_errno=True)
    result = libc.mount(
        source.encode(), target.encode(), fstype.encode() if fstype else None, flags, data.encode() if data else None
    )
    if result != 0:
        errno = ctypes.get_errno()
        raise OSError(errno, f"mount {target}: {os.strerror(errno)}")


def _mount_points() -> list[tuple[str, int]]:
    points = []
    with open("/proc/self/mountinfo", encoding="utf-8") as handle:
        for line in handle:
            fields = line.split()
            point = fields[4].encode().decode("unicode_escape")
            flags = 0
            for option in fields[5].split(","):
                flags |= _FLAG_NAMES.get(option, 0)
            points.append((point, flags))
    return points


#: Where other people's files (and other checkouts of the course, with their solutions)
#: usually live: the kernel sees these as empty, except what it needs, bound back in.
MASKED_ROOTS = ("/tmp", "/work", "/home", "/root", "/srv", "/mnt", "/media", "/var/tmp")


def _under(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def paths_to_keep() -> list[str]:
    """What the kernel needs that may live under a masked root: the Python environment, its
    base interpreter and the course checkout (e.g. a venv in /home, pyenv in /root, a CI
    clone in /tmp). They are bound back in, read-only like every other file system."""
    from mlops_course.paths import PROJECT_ROOT

    candidates = {os.path.realpath(p) for p in (sys.prefix, sys.base_prefix, str(PROJECT_ROOT))}
    masked = sorted(p for p in candidates if any(_under(p, root) and p != root for root in MASKED_ROOTS))
    return [p for p in masked if not any(other != p and _under(p, other) for other in masked)]


def isolate_filesystem(config: SandboxConfig, keep_paths: list[str] | None = None) -> None:
    """Private /tmp and /dev/shm, masked home and work folders, hidden folders, everything
    else read-only. ``keep_paths`` overrides :func:`paths_to_keep` (a forked kernel template has
    the kernel's environment, so it cannot compute them itself)."""
    wanted = paths_to_keep() if keep_paths is None else keep_paths
    keep = {path: os.open(path, os.O_RDONLY | os.O_DIRECTORY) for path in wanted if os.path.isdir(path)}
    for root in MASKED_ROOTS:
        if root == "/tmp":
            _mount("tmpfs", root, "tmpfs", _MS_NOSUID | _MS_NODEV, f"size={config.tmp_bytes},mode=1777")
        elif os.path.isdir(root) and not os.path.islink(root):
            _mount("tmpfs", root, "tmpfs", _MS_NOSUID | _MS_NODEV, "size=1m,mode=0755")
    for path, fd in keep.items():  # bind the kept folders back through their open descriptors
        os.makedirs(path, exist_ok=True)
        _mount(f"/proc/self/fd/{fd}", path, None, _MS_BIND | _MS_REC, None)
        os.close(fd)
    if os.path.isdir("/dev/shm"):
        _mount("tmpfs", "/dev/shm", "tmpfs", _MS_NOSUID | _MS_NODEV, "size=64m,mode=1777")
    for folder in config.hide:
        masked = any(_under(folder, root) for root in MASKED_ROOTS)
        if (not masked or any(_under(folder, path) for path in keep)) and os.path.isdir(folder):
            _mount("tmpfs", folder, "tmpfs", _MS_NOSUID | _MS_NODEV, "size=4k,mode=0")
    for point, flags in _mount_points():
        kept = any(_under(point, path) for path in keep)
        if not kept and any(_under(point, keep_rw) for keep_rw in _KEEP_WRITABLE):
            continue
        try:
            _mount("none", point, None, _MS_REMOUNT | _MS_BIND | _MS_RDONLY | flags, None)
        except OSError:
            pass  # a mount we may not touch stays as it is; the private /tmp is what must be writable


def _set_limits(config: SandboxConfig) -> None:
    limits = [
        (resource.RLIMIT_AS, config.memory_bytes),
        (resource.RLIMIT_CPU, config.cpu_seconds),
        (resource.RLIMIT_FSIZE, config.file_bytes),
        (resource.RLIMIT_CORE, 0),
        (resource.RLIMIT_NPROC, config.max_processes),
    ]
    for kind, value in limits:
        try:
            resource.setrlimit(kind, (value, value))
        except (ValueError, OSError):
            pass


def kernel_env(config: SandboxConfig) -> dict[str, str]:
    """The kernel's whole environment: nothing inherited, nothing that announces grading."""
    work = config.workdir
    env = {
        "PATH": f"{os.path.dirname(sys.executable)}:/usr/local/bin:/usr/bin:/bin",
        "HOME": work,
        "TMPDIR": "/tmp" if config.mode == "namespaces" else work,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "IPYTHONDIR": f"{work}/.ipython",
        "MPLCONFIGDIR": f"{work}/.config/matplotlib",
        "MLOPS_COURSE_HOME": work,
        "MLFLOW_TRACKING_URI": f"sqlite:///{work}/{STORE_NAME}",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        "JUPYTER_PLATFORM_DIRS": "1",
    }
    # the instructor's switch for forked KFP steps (docs/instructor.md) reaches the kernel; it says nothing of grading
    if os.environ.get("MLOPS_COURSE_KFP_FORK"):
        env["MLOPS_COURSE_KFP_FORK"] = os.environ["MLOPS_COURSE_KFP_FORK"]
    env.update(config.env)
    return env


def store_bytes(config: SandboxConfig) -> bytes | None:
    """The template the kernel's MLflow store starts as, or ``None`` (then MLflow creates it).

    Read before the file system is isolated, and only if it is still the file the grader
    checked: each kernel gets its own copy, and no submission can change what the next starts from.
    """
    if not config.mlflow_store or not config.mlflow_sha256:
        return None
    try:
        data = Path(config.mlflow_store).read_bytes()
    except OSError:
        return None
    return data if hashlib.sha256(data).hexdigest() == config.mlflow_sha256 else None


def enter(config: SandboxConfig, connection: bytes, conn_file: str, kept: list[str] | None = None) -> str:
    """Inside fresh namespaces (or none): isolate the file system, prepare the work folder,
    silence stdin/stdout, set the rlimits; returns where the connection file now is.

    Shared by :func:`launch` (today's path, then ``exec``) and the forked kernel template.
    """
    mpl_files = {}
    if config.mpl_cache and os.path.isdir(config.mpl_cache):
        for entry in os.scandir(config.mpl_cache):
            if entry.is_file() and entry.name.endswith(".json"):
                mpl_files[entry.name] = Path(entry.path).read_bytes()
    store = store_bytes(config)
    if config.mode == "namespaces":
        isolate_filesystem(config, kept)
    work = Path(config.workdir)
    (work / ".config" / "matplotlib").mkdir(parents=True, exist_ok=True)
    for name, data in mpl_files.items():
        (work / ".config" / "matplotlib" / name).write_bytes(data)
    if store is not None and not (work / STORE_NAME).exists():
        (work / STORE_NAME).write_bytes(store)
    if config.mode == "namespaces":
        conn_path = Path("/tmp/.kernel-connection.json")
        conn_path.write_bytes(connection)
        os.chmod(conn_path, 0o600)
        conn_file = str(conn_path)
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1):
        os.dup2(devnull, fd)
    if devnull > 2:
        os.close(devnull)
    os.chdir(work)
    _set_limits(config)
    return conn_file


def launch(config_path: str, argv: list[str]) -> None:
    """Enter the sandbox and ``exec`` the kernel (never returns)."""
    config = SandboxConfig(**json.loads(Path(config_path).read_text()))
    conn_index = argv.index("-f") + 1
    connection = Path(argv[conn_index]).read_bytes()
    argv[conn_index] = enter(config, connection, argv[conn_index])
    os.execve(argv[0], argv, kernel_env(config))


def _probe() -> None:
    isolate_filesystem(SandboxConfig(mode="namespaces", workdir=NS_WORKDIR, tmp_bytes=1024**2))
    Path("/tmp/probe").write_text("ok")
    print("sandbox-ok")


def main(args: list[str]) -> None:
    """``python -m mlops_course.grading.sandbox CONFIG -- KERNEL ARGV...`` or ``--probe``."""
    if args[:1] == ["--probe"]:
        _probe()
        return
    if len(args) < 3 or args[1] != "--":
        sys.exit("usage: python -m mlops_course.grading.sandbox CONFIG.json -- KERNEL ARGV...")
    launch(args[0], args[2:])


if __name__ == "__main__":
    main(sys.argv[1:])
