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
pub mod secrets;
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

/// Translates and parses one cell on its own; `postponed_annotations`: an earlier cell
/// imported `from __future__ import annotations`.
pub fn parse_code_cell(cell: &crate::notebook::Cell, postponed_annotations: bool) -> ParsedCell {
    let translation = translate_cell(cell.id, &cell.source);
    let parsed = parse::parse_cell(cell.id, &translation.python, postponed_annotations);
    (translation, parsed)
}

/// The cell imports `from __future__ import annotations`: IPython compiles every later cell
/// with annotations postponed.
fn postpones_annotations(cell: &CodeCell) -> bool {
    cell.statements.iter().any(|s| match &s.kind {
        StmtKind::Import(bindings) => bindings
            .iter()
            .any(|b| b.module == "__future__" && b.name.as_deref() == Some("annotations")),
        _ => false,
    })
}

pub fn analyze(notebook: &Notebook) -> (Analysis, Vec<Diagnostic>) {
    analyze_with(notebook, parse_code_cell)
}

/// [`analyze`], with each cell's translation and parse from `parse_cell`: the cross-cell
/// passes (the `$name` check, the dataflow graph, hazards) always run over the whole notebook.
pub fn analyze_with(
    notebook: &Notebook,
    mut parse_cell: impl FnMut(&crate::notebook::Cell, bool) -> ParsedCell,
) -> (Analysis, Vec<Diagnostic>) {
    let code_cells: Vec<&crate::notebook::Cell> = notebook
        .cells
        .iter()
        .filter(|c| c.kind == CellKind::Code)
        .collect();
    // Each cell becomes its `CodeCell` at once; only the few cells with diagnostics or `$name`
    // arguments keep anything else, so a large notebook is never held twice.
    let mut cells = Vec::with_capacity(code_cells.len());
    let mut pending: Vec<Pending> = Vec::new();
    // Whether cells from here on are compiled with annotations postponed, per cell.
    let mut postponed = Vec::with_capacity(code_cells.len());
    let mut postponing = false;
    for (index, cell) in code_cells.iter().enumerate() {
        postponed.push(postponing);
        let (code_cell, rest) = code_cell(index, cell, parse_cell(cell, postponing));
        postponing |= postpones_annotations(&code_cell);
        cells.push(code_cell);
        pending.extend(rest);
    }

    // `$name` in a shell command is a Python variable only if the notebook binds it (else the
    // shell expands it, like `$HOME`), which is known once every cell is parsed.
    let bound: FxHashSet<&'static str> = if pending.iter().any(|rest| !rest.dollar_names.is_empty())
    {
        cells
            .iter()
            .flat_map(|c| &c.statements)
            .flat_map(|s| {
                s.binds
                    .iter()
                    .map(|b| b.name.as_str())
                    .chain(s.globals().iter().map(Name::as_str))
            })
            .collect()
    } else {
        FxHashSet::default()
    };
    for rest in &mut pending {
        if rest.dollar_names.iter().all(|n| bound.contains(n.as_str())) {
            continue;
        }
        let cell = code_cells[rest.index];
        let translation = translate_cell_with(cell.id, &cell.source, &|name| bound.contains(name));
        let parsed = parse::parse_cell(cell.id, &translation.python, postponed[rest.index]);
        let (code_cell, again) = code_cell(rest.index, cell, (translation, parsed));
        cells[rest.index] = code_cell;
        rest.diagnostics = again.map(|again| again.diagnostics).unwrap_or_default();
    }

    let mut diagnostics: Vec<Diagnostic> = pending
        .into_iter()
        .flat_map(|rest| rest.diagnostics)
        .collect();
    let graph = dataflow::build(&cells);
    diagnostics.extend(hazards::find(notebook, &cells));
    diagnostics.extend(reproducibility::find(notebook, &cells));
    diagnostics.extend(secrets::find(&cells));
    (Analysis { cells, graph }, diagnostics)
}

/// What a cell's translation and parse leave besides its [`CodeCell`]: its diagnostics and
/// its `$name` arguments. `index` is the cell's among the code cells.
struct Pending {
    index: usize,
    dollar_names: Vec<String>,
    diagnostics: Vec<Diagnostic>,
}

fn code_cell(
    index: usize,
    cell: &crate::notebook::Cell,
    (translation, parsed): ParsedCell,
) -> (CodeCell, Option<Pending>) {
    let mut diagnostics = translation.diagnostics;
    let (statements, parsed) = match parsed {
        Ok(statements) => (statements, true),
        Err(error) => {
            diagnostics.push(error);
            (Vec::new(), false)
        }
    };
    let code_cell = CodeCell {
        id: cell.id,
        first_line: cell.first_line,
        python: translation.python,
        statements,
        parsed,
        // A notebook keeps one `CodeCell` per cell: these lists, nearly always empty,
        // take a pointer each, not three words.
        pip_packages: translation.pip_packages.into_iter().collect(),
        written_files: translation.written_files.into_iter().collect(),
    };
    let dollar_names = translation.dollar_names;
    let rest = (!diagnostics.is_empty() || !dollar_names.is_empty()).then_some(Pending {
        index,
        dollar_names,
        diagnostics,
    });
    (code_cell, rest)
}
