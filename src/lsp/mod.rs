//! `nblift lsp`: a language server for notebooks, over stdio.
//!
//! Editors send notebooks with LSP 3.17 notebook sync (each cell its own text document) or
//! percent scripts as plain text documents; both become the [`Notebook`] model the CLI reads,
//! and every feature is computed from the same analysis and plan as `nblift convert`.
//!
//! The server logs to stderr only: stdout is the protocol. A request that fails gets an error
//! response, a notification that fails is logged, and a panic in a handler is caught and
//! answered like a failure: one bad notebook never ends the session.
//!
//! [`Notebook`]: crate::notebook::Notebook

// Documents are keyed by `lsp_types::Uri`, which hashes and compares by its text; the interior
// mutability clippy sees is a parse cache inside `fluent_uri`.
#![allow(clippy::mutable_key_type)]

mod convert;
mod diagnostics;
mod documents;
mod ipython_overrides;
mod navigate;
mod session;
mod text;
mod transport;
mod virtual_document;

use std::panic::{AssertUnwindSafe, catch_unwind};

use lsp_server::{Connection, ErrorCode, Message, Notification, Request, Response};
use lsp_types::notification::{
    DidChangeNotebookDocument, DidChangeTextDocument, DidCloseNotebookDocument,
    DidCloseTextDocument, DidOpenNotebookDocument, DidOpenTextDocument, DidSaveTextDocument,
    Notification as _, PublishDiagnostics,
};
use lsp_types::request::{
    CodeActionRequest, ExecuteCommand, GotoDefinition, HoverRequest, Request as _,
};
use lsp_types::{
    CodeAction, CodeActionDisabled, CodeActionKind, CodeActionOptions, CodeActionOrCommand,
    CodeActionParams, CodeActionProviderCapability, Command, ExecuteCommandOptions,
    ExecuteCommandParams, GotoDefinitionParams, GotoDefinitionResponse, HoverParams,
    HoverProviderCapability, MarkupKind, MessageType, NotebookDocumentSyncOptions,
    NotebookSelector, OneOf, Position, PublishDiagnosticsParams, Range, ServerCapabilities,
    ShowMessageParams, TextDocumentSyncCapability, TextDocumentSyncKind, TextDocumentSyncOptions,
    TextDocumentSyncSaveOptions, TextEdit, Uri, WorkspaceEdit,
};
use rustc_hash::FxHashMap;
use serde::de::DeserializeOwned;
use serde_json::json;

use crate::compile::{self, Disk};
use crate::ide::lift_cell::lift_cell;
use crate::lsp::documents::{Content, Document, Documents, OpenCell, is_percent_text};
use crate::lsp::session::{Analysed, ParseCache};
use crate::lsp::virtual_document::VirtualNotebook;

/// The command that converts a notebook; its arguments: the notebook's URI, then an optional
/// object of options (`output`, `name`, `split`, `export`, `force`, as the CLI's flags).
pub const CONVERT_COMMAND: &str = "nblift.convert";

/// A line on stderr, which editors show as the server's log: something went wrong.
pub fn log(message: &str) {
    eprintln!("nblift lsp: {message}");
}

/// A line on stderr about routine work (each analysis, start and end), only when
/// `NBLIFT_LSP_TRACE` is set: Neovim logs every stderr line as an error.
fn trace(message: &str) {
    static ON: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    if *ON.get_or_init(|| std::env::var_os("NBLIFT_LSP_TRACE").is_some()) {
        log(message);
    }
}

/// Serves one editor over stdin and stdout until it exits; `false` when the session ended
/// in a protocol error (logged).
pub fn serve() -> bool {
    let (connection, threads) = transport::stdio();
    let outcome = match serve_on(&connection) {
        Ok(()) => true,
        Err(message) => {
            log(&message);
            false
        }
    };
    drop(connection);
    threads.join();
    outcome
}

fn capabilities() -> ServerCapabilities {
    ServerCapabilities {
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                // A saved notebook is what a virtual document is aligned to.
                save: Some(TextDocumentSyncSaveOptions::Supported(true)),
                ..TextDocumentSyncOptions::default()
            },
        )),
        notebook_document_sync: Some(OneOf::Left(NotebookDocumentSyncOptions {
            // Jupyter notebooks (VS Code's notebook type), every cell: markdown names the
            // steps, and a `%%bash` cell (language `shellscript`) is still a code cell.
            notebook_selector: vec![NotebookSelector::ByNotebook {
                notebook: lsp_types::Notebook::String("jupyter-notebook".to_owned()),
                cells: None,
            }],
            save: Some(true),
        })),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        definition_provider: Some(OneOf::Left(true)),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![
                CodeActionKind::REFACTOR_EXTRACT,
                CodeActionKind::SOURCE,
            ]),
            ..CodeActionOptions::default()
        })),
        execute_command_provider: Some(ExecuteCommandOptions {
            commands: vec![CONVERT_COMMAND.to_owned()],
            ..ExecuteCommandOptions::default()
        }),
        ..ServerCapabilities::default()
    }
}

/// One session over `connection`, from `initialize` to `exit`: stdio for an editor, an
/// in-memory pair (`Connection::memory`) for the tests.
pub fn serve_on(connection: &Connection) -> Result<(), String> {
    let (id, params) = connection
        .initialize_start()
        .map_err(|e| format!("no initialize request: {e}"))?;
    // A client that cannot show a disabled code action lists it as a plain one, which then
    // does nothing when chosen: such a client is sent only the actions that apply.
    let disabled_support = params["capabilities"]["textDocument"]["codeAction"]["disabledSupport"]
        .as_bool()
        .unwrap_or(false);
    // Markdown unless the client's hover formats leave it out.
    let hover_kind =
        match params["capabilities"]["textDocument"]["hover"]["contentFormat"].as_array() {
            Some(formats) if !formats.iter().any(|f| f == "markdown") => MarkupKind::PlainText,
            _ => MarkupKind::Markdown,
        };
    let result = json!({
        "capabilities": capabilities(),
        "serverInfo": {"name": "nblift", "version": env!("CARGO_PKG_VERSION")},
    });
    connection
        .initialize_finish(id, result)
        .map_err(|e| format!("initialization failed: {e}"))?;
    trace("initialized");
    let mut server = Server {
        connection,
        disabled_support,
        hover_kind,
        documents: Documents::default(),
        analyses: FxHashMap::default(),
        published: FxHashMap::default(),
    };
    for message in &connection.receiver {
        match message {
            Message::Request(request) => {
                if connection
                    .handle_shutdown(&request)
                    .map_err(|e| format!("shutdown failed: {e}"))?
                {
                    trace("shut down");
                    return Ok(());
                }
                let id = request.id.clone();
                let response = catch_unwind(AssertUnwindSafe(|| server.request(request)))
                    .unwrap_or_else(|_| {
                        Response::new_err(
                            id,
                            ErrorCode::InternalError as i32,
                            "nblift failed on this request (a bug: please report it)".to_owned(),
                        )
                    });
                server.send(response.into());
            }
            Message::Notification(notification) => {
                let method = notification.method.clone();
                let handled = catch_unwind(AssertUnwindSafe(|| server.notification(notification)));
                match handled {
                    Ok(Ok(())) => {}
                    Ok(Err(message)) => log(&format!("{method}: {message}")),
                    Err(_) => log(&format!(
                        "{method}: nblift failed (a bug: please report it)"
                    )),
                }
            }
            Message::Response(_) => {}
        }
    }
    Ok(())
}

struct Server<'a> {
    connection: &'a Connection,
    /// The client shows disabled code actions (`codeAction.disabledSupport`).
    disabled_support: bool,
    /// The format the client shows hovers in.
    hover_kind: MarkupKind,
    documents: Documents,
    /// Per open document: its parse cache and latest analysis.
    analyses: FxHashMap<Uri, (ParseCache, Analysed)>,
    /// Per open document: the diagnostics last published, by text document.
    published: FxHashMap<Uri, FxHashMap<Uri, Vec<lsp_types::Diagnostic>>>,
}

/// A request's result or its error response (code and message).
type Reply = Result<serde_json::Value, (ErrorCode, String)>;

fn params<P: DeserializeOwned>(value: serde_json::Value) -> Result<P, (ErrorCode, String)> {
    serde_json::from_value(value)
        .map_err(|e| (ErrorCode::InvalidParams, format!("invalid params: {e}")))
}

impl Server<'_> {
    fn send(&self, message: Message) {
        if self.connection.sender.send(message).is_err() {
            log("the client is gone");
        }
    }

    fn request(&mut self, request: Request) -> Response {
        let reply = match request.method.as_str() {
            HoverRequest::METHOD => self.hover(params(request.params)),
            GotoDefinition::METHOD => self.definition(params(request.params)),
            CodeActionRequest::METHOD => self.code_actions(params(request.params)),
            ExecuteCommand::METHOD => self.execute(params(request.params)),
            method => Err((
                ErrorCode::MethodNotFound,
                format!("nblift does not handle `{method}`"),
            )),
        };
        match reply {
            Ok(result) => Response::new_ok(request.id, result),
            Err((code, message)) => {
                // A request the server does not advertise is answered as the protocol says
                // (MethodNotFound), without a log line: clients send them routinely.
                if !matches!(code, ErrorCode::MethodNotFound) {
                    log(&format!("{}: {message}", request.method));
                }
                Response::new_err(request.id, code as i32, message)
            }
        }
    }

    /// The open document a text document belongs to, with its analysis.
    fn open(&self, uri: &Uri) -> Result<(&Document, &Analysed), (ErrorCode, String)> {
        let not_open = || {
            (
                ErrorCode::InvalidParams,
                format!(
                    "`{}` is not an open notebook or percent script",
                    uri.as_str()
                ),
            )
        };
        let document = self.documents.owner_of(uri).ok_or_else(not_open)?;
        let (_, analysed) = self.analyses.get(&document.uri).ok_or_else(not_open)?;
        Ok((document, analysed))
    }

    fn hover(&self, params: Result<HoverParams, (ErrorCode, String)>) -> Reply {
        let at = params?.text_document_position_params;
        if self.documents.plain.contains_key(&at.text_document.uri) {
            return Ok(serde_json::Value::Null);
        }
        let (document, analysed) = self.open(&at.text_document.uri)?;
        let hover = navigate::cell_at(document, analysed, &at.text_document.uri, at.position)
            .and_then(|position| navigate::hover(analysed, &position, self.hover_kind.clone()));
        Ok(json!(hover))
    }

    fn definition(&self, params: Result<GotoDefinitionParams, (ErrorCode, String)>) -> Reply {
        let at = params?.text_document_position_params;
        if self.documents.plain.contains_key(&at.text_document.uri) {
            return Ok(serde_json::Value::Null);
        }
        let (document, analysed) = self.open(&at.text_document.uri)?;
        let location = navigate::cell_at(document, analysed, &at.text_document.uri, at.position)
            .and_then(|position| navigate::definition(document, analysed, &position));
        Ok(json!(location.map(GotoDefinitionResponse::Scalar)))
    }

    fn code_actions(&self, params: Result<CodeActionParams, (ErrorCode, String)>) -> Reply {
        let params = params?;
        let uri = &params.text_document.uri;
        if self.documents.plain.contains_key(uri) {
            return Ok(json!([]));
        }
        let (document, analysed) = self.open(uri)?;
        let mut actions = Vec::new();
        // Not in a virtual document: its text is rewritten IPython, which a lifted cell's
        // text (as the user writes it) would not fit; JupyterLab lifts through its extension.
        let liftable = !matches!(document.content, Content::Virtual(_));
        if let Some(at) =
            navigate::cell_at(document, analysed, uri, params.range.start).filter(|_| liftable)
        {
            let title = "Lift cell into a function".to_owned();
            let world: Box<dyn compile::World> = match document.path() {
                Some(path) => Box::new(Disk::around(&path)),
                None => Box::new(compile::Nowhere),
            };
            let action = match lift_cell(&analysed.notebook, &analysed.analysis, at.cell, &*world) {
                Ok(text) => {
                    let cell = analysed.notebook.cell(at.cell);
                    let place = document.place(cell);
                    let end = text::position_of(&cell.source, cell.source.len(), place.first_line);
                    let edit =
                        TextEdit::new(Range::new(Position::new(place.first_line, 0), end), text);
                    let changes = std::iter::once((place.uri, vec![edit])).collect();
                    CodeAction {
                        title,
                        kind: Some(CodeActionKind::REFACTOR_EXTRACT),
                        edit: Some(WorkspaceEdit::new(changes)),
                        ..CodeAction::default()
                    }
                }
                Err(reason) => CodeAction {
                    title,
                    kind: Some(CodeActionKind::REFACTOR_EXTRACT),
                    disabled: Some(CodeActionDisabled { reason }),
                    ..CodeAction::default()
                },
            };
            if action.disabled.is_none() || self.disabled_support {
                actions.push(CodeActionOrCommand::CodeAction(action));
            }
        }
        // A code action of kind `source` that carries the command, so that a client asking
        // for source actions only (`only: ["source"]`) still gets it.
        let title = "Convert notebook to package".to_owned();
        actions.push(CodeActionOrCommand::CodeAction(CodeAction {
            title: title.clone(),
            kind: Some(CodeActionKind::SOURCE),
            command: Some(Command {
                title,
                command: CONVERT_COMMAND.to_owned(),
                arguments: Some(vec![json!(document.uri.as_str())]),
            }),
            ..CodeAction::default()
        }));
        // `only`: the kinds asked for, each with its sub-kinds (`refactor` has
        // `refactor.extract`).
        if let Some(only) = &params.context.only {
            actions.retain(|action| {
                let CodeActionOrCommand::CodeAction(action) = action else {
                    return true;
                };
                let kind = action.kind.as_ref().map_or("", |k| k.as_str());
                only.iter().any(|wanted| {
                    let wanted = wanted.as_str();
                    kind == wanted || kind.starts_with(&format!("{wanted}."))
                })
            });
        }
        Ok(json!(actions))
    }

    fn execute(&self, params: Result<ExecuteCommandParams, (ErrorCode, String)>) -> Reply {
        let params = params?;
        if params.command != CONVERT_COMMAND {
            return Err((
                ErrorCode::InvalidParams,
                format!("unknown command `{}`", params.command),
            ));
        }
        let mut arguments = params.arguments.into_iter();
        let uri: Uri = arguments
            .next()
            .and_then(|a| serde_json::from_value(a).ok())
            .ok_or((
                ErrorCode::InvalidParams,
                format!("`{CONVERT_COMMAND}` takes the notebook's URI"),
            ))?;
        let options: convert::ConvertOptions = match arguments.next() {
            Some(options) => self::params(options)?,
            None => Default::default(),
        };
        let (document, _) = self.open(&uri)?;
        let report = convert::convert(document, options)
            .map_err(|message| (ErrorCode::RequestFailed, message))?;
        // A dry run answers its caller (an editor asking where the package would go); a
        // conversion also tells the user where it wrote.
        if report["status"] != "dry-run" {
            let message = format!(
                "nblift wrote package `{}` to {}",
                report["package"].as_str().unwrap_or_default(),
                report["output"].as_str().unwrap_or_default()
            );
            self.send(
                Notification::new(
                    "window/showMessage".to_owned(),
                    ShowMessageParams {
                        typ: MessageType::INFO,
                        message,
                    },
                )
                .into(),
            );
        }
        Ok(report)
    }

    fn notification(&mut self, notification: Notification) -> Result<(), String> {
        let method = notification.method.as_str();
        let value = notification.params;
        let decode = |e: (ErrorCode, String)| e.1;
        match method {
            DidOpenTextDocument::METHOD => {
                let params: lsp_types::DidOpenTextDocumentParams = params(value).map_err(decode)?;
                let item = params.text_document;
                if item.language_id != "python" {
                    return Ok(());
                }
                if let Some(saved) = virtual_document::saved_notebook(&item.uri) {
                    self.documents.insert(Document {
                        uri: item.uri.clone(),
                        content: Content::Virtual(VirtualNotebook::new(item.text, saved)),
                    });
                    self.refresh(&item.uri);
                } else if is_percent_text(&item.text) {
                    self.documents.insert(Document {
                        uri: item.uri.clone(),
                        content: Content::Script(item.text),
                    });
                    self.refresh(&item.uri);
                } else {
                    self.documents.plain.insert(item.uri, item.text);
                }
            }
            DidChangeTextDocument::METHOD => {
                let params: lsp_types::DidChangeTextDocumentParams =
                    params(value).map_err(decode)?;
                let uri = params.text_document.uri;
                let open = self.documents.open.get_mut(&uri).map(|d| &mut d.content);
                if let Some(Content::Script(text)) = open {
                    for change in params.content_changes {
                        text::apply_change(text, change);
                    }
                    self.refresh(&uri);
                } else if let Some(Content::Virtual(open)) = open {
                    for change in params.content_changes {
                        text::apply_change(&mut open.text, change);
                    }
                    open.realign();
                    self.refresh(&uri);
                } else if let Some(text) = self.documents.plain.get_mut(&uri) {
                    for change in params.content_changes {
                        text::apply_change(text, change);
                    }
                    // A `# %%` typed into a plain module makes it a percent script.
                    if is_percent_text(text) {
                        let text = self.documents.plain.remove(&uri).unwrap_or_default();
                        self.documents.insert(Document {
                            uri: uri.clone(),
                            content: Content::Script(text),
                        });
                        self.refresh(&uri);
                    }
                }
            }
            // Saving a notebook changes what its virtual document is aligned to (execution
            // counts, cells added since).
            DidSaveTextDocument::METHOD => {
                let params: lsp_types::DidSaveTextDocumentParams = params(value).map_err(decode)?;
                let uri = params.text_document.uri;
                if let Some(Document {
                    content: Content::Virtual(open),
                    ..
                }) = self.documents.open.get_mut(&uri)
                {
                    open.reread_saved();
                    self.refresh(&uri);
                }
            }
            DidCloseTextDocument::METHOD => {
                let params: lsp_types::DidCloseTextDocumentParams =
                    params(value).map_err(decode)?;
                self.close(&params.text_document.uri);
            }
            DidOpenNotebookDocument::METHOD => {
                let params: lsp_types::DidOpenNotebookDocumentParams =
                    params(value).map_err(decode)?;
                let mut texts: FxHashMap<Uri, String> = params
                    .cell_text_documents
                    .into_iter()
                    .map(|item| (item.uri, item.text))
                    .collect();
                let notebook = params.notebook_document;
                let cells = notebook
                    .cells
                    .iter()
                    .map(|cell| {
                        OpenCell::new(cell, texts.remove(&cell.document).unwrap_or_default())
                    })
                    .collect();
                let language = notebook.metadata.as_ref().and_then(documents::language);
                self.documents.insert(Document {
                    uri: notebook.uri.clone(),
                    content: Content::Notebook { cells, language },
                });
                self.refresh(&notebook.uri);
            }
            DidChangeNotebookDocument::METHOD => {
                let params: lsp_types::DidChangeNotebookDocumentParams =
                    params(value).map_err(decode)?;
                let uri = params.notebook_document.uri;
                let mut document = self
                    .documents
                    .remove(&uri)
                    .ok_or_else(|| format!("`{}` is not open", uri.as_str()))?;
                documents::apply_notebook_change(&mut document, params.change);
                self.documents.insert(document);
                self.refresh(&uri);
            }
            DidCloseNotebookDocument::METHOD => {
                let params: lsp_types::DidCloseNotebookDocumentParams =
                    params(value).map_err(decode)?;
                self.close(&params.notebook_document.uri);
            }
            _ => {}
        }
        Ok(())
    }

    fn close(&mut self, uri: &Uri) {
        self.documents.remove(uri);
        self.documents.plain.remove(uri);
        self.analyses.remove(uri);
        let published = self.published.remove(uri).unwrap_or_default();
        self.clear(published);
    }

    /// Clears the diagnostics of documents that had some.
    fn clear(&self, published: FxHashMap<Uri, Vec<lsp_types::Diagnostic>>) {
        let mut cleared: Vec<Uri> = published
            .into_iter()
            .filter(|(_, list)| !list.is_empty())
            .map(|(target, _)| target)
            .collect();
        cleared.sort();
        for target in cleared {
            self.publish(target, Vec::new());
        }
    }

    /// Analyses the document again and publishes its diagnostics, clearing them from cells
    /// that are gone.
    fn refresh(&mut self, uri: &Uri) {
        if let Some(Document {
            content: Content::Virtual(open),
            ..
        }) = self.documents.open.get_mut(uri)
            && let Some(reason) = open.take_unlogged_failure()
        {
            log(&format!(
                "{}: not aligned with the saved notebook, so no diagnostics for it until it \
                 can be: {reason}",
                uri.as_str()
            ));
        }
        let Some(document) = self.documents.open.get(uri) else {
            return;
        };
        let mut cache = self
            .analyses
            .remove(uri)
            .map(|(cache, _)| cache)
            .unwrap_or_default();
        let mut analysed = cache.analyse(document.notebook());
        // Files read that are not beside the notebook: known once it has a folder.
        if let Some(path) = document.path() {
            let missing = compile::missing_files(&analysed.analysis, &Disk::around(&path));
            analysed.diagnostics.extend(missing);
        }
        let found = diagnostics::by_document(document, &analysed);
        trace(&format!(
            "{}: {} cells, {} parsed again, {} diagnostics",
            uri.as_str(),
            analysed.notebook.cells.len(),
            analysed.parsed_cells,
            analysed.diagnostics.len()
        ));
        // Only what changed is sent: a keystroke in one cell republishes that cell, not
        // every cell of the notebook.
        let mut previous = self.published.remove(uri).unwrap_or_default();
        for (target, list) in &found {
            if previous.remove(target).as_ref() != Some(list) {
                self.publish(target.clone(), list.clone());
            }
        }
        // Cells that are gone.
        self.clear(previous);
        self.published
            .insert(uri.clone(), found.into_iter().collect());
        self.analyses.insert(uri.clone(), (cache, analysed));
    }

    fn publish(&self, uri: Uri, diagnostics: Vec<lsp_types::Diagnostic>) {
        let params = PublishDiagnosticsParams::new(uri, diagnostics, None);
        self.send(Notification::new(PublishDiagnostics::METHOD.to_owned(), params).into());
    }
}
