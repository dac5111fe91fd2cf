//! Slicing and re-indenting the original cell text.
//!
//! Code is emitted as the user wrote it: whole lines of the cell, comments kept, indented into
//! a function body without touching lines that sit inside a multi-line string.

use rustpython_parser::text_size::{TextRange, TextSize};

pub use crate::notebook::lines::indent_lines;
use crate::notebook::lines::scan_lines;

/// Where each line of a text starts (lines split on `\n`), to find the line of an offset.
pub struct LineIndex {
    starts: Vec<usize>,
}

impl LineIndex {
    pub fn new(text: &str) -> Self {
        let mut starts = vec![0];
        starts.extend(memchr::memchr_iter(b'\n', text.as_bytes()).map(|at| at + 1));
        LineIndex { starts }
    }

    /// The zero-based line holding byte `offset` (binary search over line starts).
    pub fn line_of(&self, offset: TextSize) -> usize {
        let offset = usize::from(offset);
        match self.starts.binary_search(&offset) {
            Ok(line) => line,
            Err(next) => next - 1,
        }
    }

    /// First and last line (inclusive) of a range.
    pub fn line_span(&self, range: TextRange) -> (usize, usize) {
        let end = if range.is_empty() {
            range.end()
        } else {
            range.end() - TextSize::from(1)
        };
        (self.line_of(range.start()), self.line_of(end))
    }
}

/// A cell's text split into lines, with what the line scanner knows about each.
pub struct CellLines<'a> {
    pub lines: Vec<&'a str>,
    pub in_string: Vec<bool>,
}

impl<'a> CellLines<'a> {
    pub fn new(text: &'a str) -> Self {
        let lines = text
            .split('\n')
            .map(|l| l.strip_suffix('\r').unwrap_or(l))
            .collect();
        let in_string = scan_lines(text).iter().map(|s| s.in_string).collect();
        CellLines { lines, in_string }
    }
}

/// A docstring literal for `text`, indented for a function body.
pub fn docstring(text: &str, indent: &str) -> Option<String> {
    let text = text.trim();
    // A heading reads better without its markdown hashes.
    let stripped;
    let text = if text.starts_with('#') {
        stripped = text.trim_start_matches('#').trim_start().to_owned();
        stripped.as_str()
    } else {
        text
    };
    if text.is_empty() {
        return None;
    }
    let escaped = text.replace('\\', "\\\\").replace("\"\"\"", "\\\"\\\"\\\"");
    let mut lines = escaped.lines().map(str::trim_end);
    let first = lines.next().unwrap_or_default();
    let rest: Vec<&str> = lines.collect();
    let mut out = format!("{indent}\"\"\"{first}");
    if first.ends_with('"') && rest.is_empty() {
        out.push(' ');
    }
    if rest.is_empty() {
        out.push_str("\"\"\"");
        return Some(out);
    }
    out.push('\n');
    for line in rest {
        if !line.is_empty() {
            out.push_str(indent);
            out.push_str(line);
        }
        out.push('\n');
    }
    out.push_str(indent);
    out.push_str("\"\"\"");
    Some(out)
}

/// Markdown as `#` comment lines.
pub fn comment_block(markdown: &str, indent: &str, out: &mut String) {
    for line in markdown.trim().lines() {
        let line = line.trim_end();
        if line.is_empty() {
            out.push_str(indent);
            out.push_str("#\n");
        } else {
            out.push_str(indent);
            out.push_str("# ");
            out.push_str(line);
            out.push('\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indentation_skips_the_inside_of_multiline_strings() {
        let text = "s = '''\n  keep\n'''\nif s:\n    print(s)";
        let cell = CellLines::new(text);
        let mut out = String::new();
        indent_lines(
            cell.lines
                .iter()
                .copied()
                .zip(cell.in_string.iter().copied()),
            "    ",
            &mut out,
        );
        assert_eq!(
            out,
            "    s = '''\n  keep\n'''\n    if s:\n        print(s)\n"
        );
    }

    #[test]
    fn docstrings_escape_backslashes_and_quotes() {
        assert_eq!(docstring("Load", "    ").unwrap(), "    \"\"\"Load\"\"\"");
        assert_eq!(
            docstring("## Fit $\\alpha$\n\nSay \"\"\"hi\"\"\"", "    ").unwrap(),
            "    \"\"\"Fit $\\\\alpha$\n\n    Say \\\"\\\"\\\"hi\\\"\\\"\\\"\n    \"\"\""
        );
        assert_eq!(docstring("  ", ""), None);
    }

    #[test]
    fn lines_are_found_by_binary_search() {
        let cell = LineIndex::new("a = 1\nb = 2\n\nc = 3");
        assert_eq!(cell.line_of(TextSize::from(0)), 0);
        assert_eq!(cell.line_of(TextSize::from(6)), 1);
        assert_eq!(cell.line_of(TextSize::from(14)), 3);
        assert_eq!(
            cell.line_span(TextRange::new(TextSize::from(0), TextSize::from(11))),
            (0, 1)
        );
    }
}
