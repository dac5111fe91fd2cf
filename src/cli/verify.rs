//! `nblift verify NOTEBOOK OUT`: the report of [`crate::verify`], for people or as JSON, and
//! its exit code: 0 equivalent, 1 differs, 3 the package failed, 4 the notebook fails in a
//! fresh kernel, 2 verify itself could not run.

use std::path::Path;

use crate::cli::Outcome;
use crate::cli::render::{to_stderr, to_stdout};
use crate::verify::{self, Difference, Evidence, Verdict};

pub fn verify(notebook: &Path, output: &Path, python: &Path, repeat: usize, json: bool) -> Outcome {
    let settings = verify::Settings {
        notebook,
        output,
        python,
        repeat,
    };
    let evidence = match verify::verify(&settings) {
        Ok(evidence) => evidence,
        Err(message) => {
            to_stderr(&format!("error: {}: {message}", notebook.display()));
            return Outcome::Failure;
        }
    };
    if json {
        let mut text = serde_json::to_string(&evidence).expect("evidence serialises");
        text.push('\n');
        to_stdout(&text);
    } else {
        to_stdout(&human(notebook, output, &evidence));
    }
    match evidence.verdict {
        Verdict::Equivalent => Outcome::Success,
        Verdict::Differs => Outcome::Errors,
        Verdict::PackageFailed(_) => Outcome::PackageFailed,
        Verdict::NotebookFailed(_) => Outcome::NotebookFailed,
    }
}

fn human(notebook: &Path, output: &Path, evidence: &Evidence) -> String {
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
        }
    }
    if evidence.stdout_unstable {
        text.push_str(
            "stdout differs between runs of the notebook itself: compared by line count\n",
        );
    }
    if !evidence.package_only.is_empty() {
        text.push_str(&format!(
            "not compared (only the package defines them): {}\n",
            evidence.package_only.join(", ")
        ));
    }
    match &evidence.verdict {
        Verdict::Equivalent => text.push_str(&format!(
            "equivalent: {} lines printed, {} values shown, {} final values, the files written\n",
            evidence.stdout_lines, evidence.results, evidence.values_compared
        )),
        Verdict::NotebookFailed(error) => {
            text.push_str(&format!("the notebook fails in a fresh kernel: {error}\n"))
        }
        Verdict::PackageFailed(error) => text.push_str(&format!("the package failed: {error}\n")),
        Verdict::Differs => {
            text.push_str("differs:\n");
            if !evidence.values.is_empty() {
                text.push_str("final values:\n");
                evidence.values.iter().for_each(|d| text.push_str(&line(d)));
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
