//! Equivalence: every runnable fixture notebook is run top to bottom in a real Jupyter kernel
//! and, converted by nblift, as `python -m PKG`; their stdout must be identical. The same
//! conversions are checked to compile, to have no `ruff check` finding (default rules) that
//! the notebook's own code lacks (`support::lint`), and to be byte-identical when converted
//! twice.

// Runs real Python: the Python lane (`cargo test --features test-python`, or `--features full`).
#![cfg(feature = "test-python")]

mod support;

use support::runs::{KernelJob, Run, convert, normalise, run_in_kernels, run_package};

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Fixture folders never converted successfully: refused notebooks.
const REFUSED: &str = "bad/";
/// Fixture folders converted and checked but not run: a fresh kernel cannot run them.
const NOT_RUNNABLE: &str = "static/";

/// The `convert` flags a fixture pins for its default conversion.
fn convert_flags(relative: &str) -> &'static [&'static str] {
    match relative {
        "split/step_tags.ipynb" | SKIP_TAGGED => &["--split", "tags"],
        "split/single_cell_per_step.ipynb" => &["--split", "cells"],
        _ => &[],
    }
}

/// Kale's `skip` cells, left out under `--split tags` only: its package is compared with the
/// notebook without them, and under no other split.
const SKIP_TAGGED: &str = "split/kale_block_and_skip_tags.ipynb";

/// The notebook at `path` without its cells tagged `skip`, written in place.
fn drop_skipped_cells(path: &Path) {
    let mut notebook: serde_json::Value = serde_json::from_slice(&fs::read(path).unwrap()).unwrap();
    notebook["cells"].as_array_mut().unwrap().retain(|cell| {
        !cell["metadata"]["tags"]
            .as_array()
            .is_some_and(|tags| tags.iter().any(|t| t == "skip"))
    });
    fs::write(path, serde_json::to_vec(&notebook).unwrap()).unwrap();
}

/// Every runnable fixture is also converted with these splits: the dataflow must hold
/// however the cells are grouped.
const OTHER_SPLITS: [&[&str]; 2] = [&["--split", "cells"], &["--split", "single"]];

struct Case {
    notebook: PathBuf,
    relative: String,
    runnable: bool,
}

fn cases() -> Vec<Case> {
    let fixtures = support::fixtures();
    support::notebooks_under(&fixtures)
        .into_iter()
        .map(|notebook| {
            let relative = notebook
                .strip_prefix(&fixtures)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let runnable = !relative.starts_with(NOT_RUNNABLE);
            Case {
                notebook,
                relative,
                runnable,
            }
        })
        .filter(|case| !case.relative.starts_with(REFUSED))
        .collect()
}

fn files_of(folder: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    walkdir::WalkDir::new(folder)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            (
                e.path().strip_prefix(folder).unwrap().to_path_buf(),
                fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

/// A finished conversion: which case, with which flags, where, and the package name.
struct Conversion {
    case: usize,
    flags: &'static [&'static str],
    output: PathBuf,
    package: String,
}

#[test]
fn every_fixture_converts_cleanly_and_runs_the_same_as_its_package() {
    let cases = cases();
    assert!(cases.len() > 50, "fixtures missing: {}", cases.len());
    let work = tempfile::tempdir().unwrap();
    let mut failures: Vec<String> = Vec::new();
    let mut conversions: Vec<Conversion> = Vec::new();

    for (index, case) in cases.iter().enumerate() {
        let mut all_flags = vec![convert_flags(&case.relative)];
        if case.runnable && case.relative != SKIP_TAGGED {
            all_flags.extend(OTHER_SPLITS);
        }
        for (variant, flags) in all_flags.into_iter().enumerate() {
            let output = work.path().join(format!("out{index}-{variant}"));
            match convert(&case.notebook, &output, flags) {
                Ok(package) => conversions.push(Conversion {
                    case: index,
                    flags,
                    output,
                    package,
                }),
                Err(error) => failures.push(format!("{} {flags:?}: {error}", case.relative)),
            }
        }
        // Converting again gives the same bytes.
        let again = work.path().join(format!("again{index}"));
        let first = work.path().join(format!("out{index}-0"));
        if convert(&case.notebook, &again, convert_flags(&case.relative)).is_ok()
            && files_of(&first) != files_of(&again)
        {
            failures.push(format!(
                "{}: converting twice gave different files",
                case.relative
            ));
        }
    }

    // Every generated file compiles and passes ruff's default rules.
    let outputs: Vec<&PathBuf> = conversions.iter().map(|c| &c.output).collect();
    let compile = Command::new(support::python())
        .args(["-m", "compileall", "-q"])
        .args(&outputs)
        .output()
        .unwrap();
    if !compile.status.success() {
        failures.push(format!("compileall failed:\n{}", support::text(&compile).0));
    }
    // ruff's default rules find nothing in a package that the notebook's own code, linted
    // as the script IPython runs, does not have.
    let scripts = tempfile::tempdir().unwrap();
    let script_of = |case: usize| scripts.path().join(format!("notebook{case}.py"));
    let jobs: Vec<(PathBuf, PathBuf)> = cases
        .iter()
        .enumerate()
        .map(|(index, case)| (case.notebook.clone(), script_of(index)))
        .collect();
    support::lint::write_notebook_scripts(&jobs, scripts.path());
    let inherited = support::lint::notebook_findings(scripts.path(), None);
    let findings = support::lint::ruff_findings(
        &outputs.iter().map(|p| p.as_path()).collect::<Vec<_>>(),
        None,
    );
    for conversion in &conversions {
        let own: Vec<(String, String)> = findings
            .iter()
            .filter(|(file, _)| Path::new(file).starts_with(&conversion.output))
            .cloned()
            .collect();
        let notebook = inherited
            .get(&script_of(conversion.case))
            .map_or(&[][..], Vec::as_slice);
        for (file, key) in support::lint::introduced(&own, notebook) {
            failures.push(format!(
                "{} {:?}: ruff finds what the notebook does not have: {file}: {key}",
                cases[conversion.case].relative, conversion.flags
            ));
        }
    }

    // The notebooks, each in a fresh kernel and a scratch copy of its folder.
    let runnable: Vec<usize> = (0..cases.len()).filter(|&i| cases[i].runnable).collect();
    let kernel_dirs: Vec<tempfile::TempDir> = runnable
        .iter()
        .map(|&i| {
            let dir = support::scratch_copy(cases[i].notebook.parent().unwrap());
            if cases[i].relative == SKIP_TAGGED {
                drop_skipped_cells(&dir.path().join(cases[i].notebook.file_name().unwrap()));
            }
            dir
        })
        .collect();
    let jobs: Vec<KernelJob> = runnable
        .iter()
        .zip(&kernel_dirs)
        .map(|(&i, dir)| KernelJob {
            notebook: dir.path().join(cases[i].notebook.file_name().unwrap()),
            cwd: dir.path().to_path_buf(),
            params: BTreeMap::new(),
        })
        .collect();
    let kernel_results = run_in_kernels(&jobs);
    let expected: BTreeMap<usize, &Result<Run, String>> =
        runnable.iter().copied().zip(&kernel_results).collect();

    // Equal stdout proves something only where there is stdout: nearly every fixture prints.
    let printing = kernel_results
        .iter()
        .filter(|r| r.as_ref().is_ok_and(|run| !run.stdout.trim().is_empty()))
        .count();
    assert!(
        printing + 3 >= runnable.len(),
        "only {printing} of {} fixtures printed anything",
        runnable.len()
    );

    // The packages, each in its own scratch copy, two at a time.
    let to_run: Vec<&Conversion> = conversions
        .iter()
        .filter(|c| cases[c.case].runnable)
        .collect();
    let package_results: Vec<Result<Run, String>> = std::thread::scope(|scope| {
        let handles: Vec<_> = to_run
            .chunks(to_run.len().div_ceil(2).max(1))
            .map(|chunk| {
                let cases = &cases;
                scope.spawn(move || {
                    chunk
                        .iter()
                        .map(|conversion| {
                            let cwd = support::scratch_copy(
                                cases[conversion.case].notebook.parent().unwrap(),
                            );
                            run_package(
                                &support::python(),
                                &conversion.output,
                                &conversion.package,
                                cwd.path(),
                                &[],
                                &[],
                            )
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });

    for (conversion, got) in to_run.iter().zip(&package_results) {
        let case = &cases[conversion.case];
        let label = format!("{} {:?}", case.relative, conversion.flags);
        match (expected[&conversion.case], got) {
            (Err(error), _) => {
                failures.push(format!("{label}: the notebook fails in a kernel: {error}"))
            }
            (_, Err(error)) => failures.push(format!("{label}: the package fails: {error}")),
            (Ok(expected), Ok(got)) => {
                if normalise(&expected.stdout) != normalise(&got.stdout) {
                    failures.push(format!(
                        "{label}: stdout differs\n--- notebook\n{}--- package\n{}",
                        normalise(&expected.stdout),
                        normalise(&got.stdout)
                    ));
                }
                if expected.results != got.results {
                    failures.push(format!(
                        "{label}: shown results differ\n--- notebook\n{:?}\n--- package\n{:?}",
                        expected.results, got.results
                    ));
                }
            }
        }
    }

    assert!(
        failures.is_empty(),
        "{} failures over {} fixtures:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

/// One parameter override: its name, its command-line text, its Python source for papermill.
struct Override {
    name: &'static str,
    cli: &'static str,
    python: &'static str,
}

const fn set(name: &'static str, cli: &'static str, python: &'static str) -> Override {
    Override { name, cli, python }
}

#[test]
fn parameters_run_with_defaults_and_with_command_line_overrides() {
    let fixtures = support::fixtures();
    let cases: [(&str, &[Override]); 2] = [
        (
            "params/parameters_cell.ipynb",
            &[
                set("n", "5", "5"),
                set("label", "things", "'things'"),
                set("scale", "2.5", "2.5"),
                set("verbose", "true", "True"),
            ],
        ),
        (
            "params/parameters_cell_read_by_function.ipynb",
            &[set("threshold", "8", "8")],
        ),
    ];
    let work = tempfile::tempdir().unwrap();
    let mut jobs = Vec::new();
    let mut package_runs = Vec::new();
    let mut scratch = Vec::new();
    for (index, (relative, overrides)) in cases.iter().enumerate() {
        let notebook = fixtures.join(relative);
        let output = work.path().join(format!("out{index}"));
        let package = convert(&notebook, &output, &[]).unwrap();
        for with_overrides in [false, true] {
            let dir = support::scratch_copy(notebook.parent().unwrap());
            let mut params = BTreeMap::new();
            let mut args = Vec::new();
            if with_overrides {
                for o in *overrides {
                    params.insert(o.name.to_owned(), o.python.to_owned());
                    args.extend([format!("--{}", o.name), o.cli.to_owned()]);
                }
            }
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            package_runs.push(run_package(
                &support::python(),
                &output,
                &package,
                dir.path(),
                &args,
                &[],
            ));
            jobs.push(KernelJob {
                notebook: dir.path().join(notebook.file_name().unwrap()),
                cwd: dir.path().to_path_buf(),
                params,
            });
            scratch.push(dir);
        }
    }
    let kernel_runs = run_in_kernels(&jobs);
    let mut outputs = Vec::new();
    for ((job, expected), got) in jobs.iter().zip(kernel_runs).zip(package_runs) {
        let expected =
            expected.unwrap_or_else(|e| panic!("{}: kernel failed: {e}", job.notebook.display()));
        let got = got.unwrap_or_else(|e| panic!("{}: package failed: {e}", job.notebook.display()));
        assert_eq!(
            got.stdout,
            expected.stdout,
            "{} with {:?}",
            job.notebook.display(),
            job.params
        );
        outputs.push(got.stdout);
    }
    // Each override changed what the notebook prints, as it does with papermill.
    for pair in outputs.chunks(2) {
        assert_ne!(pair[0], pair[1], "the overrides changed nothing");
    }
}

/// Importing a package changes nothing process-wide: pandas' display options are set by
/// `run()`, IPython's last results (`_`) only by `run()` of a notebook that reads them or by
/// `--results`. Both fixtures need what they change, so a change made at import would show.
#[test]
fn importing_a_package_changes_no_process_wide_state() {
    let work = tempfile::tempdir().unwrap();
    for (index, relative) in [
        "formats/pandas.ipynb",
        "results/last_results_underscore.ipynb",
    ]
    .iter()
    .enumerate()
    {
        let output = work.path().join(format!("out{index}"));
        let package = convert(&support::fixtures().join(relative), &output, &[]).unwrap();
        let check = format!(
            "import builtins, importlib, sys\n\
             import pandas\n\
             before = pandas.get_option('display.max_columns')\n\
             for module in ('', '.steps', '.pipeline', '.__main__'):\n\
             \x20   importlib.import_module('{package}' + module)\n\
             assert pandas.get_option('display.max_columns') == before, 'pandas options changed'\n\
             assert not hasattr(builtins, '_'), 'builtins._ set on import'\n\
             print('unchanged')\n"
        );
        let result = Command::new(support::python())
            .arg("-c")
            .arg(&check)
            .env("PYTHONPATH", output.join("src"))
            .output()
            .unwrap();
        let (stdout, stderr) = support::text(&result);
        assert_eq!(stdout.trim(), "unchanged", "{relative}: {stderr}");
    }
}

/// `--figures DIR` saves each figure a step draws, named after the step and counted from 1,
/// and the generated README lists the steps that draw.
#[test]
fn figures_flag_saves_each_figure_a_step_draws() {
    let notebook = support::fixtures().join("figures/saved_with_figures_flag.ipynb");
    let work = tempfile::tempdir().unwrap();
    let output = work.path().join("out");
    let package = convert(&notebook, &output, &[]).unwrap();
    let figures = work.path().join("figures");
    let run = Command::new(support::python())
        .args(["-m", &package, "--figures"])
        .arg(&figures)
        .current_dir(work.path())
        .env("PYTHONPATH", output.join("src"))
        .env_remove("MPLBACKEND")
        .output()
        .unwrap();
    let (stdout, stderr) = support::text(&run);
    assert!(run.status.success(), "{stderr}");
    assert_eq!(stdout, "one figure\ntwo figures\nopen figures: 0\n");
    let mut saved: Vec<String> = fs::read_dir(&figures)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    saved.sort();
    assert_eq!(
        saved,
        ["scatter_1.png", "two_plots_1.png", "two_plots_2.png"]
    );
    for name in &saved {
        let bytes = fs::read(figures.join(name)).unwrap();
        assert!(bytes.starts_with(b"\x89PNG"), "{name} is a PNG");
    }
    let readme = fs::read_to_string(output.join("README.md")).unwrap();
    assert!(
        readme.contains(
            "These steps may draw (their cells call a plotting library): `scatter`, `two_plots`, `summary`."
        ),
        "{readme}"
    );
}
