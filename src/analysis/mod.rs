//! Analysis: parses every code cell and computes what each statement defines, reads,
//! mutates and deletes, builds the dataflow graph between cells, and reports hazards.
//!
//! Invariant: a cell that does not parse is reported and left out; every other cell is still
//! analysed, so one syntax error never hides the rest of the notebook's diagnostics.

pub mod builtins;
pub mod dataflow;
pub mod facts;
pub mod files;
pub mod hazards;
pub mod parse;
pub mod reproducibility;
pub mod visitor;

use crate::diagnostic::{CellId, Diagnostic};

use rustc_hash::FxHashSet;
use thin_vec::ThinVec;

use crate::notebook::magics::{Translation, translate_cell, translate_cell_with};
use crate::notebook::{CellKind, Notebook};

pub use dataflow::DataflowGraph;
pub use facts::{Binding, ImportBinding, Name, Occurrence, StmtFacts, StmtKind};

/// One code cell, translated to Python and analysed.
#[derive(Clone, Debug)]
pub struct CodeCell {
    pub id: CellId,
    /// The file line where the cell's text starts (see [`crate::notebook::Cell::first_line`]).
    pub first_line: u32,
    /// The cell's Python text (IPython syntax translated, same lines as the source).
    pub python: String,
    /// Facts of each top-level statement, in order; empty when the cell did not parse.
    pub statements: Vec<StmtFacts>,
    pub parsed: bool,
    /// Packages named by `pip install` lines in the cell.
    pub pip_packages: ThinVec<String>,
    /// Files the cell writes with `%%writefile`.
    pub written_files: ThinVec<String>,
}

#[derive(Clone, Debug)]
pub struct Analysis {
    /// The code cells in page order.
    pub cells: Vec<CodeCell>,
    pub graph: DataflowGraph,
}

impl Analysis {
    /// Every statement of every parsed cell, in page order.
    pub fn statements(&self) -> impl Iterator<Item = (CellId, &StmtFacts)> {
        self.cells
            .iter()
            .flat_map(|c| c.statements.iter().map(move |s| (c.id, s)))
    }

    pub fn cell(&self, id: CellId) -> Option<&CodeCell> {
        self.cells.iter().find(|c| c.id == id)
    }
}

/// A code cell translated and parsed: the part of the analysis that depends on the cell
/// alone, which an editor session keeps for cells that did not change.
pub type ParsedCell = (Translation, Result<Vec<StmtFacts>, Diagnostic>);

/// Translates and parses one cell on its own.
pub fn parse_code_cell(cell: &crate::notebook::Cell) -> ParsedCell {
    let translation = translate_cell(cell.id, &cell.source);
    let parsed = parse::parse_cell(cell.id, &translation.python);
    (translation, parsed)
}

pub fn analyze(notebook: &Notebook) -> (Analysis, Vec<Diagnostic>) {
    analyze_with(notebook, parse_code_cell)
}

/// [`analyze`], with each cell's translation and parse from `parse_cell`: the cross-cell
/// passes (the `$name` check, the dataflow graph, hazards) always run over the whole notebook.
pub fn analyze_with(
    notebook: &Notebook,
    mut parse_cell: impl FnMut(&crate::notebook::Cell) -> ParsedCell,
) -> (Analysis, Vec<Diagnostic>) {
    let code_cells: Vec<&crate::notebook::Cell> = notebook
        .cells
        .iter()
        .filter(|c| c.kind == CellKind::Code)
        .collect();
    let mut translated: Vec<ParsedCell> = code_cells.iter().map(|cell| parse_cell(cell)).collect();

    // `$name` in a shell command is a Python variable only if the notebook binds it (else the
    // shell expands it, like `$HOME`), which is known once every cell is parsed.
    // Interned names outlive `translated`, which is rewritten below.
    let bound: FxHashSet<&'static str> = translated
        .iter()
        .filter_map(|(_, parsed)| parsed.as_ref().ok())
        .flatten()
        .flat_map(|s| {
            s.binds
                .iter()
                .map(|b| b.name.as_str())
                .chain(s.globals().iter().map(Name::as_str))
        })
        .collect();
    let retranslate: Vec<usize> = translated
        .iter()
        .enumerate()
        .filter(|(_, (t, _))| t.dollar_names.iter().any(|n| !bound.contains(n.as_str())))
        .map(|(i, _)| i)
        .collect();
    for index in retranslate {
        let cell = code_cells[index];
        let translation = translate_cell_with(cell.id, &cell.source, &|name| bound.contains(name));
        let parsed = parse::parse_cell(cell.id, &translation.python);
        translated[index] = (translation, parsed);
    }

    let mut diagnostics = Vec::new();
    let mut cells = Vec::with_capacity(code_cells.len());
    for (cell, (translation, parsed)) in code_cells.iter().zip(translated) {
        diagnostics.extend(translation.diagnostics);
        let (statements, parsed) = match parsed {
            Ok(statements) => (statements, true),
            Err(error) => {
                diagnostics.push(error);
                (Vec::new(), false)
            }
        };
        cells.push(CodeCell {
            id: cell.id,
            first_line: cell.first_line,
            python: translation.python,
            statements,
            parsed,
            // A notebook keeps one `CodeCell` per cell: these lists, nearly always empty,
            // take a pointer each, not three words.
            pip_packages: translation.pip_packages.into_iter().collect(),
            written_files: translation.written_files.into_iter().collect(),
        });
    }
    let graph = dataflow::build(&cells);
    diagnostics.extend(hazards::find(notebook, &cells));
    diagnostics.extend(reproducibility::find(notebook, &cells));
    (Analysis { cells, graph }, diagnostics)
}
