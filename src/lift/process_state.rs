//! Statements that only change the process the notebook runs in: display options, warning
//! filters, environment variables, matplotlib's rcParams, logging, where imports are found
//! (`sys.path`).
//! They bind no name, so no step hands them on: an engine that runs a later step in a
//! process of its own runs them there first: `_process_state.py` holds them, a function per
//! step named after it, and `flow.py`'s `PROCESS_STATE` lists those functions.
//!
//! A statement qualifies when it is a call of one of [`CALLS`], or an assignment into one of
//! [`ASSIGNED`], resolved through the notebook's imports (`pd.set_option` is
//! `pandas.set_option`), and reads nothing but what `steps.py` has at import: its imports,
//! `lib.py`'s names and builtins. Random seeds are not here: the generators' state is carried
//! from step to step instead, since a replayed seed would restart the stream. `os.chdir` is,
//! done once per process like the rest: done twice in one, a relative change would go one
//! folder further. So is `%cd` (`_nblift.cd`), done again without printing the folder.

use std::collections::BTreeSet;

use rustc_hash::{FxHashMap, FxHashSet};
use rustpython_parser::ast::{self, Expr, Stmt};
use rustpython_parser::{Mode, parse};

use crate::analysis::Analysis;
use crate::analysis::builtins::is_builtin;
use crate::analysis::facts::{ImportBinding, Occurrence, StmtFacts, StmtKind};
use crate::analysis::visitor::dotted_name;
use crate::diagnostic::{self, Diagnostic, Span};
use crate::lift::Step;
use crate::lift::definitions::Lifted;
use crate::lift::imports::{Hoisting, render_for};
use crate::notebook::magics::SUPPORT_MODULE;

/// What the steps do to the process: `_process_state.py`'s imports and functions.
#[derive(Clone, Debug, Default)]
pub struct ProcessState {
    /// The imports the statements read, grouped as in `steps.py`.
    pub imports: Vec<Vec<String>>,
    /// Per step that has one, in page order, its statements that only change the process.
    pub by_step: Vec<StepChanges>,
}

#[derive(Clone, Debug)]
pub struct StepChanges {
    /// The step's index in the plan.
    pub step: usize,
    /// In page order.
    pub statements: Vec<Replayed>,
    /// Some change where imports are found (`sys.path`): a module of the notebook's own
    /// folders, or a value of its classes, can be unpickled in another process only after.
    pub import_path: bool,
}

/// A statement done again before a later step.
#[derive(Clone, Debug)]
pub struct Replayed {
    pub text: String,
    /// It sets environment variables, which an engine may restore between the tasks of one
    /// worker process (Prefect's process pool does): done again before every later step.
    /// The rest is done once per process: done twice, a relative `os.chdir` would go one
    /// folder further.
    pub every_step: bool,
}

impl StepChanges {
    /// Its statements done once per process, or (`every_step`) before every later step.
    pub fn done(&self, every_step: bool) -> impl Iterator<Item = &str> {
        self.statements
            .iter()
            .filter(move |s| s.every_step == every_step)
            .map(|s| s.text.as_str())
    }
}

/// What a statement changes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// Environment variables (`os.environ`, `os.putenv`).
    Environment,
    /// Where imports are found (`sys.path`).
    ImportPath,
    /// The rest: options, filters, rcParams, logging.
    Process,
}

impl ProcessState {
    pub fn is_empty(&self) -> bool {
        self.by_step.is_empty()
    }

    /// Whether a step changes where imports are found.
    pub fn changes_import_path(&self) -> bool {
        self.by_step.iter().any(|changes| changes.import_path)
    }
}

/// The statements of each step that only change the process, and what they import; and a
/// warning for each such statement that cannot be done again because it reads a value a
/// step makes (before the last step: after it, nothing runs that would see the change).
pub fn of_steps(
    analysis: &Analysis,
    hoisting: &Hoisting,
    lifted: &Lifted,
    steps: &[Step],
) -> (ProcessState, Vec<Diagnostic>) {
    let imports = ImportPaths::new(&hoisting.bindings);
    let lifted_names: FxHashSet<&str> = lifted.names.iter().map(String::as_str).collect();
    let available = |name: &str| {
        hoisting.bound_names.contains(name) || lifted_names.contains(name) || name == SUPPORT_MODULE
    };
    let mut used: FxHashSet<&str> = FxHashSet::default();
    let mut from_lib: BTreeSet<&str> = BTreeSet::new();
    let mut uses_support = false;
    let mut by_step = Vec::new();
    let mut diagnostics = Vec::new();
    for (index, step) in steps.iter().enumerate() {
        let mut statements = Vec::new();
        let mut import_path = false;
        for at in &step.statements {
            let cell = &analysis.cells[at.cell];
            let facts = &cell.statements[at.index];
            let text = &cell.python[facts.range];
            let later_steps = index + 1 < steps.len();
            // Parsed once, for a statement that may change the process, or hold one that does.
            let Some(statement) = (is_plain(facts) || later_steps)
                .then(|| single_statement(text))
                .flatten()
            else {
                continue;
            };
            let change = is_plain(facts)
                .then(|| change_of(&statement, &imports))
                .flatten();
            let Some(change) = change else {
                if later_steps && changes_the_process_inside(&statement, &imports) {
                    diagnostics.push(diagnostic::process_state_in_a_block(Span::new(
                        cell.id,
                        facts.range,
                    )));
                }
                continue;
            };
            if let Some(read) = unavailable_read(facts, available) {
                if index + 1 < steps.len() {
                    diagnostics.push(diagnostic::process_state_not_replayed(
                        Span::new(cell.id, facts.range),
                        read.name.as_str(),
                    ));
                }
                continue;
            }
            import_path |= change == Change::ImportPath;
            for read in &facts.reads {
                let name = read.name.as_str();
                if lifted_names.contains(name) {
                    from_lib.insert(name);
                } else if name == SUPPORT_MODULE {
                    uses_support = true;
                } else if available(name) {
                    used.insert(name);
                }
            }
            statements.push(Replayed {
                text: quietly(text),
                every_step: change == Change::Environment,
            });
        }
        if !statements.is_empty() {
            by_step.push(StepChanges {
                step: index,
                statements,
                import_path,
            });
        }
    }
    let relative = ImportBinding::relative;
    let mut own: Vec<ImportBinding> = from_lib.iter().map(|name| relative("lib", name)).collect();
    if uses_support {
        own.push(relative("", SUPPORT_MODULE));
    }
    let state = ProcessState {
        imports: render_for(hoisting, &used, None, &own),
        by_step,
    };
    (state, diagnostics)
}

/// Calls that change the process, by the path they resolve to (sorted).
const CALLS: &[&str] = &[
    "logging.basicConfig",
    "logging.disable",
    "matplotlib.pyplot.rc",
    "matplotlib.pyplot.rcParams.update",
    "matplotlib.pyplot.style.use",
    "matplotlib.rc",
    "matplotlib.rcParams.update",
    "matplotlib.style.use",
    "numpy.set_printoptions",
    "numpy.seterr",
    "os.chdir",
    "os.environ.setdefault",
    "os.environ.update",
    "os.putenv",
    "pandas.reset_option",
    "pandas.set_option",
    "seaborn.set",
    "seaborn.set_context",
    "seaborn.set_palette",
    "seaborn.set_style",
    "seaborn.set_theme",
    "sys.path.append",
    "sys.path.extend",
    "sys.path.insert",
    "torch.set_printoptions",
    "warnings.filterwarnings",
    "warnings.resetwarnings",
    "warnings.simplefilter",
];

/// Paths an assignment changes the process through: the path itself, an attribute below it
/// or an item of it (`pd.options.display.max_rows = 10`, `os.environ["KEY"] = "1"`).
const ASSIGNED: &[&str] = &[
    "matplotlib.pyplot.rcParams",
    "matplotlib.rcParams",
    "os.environ",
    "pandas.options",
    "sys.path",
];

/// The module path each name an import binds stands for.
pub struct ImportPaths(FxHashMap<String, String>);

impl ImportPaths {
    pub fn new<'a>(bindings: impl IntoIterator<Item = &'a ImportBinding>) -> Self {
        let paths = bindings
            .into_iter()
            .filter(|b| b.level == 0)
            .map(|b| {
                let path = match (&b.name, &b.alias) {
                    (Some(name), _) => format!("{}.{name}", b.module),
                    // `import a.b as c` binds `c` to `a.b`; `import a.b` binds `a` to `a`.
                    (None, Some(_)) => b.module.clone(),
                    (None, None) => b.bound_name().to_owned(),
                };
                (b.bound_name().to_owned(), path)
            })
            .collect();
        ImportPaths(paths)
    }

    /// `pd.options.display` → `pandas.options.display`, when `pd` is an import.
    pub fn resolve(&self, dotted: &str) -> Option<String> {
        let (head, rest) = dotted.split_once('.').unwrap_or((dotted, ""));
        let path = self.0.get(head)?;
        Some(if rest.is_empty() {
            path.clone()
        } else {
            format!("{path}.{rest}")
        })
    }
}

/// The statements of `source`, and the paths the names its imports bind stand for: for the
/// tests of what a statement that reads imports does.
#[cfg(test)]
pub(crate) fn parsed_with_imports(source: &str) -> (Vec<StmtFacts>, ImportPaths) {
    let facts = crate::analysis::parse::parse_cell(crate::diagnostic::CellId(0), source, false)
        .expect("the test's source parses");
    let bindings: Vec<ImportBinding> = facts
        .iter()
        .flat_map(|f| match &f.kind {
            StmtKind::Import(b) => b.to_vec(),
            _ => Vec::new(),
        })
        .collect();
    let imports = ImportPaths::new(&bindings);
    (facts, imports)
}

/// `%cd`'s translation (`_nblift.cd(path)`) done again without printing the folder; any other
/// statement as it is.
fn quietly(text: &str) -> String {
    match text.strip_prefix(&format!("{SUPPORT_MODULE}.cd(")) {
        Some(rest) if !rest.contains("quiet=") => {
            format!(
                "{SUPPORT_MODULE}.cd({}, quiet=True)",
                rest.trim_end().trim_end_matches(')')
            )
        }
        _ => text.to_owned(),
    }
}

/// The first name the statement reads that is neither `available` nor a builtin.
fn unavailable_read(facts: &StmtFacts, available: impl Fn(&str) -> bool) -> Option<&Occurrence> {
    facts
        .reads
        .iter()
        .find(|read| !(available(read.name.as_str()) || is_builtin(read.name.as_str())))
}

/// What the statement (`text`, with its facts) changes, if it only changes the process,
/// whatever it reads (what it reads decides whether it can be done again elsewhere).
#[cfg(test)]
fn process_change(text: &str, facts: &StmtFacts, imports: &ImportPaths) -> Option<Change> {
    if !is_plain(facts) {
        return None;
    }
    change_of(&single_statement(text)?, imports)
}

/// Whether the statement binds, deletes and defines nothing, and awaits nothing: a call or an
/// assignment into something else, which may only change the process.
fn is_plain(facts: &StmtFacts) -> bool {
    matches!(facts.kind, StmtKind::Other)
        && facts.binds.is_empty()
        && facts.deletes().is_empty()
        && facts.late_reads.is_empty()
        && !facts.top_level_await
}

/// The one statement `text` holds, parsed.
fn single_statement(text: &str) -> Option<Stmt> {
    let Ok(ast::Mod::Module(module)) = parse(text, Mode::Module, "<statement>") else {
        return None;
    };
    let [statement]: [Stmt; 1] = module.body.try_into().ok()?;
    Some(statement)
}

/// What a simple statement changes, if it only changes the process.
fn change_of(statement: &Stmt, imports: &ImportPaths) -> Option<Change> {
    let paths: Vec<String> = match statement {
        Stmt::Expr(e) => match e.value.as_ref() {
            Expr::Call(call) => {
                let dotted = dotted_name(&call.func)?;
                // `%cd`, translated.
                if dotted == format!("{SUPPORT_MODULE}.cd") {
                    return Some(Change::Process);
                }
                let path = imports.resolve(&dotted)?;
                CALLS.binary_search(&path.as_str()).ok()?;
                vec![path]
            }
            _ => return None,
        },
        Stmt::Assign(a) => a
            .targets
            .iter()
            .map(|t| assigned_path(t, imports))
            .collect::<Option<_>>()?,
        _ => return None,
    };
    let environment = |path: &String| path.starts_with("os.environ") || path == "os.putenv";
    let import_path = |path: &String| path.starts_with("sys.path");
    Some(if paths.iter().any(environment) {
        Change::Environment
    } else if paths.iter().any(import_path) {
        Change::ImportPath
    } else {
        Change::Process
    })
}

/// Whether the statement is a block (`if`, `for`, `while`, `with`, `try`) with a
/// statement in it that changes the process: it is not done again in a later task's process.
fn changes_the_process_inside(statement: &Stmt, imports: &ImportPaths) -> bool {
    fn inside(statements: &[Stmt], imports: &ImportPaths) -> bool {
        statements.iter().any(|statement| match statement {
            Stmt::If(s) => inside(&s.body, imports) || inside(&s.orelse, imports),
            Stmt::For(s) => inside(&s.body, imports) || inside(&s.orelse, imports),
            Stmt::While(s) => inside(&s.body, imports) || inside(&s.orelse, imports),
            Stmt::With(s) => inside(&s.body, imports),
            Stmt::Try(s) => {
                inside(&s.body, imports)
                    || s.handlers.iter().any(|h| {
                        let ast::ExceptHandler::ExceptHandler(h) = h;
                        inside(&h.body, imports)
                    })
                    || inside(&s.orelse, imports)
                    || inside(&s.finalbody, imports)
            }
            other => change_of(other, imports).is_some(),
        })
    }
    matches!(
        statement,
        Stmt::If(_) | Stmt::For(_) | Stmt::While(_) | Stmt::With(_) | Stmt::Try(_)
    ) && inside(std::slice::from_ref(statement), imports)
}

/// The process path an assignment target changes (`os.environ`, `pandas.options.display…`).
fn assigned_path(target: &Expr, imports: &ImportPaths) -> Option<String> {
    let base = match target {
        Expr::Subscript(s) => s.value.as_ref(),
        other => other,
    };
    let path = dotted_name(base).and_then(|d| imports.resolve(&d))?;
    ASSIGNED
        .iter()
        .any(|prefix| {
            path == *prefix
                || path
                    .strip_prefix(prefix)
                    .is_some_and(|rest| rest.starts_with('.'))
        })
        .then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    const IMPORTS: &str = "import os\nimport sys\nimport warnings\nimport pandas as pd\nimport matplotlib.pyplot as plt\nfrom matplotlib import rcParams\nimport seaborn as sns\n";

    /// Whether `statement` is replayed where only `available` names (and builtins) exist.
    fn replayable_with(
        text: &str,
        facts: &StmtFacts,
        imports: &ImportPaths,
        available: impl Fn(&str) -> bool,
    ) -> bool {
        unavailable_read(facts, available).is_none()
            && process_change(text, facts, imports).is_some()
    }

    fn replayable(statement: &str) -> bool {
        let source = format!("{IMPORTS}{statement}");
        let (facts, imports) = parsed_with_imports(&source);
        let last = facts.last().unwrap();
        let text = &source[last.range];
        replayable_with(text, last, &imports, |name| {
            [
                "_nblift", "os", "sys", "warnings", "pd", "plt", "rcParams", "sns",
            ]
            .contains(&name)
        })
    }

    #[test]
    fn calls_and_assignments_that_set_process_state_are_replayable() {
        for statement in [
            "pd.set_option(\"display.max_rows\", 4)",
            "pd.options.display.float_format = \"{:.2f}\".format",
            "warnings.filterwarnings(\"ignore\")",
            "plt.rcParams[\"figure.figsize\"] = (8, 6)",
            "rcParams[\"font.size\"] = 12",
            "plt.style.use(\"ggplot\")",
            "sns.set_theme(style=\"whitegrid\")",
            "os.environ[\"MODE\"] = \"fast\"",
            "sys.path.insert(0, \"helpers\")",
            "sys.path.append(os.path.abspath(\"..\"))",
            "os.chdir(\"data\")",
            "_nblift.cd(\"data\")",
        ] {
            assert!(replayable(statement), "{statement}");
        }
    }

    #[test]
    fn anything_else_is_not() {
        for statement in [
            // Binds a name, or reads one a step binds.
            "width = pd.get_option(\"display.width\")",
            "pd.set_option(\"display.max_rows\", rows)",
            // Draws, or calls something that is not process state.
            "plt.plot([1, 2])",
            "print(pd.__version__)",
            // A name no import binds, though it reads like one.
            "np.set_printoptions(precision=3)",
            "frame.options = 1",
            "if True:\n    pd.set_option(\"display.max_rows\", 4)",
        ] {
            assert!(!replayable(statement), "{statement}");
        }
    }

    #[test]
    fn cd_is_done_again_without_printing_the_folder() {
        assert_eq!(
            quietly("_nblift.cd(\"data\")"),
            "_nblift.cd(\"data\", quiet=True)"
        );
        let quiet = "_nblift.cd(\"data\", quiet=True)";
        assert_eq!(quietly(quiet), quiet);
        assert_eq!(quietly("os.chdir(\"data\")"), "os.chdir(\"data\")");
    }

    #[test]
    fn a_change_inside_a_block_is_found() {
        let inside = |statement: &str| {
            let source = format!("{IMPORTS}{statement}");
            let (facts, imports) = parsed_with_imports(&source);
            let statement = single_statement(&source[facts.last().unwrap().range]).unwrap();
            changes_the_process_inside(&statement, &imports)
        };
        assert!(inside(
            "if \"lib\" not in sys.path:\n    sys.path.append(\"lib\")"
        ));
        assert!(inside(
            "try:\n    import x\nexcept ImportError:\n    pd.set_option(\"a\", 1)"
        ));
        assert!(inside("for name in names:\n    os.environ[name] = \"1\""));
        assert!(!inside("for name in names:\n    print(name)"));
        assert!(!inside("pd.set_option(\"display.max_rows\", 4)"));
        // A function's body runs when it is called, in whichever step calls it.
        assert!(!inside(
            "def setup():\n    pd.set_option(\"display.max_rows\", 4)"
        ));
    }

    #[test]
    fn the_calls_are_sorted_for_binary_search() {
        assert!(CALLS.windows(2).all(|w| w[0] < w[1]));
    }
}
