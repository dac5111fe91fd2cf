//! Hazards: what a top-to-bottom run in a fresh kernel would trip over, or what makes the
//! notebook's meaning depend on hidden state. One linear pass over the statements.

use rustc_hash::{FxHashMap, FxHashSet};

use rustpython_parser::text_size::TextRange;

use crate::analysis::CodeCell;
use crate::analysis::builtins::{PYTHON2_BUILTINS, is_builtin, is_provided};
use crate::analysis::facts::{Name, StmtKind};
use crate::diagnostic::{self, CellId, Diagnostic, Span};
use crate::notebook::Notebook;

pub fn find(notebook: &Notebook, cells: &[CodeCell]) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    execution_order(notebook, &mut diagnostics);
    names(cells, &mut diagnostics);
    diagnostics
}

fn execution_order(notebook: &Notebook, diagnostics: &mut Vec<Diagnostic>) {
    let mut previous: Option<u32> = None;
    for cell in notebook.code_cells() {
        let Some(count) = cell.execution_count else {
            continue;
        };
        if let Some(before) = previous {
            if count < before {
                let span = Span::new(cell.id, TextRange::default());
                diagnostics.push(diagnostic::execution_order(span, count, before));
            }
        }
        previous = Some(count);
    }
}

fn names(cells: &[CodeCell], diagnostics: &mut Vec<Diagnostic>) {
    // The first two statements (cell, index) that bind each name, to tell "defined later"
    // from "never defined": `x += 1` on a never-bound `x` reads before its own binding, so
    // the binding that counts is the next one.
    // (A statement is (cell, index as u32): a notebook may bind 300,000 names, and the map
    // holds two places for each.)
    let mut first_bindings: FxHashMap<&Name, [Option<(CellId, u32)>; 2]> = FxHashMap::default();
    for cell in cells {
        for (index, stmt) in (0u32..).zip(&cell.statements) {
            for name in stmt.binds.iter().map(|b| &b.name).chain(stmt.globals()) {
                let slots = first_bindings.entry(name).or_default();
                let at = Some((cell.id, index));
                match slots {
                    [None, _] => slots[0] = at,
                    [Some(first), None] if *first != (cell.id, index) => slots[1] = at,
                    _ => {}
                }
            }
        }
    }

    let mut defined: FxHashSet<&Name> = FxHashSet::default();
    let mut deleted: FxHashMap<&Name, CellId> = FxHashMap::default();
    let mut imported: FxHashMap<&Name, CellId> = FxHashMap::default();
    let mut reported: FxHashSet<&Name> = FxHashSet::default();
    let mut star_import_seen = false;
    let mut late_reads = Vec::new();

    for cell in cells {
        for (index, stmt) in (0u32..).zip(&cell.statements) {
            let span = |range| Span::new(cell.id, range);
            for read in &stmt.reads {
                let name = &read.name;
                if defined.contains(name) || is_provided(name.as_str()) {
                    if name.as_str() == "get_ipython" && reported.insert(name) {
                        diagnostics.push(diagnostic::get_ipython_call(span(read.range)));
                    }
                    continue;
                }
                let later = first_bindings
                    .get(name)
                    .and_then(|slots| slots.iter().flatten().find(|&&at| at != (cell.id, index)))
                    .copied();
                // `try: x` / `except NameError:` expects `x` may be missing. A star import
                // above may supply any other name, but not one a later cell binds: that read
                // is before its definition whatever the star import holds.
                if (star_import_seen && later.is_none())
                    || stmt.guarded_reads().contains(name)
                    || !reported.insert(name)
                {
                    continue;
                }
                let on_some_paths = stmt.conditional_reads().contains(name);
                let diagnostic = if on_some_paths && !PYTHON2_BUILTINS.contains(&name.as_str()) {
                    // A branch or loop body a fresh run may never enter: the package keeps
                    // the same latent `NameError`, so this is a warning, not a refusal.
                    diagnostic::undefined_on_some_paths(span(read.range), name.as_str())
                } else if let Some(&deleted_in) = deleted.get(name) {
                    diagnostic::use_after_delete(span(read.range), name.as_str(), deleted_in)
                } else if let Some((later, _)) = later {
                    diagnostic::use_before_definition(span(read.range), name.as_str(), later)
                } else if PYTHON2_BUILTINS.contains(&name.as_str()) {
                    diagnostic::python2_builtin(span(read.range), name.as_str())
                } else {
                    diagnostic::undefined_name(span(read.range), name.as_str())
                };
                diagnostics.push(diagnostic);
            }
            late_reads.extend(stmt.late_reads.iter().map(|o| (cell.id, o)));

            let is_import = matches!(stmt.kind, StmtKind::Import(_));
            for binding in &stmt.binds {
                let name = &binding.name;
                if is_import {
                    imported.insert(name, cell.id);
                } else if let Some(&imported_in) = imported.get(name) {
                    diagnostics.push(diagnostic::shadowed_import(
                        span(binding.range),
                        name.as_str(),
                        imported_in,
                    ));
                    imported.remove(name);
                } else if is_builtin(name.as_str()) && !defined.contains(name) {
                    diagnostics.push(diagnostic::shadowed_builtin(
                        span(binding.range),
                        name.as_str(),
                    ));
                }
                defined.insert(name);
                deleted.remove(name);
            }
            defined.extend(stmt.globals());
            for deletion in stmt.deletes() {
                if !stmt
                    .binds
                    .iter()
                    .any(|b| b.name == deletion.name && b.range.start() > deletion.range.start())
                {
                    defined.remove(&deletion.name);
                    deleted.insert(&deletion.name, cell.id);
                }
            }
            if let StmtKind::StarImport { module, .. } = &stmt.kind {
                diagnostics.push(diagnostic::star_import(span(stmt.range), module.as_str()));
                star_import_seen = true;
            }
        }
    }

    // Functions read their globals when called, so a later definition is fine. A name that no
    // cell ever defines fails only if the function is called, which a top-to-bottom run may
    // never do: a warning, and the package keeps the same latent `NameError`.
    if !star_import_seen {
        for (cell, read) in late_reads {
            let name = &read.name;
            if !first_bindings.contains_key(name)
                && !is_provided(name.as_str())
                && reported.insert(name)
            {
                let span = Span::new(cell, read.range);
                diagnostics.push(if PYTHON2_BUILTINS.contains(&name.as_str()) {
                    diagnostic::python2_builtin(span, name.as_str())
                } else {
                    diagnostic::undefined_when_called(span, name.as_str())
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::analyze;
    use crate::diagnostic::Code;
    use crate::notebook::load_notebook;

    /// Analyses code cells and returns `(code, cell index)` of each diagnostic.
    fn check(sources: &[&str], expect: &[(Code, u32)]) {
        let cells: Vec<String> = sources
            .iter()
            .map(|s| {
                format!(
                    r#"{{"cell_type": "code", "source": {}, "metadata": {{}}, "outputs": []}}"#,
                    serde_json::to_string(s).unwrap()
                )
            })
            .collect();
        let json = format!(
            r#"{{"nbformat": 4, "nbformat_minor": 5, "metadata": {{}}, "cells": [{}]}}"#,
            cells.join(",")
        );
        let notebook = load_notebook(&json).unwrap();
        let (_, diagnostics) = analyze(&notebook);
        let got: Vec<(Code, u32)> = diagnostics
            .iter()
            .filter(|d| d.code != Code::MagicRemoved)
            .map(|d| match d.location {
                diagnostic::Location::Cell(span) => (d.code, span.cell.0),
                _ => (d.code, u32::MAX),
            })
            .collect();
        assert_eq!(got, expect, "{sources:?}");
    }

    #[test]
    fn use_before_definition_and_undefined_names_are_errors() {
        check(
            &["print(total)", "total = 1"],
            &[(Code::UseBeforeDefinition, 0)],
        );
        check(&["print(nowhere)"], &[(Code::UndefinedName, 0)]);
        check(&["total += 1"], &[(Code::UndefinedName, 0)]);
        check(
            &["total += 1", "total = 0"],
            &[(Code::UseBeforeDefinition, 0)],
        );
        check(
            &["def f():\n    return nowhere"],
            &[(Code::UndefinedWhenCalled, 0)],
        );
        check(
            &["for i in xrange(3):\n    pass"],
            &[(Code::Python2Code, 0)],
        );
        check(
            &["if False:\n    print(nowhere)"],
            &[(Code::UndefinedOnSomePaths, 0)],
        );
        check(&["def f():\n    return later", "later = 1\nf()"], &[]);
        check(&["x = 1\ndel x", "print(x)"], &[(Code::UseAfterDelete, 1)]);
    }

    #[test]
    fn await_outside_an_async_function_is_a_syntax_error() {
        check(&["def f():\n    await g()"], &[(Code::SyntaxError, 0)]);
        check(&["f = lambda: await g()"], &[(Code::SyntaxError, 0)]);
        check(&["class C:\n    await g()"], &[(Code::SyntaxError, 0)]);
        let fine = "import asyncio\nasync def f():\n    await asyncio.sleep(0)\n    return [await asyncio.sleep(0) for _ in range(2)]\nawait f()";
        check(&[fine], &[]);
    }

    #[test]
    fn scoping_rules_do_not_raise_false_errors() {
        check(
            &["ys = [y for x in [1, 2] if (y := x) > 1]\nprint(y, ys)"],
            &[],
        );
        check(
            &["try:\n    pass\nexcept ValueError as err:\n    print(err)"],
            &[],
        );
        check(
            &["match 3:\n    case int(n):\n        print(n)\nprint(n)"],
            &[],
        );
        check(
            &[
                "class A:\n    k = 1\n    v = [k]\n    def m(self):\n        return A.k\nprint(A().m())",
            ],
            &[],
        );
        check(
            &["def outer():\n    x = 1\n    def inner():\n        return x\n    return inner"],
            &[],
        );
        check(
            &[
                "def bump():\n    global counter\n    counter = 1",
                "bump()\nprint(counter)",
            ],
            &[],
        );
        check(
            &["[z for z in range(3)]", "print(z)"],
            &[(Code::UndefinedName, 1)],
        );
    }

    #[test]
    fn shadowing_and_star_imports_are_warnings() {
        check(&["list = [1]"], &[(Code::ShadowedBuiltin, 0)]);
        check(&["import math", "math = 3"], &[(Code::ShadowedImport, 1)]);
        check(&["import math", "import math"], &[]);
        check(
            &["from math import *", "print(floor(1.5))"],
            &[(Code::StarImport, 0)],
        );
        // What a later cell binds is not the star import's.
        check(
            &["from math import *", "print(floor(x))", "x = 1.5"],
            &[(Code::StarImport, 0), (Code::UseBeforeDefinition, 1)],
        );
    }
}
