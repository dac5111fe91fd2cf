//! Loading `.ipynb` JSON (nbformat 4.0–4.5 and 3) into a [`Notebook`].
//!
//! The serde schema names only the fields nblift uses, so outputs (images and HTML can be
//! megabytes of base64) are skipped by the JSON reader without being built. Failures are
//! sorted, as ruff does, into invalid JSON, not a notebook, and unsupported format.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, SeqAccess, Visitor};

use crate::diagnostic::{self, CellId, Diagnostic};
use crate::notebook::model::{Cell, CellKind, Notebook};

/// A cell's `source`: nbformat allows one string or a list of strings, joined here as the
/// JSON is read. (An untagged enum would copy the value first, then try each form in turn,
/// building an error for each form that does not fit.) `None` when missing or `null`.
#[derive(Default)]
struct Source(Option<String>);

impl Source {
    fn into_text(self) -> String {
        self.0.unwrap_or_default()
    }
}

impl<'de> Deserialize<'de> for Source {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(SourceVisitor)
    }
}

struct SourceVisitor;

impl<'de> Visitor<'de> for SourceVisitor {
    type Value = Source;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string or a list of strings")
    }

    fn visit_str<E: de::Error>(self, text: &str) -> Result<Source, E> {
        Ok(Source(Some(text.to_owned())))
    }

    fn visit_string<E: de::Error>(self, text: String) -> Result<Source, E> {
        Ok(Source(Some(text)))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Source, E> {
        Ok(Source(None))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut lines: A) -> Result<Source, A::Error> {
        let mut text = String::new();
        while lines.next_element_seed(AppendLine(&mut text))?.is_some() {}
        // A notebook keeps every cell's text: no room left from growing it.
        text.shrink_to_fit();
        Ok(Source(Some(text)))
    }
}

/// One line of a list source, appended to the text read so far.
struct AppendLine<'a>(&'a mut String);

impl<'de> DeserializeSeed<'de> for AppendLine<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for AppendLine<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, line: &str) -> Result<(), E> {
        self.0.push_str(line);
        Ok(())
    }
}

#[derive(Deserialize, Default)]
struct CellMetadata {
    #[serde(default)]
    tags: Option<Vec<String>>,
}

#[derive(Deserialize)]
struct RawCell {
    cell_type: String,
    #[serde(default)]
    source: Source,
    /// nbformat 3 code cells keep their text in `input`.
    #[serde(default)]
    input: Source,
    /// nbformat 3 heading cells.
    #[serde(default)]
    level: Option<u32>,
    #[serde(default)]
    metadata: Option<CellMetadata>,
    #[serde(default)]
    execution_count: Option<u32>,
    #[serde(default)]
    prompt_number: Option<serde_json::Value>,
    /// Only stdout stream text is read; everything else (images, HTML) is skipped unbuilt.
    #[serde(default)]
    outputs: Vec<RawOutput>,
}

#[derive(Deserialize)]
struct RawOutput {
    #[serde(default)]
    output_type: String,
    /// The stream's name (`stdout`, `stderr`); nbformat 3 calls it `stream`.
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    stream: Option<String>,
    #[serde(default)]
    text: Source,
}

#[derive(Deserialize, Default)]
struct KernelSpec {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    language: Option<String>,
}

#[derive(Deserialize, Default)]
struct LanguageInfo {
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize, Default)]
struct Metadata {
    #[serde(default)]
    kernelspec: Option<KernelSpec>,
    #[serde(default)]
    language_info: Option<LanguageInfo>,
    /// nbformat 3 keeps the language at the top of the metadata in some versions.
    #[serde(default)]
    language: Option<String>,
}

#[derive(Deserialize)]
struct Worksheet {
    #[serde(default)]
    cells: Vec<RawCell>,
}

#[derive(Deserialize)]
struct RawNotebook {
    #[serde(default)]
    nbformat: Option<u64>,
    #[serde(default)]
    metadata: Option<Metadata>,
    #[serde(default)]
    cells: Option<Vec<RawCell>>,
    #[serde(default)]
    worksheets: Option<Vec<Worksheet>>,
}

/// Reads notebook JSON. Errors are returned as diagnostics; no other stage can run without a
/// notebook, so the caller stops there.
pub fn load_notebook(text: &str) -> Result<Notebook, Diagnostic> {
    // A UTF-8 byte order mark is legal in files written by some Windows editors.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(diagnostic::invalid_json(1, 1, "the file is empty"));
    }
    let raw: RawNotebook = serde_json::from_str(text).map_err(|error| {
        // serde_json counts columns from 0 at the start of a line (before any character).
        let (line, column) = (error.line(), error.column().max(1));
        match error.classify() {
            serde_json::error::Category::Eof => diagnostic::truncated_json(line, column),
            serde_json::error::Category::Syntax | serde_json::error::Category::Io => {
                diagnostic::invalid_json(line, column, &strip_position(&error.to_string()))
            }
            serde_json::error::Category::Data => {
                diagnostic::invalid_notebook(line, column, &strip_position(&error.to_string()))
            }
        }
    })?;

    let nbformat = raw.nbformat.ok_or_else(diagnostic::missing_nbformat)?;
    let metadata = raw.metadata.unwrap_or_default();
    let raw_cells = match nbformat {
        4 => raw.cells.unwrap_or_default(),
        3 => raw
            .worksheets
            .unwrap_or_default()
            .into_iter()
            .flat_map(|w| w.cells)
            .collect(),
        other => return Err(diagnostic::unsupported_nbformat(other)),
    };

    let language = kernel_language(&metadata);
    if let Some(language) = &language {
        if !language.eq_ignore_ascii_case("python") {
            return Err(diagnostic::non_python_kernel(language));
        }
    }

    let mut cells: Vec<Cell> = raw_cells
        .into_iter()
        .enumerate()
        .map(|(index, raw)| convert_cell(CellId(index as u32), raw))
        .collect();
    // The collect reuses the raw cells' buffer, which is larger than the cells need and
    // would otherwise stay allocated, as deserialising grew it, for the whole conversion.
    cells.shrink_to_fit();
    Ok(Notebook {
        nbformat,
        language,
        cells,
    })
}

/// The language the kernel runs: kernelspec first, then `language_info`, then the v3 field,
/// then what a kernel name like `ir` or `julia-1.9` implies.
fn kernel_language(metadata: &Metadata) -> Option<String> {
    let spec = metadata.kernelspec.as_ref();
    spec.and_then(|k| k.language.clone())
        .or_else(|| metadata.language_info.as_ref().and_then(|l| l.name.clone()))
        .or_else(|| metadata.language.clone())
        .or_else(|| {
            spec.and_then(|k| k.name.as_deref())
                .and_then(language_of_kernel_name)
        })
        .map(|l| l.trim().to_owned())
        .filter(|l| !l.is_empty())
}

fn language_of_kernel_name(name: &str) -> Option<String> {
    let name = name.to_ascii_lowercase();
    if name.starts_with("python") || name.starts_with("conda") || name.contains("py") {
        Some("python".to_owned())
    } else if name == "ir" || name.starts_with("ir-") {
        Some("R".to_owned())
    } else if name.starts_with("julia") {
        Some("julia".to_owned())
    } else {
        None
    }
}

fn convert_cell(id: CellId, raw: RawCell) -> Cell {
    let tags = raw.metadata.and_then(|m| m.tags).unwrap_or_default();
    let (kind, source) = match raw.cell_type.as_str() {
        "code" => {
            let source = match raw.source {
                Source(None) => raw.input.into_text(),
                present => present.into_text(),
            };
            (CellKind::Code, source)
        }
        "markdown" => (CellKind::Markdown, raw.source.into_text()),
        // nbformat 3 heading cells become markdown headings, as nbformat's own upgrade does.
        "heading" => {
            let level = raw.level.unwrap_or(1).clamp(1, 6) as usize;
            (
                CellKind::Markdown,
                format!("{} {}", "#".repeat(level), raw.source.into_text()),
            )
        }
        _ => (CellKind::Raw, raw.source.into_text()),
    };
    let execution_count = raw.execution_count.or_else(|| {
        raw.prompt_number
            .as_ref()
            .and_then(|v| v.as_u64())
            .map(|n| n as u32)
    });
    let has_outputs = !raw.outputs.is_empty();
    let stdout: String = raw
        .outputs
        .into_iter()
        .filter(|o| {
            o.output_type == "stream" && o.name.as_deref().or(o.stream.as_deref()) == Some("stdout")
        })
        .map(|o| o.text.into_text())
        .collect();
    Cell {
        id,
        kind,
        source,
        tags,
        execution_count,
        saved_stdout: has_outputs.then(|| stdout.into_boxed_str()),
        first_line: 0,
    }
}

/// serde_json appends " at line L column C"; the diagnostic carries the position itself.
fn strip_position(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_owned(),
        None => message.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Code;

    fn check_error(json: &str, code: Code, message_part: &str) {
        let error = load_notebook(json).expect_err("should be refused");
        assert_eq!(error.code, code, "{error:?}");
        assert!(error.message.contains(message_part), "{}", error.message);
    }

    #[test]
    fn sources_as_string_and_as_list_are_the_same_text() {
        let nb = load_notebook(
            r#"{"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
                {"cell_type": "code", "source": "a = 1\nb = 2", "metadata": {}, "outputs": [], "execution_count": 1},
                {"cell_type": "code", "source": ["a = 1\n", "b = 2"], "metadata": {"tags": ["x"]}, "outputs": [{"output_type": "display_data", "data": {"image/png": "AAAA"}}], "execution_count": null}
            ]}"#,
        )
        .unwrap();
        assert_eq!(nb.cells[0].source, nb.cells[1].source);
        assert_eq!(nb.cells[0].execution_count, Some(1));
        assert_eq!(nb.cells[1].tags, vec!["x".to_owned()]);
    }

    #[test]
    fn nbformat3_worksheets_and_headings_are_upgraded() {
        let nb = load_notebook(
            r#"{"nbformat": 3, "nbformat_minor": 0, "metadata": {"name": "old"}, "worksheets": [{"cells": [
                {"cell_type": "heading", "level": 2, "source": ["Intro"], "metadata": {}},
                {"cell_type": "code", "input": ["x = 1\n", "print(x)"], "language": "python", "prompt_number": 4, "outputs": [], "metadata": {}}
            ]}]}"#,
        )
        .unwrap();
        assert_eq!(nb.cells[0].kind, CellKind::Markdown);
        assert_eq!(nb.cells[0].source, "## Intro");
        assert_eq!(nb.cells[1].source, "x = 1\nprint(x)");
        assert_eq!(nb.cells[1].execution_count, Some(4));
    }

    #[test]
    fn bad_inputs_are_sorted_by_kind() {
        check_error("{\"cells\": [", Code::InvalidJson, "truncated");
        check_error("{\"cells\": [}", Code::InvalidJson, "invalid notebook JSON");
        check_error("[1, 2]", Code::InvalidNotebook, "not a Jupyter notebook");
        check_error(
            r#"{"cells": []}"#,
            Code::UnsupportedNbformat,
            "no `nbformat`",
        );
        check_error(
            r#"{"nbformat": 5, "cells": []}"#,
            Code::UnsupportedNbformat,
            "nbformat 5",
        );
        check_error(
            r#"{"nbformat": 4, "metadata": {"kernelspec": {"name": "ir", "language": "R"}}, "cells": []}"#,
            Code::NonPythonKernel,
            "`R`",
        );
        check_error(
            r#"{"nbformat": 4, "metadata": {"kernelspec": {"name": "ir"}}, "cells": []}"#,
            Code::NonPythonKernel,
            "`R`",
        );
    }

    #[test]
    fn invalid_json_reports_line_and_column() {
        let error = load_notebook("{\n  \"nbformat\": 4\n  \"cells\": []\n}").unwrap_err();
        assert_eq!(
            error.location,
            crate::diagnostic::Location::File { line: 3, column: 3 }
        );
    }

    #[test]
    fn a_byte_order_mark_is_accepted() {
        let nb = load_notebook("\u{feff}{\"nbformat\": 4, \"cells\": []}").unwrap();
        assert!(nb.cells.is_empty());
    }
}
