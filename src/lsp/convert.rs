//! The command "Convert notebook to package" (`nblift.convert`): the library driver
//! (`crate::compile`) on the notebook as the editor shows it (unsaved edits included), next
//! to the notebook file.

use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::json;

use crate::compile::{
    self, JsonDiagnostic, Located, NotConverted, NotPlanned, OutputError, Request, place,
    write_atomically,
};
use crate::emit::{Engine, UserTemplates};
use crate::lift::Split;
use crate::lsp::documents::{Content, Document};
use crate::named::Named;

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

/// Converts the document; on success the same report as `nblift convert --format json`
/// (`output` is the folder written), or a message saying why nothing was written.
pub fn convert(document: &Document, options: ConvertOptions) -> Result<serde_json::Value, String> {
    let path = document
        .path()
        .ok_or("the notebook is not a file on disk; save it first")?;
    // A virtual document nblift could not align has no cells: nothing to convert.
    if let Content::Virtual(open) = &document.content
        && let Err(reason) = &open.aligned
    {
        return Err(format!("not converted: {reason}"));
    }
    let split = match &options.split {
        None => Split::default(),
        Some(name) => Split::parse(name, "split")?,
    };
    let mut exports = options
        .export
        .iter()
        .map(|name| Engine::parse(name, "export"))
        .collect::<Result<Vec<_>, _>>()?;
    exports.sort();
    exports.dedup();
    let folder = path.parent().unwrap_or(Path::new(".")).to_path_buf();
    let templates = match &options.template_dir {
        Some(dir) => Some(UserTemplates::load(&folder.join(dir))?),
        None => None,
    };
    let prepared = compile::prepare_loaded(&path, document.notebook(), options.name.as_deref());
    let output = match (&options.output, &prepared.package) {
        (Some(output), _) => folder.join(output),
        (None, Some(Ok(package))) => folder.join(package),
        // Refused or misnamed: the conversion says why before any folder is needed.
        (None, _) => folder.join("package"),
    };
    let request = Request {
        split,
        exports: &exports,
        templates: templates.as_ref(),
        observed: &Default::default(),
    };
    let conversion = match compile::convert(prepared, &output, &request) {
        Ok(conversion) => conversion,
        Err(NotConverted::NotPlanned(NotPlanned::Refused(located))) => {
            return Err(refusal(&located));
        }
        Err(
            NotConverted::NotPlanned(
                NotPlanned::Unreadable(message) | NotPlanned::Misnamed(message, _),
            )
            | NotConverted::Render(message, _),
        ) => return Err(message),
    };
    if !options.dry_run {
        // An editor has no Ctrl-C: the write is never cancelled.
        write_atomically(&output, &conversion.files, options.force, &|| false).map_err(
            |error| match error {
                OutputError::Io(message) => message,
                OutputError::Interrupted => "interrupted".to_owned(),
            },
        )?;
    }
    let files: Vec<String> = conversion
        .files
        .iter()
        .map(|f| f.path.display().to_string().replace('\\', "/"))
        .collect();
    let diagnostics: Vec<JsonDiagnostic> = conversion
        .located
        .diagnostics
        .iter()
        .map(JsonDiagnostic::from)
        .collect();
    Ok(json!({
        "notebook": path.display().to_string(),
        "status": if options.dry_run { "dry-run" } else { "converted" },
        "output": output.display().to_string(),
        "package": conversion.package,
        "files": files,
        "diagnostics": diagnostics,
        "error": null,
    }))
}

/// The refusal's reason: its first error, with its place.
fn refusal(located: &Located) -> String {
    let Some((error, position)) = located.first_error() else {
        return "the notebook was not converted".to_owned();
    };
    let place = match position {
        (None, None, _) => String::new(),
        _ => format!("{}: ", place(*position)),
    };
    format!(
        "not converted: {place}{} [{}]",
        error.message,
        error.code.as_str()
    )
}
