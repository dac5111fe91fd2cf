//! Lifting every cell of a notebook ("Lift cell into a function", `ide::lift_cell`) and running
//! the edited notebook in a fresh kernel beside the original: shared by `tests/lift_cell.rs`
//! (the fixtures) and `tests/lift_corpus.rs` (the corpus, a longer run).

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use nblift::analysis::analyze;
use nblift::compile::{Disk, World};
use nblift::ide::lift_cell::lift_cell;
use nblift::notebook::{CellKind, Notebook, load_notebook};
use tempfile::TempDir;

use super::runs::{KernelJob, Run, normalise, run_in_kernels};

/// Lifts every code cell, in page order; returns the new sources by cell and how many cells
/// were lifted, and the reasons the others were not. `world`: the notebook's surroundings.
pub fn lift_every_cell(
    mut notebook: Notebook,
    world: &dyn World,
) -> (Notebook, usize, Vec<String>) {
    let mut lifted = 0;
    let mut skipped = Vec::new();
    for index in 0..notebook.cells.len() {
        if notebook.cells[index].kind != CellKind::Code {
            continue;
        }
        let (analysis, _) = analyze(&notebook);
        let id = notebook.cells[index].id;
        match lift_cell(&notebook, &analysis, id, world) {
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
pub fn write_edited(original: &Path, edited: &Notebook, to: &Path) {
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

/// A notebook and its lifted copy, each in its own copy of the folder it runs in (notebooks
/// write files).
pub struct Pair {
    name: String,
    jobs: [KernelJob; 2],
    _folders: [TempDir; 2],
}

/// Lifts every cell of `path`'s notebook and lays out both runs: `folder` is copied for each,
/// and each runs from `cwd` (relative to the copy). `None` for notebooks it cannot load.
pub fn pair(path: &Path, folder: &Path, cwd: &Path, stats: &mut Stats) -> Option<Pair> {
    let notebook = load_notebook(&fs::read_to_string(path).unwrap()).ok()?;
    if notebook.nbformat != 4 {
        return None;
    }
    let (edited, lifted, skipped) = lift_every_cell(notebook, &Disk::around(path));
    stats.lifted += lifted;
    for reason in skipped {
        // "cell 3: line 2 is IPython syntax (`%time …`), …" → "line 2 is IPython syntax"
        let reason = reason.split(": ").nth(1).unwrap_or_default();
        *stats
            .not_lifted
            .entry(reason.split(" (`").next().unwrap_or(reason).to_owned())
            .or_default() += 1;
    }
    let copies = [0, 1].map(|_| {
        if folder.is_dir() {
            super::scratch_copy(folder)
        } else {
            tempfile::tempdir().unwrap()
        }
    });
    let name = path.file_name().unwrap();
    let jobs = [0, 1].map(|i| {
        let cwd = copies[i].path().join(cwd);
        fs::create_dir_all(&cwd).unwrap();
        let notebook = cwd.join(name);
        if i == 0 {
            fs::copy(path, &notebook).unwrap();
        } else {
            write_edited(path, &edited, &notebook);
        }
        KernelJob {
            notebook,
            cwd,
            params: Default::default(),
        }
    });
    Some(Pair {
        name: path.display().to_string(),
        jobs,
        _folders: copies,
    })
}

#[derive(Default)]
pub struct Stats {
    pub lifted: usize,
    pub not_lifted: BTreeMap<String, usize>,
}

/// Runs every pair; what differs between a notebook's run and its lifted copy's.
pub fn differences(pairs: &[Pair]) -> Vec<String> {
    let jobs: Vec<KernelJob> = pairs
        .iter()
        .flat_map(|p| {
            p.jobs.iter().map(|j| KernelJob {
                notebook: j.notebook.clone(),
                cwd: j.cwd.clone(),
                params: Default::default(),
            })
        })
        .collect();
    let runs = run_in_kernels(&jobs);
    let last_line = |error: &str| {
        error
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or_default()
            .to_owned()
    };
    let mut failures = Vec::new();
    for (pair, runs) in pairs.iter().zip(runs.chunks(2)) {
        let name = &pair.name;
        match (&runs[0], &runs[1]) {
            (Ok(before), Ok(after)) => failures.extend(compare(name, before, after)),
            // A notebook that fails in a fresh kernel must fail the same way once lifted.
            (Err(before), Err(after)) if last_line(before) == last_line(after) => {}
            (Err(before), Err(after)) => failures.push(format!(
                "{name}: fails differently once lifted: {} vs {}",
                last_line(before),
                last_line(after)
            )),
            (Ok(_), Err(error)) => {
                let tail: Vec<&str> = error.lines().filter(|l| !l.trim().is_empty()).collect();
                let tail = tail[tail.len().saturating_sub(12)..].join("\n");
                failures.push(format!("{name}: fails once lifted:\n{tail}"))
            }
            (Err(error), Ok(_)) => failures.push(format!(
                "{name}: fails, and not once lifted: {}",
                last_line(error)
            )),
        }
    }
    failures
}

pub fn compare(name: &str, before: &Run, after: &Run) -> Option<String> {
    let (before_out, after_out) = (normalise(&before.stdout), normalise(&after.stdout));
    if before_out != after_out {
        let (line, before, after) = super::first_differing_line(&before_out, &after_out);
        return Some(format!(
            "{name}: stdout differs at line {line}: {before:?} vs {after:?} (lifted)"
        ));
    }
    (before.results != after.results).then(|| {
        format!(
            "{name}: shown values differ\n{:?}\n{:?} (lifted)",
            before.results, after.results
        )
    })
}
