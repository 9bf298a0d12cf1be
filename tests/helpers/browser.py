"""Driving JupyterLab in Debian's Chromium with Playwright: shared by the browser tests."""

from __future__ import annotations

import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from mlops_course.paths import PROJECT_ROOT

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = Path(os.environ.get("E2E_SCREENSHOTS", PROJECT_ROOT / ".course-data" / "e2e-screenshots"))
RUN_TIMEOUT_MS = 240_000
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


RUN_STATE = """() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  if (!panel) return {cells: 0, starred: [], unnumbered: 0, dialog: null, status: null};
  const cells = [...panel.querySelectorAll('.jp-CodeCell')];
  const prompt = c => (c.querySelector('.jp-InputPrompt') || {}).textContent || '';
  const firstLine = c => ((c.querySelector('.cm-line') || {}).textContent || '').slice(0, 80);
  const starred = cells.map((c, i) => [i, prompt(c), firstLine(c)]).filter(([, p]) => p.includes('*'));
  const dialog = document.querySelector('.jp-Dialog');
  const indicator = panel.querySelector('.jp-Notebook-ExecutionIndicator');
  return {
    cells: cells.length,
    starred: starred.map(([i, , line]) => `cell ${i}: ${line}`),
    unnumbered: cells.filter(c => !/\\[\\d+\\]/.test(prompt(c))).length,
    dialog: dialog ? dialog.textContent.slice(0, 300) : null,
    status: indicator ? indicator.getAttribute('data-status') : null,
  };
}"""


def _kernel_states(lab: object) -> list[str]:
    return [str(s.get("kernel", {}).get("execution_state")) for s in lab.api("/api/sessions").json()]


def _stuck(page: object, lab: object, what: str, state: dict) -> AssertionError:
    shot = SCREENSHOTS / "stuck.png"
    page.screenshot(path=str(shot))
    log = lab.log.read_text(errors="replace")[-2500:] if lab.log.exists() else "(no log)"
    return AssertionError(
        f"{what}\nnotebook state: {state}\nkernels (server's view): {_kernel_states(lab)}\n"
        f"screenshot: {shot}\nJupyterLab log, last lines:\n{log}"
    )


def wait_for_idle_kernel(page: object, lab: object, timeout_s: float = 90.0) -> None:
    """Wait until the open notebook shows its cells and the server reports its kernel idle."""
    page.wait_for_selector(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell", timeout=timeout_s * 1000)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        states = _kernel_states(lab)
        if states and all(s == "idle" for s in states):
            return
        time.sleep(0.5)
    raise _stuck(page, lab, f"the notebook's kernel was not idle within {timeout_s:.0f} s", page.evaluate(RUN_STATE))


def run_all_and_wait(page: object, lab: object, timeout_s: float = RUN_TIMEOUT_MS / 1000) -> None:
    """Restart the kernel, run every cell, and wait until every cell has run and the kernel is idle.

    The stored outputs already carry execution counts, so "every prompt numbered" only means the
    run ended once the run has visibly started (a prompt showed ``[*]``, or cells without a count
    got one). The kernel's state is read from the server (``/api/sessions``), not from the
    toolbar, which may fold its indicator away. A dialog (a dead kernel, say) or a run past ``timeout_s`` fails with what each cell
    shows, the server's kernel states, a screenshot and the end of JupyterLab's log.
    """
    wait_for_idle_kernel(page, lab)
    unrun_before = page.evaluate(RUN_STATE)["unnumbered"]
    page.click(".jp-NotebookPanel:not(.lm-mod-hidden) [data-command='notebook:restart-run-all']")
    page.click(".jp-Dialog-button.jp-mod-accept")
    page.wait_for_selector(".jp-Dialog", state="detached", timeout=30_000)
    started = done = False
    deadline = time.monotonic() + timeout_s
    state: dict = {}
    while time.monotonic() < deadline:
        state = page.evaluate(RUN_STATE)
        if state["dialog"]:
            raise _stuck(page, lab, f"a dialog opened during the run: {state['dialog']!r}", state)
        # started: a cell showed [*], or cells that had no count before now all have one
        started = started or bool(state["starred"]) or (unrun_before > 0 and state["unnumbered"] == 0)
        finished = started and not state["starred"] and state["unnumbered"] == 0
        if finished and all(s == "idle" for s in _kernel_states(lab)):
            done = True
            break
        time.sleep(0.5)
    if not done:
        what = "the run never started" if not started else f"the run did not finish within {timeout_s:.0f} s"
        raise _stuck(page, lab, what, state)


def error_texts(page: object) -> list[str]:
    return [(element.text_content() or "")[:600] for element in page.query_selector_all(BAD_OUTPUTS)]


def shut_down_kernels(lab: object) -> None:
    """Close every notebook session, so one module's kernel (and its servers) is gone before the next."""
    for session in lab.api("/api/sessions").json():
        lab.api(f"/api/sessions/{session['id']}", method="DELETE")
