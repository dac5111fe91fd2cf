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
    /// The steps after it that go on with its last cell (a long cell cut between its
    /// statements): what they print is compared with its own, as the cell printed it all.
    pub continued_by: Vec<String>,
    pub lines: Vec<SavedLine>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SavedLine {
    pub text: String,
    /// Compared with numbers masked, and why.
    pub loose: Option<&'static str>,
}

/// `unseeded`: the notebook draws random numbers without a seed
/// ([`any_draws_unseeded`](crate::analysis::reproducibility::any_draws_unseeded)), so every
/// number it prints is loose.
pub fn saved_stdout(notebook: &Notebook, steps: &[Step], unseeded: bool) -> SavedStdout {
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
    let mut saved: Vec<StepStdout> = Vec::with_capacity(steps.len());
    let mut last_cell = None;
    for step in steps {
        // A step that opens with the cell the step before it ended in goes on with that cell.
        let continues = step.cells.first().is_some_and(|c| Some(*c) == last_cell);
        last_cell = step.cells.last().copied();
        let cells = &step.cells[usize::from(continues)..];
        let lines = cells
            .iter()
            .map(|&id| notebook.cell(id))
            .filter(|c| c.kind == CellKind::Code)
            .filter_map(|c| Some((c, c.saved_stdout.as_deref()?)))
            .flat_map(|(cell, text)| saved_lines(cell.source.as_str(), text, unseeded));
        match saved.last_mut() {
            Some(open) if continues => {
                open.continued_by.push(step.name.clone());
                open.lines.extend(lines);
            }
            _ => saved.push(StepStdout {
                step: step.name.clone(),
                continued_by: Vec::new(),
                lines: lines.collect(),
            }),
        }
    }
    SavedStdout::Steps(saved)
}

/// A cell's saved stdout as lines to assert, each loose where it cannot be stable.
fn saved_lines(source: &str, text: &str, unseeded: bool) -> Vec<SavedLine> {
    let writes_file = source.trim_start().starts_with("%%writefile");
    without_ipython_notices(text)
        .lines()
        .map(|line| SavedLine {
            text: line.to_owned(),
            loose: unstable(line)
                .or((writes_file && writefile_notice(line)).then_some(WRITEFILE_NOTICE))
                .or((unseeded && line.contains(|c: char| c.is_ascii_digit()))
                    .then_some("random numbers without a seed")),
        })
        .collect()
}

/// Why `%%writefile`'s notice differs from run to run; the generated test compares
/// `Overwriting` as `Writing`.
const WRITEFILE_NOTICE: &str =
    "a `%%writefile` notice (`Writing` in a fresh folder, `Overwriting` once the file exists)";

/// `Writing f.py` or `Overwriting f.py`, as `%%writefile` prints them.
fn writefile_notice(line: &str) -> bool {
    line.starts_with("Writing ") || line.starts_with("Overwriting ")
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
