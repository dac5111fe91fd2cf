//! nblift compiles a Jupyter notebook into a Python package that does what "restart kernel and
//! run all" does, without executing the notebook.
//!
//! # Bird's-eye view
//!
//! ```text
//! .ipynb ─► notebook ─► analysis ─► lift ─► emit ─► files
//! ```
//!
//! Each stage is a plain function returning its value with its diagnostics. The driver
//! (`compile`) runs them, stopping only where an error makes later stages meaningless, and
//! returns data: `cli`, `lsp` and `verify` are hosts over it, and none imports another
//! (`cli`, the binary's front, only starts the other two). Only `cli` knows `clap`.
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
//!   `definitions.rs` lifts into `lib.py` the functions and classes that read only imports,
//!   builtins, each other and constants (a name bound once to a scalar literal), which move
//!   with them.
//! - `emit/`: handlebars templates (embedded, strict, no HTML escaping) render the plan into
//!   the package's files. It reads only the plan.
//! - `compile/`: the driver as a library: the front end (`read`, `analysed`), `Prepared::plan`,
//!   `convert` to the package's files (a typed `Conversion`), atomic writing with a
//!   cancellation callback, the notebooks of a batch and their unique names. The notebook's
//!   surroundings (files it reads, modules beside it) come through a `World` (`Disk`).
//! - `ide/`: editor services over the same analysis and plan ("Lift cell into a function").
//! - `cli/`: flags (`clap`), the commands over `compile`, Ctrl-C, the terminal and JSON
//!   reports (the only code that prints to the terminal).
//! - `lsp/`: `nblift lsp`: the same driver behind the Language Server Protocol, over the
//!   documents an editor has open; its replies are built from `compile`'s typed values.
//! - `verify/`: `nblift verify`'s library: runs the notebook in a fresh kernel and the package
//!   in a fresh process, and compares what they print, show and leave, value by value.
//! - `named.rs`: option values people type by name (`--split cells`), for every host.
//! - `process.rs`: running a child process with a time limit (verify's runs, the tests').
//! - `diagnostic/`: the diagnostic catalogue; positions stay `(cell, byte range)` until a host
//!   reports them, resolved once (`Located`) as people count.

pub mod analysis;
pub mod cli;
pub mod compile;
pub mod diagnostic;
pub mod emit;
pub mod ide;
pub mod lift;
pub mod lsp;
pub mod named;
pub mod notebook;
pub mod process;
pub mod verify;
