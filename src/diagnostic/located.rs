//! Where each diagnostic is, counted as people count, resolved once for every host: the
//! terminal report, the JSON report (its diagnostics' shape), the generated README's known
//! problems, the editor's convert command.

use rustpython_parser::text_size::TextSize;
use serde::Serialize;

use crate::analysis::Analysis;
use crate::diagnostic::{Code, Diagnostic, Location, Severity};
use crate::notebook::Notebook;
use crate::notebook::lines::{line_text, map_column};

/// (cell number, line, column), one-based.
pub type Position = (Option<u32>, Option<usize>, Option<usize>);

/// A notebook's diagnostics with their positions resolved, in page order, so the analysis
/// they point into can be dropped before the package is rendered.
#[derive(Clone, Debug, Default)]
pub struct Located {
    pub diagnostics: Vec<(Diagnostic, Position)>,
}

impl Located {
    /// `analysed`: the notebook and its analysis, where the diagnostics point.
    pub fn new(analysed: Option<(&Notebook, &Analysis)>, diagnostics: &[Diagnostic]) -> Located {
        let mut diagnostics: Vec<(Diagnostic, Position)> = diagnostics
            .iter()
            .map(|d| (d.clone(), position(analysed, d.location)))
            .collect();
        diagnostics.sort_by_key(|(d, _)| match d.location {
            Location::Notebook => (0, 0, 0),
            Location::File { line, column } => (0, line, column),
            Location::Cell(span) => (1, span.cell.index(), usize::from(span.range.start())),
        });
        Located { diagnostics }
    }

    /// The first error, when the notebook is refused.
    pub fn first_error(&self) -> Option<&(Diagnostic, Position)> {
        self.diagnostics.iter().find(|(d, _)| d.is_error())
    }

    /// The findings about the notebook's own code that a reviewer of the package should know
    /// (unused imports, names that shadow an import or a builtin, star imports, loops the
    /// package assumes run), one line each, located as people count, for the generated README.
    pub fn known_problems(&self) -> Vec<String> {
        const KNOWN: [Code; 5] = [
            Code::ShadowedImport,
            Code::ShadowedBuiltin,
            Code::StarImport,
            Code::UnusedImportRemoved,
            Code::LoopAssumedToRun,
        ];
        self.diagnostics
            .iter()
            .filter(|(d, _)| KNOWN.contains(&d.code))
            .map(|(d, position)| {
                format!("{}: {} ({})", place(*position), d.message, d.code.as_str())
            })
            .collect()
    }
}

/// One diagnostic in the JSON reports (`--format json`, the editor's convert command).
#[derive(Serialize)]
pub struct JsonDiagnostic {
    code: &'static str,
    severity: Severity,
    message: String,
    help: Option<String>,
    cell: Option<u32>,
    line: Option<usize>,
    column: Option<usize>,
}

impl From<&(Diagnostic, Position)> for JsonDiagnostic {
    fn from((diagnostic, (cell, line, column)): &(Diagnostic, Position)) -> Self {
        JsonDiagnostic {
            code: diagnostic.code.as_str(),
            severity: diagnostic.severity(),
            message: diagnostic.message.clone(),
            help: diagnostic.help.clone(),
            cell: *cell,
            line: *line,
            column: *column,
        }
    }
}

/// "cell 3, line 2", as a sentence names a position.
pub fn place(position: Position) -> String {
    match position {
        (Some(cell), Some(line), _) => format!("cell {cell}, line {line}"),
        (Some(cell), None, _) => format!("cell {cell}"),
        (None, Some(line), _) => format!("line {line}"),
        _ => "the notebook".to_owned(),
    }
}

/// Where a diagnostic is, counted as people count: cells on the page, lines and columns
/// (in characters) from 1; in a percent script, lines of the file.
fn position(analysed: Option<(&Notebook, &Analysis)>, location: Location) -> Position {
    match location {
        Location::Notebook => (None, None, None),
        Location::File { line, column } => (None, Some(line), Some(column)),
        Location::Cell(span) => {
            let cell = Some(span.cell.0 + 1);
            let Some((notebook, code)) = analysed.and_then(|(n, a)| Some((n, a.cell(span.cell)?)))
            else {
                return (cell, None, None);
            };
            let text = code.python.as_str();
            let offset = usize::from(span.range.start().min(TextSize::of(text)));
            let before = &text[..offset];
            let line_index = before.matches('\n').count();
            // A percent script's cells count the file's lines.
            let line = code.first_line as usize + line_index + 1;
            let line_start = before.rfind('\n').map_or(0, |p| p + 1);
            // The column in the line the user wrote, which IPython may have dedented or taken
            // a prompt off: as the editor counts it.
            let python_line = line_text(text, line_index);
            let source_line = line_text(&notebook.cell(span.cell).source, line_index);
            let byte = map_column(python_line, source_line, offset - line_start);
            let column = source_line[..byte].chars().count() + 1;
            (cell, Some(line), Some(column))
        }
    }
}
