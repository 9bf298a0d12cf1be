"""The learner's journey in a real browser: JupyterLab started as the README says, driven by
Playwright in Debian's Chromium (no browser download).

Steps, in order, sharing one server and one browser page:
1. the start page opens, with links to every module and exercise;
2. every module notebook is restarted and run top to bottom; any error or stderr output fails;
3. the warm-up exercise (a working copy) gets the instructor's answers typed into its
   solution cells, its visible tests run and pass, it is saved, and ``mlops-course check``
   scores the saved file;
4. the Portuguese journey, on a second JupyterLab started with ``make course LANG=pt-BR``
   (the same browser; one file, so the two journeys never run at once on a loaded machine):
   the Portuguese start page opens, a Portuguese module runs top to bottom, and the package
   speaks Portuguese in it (the notebook's language reaches the kernel through Jupyter
   Server's ``JPY_SESSION_NAME``).

Screenshots of each step go to ``$E2E_SCREENSHOTS`` (default: ``.course-data/e2e-screenshots``);
the folder is printed at the start. Set ``UPDATE_README_SCREENSHOT=1`` to refresh
``docs/images/jupyterlab.png`` from the run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlops_course.paths import PROJECT_ROOT

from helpers.browser import (
    SCREENSHOTS,
    chromium_page,
    error_texts,
    open_notebook,
    run_all_and_wait,
    shut_down_kernels,
    wait_for_idle_kernel,
)

pytestmark = [pytest.mark.browser, pytest.mark.integration]

MODULES = sorted((PROJECT_ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
WARM_UP = "ex0_how_exercises_work"
WORKSPACE = PROJECT_ROOT / "lab-e2e"  # ignored by git; JupyterLab does not serve hidden folders


@pytest.fixture(scope="module")
def page(course_lab: object) -> Iterator[object]:
    """A Chromium page logged in to the course's JupyterLab."""
    with chromium_page() as opened:
        yield opened


def test_start_page_lists_modules_and_exercises(page: object, course_lab: object) -> None:
    page.goto(f"{course_lab.url}/?token={course_lab.token}")
    page.wait_for_selector(".jp-RenderedMarkdown h1:has-text('Welcome to the hands-on MLOps course')", timeout=90_000)
    links = page.eval_on_selector_all(".jp-RenderedMarkdown a", "els => els.map(e => e.getAttribute('href'))")

    def links_to(target: str) -> bool:
        return any(target in (link or "") for link in links)

    for module in MODULES:
        assert links_to(f"notebooks/{module.name}"), f"the start page does not link {module.name}"
    assert links_to(f"exercises/{WARM_UP}.ipynb"), "the start page does not link the warm-up exercise"
    page.screenshot(path=str(SCREENSHOTS / "01_start_page.png"))
    if os.environ.get("UPDATE_README_SCREENSHOT") == "1":
        (PROJECT_ROOT / "docs" / "images").mkdir(parents=True, exist_ok=True)
        shutil.copy(SCREENSHOTS / "01_start_page.png", PROJECT_ROOT / "docs" / "images" / "jupyterlab.png")


@pytest.mark.parametrize("module", MODULES, ids=[m.stem for m in MODULES])
def test_module_runs_top_to_bottom_in_jupyterlab(page: object, course_lab: object, module: Path) -> None:
    before = module.read_bytes()
    open_notebook(page, course_lab, f"notebooks/{module.name}")
    run_all_and_wait(page, course_lab)
    page.screenshot(path=str(SCREENSHOTS / f"02_{module.stem}.png"), full_page=False)
    errors = error_texts(page)
    shut_down_kernels(course_lab)
    assert not errors, f"{module.name} shows error or stderr output in JupyterLab:\n" + "\n---\n".join(errors)
    assert module.read_bytes() == before, f"{module.name} was modified on disk by the run"


def _solution_sources() -> dict[str, str]:
    notebook = json.loads((PROJECT_ROOT / "solutions" / f"{WARM_UP}.ipynb").read_text())
    answers = {}
    for cell in notebook["cells"]:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if meta.get("solution"):
            source = "".join(cell["source"])
            lines = [ln for ln in source.splitlines() if ln.strip() not in ("### BEGIN SOLUTION", "### END SOLUTION")]
            answers[meta["grade_id"]] = "\n".join(lines)
    return answers


def test_warm_up_exercise_solved_in_the_browser_then_checked(page: object, course_lab: object) -> None:
    exercise = PROJECT_ROOT / "exercises" / f"{WARM_UP}.ipynb"
    WORKSPACE.mkdir(exist_ok=True)
    working_copy = WORKSPACE / exercise.name
    shutil.copy(exercise, working_copy)
    answers = _solution_sources()
    cells = json.loads(working_copy.read_text())["cells"]
    solution_indices = [
        (index, cell["metadata"]["nbgrader"]["grade_id"])
        for index, cell in enumerate(cells)
        if cell.get("metadata", {}).get("nbgrader", {}).get("solution")
    ]
    assert solution_indices, "the released warm-up has no solution cells"

    open_notebook(page, course_lab, f"{WORKSPACE.name}/{exercise.name}")
    wait_for_idle_kernel(page, course_lab)
    panel = ".jp-NotebookPanel:not(.lm-mod-hidden)"
    for index, grade_id in solution_indices:
        editor = page.locator(f"{panel} .jp-Notebook .jp-Cell").nth(index).locator(".cm-content")
        editor.scroll_into_view_if_needed()
        editor.click()
        page.keyboard.press("Control+A")
        page.keyboard.insert_text(answers[grade_id])
        page.keyboard.press("Escape")
    page.screenshot(path=str(SCREENSHOTS / "03_warm_up_typed.png"))

    run_all_and_wait(page, course_lab)
    page.screenshot(path=str(SCREENSHOTS / "04_warm_up_tests_run.png"))
    errors = error_texts(page)
    assert not errors, "visible tests failed in the browser:\n" + "\n---\n".join(errors)

    page.keyboard.press("Control+S")
    page.wait_for_function(
        "() => !document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden) ~ * .jp-mod-dirty, .lm-TabBar-tab.lm-mod-current.jp-mod-dirty')",
        timeout=30_000,
    )
    saved = json.loads(working_copy.read_text())
    first_index, first_id = solution_indices[0]
    assert "NotImplementedError" not in "".join(saved["cells"][first_index]["source"]), "the typed answer was not saved"

    check = subprocess.run(
        [str(Path(sys.executable).parent / "mlops-course"), "check", str(working_copy)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=PROJECT_ROOT,
    )
    (SCREENSHOTS / "05_check_output.txt").write_text(check.stdout + check.stderr)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "NotImplementedError" not in check.stdout
    shutil.rmtree(WORKSPACE, ignore_errors=True)


PT_MODULES = sorted((PROJECT_ROOT / "notebooks" / "pt-BR").glob("[0-9][0-9]_*.ipynb"))
PT_MODULE = PROJECT_ROOT / "notebooks" / "pt-BR" / "05_ml_infrastructure.ipynb"
PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"


def test_portuguese_start_page_opens_and_links_every_module(page: object, course_lab_pt: object) -> None:
    page.goto(f"{course_lab_pt.url}/?token={course_lab_pt.token}")
    heading = ".jp-RenderedMarkdown h1:has-text('Bem-vindo ao curso prático de MLOps')"
    page.wait_for_selector(heading, timeout=90_000)
    links = page.eval_on_selector_all(".jp-RenderedMarkdown a", "els => els.map(e => e.getAttribute('href'))")
    assert PT_MODULES, "no Portuguese modules: mlops-course translate build --lang pt-BR"
    for module in PT_MODULES:
        assert any(f"notebooks/pt-BR/{module.name}" in (link or "") for link in links), module.name
    assert any("exercises/pt-BR/ex0_how_exercises_work.ipynb" in (link or "") for link in links)
    page.screenshot(path=str(SCREENSHOTS / "pt_01_start_page.png"))


def test_a_portuguese_module_runs_and_the_package_speaks_portuguese(page: object, course_lab_pt: object) -> None:
    before = PT_MODULE.read_bytes()
    title = json.loads(before)["cells"][0]["source"][0].lstrip("# ").strip()
    open_notebook(page, course_lab_pt, f"notebooks/pt-BR/{PT_MODULE.name}")
    run_all_and_wait(page, course_lab_pt)
    page.screenshot(path=str(SCREENSHOTS / f"pt_02_{PT_MODULE.stem}.png"))
    errors = error_texts(page)
    assert not errors, f"{PT_MODULE.name} shows error or stderr output in JupyterLab:\n" + "\n---\n".join(errors)
    assert page.locator(f"{PANEL} .jp-RenderedMarkdown h1").first.text_content().startswith(title[:20])

    # A scratch cell at the end (never saved: autosave is off) asks the package its language.
    page.locator(f"{PANEL} .jp-Notebook .jp-Cell").last.click()
    page.keyboard.press("Escape")
    page.keyboard.press("b")
    page.keyboard.press("Enter")
    page.keyboard.insert_text('from mlops_course.i18n import language, tr\nprint(language(), tr("plot.window"))')
    page.keyboard.press("Shift+Enter")
    output = page.locator(f"{PANEL} .jp-Notebook .jp-Cell").nth(-2).locator(".jp-OutputArea-output")
    output.wait_for(timeout=60_000)
    assert (output.text_content() or "").strip() == "pt-BR janela"
    shut_down_kernels(course_lab_pt)
    assert PT_MODULE.read_bytes() == before, f"{PT_MODULE.name} was modified on disk by the run"
