//! No input crashes nblift or loses anything: arbitrary bytes and mutated real notebooks go
//! through every stage without a panic, and each hostile input of the command line gets a
//! located error (exit 1) or a tool failure (exit 2), or a package, and leaves the notebook
//! byte-identical.
//!
//! The property tests run `NBLIFT_FUZZ_CASES` cases each (256 by default); a longer run:
//! `NBLIFT_FUZZ_CASES=100000 cargo test --release --test robustness`.

mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use nblift::analysis::analyze;
use nblift::diagnostic::has_errors;
use nblift::emit::{self, Source};
use nblift::lift::{self, Options, Split};
use nblift::notebook::load_notebook;
use proptest::prelude::*;

/// Every stage of a conversion but writing, in-process.
fn convert_in_process(text: &str) {
    let Ok(notebook) = load_notebook(text) else {
        return;
    };
    let (analysis, diagnostics) = analyze(&notebook);
    if has_errors(&diagnostics) {
        return;
    }
    for split in [Split::Sections, Split::Cells] {
        let options = Options {
            package: "fuzzed".to_owned(),
            split,
            local_modules: Default::default(),
            observed: Default::default(),
        };
        let (plan, _) = lift::plan(&notebook, &analysis, &options);
        let source = Source {
            notebook_file: "fuzzed.ipynb".to_owned(),
            notebook_dir: ".".to_owned(),
            known_problems: Vec::new(),
        };
        emit::render(plan, &source, &[], None).expect("a plan always renders");
    }
}

fn config() -> ProptestConfig {
    let cases = std::env::var("NBLIFT_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(256);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Real notebooks to mutate: the corpus's, small enough to keep each case fast.
fn corpus_texts() -> &'static [String] {
    static TEXTS: OnceLock<Vec<String>> = OnceLock::new();
    TEXTS.get_or_init(|| {
        let corpus = support::root().join("../shared/corpus/notebooks");
        let mut texts: Vec<String> = support::notebooks_under(&corpus)
            .iter()
            .filter(|p| fs::metadata(p).is_ok_and(|m| m.len() < 64 * 1024))
            .filter_map(|p| fs::read_to_string(p).ok())
            .collect();
        // Without the corpus, our own fixtures.
        if texts.is_empty() {
            texts = support::notebooks_under(&support::fixtures())
                .iter()
                .filter_map(|p| fs::read_to_string(p).ok())
                .collect();
        }
        texts
    })
}

/// Fragments of Python and IPython syntax that stress the front end when spliced anywhere.
const FRAGMENTS: &[&str] = &[
    "%",
    "%%",
    "!",
    "?",
    "??",
    "$",
    "{",
    "}",
    "(",
    ")",
    "[",
    "\"",
    "'''",
    "\\",
    "\\n",
    "\t",
    "\r\n",
    "\n    ",
    "#",
    ":",
    "=",
    "*",
    "@",
    "%time ",
    "%%capture x\n",
    "!ls $x\n",
    "x = !ls\n",
    "%%bash\n",
    "print x\n",
    "async ",
    "await x\n",
    "lambda: ",
    "del x\n",
    "global x\n",
    "nonlocal x\n",
    "yield\n",
    "return\n",
    "import *\n",
    "from . import x\n",
    "match x:\n",
    "class C:\n",
    "def f(:\n",
    "é",
    "π = 1\n",
    "\u{feff}",
    "\0",
    "null",
    "[]",
    "{\"cells\": 1}",
    "\"source\": [",
    "],",
    "\"nbformat\": 3",
    "\"cell_type\": \"raw\"",
];

/// One edit of a real notebook's text.
#[derive(Debug, Clone)]
enum Mutation {
    Truncate(usize),
    Delete(usize, usize),
    Insert(usize, Vec<u8>),
    Splice(usize, usize),
    /// Insert the fragment into the JSON text of a cell source, where it is still JSON.
    IntoSource(usize, usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        any::<usize>().prop_map(Mutation::Truncate),
        (any::<usize>(), 0..64usize).prop_map(|(at, n)| Mutation::Delete(at, n)),
        (any::<usize>(), prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(at, bytes)| Mutation::Insert(at, bytes)),
        (any::<usize>(), 0..FRAGMENTS.len()).prop_map(|(at, f)| Mutation::Splice(at, f)),
        (any::<usize>(), 0..FRAGMENTS.len()).prop_map(|(at, f)| Mutation::IntoSource(at, f)),
    ]
}

fn mutate(text: &str, mutation: &Mutation) -> String {
    let mut bytes = text.as_bytes().to_vec();
    let at = |n: usize| n % (bytes.len() + 1);
    match mutation {
        Mutation::Truncate(n) => bytes.truncate(at(*n)),
        Mutation::Delete(n, length) => {
            let start = at(*n);
            let end = (start + length).min(bytes.len());
            bytes.drain(start..end);
        }
        Mutation::Insert(n, inserted) => {
            let start = at(*n);
            bytes.splice(start..start, inserted.iter().copied());
        }
        Mutation::Splice(n, fragment) => {
            let start = at(*n);
            bytes.splice(start..start, FRAGMENTS[*fragment].bytes());
        }
        Mutation::IntoSource(n, fragment) => {
            // After the opening quote of the n-th `"source"` line: a mutated cell, valid JSON.
            let quotes: Vec<usize> = text
                .match_indices("\"source\": [\n")
                .map(|(i, _)| i)
                .collect();
            if let Some(&quote) = quotes.get(n % quotes.len().max(1)) {
                let line_start = quote + "\"source\": [\n".len();
                if let Some(offset) = text[line_start..].find('"') {
                    let start = line_start + offset + 1;
                    let escaped = serde_json::to_string(FRAGMENTS[*fragment]).unwrap();
                    let inner = &escaped.as_bytes()[1..escaped.len() - 1];
                    bytes.splice(start..start, inner.iter().copied());
                }
            }
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        convert_in_process(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn mutated_real_notebooks_never_panic(
        index in any::<usize>(),
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let texts = corpus_texts();
        let mut text = texts[index % texts.len()].clone();
        for m in &mutations {
            text = mutate(&text, m);
        }
        convert_in_process(&text);
    }
}

/// Converts `notebook` into a fresh folder; returns (exit code, stderr, output folder).
/// Asserts that the notebook is byte-identical afterwards.
fn convert_file(notebook: &Path) -> (i32, String, tempfile::TempDir) {
    let before = fs::read(notebook).unwrap();
    let out = tempfile::tempdir().unwrap();
    let result = support::nblift()
        .arg("convert")
        .arg(notebook)
        .arg("-o")
        .arg(out.path().join("pkg"))
        .output()
        .unwrap();
    assert_eq!(
        fs::read(notebook).unwrap(),
        before,
        "the notebook was modified"
    );
    let (_, stderr) = support::text(&result);
    (result.status.code().unwrap(), stderr, out)
}

fn notebook_with(name: &str, bytes: &[u8]) -> (tempfile::TempDir, PathBuf) {
    let folder = tempfile::tempdir().unwrap();
    let path = folder.path().join(name);
    fs::write(&path, bytes).unwrap();
    (folder, path)
}

fn assert_refused(name: &str, bytes: &[u8], expected: &str) {
    let (_folder, path) = notebook_with(name, bytes);
    let (code, stderr, out) = convert_file(&path);
    assert_eq!(code, 1, "{name}: exit code\n{stderr}");
    assert!(
        stderr.contains(expected),
        "{name}: expected {expected:?} in\n{stderr}"
    );
    assert!(
        !out.path().join("pkg").exists(),
        "{name}: nothing is written"
    );
}

#[test]
fn an_empty_file_is_a_located_json_error() {
    assert_refused(
        "empty.ipynb",
        b"",
        "empty.ipynb:1:1: error[NB001]: invalid notebook JSON: the file is empty",
    );
    assert_refused("blank.ipynb", b" \n\n", "blank.ipynb:1:1: error[NB001]");
}

#[test]
fn a_binary_file_is_a_located_error() {
    // Every byte value in turn: the first newline is byte 10, the first invalid UTF-8 is
    // byte 128, on line 2 at column 128 - 11 + 1.
    let bytes: Vec<u8> = (0..=255u8).cycle().take(4096).collect();
    assert_refused(
        "binary.ipynb",
        &bytes,
        "binary.ipynb:2:118: error[NB001]: invalid notebook JSON: the file is not UTF-8 text",
    );
}

#[test]
fn invalid_utf8_is_located() {
    let mut bytes = b"{\n \"cells\": [\n  \"".to_vec();
    bytes.extend([0xff, 0xfe]);
    bytes.extend(b"\"]}");
    assert_refused(
        "latin.ipynb",
        &bytes,
        "latin.ipynb:3:4: error[NB001]: invalid notebook JSON: the file is not UTF-8 text",
    );
}

#[test]
fn json_nested_ten_thousand_deep_is_an_error_not_a_stack_overflow() {
    let depth = 10_000;
    let text = format!(
        "{{\"nbformat\": 4, \"cells\": {}{}}}",
        "[".repeat(depth),
        "]".repeat(depth)
    );
    assert_refused("deep.ipynb", text.as_bytes(), "deep.ipynb:1:");
}

#[test]
fn a_fifty_megabyte_single_line_converts() {
    let value = "a".repeat(50 * 1024 * 1024);
    let notebook = serde_json::json!({
        "nbformat": 4, "nbformat_minor": 5, "metadata": {},
        "cells": [{"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": 1,
                   "source": format!("data = \"{value}\"; print(len(data))")}],
    });
    // One line: no newline anywhere in the file.
    let (_folder, path) = notebook_with("huge.ipynb", notebook.to_string().as_bytes());
    let started = Instant::now();
    let (code, stderr, out) = convert_file(&path);
    assert_eq!(code, 0, "{stderr}");
    let steps = fs::read_to_string(out.path().join("pkg/src/huge/steps.py")).unwrap();
    assert!(steps.contains(&value), "the value is in the package");
    // Not a timing assertion on speed, a guard against a quadratic pass (minutes).
    assert!(started.elapsed() < Duration::from_secs(120));
}

#[test]
fn an_output_folder_that_cannot_be_written_is_a_tool_failure() {
    let folder = tempfile::tempdir().unwrap();
    let read_only = folder.path().join("read-only");
    fs::create_dir(&read_only).unwrap();
    let mut permissions = fs::metadata(&read_only).unwrap().permissions();
    permissions.set_readonly(true);
    fs::set_permissions(&read_only, permissions).unwrap();
    // Root ignores permissions: then a folder of a read-only file system stands in.
    let output = if fs::write(read_only.join("probe"), "").is_ok() {
        PathBuf::from("/proc/nblift-read-only/pkg")
    } else {
        read_only.join("pkg")
    };
    let notebook = support::fixtures().join("example/sales_report.ipynb");
    let before = fs::read(&notebook).unwrap();
    let result = support::nblift()
        .arg("convert")
        .arg(&notebook)
        .arg("-o")
        .arg(&output)
        .output()
        .unwrap();
    let (_, stderr) = support::text(&result);
    assert_eq!(result.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("error:") && stderr.contains("cannot"),
        "{stderr}"
    );
    assert!(!output.exists());
    assert_eq!(fs::read(&notebook).unwrap(), before);
}

#[cfg(unix)]
#[test]
fn a_symlinked_notebook_converts_and_both_link_and_target_stay() {
    let folder = tempfile::tempdir().unwrap();
    let target = folder.path().join("real.ipynb");
    fs::copy(
        support::fixtures().join("example/sales_report.ipynb"),
        &target,
    )
    .unwrap();
    let link = folder.path().join("linked.ipynb");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let (code, stderr, out) = convert_file(&link);
    assert_eq!(code, 0, "{stderr}");
    assert!(out.path().join("pkg/src/linked/steps.py").is_file());
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

/// Ctrl-C during a batch: the packages written are whole, the one being written is dropped,
/// no staging folder is left, and the exit code says it was interrupted.
#[cfg(unix)]
#[test]
fn sigint_during_a_batch_leaves_no_half_written_package() {
    let inputs = tempfile::tempdir().unwrap();
    let example = fs::read(support::fixtures().join("example/sales_report.ipynb")).unwrap();
    let count = 3000;
    for i in 0..count {
        fs::write(inputs.path().join(format!("n{i:04}.ipynb")), &example).unwrap();
    }
    let out = tempfile::tempdir().unwrap();
    let output = out.path().join("o");
    let mut child = support::nblift()
        .arg("convert")
        .arg(inputs.path())
        .arg("-o")
        .arg(&output)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Interrupt once the first packages are in place (staging folders start with a dot).
    let packages_in_place = || {
        fs::read_dir(&output).map_or(0, |d| {
            d.flatten()
                .filter(|e| !e.file_name().to_string_lossy().starts_with('.'))
                .count()
        })
    };
    let started = Instant::now();
    while packages_in_place() < 5 {
        // Generous: the notebooks are all analysed before the first is written.
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "no package was written"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    let status = Command::new("kill")
        .arg("-INT")
        .arg(child.id().to_string())
        .status()
        .unwrap();
    assert!(status.success());
    let code = child.wait().unwrap().code();
    assert_eq!(code, Some(130), "interrupted");

    let packages: Vec<PathBuf> = fs::read_dir(&output)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    assert!(packages.len() < count, "the batch stopped early");
    for package in &packages {
        let name = package.file_name().unwrap().to_string_lossy().into_owned();
        assert!(!name.starts_with('.'), "a staging folder was left: {name}");
        for file in ["pyproject.toml", "README.md", "tests/test_pipeline.py"] {
            assert!(package.join(file).is_file(), "{name} lacks {file}");
        }
        for file in ["__main__.py", "_nblift.py", "pipeline.py", "steps.py"] {
            let path = package.join("src").join(&name).join(file);
            assert!(path.is_file(), "{name} lacks {file}");
        }
    }
    for entry in fs::read_dir(inputs.path()).unwrap().flatten() {
        assert_eq!(
            fs::read(entry.path()).unwrap(),
            example,
            "a notebook was modified"
        );
    }
}
