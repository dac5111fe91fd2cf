//! IPython syntax → Python, line for line.
//!
//! The table of `../shared/DESIGN.md` is implemented here, one function per kind of magic.
//! Every translation keeps the cell's line count, so positions map back exactly. Code that
//! needs IPython behaviour at run time (shell commands, `%cd`, `%%writefile`, `%%capture`)
//! calls the small `_nblift` support module that every generated package ships; the analysis
//! treats `_nblift` as provided, like a builtin.

use std::borrow::Cow;

use crate::diagnostic::{self, CellId, Diagnostic, Span};
use crate::notebook::lines::{LineState, code_end, indent_lines, scan_lines};
use rustpython_parser::text_size::{TextRange, TextSize};

/// The name translated code uses for the generated package's IPython support module.
pub const SUPPORT_MODULE: &str = "_nblift";

/// A code cell in Python, with what the translation found.
#[derive(Clone, Debug, Default)]
pub struct Translation {
    /// Python text with the same number of lines as the cell's source.
    pub python: String,
    /// Packages named by `!pip install` / `%pip install` lines, to become dependencies.
    pub pip_packages: Vec<String>,
    /// Something in the cell changes where imports resolve from (`%cd`, `%%writefile`).
    pub changes_import_resolution: bool,
    /// Files written by `%%writefile`, as written in the magic.
    pub written_files: Vec<String>,
    /// Names written `$name` in magic arguments: Python variables only if the notebook
    /// binds them.
    pub dollar_names: Vec<String>,
    pub diagnostics: Vec<Diagnostic>,
}

/// Line magics that only affect display or the interactive session.
const DISPLAY_ONLY_LINE_MAGICS: &[&str] = &[
    "aimport",
    "autocall",
    "automagic",
    "autoreload",
    "autosave",
    "colors",
    "config",
    "history",
    "load_ext",
    "lsmagic",
    "magic",
    "matplotlib",
    "page",
    "pdef",
    "pdoc",
    "pfile",
    "pinfo",
    "pinfo2",
    "pprint",
    "precision",
    "psearch",
    "psource",
    "qtconsole",
    "quickref",
    "reload_ext",
    "store",
    "unload_ext",
    "who",
    "who_ls",
    "whos",
    "xmode",
];

/// Cell magics whose body is display markup, not Python, with the IPython display class
/// that shows it.
const DISPLAY_ONLY_CELL_MAGICS: &[(&str, &str)] = &[
    ("html", "HTML"),
    ("javascript", "Javascript"),
    ("js", "Javascript"),
    ("latex", "Latex"),
    ("markdown", "Markdown"),
    ("svg", "SVG"),
];

/// Magics that time or profile a statement: the statement runs once, the timing is dropped.
const TIMING_MAGICS: &[&str] = &["time", "timeit", "prun"];

/// Options of the timing magics that take a value.
const TIMING_OPTIONS_WITH_VALUE: &[&str] = &["-n", "-r", "-p", "-l", "-s", "-T", "-D"];

pub fn translate_cell(cell: CellId, source: &str) -> Translation {
    translate_cell_with(cell, source, &|_| true)
}

/// Like [`translate_cell`], expanding `$name` in shell commands only for the names
/// `expands` accepts: the names the notebook binds (IPython leaves the others to the shell).
pub fn translate_cell_with(
    cell: CellId,
    source: &str,
    expands: &dyn Fn(&str) -> bool,
) -> Translation {
    let mut translator = Translator {
        cell,
        out: Translation::default(),
        line: 0,
        expands,
    };
    // Most cells need no clean-up: their text is translated as it is, borrowed.
    let cleaned: Cow<str> = match clean_input(source) {
        Some(lines) => Cow::Owned(lines.join("\n")),
        None => Cow::Borrowed(source),
    };
    let lines: Vec<&str> = cleaned.split('\n').collect();
    let first_code = lines.iter().position(|l| !l.trim().is_empty());
    let translated: Vec<Cow<str>> = match first_code {
        Some(first) if lines[first].starts_with("%%") => {
            let mut out: Vec<Cow<str>> = lines[..first].iter().map(|l| Cow::Borrowed(*l)).collect();
            translator.line = first;
            out.extend(
                translator
                    .cell_magic(&lines[first..])
                    .into_iter()
                    .map(Cow::Owned),
            );
            out
        }
        _ => translator.line_magics(&cleaned, 0),
    };
    let mut translated = translated;
    drop_needless_passes(&mut translated);
    let mut out = translator.out;
    out.python = translated.join("\n");
    locate_on_output_lines(&mut out.diagnostics, &translated);
    out
}

/// IPython's clean-up before anything else: the indentation every line shares is removed
/// (`textwrap.dedent`, as IPython 9 does: a cell with one line less indented than its first
/// keeps its indentation, and fails to parse as it fails in the kernel), and `>>> ` /
/// `... ` or `In [1]: ` prompts are stripped, when the cell starts with one. Lines are kept
/// one for one; `None` when nothing changes.
fn clean_input(source: &str) -> Option<Vec<String>> {
    let first = source.split('\n').find(|l| !l.trim().is_empty())?;
    let lines = source.split('\n');
    let margin = common_margin(source);
    if !margin.is_empty() {
        return Some(
            lines
                .map(|l| match l.strip_prefix(margin) {
                    Some(rest) => rest.to_owned(),
                    // Only a line of white space lacks the margin: dedent empties it.
                    None => String::new(),
                })
                .collect(),
        );
    }
    let classic = first.starts_with(">>>");
    let ipython = first.starts_with("In [") && first.contains("]:");
    if !(classic || ipython) {
        return None;
    }
    let cleaned = lines
        .map(|line| {
            if classic {
                for prompt in [">>> ", "... ", ">>>", "..."] {
                    if let Some(rest) = line.strip_prefix(prompt) {
                        return rest.to_owned();
                    }
                }
            } else if let Some(end) = line.find("]: ").filter(|_| line.starts_with("In [")) {
                return line[end + 3..].to_owned();
            } else if let Some(rest) = line.trim_start().strip_prefix("...: ") {
                return rest.to_owned();
            }
            line.to_owned()
        })
        .collect();
    Some(cleaned)
}

/// The leading spaces and tabs that every line not made only of white space starts with.
fn common_margin(source: &str) -> &str {
    let mut margin: Option<&str> = None;
    for line in source.split('\n') {
        let rest = line.trim_start_matches([' ', '\t']);
        if rest.trim().is_empty() {
            continue;
        }
        let indent = &line[..line.len() - rest.len()];
        margin = Some(match margin {
            None => indent,
            Some(margin) => {
                let shared = margin
                    .bytes()
                    .zip(indent.bytes())
                    .take_while(|(a, b)| a == b)
                    .count();
                &margin[..shared]
            }
        });
    }
    margin.unwrap_or("")
}

/// Diagnostics are made with the line index as a placeholder range; they point at the
/// translated line, which is the text the rest of nblift sees.
fn locate_on_output_lines(diagnostics: &mut [Diagnostic], lines: &[impl AsRef<str>]) {
    let mut starts = Vec::with_capacity(lines.len());
    let mut offset = 0usize;
    for line in lines {
        starts.push(offset);
        offset += line.as_ref().len() + 1;
    }
    for diagnostic in diagnostics {
        if let crate::diagnostic::Location::Cell(span) = &mut diagnostic.location {
            let line = usize::from(span.range.start()).min(lines.len().saturating_sub(1));
            let text = lines.get(line).map_or("", |l| l.as_ref());
            let indent = text.len() - text.trim_start().len();
            let start = TextSize::from((starts.get(line).copied().unwrap_or(0) + indent) as u32);
            span.range = TextRange::at(start, TextSize::of(text.trim()));
        }
    }
}

struct Translator<'a> {
    cell: CellId,
    out: Translation,
    expands: &'a dyn Fn(&str) -> bool,
    /// Index of the line being translated; diagnostics carry it until the output is known.
    line: usize,
}

impl Translator<'_> {
    /// A string literal for a magic's argument text, with IPython's interpolation.
    fn literal(&mut self, text: &str) -> String {
        let pieces = interpolation_pieces(text, self.expands, &mut self.out.dollar_names);
        string_literal(&pieces)
    }

    fn span(&self, _line: &str) -> Span {
        Span::new(
            self.cell,
            TextRange::empty(TextSize::from(self.line as u32)),
        )
    }

    fn diagnose(&mut self, diagnostic: Diagnostic) {
        self.out.diagnostics.push(diagnostic);
    }

    /// Translates every line that starts a statement; `first_line` is the index of
    /// `lines[0]` in the cell.
    /// Each line of `text` translated.
    fn line_magics<'t>(&mut self, text: &'t str, first_line: usize) -> Vec<Cow<'t, str>> {
        let states = scan_lines(text);
        let mut out = Vec::with_capacity(states.len());
        for (index, (line, state)) in text.split('\n').zip(states).enumerate() {
            self.line = first_line + index;
            out.push(self.line(line, state));
        }
        out
    }

    /// [`Translator::line_magics`] of a cell magic's body lines, owned.
    fn owned_line_magics(&mut self, lines: &[&str], first_line: usize) -> Vec<String> {
        let text = lines.join("\n");
        let translated = self.line_magics(&text, first_line);
        translated.into_iter().map(Cow::into_owned).collect()
    }

    fn line<'t>(&mut self, line: &'t str, state: LineState) -> Cow<'t, str> {
        if !state.starts_statement() {
            return Cow::Borrowed(line);
        }
        let body = line.trim_start();
        let indent = &line[..line.len() - body.len()];
        let code = body[..code_end(body)].trim_end();
        if let Some(command) = code.strip_prefix('!') {
            return Cow::Owned(format!(
                "{indent}{}",
                self.shell_line(line, command.trim(), None)
            ));
        }
        if let Some(magic) = code.strip_prefix('%') {
            return Cow::Owned(format!("{indent}{}", self.line_magic(line, magic, None)));
        }
        if let Some((target, value)) = split_magic_assignment(code) {
            let replacement = match value.strip_prefix('!') {
                Some(command) => self.shell_line(line, command.trim(), Some(target)),
                None => self.line_magic(line, &value[1..], Some(target)),
            };
            return Cow::Owned(format!("{indent}{replacement}"));
        }
        if code.starts_with('?') || code.ends_with('?') {
            self.diagnose(diagnostic::magic_removed(
                self.span(line),
                code,
                "help syntax only shows documentation",
            ));
            return Cow::Owned(format!("{indent}{}", removed(indent, body)));
        }
        Cow::Borrowed(line)
    }

    /// `!cmd` and `target = !cmd`.
    fn shell_line(&mut self, line: &str, command: &str, target: Option<&str>) -> String {
        if let Some(packages) = pip_install_packages(command) {
            return self.pip_install(line, packages);
        }
        self.diagnose(diagnostic::shell_command(self.span(line), command));
        let literal = self.literal(command);
        match target {
            Some(target) => format!("{target} = {SUPPORT_MODULE}.getoutput({literal})"),
            None => format!("{SUPPORT_MODULE}.shell({literal})"),
        }
    }

    fn pip_install(&mut self, line: &str, packages: Vec<String>) -> String {
        self.diagnose(diagnostic::pip_install(self.span(line), &packages));
        self.out.pip_packages.extend(packages);
        let body = line.trim_start();
        removed(&line[..line.len() - body.len()], body)
    }

    /// `%magic args` (after the `%`), alone or as `target = %magic args`.
    fn line_magic(&mut self, line: &str, magic: &str, target: Option<&str>) -> String {
        let (name, args) = split_word(magic);
        let body = line.trim_start();
        let indent = &line[..line.len() - body.len()];
        let assign = |value: String| match target {
            Some(target) => format!("{target} = {value}"),
            None => value,
        };
        if DISPLAY_ONLY_LINE_MAGICS.contains(&name) {
            self.diagnose(diagnostic::magic_removed(
                self.span(line),
                &format!("%{name}"),
                "it only affects display or the interactive session",
            ));
            return removed(indent, body);
        }
        if TIMING_MAGICS.contains(&name) {
            let statement = strip_options(args, TIMING_OPTIONS_WITH_VALUE);
            self.diagnose(diagnostic::magic_translated(
                self.span(line),
                &format!("%{name}"),
                "the statement, run once without timing",
            ));
            if statement.is_empty() {
                return removed(indent, body);
            }
            return assign(statement.to_owned());
        }
        match name {
            "pip" | "conda" | "mamba" => {
                let packages = pip_install_packages(magic).unwrap_or_default();
                self.pip_install(line, packages)
            }
            "sx" | "system" => self.shell_line(line, args, target),
            "pylab" => {
                self.diagnose(diagnostic::magic_translated(
                    self.span(line),
                    "%pylab",
                    "`from pylab import *`, the names it made available",
                ));
                assign("from pylab import *".to_owned())
            }
            "cd" => {
                self.out.changes_import_resolution = true;
                let quiet = args.split_whitespace().any(|a| a == "-q");
                let path = strip_options(args, &[]);
                self.diagnose(diagnostic::magic_translated(
                    self.span(line),
                    "%cd",
                    "`os.chdir` (through `_nblift.cd`)",
                ));
                let quiet = if quiet { ", quiet=True" } else { "" };
                assign(format!(
                    "{SUPPORT_MODULE}.cd({}{quiet})",
                    self.literal(path)
                ))
            }
            "env" | "set_env" => {
                self.diagnose(diagnostic::magic_translated(
                    self.span(line),
                    "%env",
                    "`os.environ` (through `_nblift.env`)",
                ));
                assign(format!("{SUPPORT_MODULE}.env({})", self.literal(args)))
            }
            "run" => {
                self.diagnose(diagnostic::unsupported_magic(
                    self.span(line),
                    "%run",
                    "the script runs, but the names it defines are not seen by later cells",
                ));
                let script = strip_options(args, &["-m", "-t", "-N", "-G"]);
                let (path, rest) = split_word(script);
                let argv: Vec<String> = rest.split_whitespace().map(|a| format!("{a:?}")).collect();
                assign(format!(
                    "{SUPPORT_MODULE}.run_script({}, [{}])",
                    self.literal(path),
                    argv.join(", ")
                ))
            }
            _ => {
                self.diagnose(diagnostic::unsupported_magic(
                    self.span(line),
                    &format!("%{name}"),
                    "the line is left out of the package",
                ));
                match target {
                    Some(target) => format!("{target} = None  # {}", body.trim_end()),
                    None => removed(indent, body),
                }
            }
        }
    }

    /// A cell that starts with `%%magic`. `lines[0]` is the magic line.
    fn cell_magic(&mut self, lines: &[&str]) -> Vec<String> {
        let header = lines[0];
        let (name, args) = split_word(header[2..].trim());
        let body = &lines[1..];
        let body_offset = self.line + 1;
        let magic = format!("%%{name}");
        if TIMING_MAGICS.contains(&name) || name == "python" || name == "python3" {
            self.diagnose(diagnostic::magic_translated(
                self.span(header),
                &magic,
                "the cell body, run once without timing",
            ));
            // `%%timeit` runs the code after its options once as set-up for the body.
            let setup = match name {
                "timeit" => strip_options(args, TIMING_OPTIONS_WITH_VALUE),
                _ => "",
            };
            let header_line = match setup {
                "" => format!("# {header}"),
                setup => format!("{setup}  # %%{name}"),
            };
            let mut out = vec![header_line];
            out.extend(self.owned_line_magics(body, body_offset));
            return out;
        }
        if let Some((_, class)) = DISPLAY_ONLY_CELL_MAGICS.iter().find(|(m, _)| *m == name) {
            self.diagnose(diagnostic::magic_translated(
                self.span(header),
                &magic,
                "a display of the markup, which only `--results` records (it prints nothing)",
            ));
            let call = format!("{SUPPORT_MODULE}.markup({class:?}");
            return string_argument_call(&call, body, "");
        }
        match name {
            "capture" => {
                self.diagnose(diagnostic::magic_translated(
                    self.span(header),
                    &magic,
                    "the cell body with its output captured",
                ));
                let target = args.split_whitespace().find(|a| !a.starts_with('-'));
                let mut translated = self.owned_line_magics(body, body_offset);
                // IPython compiles the body as a cell of its own, where a future import is
                // legal; inside the `with` block it would not compile.
                for line in &mut translated {
                    let code = line.trim_start();
                    if code.starts_with("from __future__ import") {
                        self.diagnose(diagnostic::magic_differs(
                            self.span(header),
                            &magic,
                            "a `from __future__` import cannot be inside the block that \
                             captures the output, so it is left out (Python 3 has \
                             `print_function`, `division` and `absolute_import` anyway)",
                        ));
                        *line = format!("# {code}");
                    }
                }
                let has_code = translated.iter().any(|l| {
                    let t = l.trim();
                    !t.is_empty() && !t.starts_with('#')
                });
                if !has_code {
                    let mut out = vec![format!("# {header}")];
                    out.extend(translated);
                    return out;
                }
                let with = match target {
                    Some(target) => format!("with {SUPPORT_MODULE}.capture() as {target}:"),
                    None => format!("with {SUPPORT_MODULE}.capture():"),
                };
                let mut out = vec![with];
                out.extend(indent_block(&translated, "    "));
                out
            }
            "writefile" | "file" => {
                self.out.changes_import_resolution = true;
                let append = args
                    .split_whitespace()
                    .any(|a| a == "-a" || a == "--append");
                let path = strip_options(args, &[]);
                self.diagnose(diagnostic::magic_translated(
                    self.span(header),
                    &magic,
                    "code that writes the file when the package runs",
                ));
                self.out
                    .written_files
                    .push(path.trim_matches(|c| c == '"' || c == '\'').to_owned());
                let append = if append { ", append=True" } else { "" };
                let call = format!("{SUPPORT_MODULE}.writefile({}", self.literal(path));
                string_argument_call(&call, body, append)
            }
            // IPython's script magics: `%%script PROGRAM` and its shorthands.
            "bash" | "sh" | "script" | "ruby" | "perl" | "pypy" | "python2" => {
                let options = ScriptOptions::parse(args);
                let program = match name {
                    "script" => options.program.unwrap_or("sh"),
                    shell => shell,
                };
                self.diagnose(diagnostic::shell_command(self.span(header), &magic));
                let targets: Vec<&str> = [options.out, options.err, options.proc]
                    .into_iter()
                    .flatten()
                    .collect();
                let call = match targets.as_slice() {
                    [] => format!("{SUPPORT_MODULE}.shell_script({program:?}"),
                    targets => format!(
                        "{} = {SUPPORT_MODULE}.shell_script({program:?}",
                        targets.join(", ")
                    ),
                };
                let mut extra = String::new();
                if options.out.is_some() {
                    extra.push_str(", out=True");
                }
                if options.err.is_some() {
                    extra.push_str(", err=True");
                }
                if options.proc.is_some() {
                    extra.push_str(", proc=True");
                }
                if options.background {
                    extra.push_str(", background=True");
                    if !targets.is_empty() {
                        self.diagnose(diagnostic::magic_differs(
                            self.span(header),
                            &format!("{magic} --bg"),
                            "its variables hold text pipes (`.read()` returns the text), \
                             where IPython gives asyncio streams",
                        ));
                    }
                }
                string_argument_call(&call, body, &extra)
            }
            _ => {
                self.diagnose(diagnostic::unsupported_magic(
                    self.span(header),
                    &magic,
                    "the cell is left out of the package",
                ));
                lines.iter().map(|l| comment_out(l)).collect()
            }
        }
    }
}

/// The options of `%%script` / `%%bash` that change what the package does: the program to run
/// and the variables that receive its output instead of the screen.
struct ScriptOptions<'a> {
    program: Option<&'a str>,
    out: Option<&'a str>,
    err: Option<&'a str>,
    /// `--proc VAR`: the process object (only meaningful with `--bg`).
    proc: Option<&'a str>,
    background: bool,
}

impl<'a> ScriptOptions<'a> {
    fn parse(args: &'a str) -> Self {
        let mut options = ScriptOptions {
            program: None,
            out: None,
            err: None,
            proc: None,
            background: false,
        };
        let mut words = args.split_whitespace();
        while let Some(word) = words.next() {
            match word {
                "--out" => options.out = words.next(),
                "--err" => options.err = words.next(),
                "--proc" => options.proc = words.next(),
                "--bg" => options.background = true,
                option if option.starts_with('-') => {}
                program => {
                    options.program = Some(program);
                    break;
                }
            }
        }
        options
    }
}

/// `call` followed by the body as one triple-quoted string argument, keeping one output line
/// per body line: `call, """\` … `<last line>\n"""<extra>)`.
fn string_argument_call(call: &str, body: &[&str], extra: &str) -> Vec<String> {
    if body.is_empty() || body.iter().all(|l| l.trim().is_empty()) && body.len() == 1 {
        let mut out = vec![format!("{call}, \"\"{extra})")];
        out.extend(body.iter().map(|_| String::new()));
        return out;
    }
    let mut out = vec![format!("{call}, \"\"\"\\")];
    // IPython hands a cell magic its body with exactly one newline at the end: a cell that
    // ends in a newline has an empty last line, which adds none. That line stays, empty, so
    // that the cell keeps its line count.
    let mut last = body.len() - 1;
    if last > 0 && body[last].trim_end_matches('\r').is_empty() {
        last -= 1;
    }
    for (i, line) in body.iter().enumerate() {
        let escaped = escape_in_triple_quotes(line.trim_end_matches('\r'));
        match i.cmp(&last) {
            std::cmp::Ordering::Less => out.push(escaped),
            std::cmp::Ordering::Equal => out.push(format!("{escaped}\\n\"\"\"{extra})")),
            std::cmp::Ordering::Greater => out.push(String::new()),
        }
    }
    out
}

fn escape_in_triple_quotes(line: &str) -> String {
    line.replace('\\', "\\\\").replace("\"\"\"", "\\\"\\\"\\\"")
}

/// Adds `prefix` to every line that does not start inside a multi-line string.
fn indent_block(lines: &[String], prefix: &str) -> Vec<String> {
    let states = scan_lines(&lines.join("\n"));
    let mut out = String::new();
    indent_lines(
        lines
            .iter()
            .map(String::as_str)
            .zip(states.iter().map(|s| s.in_string)),
        prefix,
        &mut out,
    );
    out.lines().map(str::to_owned).collect()
}

/// A removed line's `pass` is needed only where its block has no statement besides: where
/// another line of the block holds one (or an earlier removed line kept its `pass`), it is a
/// comment alone, so that the block does not hold a `pass` it does not need.
fn drop_needless_passes(lines: &mut [Cow<str>]) {
    const PASS: &str = "pass  # ";
    let indent_of = |line: &str| line.len() - line.trim_start().len();
    let is_code = |line: &str| {
        let trimmed = line.trim_start();
        !trimmed.is_empty() && !trimmed.starts_with('#')
    };
    for at in 0..lines.len() {
        if !lines[at].trim_start().starts_with(PASS) {
            continue;
        }
        let indent = indent_of(&lines[at]);
        // Another statement of the same block, above or below (deeper lines belong to a
        // statement of the block; a shallower one ends it).
        let mut above = lines[..at].iter().rev().filter(|l| is_code(l));
        let statement_above = above
            .find(|l| indent_of(l) <= indent)
            .is_some_and(|l| indent_of(l) == indent);
        let statement_below = lines[at + 1..]
            .iter()
            .find(|l| is_code(l))
            .is_some_and(|l| indent_of(l) == indent && !l.trim_start().starts_with(PASS));
        if statement_above || statement_below {
            let line = &lines[at];
            let comment = format!("{}# {}", &line[..indent], &line[indent + PASS.len()..]);
            lines[at] = Cow::Owned(comment);
        }
    }
}

/// The replacement for a removed line: a comment at top level, `pass` inside a block so the
/// block keeps a body.
fn removed(indent: &str, body: &str) -> String {
    if indent.is_empty() {
        format!("# {}", body.trim_end())
    } else {
        format!("pass  # {}", body.trim_end())
    }
}

fn comment_out(line: &str) -> String {
    if line.trim().is_empty() {
        String::new()
    } else {
        format!("# {}", line.trim_end())
    }
}

fn split_word(text: &str) -> (&str, &str) {
    let text = text.trim();
    match text.find(char::is_whitespace) {
        Some(at) => (&text[..at], text[at..].trim_start()),
        None => (text, ""),
    }
}

/// Drops leading `-x` options (and the value of those listed in `with_value`).
fn strip_options<'a>(mut args: &'a str, with_value: &[&str]) -> &'a str {
    loop {
        args = args.trim_start();
        if !args.starts_with('-') {
            return args.trim_end();
        }
        let (option, rest) = split_word(args);
        args = if with_value.contains(&option) {
            split_word(rest).1
        } else {
            rest
        };
    }
}

/// `target = !cmd` or `target = %magic`: returns the target text and the `!`/`%` value.
fn split_magic_assignment(code: &str) -> Option<(&str, &str)> {
    let eq = code.find('=')?;
    let (target, value) = (code[..eq].trim_end(), code[eq + 1..].trim_start());
    if !(value.starts_with('!') || value.starts_with('%')) || value.starts_with("!=") {
        return None;
    }
    let valid_target = !target.is_empty()
        && target
            .chars()
            .all(|c| c.is_alphanumeric() || c == '_' || c == ',' || c == ' ' || c == '.');
    valid_target.then_some((target, value))
}

/// Package specifications of a `pip install …` / `conda install …` command, or `None` when
/// the command is not an installation.
fn pip_install_packages(command: &str) -> Option<Vec<String>> {
    let words: Vec<&str> = command.split_whitespace().collect();
    let install_at = match words.as_slice() {
        ["pip" | "pip3" | "conda" | "mamba", "install", ..] => 2,
        ["python" | "python3", "-m", "pip", "install", ..] => 4,
        ["pip" | "pip3" | "conda" | "mamba", ..] => return Some(Vec::new()),
        _ => return None,
    };
    const WITH_VALUE: &[&str] = &[
        "-r",
        "--requirement",
        "-c",
        "--constraint",
        "-i",
        "--index-url",
        "--extra-index-url",
        "-f",
        "--find-links",
        "-t",
        "--target",
        "-e",
        "--editable",
        "-c",
        "--channel",
        "--prefix",
        "--root",
    ];
    let mut packages = Vec::new();
    let mut skip_next = false;
    for word in &words[install_at..] {
        if std::mem::take(&mut skip_next) {
            continue;
        }
        if word.starts_with('-') {
            skip_next = WITH_VALUE.contains(word);
            continue;
        }
        let spec = word.trim_matches(|c| c == '"' || c == '\'');
        if !spec.is_empty() && !spec.contains('{') && !spec.contains('$') {
            packages.push(spec.to_owned());
        }
    }
    Some(packages)
}

/// A piece of a magic's argument text: literal text, or a Python expression IPython
/// substitutes (`{expr}`, `$name`).
enum Piece {
    Text(String),
    Expression(String),
}

/// Splits IPython's interpolation syntax. `$name` is a Python variable only when `expands`
/// says the notebook binds it; otherwise IPython leaves it to the shell (`$HOME`).
fn interpolation_pieces(
    command: &str,
    expands: &dyn Fn(&str) -> bool,
    dollar_names: &mut Vec<String>,
) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut text = String::new();
    let chars: Vec<char> = command.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        match c {
            '{' | '}' if next == Some(c) => {
                text.push(c);
                i += 2;
            }
            '{' => {
                // The matching brace, counting nested brackets of the expression.
                let mut depth = 0;
                let mut end = None;
                for (j, &d) in chars.iter().enumerate().skip(i) {
                    match d {
                        '{' | '[' | '(' => depth += 1,
                        '}' | ']' | ')' => {
                            depth -= 1;
                            if depth == 0 {
                                end = Some(j);
                                break;
                            }
                        }
                        _ => {}
                    }
                }
                let inner: String = chars[i + 1..end.unwrap_or(i + 1).max(i + 1)]
                    .iter()
                    .collect();
                match end {
                    Some(end) if !inner.trim().is_empty() => {
                        pieces.push(Piece::Text(std::mem::take(&mut text)));
                        pieces.push(Piece::Expression(inner));
                        i = end + 1;
                    }
                    // `{}` (find -exec) and unmatched braces stay as written, as in IPython.
                    _ => {
                        text.push(c);
                        i += 1;
                    }
                }
            }
            '$' if next == Some('$') => {
                text.push('$');
                i += 2;
            }
            '$' if next.is_some_and(|n| n.is_alphabetic() || n == '_' || n == '{') => {
                let braced = next == Some('{');
                let start = if braced { i + 2 } else { i + 1 };
                let mut end = start;
                while end < chars.len() && (chars[end].is_alphanumeric() || chars[end] == '_') {
                    end += 1;
                }
                let name: String = chars[start..end].iter().collect();
                let closes = !braced || chars.get(end) == Some(&'}');
                let after = if braced && closes { end + 1 } else { end };
                if !name.is_empty() && closes {
                    dollar_names.push(name.clone());
                    if expands(&name) {
                        pieces.push(Piece::Text(std::mem::take(&mut text)));
                        pieces.push(Piece::Expression(name));
                    } else {
                        text.extend(&chars[i..after]);
                    }
                    i = after;
                } else {
                    text.push(c);
                    i += 1;
                }
            }
            _ => {
                text.push(c);
                i += 1;
            }
        }
    }
    pieces.push(Piece::Text(text));
    pieces
}

/// A Python string literal for a magic's argument text: an f-string when IPython would
/// interpolate something, with a quote character the expressions do not use.
fn string_literal(pieces: &[Piece]) -> String {
    let expressions: Vec<&str> = pieces
        .iter()
        .filter_map(|p| {
            if let Piece::Expression(e) = p {
                Some(e.as_str())
            } else {
                None
            }
        })
        .collect();
    let quote = if !expressions.iter().any(|e| e.contains('"')) {
        "\""
    } else if !expressions.iter().any(|e| e.contains('\'')) {
        "'"
    } else {
        "\"\"\""
    };
    let interpolates = !expressions.is_empty();
    let mut literal = String::new();
    for piece in pieces {
        match piece {
            Piece::Text(text) => {
                for c in text.chars() {
                    match c {
                        '\\' => literal.push_str("\\\\"),
                        '{' | '}' if interpolates => {
                            literal.push(c);
                            literal.push(c);
                        }
                        c if quote.starts_with(c) => {
                            literal.push('\\');
                            literal.push(c);
                        }
                        _ => literal.push(c),
                    }
                }
            }
            Piece::Expression(expression) => {
                literal.push('{');
                literal.push_str(expression);
                literal.push('}');
            }
        }
    }
    format!(
        "{}{quote}{literal}{quote}",
        if interpolates { "f" } else { "" }
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Code;

    /// Translates `source` and checks the Python text and the diagnostic codes.
    fn check(source: &str, expect: &str, codes: &[Code]) {
        let out = translate_cell(CellId(0), source);
        assert_eq!(out.python, expect, "translation of {source:?}");
        assert_eq!(
            source.split('\n').count(),
            out.python.split('\n').count(),
            "line count"
        );
        let got: Vec<Code> = out.diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(got, codes, "diagnostics of {source:?}");
    }

    #[test]
    fn a_cell_loses_only_the_indentation_all_its_lines_share() {
        check(
            "  x = 1\n  if x:\n      y = 2",
            "x = 1\nif x:\n    y = 2",
            &[],
        );
        // IPython 9 dedents as `textwrap.dedent` does: a line less indented than the first
        // keeps the cell as written, a syntax error in the kernel and here.
        check(
            " s = []\n\nfor i in s:\n   print(i)",
            " s = []\n\nfor i in s:\n   print(i)",
            &[],
        );
        // A line of white space only does not count, and is emptied.
        check("    a = 1\n  \n    b = 2", "a = 1\n\nb = 2", &[]);
    }

    #[test]
    fn a_removed_line_keeps_pass_only_where_its_block_needs_one() {
        check(
            "if x:\n    %matplotlib inline\n    %matplotlib inline",
            "if x:\n    pass  # %matplotlib inline\n    # %matplotlib inline",
            &[Code::MagicRemoved, Code::MagicRemoved],
        );
        check(
            "if x:\n    y = 1\n    %matplotlib inline\nelse:\n    %matplotlib inline",
            "if x:\n    y = 1\n    # %matplotlib inline\nelse:\n    pass  # %matplotlib inline",
            &[Code::MagicRemoved, Code::MagicRemoved],
        );
        check(
            "for i in y:\n    %matplotlib inline\n    print(i)",
            "for i in y:\n    # %matplotlib inline\n    print(i)",
            &[Code::MagicRemoved],
        );
    }

    #[test]
    fn display_only_line_magics_are_removed_with_a_note() {
        check(
            "%matplotlib inline\nx = 1",
            "# %matplotlib inline\nx = 1",
            &[Code::MagicRemoved],
        );
        check(
            "%load_ext autoreload\n%autoreload 2",
            "# %load_ext autoreload\n# %autoreload 2",
            &[Code::MagicRemoved, Code::MagicRemoved],
        );
        check(
            "%config InlineBackend.figure_format = 'retina'",
            "# %config InlineBackend.figure_format = 'retina'",
            &[Code::MagicRemoved],
        );
        check(
            "%precision 3\n%who\n%store x",
            "# %precision 3\n# %who\n# %store x",
            &[Code::MagicRemoved, Code::MagicRemoved, Code::MagicRemoved],
        );
        check(
            "if True:\n    %matplotlib inline",
            "if True:\n    pass  # %matplotlib inline",
            &[Code::MagicRemoved],
        );
    }

    #[test]
    fn help_syntax_is_removed() {
        check(
            "len?\n?len\nstr.join??",
            "# len?\n# ?len\n# str.join??",
            &[Code::MagicRemoved, Code::MagicRemoved, Code::MagicRemoved],
        );
        check("x = 1  # really?", "x = 1  # really?", &[]);
    }

    #[test]
    fn display_only_cell_magics_become_displays_of_their_markup() {
        for (magic, class) in [
            ("html", "HTML"),
            ("javascript", "Javascript"),
            ("markdown", "Markdown"),
            ("latex", "Latex"),
        ] {
            let source = format!("%%{magic}\n<b>hi</b>");
            check(
                &source,
                &format!("_nblift.markup(\"{class}\", \"\"\"\\\n<b>hi</b>\\n\"\"\")"),
                &[Code::MagicTranslated],
            );
        }
    }

    #[test]
    fn timing_magics_keep_the_statement_once() {
        check(
            "%time total = sum(range(10))",
            "total = sum(range(10))",
            &[Code::MagicTranslated],
        );
        check("%timeit -n 1 -r 1 f(2)", "f(2)", &[Code::MagicTranslated]);
        check(
            "%%time\nx = 1\nprint(x)",
            "# %%time\nx = 1\nprint(x)",
            &[Code::MagicTranslated],
        );
        check(
            "%%timeit -n 1 -r 1\ny = 2",
            "# %%timeit -n 1 -r 1\ny = 2",
            &[Code::MagicTranslated],
        );
        check(
            "%%timeit -r 2 a = [3, 1]\nsorted(a)",
            "a = [3, 1]  # %%timeit\nsorted(a)",
            &[Code::MagicTranslated],
        );
        check("r = %time f(1)", "r = f(1)", &[Code::MagicTranslated]);
    }

    #[test]
    fn capture_wraps_the_body() {
        check(
            "%%capture\nprint('hidden')\ns = '''a\nb'''",
            "with _nblift.capture():\n    print('hidden')\n    s = '''a\nb'''",
            &[Code::MagicTranslated],
        );
        check(
            "%%capture out\nprint(1)",
            "with _nblift.capture() as out:\n    print(1)",
            &[Code::MagicTranslated],
        );
        check(
            "%%capture\n!pip install -q six",
            "# %%capture\n# !pip install -q six",
            &[Code::MagicTranslated, Code::PipInstall],
        );
    }

    #[test]
    fn writefile_becomes_a_write_at_run_time() {
        check(
            "%%writefile greet.py\ndef hi():\n    print(\"\"\"x\\y\"\"\")",
            "_nblift.writefile(\"greet.py\", \"\"\"\\\ndef hi():\n    print(\\\"\\\"\\\"x\\\\y\\\"\\\"\\\")\\n\"\"\")",
            &[Code::MagicTranslated],
        );
        check(
            "%%writefile -a notes.txt\nmore",
            "_nblift.writefile(\"notes.txt\", \"\"\"\\\nmore\\n\"\"\", append=True)",
            &[Code::MagicTranslated],
        );
        // A cell that ends in a newline: IPython writes one newline at the end, not two.
        check(
            "%%writefile notes.txt\nmore\n",
            "_nblift.writefile(\"notes.txt\", \"\"\"\\\nmore\\n\"\"\")\n",
            &[Code::MagicTranslated],
        );
        assert!(translate_cell(CellId(0), "%%writefile a.txt\nx").changes_import_resolution);
    }

    #[test]
    fn pip_install_becomes_dependencies() {
        let out = translate_cell(
            CellId(0),
            "!pip install -q pandas 'numpy>=2' -r req.txt\n%pip install --upgrade six",
        );
        assert_eq!(
            out.python,
            "# !pip install -q pandas 'numpy>=2' -r req.txt\n# %pip install --upgrade six"
        );
        assert_eq!(out.pip_packages, vec!["pandas", "numpy>=2", "six"]);
    }

    #[test]
    fn shell_commands_become_subprocess_calls() {
        check(
            "!echo hi",
            "_nblift.shell(\"echo hi\")",
            &[Code::ShellCommand],
        );
        check(
            "!echo {name} $user \"q\"",
            "_nblift.shell(f\"echo {name} {user} \\\"q\\\"\")",
            &[Code::ShellCommand],
        );
        check(
            "files = !ls *.csv",
            "files = _nblift.getoutput(\"ls *.csv\")",
            &[Code::ShellCommand],
        );
        check(
            "for i in range(2):\n    !echo {i}",
            "for i in range(2):\n    _nblift.shell(f\"echo {i}\")",
            &[Code::ShellCommand],
        );
        check(
            "%%bash\necho a\necho b",
            "_nblift.shell_script(\"bash\", \"\"\"\\\necho a\necho b\\n\"\"\")",
            &[Code::ShellCommand],
        );
        check(
            "%%sh\necho a",
            "_nblift.shell_script(\"sh\", \"\"\"\\\necho a\\n\"\"\")",
            &[Code::ShellCommand],
        );
    }

    #[test]
    fn shell_interpolation_follows_ipython() {
        let expand_only_name = |n: &str| n == "name";
        let translate =
            |source: &str| translate_cell_with(CellId(0), source, &expand_only_name).python;
        assert_eq!(
            translate("!mkdir -p $HOME/data/$name"),
            "_nblift.shell(f\"mkdir -p $HOME/data/{name}\")"
        );
        assert_eq!(
            translate("!find . -exec rm {} \\;"),
            "_nblift.shell(\"find . -exec rm {} \\\\;\")"
        );
        assert_eq!(
            translate("!dot -Tpng {path / \"a.dot\"} -o out.png"),
            "_nblift.shell(f'dot -Tpng {path / \"a.dot\"} -o out.png')"
        );
        assert_eq!(
            translate("!echo {{literal}} {x}"),
            "_nblift.shell(f\"echo {{literal}} {x}\")"
        );
        assert_eq!(
            translate_cell(CellId(0), "!echo $HOME").dollar_names,
            vec!["HOME"]
        );
    }

    #[test]
    fn input_is_cleaned_as_ipython_does() {
        check("    x = 1\n    y = x", "x = 1\ny = x", &[]);
        check(
            ">>> x = 1\n>>> for i in []:\n...     pass",
            "x = 1\nfor i in []:\n    pass",
            &[],
        );
        check("In [1]: x = 1", "x = 1", &[]);
        check(
            "%pylab inline\nplot([1])",
            "from pylab import *\nplot([1])",
            &[Code::MagicTranslated],
        );
    }

    #[test]
    fn cd_and_env_use_the_support_module() {
        check(
            "%cd -q data",
            "_nblift.cd(\"data\", quiet=True)",
            &[Code::MagicTranslated],
        );
        check(
            "%env MY_VAR=hello",
            "_nblift.env(\"MY_VAR=hello\")",
            &[Code::MagicTranslated],
        );
    }

    #[test]
    fn unknown_magics_are_diagnosed_and_left_out() {
        check(
            "%nonexistent arg\nx = 1",
            "# %nonexistent arg\nx = 1",
            &[Code::UnsupportedMagic],
        );
        check(
            "%%sql\nSELECT 1",
            "# %%sql\n# SELECT 1",
            &[Code::UnsupportedMagic],
        );
        check(
            "%run helper.py",
            "_nblift.run_script(\"helper.py\", [])",
            &[Code::UnsupportedMagic],
        );
    }

    #[test]
    fn magic_like_text_inside_strings_and_brackets_is_kept() {
        check(
            "s = '''\n%d items\n!x\n'''",
            "s = '''\n%d items\n!x\n'''",
            &[],
        );
        check("x = (1\n% 2)", "x = (1\n% 2)", &[]);
        check("a != b", "a != b", &[]);
    }
}
