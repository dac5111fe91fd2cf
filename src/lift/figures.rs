//! Figures between cells. Jupyter's inline plotting backend shows every open figure after
//! each cell and closes it, so a later cell that plots without making a figure first starts
//! a new one. A plain interpreter keeps figures open: the later cell would draw into the
//! earlier figure, and a `savefig` would write both. Steps of a notebook that plots close
//! the figures after each cell when the kernel would have: always after `%matplotlib inline`
//! (the magic picks the backend whatever the environment says), else when the environment
//! picks no other backend (`MPLBACKEND`, which the kernel obeys too), decided at run time.
//! A notebook that picks another backend keeps its figures. Only cells that may draw close
//! them: a cell that uses a plotting module, calls pandas' plotting, or calls a function the
//! notebook defines (which may draw).

use std::collections::BTreeSet;

use rustc_hash::FxHashSet;

use crate::analysis::{Analysis, StmtKind};
use crate::notebook::Notebook;

/// Modules that draw with matplotlib.
const PLOTTING: &[&str] = &["matplotlib", "seaborn", "pylab", "plotnine"];

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Figures {
    /// The notebook does not plot, or picks a backend that keeps figures open.
    Kept,
    /// Closed after each cell unless `MPLBACKEND` names another backend.
    ClosedByDefault,
    /// `%matplotlib inline`: closed after each cell.
    ClosedInline,
}

/// pandas draws with matplotlib without the notebook importing it.
const PANDAS_PLOTTING: &[&str] = &[".plot(", ".plot.", ".hist(", ".boxplot(", "scatter_matrix("];

/// The cells (indices into `analysis.cells`) after which open figures are closed: those that
/// may draw. A cell may draw when it reads a name bound to a plotting module, to a function
/// the notebook defines or to anything from a module beside it (`local_modules`), or calls
/// pandas' plotting; every cell may when a plotting module is star-imported or imported
/// inside a block.
pub fn drawing_cells(analysis: &Analysis, local_modules: &BTreeSet<String>) -> FxHashSet<usize> {
    let plotting = |module: &str| PLOTTING.contains(&module) || local_modules.contains(module);
    let mut names: FxHashSet<&str> = FxHashSet::default();
    let mut everywhere = false;
    for (_, statement) in analysis.statements() {
        match &statement.kind {
            StmtKind::Import(bindings) => names.extend(
                bindings
                    .iter()
                    .filter(|b| plotting(b.top_level_module()))
                    .map(|b| b.bound_name()),
            ),
            StmtKind::StarImport { module, .. } => {
                everywhere |= plotting(module.as_str().split('.').next().unwrap_or_default());
            }
            StmtKind::Function(_) | StmtKind::Class(_) => {
                names.extend(statement.binds.iter().map(|b| b.name.as_str()));
            }
            StmtKind::Other => {
                everywhere |= statement.modules.iter().any(|m| plotting(m.as_str()));
            }
        }
    }
    analysis
        .cells
        .iter()
        .enumerate()
        .filter(|(_, cell)| {
            everywhere
                || PANDAS_PLOTTING
                    .iter()
                    .any(|call| cell.python.contains(call))
                || cell
                    .statements
                    .iter()
                    .any(|s| s.all_reads().any(|r| names.contains(r.name.as_str())))
        })
        .map(|(index, _)| index)
        .collect()
}

/// What the package does with open figures after each cell.
pub fn figures(notebook: &Notebook, analysis: &Analysis) -> Figures {
    let plots = analysis
        .statements()
        .any(|(_, s)| s.modules.iter().any(|m| PLOTTING.contains(&m.as_str())))
        || analysis.cells.iter().any(|cell| {
            PANDAS_PLOTTING
                .iter()
                .any(|call| cell.python.contains(call))
        });
    let chosen_in_code = analysis.cells.iter().any(|cell| {
        cell.python.contains("matplotlib.use(") || cell.python.contains("switch_backend(")
    });
    if !plots || chosen_in_code {
        return Figures::Kept;
    }
    // `%matplotlib NAME` and `%pylab NAME`; alone, they pick the inline backend in a kernel.
    let backends: Vec<&str> = notebook
        .code_cells()
        .flat_map(|cell| cell.source.lines())
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            matches!(words.next(), Some("%matplotlib" | "%pylab"))
                .then(|| words.find(|w| !w.starts_with('-')).unwrap_or("inline"))
        })
        .collect();
    match backends.as_slice() {
        [] => Figures::ClosedByDefault,
        chosen if chosen.iter().all(|b| *b == "inline") => Figures::ClosedInline,
        _ => Figures::Kept,
    }
}
