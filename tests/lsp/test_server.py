"""`nblift lsp` driven by a real LSP client: pytest-lsp, over pygls and lsprotocol.

Run by `tests/lsp.rs` (`cargo test --test lsp`), which makes the venv and sets:
    NBLIFT                the nblift binary under test
    NBLIFT_KERNEL_PYTHON  the test suite's Python (nbclient, ipykernel, the fixtures' packages)
    NBLIFT_NBRUN          tests/support/nbrun.py, which runs notebooks in fresh kernels
"""

import ast
import asyncio
import json
import os
import pathlib
import shutil
import subprocess

import pytest
import pytest_lsp
from lsprotocol import types
from pygls.exceptions import JsonRpcException
from pytest_lsp import ClientServerConfig, LanguageClient

FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "fixtures"
KERNEL_PYTHON = os.environ["NBLIFT_KERNEL_PYTHON"]
NBRUN = os.environ["NBLIFT_NBRUN"]


@pytest_lsp.fixture(
    config=ClientServerConfig(server_command=[os.environ["NBLIFT"], "lsp"]),
)
async def client(lsp_client: LanguageClient):
    capabilities = types.ClientCapabilities(
        text_document=types.TextDocumentClientCapabilities(
            code_action=types.CodeActionClientCapabilities(disabled_support=True),
            hover=types.HoverClientCapabilities(content_format=[types.MarkupKind.Markdown]),
        ),
        notebook_document=types.NotebookDocumentClientCapabilities(
            synchronization=types.NotebookDocumentSyncClientCapabilities()
        ),
    )
    result = await lsp_client.initialize_session(types.InitializeParams(capabilities=capabilities))
    assert result.server_info.name == "nblift"
    # Every cell of a Jupyter notebook is synced: markdown cells name the steps.
    [selector] = result.capabilities.notebook_document_sync.notebook_selector
    assert selector.notebook == "jupyter-notebook" and selector.cells is None
    yield
    # Shutdown, then exit: the server ends cleanly.
    await lsp_client.shutdown_session()
    assert lsp_client._server.returncode == 0


# --- helpers -------------------------------------------------------------------------------


class OpenNotebook:
    """A notebook opened in the server the way VS Code opens one: a text document per cell."""

    def __init__(self, client, path):
        self.client = client
        self.path = path
        self.uri = path.as_uri()
        self.json = json.loads(path.read_text())
        self.version = 1
        self.cell_uris = [
            f"vscode-notebook-cell:{path}#cell{i}" for i in range(len(self.json["cells"]))
        ]
        cells, documents = [], []
        for uri, cell in zip(self.cell_uris, self.json["cells"]):
            code = cell["cell_type"] == "code"
            cells.append(self.cell(uri, code, cell.get("execution_count")))
            documents.append(
                types.TextDocumentItem(
                    uri=uri,
                    language_id="python" if code else "markdown",
                    version=1,
                    text=source(cell),
                )
            )
        client.diagnostics.clear()
        client.notebook_document_did_open(
            types.DidOpenNotebookDocumentParams(
                notebook_document=types.NotebookDocument(
                    uri=self.uri,
                    notebook_type="jupyter-notebook",
                    version=1,
                    cells=cells,
                    metadata=self.json["metadata"],
                ),
                cell_text_documents=documents,
            )
        )

    @staticmethod
    def cell(uri, code=True, execution_count=None):
        """The notebook's entry for a cell: kind, document, and the count it last ran with."""
        return types.NotebookCell(
            kind=types.NotebookCellKind.Code if code else types.NotebookCellKind.Markup,
            document=uri,
            execution_summary=(
                types.ExecutionSummary(execution_order=execution_count)
                if execution_count is not None
                else None
            ),
        )

    def change(self, cells):
        """Sends one notebook change (`NotebookDocumentCellChanges`), as a new version."""
        self.version += 1
        self.client.notebook_document_did_change(
            types.DidChangeNotebookDocumentParams(
                notebook_document=types.VersionedNotebookDocumentIdentifier(
                    version=self.version, uri=self.uri
                ),
                change=types.NotebookDocumentChangeEvent(cells=cells),
            )
        )

    def replace_cell(self, index, text):
        """Replaces a cell's whole text by a range edit, as an editor applying an edit does."""
        lines = source(self.json["cells"][index]).split("\n")
        end = types.Position(line=len(lines) - 1, character=len(lines[-1].encode("utf-16-le")) // 2)
        self.json["cells"][index]["source"] = text
        edit = types.TextDocumentContentChangePartial(
            range=types.Range(start=types.Position(line=0, character=0), end=end), text=text
        )
        document = types.VersionedTextDocumentIdentifier(
            uri=self.cell_uris[index], version=self.version + 1
        )
        self.change(
            types.NotebookDocumentCellChanges(
                text_content=[
                    types.NotebookDocumentCellContentChanges(document=document, changes=[edit])
                ]
            )
        )

    def insert_cell(self, index, text):
        """Inserts a code cell, with its text document, before cell `index`."""
        uri = f"vscode-notebook-cell:{self.path}#new{index}"
        self.cell_uris.insert(index, uri)
        self.json["cells"].insert(
            index, {"cell_type": "code", "metadata": {}, "source": text, "outputs": []}
        )
        cell = self.cell(uri)
        opened = types.TextDocumentItem(uri=uri, language_id="python", version=1, text=text)
        self.change(
            types.NotebookDocumentCellChanges(
                structure=types.NotebookDocumentCellChangeStructure(
                    array=types.NotebookCellArrayChange(start=index, delete_count=0, cells=[cell]),
                    did_open=[opened],
                )
            )
        )

    def run_cell(self, index, execution_count):
        """The editor ran a cell: its execution summary changes, not its text."""
        self.json["cells"][index]["execution_count"] = execution_count
        self.change(
            types.NotebookDocumentCellChanges(
                data=[self.cell(self.cell_uris[index], True, execution_count)]
            )
        )

    async def diagnostics(self):
        """The diagnostics of every cell, once the server has published them all."""
        await published(self.client, self.cell_uris)
        return self.codes()

    def codes(self):
        return [codes(self.client.diagnostics.get(uri, [])) for uri in self.cell_uris]

    async def diagnostics_become(self, expected, timeout=20):
        """The cells' diagnostics once they are `expected`, or as they are after `timeout`
        seconds. The server publishes only what changed, so there is nothing else to wait for.
        """

        async def settled():
            while self.codes() != expected:
                await asyncio.sleep(0.02)

        try:
            await asyncio.wait_for(settled(), timeout)
        except TimeoutError:
            pass
        return self.codes()

    def delete_cell(self, index):
        """Deletes a cell and closes its text document."""
        uri = self.cell_uris.pop(index)
        del self.json["cells"][index]
        self.change(
            types.NotebookDocumentCellChanges(
                structure=types.NotebookDocumentCellChangeStructure(
                    array=types.NotebookCellArrayChange(start=index, delete_count=1),
                    did_close=[types.TextDocumentIdentifier(uri=uri)],
                )
            )
        )
        return uri

    def save(self, path):
        path.write_text(json.dumps(self.json))


def source(cell):
    text = cell["source"]
    return "".join(text) if isinstance(text, list) else text


def codes(diagnostics):
    return sorted(d.code for d in diagnostics)


async def eventually(condition, timeout=20):
    """Whether `condition()` holds within `timeout` seconds."""

    async def holds():
        while not condition():
            await asyncio.sleep(0.02)

    try:
        await asyncio.wait_for(holds(), timeout)
        return True
    except TimeoutError:
        return False


async def published(client, uris, timeout=20):
    """Waits until the server has published diagnostics for every one of `uris`."""

    async def every():
        while not all(uri in client.diagnostics for uri in uris):
            await asyncio.sleep(0.02)

    await asyncio.wait_for(every(), timeout)


def run_in_kernel(notebook, cwd):
    """What a fresh kernel prints and shows running `notebook` top to bottom."""
    jobs = cwd / f"{notebook.stem}.jobs.json"
    jobs.write_text(json.dumps([{"notebook": str(notebook), "cwd": str(cwd)}]))
    done = subprocess.run(
        [KERNEL_PYTHON, NBRUN, str(jobs)], capture_output=True, text=True, check=True
    )
    [result] = json.loads(done.stdout)
    assert result["error"] is None, result["error"]
    return result["stdout"], [(r["cell"], r["text"]) for r in result["results"]]


def run_package(output, package, cwd):
    done = subprocess.run(
        [KERNEL_PYTHON, "-m", package],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONPATH": str(pathlib.Path(output) / "src"), "MPLBACKEND": "Agg"},
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def run_script(path, cwd):
    done = subprocess.run(
        [KERNEL_PYTHON, str(path)], capture_output=True, text=True, check=True, cwd=cwd
    )
    return done.stdout


def apply_edit(text, edit):
    """`text` with one LSP text edit applied (ASCII text: columns are characters)."""
    lines = text.split("\n")
    start, end = edit.range.start, edit.range.end
    before = "\n".join(lines[: start.line] + [lines[start.line][: start.character]])
    after = "\n".join([lines[end.line][end.character :]] + lines[end.line + 1 :])
    return before + edit.new_text + after


def copy_fixture(name, tmp_path):
    target = tmp_path / pathlib.Path(name).name
    shutil.copy(FIXTURES / name, target)
    return target


async def code_actions(client, uri, line=0):
    at = types.Position(line=line, character=0)
    return await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            range=types.Range(start=at, end=at),
            context=types.CodeActionContext(diagnostics=[]),
        )
    )


def action(actions, title):
    [found] = [a for a in actions if a.title == title]
    return found


# --- tests ---------------------------------------------------------------------------------


async def test_diagnostics_land_on_their_cells_and_follow_changes(client, tmp_path):
    notebook = OpenNotebook(client, copy_fixture("bad/hazards_in_cells.ipynb", tmp_path))
    # Cell 1 prints `total` before cell 2 defines it, and ran after it; cell 3 star-imports,
    # cell 4 has a magic the package leaves out, cell 5 rebinds the module it imports.
    assert await notebook.diagnostics() == [["NB301"], ["NB304"], ["NB307"], ["NB101"], ["NB305"]]
    [use] = client.diagnostics[notebook.cell_uris[0]]
    assert use.severity == types.DiagnosticSeverity.Error
    assert (use.range.start.line, use.range.start.character) == (0, 6)
    assert (use.range.end.line, use.range.end.character) == (0, 11)
    [rebinding] = client.diagnostics[notebook.cell_uris[4]]
    assert rebinding.range.start.line == 1

    # Defining it first fixes cell 1: the server re-analyses and clears the diagnostic.
    notebook.replace_cell(0, "total = 0\nprint(total)")
    expected = [[], ["NB304"], ["NB307"], ["NB101"], ["NB305"]]
    assert await notebook.diagnostics_become(expected) == expected

    # Running cell 2 again, after cell 1, puts the execution counts back in page order.
    notebook.run_cell(1, 4)
    expected = [[], [], ["NB307"], ["NB101"], ["NB305"]]
    assert await notebook.diagnostics_become(expected) == expected

    # A new cell reading a name no cell defines gets its own diagnostic (before the star
    # import, which could define any name).
    notebook.insert_cell(2, "print(missing)")
    expected = [[], [], ["NB302"], ["NB307"], ["NB101"], ["NB305"]]
    assert await notebook.diagnostics_become(expected) == expected

    # Deleting the star import: the new cell's name could no longer come from it, still
    # undefined; the deleted cell's diagnostics are cleared.
    deleted = notebook.delete_cell(3)
    expected = [[], [], ["NB302"], ["NB101"], ["NB305"]]
    assert await notebook.diagnostics_become(expected) == expected
    assert await eventually(lambda: list(client.diagnostics[deleted]) == [])


async def test_lifting_every_cell_into_a_function_keeps_what_the_notebook_prints(client, tmp_path):
    path = copy_fixture("lsp/sales_in_cells.ipynb", tmp_path)
    before = run_in_kernel(path, tmp_path)
    notebook = OpenNotebook(client, path)
    await notebook.diagnostics()
    code_cells = [i for i, cell in enumerate(notebook.json["cells"]) if cell["cell_type"] == "code"]
    lifted = {}
    for index in code_cells:
        uri = notebook.cell_uris[index]
        lift = action(await code_actions(client, uri), "Lift cell into a function")
        assert lift.disabled is None, lift.disabled
        [edit] = lift.edit.changes[uri]
        notebook.replace_cell(index, apply_edit(source(notebook.json["cells"][index]), edit))
        lifted[index] = edit.new_text

    # The second code cell reads `prices` and `quantities` from the first: they are the
    # function's parameters; its `def revenue` stays at the top level for the last cell.
    tree = ast.parse(lifted[2])
    functions = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    assert [f.name for f in functions][0] == "revenue"
    assert [a.arg for a in functions[1].args.args] == ["prices", "quantities"]
    assert all(isinstance(n, ast.FunctionDef) for n in ast.parse(lifted[1]).body[1:-1])

    # The edited notebook, run in a fresh kernel, prints and shows the same.
    edited = tmp_path / "edited.ipynb"
    notebook.save(edited)
    assert run_in_kernel(edited, tmp_path) == before

    # A markdown cell has nothing to lift: the action is there, disabled, with the reason.
    markdown = action(
        await code_actions(client, notebook.cell_uris[0]), "Lift cell into a function"
    )
    assert "code cell" in markdown.disabled.reason


async def test_convert_command_writes_a_package_that_prints_what_the_notebook_prints(
    client, tmp_path
):
    path = copy_fixture("lsp/sales_in_cells.ipynb", tmp_path)
    notebook = OpenNotebook(client, path)
    await notebook.diagnostics()
    convert = action(
        await code_actions(client, notebook.cell_uris[1]), "Convert notebook to package"
    )
    # A code action of kind `source` that carries the command (its kind is checked in
    # tests/lsp_in_process.rs): lsprotocol reads it as a `Command` whose `command` is the
    # carried command's repr.
    carried = ast.literal_eval(convert.command)
    command = types.Command(
        title=carried["title"], command=carried["command"], arguments=carried["arguments"]
    )
    assert command.command == "nblift.convert"

    report = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=command.command, arguments=command.arguments)
    )
    assert report["status"] == "converted"
    assert pathlib.Path(report["output"]) == tmp_path / report["package"]
    stdout, _ = run_in_kernel(path, tmp_path)
    assert run_package(report["output"], report["package"], tmp_path) == stdout
    assert any("wrote package" in m.message for m in client.messages)

    # Existing output is not overwritten without `force`.
    with pytest.raises(JsonRpcException, match="force"):
        await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command=command.command, arguments=command.arguments)
        )
    again = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(
            command=command.command,
            arguments=[notebook.uri, {"force": True, "split": "cells", "name": "sales"}],
        )
    )
    assert again["package"] == "sales"
    dry = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(
            command=command.command,
            arguments=[notebook.uri, {"dry_run": True, "output": "dry"}],
        )
    )
    assert dry["status"] == "dry-run" and not (tmp_path / "dry").exists()
    with pytest.raises(JsonRpcException, match="not a valid `split`"):
        await client.workspace_execute_command_async(
            types.ExecuteCommandParams(
                command=command.command, arguments=[notebook.uri, {"split": "rows"}]
            )
        )
    assert run_package(again["output"], "sales", tmp_path) == stdout


async def test_percent_scripts_are_notebooks_too(client, tmp_path):
    path = copy_fixture("formats/percent_script.py", tmp_path)
    uri = path.as_uri()
    text = path.read_text()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="python", version=1, text=text
            )
        )
    )
    await published(client, [uri])
    assert list(client.diagnostics[uri]) == []

    # Go to definition from the last cell lands on the file line that binds `totals`.
    last = text.split("\n").index('print("best", max(totals), "of", len(totals))')
    column = len('print("best", max(')
    found = await client.text_document_definition_async(
        types.DefinitionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line=last, character=column),
        )
    )
    assert found.uri == uri
    assert found.range.start.line == text.split("\n").index(
        "totals = [p * q for p, q in zip(prices, quantities)]"
    )

    # A line appended to the script gets its diagnostic on the file's own line.
    client.diagnostics.clear()
    lines = text.split("\n")
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(
                        start=types.Position(line=len(lines) - 1, character=0),
                        end=types.Position(line=len(lines) - 1, character=0),
                    ),
                    text="print(undefined_here)\n",
                )
            ],
        )
    )
    await published(client, [uri])
    [undefined] = client.diagnostics[uri]
    assert undefined.code == "NB302"
    assert undefined.range.start.line == len(lines) - 1

    # The command converts the script; the package prints what the script prints.
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=3),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
        )
    )
    report = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="nblift.convert", arguments=[uri, {"output": "out"}])
    )
    script = run_script(path, tmp_path)
    assert run_package(report["output"], report["package"], tmp_path) == script

    # Lifting the "Totals" cell edits the script's own lines; the script prints the same.
    totals = text.split("\n").index("# %% Totals") + 1
    lift = action(await code_actions(client, uri, line=totals), "Lift cell into a function")
    [edit] = lift.edit.changes[uri]
    assert edit.range.start.line == totals
    edited = tmp_path / "edited.py"
    edited.write_text(apply_edit(text, edit))
    [function] = [n for n in ast.parse(edit.new_text).body if isinstance(n, ast.FunctionDef)]
    assert [a.arg for a in function.args.args] == ["prices", "quantities"]
    assert run_script(edited, tmp_path) == script


async def test_hover_and_definition_across_cells(client, tmp_path):
    notebook = OpenNotebook(client, copy_fixture("lsp/sales_in_cells.ipynb", tmp_path))
    await notebook.diagnostics()
    last = notebook.cell_uris[4]
    at = types.TextDocumentPositionParams(
        text_document=types.TextDocumentIdentifier(uri=last),
        position=types.Position(line=0, character=len("mean = statistics.mean(to")),
    )
    hover = await client.text_document_hover_async(
        types.HoverParams(text_document=at.text_document, position=at.position)
    )
    # `totals` is bound in the third cell on the page, read there and in the fifth.
    assert hover.contents.value == "`totals`: defined in cell 3; read in cells 3, 5"

    found = await client.text_document_definition_async(
        types.DefinitionParams(text_document=at.text_document, position=at.position)
    )
    assert found.uri == notebook.cell_uris[2]
    cell = source(notebook.json["cells"][2]).split("\n")
    assert cell[found.range.start.line].startswith("totals = ")

    # A name bound and read in the same cell; then a place that is no name at all.
    nothing = await client.text_document_hover_async(
        types.HoverParams(
            text_document=at.text_document, position=types.Position(line=0, character=1)
        )
    )
    assert nothing is not None and "mean" in nothing.contents.value
    blank = await client.text_document_hover_async(
        types.HoverParams(
            text_document=at.text_document, position=types.Position(line=0, character=5)
        )
    )
    assert blank is None


async def test_bad_messages_and_notebooks_get_errors_and_the_server_keeps_serving(
    client, tmp_path, caplog
):
    # Not JSON at all, and a header without a length: parse errors come back, and the server
    # reads on.
    client._server.stdin.write(b"Content-Length: 9\r\n\r\n{not json")
    client._server.stdin.write(b"Content-Length: nine\r\n\r\n{not json}")
    await client._server.stdin.drain()

    # Parameters of the wrong shape, and a document that is not open: error responses.
    with pytest.raises(JsonRpcException, match="invalid params"):
        await client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri="not a URI"),
                position=types.Position(line=0, character=0),
            )
        )
    with pytest.raises(JsonRpcException, match="not an open notebook"):
        await client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri="file:///nowhere.ipynb"),
                position=types.Position(line=0, character=0),
            )
        )
    with pytest.raises(JsonRpcException, match="unknown command"):
        await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="nblift.nothing", arguments=[])
        )

    # A notebook with a syntax error and a Python 2 print: diagnostics, not a dead server.
    path = tmp_path / "broken.ipynb"
    path.write_text(
        json.dumps(
            {
                "nbformat": 4,
                "nbformat_minor": 5,
                "metadata": {},
                "cells": [
                    {"cell_type": "code", "metadata": {}, "source": "x = (1,", "outputs": []},
                    {"cell_type": "code", "metadata": {}, "source": "print x", "outputs": []},
                    {"cell_type": "code", "metadata": {}, "source": "y = 2\ny", "outputs": []},
                ],
            }
        )
    )
    notebook = OpenNotebook(client, path)
    diagnostics = await notebook.diagnostics()
    assert diagnostics[0] == ["NB201"] and diagnostics[1] == ["NB202"]
    with pytest.raises(JsonRpcException, match="NB20"):
        await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="nblift.convert", arguments=[notebook.uri])
        )
    lift = action(await code_actions(client, notebook.cell_uris[0]), "Lift cell into a function")
    assert "does not parse" in lift.disabled.reason

    # The reply to the frame that was not JSON came back before these (pygls has no request
    # with id null to match it to, and says so).
    replies = [r for r in caplog.records if 'unknown message id "None"' in r.getMessage()]
    assert len(replies) == 2

    # A plain Python module (no `# %%`) is not served: empty answers, not errors.
    module = (tmp_path / "module.py").as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=module, language_id="python", version=1, text="x = 1\nprint(x)\n"
            )
        )
    )
    assert list(await code_actions(client, module)) == []
    assert (
        await client.text_document_hover_async(
            types.HoverParams(
                text_document=types.TextDocumentIdentifier(uri=module),
                position=types.Position(line=1, character=6),
            )
        )
        is None
    )

    # Still serving.
    hover = await client.text_document_hover_async(
        types.HoverParams(
            text_document=types.TextDocumentIdentifier(uri=notebook.cell_uris[2]),
            position=types.Position(line=1, character=0),
        )
    )
    assert hover.contents.value == "`y`: defined in cell 3; read in cell 3"
