//! The tests nblift generates (`tests/test_pipeline.py`), run with pytest in the generated
//! package: they pass for every runnable fixture, and a saved notebook's outputs are asserted
//! step by step, so a step that prints something else fails with a readable message.

// Runs real Python: the Python lane (`cargo test --features test-python`, or `--features full`).
#![cfg(feature = "test-python")]

mod support;

use std::fs;
use std::path::Path;
use std::process::Command;

use support::runs::convert;

/// Runs the generated package's tests; (passed, pytest's output).
fn pytest(package: &Path) -> (bool, String) {
    let output = Command::new(support::python())
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
        .arg(package.join("tests"))
        .current_dir(package)
        .env("MPLBACKEND", "Agg")
        .output()
        .expect("pytest runs");
    let (stdout, stderr) = support::text(&output);
    (output.status.success(), format!("{stdout}{stderr}"))
}

#[test]
fn the_generated_tests_pass_for_every_runnable_fixture() {
    let notebooks = support::runnable_fixtures();
    let failures: Vec<String> = support::parallel_map(&notebooks, 2, |notebook| {
        // A copy of the notebook's folder: the tests run the pipeline there, and it writes.
        let folder = support::scratch_copy(notebook.parent().unwrap());
        let copy = folder.path().join(notebook.file_name().unwrap());
        let package = folder.path().join("nblift-package");
        if let Err(error) = convert(&copy, &package, &[]) {
            return Some(format!("{}: {error}", notebook.display()));
        }
        let (passed, output) = pytest(&package);
        (!passed).then(|| format!("{}:\n{output}", notebook.display()))
    })
    .into_iter()
    .flatten()
    .collect();
    assert!(
        failures.is_empty(),
        "{} of {} fixtures fail their generated tests:\n{}",
        failures.len(),
        notebooks.len(),
        failures.join("\n")
    );
}

#[test]
fn saved_outputs_are_asserted_step_by_step_and_a_broken_step_fails_readably() {
    let fixture = support::fixtures().join("verify/saved_outputs.ipynb");
    let folder = support::scratch_copy(fixture.parent().unwrap());
    let package = folder.path().join("nblift-package");
    let name = convert(&folder.path().join("saved_outputs.ipynb"), &package, &[]).unwrap();
    let tests = fs::read_to_string(package.join("tests/test_pipeline.py")).unwrap();
    // The timing and the memory address are kept loose: they differ on every run.
    assert!(tests.contains("(\"total 6\", False)"), "{tests}");
    assert!(tests.contains("seconds\", True)"), "{tests}");
    let (passed, output) = pytest(&package);
    assert!(passed, "{output}");
    assert!(output.contains("2 passed"), "{output}");

    let steps = package.join("src").join(&name).join("steps.py");
    let code = fs::read_to_string(&steps).unwrap();
    let broken = code.replacen(
        "print(f\"total {total}\")",
        "print(f\"total {total + 1}\")",
        1,
    );
    assert_ne!(broken, code, "the step prints the total");
    fs::write(&steps, broken).unwrap();
    let (passed, output) = pytest(&package);
    assert!(!passed, "{output}");
    assert!(
        output.contains("step `totals` prints other lines than its cells did")
            && output.contains("-total 6")
            && output.contains("+total 7"),
        "{output}"
    );
}

#[test]
fn saved_outputs_from_cells_run_out_of_order_are_not_asserted() {
    let fixture = support::fixtures().join("verify/saved_outputs.ipynb");
    let folder = tempfile::tempdir().unwrap();
    let mut notebook: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(&fixture).unwrap()).unwrap();
    // The second code cell ran first.
    notebook["cells"][1]["execution_count"] = 9.into();
    let path = folder.path().join("reordered.ipynb");
    fs::write(&path, notebook.to_string()).unwrap();
    let package = folder.path().join("out");
    convert(&path, &package, &[]).unwrap();
    let tests = fs::read_to_string(package.join("tests/test_pipeline.py")).unwrap();
    assert!(!tests.contains("SAVED"), "{tests}");
    let comment: String = tests
        .lines()
        .filter_map(|l| l.strip_prefix("# "))
        .collect::<Vec<_>>()
        .join(" ");
    assert!(
        comment.contains(
            "not from one top-to-bottom run (cell 4 ran before cell 2: execution counts 2 and 9)"
        ),
        "{tests}"
    );
    let (passed, output) = pytest(&package);
    assert!(passed, "{output}");
}

#[test]
fn a_writefile_notice_passes_in_a_fresh_folder_and_on_a_second_run() {
    let fixture = support::fixtures().join("magics/writefile_saved_notice.ipynb");
    let folder = support::scratch_copy(fixture.parent().unwrap());
    let package = folder.path().join("nblift-package");
    convert(
        &folder.path().join("writefile_saved_notice.ipynb"),
        &package,
        &[],
    )
    .unwrap();
    let tests = fs::read_to_string(package.join("tests/test_pipeline.py")).unwrap();
    assert!(
        tests.contains("(\"Writing greeting.txt\", True)"),
        "{tests}"
    );
    // The first run writes greeting.txt; the second finds it and says `Overwriting`.
    for run in ["first", "second"] {
        let (passed, output) = pytest(&package);
        assert!(passed, "{run} run:\n{output}");
    }
}

#[test]
fn numbers_seeded_by_random_state_are_asserted_exactly() {
    let fixture = support::fixtures().join("verify/seeded_with_random_state.ipynb");
    let folder = support::scratch_copy(fixture.parent().unwrap());
    let package = folder.path().join("nblift-package");
    let name = convert(
        &folder.path().join("seeded_with_random_state.ipynb"),
        &package,
        &[],
    )
    .unwrap();
    let tests = fs::read_to_string(package.join("tests/test_pipeline.py")).unwrap();
    assert!(tests.contains("(\"accuracy 0.9111\", False)"), "{tests}");
    let (passed, output) = pytest(&package);
    assert!(passed, "{output}");

    // A changed accuracy fails the test: its digits are not masked.
    let steps = package.join("src").join(&name).join("steps.py");
    let code = fs::read_to_string(&steps).unwrap();
    let broken = code.replacen("max_depth=2", "max_depth=1", 1);
    assert_ne!(broken, code, "the step fits the tree");
    fs::write(&steps, broken).unwrap();
    let (passed, output) = pytest(&package);
    assert!(!passed && output.contains("-accuracy 0.9111"), "{output}");
}

#[test]
fn a_package_copied_elsewhere_is_tested_from_the_notebooks_folder() {
    let fixture = support::fixtures().join("example/sales_report.ipynb");
    let folder = support::scratch_copy(fixture.parent().unwrap());
    let package = folder.path().join("nblift-package");
    convert(&folder.path().join("sales_report.ipynb"), &package, &[]).unwrap();
    // The stored relative path no longer leads to the notebook: the current directory is
    // its folder.
    let elsewhere = tempfile::tempdir().unwrap();
    let moved = elsewhere.path().join("deep/down/copied-package");
    fs::create_dir_all(moved.parent().unwrap()).unwrap();
    fs::rename(&package, &moved).unwrap();
    let output = Command::new(support::python())
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider"])
        .arg(moved.join("tests"))
        .current_dir(folder.path())
        .env("MPLBACKEND", "Agg")
        .env_remove("NBLIFT_NOTEBOOK_DIR")
        .output()
        .expect("pytest runs");
    let (stdout, stderr) = support::text(&output);
    assert!(output.status.success(), "{stdout}{stderr}");
    let tests = fs::read_to_string(moved.join("tests/test_pipeline.py")).unwrap();
    assert!(tests.contains("NBLIFT_NOTEBOOK_DIR"), "{tests}");
}
