//! The notebook's saved stdout, step by step, for the generated regression tests.
//!
//! A saved output is a fact about one run of the notebook. It is asserted only when that run
//! was top to bottom (every code cell ran, in page order); a line that cannot be stable
//! (memory addresses, timings, dates, numbers from unseeded randomness) is kept loose: the
//! test compares it with its numbers masked.

use crate::lift::Step;
use crate::notebook::notices::without_ipython_notices;
use crate::notebook::{CellKind, Notebook};

/// What the generated tests assert of the notebook's saved stdout.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SavedStdout {
    /// The notebook was saved without running or with its outputs cleared: nothing to
    /// assert.
    NotRun,
    /// Saved outputs exist but are not from one top-to-bottom run: why.
    NotTopToBottom(String),
    /// Per step, in page order: the lines its cells printed.
    Steps(Vec<StepStdout>),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StepStdout {
    pub step: String,
    pub lines: Vec<SavedLine>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SavedLine {
    pub text: String,
    /// Compared with numbers masked, and why.
    pub loose: Option<&'static str>,
}

pub fn saved_stdout(notebook: &Notebook, steps: &[Step]) -> SavedStdout {
    let code: Vec<_> = notebook
        .code_cells()
        .filter(|c| !c.source.trim().is_empty())
        .collect();
    // Saved without running, or with its outputs cleared: nothing was kept to assert.
    if code
        .iter()
        .all(|c| c.execution_count.is_none() || c.saved_stdout.is_none())
    {
        return SavedStdout::NotRun;
    }
    if let Some(cell) = code.iter().find(|c| c.execution_count.is_none()) {
        return SavedStdout::NotTopToBottom(format!("{} was not run", cell.id));
    }
    for pair in code.windows(2) {
        let (before, after) = (pair[0].execution_count, pair[1].execution_count);
        if after <= before {
            return SavedStdout::NotTopToBottom(format!(
                "{} ran before {}: execution counts {} and {}",
                pair[1].id,
                pair[0].id,
                after.unwrap_or_default(),
                before.unwrap_or_default()
            ));
        }
    }
    let unseeded = draws_unseeded(notebook);
    SavedStdout::Steps(
        steps
            .iter()
            .map(|step| {
                let text: String = step
                    .cells
                    .iter()
                    .map(|&id| notebook.cell(id))
                    .filter(|c| c.kind == CellKind::Code)
                    .filter_map(|c| c.saved_stdout.as_deref())
                    .collect();
                let lines = without_ipython_notices(&text)
                    .lines()
                    .map(|line| SavedLine {
                        text: line.to_owned(),
                        loose: unstable(line)
                            .or((unseeded && line.contains(|c: char| c.is_ascii_digit()))
                                .then_some("random numbers without a seed")),
                    })
                    .collect();
                StepStdout {
                    step: step.name.clone(),
                    lines,
                }
            })
            .collect(),
    )
}

/// Unseeded randomness anywhere makes every number the notebook prints loose.
pub fn draws_unseeded(notebook: &Notebook) -> bool {
    notebook.code_cells().any(|c| c.source.contains("random"))
        && !notebook.code_cells().any(|c| c.source.contains("seed"))
}

/// Why a printed line differs from run to run, if it looks like it does.
pub fn unstable(line: &str) -> Option<&'static str> {
    let lower = line.to_ascii_lowercase();
    if hex_address(line) {
        return Some("a memory address");
    }
    let timing_words = ["elapsed", "took", "time:", "seconds", " sec", " ms", "µs"];
    if timing_words.iter().any(|w| lower.contains(w)) && line.contains(|c: char| c.is_ascii_digit())
    {
        return Some("a timing");
    }
    if date_or_clock(line) {
        return Some("a date or time of day");
    }
    None
}

fn hex_address(line: &str) -> bool {
    line.match_indices("0x").any(|(at, _)| {
        line[at + 2..]
            .chars()
            .take_while(char::is_ascii_hexdigit)
            .count()
            >= 6
    })
}

/// `2026-11-25` or `12:30:05`.
fn date_or_clock(line: &str) -> bool {
    let shape: String = line
        .chars()
        .map(|c| if c.is_ascii_digit() { '9' } else { c })
        .collect();
    shape.contains("9999-99-99") || shape.contains("99:99:99")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unstable_lines_are_recognised() {
        assert_eq!(
            unstable("<Model at 0x7f3a2b1c9d00>"),
            Some("a memory address")
        );
        assert_eq!(unstable("training took 3.2 seconds"), Some("a timing"));
        assert_eq!(
            unstable("run at 2026-11-25 12:30:05"),
            Some("a date or time of day")
        );
        assert_eq!(unstable("mean 3.25, best 40.0"), None);
        assert_eq!(unstable("0x10 is sixteen"), None);
    }
}
