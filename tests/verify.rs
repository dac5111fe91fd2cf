//! `nblift verify`: equivalent on the runnable fixtures; a package edited so that nothing
//! printed changes is caught value by value, with the path where the values part; exit 3
//! when the package fails and 4 when the notebook does.

// Runs real Python: the Python lane (`cargo test --features test-python`, or `--features full`).
#![cfg(feature = "test-python")]

mod support;

use std::fs;
use std::path::Path;

use support::runs::convert;

/// Runs `nblift verify`; (exit code, stdout and stderr).
fn verify(notebook: &Path, output: &Path) -> (i32, String) {
    verify_with(notebook, output, &[])
}

fn verify_with(notebook: &Path, output: &Path, options: &[&str]) -> (i32, String) {
    let result = verify_command(notebook, output)
        .args(options)
        .output()
        .expect("nblift runs");
    let (stdout, stderr) = support::text(&result);
    (
        result.status.code().unwrap_or(-1),
        format!("{stdout}{stderr}"),
    )
}

/// `nblift verify NOTEBOOK OUTPUT` with the test venv's Python.
fn verify_command(notebook: &Path, output: &Path) -> std::process::Command {
    let mut command = support::nblift();
    command
        .arg("verify")
        .arg(notebook)
        .arg(output)
        .arg("--python")
        .arg(support::python());
    command
}

/// A notebook of one code cell in `dir`, converted into `dir/out`: (notebook, package folder).
fn one_cell_converted(dir: &Path, source: &str) -> (std::path::PathBuf, std::path::PathBuf) {
    cell_converted(
        dir,
        serde_json::json!({"cell_type": "code", "metadata": {}, "outputs": [],
                           "execution_count": null, "source": source}),
    )
}

/// A notebook of one code cell that was saved after running, with `saved` as its stdout.
fn saved_one_cell_converted(
    dir: &Path,
    source: &str,
    saved: &str,
) -> (std::path::PathBuf, std::path::PathBuf) {
    cell_converted(
        dir,
        serde_json::json!({"cell_type": "code", "metadata": {}, "execution_count": 1,
                           "source": source, "outputs": [
                               {"output_type": "stream", "name": "stdout", "text": saved}]}),
    )
}

fn cell_converted(dir: &Path, cell: serde_json::Value) -> (std::path::PathBuf, std::path::PathBuf) {
    let notebook = dir.join("notebook.ipynb");
    let cells = serde_json::json!({
        "nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [cell],
    });
    fs::write(&notebook, cells.to_string()).unwrap();
    let out = dir.join("out");
    convert(&notebook, &out, &[]).unwrap();
    (notebook, out)
}

#[test]
fn a_package_changed_so_that_nothing_printed_changes_is_caught_value_by_value() {
    let notebook = support::fixtures().join("verify/values_nobody_prints.ipynb");
    let out = tempfile::tempdir().unwrap();
    let package = convert(&notebook, out.path(), &[]).unwrap();
    let steps = out.path().join("src").join(&package).join("steps.py");
    let original = fs::read_to_string(&steps).unwrap();
    let (code, report) = verify(&notebook, out.path());
    assert_eq!(code, 0, "{report}");
    assert!(report.contains("equivalent"), "{report}");

    // Each edit keeps stdout as it was; verify names where the values part.
    let edits = [
        (
            "frame[\"x\"] * 2",
            "frame[\"x\"] * 3",
            "frame['double'][0]: 2 (notebook) vs 3",
        ),
        (
            "frame[\"x\"] * 2",
            "frame[\"x\"] * 2.0",
            "frame['double'].dtype: int64 (notebook) vs float64",
        ),
        (
            "Ridge(alpha=0.5)",
            "Ridge(alpha=0.25)",
            "model.get_params()['alpha']: 0.5 (notebook) vs 0.25",
        ),
        (
            "seen.append(value * 10)",
            "seen.append(value * 10) if value < 4 else None",
            "len(seen): 4 (notebook) vs 3",
        ),
        (
            "\"rows\": len(frame)",
            "\"rows\": len(frame) + 1",
            "report.json:",
        ),
    ];
    for (from, to, expected) in edits {
        assert!(original.contains(from), "{from} is in steps.py");
        fs::write(&steps, original.replacen(from, to, 1)).unwrap();
        let (code, report) = verify(&notebook, out.path());
        assert_eq!(code, 1, "{to}: {report}");
        assert!(
            report.contains(expected),
            "{to}: expected {expected:?} in\n{report}"
        );
    }

    // A step that raises: the package failed, exit 3.
    fs::write(
        &steps,
        original.replacen("seen = []", "seen = [] + None", 1),
    )
    .unwrap();
    let (code, report) = verify(&notebook, out.path());
    assert_eq!(code, 3, "{report}");
    assert!(report.contains("TypeError"), "{report}");
}

/// `nblift convert NOTEBOOK -o OUT --verify` with the test venv's Python, and `options`.
fn convert_verified(notebook: &Path, out: &Path, options: &[&str]) -> std::process::Output {
    support::nblift()
        .arg("convert")
        .arg(notebook)
        .arg("-o")
        .arg(out)
        .args(options)
        .arg("--verify")
        .arg("--python")
        .arg(support::python())
        .output()
        .unwrap()
}

#[test]
fn convert_with_verify_converts_then_verifies() {
    let notebook = support::fixtures().join("verify/values_nobody_prints.ipynb");
    let out = tempfile::tempdir().unwrap();
    let result = convert_verified(&notebook, &out.path().join("pkg"), &[]);
    let (stdout, stderr) = support::text(&result);
    assert_eq!(result.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains("wrote package") && stdout.contains("equivalent"),
        "{stdout}"
    );
}

/// `python -m PKG --crossings FILE` on the package in `out`, run in a copy of the notebook's
/// folder: what its tasks would lose, as `name from step: why` lines and `name ~ name` pairs.
fn crossings(out: &Path, package: &str) -> Vec<String> {
    let file = out.join("crossings.json");
    let folder = support::scratch_copy(&support::fixtures().join("engines"));
    let result = std::process::Command::new(support::python())
        .args(["-m", package, "--crossings"])
        .arg(&file)
        .env("PYTHONPATH", out.join("src"))
        .current_dir(folder.path())
        .output()
        .unwrap();
    let (stdout, stderr) = support::text(&result);
    assert!(result.status.success(), "{stdout}{stderr}");
    let found: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&file).unwrap()).unwrap();
    let uncarried = found["uncarried"].as_array().unwrap().iter().map(|f| {
        format!(
            "{} from {}: {}",
            f["name"].as_str().unwrap(),
            f["step"].as_str().unwrap(),
            f["error"].as_str().unwrap()
        )
    });
    let shared = found["shared"].as_array().unwrap().iter().map(|pair| {
        format!(
            "{} ~ {}",
            pair[0].as_str().unwrap(),
            pair[1].as_str().unwrap()
        )
    });
    uncarried.chain(shared).collect()
}

#[test]
fn convert_with_export_and_verify_carries_what_a_run_of_the_package_finds() {
    // Each fixture: what a run finds that the code does not show, the note that says what
    // the conversion did about it, and a line of the `flow.py` it writes.
    let cases = [
        (
            // An object of the notebook's class that holds a connection.
            "object_holding_a_connection",
            vec![
                "store from open_store: cloudpickle raised `TypeError: cannot pickle 'sqlite3.Connection' object`",
            ],
            "note[NB405]: when the package ran, `store` could not pass from one process to another (cloudpickle raised `TypeError: cannot pickle 'sqlite3.Connection' object`): the exports run steps `open_store` to `read` as one task",
            "Task(STEPS[0:2], stays=(\"store\",))",
        ),
        (
            // A row of a reshaped array written through in one step, the array read in the
            // next: both views of memory that neither owns.
            "numpy_view_between_steps",
            vec![
                "grid from make_grid: `grid`, `head` share memory, which pickling copies apart",
                "head from make_grid: `grid`, `head` share memory, which pickling copies apart",
            ],
            "note[NB405]: when the package ran, `head` could not pass from one process to another",
            "Task(STEPS[0:3], stays=(\"head\", \"grid\"))",
        ),
        (
            // A function that returns the list it was given.
            "objects_shared_out_of_sight",
            vec!["ordered ~ rows"],
            "note[NB407]: `ordered` and `rows` held the same objects when the package ran",
            "passes_on=(\"rows\",), bundles=((\"ordered\", \"rows\"),)",
        ),
    ];
    for (package, found_before, note, flow_line) in cases {
        let notebook = support::fixtures().join(format!("engines/{package}.ipynb"));
        let out = tempfile::tempdir().unwrap();
        let plain = out.path().join("plain");
        convert(&notebook, &plain, &["--export", "dagster"]).unwrap();
        assert_eq!(crossings(&plain, package), found_before, "{package}");

        let verified = out.path().join("verified");
        let result = convert_verified(&notebook, &verified, &["--export", "dagster"]);
        let (stdout, stderr) = support::text(&result);
        assert_eq!(result.status.code(), Some(0), "{stdout}{stderr}");
        assert!(stderr.contains(note), "{package}: {stderr}");
        assert!(stdout.contains("equivalent"), "{stdout}");
        // The package written loses nothing between its tasks.
        assert_eq!(
            crossings(&verified, package),
            Vec::<String>::new(),
            "{package}"
        );
        let flow = fs::read_to_string(verified.join(format!("src/{package}/flow.py"))).unwrap();
        assert!(flow.contains(flow_line), "{package}: {flow}");
    }
}

#[test]
fn values_that_differ_between_runs_of_the_notebook_are_unstable_under_repeat() {
    let dir = tempfile::tempdir().unwrap();
    let (notebook, out) = one_cell_converted(
        dir.path(),
        "import random\n\ndraws = [random.random() for _ in range(3)]\ncount = len(draws)\nprint(count)",
    );
    // Once: the draws differ from the package's, and from those of the second run of the
    // notebook that verify makes before it says that anything differs: unstable.
    let (code, report) = verify(&notebook, &out);
    assert_eq!(code, 0, "{report}");
    assert!(
        report.contains("unstable") && report.contains("  draws"),
        "{report}"
    );
    // Twice: they differ between the notebook's own runs too, so they are unstable.
    let (code, stdout) = verify_with(&notebook, &out, &["--repeat", "2"]);
    assert_eq!(code, 0, "{stdout}");
    assert!(
        stdout.contains("unstable") && stdout.contains("  draws"),
        "{stdout}"
    );
    assert!(stdout.contains("equivalent"), "{stdout}");
}

#[test]
fn a_notebook_that_fails_in_a_fresh_kernel_is_exit_4() {
    let dir = tempfile::tempdir().unwrap();
    let (notebook, out) = one_cell_converted(dir.path(), "values = [1, 2]\nprint(values[5])");
    let (code, report) = verify(&notebook, &out);
    assert_eq!(code, 4, "{report}");
    assert!(report.contains("IndexError"), "{report}");
}

#[test]
fn a_package_that_never_ends_fails_after_its_timeout() {
    let dir = tempfile::tempdir().unwrap();
    let (notebook, out) = one_cell_converted(dir.path(), "print('done')");
    let steps = out.join("src/notebook/steps.py");
    let edited = fs::read_to_string(&steps)
        .unwrap()
        .replace("print('done')", "__import__('time').sleep(3600)");
    fs::write(&steps, edited).unwrap();
    let started = std::time::Instant::now();
    let (code, report) = verify_with(&notebook, &out, &["--timeout", "5"]);
    assert_eq!(code, 3, "{report}");
    assert!(report.contains("did not finish within 5 s"), "{report}");
    assert!(started.elapsed() < std::time::Duration::from_secs(120));
}

#[test]
fn an_unseeded_random_number_is_equivalent_only_where_stable_and_differs_under_strict() {
    let dir = tempfile::tempdir().unwrap();
    let (notebook, out) = one_cell_converted(dir.path(), "import random\nprint(random.random())");
    let (code, report) = verify(&notebook, &out);
    assert_eq!(code, 0, "{report}");
    assert!(
        report.contains("equivalent where stable (stdout compared with its numbers masked"),
        "{report}"
    );
    assert!(!report.contains("\nequivalent:"), "{report}");
    let (code, report) = verify_with(&notebook, &out, &["--strict"]);
    assert_eq!(code, 1, "{report}");
    assert!(
        report.contains("--strict: not everything was compared exactly"),
        "{report}"
    );
}

#[test]
fn a_constant_moved_into_lib_with_the_functions_that_read_it_is_still_a_final_value() {
    let notebook = support::fixtures().join("definitions/function_reads_notebook_constant.ipynb");
    let out = tempfile::tempdir().unwrap();
    let package = out.path().join("pkg");
    convert(&notebook, &package, &[]).unwrap();
    let source = package.join("src/function_reads_notebook_constant");
    let lib = fs::read_to_string(source.join("lib.py")).unwrap();
    let steps = fs::read_to_string(source.join("steps.py")).unwrap();
    // `DAY` and `LABEL` move with `days` and `describe`; `rate` is bound twice and `LATER`
    // after its reader, so `decayed` and `late` stay out of `lib.py`: they read module
    // state, and go to the top of `steps.py`.
    assert!(
        lib.contains("# Seconds in a day.\nDAY = 86400\nLABEL = \"days\"\n\n\ndef days("),
        "{lib}"
    );
    assert!(
        !steps.contains("DAY =") && !steps.contains("global DAY"),
        "{steps}"
    );
    assert!(steps.contains("from .lib import DAY, describe"), "{steps}");
    assert!(
        steps.contains("\n\ndef decayed(x):") && steps.contains("\n\ndef late():"),
        "{steps}"
    );
    assert!(
        !lib.contains("def decayed") && !lib.contains("def late"),
        "{lib}"
    );
    // Strict: every final value the notebook has is compared, the lifted constants too.
    let (code, report) = verify_with(&notebook, &package, &["--strict"]);
    assert_eq!(code, 0, "{report}");
}

#[test]
fn verify_finds_every_runnable_fixture_equivalent() {
    let notebooks = support::runnable_fixtures();
    let outcomes = support::parallel_map(&notebooks, 2, |notebook| {
        // The package goes outside the notebook's folder: verify copies that folder.
        let out = tempfile::tempdir().unwrap();
        let package = out.path().join("pkg");
        if let Err(error) = convert(notebook, &package, &[]) {
            return Some(format!("{}: {error}", notebook.display()));
        }
        let (code, report) = verify(notebook, &package);
        (code != 0).then(|| format!("{} (exit {code}):\n{report}", notebook.display()))
    });
    let failures: Vec<String> = outcomes.into_iter().flatten().collect();
    assert!(
        failures.is_empty(),
        "{} of {} fixtures not equivalent:\n{}",
        failures.len(),
        notebooks.len(),
        failures.join("\n")
    );
}

#[test]
fn a_value_that_differs_is_traced_to_the_first_step_where_it_parts() {
    let notebook = support::fixtures().join("verify/parts_in_a_later_step.ipynb");
    let out = tempfile::tempdir().unwrap();
    let package = convert(&notebook, out.path(), &[]).unwrap();
    let steps = out.path().join("src").join(&package).join("steps.py");
    let original = fs::read_to_string(&steps).unwrap();
    // The list is the same after `load` and parts in `grow`, which changes it in place; the
    // count it prints is still 4.
    fs::write(&steps, original.replacen("append(4)", "append(5)", 1)).unwrap();
    let (code, report) = verify(&notebook, out.path());
    assert_eq!(code, 1, "{report}");
    assert!(report.contains("totals[3]: 4 (notebook) vs 5"), "{report}");
    assert!(
        report.contains("`totals` first parts in step `grow` (its value after cell 5)"),
        "{report}"
    );
    // Changed where it is made, it parts in `load`.
    fs::write(&steps, original.replacen("[1, 2, 3]", "[1, 2, 7]", 1)).unwrap();
    let (code, report) = verify(&notebook, out.path());
    assert_eq!(code, 1, "{report}");
    assert!(
        report.contains("`totals` first parts in step `load`"),
        "{report}"
    );
    // Changed so that what it prints changes too: the traced run of the notebook keeps the
    // stdout of the cells it traces, so stdout is not taken for unstable and its difference
    // is shown line by line.
    fs::write(&steps, original.replacen("[1, 2, 3]", "[1, 2, 3, 0]", 1)).unwrap();
    let (code, report) = verify(&notebook, out.path());
    assert_eq!(code, 1, "{report}");
    assert!(
        report.contains("-count 4") && report.contains("+count 5"),
        "{report}"
    );
    assert!(!report.contains("between runs of the notebook"), "{report}");
}

#[test]
fn a_failure_in_a_fresh_kernel_names_its_cell_and_the_finding_that_predicted_it() {
    let dir = tempfile::tempdir().unwrap();
    let (notebook, out) = one_cell_converted(
        dir.path(),
        "with open(\"prices.csv\") as file:\n    rows = file.read().splitlines()",
    );
    let (code, report) = verify(&notebook, &out);
    assert_eq!(code, 4, "{report}");
    assert!(
        report.contains("the notebook fails in a fresh kernel (cell 1)"),
        "{report}"
    );
    assert!(report.contains("predicted by"), "{report}");
    assert!(report.contains("[NB503]"), "{report}");
}

#[test]
fn unstable_values_name_the_finding_that_explains_them() {
    let dir = tempfile::tempdir().unwrap();
    let (notebook, out) = one_cell_converted(
        dir.path(),
        "import random\nimport time\n\ndraws = [random.random() for _ in range(3)]\nstarted = time.time_ns()",
    );
    let (code, report) = verify_with(&notebook, &out, &["--repeat", "2"]);
    assert_eq!(code, 0, "{report}");
    let explained = report
        .lines()
        .skip_while(|l| !l.starts_with("  draws"))
        .nth(1)
        .unwrap_or_default();
    assert!(explained.contains("explained by"), "{report}");
    assert!(explained.contains("[NB501]"), "{report}");
    // A clock is no finding of the analysis: the report says that nothing explains it.
    let unexplained = report
        .lines()
        .skip_while(|l| !l.starts_with("  started"))
        .nth(1)
        .unwrap_or_default();
    assert!(unexplained.contains("no finding explains it"), "{report}");
}

#[test]
fn saved_outputs_a_fresh_run_no_longer_prints_are_stale() {
    let dir = tempfile::tempdir().unwrap();
    let (notebook, out) = saved_one_cell_converted(
        dir.path(),
        "total = 1 + 2\nprint(\"total\", total)\nprint(\"took 0.25 seconds\")",
        "total 4\ntook 0.91 seconds\n",
    );
    let (code, report) = verify(&notebook, &out);
    // The package does what a fresh run does: equivalent, with the saved output named stale.
    assert_eq!(code, 0, "{report}");
    assert!(
        report.contains("cell 1: saved \"total 4\", a fresh run prints \"total 3\""),
        "{report}"
    );
    assert!(
        !report.contains("took"),
        "a timing is not stale for its numbers: {report}"
    );
    // Saved outputs that a fresh run prints again are not stale.
    let again = dir.path().join("again");
    fs::create_dir_all(&again).unwrap();
    let (notebook, out) = saved_one_cell_converted(&again, "print(\"total\", 3)", "total 3\n");
    let (code, report) = verify(&notebook, &out);
    assert_eq!(code, 0, "{report}");
    assert!(!report.contains("stale"), "{report}");
}

#[test]
fn frames_and_files_compare_leaving_out_what_ignore_names() {
    let dir = tempfile::tempdir().unwrap();
    let (notebook, out) = one_cell_converted(
        dir.path(),
        "import pandas as pd\n\nframe = pd.DataFrame({\"a\": [1, 2, 3], \"b\": [4.0, 5.0, 6.0]})\nframe.to_csv(\"frame.csv\", index=False)",
    );
    let package = fs::read_dir(out.join("src"))
        .unwrap()
        .flatten()
        .find(|e| e.path().join("steps.py").is_file())
        .unwrap()
        .path();
    let steps = package.join("steps.py");
    let original = fs::read_to_string(&steps).unwrap();
    let from = "pd.DataFrame({\"a\": [1, 2, 3], \"b\": [4.0, 5.0, 6.0]})";
    let edits = [
        // Rows in another order (the index travels with them), and the CSV file likewise.
        (
            "pd.DataFrame({\"a\": [1, 2, 3], \"b\": [4.0, 5.0, 6.0]}).iloc[::-1]",
            "row-order",
        ),
        (
            "pd.DataFrame({\"b\": [4.0, 5.0, 6.0], \"a\": [1, 2, 3]})",
            "column-order",
        ),
        (
            "pd.DataFrame({\"a\": [1, 2, 3], \"b\": [4.0, 5.0, 6.0]}, index=[7, 8, 9])",
            "index",
        ),
    ];
    for (to, ignored) in edits {
        assert!(original.contains(from));
        fs::write(&steps, original.replacen(from, to, 1)).unwrap();
        let (code, report) = verify(&notebook, &out);
        assert_eq!(code, 1, "{to}: {report}");
        let (code, report) = verify_with(&notebook, &out, &["--ignore", ignored]);
        assert_eq!(code, 0, "{to} with --ignore {ignored}: {report}");
    }
    // A value that really changed is still caught with everything ignored.
    fs::write(&steps, original.replacen("6.0]", "6.5]", 1)).unwrap();
    let (code, report) = verify_with(
        &notebook,
        &out,
        &["--ignore", "row-order,column-order,index"],
    );
    assert_eq!(code, 1, "{report}");
    assert!(
        report.contains("frame.csv: row 3") && report.contains("column 'b'"),
        "{report}"
    );
    // Numbers in a CSV file compare with the tolerance, as values do.
    fs::write(
        &steps,
        original.replacen("[4.0, 5.0, 6.0]", "[4.0, 5.0, 6.0 + 1e-12]", 1),
    )
    .unwrap();
    let (code, report) = verify(&notebook, &out);
    assert_eq!(code, 0, "{report}");
}

#[test]
fn the_json_evidence_names_python_and_the_versions_of_what_the_notebook_imports() {
    let dir = tempfile::tempdir().unwrap();
    let (notebook, out) = one_cell_converted(
        dir.path(),
        "import pandas as pd\n\nframe = pd.DataFrame({\"a\": [1]})",
    );
    let (code, report) = verify_with(&notebook, &out, &["--format", "json"]);
    assert_eq!(code, 0, "{report}");
    let evidence: serde_json::Value = serde_json::from_str(report.trim()).unwrap();
    assert_eq!(evidence["verdict"], "equivalent", "{report}");
    assert!(
        evidence["python"].as_str().unwrap().starts_with("3."),
        "{report}"
    );
    for package in ["pandas", "nbclient", "ipykernel"] {
        assert!(
            evidence["packages"][package].is_string(),
            "{package}: {report}"
        );
    }
    assert_eq!(evidence["verdicts"]["frame"], "equal", "{report}");
}

#[test]
fn a_folder_is_verified_notebook_by_notebook_against_the_packages_convert_wrote() {
    let dir = tempfile::tempdir().unwrap();
    let notebooks = dir.path().join("notebooks");
    fs::create_dir_all(notebooks.join("more")).unwrap();
    let cell = |source: &str| {
        serde_json::json!({
            "nbformat": 4, "nbformat_minor": 5, "metadata": {},
            "cells": [{"cell_type": "code", "metadata": {}, "outputs": [],
                       "execution_count": null, "source": source}],
        })
        .to_string()
    };
    fs::write(
        notebooks.join("alpha.ipynb"),
        cell("total = 1 + 2\nprint(total)"),
    )
    .unwrap();
    fs::write(notebooks.join("more/beta.ipynb"), cell("seen = [1, 2]")).unwrap();
    // Refused by convert: a name no cell defines.
    fs::write(notebooks.join("more/gamma.ipynb"), cell("print(missing)")).unwrap();
    let out = dir.path().join("out");
    let converted = support::nblift()
        .arg("convert")
        .arg(&notebooks)
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert_eq!(
        converted.status.code(),
        Some(1),
        "{:?}",
        support::text(&converted)
    );
    // One package folder per notebook, named as convert names them.
    let steps = out.join("beta/src/beta/steps.py");
    let original = fs::read_to_string(&steps).unwrap();
    fs::write(&steps, original.replacen("[1, 2]", "[1, 3]", 1)).unwrap();

    let result = verify_command(&notebooks, &out).output().unwrap();
    let (stdout, stderr) = support::text(&result);
    assert_eq!(result.status.code(), Some(2), "{stdout}{stderr}");
    let alpha = stdout.find("alpha.ipynb against").expect(&stdout);
    let beta = stdout.find("beta.ipynb against").expect(&stdout);
    assert!(alpha < beta, "reports in input order: {stdout}");
    assert!(stdout.contains("seen[1]: 2 (notebook) vs 3"), "{stdout}");
    assert!(
        stderr.contains("gamma.ipynb: no package to verify"),
        "{stderr}"
    );
    assert!(
        stderr.contains("3 notebooks: 1 differ, 1 equivalent, 1 not verified"),
        "{stderr}"
    );
}

#[test]
fn a_notebook_that_fails_in_one_of_its_repeated_runs_fails() {
    let dir = tempfile::tempdir().unwrap();
    // Each run adds a line to a file outside the copies verify makes: the notebook's first
    // run and the package's (side by side, in either order) count 1 and 2, the notebook's
    // second run 3, and fails.
    let runs = dir.path().join("runs.log");
    let source = format!(
        "import pathlib\n\nruns = pathlib.Path({:?})\nwith runs.open(\"a\") as log:\n    log.write(\"run\\n\")\nassert len(runs.read_text().splitlines()) < 3",
        runs.display().to_string()
    );
    let (notebook, out) = one_cell_converted(dir.path(), &source);
    let (code, report) = verify_with(&notebook, &out, &["--repeat", "2"]);
    assert_eq!(code, 4, "{report}");
    assert!(report.contains("in its run 2 of 2"), "{report}");
}

#[test]
fn a_package_run_is_checked_again_between_runs_of_the_notebook_before_it_differs() {
    // A world that changes with time, as a clock does: a log outside the notebook's folder
    // that every run reads and then grows. The first package run overlaps the notebook's
    // first, so one of them sees the log empty and the other does not; the notebook's second
    // run sees it grown. The package's run between the notebook's two sees what both saw or
    // what differs between them, never a difference of its own.
    let dir = tempfile::tempdir().unwrap();
    let world = dir.path().join("world.log");
    let (notebook, out) = one_cell_converted(
        dir.path(),
        "import os\n\nwith open(os.environ['NBLIFT_TEST_WORLD'], 'a+') as log:\n    log.seek(0)\n    earlier = log.read().count('run')\n    log.write('run\\n')\nprint('the world is new' if earlier == 0 else 'the world has changed')",
    );
    let result = verify_command(&notebook, &out)
        .env("NBLIFT_TEST_WORLD", &world)
        .output()
        .expect("nblift runs");
    let (stdout, stderr) = support::text(&result);
    assert_eq!(result.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("equivalent"), "{stdout}");
    // The world was read: by the notebook's two runs and the package's (two, and a traced
    // one, since `earlier` differs too).
    let runs = fs::read_to_string(&world).unwrap();
    assert!(runs.lines().count() >= 4, "{runs}");
}
