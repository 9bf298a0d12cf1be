"""The kernel's protected state, snapshotted before learner code runs and put back before
each test (used by :mod:`.kernel_guard`, inside the grading kernel).

What is snapshotted: builtins; ``math``, ``operator``, numpy, pandas and every module the
tests import, with their classes and functions' code; IPython's exception handling, event
hooks and input/AST transformers; the kernel's execution machinery; ``sys`` hooks. The
audit hook records calls that can subvert a test; ``ctypes.dlsym`` counts only when the
code asking for the symbol is not an installed library (threadpoolctl, used by
scikit-learn, looks up BLAS symbols on every fit: that is not the learner's doing).

The builtins this module calls are bound at import, in the pristine kernel (a learner's
``builtins.zip = ...`` does not reach them), and the restore calls nothing of the learner's:
comparisons are identities, and a callback's module is read only from a plain function.
"""

from __future__ import annotations

import builtins
import os
import sys
import types
from builtins import (  # noqa: UP029 (bound in the pristine kernel: a learner's builtins.x = ... does not reach them)
    all,
    any,
    dict,
    frozenset,
    getattr,
    id,
    isinstance,
    len,
    list,
    object,
    set,
    setattr,
    str,
    tuple,
    type,
    vars,
    zip,
)
from typing import Any

from mlops_course.grading import kernel_snapshot
from mlops_course.grading.kernel_snapshot import mutable_class as _mutable_class

_MISSING = object()
BASE_PROTECTED = (
    "math",
    "cmath",
    "operator",
    "numbers",
    "statistics",
    "functools",
    "fractions",
    "decimal",
    "json",
    "copy",
    "numpy",
    "pandas",
    "mlops_course",
    "IPython.core.interactiveshell",
    "ipykernel.ipkernel",
    "ipykernel.kernelbase",
    "ipykernel.zmqshell",
    "ipykernel.iostream",
    "jupyter_client.session",
)
#: imported before the snapshot: test helpers that numpy and pandas load lazily
BASE_IMPORTS = ("math", "operator", "numpy", "numpy.testing", "pandas", "pandas.testing", "pandas.api.types")
_MACHINERY_MODULES = ("IPython", "ipykernel", "jupyter_client")
_SHELL_ATTRS = (
    "showtraceback",
    "_showtraceback",
    "showsyntaxerror",
    "showindentationerror",
    "CustomTB",
    "custom_exceptions",
    "excepthook",
    "InteractiveTB",
    "SyntaxTB",
    "displayhook",
    "display_pub",
    "events",
    "input_transformer_manager",
    "ast_transformers",
    "input_transformers_post",
    "compile",
)
_SHELL_MACHINERY = (
    "run_cell",
    "run_cell_async",
    "_run_cell",
    "run_code",
    "run_ast_nodes",
    "transform_cell",
    "transform_ast",
    "should_run_async",
    "ex",
    "ev",
    "safe_execfile",
)
_KERNEL_MACHINERY = (
    "do_execute",
    "execute_request",
    "send_response",
    "_publish_execute_input",
    "_publish_status",
    "session",
    "iopub_socket",
    "iopub_thread",
    "shell",
)
_SESSION_MACHINERY = ("send", "serialize", "sign", "msg", "feed_identities", "deserialize")
_SYS_HOOKS = ("stdout", "stderr", "stdin", "excepthook", "displayhook", "breakpointhook", "unraisablehook")
_CRITICAL_AUDIT = {"sys.settrace", "sys.setprofile", "sys._current_frames"}
_NOTED_AUDIT = {"gc.get_objects", "gc.get_referrers", "gc.get_referents", "os.kill", "os.killpg"}
_BENIGN_CALLBACK_MODULES = ("matplotlib", "matplotlib_inline", "IPython", "ipykernel")
# builtins IPython and ipykernel rebind on every execution (input forwarding, the ``_`` history)
_VOLATILE_BUILTINS = frozenset(
    {"input", "getpass", "raw_input", "_", "__", "___", "display", "get_ipython", "exit", "quit"}
)


def _same(a: Any, b: Any) -> bool:
    """Identity, or the same bound method (never calls a learner's ``__eq__``)."""
    if a is b:
        return True
    if type(a) is types.MethodType and type(b) is types.MethodType:
        return a.__func__ is b.__func__ and a.__self__ is b.__self__
    return False


def _module_of(callback: Any) -> str:
    """The module of a plain function or bound method, else ``""`` (runs none of the learner's code)."""
    func = callback.__func__ if type(callback) is types.MethodType else callback
    module = func.__module__ if type(func) is types.FunctionType else None
    return module if type(module) is str else ""


def _own(obj: Any, name: str) -> Any:
    """The value ``obj`` itself holds for ``name`` (instance dict or traitlets value)."""
    own = vars(obj)
    if name in own:
        return own[name]
    traits = own.get("_trait_values")
    if isinstance(traits, dict) and name in traits:
        return traits[name]
    return _MISSING


def _set_own(obj: Any, name: str, value: Any) -> None:
    own = vars(obj)
    traits = own.get("_trait_values")
    target = traits if isinstance(traits, dict) and (name in traits or value is _MISSING and name not in own) else own
    if value is _MISSING:
        own.pop(name, None)
        if isinstance(traits, dict):
            traits.pop(name, None)
    else:
        target[name] = value


_getframe = sys._getframe
_isfile = os.path.isfile
#: installed code (the Python environment, the standard library, this package): its ctypes use is not the learner's
_LIBRARY_ROOTS = tuple(
    sorted(
        {
            os.path.join(form(root), "")
            for root in (sys.prefix, sys.base_prefix, sys.exec_prefix, os.path.dirname(os.path.dirname(__file__)))
            for form in (os.path.abspath, os.path.realpath)
        }
    )
)
_CTYPES_DIRS = tuple(
    {os.path.join(form(os.path.dirname(types.__file__)), "ctypes", "") for form in (os.path.abspath, os.path.realpath)}
)


def _library_caller() -> bool:
    """True when the first frame outside ``ctypes`` that led to this audit event runs installed code."""
    frame: Any = _getframe(2)
    while frame is not None:
        filename = frame.f_code.co_filename
        if not filename.startswith(_CTYPES_DIRS):
            return filename.startswith(_LIBRARY_ROOTS) and _isfile(filename)
        frame = frame.f_back
    return False


class _State:
    """The pristine snapshot and the code that restores and checks it."""

    def __init__(self, shell: Any, protected: tuple[str, ...]) -> None:
        self.shell = shell
        self.kernel = getattr(shell, "kernel", None)
        self.session = getattr(self.kernel, "session", None)
        self.builtins = builtins
        self.builtins_dict = dict(vars(builtins))
        self.builtin_keys = tuple(k for k in self.builtins_dict if k not in _VOLATILE_BUILTINS)
        self.builtin_values = tuple(self.builtins_dict[k] for k in self.builtin_keys)
        self.restoring = False
        self.audit_critical: list[str] = []
        self.audit_noted: set[str] = set()
        self.in_test = False
        self.snapshot = kernel_snapshot.take(protected)
        for obj in (shell, self.kernel, self.session, sys.stdout, sys.stderr, getattr(shell, "displayhook", None)):
            for cls in type(obj).__mro__ if obj is not None else ():
                if cls.__module__.startswith(_MACHINERY_MODULES) and _mutable_class(cls):
                    self.snapshot.add_class(cls)
        for obj, names in ((shell, _SHELL_ATTRS), (self.kernel, _KERNEL_MACHINERY)):
            for name in names:
                getattr(obj, name, None)  # create lazy traitlets defaults before the snapshot
        self.shell_own = {n: _own(shell, n) for n in _SHELL_ATTRS + _SHELL_MACHINERY}
        self.kernel_own = {n: _own(self.kernel, n) for n in _KERNEL_MACHINERY} if self.kernel else {}
        self.session_own = {n: _own(self.session, n) for n in _SESSION_MACHINERY} if self.session else {}
        self.handlers = {k: dict(getattr(self.kernel, k, {}) or {}) for k in ("shell_handlers", "control_handlers")}
        self.lists = self._lists()
        self.list_contents = {id(lst): list(lst) for _name, lst in self.lists}
        self.callbacks_dict = shell.events.callbacks
        self.callbacks = {k: list(v) for k, v in shell.events.callbacks.items()}
        self.sys_hooks = {n: getattr(sys, n, None) for n in _SYS_HOOKS}
        self.trace, self.profile = sys.gettrace(), sys.getprofile()
        self.numpy = sys.modules.get("numpy")
        numpy = self.numpy
        self.np_err = numpy.geterr() if numpy is not None else None

    def _lists(self) -> list[tuple[str, list[Any]]]:
        manager = getattr(self.shell, "input_transformer_manager", None)
        found = [("ast_transformers", self.shell.ast_transformers)]
        for attr in ("cleanup_transforms", "line_transforms", "token_transformers"):
            if isinstance(getattr(manager, attr, None), list):
                found.append((f"input_transformer_manager.{attr}", getattr(manager, attr)))
        post = getattr(self.shell, "input_transformers_post", None)
        if isinstance(post, list):
            found.append(("input_transformers_post", post))
        return found

    # -- restoring -------------------------------------------------------------------
    def restore(self) -> tuple[list[str], list[str]]:
        """Put the snapshot back. Returns ``(critical, noted)`` findings."""
        critical: list[str] = []
        noted: list[str] = []
        self.restoring = True
        try:
            # modules first: the machinery's classes are put back before the shell is read
            self._restore_modules(critical, noted)
            self._restore_ipython(critical, noted)
            self._restore_sys(noted)
        finally:
            self.restoring = False
        return critical, noted

    def _restore_ipython(self, critical: list[str], noted: list[str]) -> None:
        for obj, snap, label in (
            (self.shell, self.shell_own, "shell"),
            (self.kernel, self.kernel_own, "kernel"),
            (self.session, self.session_own, "session"),
        ):
            for name, value in snap.items():
                if not _same(_own(obj, name), value):
                    _set_own(obj, name, value)
                    machinery = name in _SHELL_MACHINERY or label != "shell"
                    (critical if machinery else noted).append(f"{label}.{name}")
        for key, snap in self.handlers.items():
            current = getattr(self.kernel, key, None)
            if current is not None and type(current) is not dict:
                _set_own(self.kernel, key, dict(snap))  # replaced by another mapping: never compared
                critical.append(f"kernel.{key}")
            elif type(current) is dict and (
                len(current) != len(snap) or any(current.get(k, _MISSING) is not v for k, v in snap.items())
            ):
                current.clear()
                current.update(snap)
                critical.append(f"kernel.{key}")
        for name, lst in self._lists():
            pristine = self.list_contents.get(id(lst))
            if pristine is None:
                critical.append(name)  # the list object itself was replaced; _own restore put the old one back
            elif len(lst) != len(pristine) or any(a is not b for a, b in zip(lst, pristine)):
                lst[:] = pristine
                critical.append(name)
        events, callbacks = self.shell.events, self.callbacks_dict
        if vars(events).get("callbacks") is not callbacks:
            vars(events)["callbacks"] = callbacks
            noted.append("events.callbacks")
        for event, pristine in self.callbacks.items():
            current = callbacks.get(event)
            if type(current) is not list:  # missing, or replaced by an object that is not a list
                callbacks[event] = list(pristine)
                noted.append(f"events.{event}")
            elif [id(f) for f in current] != [id(f) for f in pristine]:
                extra = [f for f in current if all(f is not g for g in pristine)]
                if any(not _module_of(f).startswith(_BENIGN_CALLBACK_MODULES) for f in extra):
                    noted.append(f"events.{event}")
                current[:] = pristine

    def _restore_modules(self, critical: list[str], noted: list[str]) -> None:
        changed: list[str] = []
        own = vars(builtins)
        if not kernel_snapshot._same_entries(own, self.builtin_keys, self.builtin_values):
            for key, value in zip(self.builtin_keys, self.builtin_values):
                if own.get(key, _MISSING) is not value:
                    own[key] = value
                    changed.append(f"builtins.{key}")
        self.snapshot.restore(changed)
        for item in changed:
            (critical if item.split(".")[0] in _MACHINERY_MODULES else noted).append(item)

    def _restore_sys(self, noted: list[str]) -> None:
        for name, value in self.sys_hooks.items():
            if not _same(getattr(sys, name, None), value):
                setattr(sys, name, value)
                noted.append(f"sys.{name}")
        if sys.gettrace() is not self.trace:
            sys.settrace(self.trace)
            noted.append("sys.settrace")
        if sys.getprofile() is not self.profile:
            sys.setprofile(self.profile)
            noted.append("sys.setprofile")
        numpy = self.numpy
        if numpy is not None and self.np_err is not None and numpy.geterr() != self.np_err:
            numpy.seterr(**self.np_err)
            noted.append("numpy.seterr")

    # -- auditing --------------------------------------------------------------------
    def audit(self, event: str, args: tuple[Any, ...]) -> None:
        """PEP 578 hook: record calls that can subvert a test while it runs."""
        if self.restoring:
            return
        if event in _CRITICAL_AUDIT:
            if self.in_test:
                self.audit_critical.append(event)
            else:
                self.audit_noted.add(event)
        elif event in _NOTED_AUDIT or event == "ctypes.dlsym" and not _library_caller():
            self.audit_noted.add(event)
        elif event == "open" and args and str(args[0]).endswith(".ipynb"):
            self.audit_noted.add("open(.ipynb)")
