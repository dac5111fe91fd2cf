//! Diagnostics: what every stage reports, as plain values.
//!
//! Every diagnostic is built by one of the constructor functions at the bottom of this file,
//! so the catalogue of codes, severities and help lines lives in one place. A diagnostic's
//! position stays a [`Span`] (cell and byte range) or a file position until the command-line
//! layer renders it; no stage formats line and column itself.

mod located;

use std::fmt;

use rustpython_parser::text_size::TextRange;
use serde::Serialize;

pub use located::{JsonDiagnostic, Located, Position, place};

/// A cell's position in the notebook: its index among all cells, markdown included.
///
/// Rendered one-based (`cell 3` is the third cell on the page), as a user counts them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct CellId(pub u32);

impl CellId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Display for CellId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cell {}", self.0 + 1)
    }
}

/// A byte range inside one cell's Python text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub cell: CellId,
    pub range: TextRange,
}

impl Span {
    pub fn new(cell: CellId, range: TextRange) -> Self {
        Span { cell, range }
    }
}

/// Where a diagnostic points.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Location {
    /// The notebook as a whole.
    Notebook,
    /// A line and column (one-based) of the notebook file itself, for JSON errors.
    File { line: usize, column: usize },
    /// Code inside a cell.
    Cell(Span),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// The catalogue of diagnostic codes. The number's hundreds digit names the stage:
/// 0 loading, 1 IPython syntax, 2 parsing, 3 dataflow hazards, 4 lifting, 5 reproducibility.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Code {
    InvalidJson,
    InvalidNotebook,
    UnsupportedNbformat,
    NonPythonKernel,
    MagicRemoved,
    MagicTranslated,
    ShellCommand,
    UnsupportedMagic,
    PipInstall,
    SyntaxError,
    Python2Code,
    UseBeforeDefinition,
    UndefinedName,
    UseAfterDelete,
    UndefinedWhenCalled,
    UndefinedOnSomePaths,
    ExecutionOrder,
    ShadowedImport,
    ShadowedBuiltin,
    StarImport,
    GetIpython,
    ImportNotHoisted,
    UnusedImportRemoved,
    CellSkipped,
    LoopAssumedToRun,
    ValueStaysInItsProcess,
    ProcessStateNotReplayed,
    SharedAtRunTime,
    UnseededRandomness,
    AbsolutePath,
    MissingFile,
    ExecutionCountGap,
    LiteralSecret,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::InvalidJson => "NB001",
            Code::InvalidNotebook => "NB002",
            Code::UnsupportedNbformat => "NB003",
            Code::NonPythonKernel => "NB004",
            Code::MagicRemoved => "NB101",
            Code::MagicTranslated => "NB102",
            Code::ShellCommand => "NB103",
            Code::UnsupportedMagic => "NB104",
            Code::PipInstall => "NB105",
            Code::GetIpython => "NB106",
            Code::SyntaxError => "NB201",
            Code::Python2Code => "NB202",
            Code::UseBeforeDefinition => "NB301",
            Code::UndefinedName => "NB302",
            Code::UseAfterDelete => "NB303",
            Code::UndefinedWhenCalled => "NB308",
            Code::UndefinedOnSomePaths => "NB309",
            Code::ExecutionOrder => "NB304",
            Code::ShadowedImport => "NB305",
            Code::ShadowedBuiltin => "NB306",
            Code::StarImport => "NB307",
            Code::ImportNotHoisted => "NB401",
            Code::UnusedImportRemoved => "NB402",
            Code::CellSkipped => "NB403",
            Code::LoopAssumedToRun => "NB404",
            Code::ValueStaysInItsProcess => "NB405",
            Code::ProcessStateNotReplayed => "NB406",
            Code::SharedAtRunTime => "NB407",
            Code::UnseededRandomness => "NB501",
            Code::AbsolutePath => "NB502",
            Code::MissingFile => "NB503",
            Code::ExecutionCountGap => "NB504",
            Code::LiteralSecret => "NB505",
        }
    }

    pub fn severity(self) -> Severity {
        match self {
            Code::InvalidJson
            | Code::InvalidNotebook
            | Code::UnsupportedNbformat
            | Code::NonPythonKernel
            | Code::SyntaxError
            | Code::Python2Code
            | Code::UseBeforeDefinition
            | Code::UndefinedName
            | Code::UseAfterDelete => Severity::Error,
            Code::ShellCommand
            | Code::UnsupportedMagic
            | Code::GetIpython
            | Code::UndefinedWhenCalled
            | Code::UndefinedOnSomePaths
            | Code::ExecutionOrder
            | Code::ShadowedImport
            | Code::ShadowedBuiltin
            | Code::StarImport
            | Code::UnseededRandomness
            | Code::AbsolutePath
            | Code::MissingFile
            | Code::ProcessStateNotReplayed
            | Code::LiteralSecret => Severity::Warning,
            Code::MagicRemoved
            | Code::MagicTranslated
            | Code::PipInstall
            | Code::ImportNotHoisted
            | Code::UnusedImportRemoved
            | Code::CellSkipped
            | Code::LoopAssumedToRun
            | Code::ValueStaysInItsProcess
            | Code::SharedAtRunTime
            | Code::ExecutionCountGap => Severity::Note,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub code: Code,
    pub location: Location,
    pub message: String,
    pub help: Option<String>,
}

impl Diagnostic {
    /// Whether it is about the exports to orchestrators only (how their tasks are cut,
    /// what a task's process has), and so says nothing when there are none.
    pub fn concerns_exports_only(&self) -> bool {
        matches!(
            self.code,
            Code::ValueStaysInItsProcess | Code::ProcessStateNotReplayed | Code::SharedAtRunTime
        )
    }

    fn new(code: Code, location: Location, message: String) -> Self {
        Diagnostic {
            code,
            location,
            message,
            help: None,
        }
    }

    fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn severity(&self) -> Severity {
        self.code.severity()
    }

    pub fn is_error(&self) -> bool {
        self.severity() == Severity::Error
    }
}

/// True when any diagnostic is an error.
pub fn has_errors(diagnostics: &[Diagnostic]) -> bool {
    diagnostics.iter().any(Diagnostic::is_error)
}

// ---------------------------------------------------------------------------------------
// Constructors: the only places diagnostics are made.

pub fn invalid_json(line: usize, column: usize, detail: &str) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidJson,
        Location::File { line, column },
        format!("invalid notebook JSON: {detail}"),
    )
    .help("the file is not valid JSON; open it in Jupyter or fix the syntax at this position")
}

pub fn truncated_json(line: usize, column: usize) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidJson,
        Location::File { line, column },
        "invalid notebook JSON: the file ends in the middle of a value (truncated?)".to_owned(),
    )
    .help("the file looks cut off; restore it from version control or re-save it from Jupyter")
}

pub fn invalid_notebook(line: usize, column: usize, detail: &str) -> Diagnostic {
    Diagnostic::new(
        Code::InvalidNotebook,
        Location::File { line, column },
        format!("not a Jupyter notebook: {detail}"),
    )
    .help("nblift reads `.ipynb` files as written by Jupyter (nbformat 3 or 4)")
}

pub fn missing_nbformat() -> Diagnostic {
    Diagnostic::new(
        Code::UnsupportedNbformat,
        Location::Notebook,
        "the notebook has no `nbformat` version".to_owned(),
    )
    .help("re-save the notebook with Jupyter, which writes `nbformat: 4`")
}

pub fn unsupported_nbformat(major: u64) -> Diagnostic {
    Diagnostic::new(
        Code::UnsupportedNbformat,
        Location::Notebook,
        format!("unsupported nbformat {major}: nblift reads nbformat 3 and 4"),
    )
    .help("convert it with `jupyter nbconvert --to notebook` to nbformat 4 first")
}

pub fn non_python_kernel(language: &str) -> Diagnostic {
    Diagnostic::new(
        Code::NonPythonKernel,
        Location::Notebook,
        format!("the notebook's kernel language is `{language}`, not Python"),
    )
    .help("nblift converts Python notebooks only")
}

pub fn magic_removed(span: Span, magic: &str, why: &str) -> Diagnostic {
    Diagnostic::new(
        Code::MagicRemoved,
        Location::Cell(span),
        format!("`{magic}` removed: {why}"),
    )
}

pub fn magic_translated(span: Span, magic: &str, what: &str) -> Diagnostic {
    Diagnostic::new(
        Code::MagicTranslated,
        Location::Cell(span),
        format!("`{magic}` becomes {what}"),
    )
}

pub fn shell_command(span: Span, what: &str) -> Diagnostic {
    Diagnostic::new(
        Code::ShellCommand,
        Location::Cell(span),
        format!("shell command `{what}` runs through `subprocess` in the package"),
    )
    .help("the command must exist where the package runs; prefer a Python equivalent")
}

pub fn pip_install(span: Span, packages: &[String]) -> Diagnostic {
    Diagnostic::new(
        Code::PipInstall,
        Location::Cell(span),
        format!(
            "package installation removed; {} added to the package's dependencies",
            if packages.is_empty() {
                "nothing".to_owned()
            } else {
                format!("`{}`", packages.join("`, `"))
            }
        ),
    )
}

pub fn unsupported_magic(span: Span, magic: &str, what: &str) -> Diagnostic {
    Diagnostic::new(
        Code::UnsupportedMagic,
        Location::Cell(span),
        format!("`{magic}` has no Python equivalent here: {what}"),
    )
    .help("replace the magic with plain Python in the notebook, or accept the difference")
}

/// A magic the package translates, with a difference the user must know about.
pub fn magic_differs(span: Span, magic: &str, difference: &str) -> Diagnostic {
    Diagnostic::new(
        Code::UnsupportedMagic,
        Location::Cell(span),
        format!("`{magic}` behaves differently in the package: {difference}"),
    )
    .help("replace the magic with plain Python in the notebook, or accept the difference")
}

pub fn get_ipython_call(span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::GetIpython,
        Location::Cell(span),
        "`get_ipython()` only exists inside IPython; the package gets a stand-in that does nothing"
            .to_owned(),
    )
    .help("use plain Python instead of IPython's API")
}

pub fn syntax_error(span: Span, detail: &str) -> Diagnostic {
    Diagnostic::new(
        Code::SyntaxError,
        Location::Cell(span),
        format!("syntax error: {detail}"),
    )
    .help("fix the cell so that it parses as Python 3; the other cells were still analysed")
}

pub fn python2_code(span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::Python2Code,
        Location::Cell(span),
        "this cell is Python 2 code (`print` statement)".to_owned(),
    )
    .help("port the notebook to Python 3 (e.g. `print(x)`), then convert it")
}

pub fn use_before_definition(
    span: Span,
    name: &str,
    defined_in: crate::diagnostic::CellId,
) -> Diagnostic {
    Diagnostic::new(
        Code::UseBeforeDefinition,
        Location::Cell(span),
        format!("`{name}` is used before it is defined (first defined in {defined_in})"),
    )
    .help(
        "the notebook only ran because of hidden kernel state: move the definition above this use",
    )
}

pub fn undefined_name(span: Span, name: &str) -> Diagnostic {
    Diagnostic::new(
        Code::UndefinedName,
        Location::Cell(span),
        format!("`{name}` is not defined by any cell"),
    )
    .help("define or import it in an earlier cell; the notebook only ran because of hidden kernel state")
}

pub fn python2_builtin(span: Span, name: &str) -> Diagnostic {
    Diagnostic::new(
        Code::Python2Code,
        Location::Cell(span),
        format!("`{name}` is a Python 2 builtin that Python 3 removed"),
    )
    .help("port the notebook to Python 3 (e.g. `range` for `xrange`, `str` for `unicode`), then convert it")
}

pub fn undefined_when_called(span: Span, name: &str) -> Diagnostic {
    Diagnostic::new(
        Code::UndefinedWhenCalled,
        Location::Cell(span),
        format!("`{name}` is not defined by any cell; this function fails with `NameError` if it is called"),
    )
    .help("the notebook runs because nothing calls it; define or import the name, or remove the dead code")
}

pub fn undefined_on_some_paths(span: Span, name: &str) -> Diagnostic {
    Diagnostic::new(
        Code::UndefinedOnSomePaths,
        Location::Cell(span),
        format!(
            "`{name}` is not defined at this point; this branch fails with `NameError` if it runs"
        ),
    )
    .help("define or import the name before this code, or remove the branch")
}

pub fn use_after_delete(span: Span, name: &str, deleted_in: CellId) -> Diagnostic {
    Diagnostic::new(
        Code::UseAfterDelete,
        Location::Cell(span),
        format!("`{name}` is used after `del {name}` in {deleted_in}"),
    )
    .help("a fresh run fails here: define it again or drop the `del`")
}

pub fn execution_order(span: Span, count: u32, previous: u32) -> Diagnostic {
    Diagnostic::new(
        Code::ExecutionOrder,
        Location::Cell(span),
        format!("cells ran out of page order: execution count {count} comes after {previous}"),
    )
    .help(
        "the saved outputs may not be what a top-to-bottom run gives; restart and run all to check",
    )
}

pub fn shadowed_import(span: Span, name: &str, imported_in: CellId) -> Diagnostic {
    Diagnostic::new(
        Code::ShadowedImport,
        Location::Cell(span),
        format!("`{name}` rebinds the name imported in {imported_in}"),
    )
    .help("use another name, so the import keeps meaning the module")
}

pub fn shadowed_builtin(span: Span, name: &str) -> Diagnostic {
    Diagnostic::new(
        Code::ShadowedBuiltin,
        Location::Cell(span),
        format!("`{name}` shadows the Python builtin of the same name"),
    )
    .help("rename the variable; later cells that meant the builtin get this value instead")
}

pub fn star_import(span: Span, module: &str) -> Diagnostic {
    Diagnostic::new(
        Code::StarImport,
        Location::Cell(span),
        format!("`from {module} import *` hides which names the notebook uses"),
    )
    .help("import the names you use explicitly")
}

pub fn import_not_hoisted(span: Span, why: &str) -> Diagnostic {
    Diagnostic::new(
        Code::ImportNotHoisted,
        Location::Cell(span),
        format!("import kept in place, not hoisted: {why}"),
    )
}

pub fn unused_import_removed(span: Span, name: &str) -> Diagnostic {
    Diagnostic::new(
        Code::UnusedImportRemoved,
        Location::Cell(span),
        format!("`{name}` is imported but never used: the package leaves the import out"),
    )
    .help("if the import matters for what importing the module does, use a name from it or keep it in a cell of its own with a comment")
}

pub fn repeated_import_removed(span: Span, first: CellId) -> Diagnostic {
    Diagnostic::new(
        Code::UnusedImportRemoved,
        Location::Cell(span),
        format!(
            "this import repeats one of {first}, which already bound its name to the same module: the package leaves the repeat out"
        ),
    )
}

pub fn cell_skipped(cell: CellId) -> Diagnostic {
    Diagnostic::new(
        Code::CellSkipped,
        Location::Cell(Span::new(cell, TextRange::default())),
        "the cell is tagged `skip` (Kale): `--split tags` leaves it out of the package".to_owned(),
    )
    .help("remove the tag to keep the cell, or convert with another `--split`")
}

pub fn loop_assumed_to_run(span: Span, name: &str) -> Diagnostic {
    Diagnostic::new(
        Code::LoopAssumedToRun,
        Location::Cell(span),
        format!(
            "a later step reads `{name}` as this loop leaves it: the package assumes the loop runs at least once"
        ),
    )
    .help(format!(
        "a loop that runs no time leaves the earlier `{name}` in the notebook, and stops the package with an error; bind `{name}` before the loop if it can run no time"
    ))
}

/// Why a value cannot pass from one process to another.
#[derive(Clone, Debug)]
pub enum NotCrossing {
    /// What the call that makes it says it is ("a database connection (`sqlite3.connect`)").
    Is(String),
    /// What a run of the package found (cloudpickle's error).
    FoundAtRun(String),
}

pub fn value_stays_in_its_process(
    span: Span,
    name: &str,
    why: &NotCrossing,
    first: &str,
    last: &str,
) -> Diagnostic {
    let why = match why {
        NotCrossing::Is(what) => {
            format!("`{name}` is {what}, which cannot pass from one process to another")
        }
        NotCrossing::FoundAtRun(why) => format!(
            "when the package ran, `{name}` could not pass from one process to another ({why})"
        ),
    };
    Diagnostic::new(
        Code::ValueStaysInItsProcess,
        Location::Cell(span),
        format!("{why}: the exports run steps `{first}` to `{last}` as one task"),
    )
    .help(format!(
        "to let those steps run as tasks of their own, make `{name}` again in each step that uses it, or pass on what it gives (rows, a copy, a path) instead"
    ))
}

pub fn file_ties_steps(span: Span, path: &str, first: &str, last: &str) -> Diagnostic {
    Diagnostic::new(
        Code::ValueStaysInItsProcess,
        Location::Cell(span),
        format!(
            "step `{first}` writes `{path}` and step `{last}` reads it: the exports run steps `{first}` to `{last}` as one task, so the file is there wherever the task runs"
        ),
    )
    .help(format!(
        "to let those steps run as tasks of their own, on machines that share no disk, keep `{path}` on storage they all reach"
    ))
}

pub fn process_state_not_replayed(span: Span, name: &str) -> Diagnostic {
    Diagnostic::new(
        Code::ProcessStateNotReplayed,
        Location::Cell(span),
        format!(
            "this changes the process with `{name}`, a value a step makes: an export that runs a later step in a process of its own does not do it again there, so that step may see the default"
        ),
    )
    .help(format!(
        "write the value of `{name}` into the statement, or do it again in the cells that need it"
    ))
}

pub fn shared_at_run_time(span: Span, name: &str, other: &str) -> Diagnostic {
    Diagnostic::new(
        Code::SharedAtRunTime,
        Location::Cell(span),
        format!(
            "`{name}` and `{other}` held the same objects when the package ran, though the code does not show it: the exports hand them on together, so they stay shared in every task"
        ),
    )
}

pub fn process_state_in_a_block(span: Span) -> Diagnostic {
    Diagnostic::new(
        Code::ProcessStateNotReplayed,
        Location::Cell(span),
        "this changes the process inside a block (`if`, `for`, `with`, `try`): an export that runs a later step in a process of its own does not do it again there, so that step may see the default".to_owned(),
    )
    .help("make the change a statement of its own at the top level of its cell (`sys.path.insert(0, path)`, `pd.set_option(…)`), which the exports do again".to_owned())
}

pub fn future_import_removed(span: Span, feature: &str) -> Diagnostic {
    Diagnostic::new(
        Code::UnusedImportRemoved,
        Location::Cell(span),
        format!(
            "`from __future__ import {feature}` does nothing on Python 3: the package leaves it out"
        ),
    )
}

pub fn unseeded_randomness(span: Span, call: &str) -> Diagnostic {
    Diagnostic::new(
        Code::UnseededRandomness,
        Location::Cell(span),
        format!("`{call}` draws random numbers without a seed: every run gives other values"),
    )
    .help("seed it (`np.random.seed(0)`, `random.seed(0)`, `random_state=0`, `default_rng(0)`) so runs can be compared")
}

pub fn absolute_path(span: Span, path: &str) -> Diagnostic {
    Diagnostic::new(
        Code::AbsolutePath,
        Location::Cell(span),
        format!("`{path}` is a path on the author's machine"),
    )
    .help("use a path relative to the notebook's folder, or a parameter")
}

pub fn literal_secret(span: Span, name: &str) -> Diagnostic {
    Diagnostic::new(
        Code::LiteralSecret,
        Location::Cell(span),
        format!("`{name}` is given a literal secret, which the package copies as written"),
    )
    .help("read it from the environment (`os.environ[...]`) or a parameter, and revoke it if the notebook was shared")
}

pub fn missing_file(span: Span, path: &str) -> Diagnostic {
    Diagnostic::new(
        Code::MissingFile,
        Location::Cell(span),
        format!("`{path}` is read but does not exist next to the notebook, and no cell writes it"),
    )
    .help("add the file beside the notebook (or make it a parameter); a fresh run fails here")
}

pub fn execution_count_gap(span: Span, count: u32, previous: u32) -> Diagnostic {
    Diagnostic::new(
        Code::ExecutionCountGap,
        Location::Cell(span),
        format!("execution count jumps from {previous} to {count}: cells ran in between that are no longer on the page, or ran again"),
    )
    .help("the saved outputs may not be what a top-to-bottom run gives; restart and run all to check")
}
