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
    let cleaned = without_markup(text);
    let text = cleaned.trim();
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
    let mut rest: Vec<&str> = lines.collect();
    // A one-line summary, then a blank line, as PEP 257 has it.
    if rest.first().is_some_and(|line| !line.is_empty()) {
        rest.insert(0, "");
    }
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
    for line in without_markup(markdown).trim().lines() {
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

/// HTML tags that notebooks put in markdown for the rendered page (anchors, fonts, breaks,
/// centring), which read as noise in a docstring or a comment.
const HTML_TAGS: &[&str] = &[
    "a", "b", "br", "center", "div", "em", "font", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i",
    "img", "li", "ol", "p", "small", "span", "strong", "sub", "sup", "u", "ul",
];

/// Markdown as a docstring or comments hold it: without HTML tags (their text kept, so
/// `<font color="red">dark red</font>` reads `dark red`), and without horizontal rules
/// (`---`); lines left empty by that go, blank lines between paragraphs stay.
pub fn without_markup(markdown: &str) -> String {
    let mut out = String::with_capacity(markdown.len());
    for line in markdown.lines() {
        let trimmed = line.trim();
        let rule = trimmed.len() >= 3
            && ['-', '*', '_']
                .iter()
                .any(|&c| trimmed.chars().all(|t| t == c));
        if rule {
            continue;
        }
        let cleaned = without_html_tags(line);
        if cleaned.trim().is_empty() && !trimmed.is_empty() {
            continue;
        }
        // A rule between paragraphs leaves two blank lines: keep one.
        if cleaned.trim().is_empty() && (out.is_empty() || out.ends_with("\n\n")) {
            continue;
        }
        out.push_str(cleaned.trim_end());
        out.push('\n');
    }
    out
}

/// The line without the tags of [`HTML_TAGS`] (`<a id="x">`, `</font>`, `<br/>`).
fn without_html_tags(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut rest = line;
    while let Some(at) = rest.find('<') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let name_start = usize::from(after.starts_with('/'));
        let name: String = after[name_start..]
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect();
        let tail = &after[name_start + name.len()..];
        let closes = tail.starts_with(['>', ' ', '/', '\t']);
        match tail.find('>') {
            Some(end) if closes && HTML_TAGS.contains(&name.to_ascii_lowercase().as_str()) => {
                rest = &tail[end + 1..];
            }
            _ => {
                out.push('<');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markup_for_the_rendered_page_is_left_out() {
        let markdown = "## Batch norm<a id=\"impl\"></a>\n\n<a name=\"top\"></a>\nThe more <font color=\"#8b0000\">dark red</font>, the likelier.<br/>\n\n---\n\nIf x<y and y>z, `v <- 1` stays.";
        assert_eq!(
            without_markup(markdown),
            "## Batch norm\n\nThe more dark red, the likelier.\n\nIf x<y and y>z, `v <- 1` stays.\n"
        );
    }

    #[test]
    fn a_docstring_opens_with_a_summary_line() {
        assert_eq!(
            docstring("# Clean\nKeep orders.\nSort them.", "    ").unwrap(),
            "    \"\"\"Clean\n\n    Keep orders.\n    Sort them.\n    \"\"\""
        );
    }

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
