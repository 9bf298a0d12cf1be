"""Driving JupyterLab in Debian's Chromium with Playwright: shared by the browser tests."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from mlops_course.paths import PROJECT_ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(os.environ.get("E2E_SCREENSHOTS", PROJECT_ROOT / ".course-data" / "e2e-screenshots"))
RUN_TIMEOUT_MS = 240_000
ALL_PROMPTS_NUMBERED = """() => {
  const prompts = [...document.querySelectorAll('.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt')];
  return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
}"""
BAD_OUTPUTS = (
    ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
)


@contextmanager
def chromium_page() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium is missing: install Debian's package (apt-get install chromium); .ci/run does.")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {SCREENSHOTS}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        yield context.new_page()
        browser.close()


def open_notebook(page: object, lab: object, path: str) -> None:
    page.goto(f"{lab.url}/lab/tree/{path}?reset&token={lab.token}")


def run_all_and_wait(page: object) -> None:
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=90_000)
    page.click(".jp-NotebookPanel:not(.lm-mod-hidden) [data-command='notebook:restart-run-all']")
    page.click(".jp-Dialog-button.jp-mod-accept")
    page.wait_for_function(ALL_PROMPTS_NUMBERED, timeout=RUN_TIMEOUT_MS)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']", timeout=RUN_TIMEOUT_MS)


def error_texts(page: object) -> list[str]:
    return [(element.text_content() or "")[:600] for element in page.query_selector_all(BAD_OUTPUTS)]


def shut_down_kernels(lab: object) -> None:
    """Close every notebook session, so one module's kernel (and its servers) is gone before the next."""
    for session in lab.api("/api/sessions").json():
        lab.api(f"/api/sessions/{session['id']}", method="DELETE")
