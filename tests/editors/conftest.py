"""What the browser tests share: Debian's chromium (``$CHROMIUM``) as Playwright launches it
here, a free port, and screenshots into ``$NBLIFT_SCREENSHOTS``."""

from __future__ import annotations

import os
import socket
from pathlib import Path

from playwright.sync_api import Browser, Page, Playwright

NOTEBOOK = "editor_actions.ipynb"
SCREENSHOTS = Path(os.environ["NBLIFT_SCREENSHOTS"])
# Chromium as root, on a machine without a network: no sandbox, no background connections.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def launch(playwright: Playwright) -> Browser:
    return playwright.chromium.launch(
        executable_path=os.environ["CHROMIUM"], args=CHROMIUM_ARGS, headless=True
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def shoot(page: Page, name: str, full_page: bool = False) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=full_page)
