"""Registers ``nblift lsp`` with jupyter-lsp (entry point ``jupyter_lsp_spec_v1``), so that
JupyterLab's language-server extension starts it for Python notebooks with no
``language_servers`` configuration."""

from __future__ import annotations

from typing import Any

from .binary import find_nblift


def spec(_manager: Any) -> dict[str, Any]:
    binary = find_nblift()
    return {
        "nblift": {
            "argv": [binary or "nblift", "lsp"],
            "languages": ["python"],
            "mime_types": ["text/x-python", "text/python", "text/x-ipython"],
            "display_name": "nblift",
            "version": 2,
            **(
                {}
                if binary
                else {"troubleshoot": "nblift is not on PATH: `cargo install --path .` in nblift's repository"}
            ),
        }
    }


spec.is_installed = lambda _manager: find_nblift() is not None  # type: ignore[attr-defined]
