//! A line scanner that knows, for each line of Python-like text, whether it starts inside a
//! multi-line string or continues an open bracket or a backslash.
//!
//! The IPython translation needs it (a `%` or `!` is a magic only at the start of a logical
//! line) before any parser can run, and re-indentation needs it (the inside of a multi-line
//! string must never be touched). It is deliberately lexical: quotes, brackets, comments and
//! backslashes, nothing else, so it works on text that does not parse yet.

#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct LineState {
    /// The line begins inside a triple-quoted string opened on an earlier line.
    pub in_string: bool,
    /// The line continues an earlier one (open bracket, backslash, or inside a string).
    pub continuation: bool,
}

impl LineState {
    /// A line that starts a new logical line, where IPython looks for its special syntax.
    pub fn starts_statement(self) -> bool {
        !self.continuation
    }
}

#[derive(Clone, Copy)]
struct OpenString {
    quote: u8,
    triple: bool,
}

/// Scans `text` and returns one state per line (lines split on `\n`).
pub fn scan_lines(text: &str) -> Vec<LineState> {
    let mut states = Vec::new();
    let mut string: Option<OpenString> = None;
    let mut depth: u32 = 0;
    let mut backslash = false;
    for line in text.split('\n') {
        states.push(LineState {
            in_string: string.is_some_and(|s| s.triple),
            continuation: string.is_some() || depth > 0 || backslash,
        });
        backslash = false;
        let bytes = line.trim_end_matches('\r').as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            let byte = bytes[i];
            if let Some(open) = string {
                if byte == b'\\' {
                    if i + 1 == bytes.len() {
                        backslash = true;
                    }
                    i += 2;
                    continue;
                }
                if byte == open.quote {
                    if !open.triple {
                        string = None;
                    } else if bytes[i..].starts_with(&[open.quote; 3]) {
                        string = None;
                        i += 3;
                        continue;
                    }
                }
                i += 1;
                continue;
            }
            match byte {
                b'#' => break,
                b'\'' | b'"' => {
                    let triple = bytes[i..].starts_with(&[byte; 3]);
                    string = Some(OpenString {
                        quote: byte,
                        triple,
                    });
                    i += if triple { 3 } else { 1 };
                    continue;
                }
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' => depth = depth.saturating_sub(1),
                b'\\' if i + 1 == bytes.len() => backslash = true,
                _ => {}
            }
            i += 1;
        }
        // A single-quoted string cannot span lines unless the line ends with a backslash.
        if string.is_some_and(|s| !s.triple) && !backslash {
            string = None;
        }
    }
    states
}

/// Indents `lines` by `prefix`, leaving lines inside multi-line strings and blank lines as
/// they are.
pub fn indent_lines<'a>(
    lines: impl Iterator<Item = (&'a str, bool)>,
    prefix: &str,
    out: &mut String,
) {
    for (line, in_string) in lines {
        if in_string {
            out.push_str(line);
        } else if !line.trim().is_empty() {
            out.push_str(prefix);
            out.push_str(line.trim_end());
        }
        out.push('\n');
    }
}

/// The byte offset where a line's code ends: the start of a trailing comment, or its length.
pub fn code_end(line: &str) -> usize {
    let bytes = line.as_bytes();
    let mut quote: Option<u8> = None;
    let mut i = 0;
    while i < bytes.len() {
        let byte = bytes[i];
        match quote {
            Some(q) => {
                if byte == b'\\' {
                    i += 1;
                } else if byte == q {
                    quote = None;
                }
            }
            None => match byte {
                b'#' => return i,
                b'\'' | b'"' => quote = Some(byte),
                _ => {}
            },
        }
        i += 1;
    }
    bytes.len()
}

/// The largest char boundary of `text` at or before `offset`.
pub fn floor_char_boundary(text: &str, mut offset: usize) -> usize {
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

/// Line `line` (0-based) of `text`, empty past its end.
pub fn line_text(text: &str, line: usize) -> &str {
    text.split('\n').nth(line).unwrap_or_default()
}

/// A byte column of line `from` as a byte column of line `to`, where one is the other's
/// translation: a line IPython dedents, or takes a prompt off, is the end of the line the user
/// wrote; a translated magic line keeps its columns, clamped to the other line.
pub fn map_column(from: &str, to: &str, column: usize) -> usize {
    let column = if from == to {
        column
    } else if to.ends_with(from) {
        column + (to.len() - from.len())
    } else if from.ends_with(to) {
        column.saturating_sub(from.len() - to.len())
    } else {
        column
    };
    floor_char_boundary(to, column.min(to.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, expect: &[(bool, bool)]) {
        let got: Vec<(bool, bool)> = scan_lines(text)
            .into_iter()
            .map(|s| (s.in_string, s.continuation))
            .collect();
        assert_eq!(got, expect, "{text:?}");
    }

    #[test]
    fn triple_quoted_strings_span_lines() {
        check(
            "x = '''\n%d\n'''\ny",
            &[(false, false), (true, true), (true, true), (false, false)],
        );
        check("x = \"\"\"a\"\"\"\n%y", &[(false, false), (false, false)]);
    }

    #[test]
    fn brackets_and_backslashes_continue_lines() {
        check(
            "f(1,\n  2)\n!ls",
            &[(false, false), (false, true), (false, false)],
        );
        check("x = 1 + \\\n  2", &[(false, false), (false, true)]);
    }

    #[test]
    fn quotes_and_brackets_in_comments_are_ignored() {
        check("x = 1  # it's (\ny", &[(false, false), (false, false)]);
        check("s = 'a # (' \ny", &[(false, false), (false, false)]);
    }

    #[test]
    fn escaped_quotes_do_not_close_strings() {
        check(
            "s = '''a\\'''\n'''\nz",
            &[(false, false), (true, true), (false, false)],
        );
    }

    #[test]
    fn code_end_skips_hashes_in_strings() {
        assert_eq!(code_end("x = '#' # c"), 8);
        assert_eq!(code_end("len?"), 4);
    }
}
