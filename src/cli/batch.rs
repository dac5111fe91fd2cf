//! Many notebooks at once: find them, work on them in parallel, print each notebook's report
//! whole and in input order, and end with a summary. One bad notebook never stops the others;
//! the exit code is the worst outcome.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use rayon::prelude::*;

use crate::cli::convert::{Settings, finish};
use crate::cli::render::{Rendered, Status, to_stderr, to_stdout};
use crate::cli::verify::{Verified, verify_one};
use crate::cli::{Format, Outcome, interrupt};
use crate::compile::{self, Prepared, find_notebooks, prepare};
use crate::diagnostic::Severity;

/// A progress bar on a terminal's stderr; hidden otherwise and for JSON output.
fn progress(length: usize, format: Format) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(length as u64), ProgressDrawTarget::hidden());
    if format == Format::Human && std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::stderr());
        let style = ProgressStyle::with_template("{bar:40} {pos}/{len} {elapsed} {wide_msg}")
            .expect("the template is valid");
        bar.set_style(style);
    }
    bar
}

/// The notebooks found, or `None` after saying that there are none: a batch over nothing
/// is a mistake of the command line (a wrong folder), not a success.
fn found_or_fail(inputs: &[PathBuf]) -> Option<Vec<PathBuf>> {
    let notebooks = find_notebooks(inputs);
    if notebooks.is_empty() {
        let named: Vec<String> = inputs.iter().map(|p| p.display().to_string()).collect();
        to_stderr(&format!("error: no notebook found in {}", named.join(", ")));
        return None;
    }
    Some(notebooks)
}

/// `work` on one notebook; a panic (a bug of nblift) becomes that notebook's failure, so
/// that the others go on.
fn guarded<T>(path: &Path, format: Format, work: impl FnOnce() -> T) -> Result<T, Rendered> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(work)).map_err(|panic| {
        let message = panic
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| panic.downcast_ref::<&str>().copied())
            .unwrap_or("no message");
        let message =
            format!("nblift crashed on this notebook (a bug, please report it): {message}");
        Rendered::failure(path, &message, format)
    })
}

fn interrupted() -> Rendered {
    Rendered {
        status: Status::Interrupted,
        stdout: String::new(),
        diagnostics: Vec::new(),
    }
}

/// `nblift check` over every notebook found: each report in full.
pub fn run(inputs: &[PathBuf], format: Format, work: impl Fn(&Path) -> Rendered + Sync) -> Outcome {
    let Some(notebooks) = found_or_fail(inputs) else {
        return Outcome::Failure;
    };
    let bar = progress(notebooks.len(), format);
    let reports: Vec<Rendered> = notebooks
        .par_iter()
        .map(|path| {
            let rendered = guarded(path, format, || work(path)).unwrap_or_else(|failure| failure);
            bar.inc(1);
            rendered
        })
        .collect();
    bar.finish_and_clear();
    for rendered in &reports {
        rendered.print();
    }
    if format == Format::Human && notebooks.len() > 1 {
        to_stderr(&summary(&notebooks, &reports, "with errors"));
    }
    worst(reports.iter().map(Rendered::outcome))
}

/// `nblift convert` of several notebooks into OUT/<package>/ each.
pub fn convert_all(settings: &Settings) -> Outcome {
    let Some(notebooks) = found_or_fail(&settings.inputs) else {
        return Outcome::Failure;
    };
    let format = settings.format;
    // Two ticks per notebook: analysed, then written.
    let bar = progress(2 * notebooks.len(), format);
    // `Err`: the notebook's final report already (interrupted, or nblift crashed).
    let mut prepared: Vec<Result<Prepared, Rendered>> = notebooks
        .par_iter()
        .map(|path| {
            let prepared = if interrupt::requested() {
                Err(interrupted())
            } else {
                guarded(path, format, || prepare(path, None))
            };
            bar.inc(1);
            prepared
        })
        .collect();

    unique_names(&mut prepared);

    let reports: Vec<Rendered> = prepared
        .into_par_iter()
        .map(|prepared| {
            let rendered = match prepared {
                Err(rendered) => rendered,
                Ok(_) if interrupt::requested() => interrupted(),
                Ok(prepared) => {
                    let folder = match &prepared.package {
                        Some(Ok(name)) => settings.output.join(name),
                        _ => settings.output.clone(),
                    };
                    let path = prepared.path.clone();
                    guarded(&path, format, || {
                        finish(
                            prepared,
                            &folder,
                            settings,
                            &Default::default(),
                            settings.force,
                        )
                    })
                    .unwrap_or_else(|failure| failure)
                }
            };
            bar.inc(1);
            rendered
        })
        .collect();
    bar.finish_and_clear();

    for rendered in &reports {
        if format == Format::Json {
            to_stdout(&rendered.stdout);
            continue;
        }
        // A batch shows what went wrong (and, with `--dry-run`, what it would write);
        // `nblift check` shows every warning and note.
        for (severity, line) in &rendered.diagnostics {
            if *severity == Severity::Error {
                to_stderr(line);
            }
        }
        if settings.dry_run {
            to_stdout(&rendered.stdout);
        }
    }
    if format == Format::Human {
        to_stderr(&summary(&notebooks, &reports, "refused"));
    }
    worst(reports.iter().map(Rendered::outcome))
}

/// Package names made unique in input order (see [`compile::unique_names`]).
fn unique_names(prepared: &mut [Result<Prepared, Rendered>]) {
    compile::unique_names(
        prepared
            .iter_mut()
            .filter_map(|p| p.as_mut().ok()?.package.as_mut()?.as_mut().ok()),
    );
}

/// `nblift verify DIR… OUT`: every notebook found against the package that `nblift convert
/// DIR… -o OUT` wrote for it (`OUT/<package>/`, named as convert names them), in parallel.
/// Each report is printed whole, in input order, then a summary.
pub fn verify_all(
    template: &crate::verify::Settings<'_>,
    inputs: &[PathBuf],
    format: Format,
) -> Outcome {
    let Some(notebooks) = found_or_fail(inputs) else {
        return Outcome::Failure;
    };
    let mut prepared: Vec<Result<Prepared, Rendered>> = notebooks
        .par_iter()
        .map(|path| guarded(path, format, || prepare(path, None)))
        .collect();
    unique_names(&mut prepared);
    let bar = progress(notebooks.len(), format);
    let verified: Vec<Verified> = prepared
        .par_iter()
        .zip(&notebooks)
        .map(|(prepared, path)| {
            let not_verified = |message: String| Verified {
                outcome: Outcome::Failure,
                stdout: String::new(),
                error: Some(format!("error: {}: {message}", path.display())),
            };
            let verified = match prepared {
                Ok(Prepared {
                    package: Some(Ok(name)),
                    ..
                }) if !interrupt::requested() => {
                    let output = template.output.join(name);
                    let settings = crate::verify::Settings {
                        notebook: path,
                        output: &output,
                        ..*template
                    };
                    let front = prepared.as_ref().ok().and_then(Prepared::front);
                    guarded(path, format, || verify_one(&settings, front, format))
                        .unwrap_or_else(|_| not_verified("nblift crashed (a bug, please report it)".into()))
                }
                _ if interrupt::requested() => not_verified("interrupted".into()),
                _ => not_verified(
                    "no package to verify: `nblift convert` refuses this notebook (see `nblift check`)"
                        .into(),
                ),
            };
            bar.inc(1);
            verified
        })
        .collect();
    bar.finish_and_clear();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for report in &verified {
        report.print();
        *counts.entry(report.label()).or_default() += 1;
    }
    if format == Format::Human {
        let parts: Vec<String> = counts
            .iter()
            .map(|(label, count)| format!("{count} {label}"))
            .collect();
        to_stderr(&format!(
            "{} notebooks: {}",
            verified.len(),
            parts.join(", ")
        ));
    }
    worst(verified.iter().map(|v| v.outcome))
}

fn worst(outcomes: impl Iterator<Item = Outcome>) -> Outcome {
    let worst = outcomes.max().unwrap_or(Outcome::Success);
    if interrupt::requested() {
        Outcome::Interrupted
    } else {
        worst
    }
}

/// `N notebooks: A converted, B refused (NB201 ×2, …), C failed`, with each failure's
/// notebook and reason. `refused` names the notebooks with errors.
fn summary(notebooks: &[PathBuf], reports: &[Rendered], refused: &'static str) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    let mut refusals: BTreeMap<&str, usize> = BTreeMap::new();
    let mut failures = Vec::new();
    for (notebook, report) in notebooks.iter().zip(reports) {
        let label = match &report.status {
            Status::Converted => "converted",
            Status::DryRun => "would be converted",
            Status::Checked => "clean",
            Status::Refused(code) => {
                *refusals
                    .entry(code.map_or("error", |c| c.as_str()))
                    .or_default() += 1;
                refused
            }
            Status::Failed(message) => {
                failures.push(format!("{}: {message}", notebook.display()));
                "failed"
            }
            Status::Interrupted => "interrupted",
        };
        *counts.entry(label).or_default() += 1;
    }
    let mut parts: Vec<String> = Vec::new();
    for (label, count) in &counts {
        let mut part = format!("{count} {label}");
        if *label == refused {
            let codes: Vec<String> = refusals
                .iter()
                .map(|(code, n)| format!("{code} ×{n}"))
                .collect();
            part.push_str(&format!(" ({})", codes.join(", ")));
        }
        parts.push(part);
    }
    let mut text = format!("{} notebooks: {}", reports.len(), parts.join(", "));
    for failure in failures {
        text.push_str(&format!("\n  failed: {failure}"));
    }
    text
}
