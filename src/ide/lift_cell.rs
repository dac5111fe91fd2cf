//! One cell lifted into a function in the notebook itself (the editor's "Lift cell into a
//! function"): the cell's code becomes a `def` and a call, so the notebook still runs the
//! same.
//!
//! The function is the step `convert --split cells` would make of the cell: its parameters
//! are the names the cell reads from earlier cells, its return values the names later cells
//! (or the notebook's end state) need, and names functions read late stay module state
//! through `global`. The cell's imports and the definitions `convert` lifts into `lib.py`
//! stay at the cell's top level, above the function, as the step's plan assumes. The cell's
//! shown value (`Out[n]`) is returned and shown by the call line.

use rustc_hash::FxHashSet;

use crate::analysis::{Analysis, StmtKind};
use crate::compile::World;
use crate::diagnostic::CellId;
use crate::lift::steps::{StatementLayout, StmtRef, shown_expression};
use crate::lift::text::{CellLines, indent_lines};
use crate::lift::{self, Options, Split};
use crate::notebook::{CellKind, Notebook};

/// The cell's new text, or why it cannot be lifted. `world`: the notebook's surroundings
/// (the modules beside it decide which imports are the notebook's own).
pub fn lift_cell(
    notebook: &Notebook,
    analysis: &Analysis,
    cell: CellId,
    world: &dyn World,
) -> Result<String, String> {
    let source_cell = notebook.cell(cell);
    if source_cell.kind != CellKind::Code {
        return Err("only a code cell can be lifted into a function".to_owned());
    }
    let cell_index = analysis
        .cells
        .iter()
        .position(|c| c.id == cell)
        .ok_or("only a code cell can be lifted into a function")?;
    let code = &analysis.cells[cell_index];
    if !code.parsed {
        return Err("the cell does not parse; fix its syntax error first".to_owned());
    }
    if source_cell.is_parameters() {
        return Err("this is the notebook's `parameters` cell, which stays as it is".to_owned());
    }
    let source = source_cell.source.as_str();
    if source.trim_start().starts_with("%%") {
        return Err(
            "a cell magic (`%%…`) runs the whole cell; it cannot go inside a function".to_owned(),
        );
    }
    if code
        .statements
        .iter()
        .any(|s| matches!(s.kind, StmtKind::StarImport { .. }))
    {
        return Err("`from … import *` is not allowed inside a function".to_owned());
    }

    let options = Options {
        package: "notebook".to_owned(),
        split: Split::Cells,
        local_modules: world.local_modules(),
        observed: Default::default(),
    };
    let (plan, _) = lift::plan(notebook, analysis, &options);
    let step =
        plan.steps.iter().find(|s| s.cells == [cell]).ok_or(
            "nothing to lift: the cell only imports modules and defines functions or classes",
        )?;

    let layout = StatementLayout::new(analysis);
    let kept: FxHashSet<StmtRef> = step.statements.iter().copied().collect();
    let mut lines: Vec<String> = source
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l).to_owned())
        .collect();
    let mut stays = vec![false; lines.len()];
    for index in 0..code.statements.len() {
        let at = StmtRef {
            cell: cell_index,
            index,
        };
        if kept.contains(&at) {
            continue;
        }
        if !layout.standalone(at) {
            return Err("an import or definition shares its line with other code (`;`); give it a line of its own first".to_owned());
        }
        let (first, last) = layout.lines(at);
        stays[first..=last].iter_mut().for_each(|s| *s = true);
    }

    // IPython runs a magic, shell line or `obj?` in the notebook's namespace, never the
    // function's: inside the function it would bind (or look up) a global, not a local.
    let python_lines: Vec<&str> = code.python.split('\n').collect();
    let ipython_line = lines
        .iter()
        .zip(&python_lines)
        .zip(&stays)
        .position(|((source, python), stays)| !stays && source.trim_end() != python.trim_end());
    if let Some(line) = ipython_line {
        return Err(format!(
            "line {} is IPython syntax (`{}`), which runs in the notebook's namespace, not the \
             function's; move it to a cell of its own first",
            line + 1,
            lines[line].trim()
        ));
    }

    // `del name` in a function deletes a local: a name the cell deletes stays a global of
    // the notebook, declared `global`, never a parameter or a return value.
    let deleted: Vec<&str> = step
        .statements
        .iter()
        .flat_map(|at| {
            code.statements[at.index]
                .deletes()
                .iter()
                .map(|o| o.name.as_str())
        })
        .collect();
    let not_deleted = |names: &[crate::analysis::Name]| -> Vec<&str> {
        names
            .iter()
            .map(|n| n.as_str())
            .filter(|n| !deleted.contains(n))
            .collect()
    };
    let (params, returns) = (not_deleted(&step.params), not_deleted(&step.returns));
    let mut globals: Vec<&str> = step.globals.iter().map(|n| n.as_str()).collect();
    for name in deleted {
        if !globals.contains(&name) {
            globals.push(name);
        }
    }
    let shown = shown_expression(code, source, &kept, cell_index);
    match shown {
        Some(expression) => {
            // The statement, not the expression: `(x := 1)` is an expression `x := 1` inside
            // the statement's parentheses. Its lines are the same in the source and the
            // Python text.
            let statement = code
                .statements
                .last()
                .expect("a shown expression is a statement");
            let (start, end) = (
                usize::from(statement.range.start()),
                usize::from(statement.range.end()),
            );
            let (open, close) = if expression.needs_parentheses {
                ("(", ")")
            } else {
                ("", "")
            };
            let (end_line, end_column) = line_and_column(&code.python, end);
            lines[end_line].insert_str(end_column, close);
            let (line, column) = line_and_column(&code.python, start);
            let values: String = returns.iter().map(|r| format!("{r}, ")).collect();
            lines[line].insert_str(column, &format!("return {values}{open}"));
        }
        None if !returns.is_empty() => {
            lines.push(format!("return {}", returns.join(", ")));
            stays.push(false);
        }
        None => {}
    }

    let mut text = String::new();
    let top: Vec<&str> = lines
        .iter()
        .zip(&stays)
        .filter(|(_, s)| **s)
        .map(|(l, _)| l.as_str())
        .collect();
    if !top.is_empty() {
        text.push_str(top.join("\n").trim_end());
        text.push_str("\n\n");
    }
    let params = params.join(", ");
    let (keyword, wait) = if step.is_async {
        ("async def", "await ")
    } else {
        ("def", "")
    };
    text.push_str(&format!("{keyword} {}({params}):\n", step.name));
    if !globals.is_empty() {
        text.push_str(&format!("    global {}\n", globals.join(", ")));
    }
    let body_lines: Vec<&str> = lines
        .iter()
        .zip(&stays)
        .filter(|(_, s)| !**s)
        .map(|(l, _)| l.as_str())
        .collect();
    let body = body_lines.join("\n");
    let body = body.trim_matches('\n');
    let scanned = CellLines::new(body);
    indent_lines(
        scanned
            .lines
            .iter()
            .copied()
            .zip(scanned.in_string.iter().copied()),
        "    ",
        &mut text,
    );
    let call = format!("{wait}{}({params})", step.name);
    text.push('\n');
    match (returns.as_slice(), shown) {
        ([], _) => text.push_str(&call),
        (names, None) => text.push_str(&format!("{} = {call}", names.join(", "))),
        (names, Some(_)) => {
            let shown_name = free_name(analysis, "_shown");
            text.push_str(&format!(
                "{}, {shown_name} = {call}\n{shown_name}",
                names.join(", ")
            ));
        }
    }
    Ok(text)
}

/// Line and byte column of an offset.
fn line_and_column(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset];
    let line_start = before.rfind('\n').map_or(0, |p| p + 1);
    (before.matches('\n').count(), offset - line_start)
}

/// `base`, or `base_2`, … : a name no cell binds or reads.
fn free_name(analysis: &Analysis, base: &str) -> String {
    let used: FxHashSet<&str> = analysis
        .statements()
        .flat_map(|(_, s)| {
            s.binds
                .iter()
                .map(|b| b.name.as_str())
                .chain(s.loaded().map(|n| n.as_str()))
        })
        .collect();
    (1..)
        .map(|n| {
            if n == 1 {
                base.to_owned()
            } else {
                format!("{base}_{n}")
            }
        })
        .find(|name| !used.contains(name.as_str()))
        .expect("some name is free")
}
