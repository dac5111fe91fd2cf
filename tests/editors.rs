//! nblift in real editors, in Debian's chromium driven by Playwright: JupyterLab with
//! jupyterlab-lsp and nblift's extension (`tests/editors/test_jupyterlab.py`), and VS Code
//! (code-server) with nblift's `.vsix` (`tests/editors/test_vscode.py`). pytest runs them from
//! `target/jupyterlab-venv`; screenshots of every state go to `target/editor-tests/EDITOR/`.

// Runs a browser and real Python: the editors lane (`--features test-editors`, or `full`).
#![cfg(feature = "test-editors")]

mod support;

use std::path::PathBuf;
use std::process::Command;

use support::editors;

/// Runs one editor's pytest file; it must pass `tests` tests and leave a screenshot of each
/// of `states`.
fn run_browser_tests(editor: &str, env: &[(&str, PathBuf)], tests: usize, states: &[&str]) {
    let screenshots = support::root().join("target/editor-tests").join(editor);
    let _ = std::fs::remove_dir_all(&screenshots);
    let file = support::root().join(format!("tests/editors/test_{editor}.py"));
    let mut command = Command::new(editors::jupyterlab_python());
    command
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider", "--rootdir"])
        .arg(support::root().join("tests/editors"))
        .arg(&file)
        .env("NBLIFT", env!("CARGO_BIN_EXE_nblift"))
        .env("CHROMIUM", editors::chromium())
        .env("NBLIFT_SCREENSHOTS", &screenshots)
        .current_dir(support::root());
    for (name, value) in env {
        command.env(name, value);
    }
    let output = command.output().expect("pytest runs");
    let (stdout, stderr) = support::text(&output);
    assert!(
        output.status.success(),
        "the {editor} tests failed (screenshots in {}):\n{stdout}\n{stderr}",
        screenshots.display()
    );
    // Every test ran and passed: a collection problem must not pass as "no failures".
    let passed = format!("{tests} passed");
    assert!(stdout.lines().any(|l| l.starts_with(&passed)), "{stdout}");
    for state in states {
        assert!(
            screenshots.join(format!("{state}.png")).is_file(),
            "no screenshot of {state}"
        );
    }
}

#[test]
fn jupyterlab_shows_diagnostics_and_runs_the_actions() {
    run_browser_tests(
        "jupyterlab",
        &[],
        5,
        &[
            "1-diagnostics",
            "3-hover",
            "4-lifted",
            "5-converted",
            "6-verified",
        ],
    );
}

#[test]
fn vscode_shows_diagnostics_and_runs_the_actions() {
    let (code_server, path) = editors::code_server();
    run_browser_tests(
        "vscode",
        &[
            ("CODE_SERVER", code_server),
            ("CODE_SERVER_PATH", PathBuf::from(path)),
            ("VSIX", editors::vscode_extension()),
        ],
        3,
        &["1-diagnostics", "4-lifted", "5-converted"],
    );
}
