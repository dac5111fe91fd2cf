//! The driver, as a library: notebook → front end (load, translate, analyse) → plan → the
//! package's files, each step returning data. `cli`, `lsp` and `verify` are hosts over it:
//! they turn flags or requests into these calls and render or send what comes back; none
//! reads another's output. The notebook's surroundings come through a [`World`].

mod discover;
mod world;
mod write;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

pub use crate::diagnostic::{JsonDiagnostic, Located, Position, place};
pub use discover::{find_notebooks, unique_names};
pub use world::{Disk, Nowhere, World};
pub use write::{OutputError, write_atomically};

use crate::analysis::{Analysis, analyze};
use crate::diagnostic::{Diagnostic, has_errors};
use crate::emit::{self, Engine, File, Source, UserTemplates};
use crate::lift::naming::identifier;
use crate::lift::stdlib::is_stdlib;
use crate::lift::{self, Observed, Options, Plan, Split};
use crate::notebook::{Notebook, is_percent_script, load_notebook, load_percent};

/// A notebook through the front end.
pub enum Front {
    /// Read and analysed. Its diagnostics may hold errors: the notebook is then refused,
    /// but its analysis still locates them.
    Loaded(Loaded),
    /// Not a notebook nblift can read (not UTF-8, invalid JSON, an unknown nbformat): why.
    Unloadable(Vec<Diagnostic>),
}

pub struct Loaded {
    pub notebook: Notebook,
    pub analysis: Analysis,
    pub diagnostics: Vec<Diagnostic>,
}

impl Front {
    /// The notebook with its analysis, when it was loaded.
    pub fn analysed(&self) -> Option<(&Notebook, &Analysis)> {
        match self {
            Front::Loaded(loaded) => Some((&loaded.notebook, &loaded.analysis)),
            Front::Unloadable(_) => None,
        }
    }

    pub fn diagnostics(&self) -> &[Diagnostic] {
        match self {
            Front::Loaded(loaded) => &loaded.diagnostics,
            Front::Unloadable(diagnostics) => diagnostics,
        }
    }

    /// The diagnostics located in the notebook they point into.
    pub fn located(&self) -> Located {
        Located::new(self.analysed(), self.diagnostics())
    }
}

/// Reads the file at `path` (a notebook or a percent script) through the front end; `Err`
/// when it cannot be read at all.
pub fn read(path: &Path, world: &dyn World) -> Result<Front, String> {
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
            return Ok(Front::Unloadable(vec![diagnostic]));
        }
    };
    let loaded = if is_percent_script(path) {
        Ok(load_percent(&text))
    } else {
        load_notebook(&text)
    };
    // The file's text is as large as the notebook, and the analysis needs it no more.
    drop(text);
    Ok(match loaded {
        Ok(notebook) => analysed(notebook, world),
        Err(diagnostic) => Front::Unloadable(vec![diagnostic]),
    })
}

/// The front end over a notebook already in memory (an editor's unsaved text).
pub fn analysed(notebook: Notebook, world: &dyn World) -> Front {
    let (analysis, mut diagnostics) = analyze(&notebook);
    diagnostics.extend(missing_files(&analysis, world));
    Front::Loaded(Loaded {
        notebook,
        analysis,
        diagnostics,
    })
}

/// Files the notebook reads that are not there: only the world knows.
pub fn missing_files(analysis: &Analysis, world: &dyn World) -> Vec<Diagnostic> {
    crate::analysis::reproducibility::missing_files(&analysis.cells, &|path| {
        world.file_exists(path)
    })
}

/// One notebook through the front end, with the package name it will get.
pub struct Prepared {
    pub path: PathBuf,
    /// `Err` when the file cannot be read.
    front: Result<Front, String>,
    /// `None` when the notebook is refused (or failed) before naming.
    pub package: Option<Result<String, String>>,
    local_modules: BTreeSet<String>,
}

/// Why there is no plan, for the host to report.
pub enum NotPlanned {
    /// The file could not be read.
    Unreadable(String),
    /// Error diagnostics (the front end's, or those of the notebook without its skipped
    /// cells).
    Refused(Located),
    /// The package name is not valid Python.
    Misnamed(String, Located),
}

/// Load, translate, analyse and name the notebook at `path`, on disk: the part of a
/// conversion that needs no other notebook.
pub fn prepare(path: &Path, name: Option<&str>) -> Prepared {
    let world = Disk::around(path);
    prepared(path, read(path, &world), name, &world)
}

/// [`prepare`] for a notebook already in memory; `path` is where it lives, which names the
/// package and finds what is beside it.
pub fn prepare_loaded(path: &Path, notebook: Notebook, name: Option<&str>) -> Prepared {
    let world = Disk::around(path);
    prepared(path, Ok(analysed(notebook, &world)), name, &world)
}

fn prepared(
    path: &Path,
    front: Result<Front, String>,
    name: Option<&str>,
    world: &dyn World,
) -> Prepared {
    let package = match &front {
        Ok(Front::Loaded(loaded)) if !has_errors(&loaded.diagnostics) => {
            Some(package_name(path, name, &loaded.analysis))
        }
        _ => None,
    };
    Prepared {
        path: path.to_path_buf(),
        front,
        package,
        local_modules: world.local_modules(),
    }
}

impl Prepared {
    /// The front end's result, when the file could be read.
    pub fn front(&self) -> Option<&Front> {
        self.front.as_ref().ok()
    }

    /// The diagnostics so far, located (none when the file could not be read).
    pub fn located(&self) -> Located {
        self.front().map(Front::located).unwrap_or_default()
    }

    /// The plan with every diagnostic so far, or why there is none.
    pub fn plan(&self, split: Split) -> Result<(Plan, Vec<Diagnostic>), NotPlanned> {
        self.plan_with(split, &Observed::default())
    }

    /// [`Prepared::plan`], with what a run of the package found that the code does not show.
    pub fn plan_with(
        &self,
        split: Split,
        observed: &Observed,
    ) -> Result<(Plan, Vec<Diagnostic>), NotPlanned> {
        let front = match &self.front {
            Ok(front) => front,
            Err(message) => return Err(NotPlanned::Unreadable(message.clone())),
        };
        let (Front::Loaded(loaded), Some(package)) = (front, &self.package) else {
            return Err(NotPlanned::Refused(front.located()));
        };
        let package = package
            .as_ref()
            .map_err(|message| NotPlanned::Misnamed(message.clone(), front.located()))?;
        let options = Options {
            package: package.clone(),
            split,
            local_modules: self.local_modules.clone(),
            observed: observed.clone(),
        };
        // Kale's `skip` cells are left out under `--split tags`: the rest is analysed again
        // without them, so a name only a skipped cell defines is refused, not lost.
        let skipping = (split == Split::Tags)
            .then(|| lift::steps::without_skipped_cells(&loaded.notebook))
            .flatten();
        let reanalysed: (Notebook, Analysis);
        let (notebook, analysis, mut diagnostics) = match skipping {
            None => (
                &loaded.notebook,
                &loaded.analysis,
                loaded.diagnostics.clone(),
            ),
            Some((trimmed, notes)) => {
                let (analysis, mut diagnostics) = analyze(&trimmed);
                diagnostics.extend(missing_files(&analysis, &Disk::around(&self.path)));
                diagnostics.extend(notes);
                if has_errors(&diagnostics) {
                    let located = Located::new(Some((&trimmed, &analysis)), &diagnostics);
                    return Err(NotPlanned::Refused(located));
                }
                reanalysed = (trimmed, analysis);
                (&reanalysed.0, &reanalysed.1, diagnostics)
            }
        };
        let (plan, lift_diagnostics) = lift::plan(notebook, analysis, &options);
        diagnostics.extend(lift_diagnostics);
        Ok((plan, diagnostics))
    }
}

/// What a conversion asks for besides the notebook.
pub struct Request<'a> {
    pub split: Split,
    /// Orchestrator modules to add beside the plain pipeline.
    pub exports: &'a [Engine],
    /// The user's templates over the embedded ones.
    pub templates: Option<&'a UserTemplates>,
    /// What a run of the package found that the code does not show.
    pub observed: &'a Observed,
}

/// A package ready to write.
pub struct Conversion {
    pub package: String,
    pub files: Vec<File>,
    pub located: Located,
}

/// Why there is no package.
pub enum NotConverted {
    NotPlanned(NotPlanned),
    /// The templates failed to render (a user template's error, say).
    Render(String, Located),
}

/// Plan and render one prepared notebook as the package folder `output` (which only the
/// generated tests' path to the notebook depends on).
pub fn convert(
    prepared: Prepared,
    output: &Path,
    request: &Request<'_>,
) -> Result<Conversion, NotConverted> {
    let (plan, mut diagnostics) = prepared
        .plan_with(request.split, request.observed)
        .map_err(NotConverted::NotPlanned)?;
    if request.exports.is_empty() {
        diagnostics.retain(|d| !d.concerns_exports_only());
    }
    let path = prepared.path.as_path();
    let located = Located::new(prepared.front().and_then(Front::analysed), &diagnostics);
    let source = Source {
        notebook_file: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        notebook_dir: relative_notebook_dir(path, output),
        known_problems: located.known_problems(),
    };
    // The notebook and its analysis are not needed to render: free them first, which
    // lowers the peak memory of a large notebook.
    drop(prepared);
    let package = plan.package.clone();
    match emit::render(plan, &source, request.exports, request.templates) {
        Ok(files) => Ok(Conversion {
            package,
            files,
            located,
        }),
        Err(error) => Err(NotConverted::Render(
            format!("rendering failed: {error}"),
            located,
        )),
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
