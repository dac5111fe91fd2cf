//! Analysis: parses every code cell and computes what each statement defines, reads,
//! mutates and deletes, builds the dataflow graph between cells, and reports hazards.
//!
//! Invariant: a cell that does not parse is reported and left out; every other cell is still
//! analysed, so one syntax error never hides the rest of the notebook's diagnostics.

pub mod builtins;
pub mod dataflow;
pub mod facts;
pub mod hazards;
pub mod parse;
pub mod visitor;

use crate::diagnostic::{CellId, Diagnostic};
use crate::notebook::magics::translate_cell;
use crate::notebook::{CellKind, Notebook};

pub use dataflow::DataflowGraph;
pub use facts::{Binding, ImportBinding, Name, Occurrence, StmtFacts, StmtKind};

/// One code cell, translated to Python and analysed.
#[derive(Clone, Debug)]
pub struct CodeCell {
    pub id: CellId,
    /// The cell's Python text (IPython syntax translated, same lines as the source).
    pub python: String,
    /// Facts of each top-level statement, in order; empty when the cell did not parse.
    pub statements: Vec<StmtFacts>,
    pub parsed: bool,
    /// Packages named by `pip install` lines in the cell.
    pub pip_packages: Vec<String>,
    /// Files the cell writes with `%%writefile`.
    pub written_files: Vec<String>,
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

pub fn analyze(notebook: &Notebook) -> (Analysis, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let mut cells = Vec::new();
    for cell in notebook.cells.iter().filter(|c| c.kind == CellKind::Code) {
        let translation = translate_cell(cell.id, &cell.source);
        diagnostics.extend(translation.diagnostics);
        let (statements, parsed) = match parse::parse_cell(cell.id, &translation.python) {
            Ok(statements) => (statements, true),
            Err(error) => {
                diagnostics.push(error);
                (Vec::new(), false)
            }
        };
        cells.push(CodeCell {
            id: cell.id,
            python: translation.python,
            statements,
            parsed,
            pip_packages: translation.pip_packages,
            written_files: translation.written_files,
        });
    }
    let graph = dataflow::build(&cells);
    diagnostics.extend(hazards::find(notebook, &cells));
    (Analysis { cells, graph }, diagnostics)
}
