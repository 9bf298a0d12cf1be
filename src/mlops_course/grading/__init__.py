"""Release, self-check and auto-grading of the course's exercises (nbgrader format, nbval).

Modules: :mod:`.format` (cell metadata), :mod:`.release`, :mod:`.merge`, :mod:`.grade`
(the class), :mod:`.jobs` (one sandboxed run), :mod:`.runner` (pytest + nbval + the
verdict plugin), :mod:`.kernel_guard` (inside the kernel), :mod:`.sandbox`, :mod:`.scan`,
:mod:`.gradebook`, :mod:`.feedback`, :mod:`.summary`, :mod:`.check`, :mod:`.commands`,
:mod:`.submission` (submit and collect), :mod:`.sharding` (which shard grades whom) and
:mod:`.shard_merge` (shard gradebooks merged into one).
"""

import sys


def skip_iri_grammar() -> None:
    """Skip jsonschema's optional IRI checker in this process.

    Building its grammar costs about 1.4 s per process and nbformat's schema never uses
    it; the grading commands, the grader's worker processes and its tests call this first.
    """
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]  # a None entry makes the import fail fast
