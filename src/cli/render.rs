//! Rendering diagnostics, once, at the edge: ruff-like lines for people
//! (`path:cell N:line:col: severity[code]: message` and a help line), or JSON.

use std::path::Path;

use rustpython_parser::text_size::TextSize;
use serde::Serialize;

use crate::analysis::Analysis;
use crate::cli::Outcome;
use crate::diagnostic::{Diagnostic, Location, Severity};
use crate::emit::File;

pub struct Report<'a> {
    path: &'a Path,
    analysis: Option<&'a Analysis>,
    diagnostics: &'a [Diagnostic],
}

#[derive(Serialize)]
struct JsonDiagnostic {
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
    pub fn new(
        path: &'a Path,
        analysis: Option<&'a Analysis>,
        diagnostics: &'a [Diagnostic],
    ) -> Self {
        Report {
            path,
            analysis,
            diagnostics,
        }
    }

    /// A failure of the tool itself (I/O, usage): one line on stderr, exit 2.
    pub fn failure(path: &Path, message: &str, json: bool) -> Outcome {
        if json {
            let report = JsonReport {
                notebook: path.display().to_string(),
                status: "failed",
                output: None,
                package: None,
                files: Vec::new(),
                diagnostics: Vec::new(),
                error: Some(message),
            };
            println!(
                "{}",
                serde_json::to_string(&report).expect("reports serialise")
            );
        } else {
            eprintln!("error: {}: {message}", path.display());
        }
        Outcome::Failure
    }

    /// (cell number, line, column), one-based, of a diagnostic.
    fn position(&self, location: Location) -> (Option<u32>, Option<usize>, Option<usize>) {
        match location {
            Location::Notebook => (None, None, None),
            Location::File { line, column } => (None, Some(line), Some(column)),
            Location::Cell(span) => {
                let cell = Some(span.cell.0 + 1);
                let Some(text) = self
                    .analysis
                    .and_then(|a| a.cell(span.cell))
                    .map(|c| c.python.as_str())
                else {
                    return (cell, None, None);
                };
                let offset = usize::from(span.range.start().min(TextSize::of(text)));
                let before = &text[..offset];
                let line = before.matches('\n').count() + 1;
                let line_start = before.rfind('\n').map_or(0, |p| p + 1);
                let column = text[line_start..offset].chars().count() + 1;
                (cell, Some(line), Some(column))
            }
        }
    }

    fn human_line(&self, diagnostic: &Diagnostic) -> String {
        let place = match self.position(diagnostic.location) {
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

    fn json_diagnostics(&self) -> Vec<JsonDiagnostic> {
        self.diagnostics
            .iter()
            .map(|d| {
                let (cell, line, column) = self.position(d.location);
                JsonDiagnostic {
                    code: d.code.as_str(),
                    severity: d.severity(),
                    message: d.message.clone(),
                    help: d.help.clone(),
                    cell,
                    line,
                    column,
                }
            })
            .collect()
    }

    fn sorted(&self) -> Vec<&Diagnostic> {
        let mut sorted: Vec<&Diagnostic> = self.diagnostics.iter().collect();
        sorted.sort_by_key(|d| match d.location {
            Location::Notebook => (0, 0, 0),
            Location::File { line, column } => (0, line, column),
            Location::Cell(span) => (1, span.cell.index(), usize::from(span.range.start())),
        });
        sorted
    }

    /// Diagnostics on stderr (human) or one JSON object on stdout.
    pub fn print_diagnostics(&self, json: bool, status: &str) {
        if json {
            let report = JsonReport {
                notebook: self.path.display().to_string(),
                status,
                output: None,
                package: None,
                files: Vec::new(),
                diagnostics: self.json_diagnostics(),
                error: None,
            };
            println!(
                "{}",
                serde_json::to_string(&report).expect("reports serialise")
            );
        } else {
            for diagnostic in self.sorted() {
                eprintln!("{}", self.human_line(diagnostic));
            }
        }
    }

    pub fn print_conversion(
        &self,
        json: bool,
        output: &Path,
        package: &str,
        files: &[File],
        dry_run: bool,
    ) {
        let paths: Vec<String> = files
            .iter()
            .map(|f| f.path.display().to_string().replace('\\', "/"))
            .collect();
        if json {
            let report = JsonReport {
                notebook: self.path.display().to_string(),
                status: if dry_run { "dry-run" } else { "converted" },
                output: Some(output.display().to_string()),
                package: Some(package),
                files: paths,
                diagnostics: self.json_diagnostics(),
                error: None,
            };
            println!(
                "{}",
                serde_json::to_string(&report).expect("reports serialise")
            );
            return;
        }
        for diagnostic in self.sorted() {
            eprintln!("{}", self.human_line(diagnostic));
        }
        let verb = if dry_run { "would write" } else { "wrote" };
        println!("{verb} package `{package}` to {}:", output.display());
        for path in paths {
            println!("  {path}");
        }
    }
}
