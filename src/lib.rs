//! nblift compiles a Jupyter notebook into a Python package that does what "restart kernel and
//! run all" does, without executing the notebook.
//!
//! # Bird's-eye view
//!
//! ```text
//! .ipynb ─► notebook ─► analysis ─► lift ─► emit ─► files
//! ```
//!
//! Each stage is a plain function returning its value with its diagnostics; the command-line
//! driver (`cli`) stops only where an error makes later stages meaningless.
//!
//! # Code map
//!
//! - `notebook/`: the passive notebook model, JSON loading (nbformat 3 and 4) and the
//!   line-for-line translation of IPython syntax. **Invariant:** translated text has the
//!   cell's line count.
//! - `analysis/`: parsing with `rustpython-parser`, per-statement facts (defs, refs, late
//!   reads, mutations, deletions, imports), the petgraph dataflow graph, hazards.
//!   **Invariant:** every pass is linear in the notebook's size.
//! - `lift/`: the plan: hoisted imports, definitions lifted to `lib.py`, steps with their
//!   parameters and return values, module state, pipeline parameters. Steps are cut at the
//!   notebook's dominant heading level (`steps.rs`) and, where a section is long or has no
//!   heading, by the dataflow (`cuts.rs`: a dynamic programme over the code cells, and over
//!   the statements of a cell longer than 40 lines, that keeps the names crossing each cut
//!   few and the steps short); `naming.rs` names them from their
//!   heading or what their code does. **Invariant:** a step's parameters and returns are
//!   exactly what keeps each name resolving as it did at module level: it returns what later
//!   steps read (a value it changes in place included), and `run()` returns a small result;
//!   the final namespace is the harness's (`templates/_nblift.py`), not the steps'.
//! - `emit/`: handlebars templates (embedded, strict, no HTML escaping) render the plan into
//!   the package's files. It reads only the plan.
//! - `cli/`: flags, the `convert` driver, atomic output, diagnostic rendering (the only code
//!   that prints to the terminal).
//! - `lsp/`: the other driver, `nblift lsp`: the same stages behind the Language Server
//!   Protocol, over the documents an editor has open.
//! - `process.rs`: running a child process with a time limit (verify's runs, the tests').
//! - `diagnostic.rs`: the diagnostic catalogue; positions stay `(cell, byte range)` until
//!   rendered.

pub mod analysis;
pub mod cli;
pub mod diagnostic;
pub mod emit;
pub mod lift;
pub mod lsp;
pub mod notebook;
pub mod process;
pub mod verify;
