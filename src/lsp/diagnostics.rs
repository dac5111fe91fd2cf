//! nblift's diagnostics as LSP diagnostics, each on its cell's document and range.

use std::collections::BTreeMap;

use lsp_types::{
    Diagnostic as LspDiagnostic, DiagnosticSeverity, NumberOrString, Position, Range, Uri,
};

use crate::diagnostic::{Location, Severity};
use crate::lsp::documents::Document;
use crate::lsp::session::Analysed;
use crate::lsp::text::CellText;

/// Every document of `document` (each cell of a notebook, or the script) with its
/// diagnostics, empty lists included, so that fixed problems disappear from the editor.
pub fn by_document(document: &Document, analysed: &Analysed) -> BTreeMap<Uri, Vec<LspDiagnostic>> {
    let mut found: BTreeMap<Uri, Vec<LspDiagnostic>> = BTreeMap::new();
    for cell in &analysed.notebook.cells {
        found.entry(document.place(cell).uri).or_default();
    }
    for diagnostic in &analysed.diagnostics {
        let (uri, range) = match diagnostic.location {
            Location::Cell(span) => {
                let cell = analysed.notebook.cell(span.cell);
                let place = document.place(cell);
                let text = CellText {
                    source: &cell.source,
                    python: analysed
                        .analysis
                        .cell(span.cell)
                        .map_or(cell.source.as_str(), |c| c.python.as_str()),
                    first_line: place.first_line,
                };
                let range = text.range(
                    usize::from(span.range.start()),
                    usize::from(span.range.end()),
                );
                (place.uri, within(range, place.last_line))
            }
            // A diagnostic about the whole notebook goes on its first cell's first line.
            Location::Notebook | Location::File { .. } => {
                let Some(cell) = analysed.notebook.cells.first() else {
                    continue;
                };
                let place = document.place(cell);
                let start = Position::new(place.first_line, 0);
                (place.uri, Range::new(start, start))
            }
        };
        let mut message = diagnostic.message.clone();
        if let Some(help) = &diagnostic.help {
            message.push_str("\nhelp: ");
            message.push_str(help);
        }
        found.entry(uri).or_default().push(LspDiagnostic {
            range,
            severity: Some(match diagnostic.severity() {
                Severity::Error => DiagnosticSeverity::ERROR,
                Severity::Warning => DiagnosticSeverity::WARNING,
                Severity::Note => DiagnosticSeverity::INFORMATION,
            }),
            code: Some(NumberOrString::String(diagnostic.code.as_str().to_owned())),
            source: Some("nblift".to_owned()),
            message,
            ..LspDiagnostic::default()
        });
    }
    found
}

/// A range kept on its cell's lines: one below the cell's last line starts and ends there.
fn within(range: Range, last_line: Option<u32>) -> Range {
    let Some(last) = last_line else {
        return range;
    };
    let clamp = |p: Position| {
        if p.line > last {
            Position::new(last, 0)
        } else {
            p
        }
    };
    let start = clamp(range.start);
    Range::new(start, clamp(range.end).max(start))
}
