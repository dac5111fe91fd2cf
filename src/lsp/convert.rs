//! The command "Convert notebook to package" (`nblift.convert`): `nblift convert` on the
//! notebook as the editor shows it (unsaved edits included), next to the notebook file.

use std::path::{Path, PathBuf};

use clap::ValueEnum;
use serde::Deserialize;

use crate::cli::convert::{Settings, finish, prepare_loaded};
use crate::cli::render::Status;
use crate::emit::{Engine, UserTemplates};
use crate::lift::Split;
use crate::lsp::documents::Document;

/// The command's options: the CLI's flags, `-` written `_` (`template_dir`, `dry_run`); all
/// optional.
#[derive(Deserialize, Default, Debug)]
#[serde(default, deny_unknown_fields)]
pub struct ConvertOptions {
    /// The package folder; relative to the notebook's folder. Default: the package name,
    /// beside the notebook.
    output: Option<PathBuf>,
    name: Option<String>,
    split: Option<String>,
    export: Vec<String>,
    /// Relative to the notebook's folder.
    template_dir: Option<PathBuf>,
    force: bool,
    dry_run: bool,
}

/// Converts the document; the CLI's JSON report on success (`output` is the folder
/// written), or a message saying why nothing was written.
pub fn convert(document: &Document, options: ConvertOptions) -> Result<serde_json::Value, String> {
    let path = document
        .path()
        .ok_or("the notebook is not a file on disk; save it first")?;
    let split = match &options.split {
        None => Split::default(),
        Some(name) => value_of::<Split>(name, "split")?,
    };
    let mut exports = options
        .export
        .iter()
        .map(|name| value_of::<Engine>(name, "export"))
        .collect::<Result<Vec<_>, _>>()?;
    exports.sort();
    exports.dedup();
    let folder = path.parent().unwrap_or(Path::new(".")).to_path_buf();
    let templates = match &options.template_dir {
        Some(dir) => Some(UserTemplates::load(&folder.join(dir))?),
        None => None,
    };
    let prepared = prepare_loaded(&path, document.notebook(), options.name.as_deref());
    let output = match (&options.output, &prepared.package) {
        (Some(output), _) => folder.join(output),
        (None, Some(Ok(package))) => folder.join(package),
        // Refused or misnamed: `finish` reports why before any folder is needed.
        (None, _) => folder.join("package"),
    };
    let settings = Settings {
        inputs: vec![path.clone()],
        output: output.clone(),
        name: options.name,
        split,
        exports,
        templates,
        force: options.force,
        dry_run: options.dry_run,
        json: true,
    };
    let rendered = finish(prepared, &output, &settings);
    let report: serde_json::Value = serde_json::from_str(&rendered.stdout)
        .map_err(|error| format!("the conversion report is not JSON: {error}"))?;
    match rendered.status {
        Status::Converted | Status::DryRun => Ok(report),
        Status::Failed(message) => Err(message),
        _ => Err(first_error(&report)),
    }
}

/// A CLI value (`cells`, `prefect`) by the name the CLI takes.
fn value_of<T: ValueEnum>(name: &str, option: &str) -> Result<T, String> {
    T::from_str(name, true).map_err(|_| {
        let known: Vec<String> = T::value_variants()
            .iter()
            .filter_map(|v| v.to_possible_value().map(|p| p.get_name().to_owned()))
            .collect();
        format!(
            "`{name}` is not a valid `{option}` (one of: {})",
            known.join(", ")
        )
    })
}

/// The refusal's reason: its first error, with its place.
fn first_error(report: &serde_json::Value) -> String {
    let diagnostics = report["diagnostics"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let Some(error) = diagnostics.iter().find(|d| d["severity"] == "error") else {
        return "the notebook was not converted".to_owned();
    };
    let place = match (error["cell"].as_u64(), error["line"].as_u64()) {
        (Some(cell), Some(line)) => format!("cell {cell}, line {line}: "),
        (Some(cell), None) => format!("cell {cell}: "),
        _ => String::new(),
    };
    format!(
        "not converted: {place}{} [{}]",
        error["message"].as_str().unwrap_or_default(),
        error["code"].as_str().unwrap_or_default()
    )
}
