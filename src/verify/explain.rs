//! The static findings that explain what the runs found: the diagnostics that predicted a
//! notebook's failure in a fresh kernel, and the reproducibility findings behind a value that
//! differs between the notebook's own runs. Both are chosen from the same analysis `check`
//! reports; rendering them is the driver's job.

use rustc_hash::FxHashSet;

use crate::analysis::Analysis;
use crate::analysis::reproducibility::{Seeding, draws_unseeded};
use crate::diagnostic::{CellId, Code, Diagnostic, Location};

fn cell_of(diagnostic: &Diagnostic) -> Option<CellId> {
    match diagnostic.location {
        Location::Cell(span) => Some(span.cell),
        _ => None,
    }
}

/// The diagnostics located in the cell that failed.
pub fn failure(diagnostics: &[Diagnostic], failed: CellId) -> Vec<&Diagnostic> {
    diagnostics
        .iter()
        .filter(|d| cell_of(d) == Some(failed))
        .collect()
}

/// The unseeded-randomness findings of the cells whose statements `name`'s final value
/// comes from: the statements that bind or change it, and, going back through the notebook,
/// those that bind or change what they read (now, or late in a function they call), as far
/// as one of them draws random numbers without a seed.
pub fn unstable<'a>(
    analysis: &Analysis,
    diagnostics: &'a [Diagnostic],
    name: &str,
) -> Vec<&'a Diagnostic> {
    let seeding = Seeding::of(&analysis.cells);
    // One pass backwards over the statements. Every earlier binding of a name still needed
    // counts (a binding on some paths does not hide the one before it): the slice may be
    // larger than the truth, never smaller.
    let mut needed: FxHashSet<&str> = FxHashSet::default();
    needed.insert(name);
    let mut drawing: FxHashSet<CellId> = FxHashSet::default();
    for cell in analysis.cells.iter().rev() {
        for statement in cell.statements.iter().rev() {
            let produces = statement
                .binds
                .iter()
                .map(|b| b.name.as_str())
                .chain(statement.mutates.iter().map(|o| o.name.as_str()))
                .any(|n| needed.contains(n));
            if !produces {
                continue;
            }
            let reads = statement.reads.iter().chain(&statement.late_reads);
            needed.extend(reads.chain(&statement.mutates).map(|o| o.name.as_str()));
            let text = cell
                .python
                .get(usize::from(statement.range.start())..usize::from(statement.range.end()));
            if text.is_some_and(|text| draws_unseeded(text, seeding)) {
                drawing.insert(cell.id);
            }
        }
    }
    diagnostics
        .iter()
        .filter(|d| d.code == Code::UnseededRandomness)
        .filter(|d| cell_of(d).is_some_and(|cell| drawing.contains(&cell)))
        .collect()
}
