//! What the exports' tasks would lose from one to the next: the package run once, its tasks
//! in order as an engine runs them (`python -m PKG --crossings FILE`, in
//! `_nblift_verify.py`). Each value a later task takes is tried with cloudpickle, and the
//! values handed on past each task are looked at for objects they share.

use std::fs;
use std::path::Path;

use crate::lift::Observed;
use crate::verify::{DEFAULT_TIMEOUT, Runner};

/// What the tasks of the package in `output` would lose, run with `python` in a copy of the
/// notebook's folder; `Err` when the run itself fails.
pub fn observed(notebook: &Path, output: &Path, python: &Path) -> Result<Observed, String> {
    let (runner, _scratch) = Runner::new(notebook, output, python, DEFAULT_TIMEOUT)?;
    let run = runner.package("crossings", &["--crossings"])?;
    if let Some(error) = run.failure() {
        return Err(format!("the package failed: {error}"));
    }
    let file = runner.written("crossings", "--crossings");
    let text =
        fs::read_to_string(&file).map_err(|e| format!("cannot read `{}`: {e}", file.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("`{}` does not read: {e}", file.display()))
}
