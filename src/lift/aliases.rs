//! Names that share objects, and how the exports keep them shared between processes.
//!
//! In one process, `view = rows` makes two names of one list: appending through `view`
//! changes `rows`. An engine that keeps each value in a file of its own breaks that: the
//! step after gets two lists. So, in `flow.py` only (the step functions are unchanged):
//!
//! - Names that may share objects form a class: the code shows it (`view = rows`,
//!   `run = {"settings": settings}`, `d[k] = v`, `xs.append(x)`; see
//!   [`crate::analysis::visitor::aliases`]), or a run of the package found it
//!   (`convert --export … --verify`: `view = make_view(rows)`, a numpy view), and sharing is
//!   transitive.
//! - A step that takes, binds or returns a name of a class hands on every name of that class
//!   which is bound by then and read later (`passes_on`), taking those its function does not
//!   take as inputs of its task: the latest task to touch a class provides all of it, so a
//!   later step receives the class from one task.
//! - What a step hands on of one class travels as one bundle (`bundles`): each value is kept
//!   with the others, and the next step takes the whole class from one copy, so objects the
//!   names shared are shared again.
//!
//! Module state travels on its own (see `flow.py`) and is left out here, and so are names only
//! ever bound to a number, a string or another literal that cannot change in place.

use rustc_hash::{FxHashMap, FxHashSet};

use crate::analysis::facts::LiteralKind;
use crate::analysis::{Analysis, Name};
use crate::diagnostic::{self, Diagnostic, Span};
use crate::lift::{Parameter, Step};

/// What the exports carry for one step beyond its function's arguments and returns.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Carried {
    /// Names the step's task hands on as they are after the step: the function's arguments
    /// it does not return, and names of the same classes it does not take (inputs of the
    /// task only).
    pub passes_on: Vec<Name>,
    /// Names the task hands on that travel together, a group per class.
    pub bundles: Vec<Vec<Name>>,
}

/// Per step, what its task carries, empty when no names share objects; and a note for each
/// pair of names that a run found sharing objects (`shared`) which the code does not show.
pub fn carried(
    analysis: &Analysis,
    steps: &[Step],
    parameters: &[Parameter],
    module_state: &[Name],
    shared: &[(String, String)],
) -> (Vec<Carried>, Vec<Diagnostic>) {
    let (classes, found) = Classes::of(analysis, module_state, shared);
    let first_bindings = if found.is_empty() {
        FxHashMap::default()
    } else {
        first_bindings(analysis)
    };
    let notes = found
        .iter()
        .filter_map(|(name, other)| {
            let span = *first_bindings.get(other.as_str())?;
            Some(diagnostic::shared_at_run_time(
                span,
                name.as_str(),
                other.as_str(),
            ))
        })
        .collect();
    if classes.members.is_empty() {
        return (Vec::new(), notes);
    }

    // When each name is first bound (parameters before every step), and last taken.
    let mut first_bound: FxHashMap<&str, usize> =
        parameters.iter().map(|p| (p.name.as_str(), 0)).collect();
    let mut last_taken: FxHashMap<&str, usize> = FxHashMap::default();
    let mut binds: Vec<FxHashSet<&str>> = Vec::with_capacity(steps.len());
    for (index, step) in steps.iter().enumerate() {
        let bound: FxHashSet<&str> = step
            .statements
            .iter()
            .flat_map(|at| &analysis.cells[at.cell].statements[at.index].binds)
            .map(|b| b.name.as_str())
            .collect();
        for name in &bound {
            first_bound.entry(name).or_insert(index);
        }
        for name in &step.params {
            last_taken.insert(name.as_str(), index);
        }
        binds.push(bound);
    }

    let mut carried = vec![Carried::default(); steps.len()];
    for (index, step) in steps.iter().enumerate() {
        let touched: FxHashSet<usize> = step
            .params
            .iter()
            .chain(&step.returns)
            .map(Name::as_str)
            .chain(binds[index].iter().copied())
            .filter_map(|name| classes.of_name.get(name).copied())
            .collect();
        let mut touched: Vec<usize> = touched.into_iter().collect();
        touched.sort_unstable();
        let returned: FxHashSet<&str> = step.returns.iter().map(Name::as_str).collect();
        for class in touched {
            let live = classes.members[class].iter().filter(|name| {
                first_bound.get(name.as_str()).is_some_and(|&b| b <= index)
                    && last_taken.get(name.as_str()).is_some_and(|&t| t > index)
            });
            let mut bundle: Vec<Name> = Vec::new();
            for name in live {
                if returned.contains(name.as_str()) {
                    bundle.push(name.clone());
                } else if !binds[index].contains(name.as_str()) {
                    // Bound here and not returned: a later step rebinds it first.
                    carried[index].passes_on.push(name.clone());
                    bundle.push(name.clone());
                }
            }
            if bundle.len() > 1 {
                carried[index].bundles.push(bundle);
            }
        }
    }
    (carried, notes)
}

/// Each name's first binding statement.
fn first_bindings(analysis: &Analysis) -> FxHashMap<&'static str, Span> {
    let mut first = FxHashMap::default();
    for (cell, stmt) in analysis.statements() {
        for binding in &stmt.binds {
            first
                .entry(binding.name.as_str())
                .or_insert_with(|| Span::new(cell, stmt.range));
        }
    }
    first
}

/// Classes of names that may share objects (union-find over the notebook's aliases).
struct Classes {
    /// Each class of two names or more, its names sorted.
    members: Vec<Vec<Name>>,
    of_name: FxHashMap<&'static str, usize>,
}

impl Classes {
    /// The classes, and the pairs of `shared` (found by a run) that the code does not join.
    fn of(
        analysis: &Analysis,
        module_state: &[Name],
        shared: &[(String, String)],
    ) -> (Self, Vec<(Name, Name)>) {
        let state: FxHashSet<&str> = module_state.iter().map(Name::as_str).collect();
        // A number or a string cannot change in place: sharing one shares nothing, so names
        // only ever bound to one (`extra = 4`) join no class, and link none together.
        let mut maybe_mutable: FxHashSet<&str> = FxHashSet::default();
        for (_, stmt) in analysis.statements() {
            let scalar = stmt
                .literal()
                .filter(|l| !matches!(l.kind, LiteralKind::Container));
            for binding in &stmt.binds {
                if scalar.is_none_or(|l| l.name != binding.name) {
                    maybe_mutable.insert(binding.name.as_str());
                }
            }
        }
        let mut index: FxHashMap<&'static str, usize> = FxHashMap::default();
        let mut parent: Vec<usize> = Vec::new();
        let mut names: Vec<Name> = Vec::new();
        let mut slot = |name: &Name, parent: &mut Vec<usize>| {
            *index.entry(name.as_str()).or_insert_with(|| {
                parent.push(parent.len());
                names.push(name.clone());
                parent.len() - 1
            })
        };
        fn root(parent: &mut [usize], mut at: usize) -> usize {
            while parent[at] != at {
                parent[at] = parent[parent[at]];
                at = parent[at];
            }
            at
        }
        for (_, stmt) in analysis.statements() {
            for (holder, held) in stmt.aliases() {
                let joins = |name: &Name| {
                    !state.contains(name.as_str()) && maybe_mutable.contains(name.as_str())
                };
                if !joins(holder) || !joins(held) {
                    continue;
                }
                let a = slot(holder, &mut parent);
                let b = slot(held, &mut parent);
                let (a, b) = (root(&mut parent, a), root(&mut parent, b));
                parent[a] = b;
            }
        }
        // What a run found: the objects were there, so no name is left out as a literal.
        let mut found = Vec::new();
        for (name, other) in shared {
            let (name, other) = (Name::new(name), Name::new(other));
            if state.contains(name.as_str()) || state.contains(other.as_str()) {
                continue;
            }
            let a = slot(&name, &mut parent);
            let b = slot(&other, &mut parent);
            let (a, b) = (root(&mut parent, a), root(&mut parent, b));
            if a != b {
                parent[a] = b;
                found.push((name, other));
            }
        }
        let mut by_root: FxHashMap<usize, Vec<Name>> = FxHashMap::default();
        for (at, name) in names.iter().enumerate() {
            let r = root(&mut parent, at);
            by_root.entry(r).or_default().push(name.clone());
        }
        let mut members: Vec<Vec<Name>> = by_root.into_values().filter(|c| c.len() > 1).collect();
        for class in &mut members {
            class.sort();
        }
        members.sort();
        let of_name = members
            .iter()
            .enumerate()
            .flat_map(|(class, names)| names.iter().map(move |n| (n.as_str(), class)))
            .collect();
        (Classes { members, of_name }, found)
    }
}
