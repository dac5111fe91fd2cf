//! Front end: reads a `.ipynb` file (or a jupytext percent script) into a passive
//! [`Notebook`] and turns IPython syntax into Python, line for line.
//!
//! Invariant: a code cell's translated Python text has exactly as many lines as its source, so
//! a position in the Python text is also a position in the cell the user wrote.

pub mod lines;
pub mod load;
pub mod magics;
pub mod model;
pub mod notices;
pub mod percent;

pub use load::load_notebook;
pub use model::{Cell, CellKind, Notebook};
pub use percent::{is_percent_script, load_percent};
