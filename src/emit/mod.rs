//! Back end: renders a [`Plan`] into the package's files with the handlebars templates under
//! `templates/`, embedded in the binary, in strict mode (a missing field is an error, not an
//! empty string) and with HTML escaping off (the output is Python, TOML and Markdown).
//!
//! It reads only the plan and the [`Source`] facts the driver gives it; the returned files
//! are sorted by path so the output is deterministic.

mod context;
pub mod engines;
pub mod graph;
mod literal;
mod user_templates;

use std::path::PathBuf;
use std::sync::OnceLock;

use handlebars::Handlebars;

pub use crate::emit::engines::Engine;
pub use crate::emit::user_templates::UserTemplates;
use crate::lift::Plan;

/// Where the notebook is, as the generated files refer to it.
pub struct Source {
    /// The notebook's file name.
    pub notebook_file: String,
    /// The notebook's folder relative to the output folder, `/`-separated.
    pub notebook_dir: String,
    /// The notebook's own problems that nblift's analysis found (unused imports,
    /// redefinitions, star imports), located, for the generated README.
    pub known_problems: Vec<String>,
}

/// One file of the package, relative to the output folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct File {
    pub path: PathBuf,
    pub contents: String,
}

/// Every embedded template as (name, file under `templates/`, text), from one list.
macro_rules! embedded {
    ($(($name:literal, $file:literal)),* $(,)?) => {
        &[$(($name, $file, include_str!(concat!("../../templates/", $file)))),*]
    };
}

const TEMPLATES: &[(&str, &str, &str)] = embedded![
    ("pyproject", "pyproject.toml.hbs"),
    ("readme", "README.md.hbs"),
    ("init", "__init__.py.hbs"),
    ("main", "__main__.py.hbs"),
    ("pipeline", "pipeline.py.hbs"),
    ("steps", "steps.py.hbs"),
    ("lib", "lib.py.hbs"),
    ("test", "test_pipeline.py.hbs"),
    ("flow", "flow.py.hbs"),
    ("process_state", "_process_state.py.hbs"),
    ("engine_prefect", "engines/prefect.py.hbs"),
    ("engine_airflow", "engines/airflow.py.hbs"),
    ("airflow_local", "engines/airflow_local.py.hbs"),
    ("engine_dagster", "engines/dagster.py.hbs"),
    ("engine_kedro", "engines/kedro.py.hbs"),
    ("kedro_catalog", "engines/kedro_conf/catalog.yml.hbs"),
    ("kedro_parameters", "engines/kedro_conf/parameters.yml.hbs"),
];

/// Pieces of text more than one template includes.
const PARTIALS: &[(&str, &str, &str)] = embedded![("parameter_preamble", "parameter_preamble.hbs")];

/// Kedro's logging settings, copied as they are.
const KEDRO_LOGGING: &str = include_str!("../../templates/engines/kedro_conf/logging.yml");

/// The support module is plain Python, copied as it is.
/// The runtime every package needs (`_nblift.py`), and what `--values`/`--trace` and
/// `nblift verify` compare (`_nblift_verify.py`, imported only when asked for).
const SUPPORT_MODULE_SOURCE: &str = include_str!("../../templates/_nblift.py");
const VERIFY_MODULE_SOURCE: &str = include_str!("../../templates/_nblift_verify.py");

/// The templates, parsed once per process: a batch renders thousands of packages.
fn registry() -> &'static Handlebars<'static> {
    static REGISTRY: OnceLock<Handlebars<'static>> = OnceLock::new();
    REGISTRY.get_or_init(new_registry)
}

fn new_registry() -> Handlebars<'static> {
    let mut handlebars = Handlebars::new();
    handlebars.set_strict_mode(true);
    handlebars.register_escape_fn(handlebars::no_escape);
    for (name, _, partial) in PARTIALS {
        handlebars
            .register_partial(name, *partial)
            .unwrap_or_else(|error| panic!("embedded partial `{name}` is invalid: {error}"));
    }
    for (name, _, template) in TEMPLATES {
        handlebars
            .register_template_string(name, *template)
            .unwrap_or_else(|error| panic!("embedded template `{name}` is invalid: {error}"));
    }
    handlebars
}

/// The package's files. The plan is consumed: its steps move into the template context one
/// at a time, and the rest is dropped before the context is serialised, so that a large
/// notebook's code is not held by the plan and the context at once.
pub fn render(
    mut plan: Plan,
    source: &Source,
    engines: &[Engine],
    user: Option<&UserTemplates>,
) -> Result<Vec<File>, handlebars::RenderError> {
    let handlebars: &Handlebars = match user {
        Some(user) => &user.registry,
        None => registry(),
    };
    let typed = context::build(&plan, source, engines, user.is_some());
    let json = handlebars::RenderErrorReason::SerdeError;
    let steps = context::steps(std::mem::take(&mut plan.steps)).map_err(json)?;
    let package = PathBuf::from("src").join(&plan.package);
    let has_library = plan.library.is_some();
    let changes_the_process = !plan.process_state.is_empty();
    drop(plan);
    // Serialised once for all the templates, not once per template.
    let mut context = serde_json::to_value(typed).map_err(json)?;
    context["steps"] = steps;
    let context = handlebars::Context::from(context);
    // (template, path) of every rendered file; `lib.py` only when definitions were lifted.
    let mut rendered: Vec<(&str, PathBuf)> = vec![
        ("pyproject", "pyproject.toml".into()),
        ("readme", "README.md".into()),
        ("init", package.join("__init__.py")),
        ("main", package.join("__main__.py")),
        ("pipeline", package.join("pipeline.py")),
        ("steps", package.join("steps.py")),
        ("test", "tests/test_pipeline.py".into()),
    ];
    if has_library {
        rendered.push(("lib", package.join("lib.py")));
    }
    if !engines.is_empty() {
        rendered.push(("flow", package.join("flow.py")));
        if changes_the_process {
            rendered.push(("process_state", package.join("_process_state.py")));
        }
    }
    for engine in engines {
        rendered.extend(engine.files(&package));
    }
    let mut files = vec![
        File {
            path: package.join("_nblift.py"),
            contents: SUPPORT_MODULE_SOURCE.to_owned(),
        },
        File {
            path: package.join("_nblift_verify.py"),
            contents: VERIFY_MODULE_SOURCE.to_owned(),
        },
    ];
    if engines.contains(&Engine::Kedro) {
        files.push(File {
            path: package.join("conf").join("logging.yml"),
            contents: KEDRO_LOGGING.to_owned(),
        });
    }
    for (template, path) in rendered {
        files.push(File {
            path,
            contents: handlebars.render_with_context(template, &context)?,
        });
    }
    for template in user.map_or(&[][..], |user| &user.added) {
        let path = template.strip_suffix(".hbs").unwrap_or(template);
        let path = PathBuf::from(handlebars.render_template_with_context(path, &context)?);
        // Rendered paths stay inside the output folder.
        if !path
            .components()
            .all(|c| matches!(c, std::path::Component::Normal(_)))
        {
            return Err(handlebars::RenderErrorReason::Other(format!(
                "template `{template}` renders to `{}`, outside the output folder",
                path.display()
            ))
            .into());
        }
        files.push(File {
            path,
            contents: handlebars.render_with_context(template, &context)?,
        });
    }
    for file in &mut files {
        tidy(&mut file.contents);
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// Trailing spaces go, and every file ends with exactly one newline (an empty file stays
/// empty). In place: a large notebook's `steps.py` is tens of megabytes, and a second copy
/// of every file would set the conversion's peak memory.
fn tidy(contents: &mut String) {
    let end = contents.trim_end().len();
    let mut bytes = std::mem::take(contents).into_bytes();
    let mut written = 0;
    let mut start = 0;
    while start < end {
        let stop = memchr::memchr(b'\n', &bytes[start..end]).map_or(end, |p| start + p);
        let kept = trimmed_len(&bytes[start..stop]);
        bytes.copy_within(start..start + kept, written);
        written += kept;
        match bytes.get_mut(written) {
            Some(byte) => *byte = b'\n',
            None => bytes.push(b'\n'),
        }
        written += 1;
        start = stop + 1;
    }
    bytes.truncate(written);
    bytes.shrink_to_fit();
    *contents = String::from_utf8(bytes)
        .unwrap_or_else(|error| String::from_utf8_lossy(error.as_bytes()).into_owned());
}

/// The length of `line` without its trailing whitespace (as `str::trim_end` counts it),
/// looking at the bytes: only a line ending in a non-ASCII character is decoded.
fn trimmed_len(line: &[u8]) -> usize {
    let mut len = line.len();
    loop {
        match line[..len].last() {
            Some(b' ' | b'\t' | b'\r' | 0x0b | 0x0c) => len -= 1,
            // Lines end at a `\n`, a character boundary, so each is UTF-8 on its own.
            Some(byte) if !byte.is_ascii() => {
                return std::str::from_utf8(&line[..len]).map_or(len, |text| text.trim_end().len());
            }
            _ => return len,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::tidy;

    fn tidied(text: &str) -> String {
        let mut text = text.to_owned();
        tidy(&mut text);
        text
    }

    #[test]
    fn tidy_strips_line_ends_and_ends_with_one_newline() {
        assert_eq!(tidied("a = 1  \n\n\tb = 2\t\r\n\n\n"), "a = 1\n\n\tb = 2\n");
        assert_eq!(tidied("no newline"), "no newline\n");
        assert_eq!(tidied("é  \nü"), "é\nü\n");
        assert_eq!(tidied("x = 1\u{a0}\u{3000} \ny\x0b"), "x = 1\ny\n");
        assert_eq!(tidied("  \n \n"), "");
        assert_eq!(tidied(""), "");
    }
}
