//! The `convert` and `check` drivers: load → analyse → lift → emit → write, stopping where an
//! error makes the later stages meaningless.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::analysis::{Analysis, analyze};
use crate::cli::Outcome;
use crate::cli::output::{OutputError, write_atomically};
use crate::cli::render::Report;
use crate::diagnostic::{Diagnostic, has_errors};
use crate::emit::{self, Source};
use crate::lift::naming::identifier;
use crate::lift::stdlib::is_stdlib;
use crate::lift::{self, Options, Split};
use crate::notebook::{Notebook, load_notebook};

pub struct Settings {
    pub notebook: PathBuf,
    pub output: PathBuf,
    pub name: Option<String>,
    pub split: Split,
    pub force: bool,
    pub dry_run: bool,
    pub json: bool,
}

/// A notebook read and analysed, with everything reported so far.
struct Front {
    notebook: Option<Notebook>,
    analysis: Option<Analysis>,
    diagnostics: Vec<Diagnostic>,
}

fn front_end(path: &Path) -> Result<Front, String> {
    let bytes =
        std::fs::read(path).map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
    let text = match String::from_utf8(bytes) {
        Ok(text) => text,
        Err(error) => {
            let offset = error.utf8_error().valid_up_to();
            let before = &error.as_bytes()[..offset];
            let line = before.iter().filter(|b| **b == b'\n').count() + 1;
            let column = offset
                - before
                    .iter()
                    .rposition(|b| *b == b'\n')
                    .map_or(0, |p| p + 1)
                + 1;
            let diagnostic =
                crate::diagnostic::invalid_json(line, column, "the file is not UTF-8 text");
            return Ok(Front {
                notebook: None,
                analysis: None,
                diagnostics: vec![diagnostic],
            });
        }
    };
    let notebook = match load_notebook(&text) {
        Ok(notebook) => notebook,
        Err(diagnostic) => {
            return Ok(Front {
                notebook: None,
                analysis: None,
                diagnostics: vec![diagnostic],
            });
        }
    };
    let (analysis, diagnostics) = analyze(&notebook);
    Ok(Front {
        notebook: Some(notebook),
        analysis: Some(analysis),
        diagnostics,
    })
}

pub fn check(path: &Path, json: bool) -> Outcome {
    let front = match front_end(path) {
        Ok(front) => front,
        Err(message) => return Report::failure(path, &message, json),
    };
    let report = Report::new(path, front.analysis.as_ref(), &front.diagnostics);
    report.print_diagnostics(json, "checked");
    if has_errors(&front.diagnostics) {
        Outcome::Errors
    } else {
        Outcome::Success
    }
}

pub fn convert(settings: &Settings) -> Outcome {
    let path = &settings.notebook;
    let front = match front_end(path) {
        Ok(front) => front,
        Err(message) => return Report::failure(path, &message, settings.json),
    };
    let (Some(notebook), Some(analysis)) = (&front.notebook, &front.analysis) else {
        Report::new(path, None, &front.diagnostics).print_diagnostics(settings.json, "refused");
        return Outcome::Errors;
    };
    let mut diagnostics = front.diagnostics;
    if has_errors(&diagnostics) {
        Report::new(path, Some(analysis), &diagnostics).print_diagnostics(settings.json, "refused");
        return Outcome::Errors;
    }

    let package = match package_name(settings, analysis) {
        Ok(package) => package,
        Err(message) => return Report::failure(path, &message, settings.json),
    };
    let options = Options {
        package,
        split: settings.split,
        local_modules: local_modules(path),
    };
    let (plan, lift_diagnostics) = lift::plan(notebook, analysis, &options);
    diagnostics.extend(lift_diagnostics);

    let source = Source {
        notebook_file: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        notebook_dir: relative_notebook_dir(path, &settings.output),
    };
    let files = match emit::render(&plan, &source) {
        Ok(files) => files,
        Err(error) => {
            return Report::failure(path, &format!("rendering failed: {error}"), settings.json);
        }
    };
    let report = Report::new(path, Some(analysis), &diagnostics);
    if settings.dry_run {
        report.print_conversion(settings.json, &settings.output, &plan.package, &files, true);
        return Outcome::Success;
    }
    match write_atomically(&settings.output, &files, settings.force) {
        Ok(()) => {
            report.print_conversion(
                settings.json,
                &settings.output,
                &plan.package,
                &files,
                false,
            );
            Outcome::Success
        }
        Err(OutputError(message)) => {
            report.print_diagnostics(settings.json, "failed");
            Report::failure(path, &message, settings.json)
        }
    }
}

/// The package name: `--name` when valid, else derived from the file name; never a keyword,
/// a standard-library module, or a module the notebook imports.
fn package_name(settings: &Settings, analysis: &Analysis) -> Result<String, String> {
    if let Some(name) = &settings.name {
        let valid = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        return if valid {
            Ok(name.clone())
        } else {
            Err(format!("`{name}` is not a valid Python package name"))
        };
    }
    let stem = settings
        .notebook
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = identifier(&stem, "notebook", 48);
    let imported: BTreeSet<&str> = analysis
        .statements()
        .flat_map(|(_, s)| s.modules.iter().map(String::as_str))
        .collect();
    if is_stdlib(&name) || imported.contains(name.as_str()) || name.ends_with('_') {
        Ok(format!("{}_pipeline", name.trim_end_matches('_')))
    } else {
        Ok(name)
    }
}

/// Modules beside the notebook (`x.py`, packages), which its imports may mean.
fn local_modules(notebook: &Path) -> BTreeSet<String> {
    let folder = notebook
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let Ok(entries) = std::fs::read_dir(folder) else {
        return BTreeSet::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let path = entry.path();
            let name = path.file_name()?.to_str()?.to_owned();
            if let Some(module) = name.strip_suffix(".py") {
                Some(module.to_owned())
            } else if path.join("__init__.py").is_file() {
                Some(name)
            } else {
                None
            }
        })
        .collect()
}

/// The notebook's folder relative to the output folder, for the generated tests.
fn relative_notebook_dir(notebook: &Path, output: &Path) -> String {
    let absolute = |p: &Path| std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    let folder = absolute(notebook)
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let relative = pathdiff::diff_paths(&folder, absolute(output)).unwrap_or(folder);
    let text = relative.to_string_lossy().replace('\\', "/");
    if text.is_empty() {
        ".".to_owned()
    } else {
        text
    }
}
