//! `nblift lsp` in process, over `lsp_server::Connection::memory()` (as ruff's end-to-end
//! tests drive its server): a notebook opened the way VS Code opens one, its diagnostics on
//! the right cell, hover, the code actions, and "Convert notebook to package" as a dry run.
//! The fast lane's view of the server; `tests/lsp.rs` drives the binary with a real client.

use std::thread::JoinHandle;
use std::time::Duration;

use lsp_server::{Connection, Message, Notification, Request, RequestId};
use serde_json::{Value, json};

struct Client {
    connection: Connection,
    server: Option<JoinHandle<Result<(), String>>>,
    next_id: i32,
    /// Diagnostics published so far, by document URI (the latest set for each).
    published: std::collections::HashMap<String, Vec<Value>>,
}

impl Client {
    /// A client that shows disabled code actions and syncs notebooks, as VS Code does.
    fn start() -> Client {
        Client::start_with(json!({
            "textDocument": {"codeAction": {"disabledSupport": true}},
            "notebookDocument": {"synchronization": {}},
        }))
    }

    fn start_with(capabilities: Value) -> Client {
        Client::start_with_params(json!({"capabilities": capabilities}))
    }

    /// A client whose `initialize` sends `params`.
    fn start_with_params(params: Value) -> Client {
        let (server_side, client_side) = Connection::memory();
        let server = std::thread::spawn(move || nblift::lsp::serve_on(&server_side));
        let mut client = Client {
            connection: client_side,
            server: Some(server),
            next_id: 0,
            published: Default::default(),
        };
        let result = client.request("initialize", params);
        assert_eq!(result["serverInfo"]["name"], "nblift", "{result}");
        client.notify("initialized", json!({}));
        client
    }

    fn notify(&self, method: &str, params: Value) {
        let notification = Notification::new(method.to_owned(), params);
        self.connection
            .sender
            .send(Message::Notification(notification))
            .unwrap();
    }

    /// Sends a request and waits for its response's result, keeping what is published
    /// meanwhile.
    fn request(&mut self, method: &str, params: Value) -> Value {
        match self.respond(method, params) {
            Ok(result) => result,
            Err(error) => panic!("{method}: {} {}", error.code, error.message),
        }
    }

    /// Sends a request that must fail; its error code.
    fn request_error(&mut self, method: &str, params: Value) -> i32 {
        match self.respond(method, params) {
            Ok(result) => panic!("{method} answered {result}"),
            Err(error) => error.code,
        }
    }

    fn respond(&mut self, method: &str, params: Value) -> Result<Value, lsp_server::ResponseError> {
        self.next_id += 1;
        let id = RequestId::from(self.next_id);
        let request = Request::new(id.clone(), method.to_owned(), params);
        self.connection
            .sender
            .send(Message::Request(request))
            .unwrap();
        loop {
            match self.receive() {
                Message::Response(response) if response.id == id => {
                    return response.response_result;
                }
                _ => {}
            }
        }
    }

    fn receive(&mut self) -> Message {
        let message = self
            .connection
            .receiver
            .recv_timeout(Duration::from_secs(30))
            .expect("the server answers within 30 s");
        if let Message::Notification(n) = &message
            && n.method == "textDocument/publishDiagnostics"
        {
            let uri = n.params["uri"].as_str().unwrap().to_owned();
            let found = n.params["diagnostics"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            self.published.insert(uri, found);
        }
        message
    }

    /// The code actions at the start of the cell `uri`; `only`: the kinds asked for.
    fn code_actions(&mut self, uri: &str, only: Option<&[&str]>) -> Value {
        let at = json!({"line": 0, "character": 0});
        let mut context = json!({"diagnostics": []});
        if let Some(only) = only {
            context["only"] = json!(only);
        }
        self.request(
            "textDocument/codeAction",
            json!({"textDocument": {"uri": uri}, "range": {"start": at, "end": at}, "context": context}),
        )
    }

    /// The diagnostics of `uri`, once the server has published them.
    fn diagnostics_of(&mut self, uri: &str) -> Vec<Value> {
        while !self.published.contains_key(uri) {
            self.receive();
        }
        self.published[uri].clone()
    }

    fn shut_down(mut self) {
        self.request("shutdown", Value::Null);
        self.notify("exit", Value::Null);
        let server = self.server.take().unwrap();
        assert_eq!(server.join().unwrap(), Ok(()));
    }
}

/// The titles of a code-action reply.
fn titles(actions: &Value) -> Vec<&str> {
    actions
        .as_array()
        .expect("a list of actions")
        .iter()
        .filter_map(|a| a["title"].as_str())
        .collect()
}

/// Opens a notebook of `cells` (code, or markdown when it starts with `#`) at `path`, as VS
/// Code does: one text document per cell. Returns the cells' URIs.
fn open_notebook(client: &Client, path: &std::path::Path, cells: &[&str]) -> Vec<String> {
    let uri = format!("file://{}", path.display());
    let cell_uris: Vec<String> = (0..cells.len())
        .map(|i| format!("vscode-notebook-cell://{}#cell{i}", path.display()))
        .collect();
    let markdown = |text: &str| text.starts_with('#');
    let notebook_cells: Vec<Value> = cells
        .iter()
        .zip(&cell_uris)
        .map(|(text, uri)| json!({"kind": if markdown(text) { 1 } else { 2 }, "document": uri}))
        .collect();
    let documents: Vec<Value> = cells
        .iter()
        .zip(&cell_uris)
        .map(|(text, uri)| {
            let language = if markdown(text) { "markdown" } else { "python" };
            json!({"uri": uri, "languageId": language, "version": 1, "text": text})
        })
        .collect();
    client.notify(
        "notebookDocument/didOpen",
        json!({
            "notebookDocument": {"uri": uri, "notebookType": "jupyter-notebook", "version": 1, "cells": notebook_cells},
            "cellTextDocuments": documents,
        }),
    );
    cell_uris
}

#[test]
fn a_use_before_definition_is_published_on_the_cell_that_reads() {
    let dir = tempfile::tempdir().unwrap();
    let mut client = Client::start();
    let cells = open_notebook(
        &client,
        &dir.path().join("early.ipynb"),
        &["# Early", "print(total)", "total = 3"],
    );
    let found = client.diagnostics_of(&cells[1]);
    let codes: Vec<&str> = found.iter().filter_map(|d| d["code"].as_str()).collect();
    assert_eq!(codes, ["NB301"], "{found:?}");
    assert_eq!(
        found[0]["range"]["start"],
        json!({"line": 0, "character": 6})
    );
    // The cell that defines the name has nothing to say.
    assert!(client.diagnostics_of(&cells[2]).is_empty());
    client.shut_down();
}

#[test]
fn hover_names_the_cell_that_defines_a_name() {
    let dir = tempfile::tempdir().unwrap();
    let mut client = Client::start();
    let cells = open_notebook(
        &client,
        &dir.path().join("hover.ipynb"),
        &["rate = 0.5", "print(rate * 2)"],
    );
    client.diagnostics_of(&cells[1]);
    let hover = client.request(
        "textDocument/hover",
        json!({"textDocument": {"uri": cells[1]}, "position": {"line": 0, "character": 7}}),
    );
    let text = hover["contents"]["value"].as_str().unwrap_or_default();
    assert!(text.contains("rate") && text.contains("cell 1"), "{hover}");
    client.shut_down();
}

#[test]
fn a_cell_offers_lift_and_convert_and_convert_runs_dry() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sums.ipynb");
    let mut client = Client::start();
    let cells = open_notebook(
        &client,
        &path,
        &[
            "# Sums",
            "values = [1, 2, 3]",
            "total = sum(values)\nprint(total)",
        ],
    );
    client.diagnostics_of(&cells[2]);
    let actions = client.code_actions(&cells[2], None);
    let titles = titles(&actions);
    assert!(titles.contains(&"Lift cell into a function"), "{actions}");
    assert!(titles.contains(&"Convert notebook to package"), "{actions}");

    let notebook = format!("file://{}", path.display());
    let report = client.request(
        "workspace/executeCommand",
        json!({"command": "nblift.convert", "arguments": [notebook, {"dry_run": true}]}),
    );
    assert_eq!(report["status"], "dry-run", "{report}");
    assert_eq!(report["package"], "sums", "{report}");
    let files = report["files"].as_array().unwrap();
    assert!(files.iter().any(|f| f == "src/sums/steps.py"), "{report}");
    // A dry run writes nothing.
    assert!(!dir.path().join("sums").exists());
    client.shut_down();
}

#[test]
fn a_dedented_cell_names_the_column_as_written_as_check_does() {
    // `nblift check tests/fixtures/bad/dedented_cell_column.ipynb` says 2:11 (see tests/cli.rs).
    let dir = tempfile::tempdir().unwrap();
    let mut client = Client::start();
    let cells = open_notebook(
        &client,
        &dir.path().join("dedented.ipynb"),
        &["# A dedented cell", "    x = 1\n    print(undefined_y)"],
    );
    let found = client.diagnostics_of(&cells[1]);
    let codes: Vec<&str> = found.iter().filter_map(|d| d["code"].as_str()).collect();
    assert_eq!(codes, ["NB302"], "{found:?}");
    // Line 2, column 11 as people count: line 1, character 10 in LSP's zero-based terms.
    assert_eq!(
        found[0]["range"]["start"],
        json!({"line": 1, "character": 10})
    );
    client.shut_down();
}

/// A client that does not declare `codeAction.disabledSupport`.
fn start_without_disabled_support() -> Client {
    Client::start_with(json!({"notebookDocument": {"synchronization": {}}}))
}

#[test]
fn a_client_without_disabled_support_gets_only_actions_that_apply() {
    let dir = tempfile::tempdir().unwrap();
    let mut client = start_without_disabled_support();
    let cells = open_notebook(
        &client,
        &dir.path().join("plain.ipynb"),
        &["# Title", "total = 1 + 2\nprint(total)"],
    );
    client.diagnostics_of(&cells[1]);
    // On the markdown cell, lifting cannot apply: the action is left out, not sent disabled.
    let on_markdown = client.code_actions(&cells[0], None);
    assert_eq!(
        titles(&on_markdown),
        ["Convert notebook to package"],
        "{on_markdown}"
    );
    // Convert is a code action of kind `source` carrying the command: asked for source
    // actions only, it is still there, and lifting (a refactoring) is not.
    let source_only = client.code_actions(&cells[1], Some(&["source"]));
    let [convert] = source_only.as_array().unwrap().as_slice() else {
        panic!("one source action: {source_only}");
    };
    assert_eq!(convert["kind"], "source");
    assert_eq!(convert["command"]["command"], "nblift.convert");
    client.shut_down();
}

#[test]
fn a_request_the_server_does_not_advertise_is_method_not_found() {
    let dir = tempfile::tempdir().unwrap();
    let mut client = Client::start();
    let cells = open_notebook(&client, &dir.path().join("n.ipynb"), &["x = 1"]);
    client.diagnostics_of(&cells[0]);
    let error = client.request_error(
        "textDocument/completion",
        json!({"textDocument": {"uri": cells[0]}, "position": {"line": 0, "character": 1}}),
    );
    assert_eq!(error, -32601, "MethodNotFound");
    // The session goes on.
    client.shut_down();
}

/// Writes a notebook of (kind, source) cells, each code cell with an execution count.
fn write_notebook(path: &std::path::Path, cells: &[(&str, &str)]) {
    let cells: Vec<Value> = cells
        .iter()
        .enumerate()
        .map(|(index, (kind, source))| {
            let mut cell = json!({"cell_type": kind, "metadata": {}, "source": source});
            if *kind == "code" {
                cell["outputs"] = json!([]);
                cell["execution_count"] = json!(index);
            }
            cell
        })
        .collect();
    let notebook = json!({
        "nbformat": 4, "nbformat_minor": 5, "cells": cells,
        "metadata": {"kernelspec": {"name": "python3", "language": "python", "display_name": "Python 3"}},
    });
    std::fs::write(path, serde_json::to_string_pretty(&notebook).unwrap()).unwrap();
}

/// (code, line, character) of each diagnostic, and the messages.
fn placed(found: &[Value]) -> Vec<(String, u64, u64)> {
    found
        .iter()
        .map(|d| {
            let start = &d["range"]["start"];
            (
                d["code"].as_str().unwrap().to_owned(),
                start["line"].as_u64().unwrap(),
                start["character"].as_u64().unwrap(),
            )
        })
        .collect()
}

/// JupyterLab's language-server extension (jupyterlab-lsp) sends a notebook as one Python
/// text in `.virtual_documents/`, cells two blank lines apart, markdown cells empty and
/// IPython lines rewritten: the server reads it as the notebook saved beside it.
#[test]
fn a_jupyterlab_virtual_document_is_read_as_its_saved_notebook() {
    let dir = tempfile::tempdir().unwrap();
    write_notebook(
        &dir.path().join("nb.ipynb"),
        &[
            ("markdown", "# Title"),
            ("code", "import os\nx = 1"),
            ("code", "%time y = x + 1"),
            ("code", "files = !ls"),
            ("code", "print(later)"),
            ("code", "later = 2"),
        ],
    );
    let uri = format!(
        "file://{}/.virtual_documents/nb.ipynb",
        dir.path().display()
    );
    let text = "\n\n\nimport os\nx = 1\n\n\nget_ipython().run_line_magic(\"time\", \" y = x + 1\")\n\n\nfiles = get_ipython().getoutput(\"ls\")\n\n\nprint(later)\n\n\nlater = 2\n";
    let mut client = Client::start();
    client.notify(
        "textDocument/didOpen",
        json!({"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}}),
    );
    let found = client.diagnostics_of(&uri);
    // Lines of the virtual text, columns of the cell as written: jupyterlab-lsp maps them.
    let expected = [("NB102", 7, 6), ("NB103", 10, 0), ("NB301", 13, 6)];
    let expected: Vec<(String, u64, u64)> = expected
        .iter()
        .map(|&(c, l, ch)| (c.to_owned(), l, ch))
        .collect();
    assert_eq!(placed(&found), expected, "{found:#?}");
    // The magic as the user wrote it, and cells counted on the page, markdown included.
    assert!(
        found[0]["message"].as_str().unwrap().contains("`%time`"),
        "{found:#?}"
    );
    assert!(
        found[2]["message"].as_str().unwrap().contains("cell 6"),
        "{found:#?}"
    );
    assert_eq!(
        client.request(
            "textDocument/hover",
            json!({
                "textDocument": {"uri": uri}, "position": {"line": 4, "character": 0},
            })
        )["contents"]["value"]
            .as_str()
            .map(|h| h.contains("cell 2")),
        Some(true)
    );

    // A cell typed above, not saved yet: the diagnostics move down with their cells.
    client.published.clear();
    client.notify(
        "textDocument/didChange",
        json!({"textDocument": {"uri": uri, "version": 2}, "contentChanges": [{
            "range": {"start": {"line": 3, "character": 0}, "end": {"line": 3, "character": 0}},
            "text": "w = 0\n\n\n",
        }]}),
    );
    let found = client.diagnostics_of(&uri);
    let moved: Vec<u64> = placed(&found).iter().map(|d| d.1).collect();
    assert_eq!(moved, [10, 13, 16], "{found:#?}");
    assert!(
        found[2]["message"].as_str().unwrap().contains("cell 7"),
        "{found:#?}"
    );

    // No lift in the rewritten text (JupyterLab lifts through its extension); Convert is there.
    assert_eq!(
        titles(&client.code_actions(&uri, None)),
        ["Convert notebook to package"]
    );

    // A saved notebook nblift cannot read: nothing is said rather than something misplaced,
    // and nothing is converted.
    std::fs::write(dir.path().join("nb.ipynb"), "{ not json").unwrap();
    client.published.clear();
    client.notify(
        "textDocument/didSave",
        json!({"textDocument": {"uri": uri}}),
    );
    assert_eq!(client.diagnostics_of(&uri), Vec::<Value>::new());
    let refused = client.request_error(
        "workspace/executeCommand",
        json!({"command": "nblift.convert", "arguments": [uri, {"dry_run": true}]}),
    );
    assert_eq!(refused, -32803, "RequestFailed");
    client.shut_down();
}

/// An editor's `initialize` and `textDocument/codeAction` requests as captured from a real
/// session (`tests/lsp_clients/`).
fn captured(client: &str, request: &str) -> Value {
    let path = format!(
        "{}/tests/lsp_clients/{client}/{request}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// Neovim 0.11 and eglot 1.9, with their own capabilities (neither shows disabled actions)
/// and code-action requests: the source filter finds Convert, and a cell that cannot be
/// lifted is not offered a lift that would do nothing.
#[test]
fn neovim_and_eglot_get_convert_under_source_and_no_disabled_lift() {
    for editor in ["neovim-0.11.4", "eglot-1.9"] {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("script.py");
        let uri = format!("file://{}", path.display());
        let text = "# %%\nfrom os import *\n# %%\ntotal = 1 + 2\nprint(total)\n";
        std::fs::write(&path, text).unwrap();
        let mut client = Client::start_with_params(captured(editor, "initialize"));
        client.notify(
            "textDocument/didOpen",
            json!({"textDocument": {"uri": uri, "languageId": "python", "version": 1, "text": text}}),
        );
        let requests = captured(editor, "codeAction");
        for mut request in requests.as_array().unwrap().iter().cloned() {
            request["textDocument"]["uri"] = json!(uri);
            let only = request["context"]["only"].clone();
            let actions = client.request("textDocument/codeAction", request);
            let expected: &[&str] = if only == json!(["source"]) {
                &["Convert notebook to package"]
            } else {
                // `source.organizeImports`: nblift has none.
                &[]
            };
            assert_eq!(
                titles(&actions),
                expected,
                "{editor}, only {only}: {actions:#}"
            );
            // A code action of that kind (a bare command has none, and such a client drops
            // it), carrying the command.
            for action in actions.as_array().unwrap() {
                assert_eq!(action["kind"], "source", "{editor}: {action:#}");
                assert_eq!(
                    action["command"]["command"], "nblift.convert",
                    "{editor}: {action:#}"
                );
            }
        }
        // No filter, on the star import's cell (it cannot be lifted) and on the next cell.
        let at = |line: u32| {
            let position = json!({"line": line, "character": 0});
            json!({"textDocument": {"uri": uri}, "range": {"start": position, "end": position},
                   "context": {"diagnostics": []}})
        };
        let star = client.request("textDocument/codeAction", at(1));
        assert_eq!(
            titles(&star),
            ["Convert notebook to package"],
            "{editor}: {star:#}"
        );
        // Hover in the format the client shows: eglot without markdown-mode asks for plain
        // text, and markdown's backticks would show as typed.
        let hover = client.request(
            "textDocument/hover",
            json!({"textDocument": {"uri": uri}, "position": {"line": 4, "character": 6}}),
        );
        let (kind, name) = match editor {
            "eglot-1.9" => ("plaintext", "total"),
            _ => ("markdown", "`total`"),
        };
        assert_eq!(hover["contents"]["kind"], kind, "{editor}: {hover:#}");
        assert_eq!(
            hover["contents"]["value"],
            format!("{name}: defined in cell 2; read in cell 2"),
            "{editor}: {hover:#}"
        );
        let liftable = client.request("textDocument/codeAction", at(3));
        assert_eq!(
            titles(&liftable),
            ["Lift cell into a function", "Convert notebook to package"],
            "{editor}: {liftable:#}"
        );
        client.shut_down();
    }
}
