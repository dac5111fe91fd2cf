//! Lifting: turns the analysis into a [`Plan`] of the package: hoisted imports, definitions
//! lifted into `lib.py` (or, when they read module state, to the top of `steps.py`), and steps
//! whose parameters and return values come from the dataflow; for the exports, the steps that
//! must run as one task (`tasks`) and the names that must travel together (`aliases`).
//!
//! Invariants: statements are emitted as slices of the cell text in page order; a name that
//! functions read late, that is declared `global`, or that a step reads before binding it
//! without an earlier provider is module state (a global of `steps.py`), never a parameter;
//! every other name a step reads from an earlier step is a parameter, and the providing step
//! returns it.

pub mod aliases;
pub mod cuts;
pub mod definitions;
pub mod dependencies;
pub mod figures;
pub mod imports;
pub mod naming;
pub mod process_state;
pub mod saved;
pub mod star_exports;
pub mod stdlib;
pub mod steps;
pub mod tasks;
pub mod text;

use std::collections::BTreeSet;

use thin_vec::ThinVec;

use crate::analysis::builtins::{KERNEL_NAMES, LAST_RESULTS};
use crate::analysis::facts::{ImportBinding, LiteralKind};
use crate::analysis::{Analysis, Name};
use crate::diagnostic::{CellId, Diagnostic};
use crate::named::Named;
use crate::notebook::Notebook;
use crate::notebook::magics::SUPPORT_MODULE;

/// How code cells are grouped into steps.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Split {
    /// A new step at each heading of the notebook's section level; a long section, or a
    /// notebook without headings, is cut by its dataflow (see `cuts.rs`).
    #[default]
    Sections,
    /// One step per code cell.
    Cells,
    /// A new step at each cell tagged `step:NAME`.
    Tags,
    /// The whole notebook as one step.
    Single,
}

impl Named for Split {
    const ALL: &'static [Split] = &[Split::Sections, Split::Cells, Split::Tags, Split::Single];

    fn name(self) -> &'static str {
        match self {
            Split::Sections => "sections",
            Split::Cells => "cells",
            Split::Tags => "tags",
            Split::Single => "single",
        }
    }

    fn help(self) -> &'static str {
        match self {
            Split::Sections => {
                "A new step at each heading of the notebook's section level; a long section, or a notebook without headings, is cut by its dataflow"
            }
            Split::Cells => "One step per code cell",
            Split::Tags => "A new step at each cell tagged `step:NAME` (or Kale's `block:NAME`)",
            Split::Single => "The whole notebook as one step",
        }
    }
}

impl Split {
    pub fn describe(self) -> &'static str {
        match self {
            Split::Sections => "section (cut at headings, and by the dataflow where long)",
            Split::Cells => "code cell",
            Split::Tags => "`step:` tag",
            Split::Single => "notebook",
        }
    }
}

#[derive(Clone, Debug)]
pub struct Options {
    pub package: String,
    pub split: Split,
    /// Modules that live beside the notebook (`name.py` files and package folders).
    pub local_modules: BTreeSet<String>,
    /// What a run of the package found that the code does not show.
    pub observed: Observed,
}

/// What a run of the package, its tasks as an engine runs them, found that the code does
/// not show (`nblift convert --export … --verify`: `python -m PKG --crossings FILE`).
#[derive(Clone, Debug, Default, serde::Deserialize)]
pub struct Observed {
    /// Values no task can hand to the next (see [`tasks`]).
    pub uncarried: Vec<tasks::Uncarried>,
    /// Pairs of names that held the same objects when both were handed on past a task
    /// (see [`aliases`]).
    pub shared: Vec<(String, String)>,
}

impl Observed {
    pub fn is_empty(&self) -> bool {
        self.uncarried.is_empty() && self.shared.is_empty()
    }
}

#[derive(Clone, Debug)]
pub struct Plan {
    pub package: String,
    pub title: String,
    /// The notebook's prose before its first code cell.
    pub description: String,
    pub split: Split,
    /// `from __future__` imports, which must open every module.
    pub future_imports: Vec<String>,
    /// Imports of `steps.py`, grouped standard library / third party / local, including the
    /// package's own support module and `lib.py`.
    pub step_imports: Vec<Vec<String>>,
    pub library: Option<Library>,
    /// Definitions that read module state, moved to the top of `steps.py` (see
    /// [`definitions::Lifted::in_steps`]).
    pub step_definitions: String,
    pub steps: Vec<Step>,
    pub parameters: Vec<Parameter>,
    pub module_state: Vec<Name>,
    /// The names the notebook leaves defined, whose final values `--values` fingerprints.
    /// No step returns a name for this: the harness keeps them from the steps' frames.
    pub outputs: Vec<Output>,
    /// What `run()` returns (see [`steps::Flow::result`]).
    pub result: Vec<Name>,
    /// See [`steps::Flow::shown_cells`].
    pub shown_cells: Vec<CellId>,
    pub dependencies: Vec<String>,
    pub edges: Vec<StepEdge>,
    /// A step reading a file an earlier step writes: an order no name carries.
    pub file_edges: Vec<FileEdge>,
    /// Every file the steps read by literal path, sorted, each once.
    pub files_read: Vec<String>,
    /// IPython's last results (`_`, `__`, `___`) the code reads, which the support module
    /// keeps as builtins; linters are told so.
    pub kernel_builtins: Vec<String>,
    /// The notebook's saved stdout by step, for the generated tests.
    pub saved_stdout: saved::SavedStdout,
    /// The notebook uses pandas, whose display defaults differ between a kernel and a
    /// plain interpreter: `run()` (and the engines' `parameter_values`) set the kernel's.
    pub kernel_display_defaults: bool,
    /// The notebook uses `random` or `numpy`, whose global generators a step may draw from:
    /// the engines carry their state from step to step (see `flow.py`).
    pub random_generators: bool,
    /// Statements that only change the process, by step (see [`process_state`]).
    pub process_state: process_state::ProcessState,
    /// Steps the exports run as one task: values that cannot leave their process tie them
    /// (see [`tasks`]).
    pub merged_tasks: Vec<tasks::MergedTask>,
    /// Per step, what the exports carry beyond its arguments and returns, so names that
    /// share objects stay shared (see [`aliases`]); empty when none do.
    pub carried: Vec<aliases::Carried>,
}

/// `lib.py`: the lifted definitions.
#[derive(Clone, Debug)]
pub struct Library {
    pub imports: Vec<Vec<String>>,
    pub code: String,
    /// The code starts with a constant, not a definition.
    pub opens_with_constant: bool,
    pub names: Vec<String>,
}

#[derive(Clone, Debug)]
pub struct Step {
    pub name: String,
    pub title: Option<String>,
    pub doc: Option<String>,
    // The lists are `ThinVec`s (a pointer each, no allocation when empty): with `--split
    // cells` a large notebook has as many steps as cells.
    pub cells: ThinVec<CellId>,
    /// The statements the body runs, in page order; the other statements of its cells were
    /// hoisted (imports), lifted into `lib.py` or made pipeline parameters.
    pub statements: ThinVec<steps::StmtRef>,
    pub params: ThinVec<Name>,
    pub returns: ThinVec<Name>,
    /// Module-state names the step binds or deletes (`global` declarations).
    pub globals: ThinVec<Name>,
    /// The body, indented for the function, ending with a newline.
    pub body: String,
    /// The step closes figures its cells draw, which `--figures DIR` saves.
    pub draws: bool,
    /// The step awaits at its top level (IPython's autoawait), so it is a coroutine the
    /// pipeline runs with `asyncio.run`.
    pub is_async: bool,
}

#[derive(Clone, Debug)]
pub struct Parameter {
    pub name: Name,
    pub kind: LiteralKind,
    /// The default value's source text, from the `parameters` cell.
    pub default: String,
    /// Functions read it late, so it is set as module state before the steps run.
    pub module_state: bool,
}

/// A name the notebook leaves defined at the end.
#[derive(Clone, Debug)]
pub struct Output {
    pub name: Name,
    pub from_state: bool,
}

/// Names flowing from one step (or the parameters, `from: None`) to another.
#[derive(Clone, Debug)]
pub struct StepEdge {
    pub from: Option<usize>,
    pub to: usize,
    pub names: Vec<Name>,
}

/// Step `to` reads `path`, which step `from` (the last before it to do so) writes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileEdge {
    pub from: usize,
    pub to: usize,
    pub path: String,
}

/// Whether any statement reads `name`, at once or when a function runs.
fn reads_name(analysis: &Analysis, name: &str) -> bool {
    analysis
        .statements()
        .any(|(_, stmt)| stmt.all_reads().any(|read| read.name.as_str() == name))
}

pub fn plan(
    notebook: &Notebook,
    analysis: &Analysis,
    options: &Options,
) -> (Plan, Vec<Diagnostic>) {
    let mut diagnostics = Vec::new();
    let layout = steps::StatementLayout::new(analysis);
    let hoisting = imports::hoist(analysis, &layout, &mut diagnostics);
    let parameters = steps::parameter_cell(notebook, analysis, &layout);
    let lifted = definitions::lift(
        analysis,
        &layout,
        &hoisting,
        &parameters.parameters.iter().map(|(at, _)| *at).collect(),
    );
    let mut grouped = steps::group(notebook, analysis, options.split);
    let inputs = steps::Inputs {
        notebook,
        analysis,
        layout: &layout,
        hoisting: &hoisting,
        lifted: &lifted,
        parameter_cell: &parameters,
        execution_counts: reads_name(analysis, "Out")
            .then(|| steps::fresh_execution_counts(notebook)),
        explicit_shows: ["Out"]
            .iter()
            .chain(LAST_RESULTS)
            .any(|name| reads_name(analysis, name)),
        figures: figures::figures(notebook, analysis),
        drawing_cells: figures::drawing_cells(analysis, &options.local_modules),
    };
    if options.split == Split::Sections {
        let weights = cuts::CellWeights::new(
            analysis,
            &layout,
            |at| inputs.moved(at),
            &inputs.module_names(),
        );
        grouped = cuts::cut_long_groups(grouped, notebook, analysis, &weights);
    }
    let mut flow = steps::flow(&inputs, &grouped, options);
    diagnostics.append(&mut flow.notes);

    let (library, lib_uses) = definitions::library(analysis, &layout, &lifted, &hoisting);
    let step_definitions =
        definitions::moved_code(analysis, &layout, &lifted, &lifted.in_steps).text;
    let step_uses = flow.names_read_by_steps();
    // The package's own modules the steps import: the support module and `lib.py`.
    let relative = ImportBinding::relative;
    // A kernel's display defaults are set where pandas is used (see `_nblift.as_in_a_kernel`).
    let uses_module = |module: &str| {
        analysis
            .statements()
            .any(|(_, s)| s.modules.iter().any(|m| m.as_str() == module))
    };
    let kernel_display_defaults = uses_module("pandas");
    let random_generators = uses_module("random") || uses_module("numpy");
    let mut own_imports = Vec::new();
    if step_uses.contains(SUPPORT_MODULE) {
        own_imports.push(relative("", SUPPORT_MODULE));
    }
    // The kernel's names the support module stands in for (itself imported above).
    for &name in KERNEL_NAMES.iter().filter(|&&n| n != SUPPORT_MODULE) {
        let imported = hoisting
            .bound_names
            .iter()
            .chain(&lifted.names)
            .any(|n| n == name);
        if step_uses.contains(name) && !flow.bound_anywhere.contains(name) && !imported {
            own_imports.push(relative(SUPPORT_MODULE, name));
        }
    }
    for name in lifted
        .names
        .iter()
        .filter(|n| step_uses.contains(n.as_str()))
    {
        own_imports.push(relative("lib", name));
    }
    let step_imports = imports::render_for(&hoisting, step_uses, Some(&lib_uses), &own_imports);
    diagnostics.extend(imports::unused_imports(&hoisting, step_uses, &lib_uses));
    // Reads of IPython's last results resolve to the builtins the support module keeps.
    let kernel_builtins = LAST_RESULTS
        .iter()
        .filter(|name| step_uses.contains(**name) || lib_uses.contains(**name))
        .map(|name| (*name).to_owned())
        .collect();

    let (merged_tasks, notes) = tasks::merged_tasks(
        analysis,
        &hoisting,
        &flow.steps,
        &flow.edges,
        &flow.file_edges,
        &flow.module_state,
        &options.observed.uncarried,
    );
    diagnostics.extend(notes);
    let (carried, shared_notes) = aliases::carried(
        analysis,
        &flow.steps,
        &flow.parameters,
        &flow.module_state,
        &options.observed.shared,
    );
    diagnostics.extend(shared_notes);
    let (process_state, not_replayed) =
        process_state::of_steps(analysis, &hoisting, &lifted, &flow.steps);
    diagnostics.extend(not_replayed);
    let (title, description) = steps::title_and_description(notebook);
    let unseeded = crate::analysis::reproducibility::any_draws_unseeded(&analysis.cells);
    let saved_stdout = saved::saved_stdout(notebook, &flow.steps, unseeded);
    let plan = Plan {
        package: options.package.clone(),
        title,
        description,
        split: options.split,
        future_imports: hoisting.future.clone(),
        step_imports,
        library,
        step_definitions,
        steps: flow.steps,
        parameters: flow.parameters,
        module_state: flow.module_state,
        outputs: flow.outputs,
        result: flow.result,
        shown_cells: flow.shown_cells,
        dependencies: imports::dependencies(analysis, options),
        edges: flow.edges,
        file_edges: flow.file_edges,
        files_read: flow.files_read,
        kernel_builtins,
        saved_stdout,
        kernel_display_defaults,
        random_generators,
        process_state,
        merged_tasks,
        carried,
    };
    (plan, diagnostics)
}
