//! nblift in real editors, in Debian's chromium: JupyterLab with jupyterlab-lsp and nblift's
//! extension (`tests/editors/test_jupyterlab.py`, pytest and Playwright in
//! `target/jupyterlab-venv`). Screenshots of every state go to `target/editor-tests/NAME/`.

// Runs a browser and real Python: the editors lane (`--features test-editors`, or `full`).
#![cfg(feature = "test-editors")]

mod support;

use std::path::PathBuf;
use std::process::Command;

use support::editors;

fn screenshots(editor: &str) -> PathBuf {
    let folder = support::root().join("target/editor-tests").join(editor);
    let _ = std::fs::remove_dir_all(&folder);
    folder
}

#[test]
fn jupyterlab_shows_diagnostics_and_runs_the_actions() {
    let chromium = editors::chromium();
    let python = editors::jupyterlab_python();
    let screenshots = screenshots("jupyterlab");
    let output = Command::new(python)
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir"])
        .arg(support::root().join("tests/editors"))
        .arg(support::root().join("tests/editors/test_jupyterlab.py"))
        .env("NBLIFT", env!("CARGO_BIN_EXE_nblift"))
        .env("CHROMIUM", chromium)
        .env("NBLIFT_SCREENSHOTS", &screenshots)
        .current_dir(support::root())
        .output()
        .expect("pytest runs");
    let (stdout, stderr) = support::text(&output);
    assert!(
        output.status.success(),
        "the JupyterLab tests failed (screenshots in {}):\n{stdout}\n{stderr}",
        screenshots.display()
    );
    // Every test ran and passed: a collection problem must not pass as "no failures".
    assert!(
        stdout.lines().any(|l| l.starts_with("5 passed")),
        "{stdout}"
    );
    for state in ["1-diagnostics", "4-lifted", "5-converted", "6-verified"] {
        assert!(
            screenshots.join(format!("{state}.png")).is_file(),
            "no screenshot of {state}"
        );
    }
}
