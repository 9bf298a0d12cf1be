"""The Portuguese learner's journey in a real browser: ``make course LANG=pt-BR`` opens
JupyterLab on the Portuguese start page, a Portuguese module runs top to bottom without an
error, and the package speaks Portuguese in it (the notebook's language reaches the kernel
through Jupyter Server's ``JPY_SESSION_NAME``).
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from mlops_course.paths import PROJECT_ROOT

from helpers.browser import (
    SCREENSHOTS,
    chromium_page,
    error_texts,
    open_notebook,
    run_all_and_wait,
    shut_down_kernels,
)

pytestmark = [pytest.mark.browser, pytest.mark.integration]


@pytest.fixture(scope="module")
def page_pt(course_lab_pt: object) -> Iterator[object]:
    """A Chromium page logged in to the JupyterLab that ``make course LANG=pt-BR`` started."""
    with chromium_page() as opened:
        yield opened


PT_MODULES = sorted((PROJECT_ROOT / "notebooks" / "pt-BR").glob("[0-9][0-9]_*.ipynb"))
PT_MODULE = PROJECT_ROOT / "notebooks" / "pt-BR" / "05_ml_infrastructure.ipynb"
PANEL = ".jp-NotebookPanel:not(.lm-mod-hidden)"


def test_portuguese_start_page_opens_and_links_every_module(page_pt: object, course_lab_pt: object) -> None:
    page_pt.goto(f"{course_lab_pt.url}/?token={course_lab_pt.token}")
    heading = ".jp-RenderedMarkdown h1:has-text('Bem-vindo ao curso prático de MLOps')"
    page_pt.wait_for_selector(heading, timeout=90_000)
    links = page_pt.eval_on_selector_all(".jp-RenderedMarkdown a", "els => els.map(e => e.getAttribute('href'))")
    assert PT_MODULES, "no Portuguese modules: mlops-course translate build --lang pt-BR"
    for module in PT_MODULES:
        assert any(f"notebooks/pt-BR/{module.name}" in (link or "") for link in links), module.name
    assert any("exercises/pt-BR/ex0_how_exercises_work.ipynb" in (link or "") for link in links)
    page_pt.screenshot(path=str(SCREENSHOTS / "pt_01_start_page.png"))


def test_a_portuguese_module_runs_and_the_package_speaks_portuguese(page_pt: object, course_lab_pt: object) -> None:
    before = PT_MODULE.read_bytes()
    title = json.loads(before)["cells"][0]["source"][0].lstrip("# ").strip()
    open_notebook(page_pt, course_lab_pt, f"notebooks/pt-BR/{PT_MODULE.name}")
    run_all_and_wait(page_pt)
    page_pt.screenshot(path=str(SCREENSHOTS / f"pt_02_{PT_MODULE.stem}.png"))
    errors = error_texts(page_pt)
    assert not errors, f"{PT_MODULE.name} shows error or stderr output in JupyterLab:\n" + "\n---\n".join(errors)
    assert page_pt.locator(f"{PANEL} .jp-RenderedMarkdown h1").first.text_content().startswith(title[:20])

    # A scratch cell at the end (never saved: autosave is off) asks the package its language.
    page_pt.locator(f"{PANEL} .jp-Notebook .jp-Cell").last.click()
    page_pt.keyboard.press("Escape")
    page_pt.keyboard.press("b")
    page_pt.keyboard.press("Enter")
    page_pt.keyboard.insert_text('from mlops_course.i18n import language, tr\nprint(language(), tr("plot.window"))')
    page_pt.keyboard.press("Shift+Enter")
    output = page_pt.locator(f"{PANEL} .jp-Notebook .jp-Cell").nth(-2).locator(".jp-OutputArea-output")
    output.wait_for(timeout=60_000)
    assert (output.text_content() or "").strip() == "pt-BR janela"
    shut_down_kernels(course_lab_pt)
    assert PT_MODULE.read_bytes() == before, f"{PT_MODULE.name} was modified on disk by the run"
