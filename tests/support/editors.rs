//! What the editor tests drive: Debian's chromium, and JupyterLab with jupyterlab-lsp and
//! nblift's extension (`editors/jupyterlab`, built with npm) in `target/jupyterlab-venv`.
//! Made on first use, like the other venvs; the extension is built again when its sources or
//! the venv's pins change.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use super::{made_once_from, make_venv, root, run_checked, target_dir, uv};

/// Debian's chromium, installed with apt-get when missing.
pub fn chromium() -> PathBuf {
    static CHROMIUM: OnceLock<PathBuf> = OnceLock::new();
    CHROMIUM
        .get_or_init(|| {
            run_checked(
                &mut Command::new(root().join("tests/support/editors/system-packages.sh")),
                "install Debian's chromium",
            );
            PathBuf::from("/usr/bin/chromium")
        })
        .clone()
}

const JUPYTERLAB_PINS: &str = "tests/support/editors/jupyterlab.txt";

/// The Python of `target/jupyterlab-venv`, with nblift's JupyterLab extension installed.
pub fn jupyterlab_python() -> PathBuf {
    static PYTHON: OnceLock<PathBuf> = OnceLock::new();
    PYTHON
        .get_or_init(|| {
            let venv = make_venv("jupyterlab-venv", JUPYTERLAB_PINS);
            install_jupyterlab_extension(&venv);
            venv.join("bin/python")
        })
        .clone()
}

/// The extension's sources: what is committed under `editors/jupyterlab`, not what a build
/// leaves there.
fn extension_sources() -> Vec<PathBuf> {
    let folder = root().join("editors/jupyterlab");
    let built = ["node_modules", "lib", "labextension"];
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(&folder)
        .into_iter()
        .filter_entry(|e| !built.iter().any(|b| e.file_name() == *b))
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| e.path().strip_prefix(&folder).unwrap().to_path_buf())
        .collect();
    files.sort();
    files
}

/// Builds the extension in `target/jupyterlab-extension` (npm ci, tsc, `jupyter labextension
/// build`) and installs it into the venv, unless that was done from the same sources and pins.
fn install_jupyterlab_extension(venv: &Path) {
    let sources = extension_sources();
    let mut wanted = fs::read_to_string(root().join(JUPYTERLAB_PINS)).expect("pins");
    for file in &sources {
        let text = fs::read(root().join("editors/jupyterlab").join(file)).expect("source");
        wanted.push_str(&format!("\n== {}\n", file.display()));
        wanted.push_str(&String::from_utf8_lossy(&text));
    }
    let bin = venv.join("bin");
    made_once_from("jupyterlab-extension", wanted, |build| {
        for file in &sources {
            let to = build.join(file);
            fs::create_dir_all(to.parent().unwrap()).expect("build folder");
            fs::copy(root().join("editors/jupyterlab").join(file), &to).expect("copy source");
        }
        let path = format!(
            "{}:{}",
            bin.display(),
            std::env::var("PATH").unwrap_or_default()
        );
        let npm = |args: &[&str]| {
            let mut command = Command::new("npm");
            command
                .args(args)
                .args(["--no-audit", "--no-fund"])
                .current_dir(build);
            command
        };
        run_checked(
            &mut npm(&["ci", "--loglevel=error"]),
            "npm ci (editors/jupyterlab)",
        );
        run_checked(
            Command::new(build.join("node_modules/.bin/tsc")).current_dir(build),
            "tsc (editors/jupyterlab)",
        );
        run_checked(
            Command::new(bin.join("jupyter"))
                .args(["labextension", "build", "."])
                .env("PATH", &path)
                .current_dir(build),
            "jupyter labextension build",
        );
        run_checked(
            Command::new(uv())
                .args([
                    "pip",
                    "install",
                    "--quiet",
                    "--no-build-isolation",
                    "--no-deps",
                ])
                .arg("--python")
                .arg(bin.join("python"))
                .arg(build)
                .env("UV_CACHE_DIR", target_dir().join("uv-cache"))
                .env("PATH", &path),
            "install the JupyterLab extension",
        );
    });
}
