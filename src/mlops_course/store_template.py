"""Fresh MLflow SQLite stores start as a copy of a pre-migrated empty database.

MLflow builds a new SQLite store by running every Alembic migration (~70 scripts, about
1.9 s of CPU); opening a migrated one takes under 0.1 s. So the first time a store is
needed, MLflow itself creates and migrates an empty database in a cache folder (the
*template*), and every new store afterwards is a copy of it.

- The template is named by MLflow's version and its newest migration
  (``mlflow-3.17.2-dc11669786a5.db``), read from the migration scripts without importing MLflow.
- It is MLflow's own empty store without the ``Default`` experiment: that row records the
  folder the store was made in, so MLflow adds it when it first opens the copy, exactly as
  on a store it migrated itself.
- It is built under a file lock, in a temporary file, then renamed into place; it is
  checked (integrity, schema revision, no rows) before every use, never copied otherwise.
- Cache folder: ``MLOPS_COURSE_STORE_TEMPLATE`` (``off`` turns templates off), else
  ``.course-data/store-templates``. Whatever fails, MLflow creates the store as usual.

Nothing here imports MLflow unless a template has to be built.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.metadata
import importlib.util
import logging
import os
import re
import secrets
import shutil
import sqlite3
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

from mlops_course.tracking_store import sqlite_path

ENV_VAR = "MLOPS_COURSE_STORE_TEMPLATE"
_OFF = {"0", "off", "false", "no", "none"}
_LOCK_TIMEOUT_S = 120.0  # a build takes seconds; past this, MLflow migrates the store itself
#: Tables a usable store must have (tracking and the model registry share the database).
REQUIRED_TABLES = frozenset(
    {"experiments", "runs", "metrics", "params", "registered_models", "model_versions", "registered_model_aliases"}
)
#: Tables MLflow's migrations fill themselves: their rows are part of every fresh store.
_SEEDED_TABLES = frozenset({"alembic_version", "workspaces"})
_REVISION = re.compile(r"^revision\s*(?::[^=]*)?=\s*['\"]([0-9A-Za-z_]+)['\"]", re.MULTILINE)
_DOWN = re.compile(r"^down_revision\s*(?::[^=]*)?=\s*(.+)$", re.MULTILINE)
_ID = re.compile(r"['\"]([0-9A-Za-z_]+)['\"]")

_log = logging.getLogger(__name__)


def cache_folder() -> Path | None:
    """Where templates are kept, or ``None`` when they are turned off."""
    chosen = os.environ.get(ENV_VAR, "").strip()
    if chosen.lower() in _OFF:
        return None
    if chosen:
        return Path(chosen).expanduser()
    from mlops_course.paths import COURSE_DATA_DIR

    return COURSE_DATA_DIR / "store-templates"


def schema_head() -> str | None:
    """MLflow's newest schema revision, read from its migration scripts (no MLflow import).

    Returns ``None`` unless exactly one head is found.
    """
    spec = importlib.util.find_spec("mlflow")
    if spec is None or not spec.submodule_search_locations:
        return None
    versions = Path(list(spec.submodule_search_locations)[0]) / "store" / "db_migrations" / "versions"
    revisions: set[str] = set()
    parents: set[str] = set()
    for script in versions.glob("*.py"):
        text = script.read_text(encoding="utf-8")
        found = _REVISION.search(text)
        down = _DOWN.search(text)
        if found is None or down is None:
            continue
        revisions.add(found.group(1))
        parents.update(_ID.findall(down.group(1)))
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 else None


def template_name() -> tuple[str, str] | None:
    """``(file name, head revision)`` of the template for the installed MLflow, or ``None``."""
    head = schema_head()
    if head is None:
        return None
    return f"mlflow-{importlib.metadata.version('mlflow')}-{head}.db", head


def is_valid(path: Path, head: str) -> bool:
    """Whether ``path`` is an intact, empty MLflow database at schema revision ``head``."""
    try:
        if not path.is_file() or path.is_symlink():
            return False
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        try:
            if conn.execute("PRAGMA quick_check").fetchall() != [("ok",)]:
                return False
            if conn.execute("SELECT version_num FROM alembic_version").fetchall() != [(head,)]:
                return False
            tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if not tables >= REQUIRED_TABLES:
                return False
            for table in sorted(tables - _SEEDED_TABLES):
                if table != "sqlite_sequence" and conn.execute(f'SELECT 1 FROM "{table}" LIMIT 1').fetchone():
                    return False
            return True
        finally:
            conn.close()
    except (OSError, sqlite3.Error, ValueError):
        return False


@contextlib.contextmanager
def _locked(lock_path: Path) -> Iterator[bool]:
    """Hold an exclusive lock on ``lock_path`` (yields False when it could not be had in time)."""
    try:
        import fcntl
    except ImportError:  # no flock (Windows): the rename still makes a race harmless
        yield True
        return
    with open(lock_path, "a+b") as handle:
        deadline = time.monotonic() + _LOCK_TIMEOUT_S
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    yield False
                    return
                time.sleep(0.05)
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _migrate(db: Path) -> None:
    """Let MLflow create and migrate an empty store at ``db`` (its migrations make the model
    registry's tables too: :func:`is_valid` requires them)."""
    from mlflow.store.tracking.sqlalchemy_store import SqlAlchemyStore

    uri = f"sqlite:///{db}"
    loggers = [logging.getLogger(name) for name in ("mlflow.store.db.utils", "alembic")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:  # "Creating initial MLflow database tables..." is not the learner's business
        logger.setLevel(max(logger.getEffectiveLevel(), logging.WARNING))
    try:
        with warnings.catch_warnings():  # nothing on a learner's stderr (hygiene tests read it)
            warnings.simplefilter("ignore")
            SqlAlchemyStore(uri, (db.parent / "mlartifacts").as_uri()).engine.dispose()
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.setLevel(level)
    # The Default experiment names the folder the store was made in; MLflow adds it on first open.
    with contextlib.closing(sqlite3.connect(db)) as conn, conn:
        conn.execute("DELETE FROM experiments WHERE experiment_id = 0")


def build(folder: Path) -> Path | None:
    """The template in ``folder``, built now if it is missing or fails :func:`is_valid`.

    Safe when several processes race: one builds under a lock while the others wait, and
    the file appears only complete (``os.replace``). Returns ``None`` on any failure.
    """
    named = template_name()
    if named is None:
        return None
    name, head = named
    final = folder / name
    if is_valid(final, head):
        return final
    folder.mkdir(parents=True, exist_ok=True)
    with _locked(folder / f"{name}.lock") as locked:
        if not locked:
            return None
        if is_valid(final, head):
            return final
        work = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=folder))
        try:
            _migrate(work / "mlflow.db")
            if not is_valid(work / "mlflow.db", head):
                return None
            os.replace(work / "mlflow.db", final)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return final if is_valid(final, head) else None


def find(folder: Path | None = None) -> Path | None:
    """The valid template already built for the installed MLflow, or ``None`` (builds nothing)."""
    folder = folder if folder is not None else cache_folder()
    named = template_name() if folder is not None else None
    if folder is None or named is None:
        return None
    return folder / named[0] if is_valid(folder / named[0], named[1]) else None


def ensure() -> Path | None:
    """The template for the installed MLflow (built if needed), or ``None``; never raises."""
    try:
        folder = cache_folder()
        return build(folder) if folder is not None else None
    except Exception as exc:  # a template is an optimisation: MLflow creates the store instead
        _log.debug("no MLflow store template: %s", exc)
        return None


def seed_store(uri: str) -> bool:
    """Start the SQLite store of ``uri`` as a copy of the template, if it does not exist yet.

    Returns whether it did; it never raises and never overwrites a file (another process's
    store wins). Other URIs, in-memory and existing databases are left to MLflow.
    """
    try:
        if "?" in uri or uri.rstrip("/").endswith(":memory:"):
            return False
        db = sqlite_path(uri)
        if db is None or db.exists() or not db.name:
            return False
        template = ensure()
        if template is None:
            return False
        db.parent.mkdir(parents=True, exist_ok=True)
        tmp = db.parent / f".{db.name}.{os.getpid()}.{secrets.token_hex(4)}.seed"
        # the mode MLflow's own new database would get (0666 less the umask), not mkstemp's 0600
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(template.read_bytes())
            os.link(tmp, db)  # fails if the store appeared meanwhile: it is left as it is
        finally:
            tmp.unlink()
        return True
    except Exception as exc:
        _log.debug("MLflow will create %s itself: %s", uri, exc)
        return False


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file (the grader checks a template by it before each copy)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def main() -> int:
    """``python -m mlops_course.store_template``: build (or find) the template, print its path."""
    template = ensure()
    if template is None:
        print("no template (turned off, or it could not be built)", file=sys.stderr)
        return 1
    print(template)
    return 0


if __name__ == "__main__":
    sys.exit(main())
