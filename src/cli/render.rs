//! Rendering diagnostics, once, at the edge: ruff-like lines for people
//! (`path:cell N:line:col: severity[code]: message` and a help line), or JSON. A notebook's
//! report is rendered into text first and printed by the driver, so a batch prints each
//! notebook whole, in order, whatever thread produced it.

use std::io::Write;
use std::path::Path;

use serde::Serialize;

use crate::cli::{Format, Outcome};
use crate::compile::{JsonDiagnostic, Located, Position};
use crate::diagnostic::{Code, Diagnostic, Severity};
use crate::emit::File;

/// One notebook's diagnostics, located, to report under its path.
pub struct Report<'a> {
    path: &'a Path,
    diagnostics: Vec<(Diagnostic, Position)>,
}

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
            Status::Refused(_) => Outcome::Refused,
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
    pub fn failure(path: &Path, message: &str, format: Format) -> Rendered {
        Report::new(path, Located::default()).failed(message, format)
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
    pub fn new(path: &'a Path, located: Located) -> Self {
        Report {
            path,
            diagnostics: located.diagnostics,
        }
    }

    /// The tool failed (I/O, usage) after these diagnostics: an `error:` line on stderr, or
    /// one JSON object with both.
    pub fn failed(&self, message: &str, format: Format) -> Rendered {
        let status = Status::Failed(message.to_owned());
        if format == Format::Json {
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

    /// Each diagnostic as one line (and its help), in order, for a report of its own.
    pub fn lines(&self) -> Vec<String> {
        self.diagnostics
            .iter()
            .map(|(d, position)| self.human_line(d, *position))
            .collect()
    }

    pub fn json_diagnostics(&self) -> Vec<JsonDiagnostic> {
        self.diagnostics.iter().map(JsonDiagnostic::from).collect()
    }

    /// The status of a notebook that was not written: refused, checked or interrupted.
    pub fn status(&self) -> Status {
        match self.diagnostics.iter().find(|(d, _)| d.is_error()) {
            Some((error, _)) => Status::Refused(Some(error.code)),
            None => Status::Checked,
        }
    }

    /// The diagnostics alone, under this status.
    pub fn diagnostics(&self, format: Format, status: Status) -> Rendered {
        if format == Format::Json {
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
                .map(|(d, position)| (d.severity(), self.human_line(d, *position)))
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
        format: Format,
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
        if format == Format::Json {
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
