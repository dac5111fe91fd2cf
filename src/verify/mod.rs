//! `nblift verify NOTEBOOK OUT`: runs the notebook top to bottom in a fresh Jupyter kernel and
//! the package in `OUT`, each in its own scratch copy of the notebook's folder, and compares
//! what they print, what they show (`Out[n]`, `display()`), the final value of every name the
//! notebook leaves defined (fingerprinted by the package's own `_nblift_verify.py` on both sides),
//! and the files they write.
//!
//! Python is the user's: `--python`, else `python3`, which must have `nbclient` and
//! `ipykernel` for the notebook's side and the package's dependencies for the package's.

pub mod compare;
pub mod crossings;
pub mod explain;
pub mod files;
pub mod partings;
pub mod stale;

use crate::process::{RunError, output_with_timeout};
use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::{Deserialize, Serialize};

use crate::analysis::Analysis;
use crate::notebook::Notebook;
use serde_json::Value;
use walkdir::WalkDir;

pub use crate::notebook::notices::without_ipython_notices;
pub use compare::Difference;

/// The notebook's side: `run_notebook.py`, run by the user's Python.
const KERNEL_DRIVER: &str = include_str!("run_notebook.py");

/// How the runs compared.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    Equivalent,
    Differs,
    /// The package did not run to the end; its error.
    PackageFailed(String),
    /// The notebook itself fails in a fresh kernel; its error.
    NotebookFailed(String),
}

/// What `verify` found, with the evidence.
#[derive(Debug, Serialize)]
pub struct Evidence {
    pub verdict: Verdict,
    pub package: String,
    /// A unified diff of stdout (notebook, then package), when they differ.
    pub stdout_diff: Option<String>,
    pub stdout_lines: usize,
    /// A unified diff of the shown values, when they differ.
    pub results_diff: Option<String>,
    pub results: usize,
    /// Final values that differ, with the path where they part.
    pub values: Vec<Difference>,
    pub values_compared: usize,
    /// Names the notebook leaves defined that the package does not keep (a loop variable, a
    /// name bound on some paths only): not compared.
    pub not_kept: Vec<String>,
    /// Final values that differ between runs of the notebook itself (`--repeat`), with the
    /// first difference seen (first run, then another): not compared with the package.
    pub unstable: Vec<Difference>,
    /// Stdout differs between runs of the notebook itself: compared by its shape only
    /// ([`shape_of`]).
    pub stdout_unstable: bool,
    /// Names only the package defines (`%%timeit`'s setup runs in timeit's own namespace in
    /// the kernel): not compared.
    pub package_only: Vec<String>,
    /// What was compared less than exactly, for the verdict to say so ("equivalent where
    /// stable") and `--strict` to refuse.
    pub loose: Vec<String>,
    /// Files written differently (or by one side only), relative to the notebook's folder.
    pub files: Vec<Difference>,
    /// For final values that differ, the first step after which each parts (found by a
    /// second, traced run of both sides).
    pub partings: Vec<partings::Parting>,
    pub python: String,
    /// Versions of the packages the notebook imports, and of Jupyter's, in the Python that
    /// ran both sides (distribution name to version).
    pub packages: BTreeMap<String, String>,
    /// When the notebook failed: the index of the cell that raised (0-based).
    pub failed_cell: Option<u32>,
    /// Saved outputs that a fresh run of the notebook no longer prints (not a difference
    /// between the notebook and the package: the notebook's saved file is out of date).
    pub stale: Vec<stale::StaleOutput>,
    /// Every final value's verdict, by name.
    pub verdicts: BTreeMap<String, ValueVerdict>,
}

/// How one final value compared.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ValueVerdict {
    Equal,
    Differs,
    /// It differs between runs of the notebook itself: not compared.
    Unstable,
    /// The package does not keep it: not compared.
    NotKept,
    /// Only the package defines it: not compared.
    PackageOnly,
}

/// Whether a verdict of equivalent may rest on loose comparisons (`--strict` says no).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strictness {
    WhereStable,
    Exact,
}

/// How long a run may take unless `--timeout` says otherwise.
pub const DEFAULT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(600);

pub struct Settings<'a> {
    pub notebook: &'a Path,
    pub output: &'a Path,
    pub python: &'a Path,
    /// How many times the notebook runs (`--repeat`): what differs between its own runs is
    /// unstable, listed and left out of the verdict.
    pub repeat: usize,
    /// What the value and file comparisons leave out (`--ignore`).
    pub ignore: compare::Ignore,
    /// How long one run of the notebook or of the package may take (`--timeout`): a run
    /// still going then is killed, and fails.
    pub timeout: std::time::Duration,
    /// `--strict`: anything compared less than exactly makes the notebook differ.
    pub strictness: Strictness,
    /// The notebook as loaded and analysed, when it could be: its saved outputs are checked
    /// against the fresh run, and the versions of what it imports are reported.
    pub analysed: Option<(&'a Notebook, &'a Analysis)>,
}

/// Runs both sides and compares them; `Err` when verify itself cannot run (no package in
/// `OUT`, no Jupyter, I/O).
pub fn verify(settings: &Settings<'_>) -> Result<Evidence, String> {
    let (runner, _scratch) = Runner::new(
        settings.notebook,
        settings.output,
        settings.python,
        settings.timeout,
    )?;
    let modules: BTreeSet<&str> = settings
        .analysed
        .iter()
        .flat_map(|(_, analysis)| analysis.statements())
        // Distributions are found by top-level package (`mpl_toolkits`, not
        // `mpl_toolkits.basemap`).
        .flat_map(|(_, s)| {
            s.modules
                .iter()
                .map(|m| m.as_str().split('.').next().unwrap_or(""))
        })
        .chain(["nbclient", "ipykernel", "IPython"])
        .collect();
    let (version, packages) = python_versions(&runner.python, &modules)?;

    // The two runs are independent: side by side.
    let (kernel, run) = std::thread::scope(|scope| {
        let kernel = scope.spawn(|| runner.kernel("notebook", None));
        let run = runner.package("package", &["--results", "--values"]);
        (kernel.join().expect("the kernel thread ends"), run)
    });
    let first = kernel?;
    let mut evidence = Evidence {
        verdict: Verdict::Equivalent,
        package: runner.package.clone(),
        stdout_diff: None,
        stdout_lines: 0,
        results_diff: None,
        results: 0,
        values: Vec::new(),
        values_compared: 0,
        not_kept: Vec::new(),
        package_only: Vec::new(),
        unstable: Vec::new(),
        stdout_unstable: false,
        loose: Vec::new(),
        files: Vec::new(),
        partings: Vec::new(),
        python: version,
        packages,
        failed_cell: None,
        stale: Vec::new(),
        verdicts: BTreeMap::new(),
    };
    if let Some(error) = &first.report.fingerprint_error {
        return Err(format!(
            "fingerprinting the notebook's values failed: {}",
            last_line(error)
        ));
    }
    if let Some(error) = &first.report.error {
        evidence.verdict = Verdict::NotebookFailed(last_line(error));
        evidence.failed_cell = first.report.error_cell;
        return Ok(evidence);
    }
    if let Some((notebook, analysis)) = settings.analysed {
        let unseeded = crate::analysis::reproducibility::any_draws_unseeded(&analysis.cells);
        evidence.stale = stale::stale_outputs(notebook, &first.report.cell_stdout, unseeded);
    }
    let run = run?;
    if let Some(error) = run.failure() {
        evidence.verdict = Verdict::PackageFailed(error);
        return Ok(evidence);
    }

    // `--repeat N`: what differs between runs of the notebook itself is unstable, left out
    // of the verdict and listed.
    let mut unstable = Instability::default();
    for run in 1..settings.repeat.max(1) {
        let again = runner.kernel(&format!("notebook-{run}"), None)?;
        // A notebook that fails in one of its runs fails: its values are not unstable.
        if let Some(error) = &again.report.error {
            let error = format!(
                "in its run {} of {}: {}",
                run + 1,
                settings.repeat,
                last_line(error)
            );
            evidence.verdict = Verdict::NotebookFailed(error);
            evidence.failed_cell = again.report.error_cell;
            return Ok(evidence);
        }
        unstable.absorb(&first, &again, &runner.name, &settings.ignore);
    }
    let mut compared = Comparison::of(&first, &run, &unstable, &runner.name, &settings.ignore);
    if compared.differs() {
        // Before saying so, run the notebook once more, traced where final values differ:
        // what differs between its own two runs is unstable, not the package's doing, and
        // the trace shows the first step where each remaining value parts.
        let trace = if compared.values.differing.is_empty() {
            None
        } else {
            let traced = runner.package("package-traced", &["--trace"])?;
            traced.output.status.success().then_some(traced.trace)
        };
        // The first package run overlapped the notebook's, so what each read from a world
        // that changes with time (the clock to the minute, a file that grows) can differ
        // though the notebook's two runs agree: the package ran before a minute turned, the
        // notebook after. The package runs again between the notebook's runs, after the
        // first has ended: a value that only grows with time, and is the same in both of
        // the notebook's runs, is then the same in this one.
        let between = runner.package("package-again", &["--results", "--values"])?;
        if let Some(error) = between.failure() {
            evidence.verdict = Verdict::PackageFailed(format!("in its second run: {error}"));
            return Ok(evidence);
        }
        let plan = trace
            .as_ref()
            .map(|trace| partings::plan(trace, &compared.values.differing));
        let again = runner.kernel("notebook-again", plan.as_ref())?;
        if again.report.error.is_none() {
            unstable.absorb(&first, &again, &runner.name, &settings.ignore);
            compared = Comparison::of(&first, &between, &unstable, &runner.name, &settings.ignore);
            if let Some(trace) = &trace {
                evidence.partings = partings::partings(
                    trace,
                    &again.trace,
                    &compared.values.differing,
                    &settings.ignore,
                );
            }
        }
    }
    if compared.differs() {
        evidence.verdict = Verdict::Differs;
    }
    evidence.stdout_lines = compared.stdout_lines;
    evidence.stdout_diff = compared.stdout_diff;
    evidence.results = compared.results;
    evidence.results_diff = compared.results_diff;
    evidence.values_compared = compared.values_compared;
    evidence.verdicts = verdicts(&first.values, &compared.values, &unstable);
    evidence.values = compared.values.differences;
    evidence.not_kept = compared.values.not_kept;
    evidence.package_only = compared.values.package_only;
    evidence.files = compared.files;
    evidence.stdout_unstable = unstable.stdout;
    evidence.unstable = unstable.values.into_values().collect();
    evidence.loose = loose_comparisons(&evidence, unstable.results);
    Ok(evidence)
}

/// What a verdict compared less than exactly.
fn loose_comparisons(evidence: &Evidence, results_unstable: bool) -> Vec<String> {
    let names = |names: &mut dyn Iterator<Item = &str>| {
        names
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let mut loose = Vec::new();
    if evidence.stdout_unstable {
        loose.push("stdout compared with its numbers masked".to_owned());
    }
    if results_unstable {
        loose.push("shown values compared by how many".to_owned());
    }
    if !evidence.unstable.is_empty() {
        let unstable = names(&mut evidence.unstable.iter().map(|d| d.path.as_str()));
        loose.push(format!("unstable values not compared: {unstable}"));
    }
    if !evidence.not_kept.is_empty() {
        let not_kept = names(&mut evidence.not_kept.iter().map(String::as_str));
        loose.push(format!("values the package does not keep: {not_kept}"));
    }
    loose
}

fn verdicts(
    notebook: &Value,
    compared: &Compared,
    unstable: &Instability,
) -> BTreeMap<String, ValueVerdict> {
    let (differing, not_kept): (BTreeSet<&str>, BTreeSet<&str>) = (
        compared.differing.iter().map(String::as_str).collect(),
        compared.not_kept.iter().map(String::as_str).collect(),
    );
    let names = notebook.as_object().into_iter().flat_map(|o| o.keys());
    let mut verdicts: BTreeMap<String, ValueVerdict> = names
        .map(|name| {
            let verdict = if unstable.values.contains_key(name) {
                ValueVerdict::Unstable
            } else if not_kept.contains(name.as_str()) {
                ValueVerdict::NotKept
            } else if differing.contains(name.as_str()) {
                ValueVerdict::Differs
            } else {
                ValueVerdict::Equal
            };
            (name.clone(), verdict)
        })
        .collect();
    for name in &compared.package_only {
        verdicts.insert(name.clone(), ValueVerdict::PackageOnly);
    }
    verdicts
}

/// What the runs share: the notebook's folder, copied afresh for each run, the Python, the
/// package and the scratch folder.
struct Runner {
    timeout: std::time::Duration,
    python: PathBuf,
    driver: PathBuf,
    support: PathBuf,
    package: String,
    output: PathBuf,
    folder: PathBuf,
    name: std::ffi::OsString,
    scratch: PathBuf,
}

/// What the kernel driver (`run_notebook.py`) prints: the contract with it. A report that
/// does not read as this fails the run; no field is ever compared as absent. (The
/// `deserialize_with` makes a missing `null` field an error: serde would read it as `None`.)
#[derive(Deserialize)]
struct KernelReport {
    stdout: String,
    /// `[{cell, kind, text, mime}]`, the shape of the package's `--results` file.
    results: Value,
    /// The failing cell's error, when the notebook fails.
    #[serde(deserialize_with = "Option::deserialize")]
    error: Option<String>,
    /// Its index among the notebook's cells.
    #[serde(deserialize_with = "Option::deserialize")]
    error_cell: Option<u32>,
    /// `[[cell index, text]]`: what each code cell printed.
    cell_stdout: Value,
    #[serde(deserialize_with = "Option::deserialize")]
    fingerprint_error: Option<String>,
}

/// One run of the notebook in a fresh kernel: the driver's report, the final values, the
/// folder it ran in and, when asked for, its trace.
struct KernelRun {
    report: KernelReport,
    values: Value,
    dir: PathBuf,
    trace: Value,
}

/// One run of the package: its output, the folder it ran in, and what it wrote.
struct PackageRun {
    output: std::process::Output,
    dir: PathBuf,
    results: Value,
    values: Value,
    trace: Value,
}

impl PackageRun {
    /// The last line of what a failed run printed on stderr: its exception.
    fn failure(&self) -> Option<String> {
        (!self.output.status.success())
            .then(|| last_line(&String::from_utf8_lossy(&self.output.stderr)))
    }
}

impl Runner {
    /// What runs the notebook at `notebook` and the package in `output`, with `python`, in
    /// a scratch folder that lives as long as the `TempDir`.
    fn new(
        notebook: &Path,
        output: &Path,
        python: &Path,
        timeout: std::time::Duration,
    ) -> Result<(Runner, tempfile::TempDir), String> {
        let output = std::path::absolute(output).map_err(|e| e.to_string())?;
        let package = package_in(&output)?;
        // A relative path to Python (not a bare name, found on PATH) must survive the
        // package run's change of folder.
        let python = if python.components().count() > 1 {
            std::path::absolute(python).map_err(|e| e.to_string())?
        } else {
            python.to_path_buf()
        };
        let notebook = std::path::absolute(notebook).map_err(|e| e.to_string())?;
        let scratch =
            tempfile::tempdir().map_err(|e| format!("cannot make a scratch folder: {e}"))?;
        let driver = scratch.path().join("run_notebook.py");
        fs::write(&driver, KERNEL_DRIVER).map_err(|e| e.to_string())?;
        let runner = Runner {
            support: output.join("src").join(&package).join("_nblift_verify.py"),
            name: notebook
                .file_name()
                .ok_or("the notebook has no file name")?
                .to_owned(),
            folder: notebook.parent().unwrap_or(Path::new("/")).to_path_buf(),
            scratch: scratch.path().to_path_buf(),
            python,
            driver,
            package,
            output,
            timeout,
        };
        Ok((runner, scratch))
    }

    /// Sets what both sides run with: a headless plotting backend, and one hash seed, so that
    /// sets and dictionaries of strings iterate in the same order on both sides (Python's
    /// hash randomisation is no part of what the notebook computes).
    fn environment(&self, command: &mut Command) {
        command.env("MPLBACKEND", "Agg");
        if std::env::var_os("PYTHONHASHSEED").is_none() {
            command.env("PYTHONHASHSEED", "0");
        }
    }

    /// The notebook in a fresh kernel, in a fresh copy of its folder named `label`;
    /// with `plan`, the names to fingerprint after which cells.
    fn kernel(&self, label: &str, plan: Option<&Value>) -> Result<KernelRun, String> {
        let dir = self.scratch.join(label);
        copy_folder(&self.folder, &dir, &self.output)?;
        let values = self.scratch.join(format!("{label}-values.json"));
        let trace = self.scratch.join(format!("{label}-trace.json"));
        let mut command = Command::new(&self.python);
        command
            .arg(&self.driver)
            .arg(dir.join(&self.name))
            .arg(&dir)
            .arg(&self.support)
            .arg(&values);
        if let Some(plan) = plan {
            let plan_file = self.scratch.join(format!("{label}-plan.json"));
            fs::write(&plan_file, plan.to_string()).map_err(|e| e.to_string())?;
            command.arg(&plan_file).arg(&trace);
        }
        self.environment(&mut command);
        let kernel = output_with_timeout(&mut command, self.timeout).map_err(|e| match e {
            RunError::Spawn(e) => format!("cannot run `{}`: {e}", self.python.display()),
            RunError::TimedOut(_) => format!("the notebook's run {e} (--timeout)"),
        })?;
        if kernel.status.code() == Some(2) {
            return Err(format!(
                "`{}` cannot run notebooks: {}",
                self.python.display(),
                String::from_utf8_lossy(&kernel.stderr).trim()
            ));
        }
        let report: KernelReport = serde_json::from_slice(&kernel.stdout).map_err(|error| {
            let stderr = String::from_utf8_lossy(&kernel.stderr);
            if kernel.stdout.is_empty() {
                format!("the kernel run failed: {}", stderr.trim())
            } else {
                format!(
                    "the kernel driver's report does not read ({error}): {}",
                    stderr.trim()
                )
            }
        })?;
        // A notebook that failed wrote no values.
        let values = if report.error.is_none() && report.fingerprint_error.is_none() {
            read_json(&values)?
        } else {
            Value::Null
        };
        Ok(KernelRun {
            report,
            values,
            dir,
            trace: partings::read(&trace),
        })
    }

    /// The file the package run named `label` writes for `flag` (`--values`).
    fn written(&self, label: &str, flag: &str) -> PathBuf {
        self.scratch.join(format!("{label}-{}.json", &flag[2..]))
    }

    /// `python -m PKG` in a fresh copy of the folder named `label`, with each of `flags`
    /// (`--results`, `--values`, `--trace`) writing to a file of its own.
    fn package(&self, label: &str, flags: &[&str]) -> Result<PackageRun, String> {
        let dir = self.scratch.join(label);
        copy_folder(&self.folder, &dir, &self.output)?;
        let file = |flag: &str| self.written(label, flag);
        let mut command = Command::new(&self.python);
        command.args(["-m", &self.package]);
        for flag in flags {
            command.arg(flag).arg(file(flag));
        }
        self.environment(&mut command);
        command
            .env("PYTHONPATH", self.output.join("src"))
            .current_dir(&dir);
        let output = match output_with_timeout(&mut command, self.timeout) {
            Ok(output) => output,
            Err(RunError::Spawn(e)) => {
                return Err(format!("cannot run `{}`: {e}", self.python.display()));
            }
            // A package that hangs has failed, as one that raises has.
            Err(timed_out) => std::process::Output {
                status: failed_status(),
                stdout: Vec::new(),
                stderr: format!("the package {timed_out} (--timeout)\n").into_bytes(),
            },
        };
        let written = |flag: &str| {
            if output.status.success() && flags.contains(&flag) {
                read_json(&file(flag))
            } else {
                Ok(Value::Null)
            }
        };
        Ok(PackageRun {
            results: written("--results")?,
            values: written("--values")?,
            trace: partings::read(&file("--trace")),
            output,
            dir,
        })
    }
}

/// What differs between runs of the notebook itself: left out of the verdict, and listed.
#[derive(Default)]
struct Instability {
    /// Each unstable name with the first difference seen (first run, then another).
    values: BTreeMap<String, Difference>,
    stdout: bool,
    results: bool,
    files: BTreeSet<PathBuf>,
}

impl Instability {
    fn absorb(
        &mut self,
        first: &KernelRun,
        other: &KernelRun,
        name: &OsStr,
        ignore: &compare::Ignore,
    ) {
        self.stdout |= first.report.stdout != other.report.stdout;
        self.results |= comparable(&first.report.results) != comparable(&other.report.results);
        self.files
            .extend(files::by_file(&first.dir, &other.dir, name, ignore).into_keys());
        for (name, value) in first.values.as_object().into_iter().flatten() {
            let again = other.values.get(name).unwrap_or(&Value::Null);
            if self.values.contains_key(name) {
                continue;
            }
            if let Some(first) = compare::differences(name, value, again, ignore)
                .into_iter()
                .next()
            {
                self.values.insert(
                    name.clone(),
                    Difference {
                        path: name.clone(),
                        notebook: first.notebook,
                        package: first.package,
                    },
                );
            }
        }
    }
}

/// The package's run against the notebook's first run, leaving out what is unstable.
struct Comparison {
    stdout_lines: usize,
    stdout_diff: Option<String>,
    results: usize,
    results_diff: Option<String>,
    values: Compared,
    values_compared: usize,
    files: Vec<Difference>,
}

/// The status of a run that did not end by itself.
fn failed_status() -> std::process::ExitStatus {
    #[cfg(unix)]
    {
        std::os::unix::process::ExitStatusExt::from_raw(9)
    }
    #[cfg(not(unix))]
    {
        std::os::windows::process::ExitStatusExt::from_raw(1)
    }
}

/// Text with every number (`-1.5e+00`, `42`) made `#` and white space left out: what stays
/// of printed output whose numbers change from run to run.
fn shape_of(text: &str) -> String {
    let mut shape = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_whitespace() {
            continue;
        }
        let starts_number = c.is_ascii_digit()
            || (matches!(c, '-' | '.') && chars.peek().is_some_and(char::is_ascii_digit));
        if !starts_number {
            shape.push(c);
            continue;
        }
        while chars
            .peek()
            .is_some_and(|&n| n.is_ascii_digit() || matches!(n, '.' | 'e' | 'E' | '+' | '-'))
        {
            chars.next();
        }
        shape.push('#');
    }
    shape
}

impl Comparison {
    fn of(
        kernel: &KernelRun,
        run: &PackageRun,
        unstable: &Instability,
        name: &OsStr,
        ignore: &compare::Ignore,
    ) -> Comparison {
        let (expected, got) = (
            without_ipython_notices(&kernel.report.stdout),
            without_ipython_notices(&String::from_utf8_lossy(&run.output.stdout)),
        );
        let stdout_lines = expected.lines().count();
        // Output that differs between runs of the notebook compares by its shape: numbers
        // masked and white space left out, since a printed array wraps where its numbers'
        // widths say.
        let stdout_diff = if unstable.stdout {
            (shape_of(&expected) != shape_of(&got))
                .then(|| diff(&expected, &got, "stdout"))
                .flatten()
        } else {
            diff(&expected, &got, "stdout")
        };
        let (expected, got) = (comparable(&kernel.report.results), comparable(&run.results));
        let results_diff = if unstable.results {
            (expected.len() != got.len())
                .then(|| diff(&expected.join("\n"), &got.join("\n"), "shown values"))
                .flatten()
        } else {
            diff(&expected.join("\n"), &got.join("\n"), "shown values")
        };
        let stable = |values: &Value| -> Value {
            let mut values = values.clone();
            if let Some(names) = values.as_object_mut() {
                names.retain(|name, _| !unstable.values.contains_key(name));
            }
            values
        };
        let values = value_differences(&stable(&kernel.values), &stable(&run.values), ignore);
        let files = files::by_file(&kernel.dir, &run.dir, name, ignore)
            .into_iter()
            .filter(|(path, _)| !unstable.files.contains(path))
            .flat_map(|(_, found)| found)
            .collect();
        Comparison {
            stdout_lines,
            stdout_diff,
            results: expected.len(),
            results_diff,
            values_compared: kernel.values.as_object().map_or(0, |o| o.len())
                - values.not_kept.len(),
            values,
            files,
        }
    }

    fn differs(&self) -> bool {
        self.stdout_diff.is_some()
            || self.results_diff.is_some()
            || !self.values.differences.is_empty()
            || !self.files.is_empty()
    }
}

/// The package under `OUT/src`: the folder holding `__main__.py` and `_nblift.py`.
fn package_in(output: &Path) -> Result<String, String> {
    let src = output.join("src");
    let entries = fs::read_dir(&src)
        .map_err(|_| format!("`{}` holds no package (no `src` folder)", output.display()))?;
    entries
        .flatten()
        .filter(|e| e.path().join("__main__.py").is_file() && e.path().join("_nblift.py").is_file())
        .filter_map(|e| e.file_name().to_str().map(str::to_owned))
        .min()
        .ok_or_else(|| format!("`{}` holds no package nblift wrote", src.display()))
}

/// Python's version, and the versions of the distributions that provide `modules`.
fn python_versions(
    python: &Path,
    modules: &BTreeSet<&str>,
) -> Result<(String, BTreeMap<String, String>), String> {
    const VERSIONS: &str = "\
import importlib.metadata as metadata, json, sys
provided = metadata.packages_distributions()
found = {}
for module in sys.argv[1:]:
    for distribution in provided.get(module, []):
        try:
            found[distribution] = metadata.version(distribution)
        except metadata.PackageNotFoundError:
            pass
print(json.dumps({'python': sys.version.split()[0], 'packages': found}))
";
    let output = Command::new(python)
        .args(["-c", VERSIONS])
        .args(modules)
        .output()
        .map_err(|e| format!("cannot run `{}`: {e} (pass --python)", python.display()))?;
    let versions: Value = serde_json::from_slice(&output.stdout).map_err(|_| {
        format!(
            "`{}` did not say its version: {}",
            python.display(),
            String::from_utf8_lossy(&output.stderr).trim()
        )
    })?;
    let packages = versions["packages"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(name, version)| Some((name.clone(), version.as_str()?.to_owned())))
        .collect();
    Ok((
        versions["python"].as_str().unwrap_or_default().to_owned(),
        packages,
    ))
}

/// Copies the notebook's folder, leaving out hidden folders and the package's own folder.
fn copy_folder(from: &Path, to: &Path, output: &Path) -> Result<(), String> {
    let walk = WalkDir::new(from).into_iter().filter_entry(|entry| {
        entry.depth() == 0
            || !(entry.file_name().to_string_lossy().starts_with('.') || entry.path() == output)
    });
    for entry in walk {
        let entry = entry.map_err(|e| format!("cannot read the notebook's folder: {e}"))?;
        let relative = entry
            .path()
            .strip_prefix(from)
            .expect("walked under `from`");
        let target = to.join(relative);
        let copied = if entry.file_type().is_dir() {
            fs::create_dir_all(&target)
        } else {
            fs::copy(entry.path(), &target).map(|_| ())
        };
        copied.map_err(|e| format!("cannot copy `{}`: {e}", entry.path().display()))?;
    }
    Ok(())
}

fn read_json(path: &Path) -> Result<Value, String> {
    let text =
        fs::read_to_string(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("`{}` is not JSON: {e}", path.display()))
}

fn last_line(text: &str) -> String {
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or_default()
        .trim()
        .to_owned()
}

/// A unified diff, notebook first, or `None` when the texts are equal.
fn diff(notebook: &str, package: &str, what: &str) -> Option<String> {
    (notebook != package).then(|| {
        similar::TextDiff::from_lines(notebook, package)
            .unified_diff()
            .header(&format!("{what} (notebook)"), &format!("{what} (package)"))
            .to_string()
    })
}

/// Shown values as `cell N: text`, leaving out what cannot compare: figures and images
/// (the inline backend shows those on its own), empty text, memory addresses.
fn comparable(results: &Value) -> Vec<String> {
    let empty = Vec::new();
    results
        .as_array()
        .unwrap_or(&empty)
        .iter()
        .filter(|r| {
            let text = r["text"].as_str().unwrap_or_default();
            let image = r["mime"].as_array().is_some_and(|m| {
                m.iter()
                    .any(|m| m.as_str().is_some_and(|m| m.starts_with("image/")))
            });
            !text.is_empty() && !image && !text.starts_with("<Figure size")
        })
        .map(|r| {
            let text = r["text"].as_str().unwrap_or_default();
            format!(
                "cell {}: {}",
                r["cell"].as_i64().map_or(0, |c| c + 1),
                mask_addresses(text)
            )
        })
        .collect()
}

fn mask_addresses(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("0x") {
        out.push_str(&rest[..at]);
        let digits = rest[at + 2..]
            .find(|c: char| !c.is_ascii_hexdigit())
            .unwrap_or(rest.len() - at - 2);
        out.push_str(if digits > 0 { "0x?" } else { "0x" });
        rest = &rest[at + 2 + digits..];
    }
    out.push_str(rest);
    out
}

struct Compared {
    differences: Vec<Difference>,
    /// The names whose values differ, in name order.
    differing: Vec<String>,
    not_kept: Vec<String>,
    package_only: Vec<String>,
}

/// Name by name; names on one side only are listed, not compared.
fn value_differences(notebook: &Value, package: &Value, ignore: &compare::Ignore) -> Compared {
    let empty = serde_json::Map::new();
    let (a, b) = (
        notebook.as_object().unwrap_or(&empty),
        package.as_object().unwrap_or(&empty),
    );
    let mut compared = Compared {
        differences: Vec::new(),
        differing: Vec::new(),
        not_kept: Vec::new(),
        package_only: Vec::new(),
    };
    let names: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
    for name in names {
        match (a.get(name), b.get(name)) {
            (Some(x), Some(y)) => {
                let found = compare::differences(name, x, y, ignore);
                if !found.is_empty() {
                    compared.differing.push(name.clone());
                }
                compared.differences.extend(found);
            }
            (Some(_), None) => compared.not_kept.push(name.clone()),
            (None, Some(_)) => compared.package_only.push(name.clone()),
            (None, None) => {}
        }
    }
    compared
}

#[cfg(test)]
mod tests {
    use super::{KernelReport, shape_of};

    #[test]
    fn a_kernel_report_reads_only_whole() {
        let whole = r#"{"stdout": "1\n", "results": [], "error": null, "error_cell": null,
                        "cell_stdout": [[0, "1\n"]], "fingerprint_error": null}"#;
        let report: KernelReport = serde_json::from_str(whole).unwrap();
        assert_eq!((report.stdout.as_str(), report.error), ("1\n", None));
        // A field missing (a driver of another version) is no `null`: the run fails.
        let without_error = whole.replace(r#""error": null,"#, "");
        assert!(serde_json::from_str::<KernelReport>(&without_error).is_err());
        let failed = whole.replace(
            r#""error": null, "error_cell": null"#,
            r#""error": "E", "error_cell": 3"#,
        );
        let report: KernelReport = serde_json::from_str(&failed).unwrap();
        assert_eq!(
            (report.error.as_deref(), report.error_cell),
            (Some("E"), Some(3))
        );
    }

    #[test]
    fn printed_random_numbers_have_one_shape_however_they_wrap() {
        let one = "(1000,)\n[1.96214230e+00 1.35664349e+00\n 1.29440510e+00]\nmean 0.98";
        let other = "(1000,)\n[-1.2e-01  3.5e+00 1.1e+00]\nmean 1.02";
        assert_eq!(shape_of(one), shape_of(other));
        assert_eq!(shape_of(one), "(#,)[###]mean#");
        // A number more, or other words, is another shape.
        assert_ne!(shape_of("[1 2 3]"), shape_of("[1 2]"));
        assert_ne!(shape_of("mean 1"), shape_of("median 1"));
    }
}
