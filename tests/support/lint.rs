//! Lint findings of generated packages that the notebook's own code does not have. The
//! notebook is linted as the script IPython runs (`notebook_script.py`); a finding of the
//! package with the same code and message as one of the notebook's is the notebook's (an
//! unused variable inside its function, a display expression), the rest the conversion's.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// `ruff check` (default rules, or `select`) over `paths`: (file, "CODE message") per
/// finding, with line numbers taken out of messages so that findings compare across files.
pub fn ruff_findings(paths: &[&Path], select: Option<&str>) -> Vec<(String, String)> {
    let mut command = Command::new(super::venv_tool("ruff"));
    // Not `--isolated`: a package's own `[tool.ruff]` (the builtins its support module
    // provides) applies.
    command.args([
        "check",
        "--no-cache",
        "--output-format",
        "json",
        "--exit-zero",
    ]);
    if let Some(select) = select {
        command.args(["--select", select]);
    }
    let output = command.args(paths).output().unwrap();
    let findings: Value = serde_json::from_slice(&output.stdout).unwrap_or(Value::Null);
    findings
        .as_array()
        .into_iter()
        .flatten()
        .map(|finding| {
            let message = finding["message"].as_str().unwrap_or_default();
            let message = match message.find(" from line ") {
                Some(at) => &message[..at],
                None => message,
            };
            // A pointless comparison is the same finding whether or not it ends a function
            // (a step ends where a cell did, a cell's displayed `x < 3` among them).
            let message = message
                .strip_suffix(" at end of function scope. Did you mean to return the expression result?")
                .map_or(message, |m| m);
            let message = if message == "Pointless comparison" {
                "Pointless comparison. Did you mean to assign a value? Otherwise, prepend `assert` or remove it."
            } else {
                message
            };
            (
                finding["filename"].as_str().unwrap_or_default().to_owned(),
                format!("{} {message}", finding["code"].as_str().unwrap_or_default()),
            )
        })
        .collect()
}

/// Writes each notebook of `jobs` as the script IPython runs, at the path beside it.
pub fn write_notebook_scripts(jobs: &[(PathBuf, PathBuf)], scratch: &Path) {
    let jobs_file = scratch.join("jobs.json");
    fs::write(&jobs_file, serde_json::to_string(jobs).unwrap()).unwrap();
    let status = Command::new(super::python())
        .arg(super::root().join("tests/support/notebook_script.py"))
        .arg(&jobs_file)
        .status()
        .unwrap();
    assert!(status.success(), "notebook_script.py failed");
}

/// The notebooks' own findings, keyed by script path, from the scripts in `scripts` that
/// `write_notebook_scripts` wrote: those of each script as a module, and those its code has
/// as a function body (an unused local, an unused unpacked name, a redefinition), each kind
/// counted as often as the larger of the two has it.
pub fn notebook_findings(scripts: &Path, select: Option<&str>) -> BTreeMap<PathBuf, Vec<String>> {
    let mut as_module: BTreeMap<PathBuf, Vec<String>> = BTreeMap::new();
    let mut as_function: BTreeMap<PathBuf, Vec<String>> = BTreeMap::new();
    for (file, key) in ruff_findings(&[scripts], select) {
        match file.strip_suffix(".in_function.py") {
            Some(stem) => as_function
                .entry(PathBuf::from(format!("{stem}.py")))
                .or_default()
                .push(key),
            None => as_module.entry(PathBuf::from(file)).or_default().push(key),
        }
    }
    for (script, keys) in as_function {
        let module = as_module.entry(script).or_default();
        let mut counts: HashMap<&String, isize> = HashMap::new();
        for key in module.iter() {
            *counts.entry(key).or_default() += 1;
        }
        let mut extra = Vec::new();
        for key in &keys {
            let count = counts.entry(key).or_default();
            *count -= 1;
            if *count < 0 {
                extra.push(key.clone());
            }
        }
        module.extend(extra);
    }
    as_module
}

/// The findings of `package` (file, key) that `inherited` (the notebook's keys) does not
/// account for, each inherited finding accounting for one. The first of each pair is only
/// carried along (a file, or what a report shows).
///
/// An import the notebook redoes before reading it is one finding in the notebook (F811, the
/// redefinition of an unused name) and another in the step that holds the first import, where
/// it is unused (F401): the same dead import, so the second accounts for the first.
pub fn introduced(package: &[(String, String)], inherited: &[String]) -> Vec<(String, String)> {
    let mut left: HashMap<String, usize> = HashMap::new();
    for key in inherited {
        *left.entry(key.clone()).or_default() += 1;
    }
    let mut take = |key: &str| match left.get_mut(key) {
        Some(n) if *n > 0 => {
            *n -= 1;
            true
        }
        _ => false,
    };
    package
        .iter()
        .filter(|(_, key)| !(take(key) || redone_import(key).is_some_and(|k| take(&k))))
        .cloned()
        .collect()
}

/// For "F401 `a.b` imported but unused", the notebook's finding for the same dead import:
/// "F811 Redefinition of unused `b`".
fn redone_import(key: &str) -> Option<String> {
    let module = key
        .strip_prefix("F401 `")?
        .strip_suffix("` imported but unused")?;
    let name = module.rsplit('.').next()?;
    Some(format!("F811 Redefinition of unused `{name}`"))
}
