"""The modules' part of the kernel guard's snapshot (used by :mod:`.kernel_state`).

What it holds: the globals of every protected module, the dicts of the classes those
modules define, and the code, defaults and keyword defaults of their functions (module
functions and class members). It is taken once in the kernel template, before the fork
(:func:`prepare`): every forked kernel shares it instead of copying some 30 000 entries
itself. At ``install`` the kernel keeps the modules its tests protect and brings the entries
up to date with its own state (:func:`take`): whatever differs from the template (a module
imported after the fork, a class attribute set while the kernel started) is snapshotted
again, so the pristine state is the kernel's own at ``install``, as before.

:meth:`Snapshot.restore` compares before it writes: each module, class and the functions
are checked with identity comparisons that run in C (``map`` of ``operator.is_``, which
never calls a learner's ``__eq__``); only an entry that differs is written back and reported.
Unchanged entries are never written, so restoring un-shares no page forked from the template.

The builtins this module calls are bound at import (in the pristine kernel), so a learner's
``builtins.zip = ...`` never runs inside a restore; :func:`guard_restorer` puts the guard's
own modules, classes and the builtins back first, with references it holds itself.
"""

from __future__ import annotations

import builtins
import gc
import operator
import sys
import types
from builtins import (  # noqa: UP029 (bound in the pristine kernel: a learner's builtins.x = ... does not reach them)
    any,
    delattr,
    dict,
    frozenset,
    getattr,
    isinstance,
    len,
    list,
    set,
    setattr,
    str,
    tuple,
    type,
    vars,
    zip,
)
from collections.abc import Callable
from itertools import chain, repeat
from typing import Any

MISSING = object()
_HEAPTYPE, _IMMUTABLE = 1 << 9, 1 << 8
#: Class attributes Python itself adds as caches; their appearance is not tampering.
_CACHE_ATTRIBUTES = frozenset({"__slotnames__"})
_is, _all, _map, _len, _vars, _tuple = operator.is_, builtins.all, builtins.map, builtins.len, builtins.vars, tuple
_code, _defaults = operator.attrgetter("__code__"), operator.attrgetter("__defaults__")
_kwdefaults = operator.attrgetter("__kwdefaults__")
_referents = gc.get_referents
_type_setattr, _type_delattr, _class_dict = type.__setattr__, type.__delattr__, type.__dict__["__dict__"].__get__
#: the template's snapshot (:func:`prepare`), taken once by the forked kernel's ``install``
_PREPARED: list[Snapshot] = []


def mutable_class(value: Any) -> bool:
    return isinstance(value, type) and bool(value.__flags__ & _HEAPTYPE) and not value.__flags__ & _IMMUTABLE


def _same_entries(current: Any, keys: tuple[str, ...], values: tuple[Any, ...]) -> bool:
    """Every key of the snapshot maps to the very same object (in C; nothing is written)."""
    return _all(_map(_is, _map(current.get, keys, repeat(MISSING)), values))


class _Module:
    """One module's globals, the classes it defines and the functions it holds."""

    __slots__ = ("classes", "functions", "keys", "module", "name", "values")

    def __init__(self, name: str, module: types.ModuleType, known: dict[type, Any]) -> None:
        self.name, self.module = name, module
        own = dict(vars(module))
        self.keys, self.values = tuple(own), tuple(own.values())
        classes, functions = [], []
        for value in self.values:
            if isinstance(value, types.FunctionType):
                functions.append(value)
            elif mutable_class(value) and value not in known and getattr(value, "__module__", "") == name:
                known[value] = None
                classes.append(_Class(value))
                functions.extend(classes[-1].functions)
        self.classes: tuple[_Class, ...] = tuple(classes)
        self.functions: tuple[types.FunctionType, ...] = tuple(functions)

    def current(self) -> bool:
        own = vars(self.module)
        return len(own) == len(self.keys) and _same_entries(own, self.keys, self.values)


class _Class:
    __slots__ = ("cls", "functions", "keys", "values")

    def __init__(self, cls: type) -> None:
        own = dict(vars(cls))
        self.cls, self.keys, self.values = cls, tuple(own), tuple(own.values())
        self.functions = tuple(
            inner
            for inner in (getattr(member, "__func__", member) for member in self.values)
            if isinstance(inner, types.FunctionType)
        )

    def current(self) -> bool:
        own = _class_dict(self.cls)
        return len(own) == len(self.keys) and _same_entries(own, self.keys, self.values)


class Snapshot:
    """Protected modules, their classes and functions (see the module docstring)."""

    def __init__(self, protected: tuple[str, ...], base: Snapshot | None = None) -> None:
        reuse = {m.name: m for m in base.modules} if base is not None else {}
        known: dict[type, Any] = {}
        self.modules: list[_Module] = []
        exact, prefixes = set(protected), tuple(p + "." for p in protected)
        for name, module in list(sys.modules.items()):
            if module is None or not (name in exact or name.startswith(prefixes)):
                continue
            entry = reuse.get(name)
            if entry is None or entry.module is not module or not entry.current():
                entry = _Module(name, module, known)
            self.modules.append(entry)
        self.names = tuple(m.name for m in self.modules)
        self.objects = tuple(m.module for m in self.modules)
        self.classes: dict[type, _Class] = {}
        for entry in self.modules:
            for snap in entry.classes:
                if snap.cls not in self.classes:
                    self.classes[snap.cls] = snap if snap.current() else _Class(snap.cls)
        functions = dict.fromkeys(chain.from_iterable(m.functions for m in self.modules))
        functions.update(dict.fromkeys(chain.from_iterable(c.functions for c in self.classes.values())))
        self.functions: tuple[types.FunctionType, ...] = tuple(functions)
        self.codes = _tuple(_map(_code, self.functions))
        self.defaults = _tuple(_map(_defaults, self.functions))
        self.kwdefaults = _tuple(_map(_kwdefaults, self.functions))
        self._baseline()

    def _baseline(self) -> None:
        """What the functions refer to now (code, globals, defaults, ..., in the order
        ``tp_traverse`` visits them), gathered in one call. Reading ``__code__`` raises an audit
        event per function, which the kernel guard's hook (Python) would see; this does not."""
        self.referents = _tuple(_referents(*self.functions))

    def _functions_unchanged(self) -> bool:
        """No function's code, defaults or keyword defaults was replaced since :meth:`_baseline`
        (a replaced one changes its referents; a false alarm only costs the full check)."""
        now = _referents(*self.functions)
        return _len(now) == _len(self.referents) and _all(_map(_is, now, self.referents))

    def add_class(self, cls: type) -> None:
        """Protect a class that no protected module defines (the kernel's machinery)."""
        if cls in self.classes:
            return
        snap = self.classes[cls] = _Class(cls)
        known = set(self.functions)
        new = tuple(dict.fromkeys(f for f in snap.functions if f not in known))
        self.functions += new
        self.codes += tuple(f.__code__ for f in new)
        self.defaults += tuple(f.__defaults__ for f in new)
        self.kwdefaults += tuple(f.__kwdefaults__ for f in new)
        self._baseline()

    # -- restoring -----------------------------------------------------------------------
    def restore(self, changed: list[str]) -> None:
        """Put back what differs (in the order sys.modules, globals, classes, functions)."""
        modules = sys.modules
        if not _all(_map(_is, _map(modules.get, self.names), self.objects)):
            for name, module in zip(self.names, self.objects):
                if modules.get(name) is not module:
                    modules[name] = module
                    changed.append(f"sys.modules[{name!r}]")
        for entry in self.modules:
            current = _vars(entry.module)
            if not _same_entries(current, entry.keys, entry.values):
                for key, value in zip(entry.keys, entry.values):
                    if current.get(key, MISSING) is not value:
                        current[key] = value
                        # A private global that was None is a lazily built cache (urllib.parse's
                        # _hextobyte is filled by the first unquote, which boto3 makes): reset it
                        # quietly; it is not something a test calls.
                        if not (key.startswith("_") and value is None):
                            changed.append(f"{entry.name}.{key}")
        for snap in self.classes.values():
            if not snap.current():
                _restore_class(snap, changed)
        if not self._functions_unchanged():
            for func, code, defaults, kwdefaults in zip(self.functions, self.codes, self.defaults, self.kwdefaults):
                if (
                    func.__code__ is not code
                    or func.__defaults__ is not defaults
                    or func.__kwdefaults__ is not kwdefaults
                ):
                    func.__code__, func.__defaults__, func.__kwdefaults__ = code, defaults, kwdefaults
                    changed.append(f"{func.__module__}.{func.__qualname__}.__code__")
            self._baseline()  # every function is pristine again: what else changed (a __dict__ made) is not


def _restore_class(snap: _Class, changed: list[str]) -> None:
    cls = snap.cls
    class_dict = _class_dict(cls)
    for key, value in zip(snap.keys, snap.values):
        if class_dict.get(key, MISSING) is not value:
            setattr(cls, key, value)
            changed.append(f"{cls.__module__}.{cls.__qualname__}.{key}")
    # copyreg caches __slotnames__ on a class the first time one of its objects is
    # pickled (MLflow's log_model does): a cache, not tampering.
    keys = set(snap.keys)
    for key in [k for k in class_dict if k not in keys and k not in _CACHE_ATTRIBUTES]:
        dunder = key.startswith("__") and key.endswith("__")
        if dunder or any(key in _class_dict(base) for base in cls.__mro__[1:]):
            delattr(cls, key)
            changed.append(f"{cls.__module__}.{cls.__qualname__}.{key}")


def prepare(protected: tuple[str, ...]) -> None:
    """In the kernel template, before it forks: snapshot every module under ``protected``."""
    _PREPARED[:] = [Snapshot(protected)]


def take(protected: tuple[str, ...]) -> Snapshot:
    """In the kernel, at ``install``: the snapshot of ``protected``, from the template's where
    it is still current (the template's is then dropped: it is used once)."""
    base = _PREPARED.pop() if _PREPARED else None
    return Snapshot(protected, base)


def guard_restorer(
    modules: tuple[types.ModuleType, ...],
    classes: tuple[type, ...],
    builtins_dict: dict[str, Any],
    builtin_keys: tuple[str, ...],
    builtin_values: tuple[Any, ...],
) -> Callable[[], tuple[list[str], list[str]]]:
    """A function that puts back the guard's own state: the builtins, the globals of the
    guard's ``modules`` and the dicts of its ``classes``, exactly as they are now.

    It runs first in every restore, before any code that looks up a global or a builtin:
    it reads no global itself (all it calls is bound here, in its closure) and calls nothing
    of the learner's (identity comparisons; key types checked before any key is hashed or
    compared; what it replaces is kept alive, so no ``__del__`` runs inside it). Returns
    ``(critical, noted)``: a changed guard module or class is critical, a builtin noted.
    """
    is_, all_, map_, repeat_, len_, tuple_, type_, str_ = operator.is_, all, map, repeat, len, tuple, type, str
    zip_, set_attr, del_attr, class_dict, missing = zip, _type_setattr, _type_delattr, _class_dict, MISSING
    spaces = tuple_(
        (m.__name__, vars(m), tuple_(vars(m)), tuple_(vars(m).values()), frozenset(vars(m))) for m in modules
    )
    types_ = tuple_(
        (
            f"{c.__module__}.{c.__qualname__}",
            c,
            tuple_(class_dict(c)),
            tuple_(class_dict(c).values()),
            frozenset(class_dict(c)),
        )
        for c in classes
    )
    ignored = frozenset({"__warningregistry__"})  # the warnings module's cache
    kept: list[Any] = []  # what the learner put there: never freed (its __del__ would run here)

    def restore_guard() -> tuple[list[str], list[str]]:
        critical: list[str] = []
        noted: list[str] = []
        if not all_(map_(is_, map_(builtins_dict.get, builtin_keys, repeat_(missing)), builtin_values)):
            for key, value in zip_(builtin_keys, builtin_values):
                if builtins_dict.get(key, missing) is not value:
                    kept.append(builtins_dict.get(key))
                    builtins_dict[key] = value
                    noted.append("builtins." + key)
        for is_module, entries in ((True, spaces), (False, types_)):
            for name, target, keys, values, known in entries:
                own: Any = target if is_module else class_dict(target)
                clean = all_(map_(is_, map_(type_, own), repeat_(str_)))  # only exact str keys: safe to look up
                if clean and len_(own) == len_(keys) and all_(map_(is_, map_(own.get, keys, repeat_(missing)), values)):
                    continue
                items = tuple_(own.items())
                kept.append(items)
                for key, _value in items:
                    if type_(key) is not str_:
                        critical.append(name + ".<not a str>")
                    elif key not in known and key not in ignored:
                        critical.append(name + "." + key)
                        if not is_module:
                            del_attr(target, key)
                if clean:
                    for key, value in zip_(keys, values):
                        if own.get(key, missing) is not value:
                            critical.append(name + "." + key)
                            if not is_module:
                                set_attr(target, key, value)
                if is_module:
                    own.clear()
                    own.update(zip_(keys, values))
        return critical, noted

    return restore_guard
