//! Test support shared by the integration tests: the pinned Python environment, running the
//! `nblift` binary, and copying fixture folders into scratch space.
//!
//! The venv lives in `target/nblift-venv`, is made once with uv (itself installed with pip
//! into `target/uv-venv`) from `tests/support/requirements.txt` and reused while that file
//! is unchanged, so the Python lane (`cargo test --features test-python`) needs nothing
//! installed by hand.

#![allow(dead_code)]

#[cfg(feature = "test-editors")]
pub mod editors;
pub mod lift;
pub mod lint;
pub mod runs;

use std::collections::HashMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::time::Duration;

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixtures() -> PathBuf {
    root().join("tests").join("fixtures")
}

pub fn nblift() -> Command {
    Command::new(env!("CARGO_BIN_EXE_nblift"))
}

/// The venv's folder, created and filled on first use.
pub fn venv() -> &'static Path {
    static VENV: OnceLock<PathBuf> = OnceLock::new();
    VENV.get_or_init(|| make_venv("nblift-venv", "tests/support/requirements.txt"))
}

/// An orchestrator's own venv (`target/engine-venvs/NAME`, pinned in
/// `tests/support/engines/NAME.txt`): the engines' pins conflict with one another.
pub fn engine_python(engine: &str) -> PathBuf {
    make_venv(
        &format!("engine-venvs/{engine}"),
        &format!("tests/support/engines/{engine}.txt"),
    )
    .join("bin")
    .join("python")
}

/// The LSP client's venv (`target/lsp-venv`, pinned in `tests/support/lsp.txt`): pytest-lsp
/// and its pins stay out of the venv that mirrors the corpus's kernel.
pub fn lsp_python() -> PathBuf {
    make_venv("lsp-venv", "tests/support/lsp.txt")
        .join("bin")
        .join("python")
}

pub fn python() -> PathBuf {
    venv().join("bin").join("python")
}

pub fn venv_tool(name: &str) -> PathBuf {
    venv().join("bin").join(name)
}

/// The venv `target/FOLDER`, made with uv from the requirements file `requirements`
/// (relative to the project; every package pinned) unless it was already made from the same
/// text.
fn make_venv(folder: &str, requirements: &str) -> PathBuf {
    let uv = uv();
    made_once(folder, requirements, |venv, requirements_path| {
        let uv_command = || {
            let mut command = Command::new(&uv);
            // The machine's Python, never one uv downloads; uv's cache under `target/`.
            command
                .env("UV_PYTHON_DOWNLOADS", "never")
                .env("UV_CACHE_DIR", target_dir().join("uv-cache"));
            command
        };
        // `--seed`: pip in the venv, as `python -m venv` gives it; a notebook's `%pip` runs it.
        run_checked(
            uv_command()
                .args(["venv", "--quiet", "--seed", "--python", "python3"])
                .arg(venv),
            "uv venv",
        );
        run_checked(
            uv_command()
                .args([
                    "pip",
                    "install",
                    "--quiet",
                    "--compile-bytecode",
                    "--python",
                ])
                .arg(venv.join("bin/python"))
                .arg("-r")
                .arg(requirements_path),
            &format!("uv pip install -r {requirements}"),
        );
    })
}

/// uv itself, in `target/uv-venv`, installed with pip from `tests/support/uv.txt`.
fn uv() -> PathBuf {
    static UV: OnceLock<PathBuf> = OnceLock::new();
    UV.get_or_init(|| {
        let venv = made_once(
            "uv-venv",
            "tests/support/uv.txt",
            |venv, requirements_path| {
                run_checked(
                    Command::new("python3").args(["-m", "venv"]).arg(venv),
                    "python3 -m venv",
                );
                run_checked(
                    Command::new(venv.join("bin/python"))
                        .args([
                            "-m",
                            "pip",
                            "install",
                            "--disable-pip-version-check",
                            "-q",
                            "-r",
                        ])
                        .arg(requirements_path),
                    "pip install uv",
                );
            },
        );
        venv.join("bin/uv")
    })
    .clone()
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root().join("target"), PathBuf::from)
}

/// `target/FOLDER`, made by `make(folder, requirements file)` unless it was already made from
/// the requirements' current text; one test binary makes it while the others wait.
fn made_once(folder: &str, requirements: &str, make: impl Fn(&Path, &Path)) -> PathBuf {
    let requirements_path = root().join(requirements);
    // The requirements, and how the venv is made: a change to either makes it again.
    let wanted = fs::read_to_string(&requirements_path)
        .unwrap_or_else(|e| panic!("{requirements} is readable: {e}"))
        + "\n# made by: uv venv --seed; uv pip install --compile-bytecode -r\n";
    made_once_from(folder, wanted, |venv| make(venv, &requirements_path))
}

/// `target/FOLDER`, made by `make(folder)` unless it was already made from `wanted` (the text
/// of everything it is made from); one test binary makes it while the others wait.
fn made_once_from(folder: &str, wanted: String, make: impl Fn(&Path)) -> PathBuf {
    let target = target_dir();
    let venv = target.join(folder);
    let marker = venv.join("requirements.installed");
    fs::create_dir_all(venv.parent().expect("a venv has a parent folder")).expect("target folder");
    // Test binaries may run side by side: a lock folder makes one of them the installer.
    let lock = target.join(format!("{}.lock", folder.replace('/', "-")));
    let mut waited = 0;
    while fs::create_dir(&lock).is_err() {
        assert!(waited < 1800, "timed out waiting for {}", lock.display());
        std::thread::sleep(Duration::from_secs(1));
        waited += 1;
    }
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        if fs::read_to_string(&marker).ok().as_deref() == Some(wanted.as_str()) {
            return;
        }
        let _ = fs::remove_dir_all(&venv);
        fs::create_dir_all(&venv).expect("create the folder");
        make(&venv);
        fs::write(&marker, &wanted).expect("write the venv marker");
    }));
    let _ = fs::remove_dir(&lock);
    if let Err(panic) = result {
        std::panic::resume_unwind(panic);
    }
    venv
}

fn run_checked(command: &mut Command, what: &str) {
    let status = command.status().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(status.success(), "{what} failed with {status}");
}

/// The fixture notebooks a fresh kernel runs: all but the refused ones (`bad/`) and the ones
/// only converted (`static/`).
pub fn runnable_fixtures() -> Vec<PathBuf> {
    let fixtures = fixtures();
    notebooks_under(&fixtures)
        .into_iter()
        .filter(|path| {
            let relative = path.strip_prefix(&fixtures).unwrap().to_string_lossy();
            !relative.starts_with("bad/") && !relative.starts_with("static/")
        })
        .collect()
}

/// The rows of a tab-separated file with a header line, as column → value maps.
pub fn read_tsv(path: &Path) -> Vec<HashMap<String, String>> {
    let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap_or_default().split('\t').collect();
    lines
        .map(|line| {
            header
                .iter()
                .map(|h| (*h).to_owned())
                .zip(line.split('\t').map(str::to_owned))
                .collect()
        })
        .collect()
}

/// Copies a folder's files (recursively) into a new scratch folder.
pub fn scratch_copy(folder: &Path) -> tempfile::TempDir {
    let scratch = tempfile::tempdir().expect("scratch folder");
    copy_dir(folder, scratch.path());
    scratch
}

fn copy_dir(from: &Path, to: &Path) {
    for entry in fs::read_dir(from)
        .expect("readable fixture folder")
        .flatten()
    {
        let path = entry.path();
        let destination = to.join(entry.file_name());
        if path.is_dir() {
            fs::create_dir_all(&destination).expect("create folder");
            copy_dir(&path, &destination);
        } else {
            fs::copy(&path, &destination).expect("copy file");
        }
    }
}

pub fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// Every `.ipynb` under `folder`, sorted.
pub fn notebooks_under(folder: &Path) -> Vec<PathBuf> {
    let mut notebooks: Vec<PathBuf> = walkdir::WalkDir::new(folder)
        .into_iter()
        .flatten()
        .map(|e| e.into_path())
        .filter(|p| p.extension().is_some_and(|e| e == "ipynb"))
        .collect();
    notebooks.sort();
    notebooks
}

/// Every file under `folder`, sorted.
pub fn files_under(folder: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(folder)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect();
    files.sort();
    files
}

/// Runs a command, killing it (and its process group) after `limit`; `None` when it timed
/// out or could not start. The library's helper, which verify uses too.
pub fn output_with_timeout(command: &mut Command, limit: Duration) -> Option<Output> {
    nblift::process::output_with_timeout(command, limit).ok()
}

/// Runs `work` over `items` on `threads` threads, keeping the items' order in the results.
pub fn parallel_map<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    work: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    // Each thread takes the next item when it is free: a slow item holds back no other.
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<std::sync::Mutex<Option<R>>> =
        items.iter().map(|_| std::sync::Mutex::new(None)).collect();
    std::thread::scope(|scope| {
        for _ in 0..threads.clamp(1, items.len().max(1)) {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(item) = items.get(index) else { break };
                    let result = work(item);
                    *results[index].lock().unwrap() = Some(result);
                }
            });
        }
    });
    results
        .into_iter()
        .map(|r| r.into_inner().unwrap().expect("every item ran"))
        .collect()
}

/// Shown results the way the corpus README defines "comparable": non-empty text, no image format,
/// not a matplotlib figure's text, memory addresses masked.
pub fn comparable_results(results: &serde_json::Value) -> Vec<(i64, String)> {
    let address = |text: &str| {
        let mut out = String::with_capacity(text.len());
        let mut rest = text;
        while let Some(at) = rest.find("0x") {
            out.push_str(&rest[..at]);
            let tail = &rest[at + 2..];
            let hex = tail
                .find(|c: char| !c.is_ascii_hexdigit())
                .unwrap_or(tail.len());
            if hex == 0 {
                out.push_str("0x");
            } else {
                out.push_str("0x?");
            }
            rest = &tail[hex..];
        }
        out.push_str(rest);
        out
    };
    results
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| {
            let text = r["text"].as_str().unwrap_or_default();
            let image = r["mime"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|m| m.as_str().is_some_and(|m| m.starts_with("image/")));
            !text.is_empty() && !image && !text.starts_with("<Figure size")
        })
        .map(|r| {
            (
                r["cell"].as_i64().unwrap_or(-1),
                address(r["text"].as_str().unwrap_or_default()),
            )
        })
        .collect()
}

/// Stdout with what IPython prints on its own account taken out: the rule `nblift verify`
/// applies (timings, notices, terminal line endings).
pub fn without_ipython_notices(stdout: &str) -> String {
    nblift::verify::without_ipython_notices(stdout)
}

/// Where two texts first differ: the 1-based line number and that line of each, `<end>`
/// for the one that ends first.
pub fn first_differing_line<'a>(a: &'a str, b: &'a str) -> (usize, &'a str, &'a str) {
    let (mut a, mut b) = (a.lines(), b.lines());
    let mut number = 1;
    loop {
        match (a.next(), b.next()) {
            (Some(x), Some(y)) if x == y => number += 1,
            (x, y) => return (number, x.unwrap_or("<end>"), y.unwrap_or("<end>")),
        }
    }
}
