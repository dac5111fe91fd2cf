//! Values that cannot leave the process that made them, and the tasks they tie steps into.
//!
//! An engine may run each step in a process of its own, passing values between them as
//! files. No serialiser carries a database connection, an open file, a lock or a generator:
//! a step that hands one to a later step would fail there, or, with a serialiser that tries
//! hard enough, get something else. Such a value is found from the call that makes it
//! ([`MAKERS`], resolved through the notebook's imports; a generator expression; a call of
//! one of the notebook's generator functions), and from a cursor made of one
//! (`conn.cursor()`). The steps from the one that binds it to the last that reads it run as
//! one task of the exports, in one process, and a note says so.
//! A value that is module state (a function reads it when called) goes with every later
//! step, so its task runs to the end.
//!
//! A file one step writes and a later step reads (by a literal path: `FileEdge`) ties them
//! the same way: a task on another machine would not find it.
//!
//! What is not clear from the code (a generator an imported function makes, an object
//! holding a connection, a path computed at run time) is not found here: the engines'
//! serialisers stop the run with an error naming the value. `nblift convert --export …
//! --verify` finds it by running the package once and trying every value a later task takes
//! ([`Uncarried`]), and the conversion ties its steps the same way.

use rustc_hash::{FxHashMap, FxHashSet};
use rustpython_parser::ast::{self, Expr, Stmt};
use rustpython_parser::{Mode, parse};

use crate::analysis::builtins::is_builtin;
use crate::analysis::facts::{StmtFacts, StmtKind};
use crate::analysis::visitor::dotted_name;
use crate::analysis::{Analysis, Name};
use crate::diagnostic::{self, Diagnostic, NotCrossing, Span};
use crate::lift::imports::Hoisting;
use crate::lift::process_state::ImportPaths;
use crate::lift::{FileEdge, Step, StepEdge};

/// Calls whose value cannot leave its process, by the path they resolve to (sorted), and
/// what that value is.
const MAKERS: &[(&str, &str)] = &[
    ("bz2.open", "an open file"),
    (
        "concurrent.futures.ProcessPoolExecutor",
        "a pool of worker processes",
    ),
    ("concurrent.futures.ThreadPoolExecutor", "a pool of threads"),
    ("csv.reader", "a reader of an open file"),
    ("csv.writer", "a writer to an open file"),
    ("duckdb.connect", "a database connection"),
    ("gzip.open", "an open file"),
    ("io.open", "an open file"),
    ("lzma.open", "an open file"),
    ("multiprocessing.Pool", "a pool of worker processes"),
    ("mysql.connector.connect", "a database connection"),
    ("open", "an open file"),
    ("psycopg.connect", "a database connection"),
    ("psycopg2.connect", "a database connection"),
    ("pymysql.connect", "a database connection"),
    ("queue.Queue", "a queue (it holds locks)"),
    ("socket.create_connection", "a network connection"),
    ("socket.socket", "a socket"),
    (
        "sqlalchemy.create_engine",
        "a database engine (it holds a pool of connections)",
    ),
    ("sqlite3.connect", "a database connection"),
    ("subprocess.Popen", "a running process"),
    ("tarfile.open", "an open file"),
    ("tempfile.NamedTemporaryFile", "an open file"),
    ("tempfile.TemporaryFile", "an open file"),
    ("threading.Condition", "a lock"),
    ("threading.Event", "a lock"),
    ("threading.Lock", "a lock"),
    ("threading.RLock", "a lock"),
    ("threading.Semaphore", "a lock"),
    ("threading.Thread", "a thread"),
    ("zipfile.ZipFile", "an open file"),
];

/// Methods that make, of a value that cannot leave its process, another (a cursor).
const CURSOR_METHODS: &[&str] = &["cursor", "execute"];

/// Steps `first..=last` (indices in the plan) that the exports run as one task, because the
/// values `stays` cannot leave the process between them, or files pass between them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MergedTask {
    pub first: usize,
    pub last: usize,
    pub stays: Vec<Name>,
}

/// A value that the package's run found cloudpickle cannot carry from one task to the next
/// (`python -m PKG --crossings FILE`).
#[derive(Clone, Debug, PartialEq, Eq, serde::Deserialize)]
pub struct Uncarried {
    pub name: String,
    /// The step that hands it on.
    pub step: String,
    /// Why: what cloudpickle raised, or what it would lose.
    pub error: String,
}

/// What ties two steps into one task.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Tie<'a> {
    Value(&'a str),
    File(&'a str),
}

/// A binding of a value that cannot leave its process.
struct Kept {
    step: usize,
    name: Name,
    why: NotCrossing,
    span: Span,
}

pub fn merged_tasks(
    analysis: &Analysis,
    hoisting: &Hoisting,
    steps: &[Step],
    edges: &[StepEdge],
    file_edges: &[FileEdge],
    module_state: &[Name],
    uncarried: &[Uncarried],
) -> (Vec<MergedTask>, Vec<Diagnostic>) {
    let imports = ImportPaths::new(&hoisting.bindings);
    let generators = generator_functions(analysis.statements().map(|(_, stmt)| stmt));
    let makers = Makers {
        imports: &imports,
        generators: &generators,
    };
    let mut kept: Vec<Kept> = Vec::new();
    let mut kept_names: FxHashSet<&str> = FxHashSet::default();
    for (index, step) in steps.iter().enumerate() {
        for at in &step.statements {
            let cell = &analysis.cells[at.cell];
            let facts = &cell.statements[at.index];
            let [binding] = facts.binds.as_slice() else {
                continue;
            };
            if !matches!(facts.kind, StmtKind::Other) || binding.conditional {
                continue;
            }
            let text = &cell.python[facts.range];
            if let Some(what) = stays_in_its_process(text, &makers, &kept_names) {
                kept_names.insert(binding.name.as_str());
                kept.push(Kept {
                    step: index,
                    name: binding.name.clone(),
                    why: NotCrossing::Is(what),
                    span: Span::new(cell.id, facts.range),
                });
            }
        }
    }
    let step_index: FxHashMap<&str, usize> = steps
        .iter()
        .enumerate()
        .map(|(index, step)| (step.name.as_str(), index))
        .collect();
    kept.extend(uncarried.iter().filter_map(|found| {
        let step = *step_index.get(found.step.as_str())?;
        Some(Kept {
            step,
            name: Name::new(&found.name),
            why: NotCrossing::FoundAtRun(found.error.clone()),
            span: binding(analysis, &steps[step], &found.name)?,
        })
    }));
    if kept.is_empty() && file_edges.is_empty() {
        return (Vec::new(), Vec::new());
    }

    // Each (step, name) that holds such a value, and the steps each reaches: through the
    // edges, in the order of their sources, so a step that receives one and hands it on
    // (changed in place) passes it further.
    let mut holds: FxHashSet<(usize, &str)> =
        kept.iter().map(|k| (k.step, k.name.as_str())).collect();
    let mut spans: Vec<(usize, usize, Tie)> = Vec::new();
    for edge in edges {
        let Some(from) = edge.from else { continue };
        for name in &edge.names {
            if holds.contains(&(from, name.as_str())) {
                holds.insert((edge.to, name.as_str()));
                spans.push((from, edge.to, Tie::Value(name.as_str())));
            }
        }
    }
    let last_step = steps.len().saturating_sub(1);
    for k in &kept {
        if module_state.contains(&k.name) && k.step < last_step {
            spans.push((k.step, last_step, Tie::Value(k.name.as_str())));
        }
    }
    spans.extend(
        file_edges
            .iter()
            .map(|edge| (edge.from, edge.to, Tie::File(&edge.path))),
    );
    spans.sort_unstable();

    // Overlapping spans make one task; the first tie of each says why.
    let mut merged: Vec<(MergedTask, Tie)> = Vec::new();
    for (first, last, tie) in spans {
        let task = match merged.last_mut() {
            Some((task, _)) if first <= task.last => {
                task.last = task.last.max(last);
                task
            }
            _ => {
                let task = MergedTask {
                    first,
                    last,
                    stays: Vec::new(),
                };
                merged.push((task, tie));
                &mut merged.last_mut().expect("just pushed").0
            }
        };
        if let Tie::Value(name) = tie {
            if !task.stays.iter().any(|n| n.as_str() == name) {
                task.stays.push(Name::new(name));
            }
        }
    }

    let diagnostics = merged
        .iter()
        .filter_map(|(task, tie)| {
            let (first, last) = (&steps[task.first].name, &steps[task.last].name);
            match *tie {
                Tie::Value(name) => {
                    let k = kept
                        .iter()
                        .find(|k| k.name.as_str() == name && k.step >= task.first)?;
                    Some(diagnostic::value_stays_in_its_process(
                        k.span, name, &k.why, first, last,
                    ))
                }
                Tie::File(path) => {
                    let span = reading(analysis, &steps[task.last], path)
                        .or_else(|| reading(analysis, &steps[task.first], path))?;
                    Some(diagnostic::file_ties_steps(span, path, first, last))
                }
            }
        })
        .collect();
    (
        merged.into_iter().map(|(task, _)| task).collect(),
        diagnostics,
    )
}

/// The last statement of `step` that binds `name`, else its first statement (a step that
/// hands on a value it takes).
fn binding(analysis: &Analysis, step: &Step, name: &str) -> Option<Span> {
    let span = |at: &crate::lift::steps::StmtRef| {
        let cell = &analysis.cells[at.cell];
        Span::new(cell.id, cell.statements[at.index].range)
    };
    let binds = |at: &&crate::lift::steps::StmtRef| {
        analysis.cells[at.cell].statements[at.index]
            .binds
            .iter()
            .any(|b| b.name.as_str() == name)
    };
    let at = step
        .statements
        .iter()
        .rev()
        .find(binds)
        .or(step.statements.first())?;
    Some(span(at))
}

/// The first statement of `step` that reads or writes the file at `path`.
fn reading(analysis: &Analysis, step: &Step, path: &str) -> Option<Span> {
    step.statements.iter().find_map(|at| {
        let cell = &analysis.cells[at.cell];
        let stmt = &cell.statements[at.index];
        stmt.files()
            .iter()
            .any(|access| access.path == path)
            .then(|| Span::new(cell.id, stmt.range))
    })
}

/// The names the notebook's generator functions are defined as: calling one makes a
/// generator.
fn generator_functions<'a>(statements: impl Iterator<Item = &'a StmtFacts>) -> FxHashSet<&'a str> {
    statements
        .filter_map(|stmt| match &stmt.kind {
            StmtKind::Function(name) if stmt.defines_generator() => Some(name.as_str()),
            _ => None,
        })
        .collect()
}

/// What calls make values that cannot leave their process: [`MAKERS`], through the
/// notebook's imports, and its own generator functions.
struct Makers<'a> {
    imports: &'a ImportPaths,
    generators: &'a FxHashSet<&'a str>,
}

/// What the value a binding statement makes is, when it cannot leave its process: the call
/// that makes it, or a cursor of such a value (`kept` names them).
fn stays_in_its_process(text: &str, makers: &Makers, kept: &FxHashSet<&str>) -> Option<String> {
    let Ok(ast::Mod::Module(module)) = parse(text, Mode::Module, "<statement>") else {
        return None;
    };
    let value = match module.body.as_slice() {
        [Stmt::Assign(a)] if a.targets.len() == 1 && matches!(a.targets[0], Expr::Name(_)) => {
            a.value.as_ref()
        }
        [Stmt::AnnAssign(a)] if matches!(a.target.as_ref(), Expr::Name(_)) => a.value.as_deref()?,
        _ => return None,
    };
    let call = match value {
        Expr::GeneratorExp(_) => return Some("a generator".to_owned()),
        Expr::Call(call) => call,
        _ => return None,
    };
    let dotted = dotted_name(&call.func)?;
    if let Some((base, method)) = dotted.rsplit_once('.')
        && kept.contains(base)
        && CURSOR_METHODS.contains(&method)
    {
        return Some(format!("a cursor of `{base}`"));
    }
    if makers.generators.contains(dotted.as_str()) {
        return Some(format!("a generator (`{dotted}` yields)"));
    }
    let path = makers
        .imports
        .resolve(&dotted)
        .or_else(|| is_builtin(&dotted).then(|| dotted.clone()))?;
    let index = MAKERS
        .binary_search_by(|(maker, _)| maker.cmp(&path.as_str()))
        .ok()?;
    Some(format!("{} (`{}`)", MAKERS[index].1, MAKERS[index].0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lift::process_state::parsed_with_imports;

    const IMPORTS: &str = "import sqlite3\nimport threading as th\nfrom sqlalchemy import create_engine\ndef numbers(n):\n    yield from range(n)\n";

    /// What the last statement after the imports makes, if it cannot leave its process;
    /// `conn` is a name already known to hold such a value.
    fn what(statement: &str) -> Option<String> {
        let source = format!("{IMPORTS}{statement}");
        let (facts, imports) = parsed_with_imports(&source);
        let last = facts.last().unwrap();
        let kept = FxHashSet::from_iter(["conn"]);
        let generators = generator_functions(facts.iter());
        let makers = Makers {
            imports: &imports,
            generators: &generators,
        };
        stays_in_its_process(&source[last.range], &makers, &kept)
    }

    #[test]
    fn connections_files_locks_and_generators_stay() {
        for (statement, expected) in [
            (
                "db = sqlite3.connect(':memory:')",
                "a database connection (`sqlite3.connect`)",
            ),
            ("lock = th.Lock()", "a lock (`threading.Lock`)"),
            (
                "engine = create_engine(url)",
                "a database engine (it holds a pool of connections) (`sqlalchemy.create_engine`)",
            ),
            ("log = open('run.log', 'w')", "an open file (`open`)"),
            ("squares = (v * v for v in range(3))", "a generator"),
            ("counts = numbers(3)", "a generator (`numbers` yields)"),
            ("cur = conn.cursor()", "a cursor of `conn`"),
        ] {
            assert_eq!(what(statement).as_deref(), Some(expected), "{statement}");
        }
    }

    #[test]
    fn values_made_of_them_and_other_calls_do_not() {
        for statement in [
            "rows = conn.execute('select 1').fetchall()",
            "squares = [v * v for v in range(3)]",
            "text = open('notes.txt').read()",
            "lock = threading.Lock()",
            "frame = sqlite3.Row",
            "a, b = sqlite3.connect(':memory:'), 1",
            "counts = list(numbers(3))",
        ] {
            assert_eq!(what(statement), None, "{statement}");
        }
    }

    #[test]
    fn the_makers_are_sorted_for_binary_search() {
        assert!(MAKERS.windows(2).all(|w| w[0].0 < w[1].0));
    }
}
