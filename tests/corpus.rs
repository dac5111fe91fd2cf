//! Conformance over the real-notebook corpus in `../shared/corpus` (see its README): every
//! notebook of `index.tsv` is converted and classified; converted packages must compile,
//! have no `ruff check` finding (default rules) the notebook's own code lacks, and convert to the same bytes twice; the runnable subset runs
//! as `python -m PKG --results FILE` in the corpus's layout and is compared with what the
//! notebook printed and showed in a fresh kernel, and those that match are proved again with
//! `nblift verify` (value by value, against the same package). The report goes to
//! `target/corpus-report.md`; a one-line summary is printed; the thresholds of the
//! conformance issue are asserted.

// Runs real Python: the corpus lane (`cargo test --features test-corpus`, or `--features full`).
#![cfg(feature = "test-corpus")]

mod support;

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::Value;

fn corpus() -> PathBuf {
    let corpus = support::root().join("../shared/corpus");
    fs::canonicalize(&corpus).unwrap_or(corpus)
}

/// One row of `index.tsv`.
struct Notebook {
    path: String,
    repo: String,
    source_path: String,
    kernel_language: String,
    parse_ok: bool,
    valid_json: bool,
}

/// One row of `runnable.tsv`.
struct Runnable {
    deterministic: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Outcome {
    Converted,
    /// Refused with an error diagnostic: its code and message.
    Refused(String, String),
    /// nblift exited 2.
    ToolFailure(String),
    /// A panic or a signal.
    Crash(String),
}

impl Outcome {
    fn label(&self) -> &'static str {
        match self {
            Outcome::Converted => "converted",
            Outcome::Refused(..) => "refused",
            Outcome::ToolFailure(_) => "tool failure",
            Outcome::Crash(_) => "crash",
        }
    }
}

/// Converts one notebook into `output`; classifies the outcome from the exit code and the
/// JSON report.
fn convert(notebook: &Path, output: &Path) -> (Outcome, String) {
    let result = support::output_with_timeout(
        support::nblift()
            .arg("convert")
            .arg(notebook)
            .arg("-o")
            .arg(output)
            .args(["--force", "--format", "json"]),
        Duration::from_secs(120),
    );
    let Some(result) = result else {
        return (
            Outcome::Crash("timed out after 120 s".into()),
            String::new(),
        );
    };
    let (stdout, stderr) = support::text(&result);
    let report: Value =
        serde_json::from_str(stdout.lines().last().unwrap_or_default()).unwrap_or(Value::Null);
    let package = report["package"].as_str().unwrap_or_default().to_owned();
    let outcome = match result.status.code() {
        Some(0) => Outcome::Converted,
        Some(1) => {
            let first_error = report["diagnostics"]
                .as_array()
                .and_then(|d| d.iter().find(|d| d["severity"] == "error"))
                .cloned()
                .unwrap_or(Value::Null);
            Outcome::Refused(
                first_error["code"].as_str().unwrap_or("?").to_owned(),
                format!(
                    "cell {} line {}: {}",
                    first_error["cell"],
                    first_error["line"],
                    first_error["message"].as_str().unwrap_or_default()
                ),
            )
        }
        Some(2) => Outcome::ToolFailure(report["error"].as_str().unwrap_or(&stderr).to_owned()),
        other => Outcome::Crash(format!(
            "exit {other:?}: {}",
            stderr.lines().take(3).collect::<Vec<_>>().join(" | ")
        )),
    };
    (outcome, package)
}

fn files_of(folder: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    support::files_under(folder)
        .into_iter()
        .map(|p| {
            (
                p.strip_prefix(folder).unwrap().to_path_buf(),
                fs::read(&p).unwrap(),
            )
        })
        .collect()
}

/// Lays out a runnable notebook's repository files as the corpus README says: `scratch/T`
/// holds a copy of `data/<owner>__<repo>/`; returns the working directory
/// `T/<dirname(source_path)>`, created when no data file lies there.
fn lay_out(notebook: &Notebook, scratch: &Path) -> PathBuf {
    let top = scratch.join("T");
    fs::create_dir_all(&top).unwrap();
    let data = corpus().join("data").join(notebook.repo.replace('/', "__"));
    if data.is_dir() {
        copy_tree(&data, &top);
    }
    let cwd = match Path::new(&notebook.source_path).parent() {
        Some(parent) => top.join(parent),
        None => top,
    };
    fs::create_dir_all(&cwd).unwrap();
    cwd
}

/// Runs a converted runnable notebook as the corpus README lays it out; `Ok` when it prints
/// and shows what the notebook did.
fn run_runnable(
    notebook: &Notebook,
    runnable: &Runnable,
    output: &Path,
    package: &str,
) -> Result<(), String> {
    let corpus = corpus();
    let scratch = tempfile::tempdir().unwrap();
    let cwd = lay_out(notebook, scratch.path());
    let owner_repo = notebook.repo.replace('/', "__");
    let results_file = scratch.path().join("results.json");
    let result = support::output_with_timeout(
        Command::new(support::python())
            .args(["-m", package, "--results"])
            .arg(&results_file)
            .env("PYTHONPATH", output.join("src"))
            .env("MPLBACKEND", "Agg")
            .current_dir(&cwd),
        Duration::from_secs(300),
    )
    .ok_or("timed out after 300 s")?;
    let (stdout, stderr) = support::text(&result);
    let stdout = support::without_ipython_notices(&stdout);
    if !result.status.success() {
        let last = stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or_default();
        return Err(format!("package failed ({}): {last}", result.status));
    }
    let name = Path::new(&notebook.path)
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let expected_dir = corpus.join("expected").join(&owner_repo);
    let expected_stdout =
        fs::read_to_string(expected_dir.join(format!("{name}.stdout"))).unwrap_or_default();
    let expected_results: Value = serde_json::from_str(
        &fs::read_to_string(expected_dir.join(format!("{name}.results.json")))
            .unwrap_or("[]".into()),
    )
    .unwrap_or(Value::Null);
    let got_results: Value =
        serde_json::from_str(&fs::read_to_string(&results_file).unwrap_or_default())
            .unwrap_or(Value::Null);
    let (expected, got) = (
        support::comparable_results(&expected_results),
        support::comparable_results(&got_results),
    );
    if runnable.deterministic {
        if stdout != expected_stdout {
            let (line, got, expected) = support::first_differing_line(&stdout, &expected_stdout);
            return Err(format!(
                "stdout differs (line {line}: got {got:?}, expected {expected:?})"
            ));
        }
        if expected != got {
            let at = expected
                .iter()
                .zip(&got)
                .position(|(a, b)| a != b)
                .unwrap_or(expected.len().min(got.len()));
            return Err(format!(
                "results differ ({} expected, {} shown; first difference at {at}: expected {:?}, got {:?})",
                expected.len(),
                got.len(),
                expected.get(at),
                got.get(at)
            ));
        }
    } else if stdout.lines().count() != expected_stdout.lines().count()
        || expected.len() != got.len()
    {
        return Err(format!(
            "nondeterministic notebook: {} stdout lines and {} results, expected {} and {}",
            stdout.lines().count(),
            got.len(),
            expected_stdout.lines().count(),
            expected.len()
        ));
    }
    Ok(())
}

/// Runs `nblift verify` on a runnable notebook against the package the conversion pass wrote
/// into `output`, the notebook sitting in its working directory of the corpus's layout (verify
/// runs both sides in copies of the notebook's folder). A nondeterministic notebook runs twice
/// (`--repeat 2`), so that what differs between its own runs is left out. `Err` holds verify's
/// exit code and the first lines of its verdict.
fn verify_runnable(notebook: &Notebook, runnable: &Runnable, output: &Path) -> Result<(), String> {
    assert!(
        output.join("src").is_dir(),
        "the package converted from `{}` is still in {}",
        notebook.path,
        output.display()
    );
    let scratch = tempfile::tempdir().unwrap();
    let cwd = lay_out(notebook, scratch.path());
    let file_name = Path::new(&notebook.source_path)
        .file_name()
        .expect("a notebook's source path names a file");
    let copy = cwd.join(file_name);
    fs::copy(corpus().join(&notebook.path), &copy).unwrap();
    let repeat = if runnable.deterministic { "1" } else { "2" };
    let result = support::output_with_timeout(
        support::nblift()
            .arg("verify")
            .arg(&copy)
            .arg(output)
            .arg("--python")
            .arg(support::python())
            .args(["--repeat", repeat]),
        Duration::from_secs(600),
    )
    .ok_or("timed out after 600 s")?;
    if result.status.success() {
        return Ok(());
    }
    let (stdout, stderr) = support::text(&result);
    // The report names the scratch copy: the corpus's own path is shown instead. Its verdict
    // is what matters; the names left out of the comparison come before it.
    let shown = copy.display().to_string();
    let lines: Vec<String> = stdout
        .lines()
        .chain(stderr.lines())
        .filter(|l| !l.trim().is_empty() && !l.starts_with(&shown))
        .map(|l| l.replace(&shown, &notebook.source_path))
        .collect();
    let verdict = lines
        .iter()
        .position(|l| l == "differs:")
        .unwrap_or_default();
    Err(format!(
        "exit {}: {}",
        result
            .status
            .code()
            .map_or_else(|| result.status.to_string(), |c| c.to_string()),
        lines[verdict..]
            .iter()
            .take(8)
            .map(String::as_str)
            .collect::<Vec<_>>()
            .join(" ⏎ ")
    ))
}

/// One package's shape measures, as `support/shape.py` prints them.
struct Shape(BTreeMap<String, f64>);

impl Shape {
    fn get(&self, key: &str) -> u64 {
        self.0.get(key).copied().unwrap_or(0.0) as u64
    }

    /// The sums of every measure, and the counts of packages each target is about.
    fn total(shapes: &[Shape]) -> Shape {
        let mut total: BTreeMap<String, f64> = BTreeMap::new();
        for shape in shapes {
            for (key, value) in &shape.0 {
                *total.entry(format!("sum:{key}")).or_default() += value;
            }
            let mut count = |key: &str, yes: bool| {
                *total.entry(key.to_owned()).or_default() += f64::from(u8::from(yes));
            };
            count("packages", true);
            let many_cells = shape.get("code_cells") >= 10;
            count("many_cells", many_cells);
            count("many_cells_one_step", many_cells && shape.get("steps") <= 1);
            count("with_long_step", shape.get("long_steps") > 0);
            count("big_result", shape.get("run_returns") > 5);
            count("with_generic_name", shape.get("generic_names") > 0);
            count("with_wordy_name", shape.get("wordy_names") > 0);
        }
        Shape(total)
    }

    fn sum(&self, key: &str) -> u64 {
        self.get(&format!("sum:{key}"))
    }

    /// (measure, value, target) rows of the table.
    fn rows(&self) -> Vec<(&'static str, String, &'static str)> {
        let packages = self.get("packages") as usize;
        let share = |key: &str| percent(self.get(key) as usize, packages);
        vec![
            (
                "notebooks with >= 10 code cells (with code a step holds) that become a single step",
                format!(
                    "{} (of {})",
                    percent(
                        self.get("many_cells_one_step") as usize,
                        self.get("many_cells") as usize
                    ),
                    self.get("many_cells")
                ),
                "0%",
            ),
            (
                "packages with a step longer than 80 lines",
                share("with_long_step"),
                "<= 5%",
            ),
            (
                "dead returns",
                format!(
                    "{} ({} of {})",
                    percent(self.sum("dead") as usize, self.sum("bound") as usize),
                    self.sum("dead"),
                    self.sum("bound")
                ),
                "<= 2%",
            ),
            (
                "packages whose run() returns more than 5 names",
                share("big_result"),
                "0%",
            ),
            (
                "packages with a generic step name",
                share("with_generic_name"),
                "0%",
            ),
            (
                "packages with a step name of more than 5 words",
                share("with_wordy_name"),
                "<= 5%",
            ),
            (
                "`# noqa` comments",
                format!("{} ({} F401)", self.sum("noqa"), self.sum("noqa_f401")),
                "0",
            ),
            (
                "plumbing lines in steps",
                format!(
                    "{} ({} of {}; close_figures {})",
                    percent(
                        self.sum("plumbing") as usize,
                        self.sum("step_lines") as usize
                    ),
                    self.sum("plumbing"),
                    self.sum("step_lines"),
                    self.sum("close_figures")
                ),
                "<= 2%",
            ),
            (
                "steps changing an argument a later step reads, not returning it",
                format!("{} of {}", self.sum("mutating_steps"), self.sum("steps")),
                "0",
            ),
        ]
    }

    /// The targets this total misses, by their short names in the summary line.
    fn missed(&self) -> Vec<&'static str> {
        let packages = self.get("packages");
        let mut missed = Vec::new();
        let mut target = |name: &'static str, met: bool| {
            if !met {
                missed.push(name);
            }
        };
        target("one-step", self.get("many_cells_one_step") == 0);
        target("long", self.get("with_long_step") * 100 <= packages * 5);
        target("dead", self.sum("dead") * 100 <= self.sum("bound") * 2);
        target("big run()", self.get("big_result") == 0);
        target("step_N", self.get("with_generic_name") == 0);
        target("wordy", self.get("with_wordy_name") * 100 <= packages * 5);
        target("noqa", self.sum("noqa") == 0);
        target(
            "plumbing",
            self.sum("plumbing") * 100 <= self.sum("step_lines") * 2,
        );
        target("mutating", self.sum("mutating_steps") == 0);
        missed
    }

    fn table(&self) -> String {
        let mut table = String::from("| measure | corpus | target |\n|---|---|---|\n");
        for (measure, value, target) in self.rows() {
            let _ = writeln!(table, "| {measure} | {value} | {target} |");
        }
        table
    }

    fn summary(&self) -> String {
        let values: Vec<String> = self.rows().into_iter().map(|(_, value, _)| value).collect();
        format!(
            "one-step {}, long {}, dead {}, big run() {}, step_N {}, wordy {}, noqa {}, plumbing {}, mutating {}",
            values[0],
            values[1],
            values[2],
            values[3],
            values[4],
            values[5],
            values[6],
            values[7],
            values[8]
        )
    }
}

/// Runs `support/shape.py` over (notebook, package) jobs: one `Shape` per job, in order.
fn measure_shapes(jobs: &[(PathBuf, PathBuf)], scratch: &Path) -> Vec<Shape> {
    let jobs_file = scratch.join("shape-jobs.json");
    fs::write(&jobs_file, serde_json::to_string(jobs).unwrap()).unwrap();
    let output = Command::new(support::python())
        .arg(support::root().join("tests/support/shape.py"))
        .arg(&jobs_file)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "shape.py failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let shapes: Vec<Shape> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| {
            let measures: BTreeMap<String, Value> = serde_json::from_str(line).unwrap();
            Shape(
                measures
                    .into_iter()
                    .filter_map(|(key, value)| Some((key, value.as_f64()?)))
                    .collect(),
            )
        })
        .collect();
    assert_eq!(shapes.len(), jobs.len(), "shape.py measured every package");
    shapes
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in walkdir::WalkDir::new(from).into_iter().flatten() {
        let relative = entry.path().strip_prefix(from).unwrap();
        let destination = to.join(relative);
        if entry.file_type().is_dir() {
            fs::create_dir_all(&destination).unwrap();
        } else {
            fs::copy(entry.path(), &destination).unwrap();
        }
    }
}

fn percent(part: usize, whole: usize) -> String {
    if whole == 0 {
        "–".into()
    } else {
        format!("{:.1}%", 100.0 * part as f64 / whole as f64)
    }
}

#[test]
fn corpus_conformance() {
    let corpus = corpus();
    // A clone without `../shared` (a contributor's) skips the corpus with a word; CI, which
    // always has it beside the clone, must not pass without running it.
    if !corpus.join("index.tsv").is_file() && std::env::var_os("CI").is_none() {
        eprintln!(
            "corpus_conformance skipped: no corpus at {} (CI runs it)",
            corpus.display()
        );
        return;
    }
    assert!(
        corpus.join("index.tsv").is_file(),
        "the corpus is expected at {}",
        corpus.display()
    );
    let notebooks: Vec<Notebook> = support::read_tsv(&corpus.join("index.tsv"))
        .into_iter()
        .map(|row| Notebook {
            path: row["path"].clone(),
            repo: row["repo"].clone(),
            source_path: row["source_path"].clone(),
            kernel_language: row["kernel_language"].clone(),
            parse_ok: row["parse_ok"] == "1",
            valid_json: row.get("notes").is_none_or(|n| n.is_empty()),
        })
        .collect();
    let runnable: HashMap<String, Runnable> = support::read_tsv(&corpus.join("runnable.tsv"))
        .into_iter()
        .map(|row| {
            (
                row["path"].clone(),
                Runnable {
                    deterministic: row["deterministic"] == "1",
                },
            )
        })
        .collect();

    // 1. Convert everything twice.
    let work = tempfile::tempdir().unwrap();
    let indices: Vec<usize> = (0..notebooks.len()).collect();
    let conversions: Vec<(Outcome, String, bool)> = support::parallel_map(&indices, 2, |&i| {
        let source = corpus.join(&notebooks[i].path);
        let output = work.path().join(format!("nb{i}"));
        let (outcome, package) = convert(&source, &output);
        let mut deterministic = true;
        if outcome == Outcome::Converted {
            let again = work.path().join(format!("again{i}"));
            convert(&source, &again);
            deterministic = files_of(&output) == files_of(&again);
            let _ = fs::remove_dir_all(&again);
        }
        (outcome, package, deterministic)
    });

    // 2. Compile every generated file, and run ruff's default rules on them.
    let converted: Vec<usize> = indices
        .iter()
        .copied()
        .filter(|&i| conversions[i].0 == Outcome::Converted)
        .collect();
    let index_of = |path: &str| -> Option<usize> {
        let relative = Path::new(path).strip_prefix(work.path()).ok()?;
        relative
            .components()
            .next()?
            .as_os_str()
            .to_str()?
            .strip_prefix("nb")?
            .parse()
            .ok()
    };
    let mut compile_errors: BTreeMap<usize, String> = BTreeMap::new();
    let compile = Command::new(support::python())
        .args([
            "-c",
            // `compile()`, not `py_compile`: nothing is written, and every error is caught.
            "import pathlib, sys\nfor p in sorted(pathlib.Path(sys.argv[1]).rglob('*.py')):\n    try:\n        compile(p.read_bytes(), str(p), 'exec')\n    except (SyntaxError, ValueError) as e:\n        print(str(p) + '\\t' + str(e).replace('\\n', ' '))",
        ])
        .arg(work.path())
        .output()
        .unwrap();
    assert!(
        compile.status.success(),
        "the compile check itself failed: {}",
        String::from_utf8_lossy(&compile.stderr)
    );
    for line in String::from_utf8_lossy(&compile.stdout).lines() {
        let (path, error) = line.split_once('\t').unwrap_or((line, ""));
        if let Some(i) = index_of(path) {
            compile_errors.entry(i).or_insert_with(|| error.to_owned());
        }
    }
    // ruff's default rules on the packages, and on the notebooks themselves: a finding the
    // notebook already has (an unused variable inside one of its functions, say) is the
    // notebook's; one it does not have was introduced by the conversion.
    // The notebook is linted as the script IPython runs (ruff's own notebook reader refuses
    // some real notebooks' metadata).
    let scripts = tempfile::tempdir().unwrap();
    let script_of = |i: usize| scripts.path().join(format!("notebook{i}.py"));
    let jobs: Vec<(PathBuf, PathBuf)> = converted
        .iter()
        .map(|&i| (corpus.join(&notebooks[i].path), script_of(i)))
        .collect();
    support::lint::write_notebook_scripts(&jobs, scripts.path());
    let mut notebook_findings = support::lint::notebook_findings(scripts.path(), None);
    let mut package_findings: BTreeMap<usize, Vec<(String, String)>> = BTreeMap::new();
    for (file, key, shown) in support::lint::ruff_findings(&[work.path()], None)
        .into_iter()
        .map(|(f, k)| {
            let shown = format!(
                "{} {k}",
                Path::new(&f)
                    .file_name()
                    .unwrap_or_default()
                    .to_string_lossy()
            );
            (f, k, shown)
        })
    {
        if let Some(i) = index_of(&file) {
            package_findings.entry(i).or_default().push((key, shown));
        }
    }
    let mut ruff_findings: BTreeMap<usize, String> = BTreeMap::new();
    let mut introduced: BTreeMap<usize, String> = BTreeMap::new();
    // Introduced findings of pyflakes' rules (`F…`): the names and imports a conversion
    // gets wrong, counted apart from style rules.
    let mut introduced_pyflakes: BTreeMap<usize, String> = BTreeMap::new();
    for (&i, findings) in &package_findings {
        ruff_findings.insert(i, findings[0].1.clone());
        let inherited = notebook_findings.remove(&script_of(i)).unwrap_or_default();
        // (what the report shows, key): `introduced` matches on the key alone.
        let shown_keys: Vec<(String, String)> = findings
            .iter()
            .map(|(key, shown)| (shown.clone(), key.clone()))
            .collect();
        for (shown, key) in support::lint::introduced(&shown_keys, &inherited) {
            if key.starts_with('F') {
                introduced_pyflakes
                    .entry(i)
                    .or_insert_with(|| shown.clone());
            }
            introduced.entry(i).or_insert(shown);
        }
    }

    // The refactoring-shape issue's measures of every converted package
    // (`support/shape.py` defines them).
    let shape_jobs: Vec<(PathBuf, PathBuf)> = converted
        .iter()
        .map(|&i| {
            (
                corpus.join(&notebooks[i].path),
                work.path().join(format!("nb{i}")),
            )
        })
        .collect();
    let shapes = measure_shapes(&shape_jobs, scripts.path());
    let shape = Shape::total(&shapes);

    // 3. Run the runnable ones that converted.
    let to_run: Vec<usize> = converted
        .iter()
        .copied()
        .filter(|&i| runnable.contains_key(&notebooks[i].path))
        .collect();
    let runs: Vec<Result<(), String>> = support::parallel_map(&to_run, 2, |&i| {
        let output = work.path().join(format!("nb{i}"));
        run_runnable(
            &notebooks[i],
            &runnable[&notebooks[i].path],
            &output,
            &conversions[i].1,
        )
    });
    let run_results: HashMap<usize, &Result<(), String>> =
        to_run.iter().copied().zip(&runs).collect();

    // 4. `nblift verify` on every runnable notebook the run found equivalent, against the
    // package the conversion pass wrote.
    let to_verify: Vec<usize> = to_run
        .iter()
        .copied()
        .filter(|i| run_results[i].is_ok())
        .collect();
    let started = Instant::now();
    let verifications: Vec<Result<(), String>> = support::parallel_map(&to_verify, 2, |&i| {
        verify_runnable(
            &notebooks[i],
            &runnable[&notebooks[i].path],
            &work.path().join(format!("nb{i}")),
        )
    });
    let verify_seconds = started.elapsed().as_secs();
    let verify_failures: Vec<(&str, &str)> = to_verify
        .iter()
        .zip(&verifications)
        .filter_map(|(&i, v)| Some((notebooks[i].path.as_str(), v.as_ref().err()?.as_str())))
        .collect();
    let verified = to_verify.len() - verify_failures.len();

    // 5. The report.
    let total = notebooks.len();
    let count = |label: &str| conversions.iter().filter(|c| c.0.label() == label).count();
    let python3: Vec<usize> = indices
        .iter()
        .copied()
        .filter(|&i| {
            let n = &notebooks[i];
            n.valid_json
                && n.parse_ok
                && (n.kernel_language.is_empty()
                    || n.kernel_language.eq_ignore_ascii_case("python"))
        })
        .collect();
    let python3_converted = python3
        .iter()
        .filter(|&&i| conversions[i].0 == Outcome::Converted)
        .count();
    let nondeterministic: Vec<usize> = converted
        .iter()
        .copied()
        .filter(|&i| !conversions[i].2)
        .collect();
    let runnable_total = runnable.len();
    let passed = runs.iter().filter(|r| r.is_ok()).count();
    let deterministic_total = runnable.values().filter(|r| r.deterministic).count();
    let deterministic_passed = to_run
        .iter()
        .zip(&runs)
        .filter(|(i, r)| r.is_ok() && runnable[&notebooks[**i].path].deterministic)
        .count();

    let mut report = String::new();
    let _ = writeln!(report, "# Corpus conformance\n");
    let _ = writeln!(
        report,
        "Generated by `cargo test --features test-corpus --test corpus` over `../shared/corpus` ({total} notebooks).\n"
    );
    let _ = writeln!(report, "| outcome | notebooks | rate |\n|---|---|---|");
    for label in ["converted", "refused", "tool failure", "crash"] {
        let _ = writeln!(
            report,
            "| {label} | {} | {} |",
            count(label),
            percent(count(label), total)
        );
    }
    let _ = writeln!(
        report,
        "\nPython notebooks whose cells parse as Python 3: {} of {} converted ({}).",
        python3_converted,
        python3.len(),
        percent(python3_converted, python3.len())
    );
    let mut refusals: BTreeMap<&str, usize> = BTreeMap::new();
    for (outcome, _, _) in &conversions {
        if let Outcome::Refused(code, _) = outcome {
            *refusals.entry(code).or_default() += 1;
        }
    }
    let _ = writeln!(report, "\n| refusal code | notebooks |\n|---|---|");
    for (code, n) in &refusals {
        let _ = writeln!(report, "| {code} | {n} |");
    }
    let _ = writeln!(
        report,
        "\nConverted packages: {} with a file that does not compile, {} with a `ruff check` finding ({} with a finding the notebook itself does not have, {} of them a pyflakes `F` finding), {} not byte-identical when converted twice.",
        compile_errors.len(),
        ruff_findings.len(),
        introduced.len(),
        introduced_pyflakes.len(),
        nondeterministic.len()
    );
    let _ = writeln!(
        report,
        "\nRunnable subset: {passed} of {runnable_total} run clean and match ({}); deterministic ones: {deterministic_passed} of {deterministic_total} ({}).",
        percent(passed, runnable_total),
        percent(deterministic_passed, deterministic_total)
    );
    let _ = writeln!(
        report,
        "\n## Per repository\n\n| repository | notebooks | converted | refused | failed | runnable equivalent |\n|---|---|---|---|---|---|"
    );
    let mut repos: BTreeMap<&str, [usize; 6]> = BTreeMap::new();
    for &i in &indices {
        let row = repos.entry(notebooks[i].repo.as_str()).or_default();
        row[0] += 1;
        match conversions[i].0 {
            Outcome::Converted => row[1] += 1,
            Outcome::Refused(..) => row[2] += 1,
            _ => row[3] += 1,
        }
        if runnable.contains_key(&notebooks[i].path) {
            row[5] += 1;
            if run_results.get(&i).is_some_and(|r| r.is_ok()) {
                row[4] += 1;
            }
        }
    }
    for (repo, row) in &repos {
        let _ = writeln!(
            report,
            "| {repo} | {} | {} | {} | {} | {} of {} |",
            row[0], row[1], row[2], row[3], row[4], row[5]
        );
    }
    let _ = writeln!(
        report,
        "\n## nblift verify on the equivalent runnable notebooks\n\n{verified} of {} verify equivalent ({}); {} of them nondeterministic (run with `--repeat 2`); the pass took {verify_seconds} s.\n",
        to_verify.len(),
        percent(verified, to_verify.len()),
        to_verify
            .iter()
            .filter(|&&i| !runnable[&notebooks[i].path].deterministic)
            .count()
    );
    for (name, reason) in &verify_failures {
        let _ = writeln!(report, "- `{name}`: {reason}");
    }
    let _ = writeln!(report, "\n## Every failure\n");
    for &i in &indices {
        let name = &notebooks[i].path;
        match &conversions[i].0 {
            Outcome::Converted => {}
            Outcome::Refused(code, message) => {
                let _ = writeln!(report, "- `{name}`: refused, {code}: {message}");
            }
            Outcome::ToolFailure(message) | Outcome::Crash(message) => {
                let _ = writeln!(
                    report,
                    "- `{name}`: {}: {message}",
                    conversions[i].0.label()
                );
            }
        }
        if let Some(error) = compile_errors.get(&i) {
            let _ = writeln!(report, "- `{name}`: does not compile: {error}");
        }
        if let Some(finding) = introduced.get(&i) {
            let _ = writeln!(
                report,
                "- `{name}`: ruff finding introduced by the conversion: {finding}"
            );
        } else if let Some(finding) = ruff_findings.get(&i) {
            let _ = writeln!(
                report,
                "- `{name}`: ruff finding the notebook itself has: {finding}"
            );
        }
        if nondeterministic.contains(&i) {
            let _ = writeln!(report, "- `{name}`: converting twice gave different bytes");
        }
        if let Some(Err(reason)) = run_results.get(&i) {
            let _ = writeln!(report, "- `{name}`: runnable: {reason}");
        }
        if runnable.contains_key(name) && !run_results.contains_key(&i) {
            let _ = writeln!(report, "- `{name}`: runnable, but not converted");
        }
    }
    let _ = writeln!(report, "\n## Shape of the packages\n\n{}", shape.table());
    let _ = writeln!(
        report,
        "\n| package | steps | longest step | dead returns | run() returns | noqa | plumbing |\n|---|---|---|---|---|---|---|"
    );
    for (&i, one) in converted.iter().zip(&shapes) {
        let _ = writeln!(
            report,
            "| `{}` | {} | {} | {} of {} | {} | {} | {} |",
            notebooks[i].path,
            one.get("steps"),
            one.get("longest_step"),
            one.get("dead"),
            one.get("bound"),
            one.get("run_returns"),
            one.get("noqa"),
            one.get("plumbing")
        );
    }
    let report_path = support::root().join("target/corpus-report.md");
    fs::write(&report_path, &report).unwrap();

    let summary = format!(
        "corpus: {total} notebooks: {} converted, {} refused, {} tool failures, {} crashes; python 3 converted {} ({}/{}); compile errors {}, ruff {} ({} introduced, {} F), nondeterministic {}; runnable {passed}/{runnable_total} equivalent, deterministic {deterministic_passed}/{deterministic_total} ({}); verify {verified}/{} equivalent in {verify_seconds} s; shape: {}; report: {}",
        count("converted"),
        count("refused"),
        count("tool failure"),
        count("crash"),
        percent(python3_converted, python3.len()),
        python3_converted,
        python3.len(),
        compile_errors.len(),
        ruff_findings.len(),
        introduced.len(),
        introduced_pyflakes.len(),
        nondeterministic.len(),
        percent(deterministic_passed, deterministic_total),
        to_verify.len(),
        shape.summary(),
        report_path.display()
    );
    println!("{summary}");
    eprintln!("{summary}");

    // The conformance issue's targets. Where the corpus does not reach one yet, today's level
    // is asserted as a floor (FIXME) so that it can only improve; the report lists every
    // notebook behind the gap.
    assert_eq!(count("crash") + count("tool failure"), 0, "{summary}");
    // FIXME: the target is 98%. Every remaining refusal names a real error of the notebook
    // (a name no cell defines, read unconditionally; a name read before the cell that binds
    // it, whatever a star import above may supply, as the refactoring-shape issue rules;
    // Python 2 builtins; `await` in a plain `def`, which parses but does not compile); see
    // the report. 1109 of 1153 on 2026-12-07.
    assert!(python3_converted * 1000 >= python3.len() * 961, "{summary}");
    assert!(
        compile_errors.is_empty() && nondeterministic.is_empty(),
        "{summary}"
    );
    // ruff's default rules (0.17) find nothing in a package that the notebook's own code
    // does not have.
    assert!(introduced.is_empty(), "{summary}");
    assert!(
        deterministic_passed * 100 >= deterministic_total * 95,
        "{summary}"
    );
    // The refactoring-shape issue's targets: the shape cannot regress.
    assert!(
        shape.missed().is_empty(),
        "shape targets missed: {:?}\n{summary}",
        shape.missed()
    );
    // The verify issue: `nblift verify` reports equivalent on every runnable notebook the run
    // above found equivalent.
    assert!(
        verified == to_verify.len(),
        "{summary}\n{}",
        verify_failures
            .iter()
            .map(|(name, reason)| format!("{name}: {reason}"))
            .collect::<Vec<_>>()
            .join("\n")
    );
}
