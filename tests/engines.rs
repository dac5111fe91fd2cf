//! Exports to orchestrators. Fixture notebooks, each holding state a real notebook holds:
//! a `parameters` cell; a pandas data frame passed between steps; a scikit-learn model
//! trained in one step and used in a later one; random draws that continue from a seed set
//! in an earlier section; a parameter and a list that notebook functions read as globals;
//! values named as Dagster names its own things; display options, a warnings filter and an
//! environment variable set in an earlier section; a function that reads a parameter as a
//! global, called two sections after it is defined, and a `defaultdict` of a lambda; a
//! database connection a later section queries; a second name for a list and a dict held by
//! another, changed through one name and read through the other; a file a later section
//! reads; a module of a folder the notebook puts on `sys.path`, an object of whose classes
//! a later section takes. Each is converted with `--export prefect,airflow,dagster,kedro`, and each export
//! runs as `python -m PKG --engine NAME` (one process) in that engine's own venv (made by the
//! test support from `tests/support/engines/NAME.txt`), and as the engine deploys it, each
//! task in a process of its own (`tests/support/engines/deployed.py`: Dagster's multiprocess
//! executor, Kedro's `ParallelRunner` and one process per node, Prefect's
//! `ProcessPoolTaskRunner`, Airflow's tasks one by one with the values on S3). What it prints
//! must equal what the notebook prints in a fresh kernel, and in one process what it shows
//! too, with the default parameters and with an override injected as papermill injects it.
//! Three more fixtures, whose exports are right only with what a run of the package finds,
//! are converted with `convert --export … --verify` and run on Dagster's multiprocess
//! executor and Kedro node by node.

// Runs real Python: the engines lane (`cargo test --features test-engines`, or `--features full`).
#![cfg(feature = "test-engines")]

mod support;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use support::runs::{KernelJob, Run, convert, run_in_kernels, run_package};

const ENGINES: [&str; 4] = ["prefect", "airflow", "dagster", "kedro"];

/// A fixture and the parameter it overrides: name, command-line text, Python source.
struct Case {
    notebook: &'static str,
    name: &'static str,
    cli: &'static str,
    python: &'static str,
}

const CASES: [Case; 12] = [
    Case {
        notebook: "example/sales_report.ipynb",
        name: "top_n",
        cli: "1",
        python: "1",
    },
    Case {
        notebook: "engines/dataframe_between_steps.ipynb",
        name: "minimum",
        cli: "30",
        python: "30",
    },
    Case {
        notebook: "engines/model_trained_then_used.ipynb",
        name: "depth",
        cli: "1",
        python: "1",
    },
    Case {
        notebook: "engines/random_draws_continue_across_steps.ipynb",
        name: "count",
        cli: "2",
        python: "2",
    },
    Case {
        notebook: "engines/module_state_read_by_functions.ipynb",
        name: "threshold",
        cli: "0.96",
        python: "0.96",
    },
    Case {
        notebook: "engines/names_an_engine_reserves.ipynb",
        name: "rate",
        cli: "0.25",
        python: "0.25",
    },
    Case {
        notebook: "engines/process_state_set_in_an_earlier_step.ipynb",
        name: "factor",
        cli: "7",
        python: "7",
    },
    Case {
        notebook: "engines/functions_and_lambdas_cross_steps.ipynb",
        name: "scale",
        cli: "3",
        python: "3",
    },
    Case {
        notebook: "engines/connection_used_by_a_later_step.ipynb",
        name: "limit",
        cli: "2",
        python: "2",
    },
    Case {
        notebook: "engines/names_that_share_objects.ipynb",
        name: "extra",
        cli: "7",
        python: "7",
    },
    Case {
        notebook: "engines/file_a_later_step_reads.ipynb",
        name: "count",
        cli: "6",
        python: "6",
    },
    Case {
        notebook: "engines/local_module_on_sys_path.ipynb",
        name: "factor",
        cli: "3",
        python: "3",
    },
];

/// Each engine as deployed: (engine, mode of `tests/support/engines/deployed.py`).
const DEPLOYED: [(&str, &str); 5] = [
    ("dagster", "multiprocess"),
    ("kedro", "parallel"),
    ("kedro", "node-by-node"),
    ("prefect", "process-pool"),
    ("airflow", "task-by-task"),
];

/// Whether `mode` runs this job. Airflow's CLI takes seconds to start, once per task: task by
/// task, every case runs with its override (which reaches each task through the DAG run's
/// conf), and only the first with its defaults (which come from the DAG's params).
fn runs_in(mode: Option<&str>, job: &Job) -> bool {
    mode != Some("task-by-task") || job.overridden || job.case == 0
}

/// A converted case, run with the defaults (`overridden: false`) or with its override.
struct Job {
    case: usize,
    overridden: bool,
}

fn converted(work: &Path) -> Vec<(PathBuf, String)> {
    CASES
        .iter()
        .enumerate()
        .map(|(index, case)| {
            let output = work.join(format!("out{index}"));
            let notebook = support::fixtures().join(case.notebook);
            let package = convert(&notebook, &output, &["--export", &ENGINES.join(",")])
                .unwrap_or_else(|e| panic!("{}: {e}", case.notebook));
            (output, package)
        })
        .collect()
}

fn arguments(case: &Case, overridden: bool) -> Vec<String> {
    if overridden {
        vec![format!("--{}", case.name), case.cli.to_owned()]
    } else {
        Vec::new()
    }
}

#[test]
fn every_export_prints_and_shows_what_the_notebook_does() {
    let work = tempfile::tempdir().unwrap();
    let packages = converted(work.path());
    let jobs: Vec<Job> = (0..CASES.len())
        .flat_map(|case| [false, true].map(|overridden| Job { case, overridden }))
        .collect();

    // What the notebook prints and shows in a fresh kernel, each run in a scratch copy of
    // its folder.
    let scratch: Vec<_> = jobs
        .iter()
        .map(|job| support::scratch_copy(&notebook_dir(&CASES[job.case])))
        .collect();
    let kernel_jobs: Vec<KernelJob> = jobs
        .iter()
        .zip(&scratch)
        .map(|(job, dir)| {
            let case = &CASES[job.case];
            let mut params = BTreeMap::new();
            if job.overridden {
                params.insert(case.name.to_owned(), case.python.to_owned());
            }
            KernelJob {
                notebook: dir
                    .path()
                    .join(Path::new(case.notebook).file_name().unwrap()),
                cwd: dir.path().to_path_buf(),
                params,
            }
        })
        .collect();
    let expected: Vec<Run> = run_in_kernels(&kernel_jobs)
        .into_iter()
        .zip(&jobs)
        .map(|(run, job)| run.unwrap_or_else(|e| panic!("{}: {e}", CASES[job.case].notebook)))
        .collect();
    for pair in expected.chunks(2) {
        assert_ne!(
            pair[0].stdout, pair[1].stdout,
            "an override changes nothing"
        );
    }

    // Every run of every engine, in one process and as deployed, two at a time (each engine
    // in its own venv, made first), longest first so the two cores end together.
    let pythons: BTreeMap<&str, PathBuf> = ENGINES
        .iter()
        .map(|&engine| (engine, support::engine_python(engine)))
        .collect();
    let prefect = PrefectServer::start(&pythons["prefect"]);
    let mut runs: Vec<(&str, Option<&str>, usize)> = Vec::new();
    for engine in ENGINES {
        let modes = DEPLOYED
            .iter()
            .filter(|(e, _)| *e == engine)
            .map(|(_, m)| Some(*m));
        for mode in std::iter::once(None).chain(modes) {
            for (index, job) in jobs.iter().enumerate() {
                if runs_in(mode, job) {
                    runs.push((engine, mode, index));
                }
            }
        }
    }
    runs.sort_by_key(|&(_, mode, _)| mode != Some("task-by-task"));
    let failures: Vec<String> = support::parallel_map(&runs, 2, |&(engine, mode, index)| {
        let (job, expected) = (&jobs[index], &expected[index]);
        let case = &CASES[job.case];
        let what = format!(
            "{engine}{}: {}{}",
            mode.map(|m| format!(" ({m})")).unwrap_or_default(),
            case.notebook,
            if job.overridden { " (override)" } else { "" }
        );
        let package = &packages[job.case];
        let python = &pythons[engine];
        match run_export(engine, mode, python, package, case, job, &prefect.url) {
            Err(error) => Some(format!("{what}: {error}")),
            Ok(got) if got.stdout != expected.stdout => Some(format!(
                "{what}: stdout differs\n--- kernel\n{}\n--- {engine}\n{}",
                expected.stdout, got.stdout
            )),
            // A step in another process records what it shows there: compared in one
            // process only.
            Ok(got) if mode.is_none() && got.results != expected.results => Some(format!(
                "{what}: shown values differ\n--- kernel\n{:?}\n--- {engine}\n{:?}",
                expected.results, got.results
            )),
            Ok(_) => None,
        }
    })
    .into_iter()
    .flatten()
    .collect();
    drop(prefect);
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Engines keep state in their home folders: a fresh one per run. Prefect's runs use the
/// suite's server (`api`).
fn engine_env(home: &Path, api: &str) -> [(&'static str, String); 4] {
    [
        ("PREFECT_HOME", home.display().to_string()),
        ("PREFECT_API_URL", api.to_owned()),
        ("PREFECT_SERVER_ANALYTICS_ENABLED", "false".to_owned()),
        ("DO_NOT_TRACK", "1".to_owned()),
    ]
}

/// One Prefect server for the suite (`tests/support/engines/prefect_server.py`): a flow run
/// without one starts a temporary server of its own, seconds of every run. Stopped when
/// dropped.
struct PrefectServer {
    helper: std::process::Child,
    url: String,
    _home: tempfile::TempDir,
}

impl PrefectServer {
    fn start(python: &Path) -> Self {
        let home = tempfile::tempdir().unwrap();
        let mut helper = Command::new(python)
            .arg(support::root().join("tests/support/engines/prefect_server.py"))
            .env("PREFECT_HOME", home.path())
            .env("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
            .env("DO_NOT_TRACK", "1")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python runs");
        let mut line = String::new();
        BufReader::new(helper.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        assert!(line.starts_with("http://"), "no Prefect server: {line:?}");
        PrefectServer {
            helper,
            url: line.trim().to_owned(),
            _home: home,
        }
    }
}

impl Drop for PrefectServer {
    fn drop(&mut self) {
        // Its stdin closing stops the helper, and the helper the server.
        drop(self.helper.stdin.take());
        let _ = self.helper.wait();
    }
}

/// One run of an export, in a scratch copy of the notebook's folder: in one process
/// (`python -m PKG --engine NAME`, stdout and shown values) or, with a `mode`, as deployed
/// (`deployed.py ENGINE PACKAGE MODE OVERRIDES`, stdout).
fn run_export(
    engine: &str,
    mode: Option<&str>,
    python: &Path,
    (output, package): &(PathBuf, String),
    case: &Case,
    job: &Job,
    prefect_api: &str,
) -> Result<Run, String> {
    let dir = support::scratch_copy(&notebook_dir(case));
    let home = tempfile::tempdir().unwrap();
    let env = engine_env(home.path(), prefect_api);
    let Some(mode) = mode else {
        let mut args = vec!["--engine".to_owned(), engine.to_owned()];
        args.extend(arguments(case, job.overridden));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
        return run_package(python, output, package, dir.path(), &args, &env);
    };
    // The cases' overrides are numbers: their Python text is their JSON.
    let overrides = if job.overridden {
        format!("{{\"{}\": {}}}", case.name, case.python)
    } else {
        "{}".to_owned()
    };
    let result = Command::new(python)
        .arg(support::root().join("tests/support/engines/deployed.py"))
        .args([engine, package, mode, &overrides])
        .env("PYTHONPATH", output.join("src"))
        .env("MPLBACKEND", "Agg")
        .envs(env)
        .current_dir(dir.path())
        .output()
        .expect("python runs");
    let (stdout, stderr) = support::text(&result);
    if !result.status.success() {
        return Err(format!("exit {}:\n{stdout}\n{stderr}", result.status));
    }
    Ok(Run {
        stdout,
        results: Default::default(),
    })
}

/// Fixtures whose exports are right only with what a run of the package finds
/// (`convert --export … --verify`): an object that holds a connection, a numpy view and its
/// array, and a function that returns the list it was given.
const FOUND_BY_A_RUN: [&str; 3] = [
    "engines/object_holding_a_connection.ipynb",
    "engines/numpy_view_between_steps.ipynb",
    "engines/objects_shared_out_of_sight.ipynb",
];

#[test]
fn what_convert_verify_finds_holds_as_deployed() {
    let work = tempfile::tempdir().unwrap();
    let cases: Vec<Case> = FOUND_BY_A_RUN
        .iter()
        .map(|notebook| Case {
            notebook,
            name: "",
            cli: "",
            python: "",
        })
        .collect();
    let packages: Vec<(PathBuf, String)> = cases
        .iter()
        .enumerate()
        .map(|(index, case)| {
            let output = work.path().join(format!("out{index}"));
            let result = support::nblift()
                .arg("convert")
                .arg(support::fixtures().join(case.notebook))
                .arg("-o")
                .arg(&output)
                .args(["--export", "dagster,kedro", "--verify", "--python"])
                .arg(support::python())
                .output()
                .unwrap();
            let (stdout, stderr) = support::text(&result);
            assert!(
                result.status.success(),
                "{}: {stdout}{stderr}",
                case.notebook
            );
            let package = Path::new(case.notebook).file_stem().unwrap();
            (output, package.to_string_lossy().into_owned())
        })
        .collect();
    let scratch: Vec<_> = cases
        .iter()
        .map(|case| support::scratch_copy(&notebook_dir(case)))
        .collect();
    let kernel_jobs: Vec<KernelJob> = cases
        .iter()
        .zip(&scratch)
        .map(|(case, dir)| KernelJob {
            notebook: dir
                .path()
                .join(Path::new(case.notebook).file_name().unwrap()),
            cwd: dir.path().to_path_buf(),
            params: BTreeMap::new(),
        })
        .collect();
    let expected: Vec<Run> = run_in_kernels(&kernel_jobs)
        .into_iter()
        .map(|run| run.unwrap())
        .collect();
    let runs: Vec<(&str, &str, usize)> = [("dagster", "multiprocess"), ("kedro", "node-by-node")]
        .into_iter()
        .flat_map(|(engine, mode)| (0..cases.len()).map(move |case| (engine, mode, case)))
        .collect();
    let job = Job {
        case: 0,
        overridden: false,
    };
    let failures: Vec<String> = support::parallel_map(&runs, 2, |&(engine, mode, case)| {
        let python = support::engine_python(engine);
        let what = format!("{engine} ({mode}): {}", cases[case].notebook);
        match run_export(
            engine,
            Some(mode),
            &python,
            &packages[case],
            &cases[case],
            &job,
            "",
        ) {
            Err(error) => Some(format!("{what}: {error}")),
            Ok(got) if got.stdout != expected[case].stdout => Some(format!(
                "{what}: stdout differs\n--- kernel\n{}\n--- {engine}\n{}",
                expected[case].stdout, got.stdout
            )),
            Ok(_) => None,
        }
    })
    .into_iter()
    .flatten()
    .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

#[test]
fn the_base_package_imports_no_engine_and_a_missing_engine_says_what_to_install() {
    let work = tempfile::tempdir().unwrap();
    let (output, package) = &converted(work.path())[0];
    let dir = support::scratch_copy(&notebook_dir(&CASES[0]));
    // The test venv has no orchestrator installed.
    for engine in ENGINES {
        let found = Command::new(support::python())
            .args(["-c", &format!("import {engine}")])
            .output()
            .unwrap();
        assert!(!found.status.success(), "{engine} is in the test venv");
    }
    let plain = run_package(&support::python(), output, package, dir.path(), &[], &[]);
    assert!(plain.is_ok(), "{plain:?}", plain = plain.err());
    for engine in ENGINES {
        let result = Command::new(support::python())
            .args(["-m", package, "--engine", engine])
            .env("PYTHONPATH", output.join("src"))
            .current_dir(dir.path())
            .output()
            .unwrap();
        let (stdout, stderr) = support::text(&result);
        assert_eq!(result.status.code(), Some(2), "{engine}: {stdout}{stderr}");
        assert_eq!(
            stderr.trim(),
            format!(
                "{package}: the {engine} engine is not installed; run: pip install '{}[{engine}]'",
                package.replace('_', "-")
            ),
        );
    }
}

#[test]
fn the_airflow_dag_refuses_a_store_on_this_machine_when_tasks_may_run_on_others() {
    let work = tempfile::tempdir().unwrap();
    let (output, package) = &converted(work.path())[0];
    let home = tempfile::tempdir().unwrap();
    let variable = format!("{}_ARTIFACTS", package.to_uppercase());
    let load = |store: Option<&str>| {
        let mut command = Command::new(support::engine_python("airflow"));
        command
            .args(["-c", &format!("import {package}.airflow_dag")])
            .env("PYTHONPATH", output.join("src"))
            .env("AIRFLOW_HOME", home.path())
            .env("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
            .env("AIRFLOW__CORE__EXECUTOR", "CeleryExecutor")
            .env_remove(&variable);
        if let Some(store) = store {
            command.env(&variable, store);
        }
        let result = command.output().unwrap();
        let (_, stderr) = support::text(&result);
        (result.status.success(), stderr)
    };
    let (loaded, stderr) = load(None);
    assert!(!loaded, "a local store loaded with CeleryExecutor");
    assert!(
        stderr.contains(&format!(
            "is on this machine, and tasks may run on others (CeleryExecutor): set {variable}"
        )),
        "{stderr}"
    );
    // Storage every worker reaches (fsspec's in-memory filesystem stands in for it).
    let (loaded, stderr) = load(Some("memory://bucket/artifacts"));
    assert!(loaded, "{stderr}");
}

#[test]
fn engine_modules_pass_ruff() {
    let work = tempfile::tempdir().unwrap();
    for (output, _) in converted(work.path()) {
        let result = Command::new(support::venv_tool("ruff"))
            .args(["check", "--no-cache"])
            .arg(output.join("src"))
            .output()
            .unwrap();
        let (stdout, stderr) = support::text(&result);
        assert!(result.status.success(), "{stdout}{stderr}");
    }
}

fn notebook_dir(case: &Case) -> PathBuf {
    support::fixtures()
        .join(case.notebook)
        .parent()
        .unwrap()
        .to_path_buf()
}
