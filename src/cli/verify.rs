//! `nblift verify NOTEBOOK OUT`: the report of [`crate::verify`], for people or as JSON, and
//! its exit code: 0 equivalent, 1 differs, 3 the package failed, 4 the notebook fails in a
//! fresh kernel, 2 verify itself could not run.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;

use crate::cli::render::{Report, to_stderr, to_stdout};
use crate::cli::{Format, Outcome};
use crate::compile::{self, Disk, Front, JsonDiagnostic, Located};
use crate::diagnostic::{CellId, Diagnostic};
use crate::verify::{self, Difference, Evidence, Verdict, explain};

/// The static findings that explain the runs: what predicted the failure, and what makes
/// each unstable value unstable.
struct Explanations {
    failure: Vec<Diagnostic>,
    unstable: BTreeMap<String, Vec<Diagnostic>>,
}

impl Explanations {
    fn of(front: Option<&Front>, evidence: &Evidence) -> Explanations {
        let diagnostics = front.map_or(&[][..], Front::diagnostics);
        let owned = |found: Vec<&Diagnostic>| found.into_iter().cloned().collect();
        let failure = match evidence.failed_cell {
            Some(cell) => owned(explain::failure(diagnostics, CellId(cell))),
            None => Vec::new(),
        };
        let unstable = match front.and_then(Front::analysed) {
            Some((_, analysis)) => evidence
                .unstable
                .iter()
                .map(|u| {
                    let found = explain::unstable(analysis, diagnostics, &u.path);
                    (u.path.clone(), owned(found))
                })
                .collect(),
            None => BTreeMap::new(),
        };
        Explanations { failure, unstable }
    }
}

/// `--format json`: the evidence, with the findings that explain it.
#[derive(Serialize)]
struct JsonEvidence<'a> {
    notebook: String,
    #[serde(flatten)]
    evidence: &'a Evidence,
    predicted_by: Vec<JsonDiagnostic>,
    unstable_explained_by: BTreeMap<&'a str, Vec<JsonDiagnostic>>,
}

/// One notebook verified: how it ended, and its report (on stdout) or error (on stderr).
pub struct Verified {
    pub outcome: Outcome,
    pub stdout: String,
    pub error: Option<String>,
}

impl Verified {
    pub fn print(&self) {
        to_stdout(&self.stdout);
        if let Some(error) = &self.error {
            to_stderr(error);
        }
    }

    /// How the summary of a batch counts it.
    pub fn label(&self) -> &'static str {
        match self.outcome {
            Outcome::Success => "equivalent",
            Outcome::Differs => "differ",
            Outcome::PackageFailed => "package failed",
            Outcome::NotebookFailed => "notebook failed",
            Outcome::Refused | Outcome::Failure | Outcome::Interrupted => "not verified",
        }
    }
}

/// `nblift verify NOTEBOOK OUT`.
pub fn run(settings: &verify::Settings<'_>, format: Format) -> Outcome {
    // The same front end as `check`: its notebook and analysis for verify, its diagnostics
    // to explain what the runs find.
    let notebook = settings.notebook;
    let front = compile::read(notebook, &Disk::around(notebook)).ok();
    let verified = verify_one(settings, front.as_ref(), format);
    verified.print();
    verified.outcome
}

/// Verifies one notebook, with its front end (`None` when it could not be read).
pub fn verify_one(
    settings: &verify::Settings<'_>,
    front: Option<&Front>,
    format: Format,
) -> Verified {
    let (notebook, output) = (settings.notebook, settings.output);
    let analysed = front.and_then(Front::analysed);
    let settings = verify::Settings {
        analysed,
        ..*settings
    };
    let evidence = match verify::verify(&settings) {
        Ok(evidence) => evidence,
        Err(message) => {
            return Verified {
                outcome: Outcome::Failure,
                stdout: String::new(),
                error: Some(format!("error: {}: {message}", notebook.display())),
            };
        }
    };
    let explanations = Explanations::of(front, &evidence);
    let located = |found: &[Diagnostic]| Located::new(analysed, found);
    let report = |found: &[Diagnostic]| Report::new(notebook, located(found)).json_diagnostics();
    let stdout = if format == Format::Json {
        let evidence_found = &evidence;
        let evidence = JsonEvidence {
            notebook: notebook.display().to_string(),
            evidence: evidence_found,
            predicted_by: report(&explanations.failure),
            unstable_explained_by: explanations
                .unstable
                .iter()
                .map(|(name, found)| (name.as_str(), report(found)))
                .collect(),
        };
        let mut text = serde_json::to_string(&evidence).expect("evidence serialises");
        text.push('\n');
        text
    } else {
        let lines = |found: &[Diagnostic]| Report::new(notebook, located(found)).lines();
        human(notebook, output, &evidence, &explanations, lines)
    };
    // `--strict` refuses an equivalence that rests on loose comparisons.
    let strict_refused = settings.strictness == verify::Strictness::Exact
        && evidence.verdict == Verdict::Equivalent
        && !evidence.loose.is_empty();
    let outcome = match evidence.verdict {
        _ if strict_refused => Outcome::Differs,
        Verdict::Equivalent => Outcome::Success,
        Verdict::Differs => Outcome::Differs,
        Verdict::PackageFailed(_) => Outcome::PackageFailed,
        Verdict::NotebookFailed(_) => Outcome::NotebookFailed,
    };
    let mut stdout = stdout;
    if strict_refused && format == Format::Human {
        stdout.push_str(
            "--strict: not everything was compared exactly, so this counts as differing\n",
        );
    }
    Verified {
        outcome,
        stdout,
        error: None,
    }
}

fn human(
    notebook: &Path,
    output: &Path,
    evidence: &Evidence,
    explanations: &Explanations,
    lines: impl Fn(&[Diagnostic]) -> Vec<String>,
) -> String {
    let mut text = format!(
        "{} against {} (package `{}`, Python {}):\n",
        notebook.display(),
        output.display(),
        evidence.package,
        evidence.python
    );
    let line = |d: &Difference| {
        format!(
            "  {}: {} (notebook) vs {} (package)\n",
            d.path, d.notebook, d.package
        )
    };
    if !evidence.not_kept.is_empty() {
        text.push_str(&format!(
            "not compared (the package does not keep them): {}\n",
            evidence.not_kept.join(", ")
        ));
    }
    if !evidence.unstable.is_empty() {
        text.push_str("unstable (they differ between runs of the notebook itself):\n");
        for d in &evidence.unstable {
            text.push_str(&format!(
                "  {}: {} (one run) vs {} (another)\n",
                d.path, d.notebook, d.package
            ));
            let found = explanations
                .unstable
                .get(&d.path)
                .map_or(&[][..], Vec::as_slice);
            if found.is_empty() {
                text.push_str(
                    "    no finding explains it: a clock, the file system or a random source \
                     the analysis does not know\n",
                );
            }
            for line in lines(found) {
                text.push_str(&format!(
                    "    explained by {}\n",
                    line.replace('\n', "\n    ")
                ));
            }
        }
    }
    if evidence.stdout_unstable {
        text.push_str(
            "stdout differs between runs of the notebook itself: compared with its numbers masked and its white space left out\n",
        );
    }
    if !evidence.package_only.is_empty() {
        text.push_str(&format!(
            "not compared (only the package defines them): {}\n",
            evidence.package_only.join(", ")
        ));
    }
    if !evidence.stale.is_empty() {
        text.push_str("stale saved outputs (a fresh run of the notebook prints otherwise):\n");
        for stale in &evidence.stale {
            text.push_str(&format!(
                "  cell {}: saved {:?}, a fresh run prints {:?}\n",
                stale.cell + 1,
                stale.saved,
                stale.fresh
            ));
        }
    }
    match &evidence.verdict {
        Verdict::Equivalent if evidence.loose.is_empty() => text.push_str(&format!(
            "equivalent: {} lines printed, {} values shown, {} final values, the files written\n",
            evidence.stdout_lines, evidence.results, evidence.values_compared
        )),
        // Never more than was compared: what was compared loosely is said in the verdict.
        Verdict::Equivalent => text.push_str(&format!(
            "equivalent where stable ({}): {} lines printed, {} values shown, {} final values, the files written\n",
            evidence.loose.join("; "),
            evidence.stdout_lines,
            evidence.results,
            evidence.values_compared
        )),
        Verdict::NotebookFailed(error) => {
            let cell = evidence
                .failed_cell
                .map_or(String::new(), |c| format!(" (cell {})", c + 1));
            text.push_str(&format!(
                "the notebook fails in a fresh kernel{cell}: {error}\n"
            ));
            for line in lines(&explanations.failure) {
                text.push_str(&format!("  predicted by {}\n", line.replace('\n', "\n  ")));
            }
        }
        Verdict::PackageFailed(error) => text.push_str(&format!("the package failed: {error}\n")),
        Verdict::Differs => {
            text.push_str("differs:\n");
            if !evidence.values.is_empty() {
                text.push_str("final values:\n");
                evidence.values.iter().for_each(|d| text.push_str(&line(d)));
                for parting in &evidence.partings {
                    text.push_str(&format!(
                        "  `{}` first parts in step `{}` (its value after cell {})\n",
                        parting.name,
                        parting.step,
                        parting.cell + 1
                    ));
                }
            }
            if !evidence.files.is_empty() {
                text.push_str("files written:\n");
                evidence.files.iter().for_each(|d| text.push_str(&line(d)));
            }
            for diff in [&evidence.stdout_diff, &evidence.results_diff]
                .into_iter()
                .flatten()
            {
                text.push_str(diff);
            }
        }
    }
    text
}
