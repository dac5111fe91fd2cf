//! jupyterlab-lsp's rewriting of IPython syntax, both ways: JupyterLab sends a notebook's
//! code cells to a language server with `%magic`, `!cmd` and `obj?` already turned into
//! `get_ipython()` calls. [`encode_cell`] does what jupyterlab-lsp does to a cell, so a saved
//! cell can be found in the text it sends; [`decode_cell`] gives the cell the user wrote back.
//!
//! The patterns are jupyterlab-lsp 5's (`transclusions/ipython/overrides.ts`), kept as
//! they are, quirks included: they decide what the server receives. A cell magic is matched
//! on the whole cell, the others line by line, the first pattern that matches a line winning.

use std::sync::LazyLock;

use regex::{Captures, NoExpand, Regex};

/// Cell magics whose body jupyterlab-lsp keeps as code between two marker comments.
const MAGICS_TO_UNWRAP: [&str; 2] = ["time", "capture"];

/// The start of a line that may hold a line magic: indentation, or an assignment's target
/// (`x = !ls`, `x = %ls`).
const LINE_MAGIC_PREFIX: &str = r"^(\s*|\s*\S+\s*=\s*)";

/// A name `obj?` asks about.
const PYTHON_IDENTIFIER: &str = r#"([^?\s'"\(\)-\+/#]+)"#;

fn regex(pattern: &str) -> Regex {
    Regex::new(pattern).expect("jupyterlab-lsp's patterns are valid")
}

static CELL_MAGIC: LazyLock<Regex> = LazyLock::new(|| regex(r"^%%(\S+)(.*\n)((?s:.*))"));
static SHELL: LazyLock<Regex> =
    LazyLock::new(|| regex(&format!(r"{LINE_MAGIC_PREFIX}!([^=\s]+)(.*)")));
static INFO_BEFORE: LazyLock<Regex> =
    LazyLock::new(|| regex(&format!(r"^(\s*)(\?{{1,2}}){PYTHON_IDENTIFIER}$")));
static INFO_AFTER: LazyLock<Regex> =
    LazyLock::new(|| regex(&format!(r"^(\s*){PYTHON_IDENTIFIER}(\?{{1,2}})")));
static LINE_MAGIC: LazyLock<Regex> =
    LazyLock::new(|| regex(&format!(r"{LINE_MAGIC_PREFIX}%(\S+)(.*)")));

static CELL_MAGIC_CALL: LazyLock<Regex> = LazyLock::new(|| {
    regex(r#"^get_ipython\(\)\.run_cell_magic\("(.*?)", "(.*?)", """((?s:.*))"""\)"#)
});
static CELL_MAGIC_UNWRAPPED: LazyLock<Regex> = LazyLock::new(|| {
    regex(r#"^# START_CELL_MAGIC\("(.*?)", "(.*?)"\)\n((?s:.*))\n# END_CELL_MAGIC$"#)
});
static SHELL_CALL: LazyLock<Regex> =
    LazyLock::new(|| regex(r#"get_ipython\(\)\.getoutput\("(.*?)"\)"#));
static INFO_BEFORE_CALL: LazyLock<Regex> =
    LazyLock::new(|| regex(r"get_ipython\(\)\.run_line_magic\('(pinfo2?)', '(.*?)'\)"));
static INFO_AFTER_CALL: LazyLock<Regex> =
    LazyLock::new(|| regex(r"get_ipython\(\)\.run_line_magic\('(pinfo2?)',  '(.*?)'\)"));
static LINE_MAGIC_CALL: LazyLock<Regex> =
    LazyLock::new(|| regex(r#"get_ipython\(\)\.run_line_magic\("(.*?)", "(.*?)"\)"#));

fn escape(text: &str) -> String {
    text.replace('\\', r"\\").replace('"', r#"\""#)
}

fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\'
            && let Some(&next @ ('\\' | '"')) = chars.peek()
        {
            out.push(next);
            chars.next();
        } else {
            out.push(c);
        }
    }
    out
}

fn group<'t>(captures: &Captures<'t>, index: usize) -> &'t str {
    captures.get(index).map_or("", |m| m.as_str())
}

fn marks(command: &str) -> &'static str {
    if command == "pinfo" { "?" } else { "??" }
}

fn info_command(marks: &str) -> &'static str {
    if marks == "?" { "pinfo" } else { "pinfo2" }
}

/// A code cell as jupyterlab-lsp sends it.
pub fn encode_cell(source: &str) -> String {
    if let Some(c) = CELL_MAGIC.captures(source) {
        let name = group(&c, 1);
        let first_line = escape(group(&c, 2).strip_suffix('\n').unwrap_or_default());
        // Escaped for both forms, as jupyterlab-lsp does.
        let body = group(&c, 3).replace(r#"""""#, r#"\"\"\""#);
        return if MAGICS_TO_UNWRAP.contains(&name) {
            format!("# START_CELL_MAGIC(\"{name}\", \"{first_line}\")\n{body}\n# END_CELL_MAGIC")
        } else {
            format!(r#"get_ipython().run_cell_magic("{name}", "{first_line}", """{body}""")"#)
        };
    }
    let lines: Vec<String> = source.split('\n').map(encode_line).collect();
    lines.join("\n")
}

fn encode_line(line: &str) -> String {
    let replaced = if let Some(c) = SHELL.captures(line) {
        let (prefix, command, rest) = (group(&c, 1), group(&c, 2), group(&c, 3));
        SHELL.replacen(
            line,
            1,
            NoExpand(&format!(
                r#"{prefix}get_ipython().getoutput("{command}{rest}")"#
            )),
        )
    } else if let Some(c) = INFO_BEFORE.captures(line) {
        let (indent, marks, name) = (group(&c, 1), group(&c, 2), group(&c, 3));
        let command = info_command(marks);
        INFO_BEFORE.replacen(
            line,
            1,
            NoExpand(&format!(
                "{indent}get_ipython().run_line_magic('{command}', '{name}')"
            )),
        )
    } else if let Some(c) = INFO_AFTER.captures(line) {
        let (indent, name, marks) = (group(&c, 1), group(&c, 2), group(&c, 3));
        let command = info_command(marks);
        // Two spaces tell `x?` from `?x` on the way back.
        INFO_AFTER.replacen(
            line,
            1,
            NoExpand(&format!(
                "{indent}get_ipython().run_line_magic('{command}',  '{name}')"
            )),
        )
    } else if let Some(c) = LINE_MAGIC.captures(line) {
        let (prefix, name, arguments) = (group(&c, 1), group(&c, 2), escape(group(&c, 3)));
        LINE_MAGIC.replacen(
            line,
            1,
            NoExpand(&format!(
                r#"{prefix}get_ipython().run_line_magic("{name}", "{arguments}")"#
            )),
        )
    } else {
        return line.to_owned();
    };
    replaced.into_owned()
}

/// The cell the user wrote, from a code cell as jupyterlab-lsp sends it.
pub fn decode_cell(text: &str) -> String {
    let cell_magic = CELL_MAGIC_CALL
        .captures(text)
        .or_else(|| CELL_MAGIC_UNWRAPPED.captures(text));
    if let Some(c) = cell_magic {
        let body = group(&c, 3).replace(r#"\"\"\""#, r#"""""#);
        return format!("%%{}{}\n{body}", group(&c, 1), unescape(group(&c, 2)));
    }
    let lines: Vec<String> = text.split('\n').map(decode_line).collect();
    lines.join("\n")
}

fn decode_line(line: &str) -> String {
    let replaced = if let Some(c) = SHELL_CALL.captures(line) {
        let command = group(&c, 1);
        SHELL_CALL.replacen(line, 1, NoExpand(&format!("!{command}")))
    } else if let Some(c) = INFO_BEFORE_CALL.captures(line) {
        let (marks, name) = (marks(group(&c, 1)), group(&c, 2));
        INFO_BEFORE_CALL.replacen(line, 1, NoExpand(&format!("{marks}{name}")))
    } else if let Some(c) = INFO_AFTER_CALL.captures(line) {
        let (marks, name) = (marks(group(&c, 1)), group(&c, 2));
        INFO_AFTER_CALL.replacen(line, 1, NoExpand(&format!("{name}{marks}")))
    } else if let Some(c) = LINE_MAGIC_CALL.captures(line) {
        let (name, arguments) = (group(&c, 1), unescape(group(&c, 2)));
        LINE_MAGIC_CALL.replacen(line, 1, NoExpand(&format!("%{name}{arguments}")))
    } else {
        return line.to_owned();
    };
    replaced.into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// jupyterlab-lsp's own examples (`overrides.spec.ts`), both ways.
    #[test]
    fn rewrites_as_jupyterlab_lsp_does() {
        let cases = [
            (
                "%%MAGIC\nsome text\n",
                r#"get_ipython().run_cell_magic("MAGIC", "", """some text
""")"#,
            ),
            (
                "%%MAGIC\n",
                r#"get_ipython().run_cell_magic("MAGIC", "", """""")"#,
            ),
            (
                "%%MAGIC \"arg in quotes\"\ntext",
                r#"get_ipython().run_cell_magic("MAGIC", " \"arg in quotes\"", """text""")"#,
            ),
            (
                "%%capture --no-display\ntext",
                "# START_CELL_MAGIC(\"capture\", \" --no-display\")\ntext\n# END_CELL_MAGIC",
            ),
            (
                "%%MAGIC\n\"\"\"doc\"\"\"\n",
                r#"get_ipython().run_cell_magic("MAGIC", "", """\"\"\"doc\"\"\"
""")"#,
            ),
            (
                "%MAGIC line = dd",
                r#"get_ipython().run_line_magic("MAGIC", " line = dd")"#,
            ),
            ("x =%ls", r#"x =get_ipython().run_line_magic("ls", "")"#),
            ("x = %ls", r#"x = get_ipython().run_line_magic("ls", "")"#),
            (
                "%MAGIC \"arg\"",
                r#"get_ipython().run_line_magic("MAGIC", " \"arg\"")"#,
            ),
            ("!ls -la", r#"get_ipython().getoutput("ls -la")"#),
            ("files = !ls", r#"files = get_ipython().getoutput("ls")"#),
            ("?int", "get_ipython().run_line_magic('pinfo', 'int')"),
            ("int??", "get_ipython().run_line_magic('pinfo2',  'int')"),
            (
                "    %time f()",
                r#"    get_ipython().run_line_magic("time", " f()")"#,
            ),
            // The user's text goes in as written: a `$` is no group of the pattern.
            (
                "!echo $HOME $1 $$",
                r#"get_ipython().getoutput("echo $HOME $1 $$")"#,
            ),
            (
                "%env P=$PATH",
                r#"get_ipython().run_line_magic("env", " P=$PATH")"#,
            ),
            // A docstring's quotes are escaped in an unwrapped cell magic too.
            (
                "%%time\n\"\"\"doc\"\"\"\nx = 1",
                "# START_CELL_MAGIC(\"time\", \"\")\n\\\"\\\"\\\"doc\\\"\\\"\\\"\nx = 1\n# END_CELL_MAGIC",
            ),
        ];
        for (cell, sent) in cases {
            assert_eq!(encode_cell(cell), sent, "encoding {cell:?}");
            assert_eq!(decode_cell(sent), cell, "decoding {sent:?}");
        }
    }

    #[test]
    fn leaves_python_alone() {
        for cell in [
            "list(\"%\")",
            "list(\" %test\")",
            "3 % 2",
            "3%2",
            "a != b",
            "x!=y",
            "def f():\n    return 1\n\n\nf()",
        ] {
            assert_eq!(encode_cell(cell), cell);
            assert_eq!(decode_cell(cell), cell);
        }
    }

    #[test]
    fn a_line_magic_in_a_cell_keeps_its_line() {
        let cell = "import os\n%time y = len(os.listdir())\nprint(y)";
        let sent = encode_cell(cell);
        assert_eq!(sent.lines().count(), 3);
        assert_eq!(decode_cell(&sent), cell);
    }
}
