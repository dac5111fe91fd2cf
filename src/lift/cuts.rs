//! Cutting a long section into steps by its dataflow.
//!
//! A section (or a notebook without headings) that is long or holds many cells becomes
//! several steps. A cut between two cells costs the names that cross it (bound before it,
//! read after it): each becomes a return value and a parameter. The cuts are chosen by a
//! dynamic programme over the section's cells that keeps steps short and crossings few, and
//! prefers the places a person would cut: a deeper heading, a cell that loads data or fits a
//! model, the cell after one that writes a file.
//!
//! Invariants: linear in the notebook's size (each cell is weighed against at most
//! [`MAX_CELLS`] predecessors); a cut falls only between code cells, so every cell stays
//! whole in one step; the order of items is never changed.

use rustc_hash::FxHashSet;

use crate::analysis::Analysis;
use crate::lift::steps::{Group, GroupItem, StatementLayout, StmtRef, heading_of};
use crate::notebook::Notebook;

/// A step holds at most this many code lines, unless one cell alone is longer.
pub const MAX_LINES: usize = 80;
/// A step holds at most this many code cells.
pub const MAX_CELLS: usize = 8;
/// The length at which a step starts to cost more than a cut: a step of `L` lines costs
/// `L² / TARGET_LINES`, so two steps of 20 lines cost half of one of 40.
const TARGET_LINES: f64 = 40.0;
/// What any step costs, so that a section is not cut into one-line steps.
const STEP_COST: f64 = 10.0;
/// What each name that crosses a cut costs (it becomes a return value and a parameter).
const CROSSING_COST: f64 = 3.0;
/// How much a cut before a deeper heading is preferred.
const HEADING_BONUS: f64 = 15.0;
/// How much a cut at a stage boundary (data loaded, a model fit, a file written) is
/// preferred.
const STAGE_BONUS: f64 = 6.0;

/// What the cuts weigh, per cell of `analysis.cells`.
pub struct CellWeights {
    /// Code lines each cell keeps in its step (hoisted imports, lifted definitions and
    /// parameters left out).
    pub lines: Vec<usize>,
    /// `crossings[c]`: the names bound before cell `c` and read from there by cell `c` or
    /// later, which a cut just before `c` would pass on.
    pub crossings: Vec<usize>,
    /// A cut just before the cell starts a stage: it loads data or fits a model, or the cell
    /// before it writes a file.
    pub stage_start: Vec<bool>,
}

impl CellWeights {
    /// `moved`: a statement that leaves its step (hoisted, lifted, a parameter);
    /// `module_names`: names bound at module level, which no cut passes on.
    pub fn new(
        analysis: &Analysis,
        layout: &StatementLayout,
        moved: impl Fn(StmtRef) -> bool,
        module_names: &FxHashSet<&str>,
    ) -> Self {
        let count = analysis.cells.len();
        let lines = (0..count)
            .map(|cell| {
                (0..analysis.cells[cell].statements.len())
                    .map(|index| StmtRef { cell, index })
                    .filter(|&at| !moved(at))
                    .map(|at| {
                        let (first, last) = layout.lines(at);
                        last - first + 1
                    })
                    .sum()
            })
            .collect();

        // Each name's spans from a defining cell to a reading cell, merged per name, so that
        // a name is counted once per cut however many readers it has.
        let graph = &analysis.graph.graph;
        let mut spans: Vec<(&'static str, usize, usize)> = graph
            .edge_indices()
            .filter_map(|edge| {
                let (from, to) = graph.edge_endpoints(edge)?;
                let name = graph[edge].as_str();
                (from.index() < to.index() && !module_names.contains(name))
                    .then(|| (name, from.index() + 1, to.index()))
            })
            .collect();
        spans.sort_unstable();
        let mut difference = vec![0isize; count + 1];
        let mut current: Option<(&str, usize, usize)> = None;
        for (name, start, end) in spans {
            match &mut current {
                Some((open, _, open_end)) if *open == name && start <= *open_end + 1 => {
                    *open_end = (*open_end).max(end);
                }
                _ => {
                    if let Some((_, s, e)) = current.replace((name, start, end)) {
                        difference[s] += 1;
                        difference[e + 1] -= 1;
                    }
                }
            }
        }
        if let Some((_, s, e)) = current {
            difference[s] += 1;
            difference[e + 1] -= 1;
        }
        let mut running = 0isize;
        let crossings = difference[..count]
            .iter()
            .map(|d| {
                running += d;
                running.max(0) as usize
            })
            .collect();

        let stage_start = (0..count)
            .map(|cell| {
                let starts = analysis.cells[cell]
                    .statements
                    .iter()
                    .any(|s| s.files().iter().any(|f| !f.writes))
                    || analysis.cells[cell].python.contains(".fit(");
                let after_write = cell > 0
                    && analysis.cells[cell - 1]
                        .statements
                        .iter()
                        .any(|s| s.files().iter().any(|f| f.writes));
                starts || after_write
            })
            .collect();
        CellWeights {
            lines,
            crossings,
            stage_start,
        }
    }
}

/// Cuts every group that is too long into steps, at the cheapest places.
pub fn cut_long_groups(
    groups: Vec<Group>,
    notebook: &Notebook,
    weights: &CellWeights,
) -> Vec<Group> {
    let mut out = Vec::with_capacity(groups.len());
    for group in groups {
        let code: Vec<(usize, usize)> = group
            .items
            .iter()
            .enumerate()
            .filter_map(|(position, item)| match item {
                GroupItem::Code(cell) => Some((position, *cell)),
                GroupItem::Markdown(_) => None,
            })
            .collect();
        let cuts = choose_cuts(&code, &group, notebook, weights);
        if cuts.is_empty() {
            out.push(group);
            continue;
        }
        split_at(group, &cuts, notebook, &mut out);
    }
    out
}

/// The positions in `group.items` before which a new step starts (the markdown right before
/// a cut's code cell goes with it), chosen by the dynamic programme.
fn choose_cuts(
    code: &[(usize, usize)],
    group: &Group,
    notebook: &Notebook,
    weights: &CellWeights,
) -> Vec<usize> {
    let m = code.len();
    let lines: Vec<usize> = code.iter().map(|&(_, cell)| weights.lines[cell]).collect();
    let total: usize = lines.iter().sum();
    // A section under a heading is cut only when it is too long; the code before the first
    // heading (all of a notebook without headings) also when it is longer than a step should be.
    let too_long = total > MAX_LINES || m > MAX_CELLS;
    let untitled_and_long = group.title.is_none() && total as f64 > TARGET_LINES;
    if m < 2 || !(too_long || untitled_and_long) {
        return Vec::new();
    }
    // Where each code cell's step would start in `items`: right after the previous code
    // cell, so that markdown between them opens the new step.
    let starts: Vec<usize> = (0..m)
        .map(|k| if k == 0 { 0 } else { code[k - 1].0 + 1 })
        .collect();
    let cut_cost = |k: usize| -> f64 {
        let cell = code[k].1;
        let mut cost = CROSSING_COST * weights.crossings[cell] as f64;
        let heading = group.items[starts[k]..code[k].0].iter().any(|item| {
            matches!(item, GroupItem::Markdown(id) if heading_of(&notebook.cell(*id).source).is_some())
        });
        if heading {
            cost -= HEADING_BONUS;
        }
        if weights.stage_start[cell] {
            cost -= STAGE_BONUS;
        }
        cost
    };
    let mut prefix = vec![0usize; m + 1];
    for k in 0..m {
        prefix[k + 1] = prefix[k] + lines[k];
    }
    let step_cost = |from: usize, to: usize| -> f64 {
        let length = (prefix[to] - prefix[from]) as f64;
        STEP_COST + length * length / TARGET_LINES
    };
    // best[j]: the cheapest way to cut the first j code cells; back[j]: where its last step
    // starts.
    let mut best = vec![f64::INFINITY; m + 1];
    let mut back = vec![0usize; m + 1];
    best[0] = 0.0;
    for j in 1..=m {
        for i in j.saturating_sub(MAX_CELLS)..j {
            let too_long = prefix[j] - prefix[i] > MAX_LINES && j - i > 1;
            if too_long || best[i].is_infinite() {
                continue;
            }
            let cost = best[i] + step_cost(i, j) + if i > 0 { cut_cost(i) } else { 0.0 };
            if cost < best[j] {
                best[j] = cost;
                back[j] = i;
            }
        }
    }
    let mut cuts = Vec::new();
    let mut j = m;
    while j > 0 {
        let i = back[j];
        if i > 0 {
            cuts.push(starts[i]);
        }
        j = i;
    }
    cuts.reverse();
    cuts
}

/// Splits `group` before each of `cuts` (positions in its items). The first part keeps the
/// group's title; a later part that opens with a heading takes it as its title, with the
/// markdown before its first code cell as its docstring, and the group's title as parent.
fn split_at(group: Group, cuts: &[usize], notebook: &Notebook, out: &mut Vec<Group>) {
    let Group {
        title,
        parent,
        doc,
        items,
    } = group;
    let section = title.clone().or(parent.clone());
    let mut bounds = vec![0];
    bounds.extend_from_slice(cuts);
    bounds.push(items.len());
    for (part, window) in bounds.windows(2).enumerate() {
        let slice = &items[window[0]..window[1]];
        if part == 0 {
            out.push(Group {
                title: title.clone(),
                parent: parent.clone(),
                doc: doc.clone(),
                items: slice.to_vec(),
            });
            continue;
        }
        let opening = slice
            .iter()
            .take_while(|item| matches!(item, GroupItem::Markdown(_)))
            .count();
        let markdown: Vec<&str> = slice[..opening]
            .iter()
            .filter_map(|item| match item {
                GroupItem::Markdown(id) => Some(notebook.cell(*id).source.as_str()),
                GroupItem::Code(_) => None,
            })
            .collect();
        let heading = markdown.iter().find_map(|m| heading_of(m));
        let (title, doc, items) = match heading {
            Some((_, text)) => (
                Some(text),
                Some(markdown.join("\n\n")),
                slice[opening..].to_vec(),
            ),
            None => (None, None, slice.to_vec()),
        };
        out.push(Group {
            title,
            parent: section.clone(),
            doc,
            items,
        });
    }
}
