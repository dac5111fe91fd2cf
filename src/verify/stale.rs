//! Saved outputs a fresh run no longer prints: each cell's saved stdout against what the same
//! cell printed in verify's fresh kernel run. A line that cannot be stable (a memory address,
//! a timing, a date, numbers from unseeded randomness) compares with its digits masked, as
//! the generated tests compare it.

use serde::Serialize;
use serde_json::Value;

use crate::lift::saved::unstable;
use crate::notebook::Notebook;
use crate::notebook::notices::without_ipython_notices;

/// A cell whose saved stdout is not what a fresh run prints: the first line where they part.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StaleOutput {
    /// The cell's index on the page (0-based).
    pub cell: u32,
    pub saved: String,
    pub fresh: String,
}

/// `fresh` is the kernel run's `cell_stdout`: `[[index, text], …]` for the cells it ran;
/// `unseeded`: the notebook draws random numbers without a seed.
pub fn stale_outputs(notebook: &Notebook, fresh: &Value, unseeded: bool) -> Vec<StaleOutput> {
    let masked = |line: &str| -> String {
        if unseeded || unstable(line).is_some() {
            line.chars()
                .map(|c| if c.is_ascii_digit() { '9' } else { c })
                .collect()
        } else {
            line.to_owned()
        }
    };
    fresh
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|entry| {
            let index = u32::try_from(entry[0].as_u64()?).ok()?;
            let cell = notebook.cells.get(index as usize)?;
            let saved = without_ipython_notices(cell.saved_stdout.as_deref()?);
            let now = without_ipython_notices(entry[1].as_str()?);
            let (saved_lines, fresh_lines): (Vec<&str>, Vec<&str>) =
                (saved.lines().collect(), now.lines().collect());
            let length = saved_lines.len().max(fresh_lines.len());
            let at = (0..length).find(|&i| {
                saved_lines.get(i).map(|l| masked(l)) != fresh_lines.get(i).map(|l| masked(l))
            })?;
            let line = |lines: &[&str]| {
                lines
                    .get(at)
                    .map_or("<nothing>".to_owned(), |l| (*l).to_owned())
            };
            Some(StaleOutput {
                cell: index,
                saved: line(&saved_lines),
                fresh: line(&fresh_lines),
            })
        })
        .collect()
}
