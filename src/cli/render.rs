//! Rendering diagnostics, once, at the edge: ruff-like lines for people
//! (`path:cell N:line:col: severity[code]: message` and a help line), or JSON. A notebook's
//! report is rendered into text first and printed by the driver, so a batch prints each
//! notebook whole, in order, whatever thread produced it.

use std::io::Write;
use std::path::Path;

use rustpython_parser::text_size::TextSize;
use serde::Serialize;

use crate::analysis::Analysis;
use crate::cli::Outcome;
use crate::diagnostic::{Code, Diagnostic, Location, Severity};
use crate::emit::File;
use crate::notebook::Notebook;
use crate::notebook::lines::{line_text, map_column};

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

/// A notebook's diagnostics with their positions resolved, so the analysis they point into
/// can be dropped before the package is rendered.
pub struct Report<'a> {
    path: &'a Path,
    diagnostics: Vec<(&'a Diagnostic, Position)>,
}

/// (cell number, line, column), one-based.
type Position = (Option<u32>, Option<usize>, Option<usize>);

/// How one notebook's command ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Status {
    Converted,
    DryRun,
    Checked,
    /// Error diagnostics: the first one's code names the reason.
    Refused(Option<Code>),
    /// The tool failed (I/O, usage); the message says why.
    Failed(String),
    /// Stopped by Ctrl-C before it was written.
    Interrupted,
}

impl Status {
    pub fn outcome(&self) -> Outcome {
        match self {
            Status::Converted | Status::DryRun | Status::Checked => Outcome::Success,
            Status::Refused(_) => Outcome::Errors,
            Status::Failed(_) => Outcome::Failure,
            Status::Interrupted => Outcome::Interrupted,
        }
    }

    fn label(&self) -> &'static str {
        match self {
            Status::Converted => "converted",
            Status::DryRun => "dry-run",
            Status::Checked => "checked",
            Status::Refused(_) => "refused",
            Status::Failed(_) => "failed",
            Status::Interrupted => "interrupted",
        }
    }
}

/// One notebook's report, rendered: what goes to stdout, and the diagnostic lines for
/// stderr with their severities (a batch shows only the errors).
#[derive(Debug)]
pub struct Rendered {
    pub status: Status,
    pub stdout: String,
    pub diagnostics: Vec<(Severity, String)>,
}

impl Rendered {
    /// A failure of the tool itself (I/O, usage) before any diagnostic: one line on stderr,
    /// or one JSON object.
    pub fn failure(path: &Path, message: &str, json: bool) -> Rendered {
        Report::new(path, None, &[]).failed(message, json)
    }

    pub fn outcome(&self) -> Outcome {
        self.status.outcome()
    }

    /// Prints everything (a single notebook).
    pub fn print(&self) {
        for (_, line) in &self.diagnostics {
            to_stderr(line);
        }
        to_stdout(&self.stdout);
    }
}

/// Writes to stdout; a closed pipe (`nblift … | head`) ends the output, not the program.
pub fn to_stdout(text: &str) {
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
}

/// One line on stderr, with the same tolerance.
pub fn to_stderr(line: &str) {
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

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

#[derive(Serialize)]
struct JsonReport<'a> {
    notebook: String,
    status: &'a str,
    output: Option<String>,
    package: Option<&'a str>,
    files: Vec<String>,
    diagnostics: Vec<JsonDiagnostic>,
    error: Option<&'a str>,
}

impl<'a> Report<'a> {
    /// `analysed`: the notebook and its analysis, where the diagnostics point.
    pub fn new(
        path: &'a Path,
        analysed: Option<(&Notebook, &Analysis)>,
        diagnostics: &'a [Diagnostic],
    ) -> Self {
        let mut diagnostics: Vec<(&Diagnostic, Position)> = diagnostics
            .iter()
            .map(|d| (d, position(analysed, d.location)))
            .collect();
        diagnostics.sort_by_key(|(d, _)| match d.location {
            Location::Notebook => (0, 0, 0),
            Location::File { line, column } => (0, line, column),
            Location::Cell(span) => (1, span.cell.index(), usize::from(span.range.start())),
        });
        Report { path, diagnostics }
    }

    /// The tool failed (I/O, usage) after these diagnostics: an `error:` line on stderr, or
    /// one JSON object with both.
    pub fn failed(&self, message: &str, json: bool) -> Rendered {
        let status = Status::Failed(message.to_owned());
        if json {
            return self.json(status, None, Vec::new(), Some(message));
        }
        let mut rendered = self.human(status);
        rendered.diagnostics.push((
            Severity::Error,
            format!("error: {}: {message}", self.path.display()),
        ));
        rendered
    }

    fn human_line(&self, diagnostic: &Diagnostic, position: Position) -> String {
        let place = match position {
            (Some(cell), Some(line), Some(column)) => {
                format!("{}:cell {cell}:{line}:{column}", self.path.display())
            }
            (Some(cell), _, _) => format!("{}:cell {cell}", self.path.display()),
            (None, Some(line), Some(column)) => format!("{}:{line}:{column}", self.path.display()),
            _ => self.path.display().to_string(),
        };
        let mut text = format!(
            "{place}: {}[{}]: {}",
            diagnostic.severity(),
            diagnostic.code.as_str(),
            diagnostic.message
        );
        if let Some(help) = &diagnostic.help {
            text.push_str("\n  help: ");
            text.push_str(help);
        }
        text
    }

    /// The findings about the notebook's own code that a reviewer of the package should know
    /// (unused imports, names that shadow an import or a builtin, star imports), one line
    /// each, located as people count, for the generated README.
    pub fn known_problems(&self) -> Vec<String> {
        const KNOWN: [Code; 4] = [
            Code::ShadowedImport,
            Code::ShadowedBuiltin,
            Code::StarImport,
            Code::UnusedImportRemoved,
        ];
        self.diagnostics
            .iter()
            .filter(|(d, _)| KNOWN.contains(&d.code))
            .map(|(d, position)| {
                let place = match *position {
                    (Some(cell), Some(line), _) => format!("cell {cell}, line {line}"),
                    (Some(cell), None, _) => format!("cell {cell}"),
                    (None, Some(line), _) => format!("line {line}"),
                    _ => "the notebook".to_owned(),
                };
                format!("{place}: {} ({})", d.message, d.code.as_str())
            })
            .collect()
    }

    /// Each diagnostic as one line (and its help), in order, for a report of its own.
    pub fn lines(&self) -> Vec<String> {
        self.diagnostics
            .iter()
            .map(|&(d, position)| self.human_line(d, position))
            .collect()
    }

    pub fn json_diagnostics(&self) -> Vec<JsonDiagnostic> {
        self.diagnostics
            .iter()
            .map(|&(d, (cell, line, column))| JsonDiagnostic {
                code: d.code.as_str(),
                severity: d.severity(),
                message: d.message.clone(),
                help: d.help.clone(),
                cell,
                line,
                column,
            })
            .collect()
    }

    /// The status of a notebook that was not written: refused, checked or interrupted.
    pub fn status(&self) -> Status {
        match self.diagnostics.iter().find(|(d, _)| d.is_error()) {
            Some((error, _)) => Status::Refused(Some(error.code)),
            None => Status::Checked,
        }
    }

    /// The diagnostics alone, under this status.
    pub fn diagnostics(&self, json: bool, status: Status) -> Rendered {
        if json {
            self.json(status, None, Vec::new(), None)
        } else {
            self.human(status)
        }
    }

    fn human(&self, status: Status) -> Rendered {
        Rendered {
            status,
            stdout: String::new(),
            diagnostics: self
                .diagnostics
                .iter()
                .map(|&(d, position)| (d.severity(), self.human_line(d, position)))
                .collect(),
        }
    }

    fn json(
        &self,
        status: Status,
        written: Option<(&Path, &str)>,
        files: Vec<String>,
        error: Option<&str>,
    ) -> Rendered {
        let report = JsonReport {
            notebook: self.path.display().to_string(),
            status: status.label(),
            output: written.map(|(output, _)| output.display().to_string()),
            package: written.map(|(_, package)| package),
            files,
            diagnostics: self.json_diagnostics(),
            error,
        };
        let mut stdout = serde_json::to_string(&report).expect("reports serialise");
        stdout.push('\n');
        Rendered {
            status,
            stdout,
            diagnostics: Vec::new(),
        }
    }

    /// A package written (or, with `--dry-run`, that would be).
    pub fn conversion(
        &self,
        json: bool,
        output: &Path,
        package: &str,
        files: &[File],
        dry_run: bool,
    ) -> Rendered {
        let paths: Vec<String> = files
            .iter()
            .map(|f| f.path.display().to_string().replace('\\', "/"))
            .collect();
        let status = if dry_run {
            Status::DryRun
        } else {
            Status::Converted
        };
        if json {
            return self.json(status, Some((output, package)), paths, None);
        }
        let mut rendered = self.human(status);
        let verb = if dry_run { "would write" } else { "wrote" };
        rendered.stdout = format!("{verb} package `{package}` to {}:\n", output.display());
        for path in paths {
            rendered.stdout.push_str(&format!("  {path}\n"));
        }
        rendered
    }
}
