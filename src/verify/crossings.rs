//! Which values the exports' tasks cannot hand from one to the next: the package run once,
//! its tasks in order as an engine runs them, each value a later task takes tried with
//! cloudpickle (`python -m PKG --crossings FILE`, in `_nblift_verify.py`).

use std::fs;
use std::path::Path;

use crate::lift::tasks::Uncarried;
use crate::verify::{DEFAULT_TIMEOUT, Runner};

/// The values no task of the package in `output` can hand on, run with `python` in a copy of
/// the notebook's folder; `Err` when the run itself fails.
pub fn uncarried(notebook: &Path, output: &Path, python: &Path) -> Result<Vec<Uncarried>, String> {
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
