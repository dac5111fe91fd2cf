//! Hover and go to definition across cells, from the same per-statement facts the dataflow
//! uses.
//!
//! The name under the cursor is found in the text and looked up among module-level names; a
//! function's local variable that shares a module-level name's spelling is shown as that
//! name (the facts are per statement, not per scope).

use lsp_types::{Hover, HoverContents, Location, MarkupContent, MarkupKind, Position, Uri};

use crate::analysis::Name;
use crate::diagnostic::CellId;
use crate::lsp::documents::Document;
use crate::lsp::session::Analysed;
use crate::lsp::text::{CellText, identifier_at, offset_of};
use rustpython_parser::text_size::TextRange;

/// A position resolved to a cell and a byte offset in its source and in its Python text.
pub struct CellPosition {
    pub cell: CellId,
    pub offset: usize,
    pub python_offset: usize,
}

/// The cell under an editor position: in a notebook, the cell whose document it is; in a
/// script, the last cell starting at or before the line.
pub fn cell_at(
    document: &Document,
    analysed: &Analysed,
    uri: &Uri,
    position: Position,
) -> Option<CellPosition> {
    let cell = analysed
        .notebook
        .cells
        .iter()
        .filter(|c| {
            let place = document.place(c);
            place.uri == *uri && place.first_line <= position.line
        })
        .last()?;
    let first_line = document.place(cell).first_line;
    let relative = Position::new(position.line - first_line, position.character);
    let offset = offset_of(&cell.source, relative);
    Some(CellPosition {
        cell: cell.id,
        offset,
        python_offset: cell_text(document, analysed, cell.id).python_offset(offset),
    })
}

/// A cell's source and Python text, placed in its document.
fn cell_text<'a>(document: &Document, analysed: &'a Analysed, cell: CellId) -> CellText<'a> {
    let source = analysed.notebook.cell(cell);
    CellText {
        source: &source.source,
        python: analysed
            .analysis
            .cell(cell)
            .map_or(source.source.as_str(), |c| c.python.as_str()),
        first_line: document.place(source).first_line,
    }
}

/// One module-level binding of a name: the cell and the range in its Python text.
struct Binding {
    cell: CellId,
    range: TextRange,
}

/// Where a module-level name is bound and read, in page order.
struct Uses {
    bindings: Vec<Binding>,
    readers: Vec<CellId>,
}

fn uses(analysed: &Analysed, name: &str) -> Uses {
    let mut bindings = Vec::new();
    let mut readers: Vec<CellId> = Vec::new();
    for (cell, statement) in analysed.analysis.statements() {
        for binding in statement.binds.iter().filter(|b| b.name.as_str() == name) {
            bindings.push(Binding {
                cell,
                range: binding.range,
            });
        }
        let reads = statement.all_reads().any(|o| o.name.as_str() == name);
        if reads && readers.last() != Some(&cell) {
            readers.push(cell);
        }
    }
    Uses { bindings, readers }
}

/// The module-level name at a position, if the notebook binds or reads it.
fn name_at(analysed: &Analysed, at: &CellPosition) -> Option<(Name, Uses)> {
    let source = &analysed.notebook.cell(at.cell).source;
    let (_, word) = identifier_at(source, at.offset)?;
    let uses = uses(analysed, word);
    (!uses.bindings.is_empty() || !uses.readers.is_empty()).then(|| (Name::new(word), uses))
}

fn cell_list(cells: impl Iterator<Item = CellId>) -> String {
    let numbers: Vec<String> = cells.map(|c| (c.0 + 1).to_string()).collect();
    match numbers.as_slice() {
        [] => "no cell".to_owned(),
        [one] => format!("cell {one}"),
        many => format!("cells {}", many.join(", ")),
    }
}

/// The hover text of the name under the cursor: markdown, or plain text for a client that
/// shows only that (eglot without `markdown-mode` asks for `plaintext`).
pub fn hover(analysed: &Analysed, at: &CellPosition, kind: MarkupKind) -> Option<Hover> {
    let (name, uses) = name_at(analysed, at)?;
    let mut defined: Vec<CellId> = uses.bindings.iter().map(|b| b.cell).collect();
    defined.dedup();
    let defined = if defined.is_empty() {
        "not defined by any cell (a builtin, or defined outside the notebook)".to_owned()
    } else {
        format!("defined in {}", cell_list(defined.into_iter()))
    };
    let read = format!("read in {}", cell_list(uses.readers.into_iter()));
    let name = match kind {
        MarkupKind::Markdown => format!("`{name}`"),
        MarkupKind::PlainText => name.to_string(),
    };
    Some(Hover {
        contents: HoverContents::Markup(MarkupContent {
            kind,
            value: format!("{name}: {defined}; {read}"),
        }),
        range: None,
    })
}

/// The binding a use resolves to when the notebook runs top to bottom: the last one before
/// it (earlier in its cell, or in an earlier cell); for a name bound only later (a function
/// reading it late), the first one after.
pub fn definition(document: &Document, analysed: &Analysed, at: &CellPosition) -> Option<Location> {
    let (_, uses) = name_at(analysed, at)?;
    let before =
        |b: &&Binding| (b.cell, usize::from(b.range.start())) <= (at.cell, at.python_offset);
    let binding = uses
        .bindings
        .iter()
        .rfind(before)
        .or_else(|| uses.bindings.first())?;
    let cell = analysed.notebook.cell(binding.cell);
    let text = cell_text(document, analysed, binding.cell);
    Some(Location {
        uri: document.place(cell).uri,
        range: text.range(
            usize::from(binding.range.start()),
            usize::from(binding.range.end()),
        ),
    })
}
