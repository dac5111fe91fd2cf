//! Equivalence: every runnable fixture notebook is run top to bottom in a real Jupyter kernel
//! and, converted by nblift, as `python -m PKG`; their stdout must be identical. The same
//! conversions are checked to compile, to pass `ruff check` (default rules), and to be
//! byte-identical when converted twice.

mod support;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Value, json};

/// Fixture folders that are not run: refused notebooks, and notebooks a fresh kernel cannot run.
const NOT_RUNNABLE: &[&str] = &["bad", "static"];

/// Extra `convert` flags some fixtures pin.
fn convert_flags(relative: &str) -> &'static [&'static str] {
    match relative {
        "split/step_tags.ipynb" => &["--split", "tags"],
        "split/single_cell_per_step.ipynb" => &["--split", "cells"],
        _ => &[],
    }
}

struct Case {
    notebook: PathBuf,
    relative: String,
}

fn runnable_cases() -> Vec<Case> {
    let fixtures = support::fixtures();
    support::notebooks_under(&fixtures)
        .into_iter()
        .map(|notebook| {
            let relative = notebook
                .strip_prefix(&fixtures)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            Case { notebook, relative }
        })
        .filter(|case| {
            !NOT_RUNNABLE
                .iter()
                .any(|folder| case.relative.starts_with(&format!("{folder}/")))
        })
        .collect()
}

/// Converts a notebook; returns the package name, or the failure text.
fn convert(notebook: &Path, output: &Path, flags: &[&str]) -> Result<String, String> {
    let result = support::nblift()
        .arg("convert")
        .arg(notebook)
        .arg("-o")
        .arg(output)
        .args(["--force", "--format", "json"])
        .args(flags)
        .output()
        .expect("nblift runs");
    let (stdout, stderr) = support::text(&result);
    if !result.status.success() {
        return Err(format!(
            "convert exited {}: {stdout}{stderr}",
            result.status
        ));
    }
    let report: Value = serde_json::from_str(stdout.trim())
        .map_err(|e| format!("bad JSON report: {e}: {stdout}"))?;
    Ok(report["package"].as_str().unwrap_or_default().to_owned())
}

/// What both sides print, with what IPython adds on its own taken out: timing lines of
/// `%time`/`%timeit` (they differ run to run and the package drops the timing), pip's
/// restart note (the package installs nothing at run time), and the `\r` a pseudo-terminal
/// adds to `!cmd` output.
fn normalise(stdout: &str) -> String {
    stdout
        .replace("\r\n", "\n")
        .lines()
        .filter(|line| {
            !(line.starts_with("CPU times:")
                || line.starts_with("Wall time:")
                || line.contains(" per loop (mean ± std. dev. of ")
                || line.starts_with(
                    "Note: you may need to restart the kernel to use updated packages.",
                ))
        })
        .map(|line| format!("{line}\n"))
        .collect()
}

/// A notebook to run in a fresh kernel, from `cwd`, with papermill-style parameters.
struct KernelJob {
    notebook: PathBuf,
    cwd: PathBuf,
    params: BTreeMap<String, String>,
}

/// Runs notebooks in fresh kernels, two at a time: stdout or the error, per job.
fn run_in_kernels(jobs: &[KernelJob]) -> Vec<Result<String, String>> {
    let scratch = tempfile::tempdir().unwrap();
    let jobs_file = scratch.path().join("jobs.json");
    let list: Vec<Value> = jobs
        .iter()
        .map(|job| json!({"notebook": job.notebook, "cwd": job.cwd, "params": job.params}))
        .collect();
    fs::write(&jobs_file, serde_json::to_string(&list).unwrap()).unwrap();
    let output = Command::new(support::python())
        .arg(support::root().join("tests/support/nbrun.py"))
        .arg(&jobs_file)
        .output()
        .expect("nbrun.py runs");
    let (stdout, stderr) = support::text(&output);
    assert!(output.status.success(), "nbrun.py failed: {stderr}");
    let results: Vec<Value> = serde_json::from_str(&stdout).expect("nbrun.py prints JSON");
    results
        .into_iter()
        .map(|r| match r["error"].as_str() {
            Some(error) => Err(error.to_owned()),
            None => Ok(r["stdout"].as_str().unwrap_or_default().to_owned()),
        })
        .collect()
}

fn run_package(output: &Path, package: &str, cwd: &Path, args: &[&str]) -> Result<String, String> {
    let result = Command::new(support::python())
        .args(["-m", package])
        .args(args)
        .env("PYTHONPATH", output.join("src"))
        .env("MPLBACKEND", "Agg")
        .current_dir(cwd)
        .output()
        .expect("python runs");
    let (stdout, stderr) = support::text(&result);
    if result.status.success() {
        Ok(stdout)
    } else {
        Err(format!("exit {}:\n{stdout}\n{stderr}", result.status))
    }
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

#[test]
fn every_runnable_fixture_prints_the_same_as_its_package() {
    let cases = runnable_cases();
    assert!(cases.len() > 50, "fixtures missing: {}", cases.len());
    let work = tempfile::tempdir().unwrap();
    let mut failures: Vec<String> = Vec::new();

    // Convert each fixture twice: the second conversion must give the same bytes.
    let mut converted: Vec<Option<(PathBuf, String)>> = Vec::new();
    for (index, case) in cases.iter().enumerate() {
        let first = work.path().join(format!("out{index}"));
        let second = work.path().join(format!("again{index}"));
        let flags = convert_flags(&case.relative);
        match (
            convert(&case.notebook, &first, flags),
            convert(&case.notebook, &second, flags),
        ) {
            (Ok(package), Ok(_)) => {
                if files_of(&first) != files_of(&second) {
                    failures.push(format!(
                        "{}: converting twice gave different files",
                        case.relative
                    ));
                }
                converted.push(Some((first, package)));
            }
            (Err(error), _) | (_, Err(error)) => {
                failures.push(format!("{}: {error}", case.relative));
                converted.push(None);
            }
        }
    }

    // The notebooks, each in a fresh kernel and a scratch copy of its folder.
    let kernel_dirs: Vec<tempfile::TempDir> = cases
        .iter()
        .map(|c| support::scratch_copy(c.notebook.parent().unwrap()))
        .collect();
    let jobs: Vec<KernelJob> = cases
        .iter()
        .zip(&kernel_dirs)
        .map(|(c, dir)| KernelJob {
            notebook: dir.path().join(c.notebook.file_name().unwrap()),
            cwd: dir.path().to_path_buf(),
            params: BTreeMap::new(),
        })
        .collect();
    let kernel_results = run_in_kernels(&jobs);

    // The packages, each in its own scratch copy, two at a time.
    let package_results: Vec<Option<Result<String, String>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = cases
            .chunks(cases.len().div_ceil(2))
            .zip(converted.chunks(cases.len().div_ceil(2)))
            .map(|(case_chunk, converted_chunk)| {
                scope.spawn(move || {
                    case_chunk
                        .iter()
                        .zip(converted_chunk)
                        .map(|(case, converted)| {
                            let (output, package) = converted.as_ref()?;
                            let cwd = support::scratch_copy(case.notebook.parent().unwrap());
                            Some(run_package(output, package, cwd.path(), &[]))
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

    // Equal stdout proves something only where there is stdout: nearly every fixture prints.
    let printing = kernel_results
        .iter()
        .filter(|r| r.as_ref().is_ok_and(|s| !s.trim().is_empty()))
        .count();
    assert!(
        printing + 3 >= cases.len(),
        "only {printing} of {} fixtures printed anything",
        cases.len()
    );

    for ((case, kernel), package) in cases.iter().zip(&kernel_results).zip(&package_results) {
        let Some(package) = package else { continue };
        match (kernel, package) {
            (Err(error), _) => failures.push(format!(
                "{}: the notebook fails in a kernel: {error}",
                case.relative
            )),
            (_, Err(error)) => {
                failures.push(format!("{}: the package fails: {error}", case.relative))
            }
            (Ok(expected), Ok(got)) => {
                if normalise(expected) != normalise(got) {
                    failures.push(format!(
                        "{}: stdout differs\n--- notebook\n{}--- package\n{}",
                        case.relative,
                        normalise(expected),
                        normalise(got)
                    ));
                }
            }
        }
    }

    // Every generated file compiles and passes ruff's default rules.
    let outputs: Vec<&PathBuf> = converted.iter().flatten().map(|(o, _)| o).collect();
    let compile = Command::new(support::python())
        .args(["-m", "compileall", "-q"])
        .args(&outputs)
        .output()
        .unwrap();
    if !compile.status.success() {
        failures.push(format!("compileall failed:\n{}", support::text(&compile).0));
    }
    let ruff = Command::new(support::venv_tool("ruff"))
        .args([
            "check",
            "--isolated",
            "--no-cache",
            "--output-format",
            "concise",
        ])
        .args(&outputs)
        .output()
        .unwrap();
    if !ruff.status.success() {
        failures.push(format!("ruff check failed:\n{}", support::text(&ruff).0));
    }

    assert!(
        failures.is_empty(),
        "{} of {} fixtures failed:\n\n{}",
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
            package_runs.push(run_package(&output, &package, dir.path(), &args));
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
            got,
            expected,
            "{} with {:?}",
            job.notebook.display(),
            job.params
        );
        outputs.push(got);
    }
    // Each override changed what the notebook prints, as it does with papermill.
    for pair in outputs.chunks(2) {
        assert_ne!(pair[0], pair[1], "the overrides changed nothing");
    }
}
