"""The command line starts quickly: no command pays for jsonschema's IRI grammar."""

from __future__ import annotations

import subprocess
import sys


def test_the_command_line_does_not_build_the_iri_grammar() -> None:
    code = (
        "import sys\n"
        "from mlops_course.cli import main\n"
        "try:\n"
        "    main(['grade', '--help'])\n"
        "except SystemExit:\n"
        "    pass\n"
        "import nbformat\n"  # the command modules import it (and jsonschema with it)
        "print('jsonschema' in sys.modules, sys.modules.get('rfc3987_syntax', 'absent'))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "True None"
