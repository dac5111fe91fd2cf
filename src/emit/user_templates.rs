//! `--template-dir DIR`: a user's own handlebars templates. A file with the path of an
//! embedded template under `templates/` (`steps.py.hbs`, `engines/prefect.py.hbs`,
//! `parameter_preamble.hbs`) replaces it; any other `*.hbs` file is a file added to every
//! package, written at its path without `.hbs`, the path itself rendered (so
//! `src/{{package}}/tasks.py.hbs` lands in the package). Templates see the same context as
//! the embedded ones (documented in the README).

use std::path::Path;

use handlebars::Handlebars;

use crate::emit::{PARTIALS, TEMPLATES, registry};

/// The embedded templates with a user's folder laid over them, parsed once for a batch.
pub struct UserTemplates {
    pub(super) registry: Handlebars<'static>,
    /// The added files: each a template registered under its relative path, `.hbs` kept.
    pub(super) added: Vec<String>,
}

impl UserTemplates {
    /// Reads every `*.hbs` file under `dir`; an unreadable file or a template that does not
    /// parse is an error naming the file.
    pub fn load(dir: &Path) -> Result<UserTemplates, String> {
        if !dir.is_dir() {
            return Err(format!(
                "template folder `{}` is not a folder",
                dir.display()
            ));
        }
        let mut registry = registry().clone();
        let mut added = Vec::new();
        let mut entries: Vec<_> = walkdir::WalkDir::new(dir)
            .into_iter()
            .collect::<Result<_, _>>()
            .map_err(|e| format!("cannot read template folder `{}`: {e}", dir.display()))?;
        entries.sort_by(|a, b| a.path().cmp(b.path()));
        for entry in entries {
            let path = entry.path();
            if !entry.file_type().is_file() || path.extension().is_none_or(|e| e != "hbs") {
                continue;
            }
            let relative = path
                .strip_prefix(dir)
                .expect("walked under dir")
                .to_string_lossy()
                .replace('\\', "/");
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read template `{}`: {e}", path.display()))?;
            let invalid = |e: handlebars::TemplateError| {
                format!("template `{}` is invalid: {e}", path.display())
            };
            let embedded = |list: &[(&'static str, &str, &str)]| {
                list.iter()
                    .find(|(_, file, _)| *file == relative)
                    .map(|e| e.0)
            };
            if let Some(name) = embedded(TEMPLATES) {
                registry
                    .register_template_string(name, text)
                    .map_err(invalid)?;
            } else if let Some(name) = embedded(PARTIALS) {
                registry.register_partial(name, text).map_err(invalid)?;
            } else {
                registry
                    .register_template_string(&relative, text)
                    .map_err(invalid)?;
                added.push(relative);
            }
        }
        Ok(UserTemplates { registry, added })
    }
}
