//! Snapshots of whole conversions: every emitted file under a `# --- path ---` header, then
//! the diagnostics, as `nblift convert` reports them. Reviewed with `cargo insta review`; the
//! equivalence tests prove the behaviour, these show the shape of the output.

mod support;

use std::fs;

fn check(fixture: &str, name: &str) {
    // Relative paths keep the snapshot independent of where the repository is checked out.
    let output = format!("target/snapshot-output/{name}");
    let result = support::nblift()
        .current_dir(support::root())
        .args([
            "convert",
            &format!("tests/fixtures/{fixture}"),
            "-o",
            &output,
            "--force",
        ])
        .output()
        .unwrap();
    let (_, stderr) = support::text(&result);
    assert!(result.status.success(), "{fixture}: {stderr}");
    let mut text = String::new();
    for path in support::files_under(&support::root().join(&output)) {
        let relative = path.strip_prefix(support::root().join(&output)).unwrap();
        if relative.ends_with("_nblift.py") || relative.ends_with("_nblift_verify.py") {
            // The support modules are the same in every package; they are not the fixture's
            // output.
            continue;
        }
        text.push_str(&format!("# --- {} ---\n", relative.display()));
        text.push_str(&fs::read_to_string(&path).unwrap());
        text.push('\n');
    }
    text.push_str("# --- diagnostics ---\n");
    text.push_str(&stderr);
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!(name, text);
    });
}

#[test]
fn example_sales_report() {
    check("example/sales_report.ipynb", "example_sales_report");
}

#[test]
fn function_reads_global_rebound_later() {
    check(
        "dataflow/function_reads_global_rebound_later.ipynb",
        "function_reads_global_rebound_later",
    );
}

#[test]
fn parameters_cell_read_by_function() {
    check(
        "params/parameters_cell_read_by_function.ipynb",
        "parameters_cell_read_by_function",
    );
}

#[test]
fn magics_shell_and_writefile() {
    check(
        "magics/writefile_python_module.ipynb",
        "writefile_python_module",
    );
}

#[test]
fn headingless_notebook_becomes_named_steps() {
    check(
        "split/headingless_notebook_named_steps.ipynb",
        "headingless_notebook_named_steps",
    );
}

#[test]
fn long_cell_is_cut_between_its_statements() {
    check(
        "split/long_cell_cut_between_statements.ipynb",
        "long_cell_cut_between_statements",
    );
}

/// A snapshot no test asserts any more is dead weight that reads as a pinned behaviour: each
/// file under `snapshots/` is named by a test of this file, and each plan snapshot's
/// `input_file` is a fixture that exists (`tests/plans.rs` globs them).
#[test]
fn every_snapshot_belongs_to_a_test() {
    let root = support::root();
    let this_file = fs::read_to_string(root.join("tests/snapshots.rs")).unwrap();
    let mut unreferenced = Vec::new();
    for path in support::files_under(&root.join("snapshots")) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let Some(stem) = name.strip_suffix(".snap") else {
            unreferenced.push(name);
            continue;
        };
        let referenced = if path.parent().unwrap().ends_with("plans") {
            let text = fs::read_to_string(&path).unwrap();
            text.lines()
                .find_map(|line| line.strip_prefix("input_file: "))
                .is_some_and(|fixture| root.join(fixture).is_file())
        } else {
            this_file.contains(&format!("\"{stem}\""))
        };
        if !referenced {
            unreferenced.push(name);
        }
    }
    assert!(
        unreferenced.is_empty(),
        "snapshots no test asserts (delete them): {unreferenced:?}"
    );
}
