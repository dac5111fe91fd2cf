//! Parsing one cell's Python text with `rustpython-parser` and turning a failure into a
//! located diagnostic, recognising Python 2 code on the way.

use rustpython_parser::ast;
use rustpython_parser::text_size::{TextRange, TextSize};
use rustpython_parser::{Mode, parse};

use crate::analysis::facts::StmtFacts;
use crate::analysis::visitor::statement_facts;
use crate::diagnostic::{self, CellId, Diagnostic, Span};
use crate::notebook::lines::scan_lines;

/// Parses one cell. `postponed_annotations`: an earlier cell imported `from __future__ import
/// annotations`, which IPython keeps in force for every later cell.
pub fn parse_cell(
    cell: CellId,
    python: &str,
    postponed_annotations: bool,
) -> Result<Vec<StmtFacts>, Diagnostic> {
    match parse(python, Mode::Module, "<cell>") {
        Ok(ast::Mod::Module(module)) => {
            let postponed =
                postponed_annotations || module.body.iter().any(imports_future_annotations);
            let facts: Vec<StmtFacts> = module
                .body
                .iter()
                .map(|stmt| statement_facts(stmt, postponed))
                .collect();
            match facts.iter().find_map(|f| f.misplaced_await()) {
                Some(range) => Err(diagnostic::syntax_error(
                    Span::new(cell, TextRange::empty(range.start())),
                    "`await` outside an async function",
                )),
                None => Ok(facts),
            }
        }
        Ok(_) => Ok(Vec::new()),
        Err(error) => {
            if let Some(range) = python2_print(python) {
                return Err(diagnostic::python2_code(Span::new(cell, range)));
            }
            let offset = error.offset.min(TextSize::of(python));
            let detail = error.error.to_string();
            Err(diagnostic::syntax_error(
                Span::new(cell, TextRange::empty(offset)),
                &detail,
            ))
        }
    }
}

/// `from __future__ import annotations`: every annotation of the cell is a string.
fn imports_future_annotations(stmt: &ast::Stmt) -> bool {
    matches!(stmt, ast::Stmt::ImportFrom(import)
        if import.module.as_deref() == Some("__future__")
            && import.names.iter().any(|alias| alias.name.as_str() == "annotations"))
}

/// The first `print x` statement (Python 2) at the start of a logical line, if any.
fn python2_print(python: &str) -> Option<TextRange> {
    let mut offset = 0usize;
    for (line, state) in python.split('\n').zip(scan_lines(python)) {
        let start = offset;
        offset += line.len() + 1;
        if !state.starts_statement() {
            continue;
        }
        let code = line.trim_start();
        let Some(rest) = code.strip_prefix("print") else {
            continue;
        };
        let python2 = match rest.chars().next() {
            None => false,
            Some(c) if c.is_whitespace() => {
                let after = rest.trim_start();
                !after.is_empty()
                    && !after.starts_with(['(', '=', '.', '[', ',', ')', '#'])
                    && !after.starts_with("+=")
            }
            Some('"' | '\'') => true,
            Some(_) => false,
        };
        if python2 {
            let indent = line.len() - code.len();
            let begin = TextSize::from((start + indent) as u32);
            return Some(TextRange::at(begin, TextSize::of(code.trim_end())));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diagnostic::Code;

    #[test]
    fn python2_print_statements_are_recognised() {
        let error = parse_cell(CellId(0), "x = 1\nprint \"hello\", x", false).unwrap_err();
        assert_eq!(error.code, Code::Python2Code);
        let error = parse_cell(CellId(0), "def f(:\n    pass", false).unwrap_err();
        assert_eq!(error.code, Code::SyntaxError);
        assert!(parse_cell(CellId(0), "print (1)\nprint(2)", false).is_ok());
    }
}
