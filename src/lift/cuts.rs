//! Cutting a long section into steps by its dataflow.
//!
//! A section (or a notebook without headings) that is long or holds many cells becomes
//! several steps. A cut costs the names that cross it (bound before it, read after it): each
//! becomes a return value and a parameter. The cuts are chosen by a dynamic programme over
//! the section's code units that keeps steps short and crossings few, and prefers the places
//! a person would cut: a deeper heading, a cell that loads data or fits a model, the cell after
//! one that writes a file. A unit is a cell, or a piece of a long cell: a cell longer than
//! [`PIECED_LINES`] may be cut between its top-level statements (the notebooks' first
//! complaint is the 500-line cell), at a price, so that a cell boundary is preferred.
//!
//! Invariants: linear in the notebook's size (each unit is weighed against at most
//! [`MAX_CELLS`] predecessors, and a long cell's crossings are counted with one difference
//! array); a cut falls between code cells or between two top-level statements of one cell
//! that share no line; the order of items is never changed.

use petgraph::graph::NodeIndex;
use rustc_hash::{FxHashMap, FxHashSet};

use crate::analysis::Analysis;
use crate::lift::steps::{Group, GroupItem, StatementLayout, StmtRef, heading_of, part_window};
use crate::notebook::Notebook;

/// A step holds at most this many lines (its code, the markdown between its cells as
/// comments, a line to mark each cell), unless one unit alone is longer.
pub const MAX_LINES: usize = 80;
/// A cell longer than this may be cut between its statements.
pub const PIECED_LINES: usize = MAX_LINES / 2;
/// A piece of a long cell holds at least this many lines, where its statements allow.
const PIECE_LINES: usize = 10;
/// What a cut inside a cell costs beyond its crossings: a cell boundary is where the
/// notebook's author already cut.
const INSIDE_CELL_COST: f64 = 12.0;
/// The lines a cell adds to its step besides its code: the `# cell N` line and the blank line
/// before the next.
const CELL_MARK_LINES: usize = 2;
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
    /// The lines each cell keeps in its step (hoisted imports, lifted definitions and
    /// parameters left out).
    pub lines: Vec<usize>,
    /// `crossings[c]`: the names bound before cell `c` and read from there by cell `c` or
    /// later, which a cut just before `c` would pass on.
    pub crossings: Vec<usize>,
    /// A cut just before the cell starts a stage: it loads data or fits a model, or the cell
    /// before it writes a file.
    pub stage_start: Vec<bool>,
    /// The pieces of each cell longer than [`PIECED_LINES`], in order.
    pub pieces: FxHashMap<usize, Vec<Piece>>,
}

/// The statements `from..to` of a long cell: a unit a cut may fall before.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Piece {
    pub from: usize,
    pub to: usize,
    /// The lines it keeps in its step.
    pub lines: usize,
    /// The names a cut just before it passes on.
    pub crossings: usize,
    /// Its first statement loads data or fits a model, or the statement before it writes a
    /// file.
    pub stage_start: bool,
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
        let lines: Vec<usize> = (0..count)
            .map(|cell| kept_lines(analysis, layout, &moved, cell, 0..usize::MAX))
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
        let crossings: Vec<usize> = running_sums(&difference[..count]).collect();

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

        let pieces = (0..count)
            .filter(|&cell| lines[cell] > PIECED_LINES)
            .map(|cell| {
                let pieces = pieces(
                    analysis,
                    layout,
                    &moved,
                    module_names,
                    cell,
                    crossings[cell],
                );
                (cell, pieces)
            })
            .filter(|(_, pieces)| pieces.len() > 1)
            .collect();
        CellWeights {
            lines,
            crossings,
            stage_start,
            pieces,
        }
    }
}

/// The lines a cell's statements `range` keep in their step: from the line after the
/// previous statement (the cell's first text line for the first) to the range's last line (the
/// cell's last text line for the last), less the lines of moved statements.
fn kept_lines(
    analysis: &Analysis,
    layout: &StatementLayout,
    moved: &impl Fn(StmtRef) -> bool,
    cell: usize,
    range: std::ops::Range<usize>,
) -> usize {
    let end = range.end.min(analysis.cells[cell].statements.len());
    if range.start >= end {
        return 0;
    }
    let moved_lines: usize = (range.start..end)
        .map(|index| moved_lines(layout, moved, StmtRef { cell, index }))
        .sum();
    window_lines(analysis, layout, cell, range.start, end).saturating_sub(moved_lines)
}

/// The lines of a moved statement, 0 for a kept one.
fn moved_lines(layout: &StatementLayout, moved: &impl Fn(StmtRef) -> bool, at: StmtRef) -> usize {
    if moved(at) {
        let (first, last) = layout.lines(at);
        last - first + 1
    } else {
        0
    }
}

/// The lines a part of the cell renders: the window `steps::part_window` keeps, less the
/// cell's blank lines at either end, which no step shows.
fn window_lines(
    analysis: &Analysis,
    layout: &StatementLayout,
    cell: usize,
    from: usize,
    to: usize,
) -> usize {
    let code = &analysis.cells[cell];
    let (first, last) = part_window(layout, cell, &(from..to), code);
    let python = &code.python;
    let blank = python.len() - python.trim_start().len();
    let text_first = memchr::memchr_iter(b'\n', &python.as_bytes()[..blank]).count();
    let text_last = memchr::memchr_iter(b'\n', python.trim_end().as_bytes()).count();
    (last.min(text_last) + 1).saturating_sub(first.max(text_first))
}

/// The running sums of a difference array, from its first entry (negative sums count as 0).
fn running_sums(difference: &[isize]) -> impl Iterator<Item = usize> + '_ {
    difference.iter().scan(0isize, |running, d| {
        *running += d;
        Some((*running).max(0) as usize)
    })
}

/// A long cell cut into pieces of at least [`PIECE_LINES`] lines, each starting at a
/// statement that shares no line with the one before. `entering`: the names that cross into
/// the cell from earlier ones (passed on by any cut inside it too, at most).
fn pieces(
    analysis: &Analysis,
    layout: &StatementLayout,
    moved: &impl Fn(StmtRef) -> bool,
    module_names: &FxHashSet<&str>,
    cell: usize,
    entering: usize,
) -> Vec<Piece> {
    let code = &analysis.cells[cell];
    let count = code.statements.len();
    // Names bound in the cell: the statement that first binds each, and the last statement
    // that reads it (`count` when a later cell reads it from this one). A cut before
    // statement `k` passes on the names bound before `k` and read from `k` on.
    let mut live: FxHashMap<&str, (usize, usize)> = FxHashMap::default();
    for (index, statement) in code.statements.iter().enumerate() {
        for read in statement
            .reads
            .iter()
            .chain(&statement.late_reads)
            .chain(&statement.mutates)
        {
            if let Some((_, last)) = live.get_mut(read.name.as_str()) {
                *last = index;
            }
        }
        for binding in &statement.binds {
            let name = binding.name.as_str();
            if !module_names.contains(name) {
                live.entry(name).or_insert((index, index));
            }
        }
    }
    let graph = &analysis.graph.graph;
    for edge in graph.edges(NodeIndex::new(cell)) {
        if let Some((_, last)) = live.get_mut(edge.weight().as_str()) {
            *last = count;
        }
    }
    let mut difference = vec![0isize; count + 2];
    for &(first, last) in live.values() {
        if first < last {
            difference[first + 1] += 1;
            difference[last + 1] -= 1;
        }
    }
    let crossing: Vec<usize> = running_sums(&difference[..count])
        .map(|inside| inside + entering)
        .collect();

    let starts_stage = |index: usize| {
        let statement = &code.statements[index];
        let loads = statement.files().iter().any(|f| !f.writes)
            || code.python[statement.range].contains(".fit(");
        let after_write = index > 0 && code.statements[index - 1].files().iter().any(|f| f.writes);
        loads || after_write
    };
    let mut pieces = Vec::new();
    let mut from = 0;
    let mut moved_in_piece = 0;
    for index in 1..=count {
        moved_in_piece += moved_lines(
            layout,
            moved,
            StmtRef {
                cell,
                index: index - 1,
            },
        );
        let boundary = index == count
            || layout.lines(StmtRef { cell, index }).0
                > layout
                    .lines(StmtRef {
                        cell,
                        index: index - 1,
                    })
                    .1;
        if !boundary {
            continue;
        }
        let lines =
            window_lines(analysis, layout, cell, from, index).saturating_sub(moved_in_piece);
        if lines >= PIECE_LINES || index == count {
            pieces.push(Piece {
                from,
                to: index,
                lines,
                crossings: crossing[from],
                stage_start: from > 0 && starts_stage(from),
            });
            from = index;
            moved_in_piece = 0;
        }
    }
    // A last piece too short to stand alone joins the one before.
    if pieces.len() > 1 && pieces[pieces.len() - 1].lines < PIECE_LINES {
        let last = pieces.pop().expect("two pieces");
        let before = pieces.last_mut().expect("one piece left");
        before.to = last.to;
        before.lines += last.lines;
    }
    pieces
}

/// Cuts every group that is too long into steps, at the cheapest places.
pub fn cut_long_groups(
    groups: Vec<Group>,
    notebook: &Notebook,
    analysis: &Analysis,
    weights: &CellWeights,
) -> Vec<Group> {
    let mut out = Vec::with_capacity(groups.len());
    for mut group in groups {
        group.items = into_pieces(group.items, weights);
        let cuts = choose_cuts(&group, notebook, weights);
        let first = out.len();
        if cuts.is_empty() {
            out.push(group);
        } else {
            split_at(group, &cuts, notebook, &mut out);
        }
        for group in &mut out[first..] {
            group.items = joined(std::mem::take(&mut group.items), analysis);
        }
    }
    out
}

/// The items with each long cell replaced by its pieces.
fn into_pieces(items: Vec<GroupItem>, weights: &CellWeights) -> Vec<GroupItem> {
    if weights.pieces.is_empty() {
        return items;
    }
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        match item {
            GroupItem::Code(cell) if weights.pieces.contains_key(&cell) => {
                out.extend(weights.pieces[&cell].iter().map(|piece| GroupItem::Part {
                    cell,
                    from: piece.from,
                    to: piece.to,
                }));
            }
            item => out.push(item),
        }
    }
    out
}

/// The items with the adjacent parts of one cell that no cut divides made one again: a
/// whole cell when they cover it.
fn joined(items: Vec<GroupItem>, analysis: &Analysis) -> Vec<GroupItem> {
    let mut out: Vec<GroupItem> = Vec::with_capacity(items.len());
    for item in items {
        if let (
            Some(GroupItem::Part {
                cell: open,
                to: open_to,
                ..
            }),
            GroupItem::Part { cell, from, to },
        ) = (out.last_mut(), item)
            && *open == cell
            && *open_to == from
        {
            *open_to = to;
            continue;
        }
        out.push(item);
    }
    for item in &mut out {
        if let GroupItem::Part { cell, from: 0, to } = *item
            && to == analysis.cells[cell].statements.len()
        {
            *item = GroupItem::Code(cell);
        }
    }
    out
}

/// A code item as the dynamic programme weighs it.
struct Unit {
    /// Its position in the group's items.
    position: usize,
    /// The lines it adds to a step: its code, the markdown since the previous unit as
    /// comments, and the cell's mark when it starts a cell.
    lines: usize,
    /// What a cut just before it costs (a preferred place costs less).
    cut_cost: f64,
}

fn units(group: &Group, notebook: &Notebook, weights: &CellWeights) -> Vec<Unit> {
    let mut units = Vec::new();
    let mut markdown_lines = 0;
    let mut heading = false;
    for (position, item) in group.items.iter().enumerate() {
        let (lines, cut_cost) = match *item {
            GroupItem::Markdown(id) => {
                let source = &notebook.cell(id).source;
                markdown_lines += source.lines().count() + 1;
                heading |= heading_of(source).is_some();
                continue;
            }
            GroupItem::Code(cell) | GroupItem::Part { cell, from: 0, .. } => {
                let lines = match *item {
                    GroupItem::Part { to, .. } => piece(weights, cell, 0).map_or(0, |p| {
                        debug_assert_eq!(p.to, to);
                        p.lines
                    }),
                    _ => weights.lines[cell],
                };
                let mut cost = CROSSING_COST * weights.crossings[cell] as f64;
                if weights.stage_start[cell] {
                    cost -= STAGE_BONUS;
                }
                (lines + CELL_MARK_LINES, cost)
            }
            GroupItem::Part { cell, from, .. } => {
                let Some(piece) = piece(weights, cell, from) else {
                    continue;
                };
                let mut cost = CROSSING_COST * piece.crossings as f64 + INSIDE_CELL_COST;
                if piece.stage_start {
                    cost -= STAGE_BONUS;
                }
                (piece.lines, cost)
            }
        };
        units.push(Unit {
            position,
            lines: lines + markdown_lines,
            cut_cost: cut_cost - if heading { HEADING_BONUS } else { 0.0 },
        });
        markdown_lines = 0;
        heading = false;
    }
    units
}

/// The piece of a long cell that starts at statement `from`.
fn piece(weights: &CellWeights, cell: usize, from: usize) -> Option<&Piece> {
    let pieces = weights.pieces.get(&cell)?;
    let at = pieces.binary_search_by_key(&from, |p| p.from).ok()?;
    Some(&pieces[at])
}

/// The positions in `group.items` before which a new step starts (the markdown right before
/// a cut's code unit goes with it), chosen by the dynamic programme.
fn choose_cuts(group: &Group, notebook: &Notebook, weights: &CellWeights) -> Vec<usize> {
    let units = units(group, notebook, weights);
    let m = units.len();
    let total: usize = units.iter().map(|u| u.lines).sum();
    let cells = group
        .items
        .iter()
        .filter(|item| matches!(item, GroupItem::Code(_) | GroupItem::Part { from: 0, .. }))
        .count();
    // A section under a heading is cut only when it is too long; the code before the first
    // heading (all of a notebook without headings) also when it is longer than a step should be.
    let too_long = total > MAX_LINES || cells > MAX_CELLS;
    let untitled_and_long = group.title.is_none() && total as f64 > TARGET_LINES;
    if m < 2 || !(too_long || untitled_and_long) {
        return Vec::new();
    }
    // Where each unit's step would start in `items`: right after the previous unit, so that
    // markdown between them opens the new step.
    let starts: Vec<usize> = (0..m)
        .map(|k| if k == 0 { 0 } else { units[k - 1].position + 1 })
        .collect();
    let mut prefix = vec![0usize; m + 1];
    for k in 0..m {
        prefix[k + 1] = prefix[k] + units[k].lines;
    }
    let step_cost = |from: usize, to: usize| -> f64 {
        let length = (prefix[to] - prefix[from]) as f64;
        STEP_COST + length * length / TARGET_LINES
    };
    // best[j]: the cheapest way to cut the first j units; back[j]: where its last step
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
            let cut = if i > 0 { units[i].cut_cost } else { 0.0 };
            let cost = best[i] + step_cost(i, j) + cut;
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
                GroupItem::Code(_) | GroupItem::Part { .. } => None,
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
