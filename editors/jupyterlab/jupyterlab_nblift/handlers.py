"""The server side of the extension: ``POST /nblift/{lift,convert,verify}``, each running the
``nblift`` binary on the notebook the request names (a path relative to the server's root).
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from jupyter_server.base.handlers import APIHandler
from jupyter_server.utils import url_path_join
from tornado import web

from .binary import find_nblift
from .lsp_client import LspError, NbliftSession


def nblift_binary() -> str:
    binary = find_nblift()
    if not binary:
        raise web.HTTPError(
            500,
            "nblift is not on PATH: install it with `cargo install --path .` "
            "in nblift's repository, or set NBLIFT to the binary",
        )
    return binary


class NbliftHandler(APIHandler):
    def notebook_path(self, relative: str) -> Path:
        root = Path(self.contents_manager.root_dir).resolve()
        path = (root / relative).resolve()
        if root not in path.parents or path.suffix != ".ipynb":
            raise web.HTTPError(400, f"not a notebook under the server's root: {relative}")
        return path

    def body(self, *fields: str) -> dict[str, Any]:
        """The request's JSON object, which must have `fields` (the message the page shows is
        the error's log message: APIHandler answers with it)."""
        try:
            body = json.loads(self.request.body)
        except json.JSONDecodeError as error:
            raise web.HTTPError(400, f"the request is not JSON: {error}") from error
        missing = [f for f in fields if not isinstance(body, dict) or f not in body]
        if missing:
            raise web.HTTPError(400, f"the request has no {', '.join(missing)}")
        return body


class LiftHandler(NbliftHandler):
    """The active cell lifted into a function, through ``nblift lsp``'s code action."""

    @web.authenticated
    async def post(self) -> None:
        body = self.body("path", "cells", "cell")
        path = self.notebook_path(body["path"])
        if not 0 <= int(body["cell"]) < len(body["cells"]):
            raise web.HTTPError(400, f"there is no cell {body['cell']}")

        def lift() -> dict[str, str]:
            with NbliftSession(nblift_binary(), path, body["cells"]) as session:
                return session.lift(int(body["cell"]))

        try:
            self.finish(json.dumps(await asyncio.to_thread(lift)))
        except LspError as error:
            self.finish(json.dumps({"reason": str(error)}))


class ConvertHandler(NbliftHandler):
    """The notebook as shown, converted into a package beside it (``nblift.convert``)."""

    @web.authenticated
    async def post(self) -> None:
        body = self.body("path", "cells")
        path = self.notebook_path(body["path"])
        force = bool(body.get("force"))

        def convert() -> dict[str, Any]:
            with NbliftSession(nblift_binary(), path, body["cells"]) as session:
                try:
                    planned = session.convert({"dry_run": True})
                except LspError as error:
                    return {"error": str(error)}
                output = Path(planned["output"])
                # Replacing a folder is the user's decision, asked for by the page.
                if not force and output.is_dir() and any(output.iterdir()):
                    return {"confirm": str(output)}
                try:
                    return session.convert({"force": force})
                except LspError as error:
                    return {"error": str(error)}

        self.finish(json.dumps(await asyncio.to_thread(convert)))


# `nblift verify`'s exit codes.
_VERDICTS = {0: "equivalent", 1: "differs", 3: "package failed", 4: "notebook failed"}


class VerifyHandler(NbliftHandler):
    """``nblift verify`` of the saved notebook against the package "Convert" writes for it,
    run by the server's own Python (which has the kernel, ``ipykernel`` and ``nbclient``)."""

    @web.authenticated
    async def post(self) -> None:
        body = self.body("path", "cells")
        path = self.notebook_path(body["path"])

        def package() -> Path:
            with NbliftSession(nblift_binary(), path, body["cells"]) as session:
                return Path(session.convert({"dry_run": True})["output"])

        try:
            output = await asyncio.to_thread(package)
        except LspError as error:
            self.finish(json.dumps({"error": str(error)}))
            return
        if not output.is_dir():
            self.finish(json.dumps({"error": f"there is no package at {output}: convert the notebook first"}))
            return
        command = [
            nblift_binary(), "verify", str(path), str(output),
            "--python", sys.executable, "--format", "json",
        ]

        def verify() -> subprocess.CompletedProcess[str]:
            return subprocess.run(command, capture_output=True, text=True, cwd=path.parent)

        run = await asyncio.to_thread(verify)
        verdict = _VERDICTS.get(run.returncode)
        try:
            evidence = json.loads(run.stdout)
        except json.JSONDecodeError:
            evidence = None
        if verdict is None or evidence is None:
            self.finish(json.dumps({"error": (run.stderr or run.stdout).strip()}))
            return
        self.finish(json.dumps({"verdict": verdict, "details": details(evidence)}))


def details(evidence: dict[str, Any]) -> list[str]:
    """What to show under the verdict: the first difference of each kind, or the failure."""
    lines = []
    verdict = evidence.get("verdict")
    if isinstance(verdict, dict):
        lines.extend(f"{kind}: {message}" for kind, message in verdict.items())
    for value in evidence.get("values", [])[:1]:
        lines.append(f"{value['path']}: {value['notebook']} (notebook) vs {value['package']} (package)")
    if evidence.get("stdout_diff"):
        lines.append("printed output differs:\n" + "\n".join(evidence["stdout_diff"].splitlines()[:12]))
    if evidence.get("results_diff"):
        lines.append("shown values differ:\n" + "\n".join(evidence["results_diff"].splitlines()[:12]))
    for file in evidence.get("files", [])[:1]:
        lines.append(f"file {file['path']}: {file['notebook']} (notebook) vs {file['package']} (package)")
    if not lines:
        lines.append(
            f"{evidence.get('stdout_lines', 0)} printed lines, {evidence.get('results', 0)} shown "
            f"values and {evidence.get('values_compared', 0)} final values compared"
        )
    return lines


def setup_handlers(web_app: Any) -> None:
    base = url_path_join(web_app.settings["base_url"], "nblift")
    web_app.add_handlers(
        ".*$",
        [
            (url_path_join(base, "lift"), LiftHandler),
            (url_path_join(base, "convert"), ConvertHandler),
            (url_path_join(base, "verify"), VerifyHandler),
        ],
    )
