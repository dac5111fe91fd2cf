//! The documents the editor has open: notebooks (LSP 3.17 notebook sync, one text document
//! per cell) and percent scripts (one text document), each turned into the same
//! [`Notebook`] model `convert` reads, with where each cell's text is in the editor.

use std::path::PathBuf;

use lsp_types::{NotebookCell, NotebookCellKind, NotebookDocumentChangeEvent, Uri};
use rustc_hash::FxHashMap;

use crate::diagnostic::CellId;
use crate::lsp::text::apply_change;
use crate::lsp::virtual_document::VirtualNotebook;
use crate::notebook::{Cell, CellKind, Notebook, load_percent};

/// A cell of an open notebook: its kind and metadata from the notebook, its text from its own
/// text document.
#[derive(Clone, Debug)]
pub struct OpenCell {
    pub uri: Uri,
    pub kind: CellKind,
    pub text: String,
    pub tags: Vec<String>,
    pub execution_count: Option<u32>,
}

impl OpenCell {
    pub fn new(cell: &NotebookCell, text: String) -> OpenCell {
        let mut open = OpenCell {
            uri: cell.document.clone(),
            kind: CellKind::Code,
            text,
            tags: Vec::new(),
            execution_count: None,
        };
        open.update(cell);
        open
    }

    /// Takes the kind, tags and execution count the notebook now gives the cell.
    pub fn update(&mut self, cell: &NotebookCell) {
        self.kind = match cell.kind {
            NotebookCellKind::Code => CellKind::Code,
            NotebookCellKind::Markup => CellKind::Markdown,
        };
        self.tags = cell.metadata.as_ref().map(tags).unwrap_or_default();
        self.execution_count = cell.execution_summary.as_ref().map(|s| s.execution_order);
    }
}

/// A cell's tags: Jupyter keeps them at `metadata.tags`; VS Code has nested the Jupyter
/// metadata under `metadata` or `custom.metadata` in some versions.
fn tags(metadata: &serde_json::Map<String, serde_json::Value>) -> Vec<String> {
    let nested = |path: &[&str]| {
        let mut value = metadata.get(path[0])?;
        for key in &path[1..] {
            value = value.get(key)?;
        }
        serde_json::from_value::<Vec<String>>(value.clone()).ok()
    };
    nested(&["tags"])
        .or_else(|| nested(&["metadata", "tags"]))
        .or_else(|| nested(&["custom", "metadata", "tags"]))
        .unwrap_or_default()
}

#[derive(Clone, Debug)]
pub enum Content {
    Notebook {
        cells: Vec<OpenCell>,
        /// The kernel language from the notebook's metadata, when it names one.
        language: Option<String>,
    },
    /// A percent script, as one text.
    Script(String),
    /// A notebook as jupyterlab-lsp sends it: one Python text, aligned to the saved notebook.
    Virtual(VirtualNotebook),
}

/// An open document.
#[derive(Clone, Debug)]
pub struct Document {
    pub uri: Uri,
    pub content: Content,
}

/// Where a cell's text is in the editor: its document and the line its text starts on.
#[derive(Clone, Debug)]
pub struct Place {
    pub uri: Uri,
    pub first_line: u32,
    /// The last line of the cell's text in the document, where it may have fewer lines than
    /// the cell (a virtual document's rewritten cell magic): nothing is placed below it.
    pub last_line: Option<u32>,
}

impl Document {
    /// The notebook model of what the editor shows now.
    pub fn notebook(&self) -> Notebook {
        match &self.content {
            Content::Script(text) => load_percent(text),
            // A virtual document that could not be aligned has no cells: nothing is said
            // about it rather than something on the wrong cell.
            Content::Virtual(open) => match &open.aligned {
                Ok(aligned) => aligned.notebook.clone(),
                Err(_) => Notebook {
                    nbformat: 4,
                    language: None,
                    cells: Vec::new(),
                },
            },
            Content::Notebook { cells, language } => Notebook {
                nbformat: 4,
                language: language.clone(),
                cells: cells
                    .iter()
                    .enumerate()
                    .map(|(index, cell)| Cell {
                        id: CellId(index as u32),
                        kind: cell.kind,
                        source: cell.text.clone(),
                        tags: cell.tags.clone(),
                        execution_count: cell.execution_count,
                        saved_stdout: None,
                        first_line: 0,
                    })
                    .collect(),
            },
        }
    }

    /// Where a cell of [`Document::notebook`] is.
    pub fn place(&self, cell: &Cell) -> Place {
        match &self.content {
            Content::Script(_) => Place {
                uri: self.uri.clone(),
                first_line: cell.first_line,
                last_line: None,
            },
            Content::Virtual(open) => {
                let block = open
                    .aligned
                    .as_ref()
                    .ok()
                    .and_then(|aligned| aligned.blocks.get(cell.id.index()));
                Place {
                    uri: self.uri.clone(),
                    first_line: block.map_or(0, |b| b.first_line),
                    last_line: block.map(|b| b.first_line + b.lines.saturating_sub(1)),
                }
            }
            Content::Notebook { cells, .. } => Place {
                uri: cells[cell.id.index()].uri.clone(),
                first_line: 0,
                last_line: None,
            },
        }
    }

    /// The file the notebook lives in, for a `file:` URI: a virtual document's saved notebook.
    pub fn path(&self) -> Option<PathBuf> {
        match &self.content {
            Content::Virtual(open) => Some(open.saved_path.clone()),
            _ => file_path(&self.uri),
        }
    }
}

pub fn file_path(uri: &Uri) -> Option<PathBuf> {
    if uri.scheme().map(|s| s.as_str()) != Some("file") {
        return None;
    }
    let path = uri.path().as_estr().decode().into_string().ok()?;
    Some(PathBuf::from(path.into_owned()))
}

/// Whether Python text is a percent script nblift should serve: it has a `# %%` marker (a
/// plain module is not a notebook).
pub fn is_percent_text(text: &str) -> bool {
    text.lines()
        .any(|l| l.starts_with("# %%") || l.starts_with("#%%"))
}

/// The open documents, and which notebook each cell document belongs to.
#[derive(Default)]
pub struct Documents {
    pub open: FxHashMap<Uri, Document>,
    /// Open Python files that are not percent scripts (yet): their text, so that a marker
    /// typed later makes them one. Requests on them get empty answers, not errors.
    pub plain: FxHashMap<Uri, String>,
    /// Cell document → its notebook.
    pub owners: FxHashMap<Uri, Uri>,
}

impl Documents {
    /// The document a request's text document belongs to: itself (a script) or its notebook.
    pub fn owner_of(&self, uri: &Uri) -> Option<&Document> {
        let owner = self.owners.get(uri).unwrap_or(uri);
        self.open.get(owner)
    }

    pub fn insert(&mut self, document: Document) {
        if let Content::Notebook { cells, .. } = &document.content {
            for cell in cells {
                self.owners.insert(cell.uri.clone(), document.uri.clone());
            }
        }
        self.open.insert(document.uri.clone(), document);
    }

    pub fn remove(&mut self, uri: &Uri) -> Option<Document> {
        let document = self.open.remove(uri)?;
        if let Content::Notebook { cells, .. } = &document.content {
            for cell in cells {
                self.owners.remove(&cell.uri);
            }
        }
        Some(document)
    }
}

/// The kernel language a notebook's metadata names (`kernelspec.language` or
/// `language_info.name`, at the top or nested under `metadata`, as editors pass it).
pub fn language(metadata: &serde_json::Map<String, serde_json::Value>) -> Option<String> {
    let root = serde_json::Value::Object(metadata.clone());
    [root.get("metadata").unwrap_or(&root), &root]
        .into_iter()
        .find_map(|m| {
            m.pointer("/kernelspec/language")
                .or_else(|| m.pointer("/language_info/name"))
                .and_then(|l| l.as_str())
        })
        .map(str::to_owned)
}

/// Applies a notebook change: cells inserted, removed or moved (with their text documents),
/// cell metadata and execution summaries, and edits of cell texts.
pub fn apply_notebook_change(document: &mut Document, change: NotebookDocumentChangeEvent) {
    let Content::Notebook { cells, language } = &mut document.content else {
        return;
    };
    if let Some(metadata) = &change.metadata
        && let Some(new) = self::language(metadata)
    {
        *language = Some(new);
    }
    let Some(change) = change.cells else {
        return;
    };
    if let Some(structure) = change.structure {
        let mut texts: FxHashMap<Uri, String> = structure
            .did_open
            .unwrap_or_default()
            .into_iter()
            .map(|item| (item.uri, item.text))
            .collect();
        let start = (structure.array.start as usize).min(cells.len());
        let end = (start + structure.array.delete_count as usize).min(cells.len());
        let removed: Vec<OpenCell> = cells
            .splice(
                start..end,
                structure
                    .array
                    .cells
                    .unwrap_or_default()
                    .iter()
                    .map(|cell| {
                        OpenCell::new(cell, texts.remove(&cell.document).unwrap_or_default())
                    }),
            )
            .collect();
        // A moved cell is removed and inserted without a new text document: keep its text.
        let mut kept: FxHashMap<Uri, String> =
            removed.into_iter().map(|c| (c.uri, c.text)).collect();
        for cell in cells.iter_mut() {
            if cell.text.is_empty()
                && let Some(text) = kept.remove(&cell.uri)
            {
                cell.text = text;
            }
        }
    }
    for data in change.data.unwrap_or_default() {
        if let Some(cell) = cells.iter_mut().find(|c| c.uri == data.document) {
            cell.update(&data);
        }
    }
    for content in change.text_content.unwrap_or_default() {
        if let Some(cell) = cells.iter_mut().find(|c| c.uri == content.document.uri) {
            for edit in content.changes {
                apply_change(&mut cell.text, edit);
            }
        }
    }
}
