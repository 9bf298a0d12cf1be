"""Which tracked files the learners' edition ships, and which it never does."""

from __future__ import annotations

from fnmatch import fnmatchcase

from mlops_course import paths

#: Tracked files the edition ships (fnmatch patterns: ``*`` also matches ``/``).
ALLOW: tuple[str, ...] = (
    "START_HERE.md",
    "START_HERE.*.md",
    "Makefile",
    "pyproject.toml",
    "environment.yml",
    ".gitignore",
    "conftest.py",
    "jupyter/*",
    "notebooks/*.ipynb",
    "exercises/*.ipynb",
    "src/mlops_course/*",
    "tests/nbval_sanitize.cfg",
    "tests/code/*",
    "tests/data/*",
    "tests/model/*",
)

#: Tracked files the edition never ships, with the reason. Deny wins over allow.
DENY: tuple[tuple[str, str], ...] = (
    ("solutions/*", "the answers and hidden tests"),
    ("docs/*", "the instructor's, classroom and developers' guides"),
    ("deploy/*", "the class server's and grading jobs' deployment (secrets templates)"),
    ("benchmarks/*", "the instructor's timing scripts"),
    (".ci/*", "this repository's CI"),
    ("README.md", "the instructor's README; the edition has the learners' README"),
    ("tests/grading/*", "the grader's tests and their data"),
    ("tests/helpers/*", "the grader's test submissions and helpers"),
    ("tests/mistakes/*", "the grader's catalogue of mistakes"),
    ("tests/e2e/*", "types the instructor's answers into the warm-up"),
    ("tests/integration/*", "the class server's test, which runs the instructor's notebooks"),
    ("tests/code/test_submission.py", "types the instructor's answers into the exercises"),
    ("tests/code/test_classroom.py", "checks the deploy/ files the edition does not have"),
    (
        "tests/code/test_notebook_hygiene.py",
        "the authors' notebook hygiene; it fails on exercises/ with outputs, where learners work",
    ),
    ("src/mlops_course/resources/edition/*", "the templates of this edition's own files"),
)

#: Folders whose notebooks have translations in a language sub-folder (``notebooks/pt-BR/``).
TRANSLATED_FOLDERS = ("notebooks", "exercises", "solutions")

#: Where the learners' edition keeps its pristine copy of the released exercises.
RELEASED_COPY = "src/mlops_course/resources/released"
EDITION_TEMPLATES = paths.PACKAGE_DIR / "resources" / "edition"

#: Course material shipped as it is: an answer line that the same file already holds in the source
#: is an overlap to review (an idiom a module teaches), not a leak publishing made.
MATERIAL = ("notebooks/*", "src/mlops_course/*", "tests/code/*", "tests/data/*", "tests/model/*")


def edition_path(path: str, lang: str = "en") -> str | None:
    """Where a tracked file goes in the edition of ``lang``.

    The English edition ships every language as it is in the checkout (``notebooks/pt-BR/``
    beside ``notebooks/``, so ``make course LANG=pt-BR`` works there too). A translated
    edition is in its language only: a translation takes its English twin's place
    (``notebooks/pt-BR/x.ipynb`` → ``notebooks/x.ipynb``), and None means the file belongs
    to another language's edition.
    """
    from mlops_course.i18n import LANGUAGES

    if lang == "en":
        return path
    parts = path.split("/")
    for other in LANGUAGES[1:]:
        translated = (len(parts) == 3 and parts[0] in TRANSLATED_FOLDERS and parts[1] == other) or (
            path == f"START_HERE.{other}.md"
        )
        if translated:
            if other != lang:
                return None
            return "START_HERE.md" if parts[0] == path else f"{parts[0]}/{parts[2]}"
    return path


def localized(data: bytes, lang: str) -> bytes:
    """A notebook as a translated edition ships it: its texts name ``exercises/<lang>/x.ipynb``
    (where the checkout and the bilingual edition keep it), which is ``exercises/x.ipynb`` there."""
    return data if lang == "en" else data.replace(f"exercises/{lang}/".encode(), b"exercises/")


def classify(path: str) -> tuple[bool, str]:
    """Whether a tracked file (repository-relative, ``/``-separated) ships, and why not.

    Returns:
        ``(True, "")`` for a shipped file, else ``(False, reason)``.
    """
    for pattern, reason in DENY:
        if fnmatchcase(path, pattern):
            return False, reason
    if any(fnmatchcase(path, pattern) for pattern in ALLOW):
        return True, ""
    return False, "not on the edition's allow list (grading/publish.py ALLOW)"


#: Set by git hooks and wrappers, they would point our git commands at another repository.
