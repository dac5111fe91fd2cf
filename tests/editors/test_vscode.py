"""nblift in a real VS Code: code-server (VS Code in the browser, with its built-in `.ipynb`
notebooks) with nblift's extension installed from its `.vsix`, in Debian's chromium driven by
Playwright. The notebook's diagnostics arrive through notebook document sync, the lift changes
a cell, Convert writes the package. Each state is screenshotted into ``$NBLIFT_SCREENSHOTS``.

Run by ``tests/editors.rs``; the tests run in file order on one page.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect, sync_playwright

from conftest import NOTEBOOK, SCREENSHOTS, free_port, launch, shoot

HERE = Path(__file__).parent
# The workbench as a test wants it: the notebook opens as a notebook, no welcome page, chat
# or update checks in the way, nothing saved behind the test's back.
SETTINGS = {
    "workbench.editorAssociations": {"*.ipynb": "jupyter-notebook"},
    "workbench.startupEditor": "none",
    "workbench.secondarySideBar.defaultVisibility": "hidden",
    "workbench.tips.enabled": False,
    "workbench.enableExperiments": False,
    "chat.disableAIFeatures": True,
    "extensions.autoCheckUpdates": False,
    "extensions.autoUpdate": False,
    "extensions.ignoreRecommendations": True,
    "update.mode": "none",
    "telemetry.telemetryLevel": "off",
    "files.autoSave": "off",
    "files.hotExit": "off",
}
CODE_CELLS = ".notebook-editor .cell-list-container .code-cell-row"
SQUIGGLES = ".squiggly-error, .squiggly-warning, .squiggly-info"
ACTION_ITEMS = ".action-widget .monaco-list-row.action"


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("workspace")
    shutil.copy(HERE / NOTEBOOK, folder / NOTEBOOK)
    return folder


@pytest.fixture(scope="module")
def code_server(workspace: Path, tmp_path_factory: pytest.TempPathFactory):
    """code-server on a free port with nblift's extension installed, its settings pointing at
    the nblift binary, its state in scratch folders, and no extension gallery to query."""
    home = tmp_path_factory.mktemp("code-server")
    user = home / "user"
    (user / "User").mkdir(parents=True)
    (user / "User/settings.json").write_text(
        json.dumps({**SETTINGS, "nblift.path": os.environ["NBLIFT"]})
    )
    (home / "config.yaml").write_text("auth: none\ncert: false\n")
    env = {
        **os.environ,
        "PATH": os.environ["CODE_SERVER_PATH"],
        "EXTENSIONS_GALLERY": "{}",
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
    }
    common = [
        os.environ["CODE_SERVER"],
        "--config", str(home / "config.yaml"),
        "--user-data-dir", str(user),
        "--extensions-dir", str(home / "extensions"),
    ]
    subprocess.run(
        [*common, "--install-extension", os.environ["VSIX"], "--force"],
        env=env, check=True, capture_output=True,
    )
    port = free_port()
    log = open(home / "code-server.log", "w")
    server = subprocess.Popen(
        [
            *common,
            "--bind-addr", f"127.0.0.1:{port}", "--auth", "none",
            "--disable-telemetry", "--disable-update-check", "--disable-workspace-trust",
            "--disable-getting-started-override", "--reconnection-grace-time", "10",
            str(workspace),
        ],
        env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,  # its extension hosts and watchers end with the group
    )
    deadline = time.time() + 60
    while True:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
            break
        except OSError:
            if server.poll() is not None or time.time() > deadline:
                raise RuntimeError((home / "code-server.log").read_text())
            time.sleep(0.3)
    yield port
    os.killpg(server.pid, signal.SIGTERM)
    server.wait(timeout=30)
    log.close()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(home / "code-server.log", SCREENSHOTS / "code-server.log")


@pytest.fixture(scope="module")
def page(code_server: int, workspace: Path):
    with sync_playwright() as playwright:
        browser = launch(playwright)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(60_000)
        notebook = f"vscode-remote://127.0.0.1:{code_server}{workspace / NOTEBOOK}"
        payload = urllib.parse.quote(json.dumps([["openFile", notebook]]))
        folder = urllib.parse.quote(str(workspace))
        page.goto(f"http://127.0.0.1:{code_server}/?folder={folder}&payload={payload}")
        page.locator(CODE_CELLS).first.wait_for(timeout=120_000)
        yield page
        browser.close()


def code_cell(page: Page, index: int):
    return page.locator(CODE_CELLS).nth(index)


def cell_text(page: Page, index: int) -> str:
    # Monaco places its line elements by their `top`, not by their order in the page.
    lines = code_cell(page, index).locator(".view-lines").first.evaluate(
        """(view) => [...view.querySelectorAll('.view-line')]
            .sort((a, b) => parseFloat(a.style.top) - parseFloat(b.style.top))
            .map(line => line.textContent)"""
    )
    return "\n".join(lines).replace("\u00a0", " ")


def message_on(page: Page, index: int) -> str:
    """The message of the first diagnostic drawn in a code cell, from its hover."""
    box = code_cell(page, index).locator(SQUIGGLES).first.bounding_box()
    assert box is not None
    y = box["y"] + box["height"] / 2
    page.mouse.move(box["x"] + 3, y)
    page.mouse.move(box["x"] + min(10, box["width"] / 2), y)
    message = page.locator(".monaco-hover:not(.hidden) .marker.hover-contents > span:first-child")
    expect(message.first).to_be_visible()
    text = message.first.inner_text()
    page.keyboard.press("Escape")
    page.mouse.move(2, 2)
    return text


def test_diagnostics_arrive_on_their_cells_through_notebook_sync(page: Page):
    # Code cells (the markdown title is not one): the star import (0), the branch reading
    # `total` early (1), the `%time` line (2); the two after have nothing to say.
    for index in range(3):
        code_cell(page, index).locator(SQUIGGLES).first.wait_for(timeout=120_000)
    shoot(page, "1-diagnostics")
    counts = [code_cell(page, i).locator(SQUIGGLES).count() for i in range(5)]
    assert [c > 0 for c in counts] == [True, True, True, False, False], counts
    assert "`from statistics import *` hides which names" in message_on(page, 0)
    assert "`total` is not defined at this point" in message_on(page, 1)
    # Each cell is its own document: the note is on the `%time` line, the magic as written.
    assert "`%time` becomes the statement" in message_on(page, 2)
    shoot(page, "2-diagnostic-message")


def test_the_lift_changes_the_cell(page: Page):
    code_cell(page, 3).locator(".view-line").first.click()
    page.keyboard.press("Control+.")
    lift = page.locator(ACTION_ITEMS, has_text="Lift cell into a function").first
    expect(lift).to_be_visible()
    shoot(page, "3-code-actions")
    lift.click()
    deadline = time.time() + 30
    while "def compute_total" not in cell_text(page, 3):
        assert time.time() < deadline, cell_text(page, 3)
        page.wait_for_timeout(200)
    text = cell_text(page, 3)
    shoot(page, "4-lifted")
    assert text.startswith("def compute_total(prices):\n    total = 0\n"), text
    assert text.endswith("    return total\n\ntotal = compute_total(prices)"), text


def test_convert_writes_the_package(page: Page, workspace: Path):
    page.keyboard.press("Escape")
    page.keyboard.press("F1")
    page.keyboard.type("nblift: Convert notebook to package")
    page.locator(".quick-input-list .monaco-list-row", has_text="Convert notebook to package").first.wait_for()
    page.keyboard.press("Enter")
    toast = page.locator(".notifications-toasts .notification-list-item-message", has_text="nblift wrote package")
    expect(toast.first).to_be_visible(timeout=60_000)
    shoot(page, "5-converted")
    packages = [p for p in workspace.iterdir() if (p / "pyproject.toml").is_file()]
    assert len(packages) == 1, list(workspace.iterdir())
    # Converted as the editor shows it: the lifted cell, not yet saved, is in the package.
    steps = "\n".join(p.read_text() for p in packages[0].rglob("*.py"))
    assert "compute_total" in steps, steps
