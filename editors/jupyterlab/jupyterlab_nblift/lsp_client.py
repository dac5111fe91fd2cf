"""One short session with ``nblift lsp``: the notebook as JupyterLab shows it (unsaved edits
included) is opened with LSP notebook sync, and the server's own code action or command
answers. The lift is the same code action every editor gets, not a second implementation.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

# A cell kind in JupyterLab's model, as LSP's NotebookCellKind (1 markup, 2 code).
_KINDS = {"markdown": 1, "raw": 1, "code": 2}


def _notebook_cell(cell: dict[str, Any], uri: str) -> dict[str, Any]:
    """A cell as LSP's NotebookCell: its kind, its tags (papermill's ``parameters``,
    ``step:NAME``, ...) and its execution count, which nblift reads as from a saved notebook."""
    found: dict[str, Any] = {"kind": _KINDS.get(cell["kind"], 1), "document": uri}
    if cell.get("tags"):
        found["metadata"] = {"tags": cell["tags"]}
    if cell.get("execution_count") is not None:
        found["executionSummary"] = {"executionOrder": cell["execution_count"]}
    return found


class LspError(RuntimeError):
    """The server answered a request with an error, or ended the session."""


class NbliftSession:
    """``nblift lsp`` over stdio, for one notebook, used as a context manager."""

    def __init__(self, binary: str, path: Path, cells: list[dict[str, Any]]):
        self.binary = binary
        self.path = path.resolve()
        self.uri = self.path.as_uri()
        self.cell_uris = [f"{self.uri}#cell{index}" for index in range(len(cells))]
        self.cells = cells
        self._next_id = 0

    def __enter__(self) -> "NbliftSession":
        # The server's log lines (stderr) go to the Jupyter server's log.
        self._process = subprocess.Popen(
            [self.binary, "lsp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        try:
            self._open()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _open(self) -> None:
        self.request(
            "initialize",
            {
                "processId": None,
                "rootUri": self.path.parent.as_uri(),
                "capabilities": {
                    "textDocument": {"codeAction": {"disabledSupport": True}},
                    "notebookDocument": {"synchronization": {}},
                },
            },
        )
        self.notify("initialized", {})
        self.notify(
            "notebookDocument/didOpen",
            {
                "notebookDocument": {
                    "uri": self.uri,
                    "notebookType": "jupyter-notebook",
                    "version": 1,
                    "cells": [
                        _notebook_cell(cell, uri)
                        for cell, uri in zip(self.cells, self.cell_uris)
                    ],
                },
                "cellTextDocuments": [
                    {
                        "uri": uri,
                        "languageId": "python" if cell["kind"] == "code" else "markdown",
                        "version": 1,
                        "text": cell["source"],
                    }
                    for cell, uri in zip(self.cells, self.cell_uris)
                ],
            },
        )

    def __exit__(self, *_exc: object) -> None:
        try:
            self.request("shutdown", None)
            self.notify("exit", None)
            self._process.wait(timeout=10)
        except (LspError, OSError, subprocess.TimeoutExpired):
            self._process.kill()
            self._process.wait()

    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self._process.stdin is not None
        self._process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self._process.stdin.flush()

    def _receive(self) -> dict[str, Any]:
        assert self._process.stdout is not None
        length = None
        while True:
            line = self._process.stdout.readline()
            if not line:
                raise LspError("nblift lsp ended the session")
            line = line.strip()
            if not line:
                break
            name, _, value = line.partition(b":")
            if name.lower() == b"content-length":
                length = int(value)
        if length is None:
            raise LspError("nblift lsp sent a message without Content-Length")
        return json.loads(self._process.stdout.read(length))

    def notify(self, method: str, params: Any) -> None:
        self._send({"method": method, "params": params})

    def request(self, method: str, params: Any) -> Any:
        self._next_id += 1
        self._send({"id": self._next_id, "method": method, "params": params})
        while True:
            message = self._receive()
            if message.get("id") == self._next_id and "method" not in message:
                if "error" in message:
                    raise LspError(message["error"]["message"])
                return message.get("result")

    def lift(self, cell: int) -> dict[str, str]:
        """The cell's text after "Lift cell into a function", or why it cannot be lifted."""
        at = {"line": 0, "character": 0}
        actions = self.request(
            "textDocument/codeAction",
            {
                "textDocument": {"uri": self.cell_uris[cell]},
                "range": {"start": at, "end": at},
                "context": {"diagnostics": [], "only": ["refactor.extract"]},
            },
        )
        for action in actions or []:
            if action.get("kind") != "refactor.extract":
                continue
            if "disabled" in action:
                return {"reason": action["disabled"]["reason"]}
            (edit,) = action["edit"]["changes"][self.cell_uris[cell]]
            return {"text": edit["newText"]}
        return {"reason": "nblift offers no lift for this cell"}

    def convert(self, options: dict[str, Any]) -> dict[str, Any]:
        """``nblift.convert`` on the notebook: the same report as ``nblift convert --format json``."""
        return self.request(
            "workspace/executeCommand",
            {"command": "nblift.convert", "arguments": [self.uri, options]},
        )
