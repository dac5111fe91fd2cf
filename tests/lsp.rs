//! `nblift lsp` driven by a real LSP client: the pytest-lsp tests in `tests/lsp/`, run in
//! their own venv, with kernels and packages run by the main test venv's Python.

// Runs real Python: the Python lane (`cargo test --features test-python`, or `--features full`).
#![cfg(feature = "test-python")]

mod support;

use std::process::Command;

#[test]
fn language_server_passes_the_lsp_client_tests() {
    let kernel_python = support::python();
    let output = Command::new(support::lsp_python())
        .args(["-m", "pytest", "-q", "-p", "no:cacheprovider", "-c"])
        .arg(support::root().join("tests/lsp/pytest.ini"))
        .arg(support::root().join("tests/lsp"))
        .env("NBLIFT", env!("CARGO_BIN_EXE_nblift"))
        .env("NBLIFT_KERNEL_PYTHON", &kernel_python)
        .env(
            "NBLIFT_NBRUN",
            support::root().join("tests/support/nbrun.py"),
        )
        .current_dir(support::root())
        .output()
        .expect("pytest runs");
    let (stdout, stderr) = support::text(&output);
    assert!(
        output.status.success(),
        "the LSP client tests failed:\n{stdout}\n{stderr}"
    );
    // Six tests, each passed: a collection problem must not pass as "no failures".
    assert!(
        stdout.lines().any(|l| l.starts_with("6 passed")),
        "{stdout}"
    );
}
