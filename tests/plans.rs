//! A plan snapshot of every fixture notebook, from the library (no binary, no Python): per
//! step its cells, parameters, returns, module state and the statements that only change the
//! process; the steps' imports; the library's names; the pipeline's parameters and result;
//! the diagnostics where people count them. A change to what the compiler decides shows here
//! as a reviewed diff (`cargo insta review`), whatever the templates make of it.

use std::fmt::Write;
use std::path::Path;

use nblift::compile::{self, Front, Located, NotPlanned, Position};
use nblift::lift::{Plan, Split};

/// The split a fixture pins (the same as its equivalence test converts it with).
fn split_of(relative: &str) -> Split {
    match relative {
        "split/step_tags.ipynb" | "split/kale_block_and_skip_tags.ipynb" => Split::Tags,
        "split/single_cell_per_step.ipynb" => Split::Cells,
        _ => Split::Sections,
    }
}

fn names<T: AsRef<str>>(names: impl IntoIterator<Item = T>) -> String {
    let names: Vec<String> = names.into_iter().map(|n| n.as_ref().to_owned()).collect();
    if names.is_empty() {
        "-".to_owned()
    } else {
        names.join(", ")
    }
}

fn position((cell, line, column): Position) -> String {
    let part = |label: &str, value: Option<String>| value.map(|v| format!("{label}{v}"));
    [
        part("cell ", cell.map(|c| c.to_string())),
        part("", line.map(|l| l.to_string())),
        part("", column.map(|c| c.to_string())),
    ]
    .into_iter()
    .flatten()
    .collect::<Vec<_>>()
    .join(":")
}

fn diagnostics(text: &mut String, located: &Located) {
    writeln!(text, "diagnostics:").unwrap();
    for (diagnostic, at) in &located.diagnostics {
        let at = position(*at);
        let at = if at.is_empty() {
            "notebook".to_owned()
        } else {
            at
        };
        writeln!(
            text,
            "  {at} {}[{}]: {}",
            diagnostic.severity(),
            diagnostic.code.as_str(),
            diagnostic.message
        )
        .unwrap();
    }
}

fn describe(plan: &Plan) -> String {
    let mut text = String::new();
    writeln!(text, "package: {}", plan.package).unwrap();
    let imports = plan.step_imports.iter().flatten();
    writeln!(text, "step imports: {}", names(imports)).unwrap();
    match &plan.library {
        Some(library) => writeln!(text, "lib.py: {}", names(&library.names)).unwrap(),
        None => writeln!(text, "lib.py: -").unwrap(),
    }
    let parameters = plan.parameters.iter().map(|p| {
        let state = if p.module_state {
            " (module state)"
        } else {
            ""
        };
        format!("{} = {}{state}", p.name.as_str(), p.default)
    });
    writeln!(text, "parameters: {}", names(parameters)).unwrap();
    let state = plan.module_state.iter().map(|n| n.as_str());
    writeln!(text, "module state: {}", names(state)).unwrap();
    for (index, step) in plan.steps.iter().enumerate() {
        let cells = step.cells.iter().map(|c| (c.0 + 1).to_string());
        writeln!(text, "step {} (cells {})", step.name, names(cells)).unwrap();
        let list = |label: &str, list: &[nblift::analysis::Name]| {
            format!("  {label}: {}", names(list.iter().map(|n| n.as_str())))
        };
        writeln!(text, "{}", list("takes", &step.params)).unwrap();
        writeln!(text, "{}", list("returns", &step.returns)).unwrap();
        if !step.globals.is_empty() {
            writeln!(text, "{}", list("global", &step.globals)).unwrap();
        }
        let changes = plan.process_state.by_step.iter().find(|c| c.step == index);
        for statement in changes.iter().flat_map(|c| &c.statements) {
            writeln!(text, "  changes the process: {}", statement.text).unwrap();
        }
    }
    let result = plan.result.iter().map(|n| n.as_str());
    writeln!(text, "run() returns: {}", names(result)).unwrap();
    text
}

fn plan_summary(path: &Path, relative: &str) -> String {
    let prepared = compile::prepare(path, None);
    match prepared.plan(split_of(relative)) {
        Ok((plan, found)) => {
            let located = Located::new(prepared.front().and_then(Front::analysed), &found);
            let mut text = describe(&plan);
            diagnostics(&mut text, &located);
            text
        }
        Err(NotPlanned::Refused(located)) => {
            let mut text = "refused\n".to_owned();
            diagnostics(&mut text, &located);
            text
        }
        Err(NotPlanned::Misnamed(message, _)) => format!("misnamed: {message}\n"),
        Err(NotPlanned::Unreadable(message)) => format!("unreadable: {message}\n"),
    }
}

#[test]
fn every_fixture_has_the_plan_of_its_snapshot() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    insta::with_settings!({snapshot_path => "../snapshots/plans", prepend_module_to_snapshot => false, omit_expression => true}, {
        insta::glob!("fixtures/**/*.ipynb", |path| {
            let relative = path
                .strip_prefix(&fixtures)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            insta::assert_snapshot!(plan_summary(path, &relative));
        });
    });
}
