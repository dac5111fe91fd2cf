//! A document's analysis, kept current as the editor changes it.
//!
//! Translating and parsing a cell is most of the analysis, and depends on the cell alone (and
//! on whether an earlier cell postponed annotations): each document keeps the parse of every
//! cell by its text, so a change to one cell parses that cell again and reuses the others. The cross-cell passes (dataflow, hazards) are linear and
//! run over the whole notebook each time, as `convert` runs them.

use rustc_hash::FxHashMap;

use crate::analysis::{Analysis, ParsedCell, analyze_with, parse_code_cell};
use crate::diagnostic::{CellId, Diagnostic, Location};
use crate::notebook::Notebook;

/// Parses of a document's cells by text and "annotations postponed". A cell that moved (a cell inserted above it) keeps
/// its parse; only its diagnostics are told their new cell.
#[derive(Default)]
pub struct ParseCache {
    parses: FxHashMap<(String, bool), ParsedCell>,
}

/// A document analysed as the editor shows it.
pub struct Analysed {
    pub notebook: Notebook,
    pub analysis: Analysis,
    pub diagnostics: Vec<Diagnostic>,
    /// How many cells were parsed for this analysis (the rest came from the cache).
    pub parsed_cells: usize,
}

impl ParseCache {
    /// Analyses `notebook`, parsing only cells whose text is new; the cache then holds the
    /// parses of this notebook's cells only.
    pub fn analyse(&mut self, notebook: Notebook) -> Analysed {
        let mut previous = std::mem::take(&mut self.parses);
        let mut parsed_cells = 0;
        let (analysis, diagnostics) = analyze_with(&notebook, |cell, postponed| {
            let key = (cell.source.clone(), postponed);
            let parsed = match previous.get(&key) {
                Some(parsed) => moved_to(parsed.clone(), cell.id),
                None => {
                    parsed_cells += 1;
                    parse_code_cell(cell, postponed)
                }
            };
            self.parses.insert(key, parsed.clone());
            parsed
        });
        previous.clear();
        Analysed {
            notebook,
            analysis,
            diagnostics,
            parsed_cells,
        }
    }
}

/// A parse made for another cell, its diagnostics pointing at `cell`.
fn moved_to((mut translation, mut parsed): ParsedCell, cell: CellId) -> ParsedCell {
    let diagnostics = translation
        .diagnostics
        .iter_mut()
        .chain(parsed.as_mut().err());
    for diagnostic in diagnostics {
        if let Location::Cell(span) = &mut diagnostic.location {
            span.cell = cell;
        }
    }
    (translation, parsed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::notebook::load_percent;

    #[test]
    fn a_change_to_one_cell_parses_that_cell_only() {
        let mut cache = ParseCache::default();
        let first = cache.analyse(load_percent("# %%\nx = 1\n# %%\ny = x\n# %%\nprint(y)\n"));
        assert_eq!(first.parsed_cells, 3);
        let second = cache.analyse(load_percent(
            "# %%\nx = 1\n# %%\ny = x + 1\n# %%\nprint(y)\n",
        ));
        assert_eq!(second.parsed_cells, 1);
        assert_eq!(second.analysis.cells[1].python, "y = x + 1");
        assert!(second.diagnostics.is_empty());
        // A cell inserted at the top is the only one parsed; a syntax error below it moves
        // with its cell.
        cache.analyse(load_percent("# %%\nx = (\n# %%\nprint(x)\n"));
        let moved = cache.analyse(load_percent("# %%\nz = 0\n# %%\nx = (\n# %%\nprint(x)\n"));
        assert_eq!(moved.parsed_cells, 1);
        let Location::Cell(span) = moved.diagnostics[0].location else {
            panic!("a syntax error is in a cell")
        };
        assert_eq!(span.cell, CellId(1));
    }
}
