//! Figures between cells. Jupyter's inline plotting backend shows every open figure after
//! each cell and closes it, so a later cell that plots without making a figure first starts
//! a new one. A plain interpreter keeps figures open: the later cell would draw into the
//! earlier figure, and a `savefig` would write both. Steps of a notebook that plots close
//! the figures after each cell when the kernel would have: always after `%matplotlib inline`
//! (the magic picks the backend whatever the environment says), else when the environment
//! picks no other backend (`MPLBACKEND`, which the kernel obeys too), decided at run time.
//! A notebook that picks another backend keeps its figures.

use crate::analysis::Analysis;
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

/// What the package does with open figures after each cell.
pub fn figures(notebook: &Notebook, analysis: &Analysis) -> Figures {
    let plots = analysis
        .statements()
        .any(|(_, s)| s.modules.iter().any(|m| PLOTTING.contains(&m.as_str())))
        || analysis.cells.iter().any(|cell| {
            // pandas draws with matplotlib without the notebook importing it.
            [".plot(", ".plot.", ".hist("]
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
