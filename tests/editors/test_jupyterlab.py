"""nblift in a real JupyterLab (with jupyterlab-lsp and nblift's extension), in Debian's
chromium driven by Playwright: diagnostics on the right cells, hover, the lift from the cell's
context menu, Convert and Verify from the notebook's toolbar. Each state is screenshotted into
``$NBLIFT_SCREENSHOTS``.

Run by ``tests/editors.rs`` with the Python of ``target/jupyterlab-venv``; the tests run in
file order on one page, each on the state the one before left.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from playwright.sync_api import Page, expect, sync_playwright

from conftest import NOTEBOOK, SCREENSHOTS, free_port, launch, shoot

HERE = Path(__file__).parent
# jupyterlab-lsp draws a diagnostic as a CodeMirror lint range of its severity.
LINT_RANGES = ".cm-lintRange-error, .cm-lintRange-warning, .cm-lintRange-info"


@pytest.fixture(scope="module")
def root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("lab")
    shutil.copy(HERE / NOTEBOOK, root / NOTEBOOK)
    return root


@pytest.fixture(scope="module")
def lab(root: Path, tmp_path_factory: pytest.TempPathFactory):
    """A JupyterLab server on a free port, its settings and runtime files in scratch folders,
    with `nblift` on PATH as a user's `cargo install` puts it."""
    home = tmp_path_factory.mktemp("home")
    port = free_port()
    binary = Path(os.environ["NBLIFT"])
    env = {
        **os.environ,
        "HOME": str(home),
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "PATH": f"{binary.parent}{os.pathsep}{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    env.pop("NBLIFT")  # found on PATH, as installed
    # No "get notified about Jupyter news?" toast over the screenshots.
    notification = home / "settings/@jupyterlab/apputils-extension/notification.jupyterlab-settings"
    notification.parent.mkdir(parents=True)
    notification.write_text(json.dumps({"fetchNews": "false"}))
    log = open(home / "lab.log", "w")
    server = subprocess.Popen(
        [
            sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root",
            "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
            "--ServerApp.token=", "--ServerApp.password=",
            f"--ServerApp.root_dir={root}",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 120
    while True:
        try:
            urllib.request.urlopen(f"{url}/api/status", timeout=2)
            break
        except OSError:
            if server.poll() is not None or time.time() > deadline:
                raise RuntimeError((home / "lab.log").read_text())
            time.sleep(0.5)
    yield url
    server.terminate()
    server.wait(timeout=30)
    log.close()
    # The server's log, with jupyter-lsp's and the extension's lines, beside the screenshots.
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(home / "lab.log", SCREENSHOTS / "jupyterlab.log")


# What nblift lsp published, as jupyterlab-lsp's websocket carried it to the page.
PUBLISHED: list[dict] = []


def keep_published(websocket) -> None:
    if "/lsp/ws/nblift" not in websocket.url:
        return

    def received(payload) -> None:
        message = json.loads(payload) if isinstance(payload, str) else {}
        if message.get("method") == "textDocument/publishDiagnostics":
            PUBLISHED.append(message["params"])

    websocket.on("framereceived", received)


@pytest.fixture(scope="module")
def page(lab: str):
    with sync_playwright() as playwright:
        browser = launch(playwright)
        context = browser.new_context(viewport={"width": 1400, "height": 1400})
        page = context.new_page()
        page.set_default_timeout(60_000)
        page.on("websocket", keep_published)
        page.goto(f"{lab}/lab/tree/{NOTEBOOK}", wait_until="domcontentloaded")
        page.wait_for_selector(".jp-Notebook .jp-Cell")
        yield page
        browser.close()


def cells(page: Page):
    return page.locator(".jp-Notebook .jp-Cell")


def lint_ranges(page: Page) -> list[tuple[int, str, str]]:
    """Each diagnostic drawn: (cell index on the page, severity, the text it covers)."""
    return page.evaluate(
        """(selector) => [...document.querySelectorAll('.jp-Notebook .jp-Cell')].flatMap(
            (cell, index) => [...cell.querySelectorAll(selector)].map(range => [
                index,
                [...range.classList].find(c => c.startsWith('cm-lintRange-')).slice(13),
                range.textContent,
            ]))""",
        LINT_RANGES,
    )


def message_on(page: Page, cell: int, severity: str) -> str:
    """The message of the diagnostic drawn in a cell: CodeMirror shows it on hover."""
    cells(page).nth(cell).locator(f".cm-lintRange-{severity}").first.hover()
    tooltip = page.locator(".cm-tooltip-lint").first
    expect(tooltip).to_be_visible()
    text = tooltip.inner_text()
    page.mouse.move(0, 0)
    return text


def test_diagnostics_are_on_the_cells_that_have_them(page: Page):
    # The star import (cell 2) and the branch that reads `total` early (cell 3), counted on
    # the page: the markdown title is cell 1 (index 0). jupyterlab-lsp draws those two; it
    # draws nothing on a line its IPython rewriting produced (`skipInspect`), so the note on
    # the `%time` line (cell 4) is drawn by nblift's extension.
    page.wait_for_function(
        "(selector) => document.querySelectorAll(selector).length >= 3",
        arg=LINT_RANGES,
        timeout=120_000,
    )
    found = lint_ranges(page)
    shoot(page, "1-diagnostics", full_page=True)
    by_cell = {(cell, severity) for cell, severity, _ in found}
    assert by_cell == {(1, "warning"), (2, "warning"), (3, "info")}, found
    assert any(c == 2 and text == "total" for c, _, text in found), found
    # On the statement `%time` times, in the line as the user wrote it (CodeMirror may split
    # a mark at syntax tokens), drawn by the extension.
    timed = "prices = [random.Random(3).randint(1, 9) for _ in range(5)]"
    assert "".join(text for c, _, text in found if c == 3) == timed, found
    drawn = cells(page).nth(3).locator(".nblift-rewritten-line")
    assert "".join(drawn.all_text_contents()) == timed
    assert "`from statistics import *` hides which names" in message_on(page, 1, "warning")
    assert "`total` is not defined at this point" in message_on(page, 2, "warning")
    assert "`%time` becomes the statement" in message_on(page, 3, "info")
    # What the server sent for the `%time` line: on its line of the virtual document (the
    # title, two cells and their separators above it), the magic named as written.
    latest = [p for p in PUBLISHED if p["uri"].endswith("/.virtual_documents/" + NOTEBOOK)][-1]
    notes = [d for d in latest["diagnostics"] if d["code"] == "NB102"]
    assert [d["range"]["start"]["line"] for d in notes] == [13], latest
    assert "`%time` becomes the statement" in notes[0]["message"], notes
    cells(page).nth(3).locator(".nblift-rewritten-line").hover()
    expect(page.locator(".cm-tooltip-lint")).to_be_visible()
    shoot(page, "2-diagnostic-message", full_page=True)
    page.mouse.move(0, 0)


def test_hover_names_where_a_name_is_defined(page: Page):
    line = cells(page).nth(5).locator(".cm-line").first
    # `total` in `print(mean(prices), total)`; jupyterlab-lsp shows hover with Ctrl held.
    word = line.evaluate(
        """(line) => {
            // The text node (of the highlighted spans) that holds the name.
            const walker = document.createTreeWalker(line, NodeFilter.SHOW_TEXT);
            while (walker.nextNode()) {
                const start = walker.currentNode.textContent.indexOf('total');
                if (start >= 0) {
                    const range = document.createRange();
                    range.setStart(walker.currentNode, start);
                    range.setEnd(walker.currentNode, start + 5);
                    const r = range.getBoundingClientRect();
                    return {x: r.x + r.width / 2, y: r.y + r.height / 2};
                }
            }
            return null;
        }"""
    )
    assert word is not None
    page.mouse.move(word["x"], word["y"])
    page.keyboard.down("Control")
    page.mouse.move(word["x"] + 1, word["y"])
    hover = page.locator(".lsp-hover").first
    expect(hover).to_be_visible()
    text = hover.inner_text()
    page.keyboard.up("Control")
    shoot(page, "3-hover", full_page=True)
    assert "defined in cell 5" in text, text
    page.mouse.move(0, 0)


def outputs_of(path: Path) -> list[str]:
    """What a notebook prints in a fresh kernel, cell by cell, without `%time`'s timings."""
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    printed = []
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            text = output.get("text") or json.dumps(output.get("data", {}), sort_keys=True)
            printed.extend(
                line for line in text.splitlines()
                if not line.startswith(("CPU times:", "Wall time:"))
            )
    return printed


def test_lift_from_the_context_menu_keeps_what_the_notebook_does(page: Page, root: Path):
    before = outputs_of(HERE / NOTEBOOK)
    cell = cells(page).nth(4)
    cell.locator(".cm-content").click(button="right")
    page.locator(".lm-Menu-item", has_text="Lift cell into a function").click()
    source = cell.locator(".cm-content")
    expect(source).to_contain_text("def ", timeout=30_000)
    shoot(page, "4-lifted", full_page=True)
    lifted = source.inner_text()
    assert "return total" in lifted, lifted
    # One edit: one undo gives the cell back, one redo the lift.
    source.click()
    page.keyboard.press("Control+z")
    expect(source).not_to_contain_text("def ")
    page.keyboard.press("Control+Shift+z")
    expect(source).to_contain_text("def ")
    page.keyboard.press("Escape")
    page.keyboard.press("Control+s")
    saved = root / NOTEBOOK
    deadline = time.time() + 30
    while "def " not in "".join(nbformat.read(saved, as_version=4).cells[4].source):
        assert time.time() < deadline, "the lifted notebook was not saved"
        time.sleep(0.5)
    assert outputs_of(saved) == before


def test_convert_writes_the_package(page: Page, root: Path):
    page.locator(".jp-Toolbar-item[data-jp-item-name='nblift-convert'] button").click()
    panel = page.locator("#nblift-results")
    expect(panel).to_contain_text("Converted", timeout=60_000)
    shoot(page, "5-converted", full_page=True)
    packages = [p for p in root.iterdir() if (p / "pyproject.toml").is_file()]
    assert len(packages) == 1, list(root.iterdir())
    report = panel.inner_text()
    assert str(packages[0]) in report, report
    # The notes of the conversion, the magic named as the user wrote it.
    assert "note[NB102]: `%time`" in report, report


def test_verify_says_equivalent(page: Page):
    page.locator(".jp-Toolbar-item[data-jp-item-name='nblift-verify'] button").click()
    panel = page.locator("#nblift-results")
    expect(panel).to_contain_text("Verified:", timeout=300_000)
    shoot(page, "6-verified", full_page=True)
    assert "Verified: equivalent" in panel.inner_text(), panel.inner_text()
