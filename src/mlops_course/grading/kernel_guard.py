"""Runs *inside* the grading kernel: snapshot a pristine state, run each test on it.

The grader injects a setup cell before any learner code that calls :func:`install`; it
snapshots what tests rely on (builtins; ``math``, ``operator``, numpy, pandas and every
module the tests import, with their classes and functions' code; IPython's exception
handling, event hooks and input/AST transformers; the kernel's execution machinery;
``sys`` hooks) and registers an audit hook (PEP 578, it cannot be removed).

Each test cell is rewritten by the runner into one line that reaches this state without
using any name the learner could rebind, and calls ``run_test(code, grade_id, token)``:

1. *prelude*: restore the snapshot (learner patches made before the test are undone and
   reported as ``noted``; patches of the execution machinery, which may already have
   altered the running cell, are reported as ``critical``);
2. run the test code as a function (its locals cannot be rewritten from other frames)
   whose globals are a copy of the learner's namespace without names that shadow
   builtins;
3. *epilogue*: check the protected state again: anything the learner's code changed
   *while the test ran* (monkeypatching from inside a called function, tracing) is
   ``critical``; then print the sentinel line ``MARK token {"critical": [...], ...}``.

The runner counts a test as passed only if that line appeared with no critical finding,
besides nbval's verdict, the reply status and the absence of error output. Code running
in the kernel can in principle subvert anything in its own process; what this module
cannot prevent it reports, and the static scan flags (see :mod:`.scan`).

Nothing of the learner's runs inside a restore: ``run_test`` first calls the guard's own
restorer (:func:`.kernel_snapshot.guard_restorer`, bound in its closure), which puts back
the builtins and the guard's modules and classes with references taken at ``install``; the
builtins these modules call are bound at import, in the pristine kernel. A failing test's
message is formatted before the restore that precedes the failure, so what its exception
does when printed (``__str__``) is undone before IPython reports it.
"""

from __future__ import annotations

import ast
import builtins
import sys
import types
from builtins import (  # noqa: UP029 (bound in the pristine kernel: a learner's builtins.x = ... does not reach them)
    BaseException,
    Exception,
    SyntaxError,
    dict,
    getattr,
    isinstance,
    len,
    set,
    setattr,
    sorted,
    str,
    type,
)
from typing import Any

from mlops_course.grading import kernel_snapshot, kernel_state
from mlops_course.grading.kernel_state import BASE_IMPORTS, BASE_PROTECTED, _State

MARK = "@@MLOPS-GRADER@@ "
#: printed once when the kernel's stdout/stderr pass the output limit (the runner then stops it)
OUTPUT_MARK = "@@MLOPS-GRADER-OUTPUT-LIMIT@@"


class TestFailure(AssertionError):
    """A failed test, with a message that names the failing test line."""

    __test__ = False  # not a pytest test class


def imported_modules(sources: list[str]) -> list[str]:
    """Names of the modules imported by test code (absolute imports only)."""
    names: set[str] = set()
    for source in sources:
        try:
            tree = ast.parse(source)
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module)
    return sorted(names)


def _wrap_as_function(code: str, filename: str) -> types.CodeType:
    """Compile test code as the body of a function ``__graded_test__`` (line numbers kept)."""
    tree = ast.parse(code, filename=filename)
    body = tree.body or [ast.Pass()]
    func = ast.FunctionDef(
        name="__graded_test__",
        args=ast.arguments(posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[], defaults=[]),
        body=body,
        decorator_list=[],
        returns=None,
        type_comment=None,
    )
    module = ast.Module(body=[func], type_ignores=[])
    ast.fix_missing_locations(ast.copy_location(func, body[0]))
    return compile(module, filename, "exec", dont_inherit=True)


def _cap_output(limit: int) -> type:
    """Keep at most ``limit`` characters of stdout/stderr text; drop the rest.

    ipykernel buffers printed text in ``StringIO`` objects until its I/O thread flushes
    them; a loop printing gigabytes would fill the kernel's memory and then send one
    enormous message. The buffers are replaced by capped ones (at the buffer level,
    because IPython re-wraps ``sys.stdout.write`` on every cell). Past the limit the
    marker line is written once and the runner stops the kernel when it sees it.
    """
    from collections import defaultdict
    from io import StringIO

    import ipykernel.iostream as iostream

    written = [0]
    length, write, marker = len, StringIO.write, f"\n{OUTPUT_MARK}\n"  # bound now: learner code runs between

    class CappedBuffer(StringIO):
        def write(self, text: str) -> int:
            size = length(text)
            if written[0] > limit:
                return size
            written[0] += size
            if written[0] > limit:
                write(self, marker)
                return size
            return write(self, text)

    iostream.StringIO = CappedBuffer  # type: ignore[misc]  # used when buffers rotate
    for stream in {sys.stdout, sys.stderr}:
        buffers = getattr(stream, "_buffers", None)
        lock = getattr(stream, "_buffer_lock", None)
        if isinstance(buffers, defaultdict) and lock is not None:
            with lock:
                capped: defaultdict[Any, StringIO] = defaultdict(CappedBuffer)
                for key, buffer in buffers.items():
                    capped[key].write(buffer.getvalue())
                setattr(stream, "_buffers", capped)  # noqa: B010 (a private attribute of ipykernel's stream)
    return CappedBuffer


def install(token: str, protected: tuple[str, ...] = (), output_limit: int = 10 * 1024**2) -> None:
    """Snapshot the pristine kernel and register ``run_test`` as module ``_mlops_grader_<token>``.

    Args:
        token: per-run random name; the test cells reach the state under it.
        protected: extra module names (and their submodules) to protect, e.g. what the
            tests import.
        output_limit: characters of stdout/stderr kept (see :func:`_cap_output`).
    """
    import linecache
    import traceback

    shell = get_ipython()  # type: ignore[name-defined]  # noqa: F821 (IPython builtin)
    for name in BASE_IMPORTS + tuple(protected):
        try:
            __import__(name)
        except Exception:
            pass
    capped = _cap_output(output_limit)
    state = _State(shell, BASE_PROTECTED + tuple(protected))
    sys.addaudithook(state.audit)
    guard_modules = (kernel_state, kernel_snapshot, sys.modules[__name__])
    guard_classes = tuple(
        value
        for module in guard_modules
        for value in vars(module).values()
        if isinstance(value, type) and value.__module__ == module.__name__
    ) + (capped,)
    restore_guard = kernel_snapshot.guard_restorer(
        guard_modules, guard_classes, vars(builtins), state.builtin_keys, state.builtin_values
    )
    restore = _State.restore
    pristine_exec, pristine_dict, pristine_len = exec, dict, len
    import json

    write, flush = sys.stdout.write, sys.stdout.flush
    shadowed = set(state.builtins_dict)

    def failure(exc: BaseException, filename: str) -> TestFailure:
        try:
            text = f"{type(exc).__name__}: {exc}"
        except Exception:
            text = type(exc).__name__
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename == filename]
        if frames:
            text += f"\n  at test line {frames[-1].lineno}: {frames[-1].line}"
        return TestFailure(text[:2000])

    def restore_all() -> tuple[tuple[str, ...], tuple[str, ...]]:
        """The guard's own state first (no lookup before it), then the snapshot; tuples,
        so that learner code reaching this frame cannot clear them."""
        guard_critical, guard_noted = restore_guard()
        critical, noted = restore(state)
        return tuple(guard_critical + critical), tuple(guard_noted + noted)

    def run_test(code: str, grade_id: str, token: str) -> None:
        critical, noted = restore_all()
        state.audit_critical.clear()
        namespace = pristine_dict(
            (k, v)
            for k, v in state.shell.user_ns.items()
            if k not in shadowed or k.startswith("__") or v is state.builtins_dict.get(k)
        )
        namespace["__builtins__"] = builtins
        filename = f"<test {grade_id}>"
        linecache.cache[filename] = (pristine_len(code), None, code.splitlines(True), filename)
        before = set(namespace)
        state.in_test = True
        try:
            pristine_exec(_wrap_as_function(code, filename), namespace)
            namespace["__graded_test__"]()
        except BaseException as exc:
            restore_guard()
            state.in_test = False
            error = failure(exc, filename)  # may run the learner's __str__: restored next
            restore_all()  # machinery patched while the test failed must not report its failure
            raise error from None
        finally:
            state.in_test = False
        # everything that touches the learner's objects comes before the last restore
        late = ["changed during the test: __builtins__"] if namespace.get("__builtins__") is not builtins else []
        late += [f"shadowed during the test: {k}" for k in set(namespace) - before if k in shadowed and k[:2] != "__"]
        del namespace
        after_critical, after_noted = restore_all()
        found = list(critical) + [f"changed during the test: {x}" for x in after_critical + after_noted]
        found += [f"during the test: {x}" for x in state.audit_critical] + late
        report = json.dumps({"critical": found[:20], "noted": sorted(set(noted) | state.audit_noted)[:20]})
        write(f"\n{MARK}{token} {report}\n")
        flush()

    module = types.ModuleType(f"_mlops_grader_{token}")
    module.run_test = run_test  # type: ignore[attr-defined]
    sys.modules[module.__name__] = module


def locator(token: str) -> str:
    """Python expression reaching the state without any name the learner could rebind.

    ``BuiltinImporter`` is found among ``object``'s subclasses from a literal; its
    ``find_spec`` function's globals hold the interpreter's own ``sys``.
    """
    return (
        "[c for c in ().__class__.__base__.__subclasses__() if c.__name__ == 'BuiltinImporter'][0]"
        f".find_spec.__func__.__globals__['sys'].modules['_mlops_grader_{token}']"
    )


def setup_source(token: str, protected: list[str], output_limit: int) -> str:
    """Source of the setup cell the grader injects before any learner code."""
    return (
        "import mlops_course.grading.kernel_guard as _mlops_grading_guard\n"
        f"_mlops_grading_guard.install({token!r}, {tuple(protected)!r}, {int(output_limit)})\n"
        "del _mlops_grading_guard\n"
    )


def wrapped_test_source(code: str, grade_id: str, run_token: str, cell_token: str) -> str:
    """The single line a test cell is rewritten into."""
    return f"{locator(run_token)}.run_test({code!r}, {grade_id!r}, {cell_token!r})\n"
