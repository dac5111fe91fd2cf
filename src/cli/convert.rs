//! The `convert` and `check` drivers: load → analyse → lift → emit → write, stopping where an
//! error makes the later stages meaningless.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use crate::analysis::{Analysis, analyze};
use crate::cli::output::{OutputError, write_atomically};
use crate::cli::render::{Rendered, Report, Status, to_stderr};
use crate::cli::{Outcome, batch, interrupt};
use crate::diagnostic::{Diagnostic, has_errors};
use crate::emit::{self, Source};
use crate::lift::naming::identifier;
use crate::lift::stdlib::is_stdlib;
use crate::lift::{self, Options, Plan, Split};
use crate::notebook::{Notebook, is_percent_script, load_notebook, load_percent};

pub struct Settings {
    pub inputs: Vec<PathBuf>,
    pub output: PathBuf,
    pub name: Option<String>,
    pub split: Split,
    /// Orchestrator modules to add beside the plain pipeline.
    pub exports: Vec<emit::Engine>,
    /// `--template-dir`: the user's templates over the embedded ones.
    pub templates: Option<emit::UserTemplates>,
    pub force: bool,
    pub dry_run: bool,
    pub json: bool,
}

/// A notebook read and analysed, with everything reported so far.
pub(crate) struct Front {
    pub notebook: Option<Notebook>,
    pub analysis: Option<Analysis>,
    pub diagnostics: Vec<Diagnostic>,
}

impl Front {
    /// The notebook with its analysis, when both are there.
    pub fn analysed(&self) -> Option<(&Notebook, &Analysis)> {
        Some((self.notebook.as_ref()?, self.analysis.as_ref()?))
    }
}

pub(crate) fn front_end(path: &Path) -> Result<Front, String> {
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
    let loaded = if is_percent_script(path) {
        Ok(load_percent(&text))
    } else {
        load_notebook(&text)
    };
    // The file's text is as large as the notebook, and the analysis needs it no more.
    drop(text);
    let front = match loaded {
        Ok(notebook) => front_of(notebook),
        Err(diagnostic) => Front {
            notebook: None,
            analysis: None,
            diagnostics: vec![diagnostic],
        },
    };
    Ok(with_missing_files(front, path))
}

/// Files the notebook reads that are not beside it: only the driver knows where it is.
fn with_missing_files(mut front: Front, path: &Path) -> Front {
    if let Some(analysis) = &front.analysis {
        front.diagnostics.extend(missing_files(analysis, path));
    }
    front
}

fn missing_files(analysis: &Analysis, path: &Path) -> Vec<Diagnostic> {
    let folder = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    crate::analysis::reproducibility::missing_files(&analysis.cells, folder)
}

fn front_of(notebook: Notebook) -> Front {
    let (analysis, diagnostics) = analyze(&notebook);
    Front {
        notebook: Some(notebook),
        analysis: Some(analysis),
        diagnostics,
    }
}

/// One notebook through the front end, with the package name it will get.
pub struct Prepared {
    pub path: PathBuf,
    /// `Err` when the file cannot be read.
    front: Result<Front, String>,
    /// `None` when the notebook is refused (or failed) before naming.
    pub package: Option<Result<String, String>>,
}

/// Load, translate, analyse and name: the part of a conversion that needs no other notebook.
pub fn prepare(path: &Path, name: Option<&str>) -> Prepared {
    prepared(path, front_end(path), name)
}

/// [`prepare`] for a notebook already in memory (an editor's unsaved text); `path` is where
/// it lives, which names the package and finds the modules beside it.
pub fn prepare_loaded(path: &Path, notebook: Notebook, name: Option<&str>) -> Prepared {
    prepared(path, Ok(with_missing_files(front_of(notebook), path)), name)
}

fn prepared(path: &Path, front: Result<Front, String>, name: Option<&str>) -> Prepared {
    let package = match &front {
        Ok(Front {
            analysis: Some(analysis),
            diagnostics,
            ..
        }) if !has_errors(diagnostics) => Some(package_name(path, name, analysis)),
        _ => None,
    };
    Prepared {
        path: path.to_path_buf(),
        front,
        package,
    }
}

/// `nblift check`: the front end alone, over every notebook found.
pub fn check(inputs: &[PathBuf], json: bool) -> Outcome {
    batch::run(inputs, json, |path| {
        let front = match front_end(path) {
            Ok(front) => front,
            Err(message) => return Rendered::failure(path, &message, json),
        };
        let report = Report::new(path, front.analysed(), &front.diagnostics);
        report.diagnostics(json, report.status())
    })
}

/// `nblift convert`: one notebook into OUT, or several into OUT/<package>/ each.
pub fn convert(settings: &Settings) -> Outcome {
    interrupt::install();
    if let [path] = settings.inputs.as_slice()
        && !path.is_dir()
    {
        let prepared = prepare(path, settings.name.as_deref());
        let rendered = finish(prepared, &settings.output, settings);
        rendered.print();
        return rendered.outcome();
    }
    if settings.name.is_some() {
        to_stderr("error: `--name` names one package; it cannot be used with several notebooks");
        return Outcome::Failure;
    }
    batch::convert_all(settings)
}

impl Prepared {
    /// The plan with every diagnostic so far, or the report of why there is none.
    pub fn plan(&self, split: Split, json: bool) -> Result<(Plan, Vec<Diagnostic>), Rendered> {
        let path = self.path.as_path();
        let front = match &self.front {
            Ok(front) => front,
            Err(message) => return Err(Rendered::failure(path, message, json)),
        };
        // Only a refusal or a failure is reported here: `finish` reports the rest.
        let report = || Report::new(path, front.analysed(), &front.diagnostics);
        let (Some(notebook), Some(analysis), Some(package)) =
            (&front.notebook, &front.analysis, &self.package)
        else {
            let report = report();
            return Err(report.diagnostics(json, report.status()));
        };
        let package = package
            .as_ref()
            .map_err(|message| report().failed(message, json))?;
        let options = Options {
            package: package.clone(),
            split,
            local_modules: local_modules(path),
        };
        // Kale's `skip` cells are left out under `--split tags`: the rest is analysed again
        // without them, so a name only a skipped cell defines is refused, not lost.
        let skipping = (split == Split::Tags)
            .then(|| lift::steps::without_skipped_cells(notebook))
            .flatten();
        let reanalysed: (Notebook, Analysis);
        let (notebook, analysis, mut diagnostics) = match skipping {
            None => (notebook, analysis, front.diagnostics.clone()),
            Some((trimmed, notes)) => {
                let (analysis, mut diagnostics) = analyze(&trimmed);
                diagnostics.extend(missing_files(&analysis, path));
                diagnostics.extend(notes);
                if has_errors(&diagnostics) {
                    let report = Report::new(path, Some((&trimmed, &analysis)), &diagnostics);
                    return Err(report.diagnostics(json, report.status()));
                }
                reanalysed = (trimmed, analysis);
                (&reanalysed.0, &reanalysed.1, diagnostics)
            }
        };
        let (plan, lift_diagnostics) = lift::plan(notebook, analysis, &options);
        diagnostics.extend(lift_diagnostics);
        Ok((plan, diagnostics))
    }

    /// The front end's result, when the file could be read.
    pub(crate) fn front(&self) -> Option<&Front> {
        self.front.as_ref().ok()
    }
}

/// Lift, emit and write one prepared notebook as the package folder `output`.
pub fn finish(prepared: Prepared, output: &Path, settings: &Settings) -> Rendered {
    let (plan, diagnostics) = match prepared.plan(settings.split, settings.json) {
        Ok(planned) => planned,
        Err(rendered) => return rendered,
    };
    let path = prepared.path.as_path();
    let report = Report::new(
        path,
        prepared.front().and_then(Front::analysed),
        &diagnostics,
    );
    let source = Source {
        notebook_file: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        notebook_dir: relative_notebook_dir(path, output),
        known_problems: report.known_problems(),
    };
    // The notebook and its analysis are not needed to render: free them first, which
    // lowers the peak memory of a large notebook.
    drop(prepared.front);
    let package = plan.package.clone();
    let files = match emit::render(
        plan,
        &source,
        &settings.exports,
        settings.templates.as_ref(),
    ) {
        Ok(files) => files,
        Err(error) => return report.failed(&format!("rendering failed: {error}"), settings.json),
    };
    if settings.dry_run {
        return report.conversion(settings.json, output, &package, &files, true);
    }
    match write_atomically(output, &files, settings.force) {
        Ok(()) => report.conversion(settings.json, output, &package, &files, false),
        Err(OutputError::Interrupted) => report.diagnostics(settings.json, Status::Interrupted),
        Err(OutputError::Io(message)) => report.failed(&message, settings.json),
    }
}

/// The package name: `name` when valid, else derived from the file name; never a keyword,
/// a standard-library module, or a module the notebook imports.
fn package_name(path: &Path, name: Option<&str>, analysis: &Analysis) -> Result<String, String> {
    if let Some(name) = name {
        let valid = name
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
            && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
        return if valid {
            Ok(name.to_owned())
        } else {
            Err(format!("`{name}` is not a valid Python package name"))
        };
    }
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let name = identifier(&stem, "notebook", 48);
    let imported: BTreeSet<&str> = analysis
        .statements()
        .flat_map(|(_, s)| s.modules.iter().map(crate::analysis::Name::as_str))
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
            let name = entry.file_name().to_str()?.to_owned();
            if let Some(module) = name.strip_suffix(".py") {
                return Some(module.to_owned());
            }
            // The entry's type comes with the listing; only folders cost a look inside.
            let is_package = entry.file_type().is_ok_and(|t| t.is_dir())
                && entry.path().join("__init__.py").is_file();
            is_package.then_some(name)
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
