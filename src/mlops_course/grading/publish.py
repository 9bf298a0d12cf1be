"""The learners' edition: ``mlops-course publish OUT`` writes the course learners receive.

This repository is the instructor's and stays private: it holds ``solutions/`` (answers and
hidden tests), the grader's tests and their data, and the classroom deployment. The edition
is a separate git repository with one commit, written from this checkout's *tracked* files
(``git ls-files``, so caches, local state and untracked files never leak), filtered by an
explicit allow list and a deny list (deny wins; a file on neither list is left out):

- shipped: the module notebooks, the released exercises (byte-identical to ``exercises/``),
  the package, the two-command setup (``Makefile``, ``pyproject.toml``, ``environment.yml``,
  ``jupyter/``), ``START_HERE.md``, and the tests a learner can run;
- rewritten: ``README.md`` (the learners' README from ``resources/edition/``),
  ``pyproject.toml`` (pytest's ``testpaths`` without ``solutions``), ``Makefile`` (without
  the instructor's targets);
- added: ``src/mlops_course/resources/released/``, a copy of the released exercises that
  ``submit`` checks a learner's notebook against (learners edit ``exercises/``, not this).

Publishing twice from the same source gives the same files and the same commit (fixed
author, and the source's last commit date). Before anything is written the exercises must
be exactly the release of ``solutions/``; afterwards :func:`find_leaks` checks the edition,
and a leaking edition is deleted, never left behind.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlops_course import paths
from mlops_course.grading.edition_files import (
    ALLOW,
    DENY,
    EDITION_TEMPLATES,
    MATERIAL,
    RELEASED_COPY,
    classify,
    edition_path,
    localized,
)
from mlops_course.grading.leaks import find_leaks, scan_edition, secret_lines

__all__ = [
    "ALLOW",
    "DENY",
    "EDITION_TEMPLATES",
    "MATERIAL",
    "RELEASED_COPY",
    "Edition",
    "PublishError",
    "classify",
    "find_leaks",
    "publish",
    "scan_edition",
    "secret_lines",
]

#: Makefile targets only the instructor's repository has.
INSTRUCTOR_TARGETS = ("release", "publish")
AUTHOR = ("MLOps course", "mlops-course@invalid")


class PublishError(ValueError):
    """The edition cannot be published; the message says why and what to do."""


@dataclass
class Edition:
    """What :func:`publish` wrote."""

    out: Path
    commit: str
    files: list[str] = field(default_factory=list)
    left_out: dict[str, str] = field(default_factory=dict)
    overlaps: list[str] = field(default_factory=list)


_GIT_LOCATION = ("GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_OBJECT_DIRECTORY", "GIT_COMMON_DIR")


def _git(args: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    env = {k: v for k, v in (env or os.environ).items() if k not in _GIT_LOCATION}
    result = subprocess.run(["git", *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise PublishError(f"git {' '.join(args)} failed in {cwd}: {result.stderr.strip() or result.stdout.strip()}")
    return result.stdout


def _tracked_files(source: Path) -> list[str]:
    try:
        listing = _git(["ls-files", "-z"], source)
    except (PublishError, OSError) as exc:
        raise PublishError(
            f"{source} is not a git checkout of the course ({exc}); publish reads the tracked files of the "
            "instructor's repository. Run it from that checkout, or pass --source."
        ) from None
    return sorted(p for p in listing.split("\0") if p)


def _check_out_folder(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise PublishError(f"{out} is a file; give a folder that does not exist yet (or an empty one).")
    if out.is_dir() and any(out.iterdir()):
        raise PublishError(
            f"{out} is not empty; publish never overwrites. Give a new folder, or empty this one "
            "(to update a published edition, see the README: publish afresh and copy the result over)."
        )


def _check_exercises(source: Path, tracked: set[str], lang: str = "en") -> list[str]:
    """The exercise stems, after checking that ``exercises/`` is exactly the release of ``solutions/``
    (``exercises/<lang>/`` and ``solutions/<lang>/`` for a translated edition)."""
    from mlops_course.grading.format import FormatError
    from mlops_course.grading.release import released_bytes

    sub = "" if lang == "en" else f"{lang}/"
    solutions = sorted((source / "solutions" / sub).glob("*.ipynb"))
    if not solutions:
        hint = "" if lang == "en" else f" Build them: mlops-course translate build --lang {lang}, then release."
        raise PublishError(
            f"{source / 'solutions' / sub} has no exercise notebooks; publish from the instructor's checkout.{hint}"
        )
    stems = [p.stem for p in solutions]
    untranslated = sorted(p.stem for p in (source / "solutions").glob("*.ipynb") if p.stem not in stems)
    if untranslated:
        raise PublishError(
            f"solutions/{sub} lacks the {lang} translation of {', '.join(untranslated)}: translate them "
            f"(mlops-course translate update/build --lang {lang}), release, commit, then publish."
        )
    for path in solutions:
        exercise = source / "exercises" / sub / path.name
        try:
            expected = released_bytes(path)
        except FormatError as exc:
            raise PublishError(f"solutions/{sub}{path.name} breaks the exercise format: {exc}") from None
        if not exercise.is_file() or exercise.read_bytes() != expected:
            raise PublishError(
                f"exercises/{sub}{path.name} is not the release of solutions/{sub}{path.name}. Run "
                "`mlops-course release`, commit exercises/ and solutions/, then publish."
            )
        if f"exercises/{sub}{path.name}" not in tracked:
            raise PublishError(
                f"exercises/{sub}{path.name} is not tracked by git: `git add` and commit it, then publish."
            )
    extra = sorted(p.name for p in (source / "exercises" / sub).glob("*.ipynb") if p.stem not in stems)
    if extra:
        raise PublishError(
            f"exercises/{sub} has notebook(s) with no instructor notebook: {', '.join(extra)}. Delete them (or add "
            "their solutions) and publish again."
        )
    return stems


def _drop_make_targets(text: str, targets: tuple[str, ...]) -> str:
    """A Makefile without the rules of ``targets`` (up to the next blank line) and their ``.PHONY`` names."""
    out: list[str] = []
    skipping = False
    for line in text.splitlines():
        if skipping:
            if line.strip():
                continue
            skipping = False
        if any(re.match(rf"^{re.escape(t)}\s*:(?!=)", line) for t in targets):
            skipping = True
            continue
        if line.startswith(".PHONY:"):
            line = " ".join(w for w in line.split() if w not in targets)
        out.append(line)
    return "\n".join(out) + "\n"


def _learner_pyproject(text: str) -> str:
    """``pyproject.toml`` with pytest's ``testpaths`` naming only folders the edition has."""
    pattern = re.compile(r"^testpaths\s*=\s*\[(.*)\]\s*$", re.MULTILINE)
    match = pattern.search(text)
    if not match:
        raise PublishError(
            "pyproject.toml has no one-line `testpaths = [...]` under [tool.pytest.ini_options]; publish must "
            "remove solutions/ from it. Restore that line."
        )
    names = [n.strip().strip("\"'") for n in match.group(1).split(",") if n.strip()]
    kept = ", ".join(json.dumps(n) for n in names if n.rstrip("/") != "solutions")
    text = text[: match.start()] + f"testpaths = [{kept}]" + text[match.end() :]
    return text.replace(" in notebooks/ and\n# solutions/ under nbval", " in notebooks/\n# under nbval")


def _plan(
    source: Path, tracked: list[str], stems: list[str], lang: str = "en"
) -> tuple[dict[str, tuple[bytes, bool]], dict[str, str]]:
    """The edition's files (``path -> (bytes, executable)``) and the tracked files left out, with why.

    An edition is in one language: a translated one ships ``notebooks/<lang>/``,
    ``exercises/<lang>/`` and ``START_HERE.<lang>.md`` in the English files' places.
    """
    files: dict[str, tuple[bytes, bool]] = {}
    left_out: dict[str, str] = {}
    translated = {rel: edition_path(rel, lang) for rel in tracked}
    replaced = {to for rel, to in translated.items() if to not in (None, rel)}
    for rel in tracked:
        if translated[rel] is None:
            left_out[rel] = "another language's edition"
            continue
        if translated[rel] != rel:
            continue  # a translation: it takes its English twin's place below
        if rel in replaced:
            left_out[rel] = f"replaced by its {lang} translation"
            continue
        path = source / rel
        if not path.is_file():
            left_out[rel] = "tracked but missing from the working tree"
            continue
        ships, reason = classify(rel)
        if not ships:
            left_out[rel] = reason
            continue
        files[rel] = (path.read_bytes(), bool(path.stat().st_mode & stat.S_IXUSR))
    for rel, to in translated.items():
        if to is not None and to != rel and (source / rel).is_file() and classify(rel)[0]:
            path = source / rel
            files[to] = (path.read_bytes(), bool(path.stat().st_mode & stat.S_IXUSR))
    name = "README.md" if lang == "en" else f"README.{lang}.md"
    readme = source / "src" / "mlops_course" / "resources" / "edition" / name
    readme = readme if readme.is_file() else EDITION_TEMPLATES / name
    if not readme.is_file():
        raise PublishError(f"the learners' README template {readme} is missing; restore it from git.")
    files["README.md"] = (readme.read_bytes(), False)
    for name, rewrite in (("pyproject.toml", _learner_pyproject), ("Makefile", _make_rewrite)):
        if name not in files:
            raise PublishError(f"{name} is not tracked in {source}; the edition's setup needs it.")
        files[name] = (rewrite(files[name][0].decode("utf-8")).encode("utf-8"), files[name][1])
    for rel in [r for r in files if r.endswith(".ipynb") and r.startswith(("exercises/", "notebooks/"))]:
        files[rel] = (localized(files[rel][0], lang), files[rel][1])
    for stem in stems:
        files[f"{RELEASED_COPY}/{stem}.ipynb"] = (files[f"exercises/{stem}.ipynb"][0], False)
    for rel in [r for r in files if r.count("/") == 2 and r.startswith("exercises/") and r.endswith(".ipynb")]:
        files[f"{RELEASED_COPY}/{rel.removeprefix('exercises/')}"] = (files[rel][0], False)  # other languages'
    if lang != "en" and "START_HERE.md" in files:  # its links point into notebooks/<lang>/ in the checkout
        text = files["START_HERE.md"][0].decode("utf-8")
        for folder in ("notebooks", "exercises"):
            text = text.replace(f"{folder}/{lang}/", f"{folder}/")
        files["START_HERE.md"] = (text.encode("utf-8"), False)
    return dict(sorted(files.items())), left_out


def _make_rewrite(text: str) -> str:
    """The learners' Makefile: no instructor targets, and ``make test`` described as what it runs there."""
    text = _drop_make_targets(text, INSTRUCTOR_TARGETS)
    return re.sub(
        r"^(test:[^#\n]*## ).*$", r"\1run the course's tests: package, data and every module notebook", text, flags=re.M
    )


def _commit(out: Path, source: Path, dirty: bool) -> str:
    date = _git(["log", "-1", "--format=%cI"], source).strip() or "2026-01-01T00:00:00+00:00"
    head = _git(["rev-parse", "--short=12", "HEAD"], source).strip()
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": AUTHOR[0],
        "GIT_AUTHOR_EMAIL": AUTHOR[1],
        "GIT_COMMITTER_NAME": AUTHOR[0],
        "GIT_COMMITTER_EMAIL": AUTHOR[1],
        "GIT_AUTHOR_DATE": date,
        "GIT_COMMITTER_DATE": date,
    }
    quiet = ["-c", "init.defaultBranch=main", "-c", "commit.gpgsign=false", "-c", "core.hooksPath=/dev/null"]
    _git([*quiet, "init", "-q"], out, env)
    _git([*quiet, "add", "-A", "."], out, env)
    message = f"MLOps course, learners' edition (from {head}{' with uncommitted changes' if dirty else ''})"
    _git([*quiet, "commit", "-q", "--no-verify", "-m", message], out, env)
    return _git(["rev-parse", "HEAD"], out).strip()


def publish(out: Path, source: Path = paths.PROJECT_ROOT, lang: str = "en") -> Edition:
    """Write the learners' edition into ``out`` as a git repository with one commit.

    Args:
        out: a folder that does not exist, or is empty.
        source: the instructor's checkout.
        lang: the edition's language (``en``, or a translation such as ``pt-BR``).

    Returns:
        What was written.

    Raises:
        PublishError: ``out`` not empty, ``source`` not a git checkout, stale exercises, or a leak
            found in the result (which is then removed).
    """
    out, source = out.resolve(), source.resolve()
    _check_out_folder(out)
    if source == out or source in out.parents:
        raise PublishError(f"{out} is inside the course checkout {source}; publish outside it (e.g. ../edition).")
    tracked = _tracked_files(source)
    stems = _check_exercises(source, set(tracked), lang)
    files, left_out = _plan(source, tracked, stems, lang)
    shipped_from_source = [rel for rel in tracked if edition_path(rel, lang) in files]
    dirty = bool(_git(["status", "--porcelain", "--", *shipped_from_source], source).strip())
    existed = out.is_dir()
    out.mkdir(parents=True, exist_ok=True)
    try:
        for rel, (data, executable) in files.items():
            target = out / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
            target.chmod(0o755 if executable else 0o644)
        commit = _commit(out, source, dirty)
        leaks, overlaps = scan_edition(out, source, lang)
        if leaks:
            raise PublishError(
                "the edition would leak, so it was not kept:\n  "
                + "\n  ".join(leaks[:20])
                + ("\n  ..." if len(leaks) > 20 else "")
            )
    except BaseException:
        _remove(out, keep_folder=existed)
        raise
    return Edition(out=out, commit=commit, files=list(files), left_out=left_out, overlaps=overlaps)


def _remove(out: Path, keep_folder: bool) -> None:
    """Delete what publish wrote (``out`` was new or empty before)."""
    if not keep_folder:
        shutil.rmtree(out, ignore_errors=True)
        return
    for child in out.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


# --- the leak check ---------------------------------------------------------------------------


def _publish_command(args: argparse.Namespace) -> int:
    from mlops_course.grading import skip_iri_grammar

    skip_iri_grammar()
    try:
        from mlops_course.i18n import normalise

        edition = publish(Path(args.out), Path(args.source), normalise(args.lang))
    except ValueError as exc:
        print(f"publish stopped: --lang: {exc}", file=sys.stderr)
        return 2
    except PublishError as exc:
        print(f"publish stopped: {exc}", file=sys.stderr)
        return 2
    print(f"Published the learners' edition: {len(edition.files)} files in {edition.out}, commit {edition.commit[:12]}")
    folders = sorted({rel.split("/")[0] + ("/" if "/" in rel else "") for rel in edition.left_out})
    print(f"Left out {len(edition.left_out)} tracked files: {', '.join(folders)}")
    if edition.overlaps:
        print(
            f"Review: {len(edition.overlaps)} line(s) of answers or hidden tests also appear, as written, in course "
            "material shipped unchanged (e.g. an idiom a module notebook teaches):"
        )
        for entry in edition.overlaps[: None if args.verbose else 5]:
            print(f"  {entry}")
        if len(edition.overlaps) > 5 and not args.verbose:
            print("  ... (--verbose lists them all)")
    print(
        "Next: push it where learners clone from, e.g.\n"
        f"  git -C {edition.out} remote add origin <learners' repository URL>\n"
        f"  git -C {edition.out} push -u origin main"
    )
    return 0


def register(subparsers: Any) -> None:
    """Add ``publish`` to the ``mlops-course`` command line."""
    pub = subparsers.add_parser("publish", help="write the learners' edition (no solutions, no hidden tests) into OUT")
    pub.add_argument("out", help="a new (or empty) folder, outside this checkout, e.g. ../mlops-course-edition")
    pub.add_argument(
        "--source", default=str(paths.PROJECT_ROOT), help="the instructor's checkout (default: this course)"
    )
    pub.add_argument("--verbose", action="store_true", help="list every answer line course material also holds")
    pub.add_argument("--lang", default="en", help="the edition's language: en (default) or pt-BR")
    pub.set_defaults(func=_publish_command)
