"""The learners' edition: what publish ships and refuses, the leak scan (caught on planted
leaks), and the published course itself: no leak, reproducible, and a fresh clone of it
where pytest, ``check`` and ``submit`` work without the instructor's files.

The clone runs a representative subset of the edition's own ``make test`` (its Makefile's
recipe, with this test run's virtual environment as ``VENV`` and without re-running the
setup; ``PYTHONPATH`` and ``MLOPS_COURSE_HOME`` point at the clone, so the clone's package and
files are the ones used): the whole suite is collected (nothing errors at import, nothing of
the instructor's is collected), then the pins, PSI, data-quality, stream and data tests run.
The module notebooks' nbval runs are left to ``make test`` in the source: the edition ships
them byte for byte. ``check`` runs on every released exercise, ``submit`` packages every one.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from mlops_course.grading import edition_files
from mlops_course.grading import publish as pub
from mlops_course.grading.release import released_bytes
from mlops_course.paths import PROJECT_ROOT

SOLUTION_LINE = "answer_value = compute_the_secret_answer(42)"
HIDDEN_LINE = "assert hidden_check_of_the_answer(answer_value) == 42"
INSTRUCTOR_ONLY = (
    "solutions",
    "docs/instructor.md",
    "docs/classroom.md",
    "tests/grading",
    "tests/helpers/grading_submissions.py",
    "tests/mistakes",
    "deploy",
)


# --- the lists and rewrites ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "solutions/ex0_how_exercises_work.ipynb",
        "docs/instructor.md",
        "docs/classroom.md",
        "tests/grading/test_release.py",
        "tests/helpers/grading_submissions.py",
        "tests/mistakes/__init__.py",
        "tests/code/test_notebook_hygiene.py",
        "deploy/classroom/class.env.example",
        "README.md",
        "src/mlops_course/resources/edition/README.md",
        "notes-for-me.txt",
    ],
)
def test_instructor_files_never_ship(path: str) -> None:
    ships, reason = pub.classify(path)
    assert not ships and reason


@pytest.mark.parametrize(
    "path",
    [
        "notebooks/01_introduction_to_mlops.ipynb",
        "exercises/ex0_how_exercises_work.ipynb",
        "src/mlops_course/grading/check.py",
        "Makefile",
        "pyproject.toml",
        "environment.yml",
        "jupyter/overrides.json",
        "START_HERE.md",
        "tests/code/test_psi.py",
        "tests/nbval_sanitize.cfg",
    ],
)
def test_learner_files_ship(path: str) -> None:
    assert pub.classify(path) == (True, "")


def test_learner_pyproject_and_makefile_drop_the_instructor_parts() -> None:
    pyproject = '[tool.pytest.ini_options]\ntestpaths = ["tests", "notebooks", "solutions"]\naddopts = "-q"\n'
    assert 'testpaths = ["tests", "notebooks"]\n' in pub._learner_pyproject(pyproject)
    with pytest.raises(pub.PublishError, match="testpaths"):
        pub._learner_pyproject("[tool.pytest.ini_options]\n")
    makefile = (
        ".PHONY: help test release publish\n\ntest: setup ## run\n\tpytest\n\n"
        "release: setup ## regenerate\n\tmlops-course release\n\npublish: ## edition\n\tmlops-course publish $(OUT)\n"
    )
    learner = pub._drop_make_targets(makefile, pub.INSTRUCTOR_TARGETS)
    assert ".PHONY: help test\n" in learner and "test: setup" in learner
    assert "release" not in learner and "publish" not in learner


def test_out_must_be_new_or_empty_and_outside_the_checkout(tmp_path: Path) -> None:
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "keep.txt").write_text("someone's work")
    with pytest.raises(pub.PublishError, match="not empty"):
        pub.publish(tmp_path / "full", PROJECT_ROOT)
    assert (tmp_path / "full" / "keep.txt").read_text() == "someone's work"
    (tmp_path / "file").write_text("x")
    with pytest.raises(pub.PublishError, match="is a file"):
        pub.publish(tmp_path / "file", PROJECT_ROOT)
    with pytest.raises(pub.PublishError, match="inside the course checkout"):
        pub.publish(PROJECT_ROOT / "edition-here", PROJECT_ROOT)
    with pytest.raises(pub.PublishError, match="not a git checkout"):
        pub.publish(tmp_path / "out", tmp_path / "full")


# --- the leak scan on a small course of its own ---------------------------------------------------


def _instructor_notebook() -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["mlops_course"] = {"exercise": "ex9"}
    sol = nbformat.v4.new_code_cell(f"def solve():\n    ### BEGIN SOLUTION\n    {SOLUTION_LINE}\n    ### END SOLUTION")
    sol.metadata = {"nbgrader": {"schema_version": 3, "grade_id": "solve", "solution": True}}
    test = nbformat.v4.new_code_cell(
        f"assert callable(solve)\n### BEGIN HIDDEN TESTS\n{HIDDEN_LINE}\n### END HIDDEN TESTS"
    )
    test.metadata = {"nbgrader": {"schema_version": 3, "grade_id": "t", "grade": True, "locked": True, "points": 1}}
    nb.cells = [sol, test]
    return nb


def _small_course(root: Path) -> Path:
    """An instructor checkout with one exercise, one module notebook, a package file and a test."""
    (root / "solutions").mkdir(parents=True)
    nbformat.write(_instructor_notebook(), root / "solutions" / "ex9.ipynb")
    (root / "exercises").mkdir()
    (root / "exercises" / "ex9.ipynb").write_bytes(released_bytes(root / "solutions" / "ex9.ipynb"))
    (root / "notebooks").mkdir()
    module = nbformat.v4.new_notebook()
    module.cells = [nbformat.v4.new_code_cell("print('a module')")]
    nbformat.write(module, root / "notebooks" / "01_module.ipynb")
    (root / "src" / "mlops_course").mkdir(parents=True)
    (root / "src" / "mlops_course" / "helper.py").write_text("VALUE = 1\n")
    (root / "tests" / "code").mkdir(parents=True)
    (root / "tests" / "code" / "test_helper.py").write_text("def test_value():\n    assert True\n")
    return root


def _edition_of(source: Path, out: Path) -> Path:
    """The clean edition of the small course, written by hand (no git needed for the scan)."""
    for rel in ("exercises/ex9.ipynb", "notebooks/01_module.ipynb", "src/mlops_course/helper.py"):
        (out / rel).parent.mkdir(parents=True, exist_ok=True)
        (out / rel).write_bytes((source / rel).read_bytes())
    (out / "tests" / "code").mkdir(parents=True)
    (out / "tests" / "code" / "test_helper.py").write_bytes((source / "tests/code/test_helper.py").read_bytes())
    (out / pub.RELEASED_COPY).mkdir(parents=True)
    (out / pub.RELEASED_COPY / "ex9.ipynb").write_bytes((source / "exercises/ex9.ipynb").read_bytes())
    (out / "README.md").write_text("# The course\n")
    return out


def _plant_in_notebook(path: Path, line: str) -> None:
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(f"# a helpful hint\n    {line}"))
    nbformat.write(nb, path)


@pytest.fixture
def small(tmp_path: Path) -> tuple[Path, Path]:
    source = _small_course(tmp_path / "course")
    return source, _edition_of(source, tmp_path / "edition")


def test_secret_lines_are_answers_and_hidden_tests_only(small: tuple[Path, Path]) -> None:
    source, edition = small
    secrets = pub.secret_lines(source / "solutions")
    assert set(secrets) == {SOLUTION_LINE, HIDDEN_LINE}
    assert "ex9.ipynb cell 1 (t)" in secrets[HIDDEN_LINE]
    assert pub.find_leaks(edition, source) == []


@pytest.mark.parametrize(
    ("plant", "expected"),
    [
        (
            lambda e: (e / "tests/code/test_helper.py").write_text(f"# {HIDDEN_LINE}\n"),
            "tests/code/test_helper.py: a line of ex9.ipynb cell 1",
        ),
        (
            lambda e: (e / "README.md").write_text(f"Hint:\n\n    {SOLUTION_LINE}\n"),
            "README.md: a line of ex9.ipynb cell 0",
        ),
        (
            lambda e: _plant_in_notebook(e / "notebooks/01_module.ipynb", SOLUTION_LINE),
            "notebooks/01_module.ipynb: a line",
        ),
        (
            lambda e: _plant_in_notebook(e / pub.RELEASED_COPY / "ex9.ipynb", HIDDEN_LINE),
            "resources/released/ex9.ipynb: differs",
        ),
        (
            lambda e: (e / "src/mlops_course/helper.py").write_text("X = 1\n### BEGIN HIDDEN TESTS\n"),
            "helper.py: has a marker line",
        ),
        (
            lambda e: _plant_in_notebook(e / "exercises/ex9.ipynb", "### BEGIN SOLUTION"),
            "exercises/ex9.ipynb: has a marker line",
        ),
        (lambda e: (e / "exercises/ex9.ipynb").write_text("{}"), "exercises/ex9.ipynb: differs"),
        (lambda e: (e / "exercises/ex9.ipynb").unlink(), "exercises/ex9.ipynb: missing"),
        (
            lambda e: (e / "solutions").mkdir() or (e / "solutions/notes.txt").write_text("x"),
            "solutions/notes.txt: the edition must not",
        ),
        (
            lambda e: (e / "docs").mkdir() or (e / "docs/instructor.md").write_text("x"),
            "docs/instructor.md: the edition must not",
        ),
    ],
    ids=[
        "hidden-in-test",
        "answer-in-readme",
        "answer-in-notebook",
        "released-copy-edited",
        "marker-in-package",
        "marker-in-exercise",
        "exercise-differs",
        "exercise-missing",
        "solutions-folder",
        "instructor-guide",
    ],
)
def test_planted_leaks_are_caught(small: tuple[Path, Path], plant, expected: str) -> None:
    source, edition = small
    plant(edition)
    leaks = pub.find_leaks(edition, source)
    assert any(expected in leak for leak in leaks), leaks


def test_a_line_the_source_material_already_has_is_an_overlap_not_a_leak(small: tuple[Path, Path]) -> None:
    source, edition = small
    for root in (source, edition):
        _plant_in_notebook(root / "notebooks/01_module.ipynb", SOLUTION_LINE)
    leaks, overlaps = pub.scan_edition(edition, source)
    assert leaks == [] and any("notebooks/01_module.ipynb" in o for o in overlaps)
    (source / "README.md").write_text(f"    {SOLUTION_LINE}\n")  # not course material: no excuse
    (edition / "README.md").write_text(f"    {SOLUTION_LINE}\n")
    assert any(leak.startswith("README.md") for leak in pub.find_leaks(edition, source))


def _git_course(root: Path) -> Path:
    source = _small_course(root)
    (source / "Makefile").write_text(".PHONY: test release\n\ntest:\n\tpytest\n\nrelease:\n\tmlops-course release\n")
    (source / "pyproject.toml").write_text('[tool.pytest.ini_options]\ntestpaths = ["tests", "solutions"]\n')
    (source / "notes").mkdir()
    (source / "notes" / "hints.md").write_text(f"Hint for ex9:\n\n    {HIDDEN_LINE}\n")
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@t",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@t",
    }
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "course"]):
        subprocess.run(["git", *args], cwd=source, env=env, check=True, capture_output=True)
    return source


def test_publish_refuses_and_removes_a_leaking_edition(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = _git_course(tmp_path / "course")
    clean = pub.publish(tmp_path / "clean", source)
    assert "notes/hints.md" in clean.left_out and not (tmp_path / "clean" / "notes").exists()
    assert 'testpaths = ["tests"]' in (tmp_path / "clean" / "pyproject.toml").read_text()
    assert "release" not in (tmp_path / "clean" / "Makefile").read_text()
    monkeypatch.setattr(edition_files, "ALLOW", (*edition_files.ALLOW, "notes/*"))  # a careless edit of the allow list
    (tmp_path / "empty").mkdir()
    with pytest.raises(pub.PublishError, match=r"(?s)would leak.*notes/hints.md: a line of ex9.ipynb cell 1"):
        pub.publish(tmp_path / "empty", source)
    assert list((tmp_path / "empty").iterdir()) == [], "a leaking edition is not kept"
    monkeypatch.setattr(edition_files, "DENY", tuple(d for d in edition_files.DENY if d[0] != "solutions/*"))
    monkeypatch.setattr(edition_files, "ALLOW", (*edition_files.ALLOW, "solutions/*"))
    with pytest.raises(pub.PublishError, match="solutions/ex9.ipynb: the edition must not contain it"):
        pub.publish(tmp_path / "new", source)
    assert not (tmp_path / "new").exists()


def test_publish_refuses_stale_exercises(tmp_path: Path) -> None:
    source = _git_course(tmp_path / "course")
    (source / "exercises" / "ex9.ipynb").write_text((source / "exercises" / "ex9.ipynb").read_text() + " ")
    with pytest.raises(pub.PublishError, match="exercises/ex9.ipynb is not the release of solutions/ex9.ipynb"):
        pub.publish(tmp_path / "out", source)


# --- the course's own edition ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The course as committed (a clone of this checkout's HEAD), as CI sees it: other work in
    progress in this folder does not change what is checked."""
    target = tmp_path_factory.mktemp("source") / "course"
    subprocess.run(["git", "clone", "-q", str(PROJECT_ROOT), str(target)], check=True, capture_output=True)
    return target


@pytest.fixture(scope="module")
def edition(source: Path, tmp_path_factory: pytest.TempPathFactory) -> pub.Edition:
    started = time.monotonic()
    result = pub.publish(tmp_path_factory.mktemp("edition") / "course", source)
    print(f"publish took {time.monotonic() - started:.1f} s")
    return result


def test_the_course_edition_has_no_leak(edition: pub.Edition, source: Path) -> None:
    assert pub.find_leaks(edition.out, source) == []
    for rel in INSTRUCTOR_ONLY:
        assert not (edition.out / rel).exists(), f"{rel} is in the learners' edition"
    for exercise in sorted((source / "exercises").glob("*.ipynb")):
        assert (edition.out / "exercises" / exercise.name).read_bytes() == exercise.read_bytes()
    assert "solutions" not in (edition.out / "pyproject.toml").read_text().split("testpaths")[1].split("\n")[0]
    for page in ("README.md", "START_HERE.md"):
        text = (edition.out / page).read_text()
        for word in ("solutions/", "BEGIN SOLUTION", "HIDDEN TESTS", "instructor.md", "gradebook", "nbgrader"):
            assert word not in text, f"the learners' {page} mentions {word!r}"


def test_the_learners_pages_link_only_to_what_the_edition_has(edition: pub.Edition) -> None:
    import re

    for page in ("README.md", "START_HERE.md"):
        links = re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", (edition.out / page).read_text())
        assert links, f"{page} links to the course's notebooks"
        missing = [link for link in links if not (edition.out / link).exists()]
        assert missing == [], f"the learners' {page} links to files the edition does not have: {missing}"
    makefile = (edition.out / "Makefile").read_text()
    assert "grader" not in makefile and "release:" not in makefile and "\ncourse:" in makefile


def test_the_edition_is_one_reproducible_commit(edition: pub.Edition, source: Path, tmp_path: Path) -> None:
    log = subprocess.run(["git", "log", "--format=%H %an"], cwd=edition.out, capture_output=True, text=True, check=True)
    assert log.stdout.splitlines() == [f"{edition.commit} {pub.AUTHOR[0]}"]
    status = subprocess.run(["git", "status", "--porcelain"], cwd=edition.out, capture_output=True, text=True)
    assert status.stdout == "", "every file of the edition is committed"
    again = pub.publish(tmp_path / "again", source)
    assert again.commit == edition.commit

    def files(root: Path) -> dict[str, bytes]:
        return {
            p.relative_to(root).as_posix(): p.read_bytes()
            for p in root.rglob("*")
            if p.is_file() and ".git" not in p.relative_to(root).parts
        }

    assert files(edition.out) == files(again.out)


def _clone_env(clone: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "COV_"))}
    env.update(PYTHONPATH=str(clone / "src"), MLOPS_COURSE_HOME=str(clone), PYTHONDONTWRITEBYTECODE="1")
    return env


@pytest.fixture(scope="module")
def clone(edition: pub.Edition, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("learner") / "mlops-course"
    subprocess.run(["git", "clone", "-q", str(edition.out), str(target)], check=True, capture_output=True)
    found = subprocess.run(
        [sys.executable, "-c", "import mlops_course; print(mlops_course.__file__)"],
        cwd=target,
        env=_clone_env(target),
        capture_output=True,
        text=True,
        check=True,
    )
    assert found.stdout.strip().startswith(str(target)), "the clone's package is the one under test"
    return target


def _run(clone: Path, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=clone, env=_clone_env(clone), capture_output=True, text=True, timeout=timeout
    )


@pytest.mark.grading
def test_the_editions_make_test_runs_in_a_fresh_clone(clone: Path) -> None:
    dry = subprocess.run(["make", "-n", "course", "test"], cwd=clone, capture_output=True, text=True)
    assert dry.returncode == 0 and "pip install" in dry.stdout and "pytest" in dry.stdout, dry.stderr
    # The edition's own `make test` recipe, on this test run's environment: VENV is this interpreter's,
    # and `-o STAMP` keeps make from re-running the setup (pip) on it; `-n 0` runs in one process.
    venv = Path(sys.prefix)
    assert (venv / "bin" / "python").exists(), "the tests run from the course's virtual environment"
    make = ["make", "-o", f"{venv}/.course-installed", "test", f"VENV={venv}"]

    def make_test(*pytest_args: str) -> subprocess.CompletedProcess[str]:
        args = [*make, "PYTEST_ARGS=-n 0 -q " + " ".join(pytest_args)]
        return subprocess.run(args, cwd=clone, env=_clone_env(clone), capture_output=True, text=True, timeout=900)

    collected = make_test("--collect-only")
    assert collected.returncode == 0, collected.stdout[-3000:] + collected.stderr[-2000:]
    assert "pip install" not in collected.stdout, "make must not set up the shared environment again"
    items = collected.stdout.splitlines()
    assert any(i.startswith("notebooks/") for i in items) and any(i.startswith("tests/code/") for i in items)
    assert not any(i.startswith(("solutions/", "tests/grading", "exercises/")) for i in items)
    subset = [
        "tests/code/test_environment.py",
        "tests/code/test_psi.py",
        "tests/code/test_quality.py",
        "tests/code/test_stream.py",
        "tests/data",
    ]
    ran = make_test(*subset)
    assert ran.returncode == 0, ran.stdout[-4000:] + ran.stderr[-2000:]
    assert " passed" in ran.stdout and "pytest -n auto --dist loadfile -n 0" in ran.stdout


@pytest.mark.grading
def test_check_and_submit_work_on_every_exercise_in_the_clone(clone: Path) -> None:
    exercises = sorted((clone / "exercises").glob("*.ipynb"))
    assert exercises
    help_text = _run(clone, "-m", "mlops_course.cli", "submit", "--help").stdout
    assert "--source" in help_text
    for exercise in exercises:
        checked = _run(clone, "-m", "mlops_course.cli", "check", f"exercises/{exercise.name}")
        assert checked.returncode in (0, 1), checked.stdout + checked.stderr  # 1: the stubs fail their tests
        assert f"Self-check of {exercise.name}" in checked.stdout, checked.stdout + checked.stderr
    first = exercises[0]
    submitted = _run(clone, "-m", "mlops_course.cli", "submit", f"exercises/{first.name}", "--student", "learner1")
    assert submitted.returncode == 0, submitted.stdout + submitted.stderr
    assert "Self-check:" in submitted.stdout and (clone / "submit" / f"learner1_{first.stem}.zip").is_file()
    script = (
        "import json, sys\nfrom pathlib import Path\nfrom mlops_course.grading.submission import submit\n"
        "for name in sys.argv[1:]:\n"
        "    target, manifest = submit(Path('exercises') / name, 'learner1', Path('submit'), run_check=False)\n"
        "    print(json.dumps([target.name, manifest['exercise']]))\n"
    )
    rest = _run(clone, "-c", script, *(e.name for e in exercises))
    assert rest.returncode == 0, rest.stdout + rest.stderr
    assert [json.loads(line) for line in rest.stdout.splitlines()] == [
        [f"learner1_{e.stem}.zip", e.stem] for e in exercises
    ]
    stale = _run(
        clone, "-m", "mlops_course.cli", "submit", "notebooks/01_introduction_to_mlops.ipynb", "--student", "x"
    )
    assert stale.returncode == 2 and "not one of the course's exercises" in stale.stderr


def test_submit_without_solutions_checks_against_the_released_copy(
    small: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlops_course import paths
    from mlops_course.grading import submission

    source, edition = small
    monkeypatch.setattr(paths, "SOLUTIONS_DIR", tmp_path / "no-solutions")
    monkeypatch.setattr(paths, "EXERCISES_DIR", edition / "exercises")
    monkeypatch.setattr(submission, "RELEASED_DIR", edition / pub.RELEASED_COPY)
    assert submission.default_source() == edition / pub.RELEASED_COPY
    mine = edition / "exercises" / "ex9.ipynb"
    assert submission.validate_exercise(mine) == "ex9"
    nb = nbformat.read(mine, as_version=4)
    nb.cells[1].source = "assert True  # a learner's edit of the test"
    nbformat.write(nb, mine)  # the learner edits exercises/; the released copy stays as published
    with pytest.raises(submission.SubmitError, match="test cell.*t differ"):
        submission.validate_exercise(mine)
    monkeypatch.setattr(submission, "RELEASED_DIR", tmp_path / "no-copy")
    assert submission.default_source() == edition / "exercises", "without the copy: the released exercises"


@pytest.fixture(scope="module")
def portuguese(source: Path, tmp_path_factory: pytest.TempPathFactory) -> pub.Edition:
    return pub.publish(tmp_path_factory.mktemp("edition-pt") / "curso", source, "pt-BR")


def test_the_portuguese_edition_is_the_course_in_portuguese(portuguese: pub.Edition, source: Path) -> None:
    import re

    out = portuguese.out
    assert pub.scan_edition(out, source, "pt-BR")[0] == []
    assert not (out / "notebooks" / "pt-BR").exists() and not (out / "START_HERE.pt-BR.md").exists()
    modules = sorted((source / "notebooks" / "pt-BR").glob("*.ipynb"))
    assert [p.name for p in sorted((out / "notebooks").glob("*.ipynb"))] == [p.name for p in modules]
    for module in modules:
        assert (out / "notebooks" / module.name).read_bytes() == module.read_bytes()
    for exercise in sorted((source / "exercises" / "pt-BR").glob("*.ipynb")):
        # the texts name exercises/pt-BR/x.ipynb in the checkout, exercises/x.ipynb in this edition
        shipped = exercise.read_text().replace("exercises/pt-BR/", "exercises/")
        for copy in (out / "exercises" / exercise.name, out / pub.RELEASED_COPY / exercise.name):
            assert copy.read_text() == shipped
        assert json.loads(exercise.read_text())["metadata"]["mlops_course"]["language"] == "pt-BR"
    named = [
        path
        for notebook in (*(out / "exercises").glob("*.ipynb"), *(out / "notebooks").glob("*.ipynb"))
        for path in re.findall(r"mlops-course (?:check|submit) (\S+\.ipynb)", notebook.read_text())
    ]
    assert named and all((out / path).is_file() for path in named), f"commands name missing files: {named}"
    start, readme = (out / "START_HERE.md").read_text(), (out / "README.md").read_text()
    assert "Bem-vindo" in start and "make course" in readme and "você" in readme
    for page, text in (("START_HERE.md", start), ("README.md", readme)):
        links = re.findall(r"\]\(([^)#:]+)(?:#[^)]*)?\)", text)
        missing = [link for link in links if not (out / link).exists()]
        assert links and missing == [], f"the Portuguese {page} links to files the edition does not have: {missing}"
        for word in ("solutions/", "BEGIN SOLUTION", "HIDDEN TESTS", "instructor.md", "gradebook"):
            assert word not in text, f"the Portuguese {page} mentions {word!r}"


def test_the_portuguese_self_check_speaks_portuguese(portuguese: pub.Edition, tmp_path: Path) -> None:
    target = tmp_path / "curso"
    subprocess.run(["git", "clone", "-q", str(portuguese.out), str(target)], check=True, capture_output=True)
    checked = _run(target, "-m", "mlops_course.cli", "check", "exercises/ex0_how_exercises_work.ipynb")
    assert checked.returncode == 1, checked.stdout + checked.stderr  # the stubs fail their tests
    assert "Autoavaliação de ex0_how_exercises_work.ipynb" in checked.stdout and "FALHOU" in checked.stdout
