//! `nblift verify`: equivalent on the runnable fixtures; a package edited so that nothing
//! printed changes is caught value by value, with the path where the values part; exit 3
//! when the package fails and 4 when the notebook does.

mod support;

use std::fs;
use std::path::Path;

use support::runs::convert;

/// Runs `nblift verify`; (exit code, stdout and stderr).
fn verify(notebook: &Path, output: &Path) -> (i32, String) {
    verify_with(notebook, output, &[])
}

fn verify_with(notebook: &Path, output: &Path, options: &[&str]) -> (i32, String) {
    let result = support::nblift()
        .arg("verify")
        .arg(notebook)
        .arg(output)
        .args(options)
        .arg("--python")
        .arg(support::python())
        .output()
        .expect("nblift runs");
    let (stdout, stderr) = support::text(&result);
    (
        result.status.code().unwrap_or(-1),
        format!("{stdout}{stderr}"),
    )
}

/// A notebook of one code cell in `dir`, converted into `dir/out`: (notebook, package folder).
fn one_cell_converted(dir: &Path, source: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    let notebook = dir.join("notebook.ipynb");
    let cells = serde_json::json!({
        "nbformat": 4, "nbformat_minor": 5, "metadata": {},
        "cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": null,
                   "source": source}],
    });
    fs::write(&notebook, cells.to_string()).unwrap();
    let out = dir.join("out");
    convert(&notebook, &out, &[]).unwrap();
    (notebook, out)
}

#[test]
fn a_package_changed_so_that_nothing_printed_changes_is_caught_value_by_value() {
    let notebook = support::fixtures().join("verify/values_nobody_prints.ipynb");
    let out = tempfile::tempdir().unwrap();
    let package = convert(&notebook, out.path(), &[]).unwrap();
    let steps = out.path().join("src").join(&package).join("steps.py");
    let original = fs::read_to_string(&steps).unwrap();
    let (code, report) = verify(&notebook, out.path());
    assert_eq!(code, 0, "{report}");
    assert!(report.contains("equivalent"), "{report}");

    // Each edit keeps stdout as it was; verify names where the values part.
    let edits = [
        (
            "frame[\"x\"] * 2",
            "frame[\"x\"] * 3",
            "frame['double'][0]: 2 (notebook) vs 3",
        ),
        (
            "frame[\"x\"] * 2",
            "frame[\"x\"] * 2.0",
            "frame['double'].dtype: int64 (notebook) vs float64",
        ),
        (
            "Ridge(alpha=0.5)",
            "Ridge(alpha=0.25)",
            "model.get_params()['alpha']: 0.5 (notebook) vs 0.25",
        ),
        (
            "seen.append(value * 10)",
            "seen.append(value * 10) if value < 4 else None",
            "len(seen): 4 (notebook) vs 3",
        ),
        (
            "\"rows\": len(frame)",
            "\"rows\": len(frame) + 1",
            "report.json:",
        ),
    ];
    for (from, to, expected) in edits {
        assert!(original.contains(from), "{from} is in steps.py");
        fs::write(&steps, original.replacen(from, to, 1)).unwrap();
        let (code, report) = verify(&notebook, out.path());
        assert_eq!(code, 1, "{to}: {report}");
        assert!(
            report.contains(expected),
            "{to}: expected {expected:?} in\n{report}"
        );
    }

    // A step that raises: the package failed, exit 3.
    fs::write(
        &steps,
        original.replacen("seen = []", "seen = [] + None", 1),
    )
    .unwrap();
    let (code, report) = verify(&notebook, out.path());
    assert_eq!(code, 3, "{report}");
    assert!(report.contains("TypeError"), "{report}");
}

#[test]
fn convert_with_verify_converts_then_verifies() {
    let notebook = support::fixtures().join("verify/values_nobody_prints.ipynb");
    let out = tempfile::tempdir().unwrap();
    let result = support::nblift()
        .arg("convert")
        .arg(&notebook)
        .arg("-o")
        .arg(out.path().join("pkg"))
        .args(["--verify", "--python"])
        .arg(support::python())
        .output()
        .unwrap();
    let (stdout, stderr) = support::text(&result);
    assert_eq!(result.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains("wrote package") && stdout.contains("equivalent"),
        "{stdout}"
    );
}

#[test]
fn values_that_differ_between_runs_of_the_notebook_are_unstable_under_repeat() {
    let dir = tempfile::tempdir().unwrap();
    let (notebook, out) = one_cell_converted(
        dir.path(),
        "import random\n\ndraws = [random.random() for _ in range(3)]\ncount = len(draws)\nprint(count)",
    );
    // Once: the draws differ from the package's.
    let (code, report) = verify(&notebook, &out);
    assert_eq!(code, 1, "{report}");
    assert!(report.contains("draws[0]"), "{report}");
    // Twice: they differ between the notebook's own runs too, so they are unstable.
    let (code, stdout) = verify_with(&notebook, &out, &["--repeat", "2"]);
    assert_eq!(code, 0, "{stdout}");
    assert!(
        stdout.contains("unstable") && stdout.contains("  draws"),
        "{stdout}"
    );
    assert!(stdout.contains("equivalent"), "{stdout}");
}

#[test]
fn a_notebook_that_fails_in_a_fresh_kernel_is_exit_4() {
    let dir = tempfile::tempdir().unwrap();
    let (notebook, out) = one_cell_converted(dir.path(), "values = [1, 2]\nprint(values[5])");
    let (code, report) = verify(&notebook, &out);
    assert_eq!(code, 4, "{report}");
    assert!(report.contains("IndexError"), "{report}");
}

#[test]
fn verify_finds_every_runnable_fixture_equivalent() {
    let notebooks = support::runnable_fixtures();
    let outcomes = support::parallel_map(&notebooks, 2, |notebook| {
        // The package goes outside the notebook's folder: verify copies that folder.
        let out = tempfile::tempdir().unwrap();
        let package = out.path().join("pkg");
        if let Err(error) = convert(notebook, &package, &[]) {
            return Some(format!("{}: {error}", notebook.display()));
        }
        let (code, report) = verify(notebook, &package);
        (code != 0).then(|| format!("{} (exit {code}):\n{report}", notebook.display()))
    });
    let failures: Vec<String> = outcomes.into_iter().flatten().collect();
    assert!(
        failures.is_empty(),
        "{} of {} fixtures not equivalent:\n{}",
        failures.len(),
        notebooks.len(),
        failures.join("\n")
    );
}
