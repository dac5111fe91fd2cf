//! Lifting `def` and `class` blocks into `lib.py`, with the notebook constants they read.
//!
//! A definition moves when moving it cannot change what it does: its name is bound by it
//! alone, it declares no `global`, and every name it reads (now or when called) is a builtin
//! the notebook never rebinds, a hoisted import, another lifted definition, or a constant
//! bound above it. The last condition is settled with a worklist over reverse dependencies,
//! so it stays linear.
//!
//! A constant is a name bound once, by `NAME = literal` (a number, string, bool or `None`)
//! standing alone outside the parameters cell: no later binding can be missed, and nothing
//! can change its value in place. It moves with the definitions that read it, as a module
//! constant of `lib.py` that steps import like the definitions. A keyword default per
//! function would copy the literal into every function that reads it, and leave the step
//! that bound it either an unused local or without the name the notebook ends with.

use std::collections::VecDeque;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::analysis::builtins::is_builtin;
use crate::analysis::facts::{LiteralKind, StmtFacts, StmtKind};
use crate::analysis::{Analysis, Name};
use crate::lift::Library;
use crate::lift::imports::{Hoisting, render_for};
use crate::lift::steps::{StatementLayout, StmtRef};
use crate::lift::text::CellLines;

pub struct Lifted {
    /// The statements that move into `lib.py`.
    pub statements: FxHashSet<StmtRef>,
    /// Names of the lifted definitions and constants, in page order.
    pub names: Vec<String>,
    /// The lifted constants, in page order: names the notebook ends with that now live in
    /// `lib.py`.
    pub constants: Vec<Name>,
    /// Definitions that read module state: they move to the top of `steps.py`, in page order,
    /// so every step (in any process) imports them by name instead of receiving a function
    /// defined inside an earlier step, which no engine can pickle by reference.
    pub in_steps: Vec<StmtRef>,
    /// Their names, in page order.
    pub in_steps_names: Vec<String>,
}

impl Lifted {
    /// Whether the statement leaves its step, for `lib.py` or the top of `steps.py`.
    pub fn moves(&self, at: StmtRef) -> bool {
        self.statements.contains(&at) || self.in_steps.binary_search(&at).is_ok()
    }

    /// Every name bound at module level by a moved definition or constant.
    pub fn module_names(&self) -> impl Iterator<Item = &str> {
        self.names
            .iter()
            .chain(&self.in_steps_names)
            .map(String::as_str)
    }

    /// The definition's lines, with the comment lines directly above it.
    pub fn lines_with_comments(
        &self,
        at: StmtRef,
        layout: &StatementLayout,
        lines: &CellLines,
    ) -> (usize, usize) {
        let (mut first, last) = layout.lines(at);
        let floor = if at.index == 0 {
            0
        } else {
            layout
                .lines(StmtRef {
                    cell: at.cell,
                    index: at.index - 1,
                })
                .1
                + 1
        };
        while first > floor
            && lines.lines[first - 1].trim_start().starts_with('#')
            && !lines.in_string[first - 1]
        {
            first -= 1;
        }
        (first, last)
    }
}

/// `parameters`: the statements of the parameters cell, which stay pipeline parameters.
pub fn lift(
    analysis: &Analysis,
    layout: &StatementLayout,
    hoisting: &Hoisting,
    parameters: &FxHashSet<StmtRef>,
) -> Lifted {
    let mut binders: FxHashMap<&Name, usize> = FxHashMap::default();
    for (_, stmt) in analysis.statements() {
        for name in stmt
            .binds
            .iter()
            .map(|b| &b.name)
            .chain(stmt.deletes().iter().map(|d| &d.name))
            .chain(stmt.globals())
        {
            *binders.entry(name).or_default() += 1;
        }
    }
    let hoisted_names: FxHashSet<&str> = hoisting.bound_names.iter().map(String::as_str).collect();

    // Candidates: top-level definitions bound once, standalone, without `global`; and the
    // constants they may read.
    let mut candidates: FxHashMap<&Name, StmtRef> = FxHashMap::default();
    let mut constants: FxHashMap<&Name, StmtRef> = FxHashMap::default();
    let mut order = Vec::new();
    for (cell_index, cell) in analysis.cells.iter().enumerate() {
        for (index, stmt) in cell.statements.iter().enumerate() {
            let at = StmtRef {
                cell: cell_index,
                index,
            };
            if let Some(constant) = constant(stmt) {
                if binders.get(constant) == Some(&1)
                    && layout.standalone(at)
                    && !parameters.contains(&at)
                {
                    constants.insert(constant, at);
                }
                continue;
            }
            let name = match &stmt.kind {
                StmtKind::Function(name) | StmtKind::Class(name) => name,
                _ => continue,
            };
            if binders.get(name) == Some(&1)
                && stmt.globals().is_empty()
                && !stmt.top_level_await
                && layout.standalone(at)
            {
                candidates.insert(name, at);
                order.push((name, at));
            }
        }
    }

    // Remove candidates that read something else; removal propagates to their dependents.
    let mut dependents: FxHashMap<&Name, Vec<&Name>> = FxHashMap::default();
    let mut queue: VecDeque<&Name> = VecDeque::new();
    for &(name, at) in &order {
        let stmt = &analysis.cells[at.cell].statements[at.index];
        for read in stmt.all_reads() {
            let other = &read.name;
            if other == name {
                continue;
            }
            if candidates.contains_key(other) {
                dependents.entry(other).or_default().push(name);
            } else if constants.get(other).is_some_and(|&bound| bound < at) {
                // Bound above the definition, so every call sees it bound (it moves along).
            } else if !(hoisted_names.contains(other.as_str())
                || is_builtin(other.as_str()) && !binders.contains_key(other))
            {
                queue.push_back(name);
            }
        }
    }
    while let Some(name) = queue.pop_front() {
        if candidates.remove(name).is_some() {
            queue.extend(dependents.get(name).into_iter().flatten().copied());
        }
    }

    // The constants the remaining definitions read move with them.
    let mut moving: Vec<(StmtRef, &Name)> = Vec::new();
    for (_, &at) in candidates.iter() {
        let stmt = &analysis.cells[at.cell].statements[at.index];
        for read in stmt.all_reads() {
            if let Some(&bound) = constants.get(&read.name) {
                moving.push((bound, &read.name));
            }
        }
    }
    moving.extend(
        order
            .iter()
            .filter(|(name, _)| candidates.contains_key(name))
            .map(|&(name, at)| (at, name)),
    );
    moving.sort();
    moving.dedup();

    let mut lifted = Lifted {
        statements: FxHashSet::default(),
        names: Vec::new(),
        constants: Vec::new(),
        in_steps: Vec::new(),
        in_steps_names: Vec::new(),
    };
    for (at, name) in moving {
        lifted.statements.insert(at);
        lifted.names.push(name.as_str().to_owned());
        if constants.contains_key(name) {
            lifted.constants.push(name.clone());
        }
    }

    // The definitions left out of `lib.py` because they read, when called, what the steps
    // bind (module state) go to the top of `steps.py`, where those names are globals as they
    // are in the kernel, provided what they do at definition (decorators, defaults, bases, a
    // class body) reads only what is there at import: imports, `lib.py`, builtins, and the
    // definitions above them; and what they read when called is bound at the top level
    // somewhere, where a reader (and a linter) of `steps.py` finds it: not only by a
    // function's `global` declaration.
    let bound_at_top: FxHashSet<&str> = analysis
        .statements()
        .flat_map(|(_, stmt)| stmt.binds.iter().map(|b| b.name.as_str()))
        .collect();
    let mut at_import: FxHashSet<&str> = hoisted_names;
    at_import.extend(lifted.names.iter().map(String::as_str));
    for &(name, at) in &order {
        if candidates.contains_key(name) {
            continue;
        }
        let stmt = &analysis.cells[at.cell].statements[at.index];
        let ready = stmt.reads.iter().all(|read| {
            let other = read.name.as_str();
            at_import.contains(other) || is_builtin(other) && !binders.contains_key(&read.name)
        }) && stmt.late_reads.iter().all(|read| {
            let other = read.name.as_str();
            bound_at_top.contains(other) || at_import.contains(other) || is_builtin(other)
        });
        if ready {
            lifted.in_steps.push(at);
            lifted.in_steps_names.push(name.as_str().to_owned());
            at_import.insert(name.as_str());
        }
    }
    lifted
}

/// The name a statement binds to a constant: `NAME = literal` or `NAME: T = literal` with a
/// number, string, bool or `None`, reading nothing.
fn constant(stmt: &StmtFacts) -> Option<&Name> {
    let literal = stmt.literal()?;
    let scalar = !matches!(literal.kind, LiteralKind::Container);
    (scalar && stmt.reads.is_empty()).then_some(&literal.name)
}

pub fn library(
    analysis: &Analysis,
    layout: &StatementLayout,
    lifted: &Lifted,
    hoisting: &Hoisting,
) -> (Option<Library>, FxHashSet<&'static str>) {
    if lifted.statements.is_empty() {
        return (None, FxHashSet::default());
    }
    let mut ordered: Vec<StmtRef> = lifted.statements.iter().copied().collect();
    ordered.sort();
    let code = moved_code(analysis, layout, lifted, &ordered);
    let library = Library {
        imports: render_for(hoisting, &code.reads, None, &[]),
        code: code.text,
        opens_with_constant: code.opens_with_constant,
        names: lifted.names.clone(),
    };
    (Some(library), code.reads)
}

/// The text of moved statements, and what they read.
pub struct MovedCode {
    pub text: String,
    /// The code starts with a constant, not a definition.
    pub opens_with_constant: bool,
    pub reads: FxHashSet<&'static str>,
}

/// The moved statements `ordered` (in page order) as one module's code, each with the
/// comment lines directly above it.
pub fn moved_code(
    analysis: &Analysis,
    layout: &StatementLayout,
    lifted: &Lifted,
    ordered: &[StmtRef],
) -> MovedCode {
    let mut reads = FxHashSet::default();
    let mut code = String::new();
    let mut after_constant = false;
    let mut opens_with_constant = false;
    // The statements are in page order: each cell's lines are split once, for all of its
    // moved statements.
    let mut cell_lines: Option<(usize, CellLines)> = None;
    for &at in ordered {
        let cell = &analysis.cells[at.cell];
        let stmt = &cell.statements[at.index];
        reads.extend(stmt.all_reads().map(|r| r.name.as_str()));
        let lines = match cell_lines.take() {
            Some((index, lines)) if index == at.cell => lines,
            _ => CellLines::new(&cell.python),
        };
        let (first, last) = lifted.lines_with_comments(at, layout, &lines);
        // Constants in a row form one group; definitions stand two blank lines apart.
        let is_constant = matches!(stmt.kind, StmtKind::Other);
        if code.is_empty() {
            opens_with_constant = is_constant;
        } else {
            code.push_str(if is_constant && after_constant {
                "\n"
            } else {
                "\n\n\n"
            });
        }
        after_constant = is_constant;
        for (k, line) in lines.lines[first..=last].iter().enumerate() {
            if k > 0 {
                code.push('\n');
            }
            code.push_str(line.trim_end());
        }
        cell_lines = Some((at.cell, lines));
    }
    MovedCode {
        text: code,
        opens_with_constant,
        reads,
    }
}
