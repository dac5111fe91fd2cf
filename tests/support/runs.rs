//! Running notebooks in a fresh kernel and packages as `python -m PKG`: what each printed
//! and showed, for the suites that compare them.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

/// Converts a notebook; returns the package name, or the failure text.
pub fn convert(notebook: &Path, output: &Path, flags: &[&str]) -> Result<String, String> {
    let result = super::nblift()
        .arg("convert")
        .arg(notebook)
        .arg("-o")
        .arg(output)
        .args(["--force", "--format", "json"])
        .args(flags)
        .output()
        .expect("nblift runs");
    let (stdout, stderr) = super::text(&result);
    if !result.status.success() {
        return Err(format!(
            "convert exited {}: {stdout}{stderr}",
            result.status
        ));
    }
    let report: Value = serde_json::from_str(stdout.trim())
        .map_err(|e| format!("bad JSON report: {e}: {stdout}"))?;
    Ok(report["package"].as_str().unwrap_or_default().to_owned())
}

pub fn normalise(stdout: &str) -> String {
    super::without_ipython_notices(stdout)
}

/// A notebook to run in a fresh kernel, from `cwd`, with papermill-style parameters.
pub struct KernelJob {
    pub notebook: PathBuf,
    pub cwd: PathBuf,
    pub params: BTreeMap<String, String>,
}

/// What a run printed and showed.
pub struct Run {
    pub stdout: String,
    /// Comparable shown results: (cell, text).
    pub results: Vec<(i64, String)>,
}

/// Runs notebooks in fresh kernels, two at a time: what each printed and showed, or the error.
pub fn run_in_kernels(jobs: &[KernelJob]) -> Vec<Result<Run, String>> {
    let scratch = tempfile::tempdir().unwrap();
    let jobs_file = scratch.path().join("jobs.json");
    let list: Vec<Value> = jobs
        .iter()
        .map(|job| json!({"notebook": job.notebook, "cwd": job.cwd, "params": job.params}))
        .collect();
    fs::write(&jobs_file, serde_json::to_string(&list).unwrap()).unwrap();
    let output = Command::new(super::python())
        .arg(super::root().join("tests/support/nbrun.py"))
        .arg(&jobs_file)
        .output()
        .expect("nbrun.py runs");
    let (stdout, stderr) = super::text(&output);
    assert!(output.status.success(), "nbrun.py failed: {stderr}");
    let results: Vec<Value> = serde_json::from_str(&stdout).expect("nbrun.py prints JSON");
    results
        .into_iter()
        .map(|r| match r["error"].as_str() {
            Some(error) => Err(error.to_owned()),
            None => Ok(Run {
                stdout: r["stdout"].as_str().unwrap_or_default().to_owned(),
                results: super::comparable_results(&r["results"]),
            }),
        })
        .collect()
}

/// Runs `python -m PACKAGE ARGS` from `cwd` with the package of `output` on the path, and
/// the variables `env` set.
pub fn run_package(
    python: &Path,
    output: &Path,
    package: &str,
    cwd: &Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> Result<Run, String> {
    let results = tempfile::NamedTempFile::new().unwrap();
    let result = Command::new(python)
        .args(["-m", package])
        .args(args)
        .arg("--results")
        .arg(results.path())
        .env("PYTHONPATH", output.join("src"))
        .env("MPLBACKEND", "Agg")
        .envs(env.iter().copied())
        .current_dir(cwd)
        .output()
        .expect("python runs");
    let (stdout, stderr) = super::text(&result);
    if !result.status.success() {
        return Err(format!("exit {}:\n{stdout}\n{stderr}", result.status));
    }
    let shown: Value =
        serde_json::from_str(&fs::read_to_string(results.path()).unwrap_or_default())
            .map_err(|e| format!("--results wrote no JSON: {e}"))?;
    Ok(Run {
        stdout,
        results: super::comparable_results(&shown),
    })
}
