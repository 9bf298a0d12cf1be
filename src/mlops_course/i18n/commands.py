"""``mlops-course translate``: keep the translated editions in step with the English source.

- ``translate update`` adds an empty entry for every new English text to the catalogues
  and moves translations whose English changed under ``stale:``;
- ``translate check`` lists what is missing, stale or unusable (exit 1 if anything is);
- ``translate build`` writes ``notebooks/<lang>/`` and ``solutions/<lang>/`` and executes
  the notebooks that changed, so their stored outputs are real.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat

from mlops_course.i18n import LANGUAGES, normalise
from mlops_course.i18n.catalogue import Catalogue, catalogue_path, english_sources, problems, update


def _root() -> Path:
    from mlops_course.paths import PROJECT_ROOT

    return PROJECT_ROOT


def _sources(root: Path, names: list[str]) -> list[Path]:
    every = english_sources(root)
    if not names:
        return every
    chosen = []
    for name in names:
        matches = [p for p in every if name in (p.name, p.stem, str(p.relative_to(root)))]
        if not matches:
            raise SystemExit(
                f"error: no English notebook named {name!r}; try one of: {', '.join(p.stem for p in every)}"
            )
        chosen.extend(matches)
    return chosen


def _language(args: argparse.Namespace) -> str:
    try:
        language = normalise(args.lang)
    except ValueError as error:
        raise SystemExit(f"error: --lang: {error}") from None
    if language == "en":
        raise SystemExit("error: --lang: English is the source; name the language to translate into, e.g. pt-BR.")
    return language


def run_update(args: argparse.Namespace) -> int:
    root, language = _root(), _language(args)
    for source in _sources(root, args.notebooks):
        path = catalogue_path(root, language, source)
        catalogue = Catalogue.load(path, language, str(source.relative_to(root)))
        added, staled = update(catalogue, nbformat.read(source, as_version=4))
        catalogue.save()
        print(f"{path.relative_to(root)}: {added} new to translate, {staled} stale")
    return 0


def run_check(args: argparse.Namespace) -> int:
    from mlops_course.i18n.build import out_of_date

    root, language = _root(), _language(args)
    found: list[str] = []
    for source in _sources(root, args.notebooks):
        path = catalogue_path(root, language, source)
        catalogue = Catalogue.load(path, language, str(source.relative_to(root)))
        found.extend(problems(catalogue, nbformat.read(source, as_version=4)))
    if not args.notebooks:
        found.extend(out_of_date(root, language))
    for line in found:
        print(line)
    print(f"{len(found)} problem(s)" if found else f"The {language} translation is complete and up to date.")
    return 1 if found else 0


def run_build(args: argparse.Namespace) -> int:
    from mlops_course.i18n.build import build

    root, language = _root(), _language(args)
    written, blocking = build(root, language, _sources(root, args.notebooks))
    for line in blocking:
        print(line, file=sys.stderr)
    for path in written:
        print(f"wrote {path.relative_to(root)}")
        if not args.no_execute:
            from mlops_course.execute import execute_notebook

            seconds = execute_notebook(path)
            print(f"  executed in {seconds:.1f} s")
    if blocking:
        print(f"{len(blocking)} problem(s) kept some notebooks from being built; see above.", file=sys.stderr)
        return 1
    if not written:
        print("Every translated notebook is up to date.")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("translate", help="keep the translated editions in step with the English source")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    for name, func, text in (
        ("update", run_update, "add new English texts to the catalogues; mark changed ones stale"),
        ("check", run_check, "list missing, stale or unusable translations (exit 1 if any)"),
        ("build", run_build, "write the translated notebooks and execute the ones that changed"),
    ):
        action = actions.add_parser(name, help=text, description=text)
        action.add_argument("notebooks", nargs="*", help="notebook names or stems (default: all)")
        action.add_argument("--lang", default="pt-BR", help=f"target language ({', '.join(LANGUAGES[1:])})")
        if name == "build":
            action.add_argument("--no-execute", action="store_true", help="write sources only; do not execute")
        action.set_defaults(func=func)
