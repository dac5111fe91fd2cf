//! Jupytext "percent" scripts: a `.py` file whose cells start at `# %%` lines, the format VS
//! Code, Spyder, PyCharm and jupytext share.
//!
//! ```text
//! # %% [markdown]          a markdown cell: its lines are comments, `# ` is taken off
//! # # Title
//! # %% Load tags=["parameters"]
//! rows = 10                a code cell, titled "Load", tagged `parameters`
//! ```
//!
//! Each cell keeps the line of the file where its text starts, so a diagnostic points at the
//! file's own line. Code before the first marker is a cell too; a jupytext header (`# ---`
//! … `# ---` at the very top) is metadata, not a cell. Commented-out magics (`# %time`) stay
//! comments: that is what running the cell in an editor's interactive window does.

use crate::diagnostic::CellId;
use crate::notebook::model::{Cell, CellKind, Notebook};

/// Whether a file should be read as a percent script rather than notebook JSON.
pub fn is_percent_script(path: &std::path::Path) -> bool {
    path.extension().is_some_and(|e| e == "py")
}

/// A marker line's kind and tags, or `None` when the line is not a marker.
fn marker(line: &str) -> Option<(CellKind, Vec<String>)> {
    let rest = line
        .trim_end()
        .strip_prefix("# %%")
        .or_else(|| line.trim_end().strip_prefix("#%%"))?;
    // `# %%%` or `# %%time` are comments, not markers.
    if !(rest.is_empty() || rest.starts_with(' ')) {
        return None;
    }
    let kind = if rest.contains("[markdown]") || rest.contains("[md]") {
        CellKind::Markdown
    } else if rest.contains("[raw]") {
        CellKind::Raw
    } else {
        CellKind::Code
    };
    let tags = rest
        .find("tags=")
        .and_then(|at| {
            let value = &rest[at + "tags=".len()..];
            let end = value.find(']')? + 1;
            serde_json::from_str::<Vec<String>>(&value[..end]).ok()
        })
        .unwrap_or_default();
    Some((kind, tags))
}

/// The lines of a jupytext header at the top of the file, if there is one: `# ---`, comment
/// lines only, `# ---`. Anything else between two such lines is code, not a header.
fn header_lines(lines: &[&str]) -> usize {
    if lines.first().map(|l| l.trim_end()) != Some("# ---") {
        return 0;
    }
    for (index, line) in lines.iter().enumerate().skip(1) {
        match line.trim_end() {
            "# ---" => return index + 1,
            comment if comment.starts_with('#') => continue,
            _ => return 0,
        }
    }
    0
}

/// A markdown line without its comment prefix.
fn uncomment(line: &str) -> &str {
    line.strip_prefix("# ")
        .or_else(|| line.strip_prefix('#'))
        .unwrap_or(line)
}

/// Reads a percent script. Every text is a valid script, so this cannot fail.
pub fn load_percent(text: &str) -> Notebook {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let lines: Vec<&str> = text.split('\n').collect();
    let start = header_lines(&lines);
    let mut cells: Vec<Cell> = Vec::new();
    // The cell being read: kind, tags, first line of its text, its lines.
    let mut current: (CellKind, Vec<String>, usize, Vec<&str>) =
        (CellKind::Code, Vec::new(), start, Vec::new());
    let mut finish = |(kind, tags, first_line, body): (CellKind, Vec<String>, usize, Vec<&str>),
                      implicit: bool| {
        let mut body: Vec<&str> = body
            .iter()
            .map(|l| l.strip_suffix('\r').unwrap_or(l))
            .collect();
        // jupytext separates cells with a blank line; it is not part of the cell.
        while body.last().is_some_and(|l| l.trim().is_empty()) {
            body.pop();
        }
        // Code before the first marker is a cell only when there is some.
        if implicit && body.iter().all(|l| l.trim().is_empty()) {
            return;
        }
        if kind == CellKind::Markdown {
            body = body.into_iter().map(uncomment).collect();
        }
        cells.push(Cell {
            id: CellId(cells.len() as u32),
            kind,
            source: body.join("\n"),
            tags,
            execution_count: None,
            saved_stdout: None,
            first_line: first_line as u32,
        });
    };
    let mut implicit = true;
    for (number, line) in lines.iter().enumerate().skip(start) {
        if let Some((kind, tags)) = marker(line) {
            let done = std::mem::replace(&mut current, (kind, tags, number + 1, Vec::new()));
            finish(done, implicit);
            implicit = false;
        } else {
            current.3.push(line);
        }
    }
    finish(current, implicit);
    Notebook {
        nbformat: 4,
        language: Some("python".to_owned()),
        cells,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_start_at_markers_and_keep_their_file_lines() {
        let notebook = load_percent(
            "import os\n\n# %% [markdown]\n# # Title\n# text\n\n# %% Load tags=[\"parameters\"]\nrows = 10\n\n# %%\nprint(rows)\n",
        );
        let cells: Vec<(CellKind, &str, u32, &[String])> = notebook
            .cells
            .iter()
            .map(|c| (c.kind, c.source.as_str(), c.first_line, c.tags.as_slice()))
            .collect();
        assert_eq!(
            cells,
            vec![
                (CellKind::Code, "import os", 0, &[][..]),
                (CellKind::Markdown, "# Title\ntext", 3, &[][..]),
                (
                    CellKind::Code,
                    "rows = 10",
                    7,
                    &["parameters".to_owned()][..]
                ),
                (CellKind::Code, "print(rows)", 10, &[][..]),
            ]
        );
    }

    #[test]
    fn a_jupytext_header_is_not_a_cell_and_magic_comments_are_not_markers() {
        let notebook = load_percent(
            "# ---\n# jupyter:\n#   kernelspec: {}\n# ---\n\n# %%\n# %%time is a comment\nx = 1\n",
        );
        assert_eq!(notebook.cells.len(), 1);
        assert_eq!(notebook.cells[0].source, "# %%time is a comment\nx = 1");
        assert_eq!(notebook.cells[0].first_line, 6);
    }

    #[test]
    fn code_between_two_rules_is_code_not_a_header() {
        let notebook =
            load_percent("# ---\nimport pandas as pd\n# ---\n# %%\ndf = pd.DataFrame()\n");
        assert_eq!(
            notebook.cells[0].source,
            "# ---\nimport pandas as pd\n# ---"
        );
        assert_eq!(notebook.cells[1].source, "df = pd.DataFrame()");
    }

    #[test]
    fn a_script_without_markers_is_one_cell() {
        let notebook = load_percent("x = 1\r\nprint(x)\r\n");
        assert_eq!(notebook.cells.len(), 1);
        assert_eq!(notebook.cells[0].source, "x = 1\nprint(x)");
    }
}
