//! The data the templates see, built from the plan. Field names are the templates' contract.

use std::collections::BTreeSet;

use serde::Serialize;

use crate::analysis::Name;
use crate::analysis::facts::LiteralKind;
use crate::emit::engines::Engine;
use crate::emit::literal::json_value;
use crate::emit::{Source, graph};
use crate::lift::saved::SavedStdout;
use crate::lift::steps::MODULE_NAME;
use crate::lift::text::{CellLines, docstring, indent_lines};
use crate::lift::{Plan, Step};
use crate::named::Named;

#[derive(Serialize)]
pub struct Context {
    package: String,
    distribution: String,
    title: String,
    description: String,
    project_description: String,
    notebook_file: String,
    /// The notebook's file name as a Python string literal.
    notebook_name: String,
    notebook_dir: String,
    split: &'static str,
    future_imports: Vec<String>,
    import_groups: Vec<Vec<String>>,
    run_signature: String,
    uses_asyncio: bool,
    /// `run()` calls the support module before the steps: a kernel's display defaults (see
    /// `Plan::kernel_display_defaults`), IPython's empty last results.
    run_uses_support: bool,
    state_parameter_defaults: Vec<String>,
    /// Notebook definitions that read module state, at the top of `steps.py`.
    step_definitions: String,
    /// What `run()` (and `flow.py`) set before the steps, for the `parameter_preamble`
    /// partial. A partial is given this small object, not the whole context: handlebars
    /// copies the context it renders a partial with, and the whole one is as large as the
    /// notebook.
    preamble: PreambleContext,
    calls: Vec<String>,
    /// The entries of the small dict `run()` returns, `"name": name,` each.
    returned: Vec<String>,
    /// The same names as objects (`name`, `expression`), for user templates only.
    #[serde(skip_serializing_if = "Option::is_none")]
    outputs: Option<Vec<OutputContext>>,
    /// The names the notebook leaves defined, as string literals, whose final values
    /// `--values` fingerprints: kept from the steps' frames, or (`state_names`) read from
    /// `steps.py`'s globals.
    final_names: Vec<String>,
    state_names: Vec<String>,
    /// The cells (0-based) whose last expression `--results` records, for the harness: a
    /// Python tuple.
    shown_cells: String,
    parameters: Vec<ParameterContext>,
    needs_literal_eval: bool,
    needs_flag: bool,
    dependencies: Vec<String>,
    kernel_builtins: Vec<String>,
    /// The steps that draw figures, which `--figures DIR` saves.
    drawing_steps: Vec<String>,
    /// See `Source::known_problems`.
    known_problems: Vec<String>,
    graph_nodes: Vec<String>,
    graph_edges: Vec<String>,
    lib: Option<LibContext>,
    lib_import_groups: Vec<Vec<String>>,
    /// `lib.py` opens with constants, one blank line below the imports (isort's layout).
    lib_opens_with_constant: bool,
    code: String,
    engines: Vec<EngineContext>,
    /// Kedro is among the engines: `__main__` offers `--store` and `--node`.
    kedro: bool,
    flow_steps: Vec<FlowStepContext>,
    /// `flow.py`'s `TASKS`, an entry each (`STEPS[0]`, `Task(STEPS[1:3], stays=(…))`), when
    /// some steps run as one task; empty when each step is a task.
    flow_tasks: Vec<String>,
    /// `flow.py` carries the global random generators' state from step to step.
    random_generators: bool,
    /// `_process_state.py`: a function per step that changes the process, and its imports.
    process_state: Vec<ProcessStepContext>,
    process_state_import_groups: Vec<Vec<String>>,
    /// A step changes where imports are found: `flow.py` hands values on `Deferred`, to be
    /// unpickled only once that change is done again in the process that takes them.
    defers_values: bool,
    parameter_names: String,
    parameter_forward: String,
    parameter_dict: String,
    airflow_params: String,
    artifacts_variable: String,
    file_edges: Vec<FileEdgeContext>,
    files_read: Vec<String>,
    /// Each step's saved stdout, when the notebook was saved after a top-to-bottom run.
    saved_steps: Vec<SavedStepContext>,
    saved_continued: Vec<ContinuedStepContext>,
    /// Why the saved outputs are not asserted: the lines of a comment for the test module.
    saved_note: Vec<String>,
    /// Why some saved lines compare with their numbers masked.
    loose_reasons: String,
}

#[derive(Serialize)]
struct PreambleContext {
    /// See `Plan::kernel_display_defaults`: set by `run()`, not by importing the steps.
    kernel_display_defaults: bool,
    /// The notebook reads IPython's last results (`_`, `__`, `___`): `run()` starts them
    /// empty, as a session does, rather than importing the support module.
    kernel_last_results: bool,
    mutable_defaults: Vec<OutputContext>,
    state_parameters: Vec<String>,
}

#[derive(Serialize)]
struct SavedStepContext {
    name: String,
    lines: Vec<SavedLineContext>,
}

/// A step that goes on with the cell `first` began (see `StepStdout::continued_by`).
#[derive(Serialize)]
struct ContinuedStepContext {
    step: String,
    first: String,
}

#[derive(Serialize)]
struct SavedLineContext {
    /// A Python string literal.
    text: String,
    loose: bool,
}

/// A step that reads a file an earlier step writes.
#[derive(Serialize)]
struct FileEdgeContext {
    from: String,
    to: String,
    path: String,
}

#[derive(Serialize)]
struct EngineContext {
    name: &'static str,
    module: &'static str,
    requirement: String,
    /// The quoted requirements of the engine's optional dependency, a list's contents.
    requirements: String,
}

/// Lines indented into a function's body; the inside of a multi-line string stays.
fn indented(text: &str) -> String {
    let lines = CellLines::new(text);
    let mut out = String::new();
    indent_lines(
        lines
            .lines
            .iter()
            .copied()
            .zip(lines.in_string.iter().copied()),
        "    ",
        &mut out,
    );
    out.trim_end().to_owned()
}

/// `flow.py`'s `TASKS` entries: each step alone, or a run of steps as one task.
fn flow_tasks(plan: &Plan) -> Vec<String> {
    if plan.merged_tasks.is_empty() {
        return Vec::new();
    }
    let mut entries = Vec::new();
    let mut step = 0;
    for task in &plan.merged_tasks {
        entries.extend((step..task.first).map(|index| format!("STEPS[{index}]")));
        let stays = tuple_items(task.stays.iter().map(Name::as_str));
        entries.push(format!(
            "Task(STEPS[{}:{}], stays=({stays}))",
            task.first,
            task.last + 1
        ));
        step = task.last + 1;
    }
    entries.extend((step..plan.steps.len()).map(|index| format!("STEPS[{index}]")));
    entries
}

/// A step's statements that only change the process, as a function of `_process_state.py`
/// (two, when some are done before every later step).
#[derive(Serialize)]
struct ProcessStepContext {
    /// The step's name.
    name: String,
    /// The function's: the step's, or `STEP__environment` for what is done every step.
    function: String,
    body: String,
    /// Done again before every later step (environment variables), not once per process.
    every_step: bool,
}

/// A step as `flow.py` lists it: Python tuple and dict literal contents.
#[derive(Serialize)]
struct FlowStepContext {
    name: String,
    inputs: String,
    outputs: String,
    /// Module state set before the step runs, and read back after it.
    state: String,
    state_after: String,
    /// `MODULE_NAME` arguments, as a dict's contents.
    constants: String,
    is_async: bool,
    /// The fields that differ from their defaults, as keyword arguments, each after `, `.
    keywords: String,
}

#[derive(Serialize)]
struct StepContext {
    name: String,
    is_async: bool,
    title: Option<String>,
    signature: String,
    docstring: String,
    globals: String,
    body: String,
    returns: String,
    reads: String,
    writes: String,
}

#[derive(Serialize)]
struct OutputContext {
    name: String,
    expression: String,
}

#[derive(Serialize)]
struct ParameterContext {
    name: String,
    annotation: &'static str,
    default: String,
    parse: &'static str,
    metavar: &'static str,
    help: String,
    /// The default as JSON (also YAML), when plain data can hold it.
    json: Option<String>,
}

#[derive(Serialize)]
struct LibContext {
    names: Vec<String>,
}

pub(super) fn names_list(names: &[crate::analysis::Name]) -> String {
    names
        .iter()
        .map(|n| n.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

fn code_list(names: &[crate::analysis::Name]) -> String {
    if names.is_empty() {
        "–".to_owned()
    } else {
        names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

/// The contents of a Python tuple of strings: `"a", "b"`, `"a",` or nothing.
fn tuple_items<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    tuple_of(names.into_iter().map(quoted).collect())
}

/// What goes between a Python tuple's parentheses: `a,` for one item, `a, b` for more.
fn tuple_of(items: Vec<String>) -> String {
    match items.len() {
        1 => format!("{},", items[0]),
        _ => items.join(", "),
    }
}

/// A TOML (and Python) basic string literal.
fn quoted(text: &str) -> String {
    serde_json::to_string(text).expect("strings always serialise")
}

/// The steps as the templates see them (`steps`), consuming the plan's: each becomes its
/// JSON value at once, so a notebook of many steps is not held as typed objects, as JSON
/// and in the plan at the same time.
pub fn steps(steps: Vec<Step>) -> serde_json::Result<serde_json::Value> {
    steps
        .into_iter()
        .map(|step| {
            let mut body = step.body;
            body.truncate(body.trim_end().len());
            serde_json::to_value(StepContext {
                signature: names_list(&step.params),
                docstring: step
                    .doc
                    .as_deref()
                    .and_then(|d| docstring(d, "    "))
                    .unwrap_or_default(),
                globals: names_list(&step.globals),
                returns: names_list(&step.returns),
                reads: code_list(&step.params),
                writes: code_list(&step.returns),
                name: step.name,
                is_async: step.is_async,
                title: step.title,
                body,
            })
        })
        .collect::<serde_json::Result<_>>()
        .map(serde_json::Value::Array)
}

/// Everything the templates see but `steps` (see [`steps`]); `for_user_templates` adds what
/// only user templates use.
pub fn build(
    plan: &Plan,
    source: &Source,
    engines: &[Engine],
    for_user_templates: bool,
) -> Context {
    let outputs = plan.result.iter().map(|name| OutputContext {
        name: name.as_str().to_owned(),
        expression: name.as_str().to_owned(),
    });
    let (state_outputs, final_outputs): (Vec<_>, Vec<_>) =
        plan.outputs.iter().partition(|o| o.from_state);
    let names_of = |outputs: Vec<&crate::lift::Output>| -> Vec<String> {
        outputs.iter().map(|o| quoted(o.name.as_str())).collect()
    };
    let calls = plan
        .steps
        .iter()
        .map(|step| {
            let arguments: Vec<&str> = step
                .params
                .iter()
                .map(|p| {
                    if p.as_str() == MODULE_NAME {
                        "\"__main__\""
                    } else {
                        p.as_str()
                    }
                })
                .collect();
            let mut call = format!("_steps.{}({})", step.name, arguments.join(", "));
            if step.is_async {
                call = format!("asyncio.run({call})");
            }
            if step.returns.is_empty() {
                call
            } else {
                format!("{} = {call}", names_list(&step.returns))
            }
        })
        .collect();

    let run_signature = if plan.parameters.is_empty() {
        String::new()
    } else {
        let parameters: Vec<String> = plan
            .parameters
            .iter()
            .map(|p| {
                // A list, dict or set default would be shared between calls (ruff B006).
                let default = if is_mutable_literal(&p.default) {
                    "None"
                } else {
                    p.default.trim()
                };
                format!("{}: {} = {default}", p.name, annotation(p.kind))
            })
            .collect();
        format!("*, {}", parameters.join(", "))
    };

    let parameters: Vec<ParameterContext> = plan
        .parameters
        .iter()
        .map(|p| {
            let (parse, metavar) = match p.kind {
                LiteralKind::Int => ("int", "INT"),
                LiteralKind::Float => ("float", "FLOAT"),
                LiteralKind::Str => ("str", "TEXT"),
                LiteralKind::Bool => ("_flag", "BOOL"),
                LiteralKind::None | LiteralKind::Container => ("ast.literal_eval", "VALUE"),
            };
            ParameterContext {
                name: p.name.as_str().to_owned(),
                annotation: annotation(p.kind),
                default: p.default.trim().replace('\n', " "),
                parse,
                metavar,
                help: quoted(&format!(
                    "default: {}",
                    p.default.trim().replace('\n', " ").replace('%', "%%")
                )),
                json: json_value(&p.default).map(|v| v.to_string()),
            }
        })
        .collect();

    let (graph_nodes, graph_edges) = graph::mermaid_lines(plan);
    // The steps as data, only for the engines: a plain package does not need them.
    let flow_steps = if engines.is_empty() {
        Vec::new()
    } else {
        // The module state a step sees is what the parameters and the earlier steps set.
        let mut state: BTreeSet<&str> = plan
            .parameters
            .iter()
            .filter(|p| p.module_state)
            .map(|p| p.name.as_str())
            .collect();
        // (step, name) for each name a later step takes from that step: one pass over the
        // edges, not one per step.
        let taken_later: BTreeSet<(usize, &str)> = plan
            .edges
            .iter()
            .filter_map(|edge| Some((edge.from?, edge)))
            .flat_map(|(from, edge)| edge.names.iter().map(move |n| (from, n.as_str())))
            .collect();
        plan.steps
            .iter()
            .enumerate()
            .map(|(index, step)| {
                let (constants, inputs): (Vec<&str>, Vec<&str>) = step
                    .params
                    .iter()
                    .map(|p| p.as_str())
                    .partition(|&p| p == MODULE_NAME);
                let before = tuple_items(state.iter().copied());
                state.extend(step.globals.iter().map(Name::as_str));
                let after = tuple_items(state.iter().copied());
                let mut keywords = Vec::new();
                if !before.is_empty() {
                    keywords.push(format!("state=({before})"));
                }
                if !after.is_empty() {
                    keywords.push(format!("state_after=({after})"));
                }
                if !constants.is_empty() {
                    let pairs: Vec<String> = constants
                        .iter()
                        .map(|name| format!("({}, \"__main__\")", quoted(name)))
                        .collect();
                    keywords.push(format!("constants=({})", tuple_of(pairs)));
                }
                if step.is_async {
                    keywords.push("is_async=True".to_owned());
                }
                // What the step returns only for `run()`'s result: no later task takes it, so
                // no engine has to carry it (a closed file a `with` leaves, say).
                let results: Vec<&str> = step
                    .returns
                    .iter()
                    .map(Name::as_str)
                    .filter(|name| !taken_later.contains(&(index, *name)))
                    .collect();
                if !results.is_empty() {
                    keywords.push(format!("results=({})", tuple_items(results)));
                }
                if let Some(carried) = plan.carried.get(index) {
                    if !carried.passes_on.is_empty() {
                        let names = tuple_items(carried.passes_on.iter().map(Name::as_str));
                        keywords.push(format!("passes_on=({names})"));
                    }
                    if !carried.bundles.is_empty() {
                        let bundles: Vec<String> = carried
                            .bundles
                            .iter()
                            .map(|b| format!("({})", tuple_items(b.iter().map(Name::as_str))))
                            .collect();
                        keywords.push(format!("bundles=({})", tuple_of(bundles)));
                    }
                }
                FlowStepContext {
                    name: step.name.clone(),
                    inputs: tuple_items(inputs),
                    outputs: tuple_items(step.returns.iter().map(|n| n.as_str())),
                    state: before,
                    state_after: after,
                    constants: constants
                        .iter()
                        .map(|name| format!("{}: \"__main__\"", quoted(name)))
                        .collect::<Vec<_>>()
                        .join(", "),
                    is_async: step.is_async,
                    keywords: keywords.iter().map(|k| format!(", {k}")).collect(),
                }
            })
            .collect()
    };
    let parameter_names = || plan.parameters.iter().map(|p| p.name.as_str());
    let airflow_params = parameters
        .iter()
        .filter(|p| p.json.is_some())
        .map(|p| format!("{}: {}", quoted(&p.name), p.default))
        .collect::<Vec<_>>()
        .join(", ");

    let saved = saved_context(&plan.saved_stdout);
    Context {
        saved_steps: saved.steps,
        saved_continued: saved.continued,
        saved_note: saved.note,
        loose_reasons: saved.loose_reasons,
        package: plan.package.clone(),
        distribution: plan.package.replace('_', "-"),
        title: plan.title.clone(),
        description: plan.description.clone(),
        project_description: quoted(&format!(
            "{} (generated from {} by nblift)",
            plan.title, source.notebook_file
        )),
        notebook_file: source.notebook_file.clone(),
        notebook_name: quoted(&source.notebook_file),
        notebook_dir: quoted(&source.notebook_dir),
        split: plan.split.describe(),
        future_imports: plan.future_imports.clone(),
        import_groups: plan.step_imports.clone(),

        run_signature,
        uses_asyncio: plan.steps.iter().any(|s| s.is_async),
        run_uses_support: plan.kernel_display_defaults || !plan.kernel_builtins.is_empty(),
        preamble: PreambleContext {
            kernel_display_defaults: plan.kernel_display_defaults,
            kernel_last_results: !plan.kernel_builtins.is_empty(),
            mutable_defaults: plan
                .parameters
                .iter()
                .filter(|p| is_mutable_literal(&p.default))
                .map(|p| OutputContext {
                    name: p.name.as_str().to_owned(),
                    expression: p.default.trim().to_owned(),
                })
                .collect(),
            state_parameters: plan
                .parameters
                .iter()
                .filter(|p| p.module_state)
                .map(|p| p.name.as_str().to_owned())
                .collect(),
        },
        state_parameter_defaults: plan
            .parameters
            .iter()
            .filter(|p| p.module_state)
            .map(|p| format!("{} = {}", p.name, p.default.trim()))
            .collect(),
        step_definitions: plan.step_definitions.clone(),
        calls,
        returned: outputs
            .clone()
            .map(|o| format!("{}: {},", quoted(&o.name), o.expression))
            .collect(),
        outputs: for_user_templates.then(|| outputs.collect()),
        final_names: names_of(final_outputs),
        shown_cells: format!(
            "({})",
            tuple_of(plan.shown_cells.iter().map(|c| c.0.to_string()).collect())
        ),
        state_names: names_of(state_outputs),
        needs_literal_eval: plan
            .parameters
            .iter()
            .any(|p| matches!(p.kind, LiteralKind::None | LiteralKind::Container)),
        needs_flag: plan.parameters.iter().any(|p| p.kind == LiteralKind::Bool),
        parameters,
        dependencies: plan.dependencies.iter().map(|d| quoted(d)).collect(),
        kernel_builtins: plan.kernel_builtins.iter().map(|n| quoted(n)).collect(),
        known_problems: source.known_problems.clone(),
        drawing_steps: plan
            .steps
            .iter()
            .filter(|s| s.draws)
            .map(|s| s.name.clone())
            .collect(),
        graph_nodes,
        graph_edges,
        lib: plan.library.as_ref().map(|l| LibContext {
            names: l.names.clone(),
        }),
        lib_import_groups: plan
            .library
            .as_ref()
            .map(|l| l.imports.clone())
            .unwrap_or_default(),
        lib_opens_with_constant: plan.library.as_ref().is_some_and(|l| l.opens_with_constant),
        code: plan
            .library
            .as_ref()
            .map(|l| l.code.clone())
            .unwrap_or_default(),
        engines: engines
            .iter()
            .map(|&engine| EngineContext {
                name: engine.name(),
                module: engine.runner_module(),
                requirement: quoted(engine.requirements()[0]),
                requirements: engine
                    .requirements()
                    .iter()
                    .map(|r| quoted(r))
                    .collect::<Vec<_>>()
                    .join(", "),
            })
            .collect(),
        kedro: engines.contains(&Engine::Kedro),
        flow_steps,
        flow_tasks: flow_tasks(plan),
        random_generators: plan.random_generators,
        process_state: plan
            .process_state
            .by_step
            .iter()
            .flat_map(|changes| {
                let name = &plan.steps[changes.step].name;
                [false, true].into_iter().filter_map(move |every_step| {
                    let statements: Vec<&str> = changes.done(every_step).collect();
                    (!statements.is_empty()).then(|| ProcessStepContext {
                        name: name.clone(),
                        // Two underscores: no step's name has them, so no step's function
                        // is named so.
                        function: if every_step {
                            format!("{name}__environment")
                        } else {
                            name.clone()
                        },
                        body: indented(&statements.join("\n")),
                        every_step,
                    })
                })
            })
            .collect(),
        process_state_import_groups: plan.process_state.imports.clone(),
        defers_values: plan.process_state.changes_import_path(),
        parameter_names: tuple_items(parameter_names()),
        parameter_forward: parameter_names()
            .map(|name| format!("{name}={name}"))
            .collect::<Vec<_>>()
            .join(", "),
        parameter_dict: parameter_names()
            .map(|name| format!("{}: {name}", quoted(name)))
            .collect::<Vec<_>>()
            .join(", "),
        airflow_params,
        artifacts_variable: format!("{}_ARTIFACTS", plan.package.to_uppercase()),
        file_edges: plan
            .file_edges
            .iter()
            .map(|edge| FileEdgeContext {
                from: plan.steps[edge.from].name.clone(),
                to: plan.steps[edge.to].name.clone(),
                path: edge.path.clone(),
            })
            .collect(),
        files_read: plan.files_read.clone(),
    }
}

fn is_mutable_literal(default: &str) -> bool {
    default.trim_start().starts_with(['[', '{'])
}

fn annotation(kind: LiteralKind) -> &'static str {
    match kind {
        LiteralKind::Int => "int",
        LiteralKind::Float => "float",
        LiteralKind::Str => "str",
        LiteralKind::Bool => "bool",
        LiteralKind::None | LiteralKind::Container => "object",
    }
}

/// The saved stdout as the test template sees it.
fn saved_context(saved: &SavedStdout) -> SavedContext {
    let steps = match saved {
        SavedStdout::NotRun => {
            let note = "The notebook was saved without outputs: there is nothing saved to \
                        assert, so the test checks that the pipeline runs.";
            return SavedContext::note(wrapped(note));
        }
        SavedStdout::NotTopToBottom(why) => {
            let note = format!(
                "The saved outputs are not asserted: they are not from one top-to-bottom run \
                 ({why}). Restart the kernel, run all, save and convert again to get them."
            );
            return SavedContext::note(wrapped(&note));
        }
        SavedStdout::Steps(steps) => steps,
    };
    let mut reasons: Vec<&str> = steps
        .iter()
        .flat_map(|s| s.lines.iter().filter_map(|l| l.loose))
        .collect();
    reasons.sort_unstable();
    reasons.dedup();
    let continued = steps
        .iter()
        .flat_map(|s| {
            s.continued_by.iter().map(|step| ContinuedStepContext {
                step: step.clone(),
                first: s.step.clone(),
            })
        })
        .collect();
    let steps = steps
        .iter()
        .map(|step| SavedStepContext {
            name: step.step.clone(),
            lines: step
                .lines
                .iter()
                .map(|line| SavedLineContext {
                    text: quoted(&line.text),
                    loose: line.loose.is_some(),
                })
                .collect(),
        })
        .collect();
    SavedContext {
        steps,
        continued,
        note: Vec::new(),
        loose_reasons: reasons.join(", "),
    }
}

/// What the test module says of the saved stdout.
struct SavedContext {
    steps: Vec<SavedStepContext>,
    continued: Vec<ContinuedStepContext>,
    note: Vec<String>,
    loose_reasons: String,
}

impl SavedContext {
    fn note(note: Vec<String>) -> Self {
        SavedContext {
            steps: Vec::new(),
            continued: Vec::new(),
            note,
            loose_reasons: String::new(),
        }
    }
}

/// Text as comment lines of at most 90 characters, broken between words.
fn wrapped(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for word in text.split_whitespace() {
        match lines.last_mut() {
            Some(line) if line.len() + 1 + word.len() <= 90 => {
                line.push(' ');
                line.push_str(word);
            }
            _ => lines.push(word.to_owned()),
        }
    }
    lines
}
