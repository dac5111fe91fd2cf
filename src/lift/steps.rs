//! Steps: grouping cells, computing each step's parameters, returns and module state from
//! the dataflow, and cutting each step's body out of the cell text.

use rustc_hash::{FxHashMap, FxHashSet};
use thin_vec::ThinVec;

use crate::analysis::builtins::is_builtin;
use crate::analysis::facts::{ShownExpression, StmtFacts};
use crate::analysis::files::FileAccess;
use crate::analysis::{Analysis, CodeCell, Name};
use crate::diagnostic::{CellId, Diagnostic, Span};
use crate::lift::definitions::Lifted;
use crate::lift::figures::Figures;
use crate::lift::imports::Hoisting;
use crate::lift::naming::{self, NameAllocator, identifier};
use crate::lift::text::{CellLines, LineIndex, comment_block, indent_lines};
use crate::lift::{FileEdge, Options, Output, Parameter, Split, Step, StepEdge};
use crate::notebook::magics::SUPPORT_MODULE;
use crate::notebook::{CellKind, Notebook};

/// A statement: its cell's index in `analysis.cells` and its index in that cell.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StmtRef {
    pub cell: usize,
    pub index: usize,
}

/// Where each statement sits in its cell's lines.
pub struct StatementLayout {
    /// Per analysed cell, per statement: first line, last line, and whether the statement
    /// has its lines to itself (no `;` neighbour), so it can be cut out whole.
    pub spans: Vec<Vec<(usize, usize, bool)>>,
}

impl StatementLayout {
    pub fn new(analysis: &Analysis) -> Self {
        let spans = analysis
            .cells
            .iter()
            .map(|cell| {
                let lines = LineIndex::new(&cell.python);
                let raw: Vec<(usize, usize)> = cell
                    .statements
                    .iter()
                    .map(|s| lines.line_span(s.range))
                    .collect();
                raw.iter()
                    .enumerate()
                    .map(|(i, &(first, last))| {
                        let after_previous = i == 0 || raw[i - 1].1 < first;
                        let before_next = i + 1 == raw.len() || raw[i + 1].0 > last;
                        (first, last, after_previous && before_next)
                    })
                    .collect()
            })
            .collect();
        StatementLayout { spans }
    }

    pub fn standalone(&self, at: StmtRef) -> bool {
        self.spans[at.cell][at.index].2
    }

    pub fn lines(&self, at: StmtRef) -> (usize, usize) {
        let (first, last, _) = self.spans[at.cell][at.index];
        (first, last)
    }
}

/// The literal assignments of the cell tagged `parameters` (papermill's convention).
pub struct ParameterCell {
    pub parameters: Vec<(StmtRef, Parameter)>,
}

pub fn parameter_cell(
    notebook: &Notebook,
    analysis: &Analysis,
    layout: &StatementLayout,
) -> ParameterCell {
    let mut parameters = Vec::new();
    let tagged = analysis
        .cells
        .iter()
        .position(|c| notebook.cell(c.id).is_parameters());
    if let Some(cell_index) = tagged {
        let cell = &analysis.cells[cell_index];
        for (index, stmt) in cell.statements.iter().enumerate() {
            let at = StmtRef {
                cell: cell_index,
                index,
            };
            let Some(literal) = stmt.literal() else {
                continue;
            };
            if !layout.standalone(at)
                || parameters
                    .iter()
                    .any(|(_, p): &(StmtRef, Parameter)| p.name == literal.name)
            {
                continue;
            }
            let default = cell.python[literal.value].to_owned();
            parameters.push((
                at,
                Parameter {
                    name: literal.name.clone(),
                    kind: literal.kind,
                    default,
                    module_state: false,
                },
            ));
        }
    }
    ParameterCell { parameters }
}

/// Cells grouped into what will become one step.
#[derive(Debug, Default)]
pub struct Group {
    pub title: Option<String>,
    /// The heading the title's section sits under, which qualifies a repeated title.
    pub parent: Option<String>,
    pub doc: Option<String>,
    pub items: Vec<GroupItem>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupItem {
    /// Index into `analysis.cells`.
    Code(usize),
    /// The statements `from..to` of a long cell that a cut divides between steps (see
    /// `cuts.rs`); the cell's lines between two parts go with the later one.
    Part { cell: usize, from: usize, to: usize },
    /// Markdown inside a step, emitted as comments.
    Markdown(CellId),
}

impl GroupItem {
    /// The code this item runs: its cell (an index into `analysis.cells`) and the range of
    /// that cell's statements; `None` for markdown.
    pub fn code(self, analysis: &Analysis) -> Option<(usize, std::ops::Range<usize>)> {
        match self {
            GroupItem::Code(cell) => Some((cell, 0..analysis.cells[cell].statements.len())),
            GroupItem::Part { cell, from, to } => Some((cell, from..to)),
            GroupItem::Markdown(_) => None,
        }
    }
}

/// A markdown cell's first heading: its level (the number of `#`) and its text.
pub fn heading_of(markdown: &str) -> Option<(usize, String)> {
    markdown.lines().find_map(|line| {
        let line = line.trim();
        let text = line.trim_start_matches('#');
        let level = line.len() - text.len();
        (level > 0 && text.starts_with(' '))
            .then(|| (level, text.trim().trim_end_matches('#').trim().to_owned()))
    })
}

fn heading_text(markdown: &str) -> Option<String> {
    heading_of(markdown).map(|(_, text)| text)
}

/// The heading level that cuts a notebook into sections: the shallowest level used more than
/// once (a single `#` title over `##` sections cuts at `##`), else, when each level is used
/// once, the deepest. Deeper headings stay inside their section.
pub fn section_level(notebook: &Notebook) -> Option<usize> {
    let mut counts = [0usize; 7];
    for cell in &notebook.cells {
        if cell.kind == CellKind::Markdown {
            if let Some((level, _)) = heading_of(&cell.source) {
                counts[level.min(6)] += 1;
            }
        }
    }
    (1..=6)
        .find(|&level| counts[level] > 1)
        .or_else(|| (1..=6).rev().find(|&level| counts[level] > 0))
}

/// Under `--split tags`, the notebook without its code cells tagged `skip` (Kale's tag for a
/// cell that is not part of the pipeline), each made a raw cell so that cell numbers stay,
/// with a note for each; `None` when no code cell is tagged.
pub fn without_skipped_cells(notebook: &Notebook) -> Option<(Notebook, Vec<Diagnostic>)> {
    let skipped = |c: &crate::notebook::Cell| c.kind == CellKind::Code && c.has_tag("skip");
    if !notebook.cells.iter().any(skipped) {
        return None;
    }
    let mut trimmed = notebook.clone();
    let mut notes = Vec::new();
    for cell in &mut trimmed.cells {
        if skipped(cell) {
            cell.kind = CellKind::Raw;
            notes.push(crate::diagnostic::cell_skipped(cell.id));
        }
    }
    Some((trimmed, notes))
}

/// The tag that starts a new step under `--split tags`: `step:NAME`, or Kale's `block:NAME`.
fn step_tag(tags: &[String]) -> Option<String> {
    tags.iter()
        .find_map(|t| t.strip_prefix("step:").or_else(|| t.strip_prefix("block:")))
        .map(str::to_owned)
}

pub fn group(notebook: &Notebook, analysis: &Analysis, split: Split) -> Vec<Group> {
    let code_index: FxHashMap<CellId, usize> = analysis
        .cells
        .iter()
        .enumerate()
        .map(|(i, c)| (c.id, i))
        .collect();
    let level = section_level(notebook);
    // The nearest heading at each level above the current one, for a section's parent.
    let mut outline: Vec<(usize, String)> = Vec::new();
    let mut groups: Vec<Group> = vec![Group::default()];
    // Markdown seen since the last code cell, for `--split cells`.
    let mut pending: Vec<CellId> = Vec::new();
    for cell in &notebook.cells {
        match cell.kind {
            CellKind::Raw => {}
            CellKind::Markdown => {
                if cell.source.trim().is_empty() {
                    continue;
                }
                let heading = heading_of(&cell.source);
                let parent = heading.as_ref().and_then(|(depth, _)| {
                    outline.retain(|(d, _)| d < depth);
                    outline.last().map(|(_, text)| text.clone())
                });
                if let Some(heading) = &heading {
                    outline.push(heading.clone());
                }
                let starts_section =
                    matches!((&heading, level), (Some((depth, _)), Some(level)) if *depth <= level);
                match split {
                    Split::Sections if starts_section => groups.push(Group {
                        title: heading.map(|(_, text)| text),
                        parent,
                        doc: Some(cell.source.clone()),
                        items: Vec::new(),
                    }),
                    Split::Cells => pending.push(cell.id),
                    _ => {
                        let current = groups.last_mut().expect("groups start non-empty");
                        if current.items.is_empty()
                            && split != Split::Single
                            && current.doc.is_some()
                        {
                            let doc = current.doc.get_or_insert_with(String::new);
                            doc.push_str("\n\n");
                            doc.push_str(&cell.source);
                        } else {
                            current.items.push(GroupItem::Markdown(cell.id));
                        }
                    }
                }
            }
            CellKind::Code => {
                let Some(&index) = code_index.get(&cell.id) else {
                    continue;
                };
                match split {
                    Split::Cells => {
                        let docs: Vec<&str> = pending
                            .drain(..)
                            .map(|id| notebook.cell(id).source.as_str())
                            .collect();
                        let doc = docs.join("\n\n");
                        groups.push(Group {
                            title: heading_text(&doc),
                            parent: None,
                            doc: (!doc.trim().is_empty()).then_some(doc),
                            items: Vec::new(),
                        });
                    }
                    Split::Tags => {
                        if let Some(tag) = step_tag(&cell.tags) {
                            groups.push(Group {
                                title: Some(tag),
                                ..Group::default()
                            });
                        }
                    }
                    _ => {}
                }
                groups
                    .last_mut()
                    .expect("groups start non-empty")
                    .items
                    .push(GroupItem::Code(index));
            }
        }
    }
    groups
}

/// The notebook's title (its first heading) and the prose before its first code cell.
pub fn title_and_description(notebook: &Notebook) -> (String, String) {
    let mut title = None;
    let mut prose = Vec::new();
    for cell in &notebook.cells {
        match cell.kind {
            CellKind::Code => break,
            CellKind::Markdown => {
                for line in cell.source.lines() {
                    if title.is_none() && line.trim_start().starts_with('#') {
                        title = heading_text(line);
                    } else {
                        prose.push(line);
                    }
                }
                prose.push("");
            }
            CellKind::Raw => {}
        }
    }
    let title = title
        .or_else(|| {
            notebook
                .cells
                .iter()
                .filter(|c| c.kind == CellKind::Markdown)
                .find_map(|c| heading_text(&c.source))
        })
        .unwrap_or_else(|| "Notebook".to_owned());
    (title, prose.join("\n").trim().to_owned())
}

/// What one group's kept statements do, taken together.
///
/// The lists are `ThinVec`s: with `--split cells` there is one per cell.
#[derive(Default)]
struct StepFacts {
    statements: ThinVec<StmtRef>,
    reads: ThinVec<Name>,
    late_reads: ThinVec<Name>,
    /// Names bound, in order, with "every binding is conditional".
    binds: ThinVec<(Name, bool)>,
    /// Names a top-level `for` loop binds, at the first such target: bound unless the loop
    /// runs no time.
    loop_targets: ThinVec<(Name, Span)>,
    deletes: ThinVec<Name>,
    /// Names changed in place (`x.append(…)`, `x[k] = …`, `inplace=True`) that the step did
    /// not bind before: values it receives and hands on changed.
    mutates: ThinVec<Name>,
    /// Names whose last use in the step is `del` (a set only steps that delete allocate).
    dead_at_end: FxHashSet<Name>,
    globals: ThinVec<Name>,
    awaits: bool,
}

impl StepFacts {
    fn collect(statements: ThinVec<StmtRef>, analysis: &Analysis) -> Self {
        let mut facts = StepFacts {
            statements,
            ..StepFacts::default()
        };
        let mut bound: FxHashSet<&Name> = FxHashSet::default();
        let mut read_seen: FxHashSet<&Name> = FxHashSet::default();
        let mut late_seen: FxHashSet<&Name> = FxHashSet::default();
        let mut bind_index: FxHashMap<Name, usize> = FxHashMap::default();
        let mut delete_seen: FxHashSet<&Name> = FxHashSet::default();
        let mut global_seen: FxHashSet<&Name> = FxHashSet::default();
        let mut mutate_seen: FxHashSet<&Name> = FxHashSet::default();
        let mut loop_seen: FxHashSet<&Name> = FxHashSet::default();
        for &at in &facts.statements {
            let stmt: &StmtFacts = &analysis.cells[at.cell].statements[at.index];
            facts.awaits |= stmt.top_level_await;
            for read in &stmt.reads {
                if !bound.contains(&read.name) && read_seen.insert(&read.name) {
                    facts.reads.push(read.name.clone());
                }
            }
            for changed in &stmt.mutates {
                if !bound.contains(&changed.name) && mutate_seen.insert(&changed.name) {
                    facts.mutates.push(changed.name.clone());
                }
            }
            for read in &stmt.late_reads {
                if late_seen.insert(&read.name) {
                    facts.late_reads.push(read.name.clone());
                }
            }
            for binding in &stmt.binds {
                if binding.loop_target && loop_seen.insert(&binding.name) {
                    let cell = analysis.cells[at.cell].id;
                    facts
                        .loop_targets
                        .push((binding.name.clone(), Span::new(cell, binding.range)));
                }
                bound.insert(&binding.name);
                match bind_index.get(&binding.name) {
                    Some(&i) => facts.binds[i].1 &= binding.conditional,
                    None => {
                        bind_index.insert(binding.name.clone(), facts.binds.len());
                        facts
                            .binds
                            .push((binding.name.clone(), binding.conditional));
                    }
                }
                facts.dead_at_end.remove(&binding.name);
            }
            for deletion in stmt.deletes() {
                bound.remove(&deletion.name);
                facts.dead_at_end.insert(deletion.name.clone());
                if delete_seen.insert(&deletion.name) {
                    facts.deletes.push(deletion.name.clone());
                }
            }
            for name in stmt.globals() {
                if global_seen.insert(name) {
                    facts.globals.push(name.clone());
                }
            }
        }
        facts
    }
}

/// `run()` returns at most this many names.
pub const RESULT_NAMES: usize = 5;

/// The module attribute whose value differs between the notebook and the steps module.
pub const MODULE_NAME: &str = "__name__";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Provider {
    /// `__name__`, which the pipeline passes as `"__main__"`.
    MainModule,
    Parameter,
    Step(usize),
}

/// The steps with their dataflow, ready to render.
pub struct Flow {
    pub steps: Vec<Step>,
    pub parameters: Vec<Parameter>,
    pub module_state: Vec<Name>,
    pub outputs: Vec<Output>,
    /// What `run()` returns: the names the last step leaves that no step reads (at most
    /// [`RESULT_NAMES`]).
    pub result: Vec<Name>,
    /// The cells whose last expression the notebook shows (`Out[n]`), which the harness
    /// records with `--results`; empty when the steps show them themselves.
    pub shown_cells: Vec<CellId>,
    pub edges: Vec<StepEdge>,
    pub file_edges: Vec<FileEdge>,
    pub files_read: Vec<String>,
    /// Notes on what the steps assume (a loop that runs).
    pub notes: Vec<Diagnostic>,
    /// Names bound anywhere by the steps or parameters.
    pub bound_anywhere: FxHashSet<&'static str>,
    names_read: FxHashSet<&'static str>,
}

impl Flow {
    /// Every name the steps read, now or late: what `steps.py` must import.
    pub fn names_read_by_steps(&self) -> &FxHashSet<&'static str> {
        &self.names_read
    }
}

/// What the step pass reads from the earlier lifting decisions.
pub struct Inputs<'a> {
    pub notebook: &'a Notebook,
    pub analysis: &'a Analysis,
    pub layout: &'a StatementLayout,
    pub hoisting: &'a Hoisting,
    pub lifted: &'a Lifted,
    pub parameter_cell: &'a ParameterCell,
    /// The execution count each code cell gets in a fresh run, when the notebook reads
    /// IPython's `Out` history, which is keyed by it.
    pub execution_counts: Option<FxHashMap<CellId, u32>>,
    /// The notebook reads IPython's last results (`_`) or output history (`Out`), so the
    /// steps show each cell's value themselves (`_nblift.show`), in every run.
    pub explicit_shows: bool,
    /// What happens to open figures after each cell (see `figures.rs`).
    pub figures: Figures,
    /// The cells after which figures are closed, when they are (see `figures.rs`).
    pub drawing_cells: FxHashSet<usize>,
}

impl Inputs<'_> {
    /// Whether a statement leaves its step: hoisted (an import), lifted into `lib.py` or to
    /// the top of `steps.py`, or made a pipeline parameter.
    pub fn moved(&self, at: StmtRef) -> bool {
        self.hoisting.hoisted.contains(&at)
            || self.lifted.moves(at)
            || self.parameter_cell.parameters.iter().any(|(p, _)| *p == at)
    }

    /// Names bound at module level (imports, lifted definitions, parameters), which no step
    /// passes to another.
    pub fn module_names(&self) -> FxHashSet<&str> {
        self.hoisting
            .bound_names
            .iter()
            .map(String::as_str)
            .chain(self.lifted.module_names())
            .chain(
                self.parameter_cell
                    .parameters
                    .iter()
                    .map(|(_, p)| p.name.as_str()),
            )
            .collect()
    }
}

/// The execution count of each code cell in "restart and run all": cells are counted in page
/// order, and an empty cell is not run.
pub fn fresh_execution_counts(notebook: &Notebook) -> FxHashMap<CellId, u32> {
    notebook
        .code_cells()
        .filter(|cell| !cell.source.trim().is_empty())
        .zip(1..)
        .map(|(cell, count)| (cell.id, count))
        .collect()
}

pub fn flow(inputs: &Inputs<'_>, groups: &[Group], options: &Options) -> Flow {
    let Inputs {
        analysis,
        hoisting,
        lifted,
        parameter_cell,
        ..
    } = *inputs;
    let parameter_statements: FxHashSet<StmtRef> = parameter_cell
        .parameters
        .iter()
        .map(|(at, _)| *at)
        .collect();

    // Groups without a statement left become no step.
    let mut kept_groups = Vec::with_capacity(groups.len());
    let mut all_facts = Vec::with_capacity(groups.len());
    for group in groups {
        let statements: ThinVec<StmtRef> = group
            .items
            .iter()
            .filter_map(|item| item.code(analysis))
            .flat_map(|(cell, range)| range.map(move |index| StmtRef { cell, index }))
            .filter(|&at| !inputs.moved(at))
            .collect();
        if statements.is_empty() {
            continue;
        }
        kept_groups.push(group);
        all_facts.push(StepFacts::collect(statements, analysis));
    }

    let mut parameters: Vec<Parameter> = parameter_cell
        .parameters
        .iter()
        .map(|(_, p)| p.clone())
        .collect();
    let top_level: FxHashSet<&str> = hoisting
        .bound_names
        .iter()
        .map(String::as_str)
        .chain(lifted.module_names())
        .collect();
    let mut bound_anywhere: FxHashSet<&'static str> =
        parameters.iter().map(|p| p.name.as_str()).collect();
    let mut names_read: FxHashSet<&'static str> = FxHashSet::default();
    for facts in &all_facts {
        bound_anywhere.extend(facts.binds.iter().map(|(n, _)| n.as_str()));
        bound_anywhere.extend(facts.globals.iter().map(Name::as_str));
        names_read.extend(
            facts
                .reads
                .iter()
                .chain(&facts.late_reads)
                .map(Name::as_str),
        );
    }

    // The definitions at the top of `steps.py` read their names there, as the steps do.
    let moved_to_steps = lifted
        .in_steps
        .iter()
        .map(|at| &analysis.cells[at.cell].statements[at.index]);
    let mut late_in_moved: Vec<&Name> = Vec::new();
    for stmt in moved_to_steps {
        names_read.extend(stmt.all_reads().map(|r| r.name.as_str()));
        late_in_moved.extend(stmt.late_reads.iter().map(|r| &r.name));
    }

    // Names functions read late, or declared `global`, must stay module state.
    let mut state: FxHashSet<Name> = FxHashSet::default();
    let late = all_facts
        .iter()
        .flat_map(|facts| facts.late_reads.iter().chain(&facts.globals));
    for name in late.chain(late_in_moved) {
        if bound_anywhere.contains(name.as_str()) && !top_level.contains(name.as_str()) {
            state.insert(name.clone());
        }
    }

    // A step that reads a name before binding it, with no earlier provider, reads the
    // builtin or module value at module level; as a function it would fail, so such names
    // become module state too. Adding one changes earlier decisions, so iterate.
    let mut wiring = loop {
        let wiring = wire(&all_facts, &parameters, &state);
        if wiring.new_state.is_empty() {
            break wiring;
        }
        state.extend(wiring.new_state);
    };

    for parameter in &mut parameters {
        parameter.module_state = state.contains(&parameter.name);
    }

    let mut taken: FxHashSet<&str> = bound_anywhere.clone();
    taken.extend(&names_read);
    taken.extend(&top_level);
    taken.extend(["_nblift", "_steps", "run", "main"]);
    let mut allocator = NameAllocator::new(taken);
    let mut steps = Vec::with_capacity(kept_groups.len());
    let mut shown_cells = Vec::new();
    // Each step's facts and wiring move into the step, so a notebook of many steps is not
    // held twice.
    let file_edges = file_edges(&all_facts, analysis);
    let files_read = files_read(&all_facts, analysis);
    for (index, (group, facts)) in kept_groups.iter().zip(all_facts).enumerate() {
        let returns = std::mem::take(&mut wiring.returns[index]);
        let params = std::mem::take(&mut wiring.params[index]);
        let name = step_name(
            &mut allocator,
            options.split,
            group,
            &facts,
            analysis,
            &returns,
            &params,
        );
        let mut declared: FxHashSet<&Name> = FxHashSet::default();
        let globals: ThinVec<Name> = facts
            .binds
            .iter()
            .map(|(n, _)| n)
            .chain(&facts.deletes)
            .filter(|n| state.contains(*n) && declared.insert(n))
            .cloned()
            .collect();
        let body = step_body(
            inputs,
            group,
            &facts,
            &parameter_statements,
            &mut shown_cells,
        );
        if body.uses_support {
            names_read.insert(SUPPORT_MODULE);
        }
        steps.push(Step {
            name,
            title: group.title.clone(),
            doc: group.doc.clone(),
            cells: group
                .items
                .iter()
                .filter_map(|i| Some(analysis.cells[i.code(analysis)?.0].id))
                .collect(),
            statements: facts.statements,
            params,
            returns,
            globals,
            body: body.text,
            draws: body.draws,
            is_async: facts.awaits,
        });
    }

    let mut module_state: Vec<Name> = state.into_iter().collect();
    module_state.sort();
    let mut outputs: Vec<Output> = wiring
        .finals
        .into_iter()
        .map(|name| Output {
            name,
            from_state: false,
        })
        .collect();
    // The constants lifted into `lib.py` are module state there (the harness looks in
    // `steps` and then `lib`).
    outputs.extend(
        module_state
            .iter()
            .chain(&lifted.constants)
            .map(|name| Output {
                name: name.clone(),
                from_state: true,
            }),
    );
    outputs.sort_by(|a, b| a.name.cmp(&b.name));

    Flow {
        steps,
        parameters,
        module_state,
        outputs,
        result: wiring.result,
        shown_cells,
        edges: wiring.edges,
        file_edges,
        files_read,
        notes: wiring.loops_assumed_to_run,
        bound_anywhere,
        names_read,
    }
}

/// A step's function name: from its heading (a few words, filler dropped, qualified by the
/// parent heading when repeated), else from what its code does or produces; unique.
fn step_name(
    allocator: &mut NameAllocator<'_>,
    split: Split,
    group: &Group,
    facts: &StepFacts,
    analysis: &Analysis,
    returns: &[Name],
    params: &[Name],
) -> String {
    if split == Split::Single {
        return allocator.allocate("run_notebook", None);
    }
    let from_code = || {
        let calls: Vec<naming::Call<'_>> = facts
            .statements
            .iter()
            .flat_map(|at| {
                let cell = &analysis.cells[at.cell];
                naming::calls_in(&cell.python[cell.statements[at.index].range])
            })
            .collect();
        let names = |list: &[Name]| list.iter().map(Name::as_str).collect::<Vec<_>>();
        let binds: Vec<&str> = facts.binds.iter().map(|(n, _)| n.as_str()).collect();
        naming::from_code(&naming::StepCode {
            calls: &calls,
            returns: &names(returns),
            params: &names(params),
            binds: &binds,
        })
    };
    // The heading's words, then qualified by the parent heading when taken (a repeated
    // heading, or a name the notebook uses), then what the code does.
    let mut candidates = Vec::new();
    if let Some(title) = group.title.as_deref() {
        let base = naming::from_heading(title);
        if !base.is_empty() {
            if let Some(parent) = group.parent.as_deref().map(naming::from_heading) {
                if !parent.is_empty() {
                    candidates.push(format!("{parent}_{base}"));
                }
            }
            candidates.insert(0, base);
        }
    }
    // A heading that names a builtin (`## Filter`, `## Set up`) says less than the code does.
    if candidates.first().is_some_and(|c| is_builtin(c)) {
        candidates.insert(0, from_code());
    } else {
        candidates.push(from_code());
    }
    let candidates: Vec<String> = candidates
        .iter()
        .map(|c| identifier(c, "part", 60))
        .collect();
    allocator.allocate_first(&candidates)
}

/// Each step's reads of a file the last earlier writer of that path wrote, once per pair
/// and path.
fn file_edges(all_facts: &[StepFacts], analysis: &Analysis) -> Vec<FileEdge> {
    let mut writer: FxHashMap<&str, usize> = FxHashMap::default();
    let mut seen: FxHashSet<(usize, usize, &str)> = FxHashSet::default();
    let mut edges: Vec<FileEdge> = Vec::new();
    for (index, facts) in all_facts.iter().enumerate() {
        for access in step_files(facts, analysis) {
            if access.writes {
                writer.insert(&access.path, index);
                continue;
            }
            let Some(&from) = writer.get(access.path.as_str()) else {
                continue;
            };
            if from != index && seen.insert((from, index, &access.path)) {
                edges.push(FileEdge {
                    from,
                    to: index,
                    path: access.path.clone(),
                });
            }
        }
    }
    edges
}

fn files_read(all_facts: &[StepFacts], analysis: &Analysis) -> Vec<String> {
    let mut paths: Vec<String> = all_facts
        .iter()
        .flat_map(|facts| step_files(facts, analysis))
        .filter(|access| !access.writes)
        .map(|access| access.path.clone())
        .collect();
    paths.sort();
    paths.dedup();
    paths
}

fn step_files<'a>(
    facts: &'a StepFacts,
    analysis: &'a Analysis,
) -> impl Iterator<Item = &'a FileAccess> {
    facts
        .statements
        .iter()
        .flat_map(|at| analysis.cells[at.cell].statements[at.index].files())
}

struct Wiring {
    params: Vec<ThinVec<Name>>,
    /// Notes for the loops whose earlier value the steps do not pass on.
    loops_assumed_to_run: Vec<Diagnostic>,
    returns: Vec<ThinVec<Name>>,
    finals: Vec<Name>,
    result: Vec<Name>,
    edges: Vec<StepEdge>,
    new_state: FxHashSet<Name>,
}

/// One pass in page order: each step takes what it reads from the nearest earlier provider,
/// and that provider returns it.
fn wire(all_facts: &[StepFacts], parameters: &[Parameter], state: &FxHashSet<Name>) -> Wiring {
    let mut provider: FxHashMap<&Name, Provider> = FxHashMap::default();
    // The notebook runs as `__main__`; the steps module does not, so a step that reads
    // `__name__` (an `if __name__ == "__main__":` guard) receives it from the pipeline.
    let module_name = Name::new(MODULE_NAME);
    if !state.contains(&module_name) {
        provider.insert(&module_name, Provider::MainModule);
    }
    for parameter in parameters {
        if !state.contains(&parameter.name) {
            provider.insert(&parameter.name, Provider::Parameter);
        }
    }
    let mut params = Vec::with_capacity(all_facts.len());
    // (step, name) pairs in one set each, not a set per step: with `--split cells` a large
    // notebook has as many steps as cells, and an empty-or-small set per step costs more
    // than its entries.
    let mut returned: FxHashSet<(usize, &Name)> = FxHashSet::default();
    // (from, to, name) in the order the names are taken, grouped into edges at the end.
    let mut edges: Vec<(Option<usize>, usize, Name)> = Vec::new();
    let mut new_state = FxHashSet::default();

    // A step that binds a name only on some paths (a loop, a branch) keeps the earlier value
    // on the others, so when a later step reads that name, the step must also receive it.
    let mut maybe_kept: Vec<(usize, &Name, Provider)> = Vec::new();
    let mut demanded: FxHashSet<(usize, &Name)> = FxHashSet::default();

    for (index, facts) in all_facts.iter().enumerate() {
        let bound_here: FxHashSet<&Name> = facts.binds.iter().map(|(n, _)| n).collect();
        let mut taken: Vec<&Name> = Vec::new();
        for name in &facts.reads {
            if state.contains(name) {
                continue;
            }
            if provider.contains_key(name) {
                taken.push(name);
            } else if bound_here.contains(name) {
                new_state.insert(name.clone());
            }
        }
        let taken_set: FxHashSet<&Name> = taken.iter().copied().collect();
        for (name, conditional) in &facts.binds {
            if *conditional && !state.contains(name) && !taken_set.contains(name) {
                if let Some(&earlier) = provider.get(name) {
                    maybe_kept.push((index, name, earlier));
                }
            }
        }
        for name in &taken {
            let from = match provider[name] {
                Provider::Parameter | Provider::MainModule => None,
                Provider::Step(step) => {
                    returned.insert((step, name));
                    demanded.insert((step, name));
                    Some(step)
                }
            };
            edges.push((from, index, (*name).clone()));
        }
        // A value the step receives and changes in place is handed on by this step: it
        // returns it and `run()` rebinds it. The same object, so meaning is unchanged, but the
        // data flow is visible to the reader.
        for name in &facts.mutates {
            if taken_set.contains(name) && !facts.dead_at_end.contains(name) {
                provider.insert(name, Provider::Step(index));
            }
        }
        params.push(taken.into_iter().cloned().collect::<ThinVec<Name>>());
        for name in &facts.deletes {
            if facts.dead_at_end.contains(name) {
                provider.remove(name);
            }
        }
        for (name, _) in &facts.binds {
            if !facts.dead_at_end.contains(name) && !state.contains(name) {
                provider.insert(name, Provider::Step(index));
            }
        }
    }
    let mut loops_assumed_to_run = Vec::new();
    for (index, name, earlier) in maybe_kept {
        if demanded.contains(&(index, name)) {
            // A loop over nothing would leave the earlier value, but passing it in only for
            // that case makes the loop rebind a parameter. A notebook's loops run, so the
            // step assumes its loop does, and says so.
            if let Some((_, at)) = all_facts[index]
                .loop_targets
                .iter()
                .find(|(n, _)| n == name)
            {
                loops_assumed_to_run
                    .push(crate::diagnostic::loop_assumed_to_run(*at, name.as_str()));
                continue;
            }
            params[index].push(name.clone());
            let from = match earlier {
                Provider::Parameter | Provider::MainModule => None,
                Provider::Step(step) => {
                    returned.insert((step, name));
                    Some(step)
                }
            };
            edges.push((from, index, name.clone()));
        }
    }

    let received: FxHashSet<(usize, &Name)> = params
        .iter()
        .enumerate()
        .flat_map(|(step, names)| names.iter().map(move |name| (step, name)))
        .collect();
    let maybe_only: FxHashSet<(usize, &Name)> = all_facts
        .iter()
        .enumerate()
        .flat_map(|(step, facts)| {
            facts
                .binds
                .iter()
                .filter(|(_, conditional)| *conditional)
                .map(move |(name, _)| (step, name))
        })
        .collect();
    // The names the notebook leaves defined. The steps do not return them for that: the
    // harness keeps them from each step's frame when `--values` asks (see `_nblift.py`).
    let mut finals: Vec<Name> = Vec::new();
    // What `run()` returns: the names the last step leaves that no step reads.
    let last = all_facts.len().checked_sub(1);
    let mut result: FxHashSet<&Name> = FxHashSet::default();
    for (name, source) in &provider {
        if *source == Provider::MainModule {
            continue;
        }
        if let Provider::Step(step) = *source {
            let at = (step, *name);
            if maybe_only.contains(&at) && !received.contains(&at) && !returned.contains(&at) {
                continue;
            }
            if Some(step) == last {
                result.insert(name);
            }
        }
        finals.push((*name).clone());
    }
    finals.sort();
    // At most the last few the last step binds, in the order it binds them: a small result.
    let result: Vec<Name> = match last {
        Some(last) => {
            let bound: Vec<&Name> = all_facts[last]
                .binds
                .iter()
                .map(|(n, _)| n)
                .filter(|n| result.contains(n))
                .collect();
            let skip = bound.len().saturating_sub(RESULT_NAMES);
            bound[skip..]
                .iter()
                .map(|&n| {
                    returned.insert((last, n));
                    n.clone()
                })
                .collect()
        }
        None => Vec::new(),
    };

    // Returns follow the order in which the step binds them, then what it changes in place.
    let returns = all_facts
        .iter()
        .enumerate()
        .map(|(step, facts)| {
            let bound: FxHashSet<&Name> = facts.binds.iter().map(|(n, _)| n).collect();
            let changed = facts.mutates.iter().filter(move |n| !bound.contains(n));
            facts
                .binds
                .iter()
                .map(|(n, _)| n)
                .chain(changed)
                .filter(|&n| returned.contains(&(step, n)))
                .cloned()
                .collect()
        })
        .collect();
    // A stable sort: each edge lists its names in the order they were taken.
    edges.sort_by_key(|&(from, to, _)| (from, to));
    let mut grouped: Vec<StepEdge> = Vec::new();
    for (from, to, name) in edges {
        match grouped.last_mut() {
            Some(edge) if edge.from == from && edge.to == to => edge.names.push(name),
            _ => grouped.push(StepEdge {
                from,
                to,
                names: vec![name],
            }),
        }
    }
    Wiring {
        loops_assumed_to_run,
        params,
        returns,
        finals,
        result,
        edges: grouped,
        new_state,
    }
}

/// A step's body as `step_body` cuts it.
struct StepBody {
    text: String,
    /// The body calls the support module (`_nblift`).
    uses_support: bool,
    /// The body closes the figures its cells draw (`--figures` saves them first).
    draws: bool,
}

/// The step's body: kept lines of its cells, markdown as comments, indented four spaces.
fn step_body(
    inputs: &Inputs<'_>,
    group: &Group,
    facts: &StepFacts,
    parameter_statements: &FxHashSet<StmtRef>,
    shown_cells: &mut Vec<CellId>,
) -> StepBody {
    let Inputs {
        notebook,
        analysis,
        layout,
        hoisting,
        lifted,
        ..
    } = *inputs;
    let kept: FxHashSet<StmtRef> = facts.statements.iter().copied().collect();
    let mut chunks: Vec<String> = Vec::new();
    // Whether the body calls the support module (`_nblift`).
    let mut uses_support = false;
    let mut draws_any = false;
    for item in &group.items {
        match *item {
            GroupItem::Markdown(id) => {
                if !chunks.is_empty() {
                    let mut chunk = String::new();
                    comment_block(&notebook.cell(id).source, "    ", &mut chunk);
                    chunks.push(chunk);
                }
            }
            GroupItem::Code(_) | GroupItem::Part { .. } => {
                let Some((cell_index, range)) = item.code(analysis) else {
                    continue;
                };
                let cell = &analysis.cells[cell_index];
                let source = &notebook.cell(cell.id).source;
                let mut shown = shown_expression(cell, source, &kept, cell_index);
                // Shown values are the harness's business (`--results`), unless the notebook
                // reads IPython's last results or output history: then showing is meaning.
                if shown.is_some() && !inputs.explicit_shows {
                    shown_cells.push(cell.id);
                    shown = None;
                }
                uses_support |= shown.is_some();
                let python = match shown {
                    Some(range) => {
                        let count = inputs
                            .execution_counts
                            .as_ref()
                            .and_then(|counts| counts.get(&cell.id).copied());
                        wrap_shown(&cell.python, range, cell.id, count)
                    }
                    None => cell.python.clone(),
                };
                let lines = CellLines::new(&python);
                let mut drop = vec![false; lines.lines.len()];
                // A part of a cell keeps its statements' lines, and the lines before them
                // back to the previous part's last statement (comments lead what they
                // describe).
                let (window_first, window_last) = part_window(layout, cell_index, &range, cell);
                for (line, d) in drop.iter_mut().enumerate() {
                    *d = line < window_first || line > window_last;
                }
                for index in 0..cell.statements.len() {
                    let at = StmtRef {
                        cell: cell_index,
                        index,
                    };
                    if kept.contains(&at) {
                        continue;
                    }
                    if hoisting.hoisted.contains(&at) || parameter_statements.contains(&at) {
                        let (mut first, last) = layout.lines(at);
                        // The comment right above a hoisted import labelled it (`# Imports`):
                        // it goes with it, not left over the code that follows.
                        while first > 0
                            && !lines.in_string[first - 1]
                            && lines.lines[first - 1].trim_start().starts_with('#')
                            && hoisting.hoisted.contains(&at)
                        {
                            first -= 1;
                        }
                        drop[first..=last].iter_mut().for_each(|d| *d = true);
                    } else if lifted.moves(at) {
                        let (first, last) = lifted.lines_with_comments(at, layout, &lines);
                        drop[first..=last].iter_mut().for_each(|d| *d = true);
                    }
                }
                close_gaps(&mut drop, &lines);
                // The notebook's own code stays as written: a name it binds and never reads
                // is an unused local of its step, the notebook's finding, left visible.
                let kept_lines: Vec<(&str, bool)> = lines
                    .lines
                    .iter()
                    .zip(&lines.in_string)
                    .zip(&drop)
                    .filter(|(_, d)| !**d)
                    .map(|((l, s), _)| (*l, *s))
                    .collect();
                let first = kept_lines
                    .iter()
                    .position(|(l, s)| *s || !l.trim().is_empty());
                let last = kept_lines
                    .iter()
                    .rposition(|(l, s)| *s || !l.trim().is_empty());
                if let (Some(first), Some(last)) = (first, last) {
                    // Where each cell starts: for the reader, and for `display()` to tell
                    // which cell showed something.
                    let mut chunk = format!("    # cell {}\n", cell.id.0 + 1);
                    indent_lines(kept_lines[first..=last].iter().copied(), "    ", &mut chunk);
                    // The inline backend shows and closes figures when the cell ends.
                    let draws = inputs.drawing_cells.contains(&cell_index)
                        && range.end == cell.statements.len();
                    let close = match inputs.figures {
                        _ if !draws => None,
                        Figures::Kept => None,
                        Figures::ClosedByDefault => Some(""),
                        Figures::ClosedInline => Some("inline=True"),
                    };
                    if let Some(arguments) = close {
                        chunk.push_str(&format!(
                            "    {SUPPORT_MODULE}.close_figures({arguments})\n"
                        ));
                        uses_support = true;
                        draws_any = true;
                    }
                    chunks.push(chunk);
                }
            }
        }
    }
    StepBody {
        text: chunks.join("\n"),
        uses_support,
        draws: draws_any,
    }
}

/// A statement that left its step (an import, a definition) leaves no gap: the blank lines
/// around it become one, or none at the body's edge.
fn close_gaps(drop: &mut [bool], lines: &CellLines) {
    let blank = |k: usize| !lines.in_string[k] && lines.lines[k].trim().is_empty();
    let mut line = 0;
    while line < drop.len() {
        if !drop[line] {
            line += 1;
            continue;
        }
        let mut start = line;
        while start > 0 && !drop[start - 1] && blank(start - 1) {
            start -= 1;
        }
        let mut end = line;
        while end + 1 < drop.len() && (drop[end + 1] || blank(end + 1)) {
            end += 1;
        }
        let kept_blank = (start..=end).find(|&k| !drop[k] && blank(k));
        drop[start..=end].iter_mut().for_each(|d| *d = true);
        if let Some(k) = kept_blank {
            drop[k] = false;
        }
        line = end + 1;
    }
}

/// The first and last line (inclusive) of the statements `range` of a cell: from the line
/// after the previous statement (the cell's first line for the first) to the range's last
/// statement's last line (the cell's last line for the last).
pub fn part_window(
    layout: &StatementLayout,
    cell: usize,
    range: &std::ops::Range<usize>,
    code: &CodeCell,
) -> (usize, usize) {
    let first = match range.start {
        0 => 0,
        start => {
            layout
                .lines(StmtRef {
                    cell,
                    index: start - 1,
                })
                .1
                + 1
        }
    };
    let last = if range.end >= code.statements.len() {
        usize::MAX
    } else {
        layout
            .lines(StmtRef {
                cell,
                index: range.end - 1,
            })
            .1
    };
    (first, last)
}

/// The expression Jupyter would show as the cell's `Out[n]`: the cell's last statement when it
/// is a bare expression, kept in this step, not silenced by a trailing `;`, and not followed
/// (or formed) by a translated magic line, whose own value IPython would show instead.
pub fn shown_expression(
    cell: &CodeCell,
    source: &str,
    kept: &FxHashSet<StmtRef>,
    cell_index: usize,
) -> Option<ShownExpression> {
    let index = cell.statements.len().checked_sub(1)?;
    let statement = &cell.statements[index];
    let expression = statement.expression?;
    if !kept.contains(&StmtRef {
        cell: cell_index,
        index,
    }) {
        return None;
    }
    let rest = &cell.python[usize::from(expression.range.end())..];
    if rest.trim_start().starts_with(';') {
        return None;
    }
    let first_line = cell.python[..usize::from(statement.range.start())]
        .matches('\n')
        .count();
    let translated = cell.python.split('\n').skip(first_line);
    let original = source.split('\n').skip(first_line);
    translated
        .zip(original)
        .all(|(python, source)| python == source)
        .then_some(expression)
}

/// `_nblift.show(<expression>, <cell>)`: the value is still computed once, and recorded only
/// when the package runs with `--results`. Parentheses keep a bare tuple (`a, b`) or a
/// generator expression one argument. With the cell's execution count as a third argument,
/// the value also goes into `Out`.
fn wrap_shown(
    python: &str,
    expression: ShownExpression,
    cell: CellId,
    count: Option<u32>,
) -> String {
    let range = expression.range;
    let (start, end) = (usize::from(range.start()), usize::from(range.end()));
    let (open, close) = if expression.needs_parentheses {
        ("(", ")")
    } else {
        ("", "")
    };
    let count = count.map(|count| format!(", {count}")).unwrap_or_default();
    format!(
        "{}{SUPPORT_MODULE}.show({open}{}{close}, {}{count}){}",
        &python[..start],
        &python[start..end],
        cell.0,
        &python[end..]
    )
}
