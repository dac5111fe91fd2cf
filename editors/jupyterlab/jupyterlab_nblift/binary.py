"""Where the ``nblift`` binary is."""

from __future__ import annotations

import os
import shutil


def find_nblift() -> str | None:
    """``$NBLIFT`` when set, else ``nblift`` on ``PATH`` (``cargo install --path .`` puts it there)."""
    return os.environ.get("NBLIFT") or shutil.which("nblift")
