"""The ``mlops-course`` command line: one entry point, one sub-command per module.

Each command module exposes ``register(subparsers)`` which adds its sub-command(s) and
sets ``func`` on the parser; ``func(args)`` returns the process exit code.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from mlops_course import __version__

# Modules that contribute sub-commands. Imported lazily so `--help` stays fast.
COMMAND_MODULES: tuple[str, ...] = (
    "mlops_course.grading.commands",
    "mlops_course.grading.submission",
    "mlops_course.classroom.commands",
    "mlops_course.i18n.commands",
)


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser with every registered sub-command."""
    parser = argparse.ArgumentParser(
        prog="mlops-course",
        description="Tools of the hands-on MLOps course: release, check and grade exercises.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    from mlops_course.grading import skip_iri_grammar

    # nbformat imports jsonschema, whose optional IRI grammar costs 1.5-2 s per run; no command
    # validates an IRI (schemas with IRI formats are checked in notebooks, not here)
    skip_iri_grammar()
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("Interrupted.", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
