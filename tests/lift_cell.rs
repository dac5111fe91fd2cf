//! "Lift cell into a function" (the editor's code action, `lift::cell`) on every runnable
//! fixture: every code cell of the notebook is lifted in turn, the notebook analysed again
//! after each edit, and the edited notebook must print and show in a fresh kernel exactly
//! what the original does.

mod support;

use std::fs;
use std::path::{Path, PathBuf};

use nblift::analysis::analyze;
use nblift::lift::cell::lift_cell;
use nblift::notebook::{CellKind, Notebook, load_notebook};
use support::runs::{KernelJob, normalise, run_in_kernels};

/// The fixtures a fresh kernel runs: not refused ones, not the static ones.
fn runnable_fixtures() -> Vec<PathBuf> {
    let fixtures = support::fixtures();
    support::notebooks_under(&fixtures)
        .into_iter()
        .filter(|path| {
            let relative = path.strip_prefix(&fixtures).unwrap().to_string_lossy();
            !relative.starts_with("bad/") && !relative.starts_with("static/")
        })
        .collect()
}

/// Lifts every code cell, in page order; returns the new sources by cell and how many cells
/// were lifted, and the reasons the others were not.
fn lift_every_cell(mut notebook: Notebook) -> (Notebook, usize, Vec<String>) {
    let mut lifted = 0;
    let mut skipped = Vec::new();
    for index in 0..notebook.cells.len() {
        if notebook.cells[index].kind != CellKind::Code {
            continue;
        }
        let (analysis, _) = analyze(&notebook);
        let id = notebook.cells[index].id;
        match lift_cell(&notebook, &analysis, id) {
            Ok(text) => {
                notebook.cells[index].source = text;
                lifted += 1;
            }
            Err(reason) => skipped.push(format!("{id}: {reason}")),
        }
    }
    (notebook, lifted, skipped)
}

/// The notebook file with its cells' sources replaced (everything else kept).
fn write_edited(original: &Path, edited: &Notebook, to: &Path) {
    let mut json: serde_json::Value = serde_json::from_str(
        fs::read_to_string(original)
            .unwrap()
            .trim_start_matches('\u{feff}'),
    )
    .unwrap();
    let cells = json["cells"].as_array_mut().expect("nbformat 4 cells");
    for (cell, new) in cells.iter_mut().zip(&edited.cells) {
        cell["source"] = serde_json::Value::String(new.source.clone());
    }
    fs::write(to, serde_json::to_string(&json).unwrap()).unwrap();
}

#[test]
fn lifting_every_cell_keeps_what_each_fixture_prints_and_shows() {
    let mut jobs = Vec::new();
    let mut scratch = Vec::new();
    let mut lifted_cells = 0;
    let mut notes = Vec::new();
    for path in runnable_fixtures() {
        let text = fs::read_to_string(&path).unwrap();
        let Ok(notebook) = load_notebook(&text) else {
            continue;
        };
        if notebook.nbformat != 4 {
            continue;
        }
        let (edited, lifted, skipped) = lift_every_cell(notebook);
        lifted_cells += lifted;
        notes.extend(
            skipped
                .into_iter()
                .map(|s| format!("{}: {s}", path.display())),
        );
        // Each run in its own copy of the folder: notebooks write files.
        let original = support::scratch_copy(path.parent().unwrap());
        let lifted = support::scratch_copy(path.parent().unwrap());
        let edited_path = lifted.path().join(path.file_name().unwrap());
        write_edited(&path, &edited, &edited_path);
        for (notebook, dir) in [
            (original.path().join(path.file_name().unwrap()), &original),
            (edited_path, &lifted),
        ] {
            jobs.push(KernelJob {
                notebook,
                cwd: dir.path().to_path_buf(),
                params: Default::default(),
            });
        }
        scratch.push((path, (original, lifted)));
    }
    let runs = run_in_kernels(&jobs);
    let mut failures = Vec::new();
    for ((path, _), pair) in scratch.iter().zip(runs.chunks(2)) {
        match (&pair[0], &pair[1]) {
            (Ok(before), Ok(after)) => {
                if normalise(&before.stdout) != normalise(&after.stdout) {
                    failures.push(format!(
                        "{}: stdout differs\n--- notebook\n{}\n--- lifted\n{}",
                        path.display(),
                        before.stdout,
                        after.stdout
                    ));
                } else if before.results != after.results {
                    failures.push(format!(
                        "{}: shown values differ\n{:?}\n{:?}",
                        path.display(),
                        before.results,
                        after.results
                    ));
                }
            }
            // A fixture that fails in a fresh kernel must fail the same way once lifted.
            (Err(_), Err(_)) => {}
            (Ok(_), Err(error)) => failures.push(format!(
                "{}: the lifted notebook fails: {error}",
                path.display()
            )),
            (Err(error), Ok(_)) => failures.push(format!(
                "{}: the notebook fails, the lifted one does not: {error}",
                path.display()
            )),
        }
    }
    eprintln!(
        "{lifted_cells} cells lifted in {} notebooks; not lifted:\n{}",
        scratch.len(),
        notes.join("\n")
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    assert!(lifted_cells > 100, "only {lifted_cells} cells were lifted");
}
