//! Reproducibility findings: what makes two runs of the notebook differ, or a run on another
//! machine fail. Random numbers drawn without a seed, paths on the author's machine, files
//! read that are not there, and saved execution counts that skip numbers.
//!
//! The code scan is textual, over the code part of each line (comments and the insides of
//! strings are not calls): it knows the common spellings (`np.random.rand`, `random.choice`,
//! `default_rng()`, `train_test_split` without `random_state`), not every random source.

use rustpython_parser::text_size::{TextRange, TextSize};

use crate::analysis::CodeCell;
use crate::diagnostic::{self, Diagnostic, Span};
use crate::notebook::Notebook;
use crate::notebook::lines::{code_end, scan_lines};

pub fn find(notebook: &Notebook, cells: &[CodeCell]) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    execution_count_gaps(notebook, &mut diagnostics);
    let seeding = Seeding::of(cells);
    for cell in cells.iter().filter(|c| c.parsed) {
        if let Some((offset, call)) = unseeded_call(&cell.python, seeding) {
            diagnostics.push(diagnostic::unseeded_randomness(
                span(cell, offset, &call),
                &call,
            ));
        }
        if let Some((offset, path)) = absolute_path(&cell.python) {
            diagnostics.push(diagnostic::absolute_path(span(cell, offset, &path), &path));
        }
    }
    diagnostics
}

/// Files read by a literal path that is neither beside the notebook (in `folder`) nor
/// written by some cell first.
/// `exists`: whether a path, as the notebook writes it, is there (see `compile::World`).
pub fn missing_files(cells: &[CodeCell], exists: &dyn Fn(&str) -> bool) -> Vec<Diagnostic> {
    let mut written: Vec<&str> = Vec::new();
    let mut diagnostics = Vec::new();
    for cell in cells {
        written.extend(cell.written_files.iter().map(String::as_str));
        for statement in &cell.statements {
            for access in statement.files() {
                let path = access.path.as_str();
                if access.writes {
                    written.push(path);
                } else if !written.contains(&path)
                    && !path.contains(['*', '?', '{', '$', '~'])
                    && !path.contains("://")
                    && !exists(path)
                {
                    let at = cell.python[usize::from(statement.range.start())..]
                        .find(path)
                        .map_or(usize::from(statement.range.start()), |i| {
                            usize::from(statement.range.start()) + i
                        });
                    diagnostics.push(diagnostic::missing_file(span(cell, at, path), path));
                }
            }
        }
    }
    diagnostics
}

fn span(cell: &CodeCell, offset: usize, text: &str) -> Span {
    let start = TextSize::try_from(offset).unwrap_or_default();
    let end = TextSize::try_from(offset + text.len()).unwrap_or(start);
    Span::new(cell.id, TextRange::new(start, end))
}

fn execution_count_gaps(notebook: &Notebook, diagnostics: &mut Vec<Diagnostic>) {
    let mut previous: Option<u32> = None;
    for cell in notebook.code_cells() {
        let Some(count) = cell.execution_count else {
            continue;
        };
        if let Some(before) = previous
            && count > before + 1
        {
            let span = Span::new(cell.id, TextRange::default());
            diagnostics.push(diagnostic::execution_count_gap(span, count, before));
        }
        previous = Some(count);
    }
}

/// The code of each line (comments and lines inside multi-line strings left out), with the
/// offset where the line starts.
fn code_lines(python: &str) -> impl Iterator<Item = (usize, &str)> {
    let states = scan_lines(python);
    let mut offset = 0;
    python.split('\n').zip(states).map(move |(line, state)| {
        let start = offset;
        offset += line.len() + 1;
        let code = if state.in_string {
            ""
        } else {
            &line[..code_end(line)]
        };
        (start, code)
    })
}

fn seeds(python: &str) -> bool {
    // The line scan finds where a call is; most cells have none of these words at all.
    if !python.contains("seed(") {
        return false;
    }
    code_lines(python).any(|(_, code)| {
        ["seed(", "manual_seed(", "set_seed("]
            .iter()
            .any(|call| code.contains(call))
    })
}

/// The first call that draws from an unseeded generator: (offset, the call as written).
/// How the notebook seeds its random numbers, which decides what counts as an unseeded draw.
#[derive(Clone, Copy, Debug)]
pub struct Seeding {
    /// Some cell seeds the global generators (`np.random.seed`, `random.seed`).
    seeded: bool,
    /// `import random`: then `random.…` calls are the standard library's.
    imports_random: bool,
}

impl Seeding {
    pub fn of(cells: &[CodeCell]) -> Seeding {
        Seeding {
            seeded: cells.iter().any(|cell| seeds(&cell.python)),
            imports_random: cells.iter().any(|cell| {
                cell.statements.iter().any(|s| match &s.kind {
                    crate::analysis::StmtKind::Import(bindings) => bindings
                        .iter()
                        .any(|b| b.module == "random" && b.name.is_none()),
                    _ => false,
                })
            }),
        }
    }
}

/// Whether `python` (a cell's text, or one statement's) draws random numbers without a seed.
pub fn draws_unseeded(python: &str, seeding: Seeding) -> bool {
    unseeded_call(python, seeding).is_some()
}

/// Whether any cell draws random numbers without a seed: then every number the notebook
/// prints may differ from run to run. (`random_state=0` is a seed, not a draw.)
pub fn any_draws_unseeded(cells: &[CodeCell]) -> bool {
    let seeding = Seeding::of(cells);
    cells
        .iter()
        .filter(|c| c.parsed)
        .any(|c| draws_unseeded(&c.python, seeding))
}

/// Generators made without a seed: unseeded whatever the global seed.
const LOCAL_GENERATORS: &[&str] = &["default_rng()", "RandomState()"];
const TRAIN_TEST_SPLIT: &str = "train_test_split(";

fn unseeded_call(python: &str, seeding: Seeding) -> Option<(usize, String)> {
    let Seeding {
        seeded,
        imports_random,
    } = seeding;
    const DRAWS: &[&str] = &[
        "rand(",
        "randn(",
        "randint(",
        "random(",
        "choice(",
        "shuffle(",
        "permutation(",
        "normal(",
        "uniform(",
        "sample(",
        "gauss(",
        "binomial(",
        "poisson(",
        "random_sample(",
    ];
    // The line scan finds where a call is; most cells have none of these words at all.
    let mentions_draws = LOCAL_GENERATORS
        .iter()
        .chain(&[TRAIN_TEST_SPLIT])
        .any(|word| python.contains(word))
        || (!seeded && python.contains("random."));
    if !mentions_draws {
        return None;
    }
    for (start, code) in code_lines(python) {
        // Local generators: unseeded whatever the global seed.
        for &local in LOCAL_GENERATORS {
            if let Some(at) = code.find(local) {
                return Some((start + at, local.to_owned()));
            }
        }
        if let Some(at) = code.find(TRAIN_TEST_SPLIT)
            && !python[start + at..]
                .split_once("\n\n")
                .map_or(&python[start + at..], |(a, _)| a)
                .contains("random_state")
        {
            return Some((start + at, "train_test_split".to_owned()));
        }
        if seeded {
            continue;
        }
        let prefixes: &[&str] = if imports_random {
            &["np.random.", "numpy.random.", "random."]
        } else {
            &["np.random.", "numpy.random."]
        };
        for prefix in prefixes {
            for (at, _) in code.match_indices(prefix) {
                // `np.random.` also ends in `random.`: only a whole name counts.
                let before = code[..at].chars().next_back();
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.') {
                    continue;
                }
                let rest = &code[at + prefix.len()..];
                if DRAWS.iter().any(|draw| rest.starts_with(draw)) {
                    let call = &code[at..at + prefix.len() + rest.find('(').unwrap_or(0)];
                    return Some((start + at, call.to_owned()));
                }
            }
        }
    }
    None
}

/// The first string literal that is an absolute path on someone's machine.
fn absolute_path(python: &str) -> Option<(usize, String)> {
    // A drive letter (`C:\`, `C:/`) or a home folder; most cells have neither.
    if !["/Users/", "/home/", ":\\", ":/"]
        .iter()
        .any(|word| python.contains(word))
    {
        return None;
    }
    for (start, code) in code_lines(python) {
        for (at, quote) in code.match_indices(['"', '\'']) {
            let literal = &code[at + quote.len()..];
            let end = literal.find(quote).unwrap_or(literal.len());
            let text = &literal[..end];
            let drive = text.len() > 3
                && text.as_bytes()[0].is_ascii_alphabetic()
                && text.as_bytes()[1] == b':'
                && matches!(text.as_bytes()[2], b'\\' | b'/');
            let home = ["/Users/", "/home/"]
                .iter()
                .any(|p| text.starts_with(p) && text.len() > p.len());
            if drive || home {
                return Some((start + at + 1, text.to_owned()));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seeding(seeded: bool, imports_random: bool) -> Seeding {
        Seeding {
            seeded,
            imports_random,
        }
    }

    #[test]
    fn unseeded_draws_are_found_and_seeds_silence_the_global_ones() {
        let python =
            "import numpy as np\nx = np.random.rand(3)  # np.random.seed(0) in a comment\n";
        assert_eq!(
            unseeded_call(python, seeding(false, false)),
            Some((23, "np.random.rand".to_owned()))
        );
        assert_eq!(unseeded_call(python, seeding(true, false)), None);
        let split = "train_test_split(X, y, test_size=0.2)";
        assert_eq!(
            unseeded_call(split, seeding(true, false)).map(|f| f.1),
            Some("train_test_split".to_owned())
        );
        assert_eq!(
            unseeded_call(
                "train_test_split(X, y,\n    random_state=0)",
                seeding(false, false)
            ),
            None
        );
        assert_eq!(
            unseeded_call("rng = np.random.default_rng()", seeding(true, false)).map(|f| f.1),
            Some("default_rng()".to_owned())
        );
        assert_eq!(
            unseeded_call("rng = np.random.default_rng(0)", seeding(false, false)),
            None
        );
        assert_eq!(
            unseeded_call("x = random.choice(xs)", seeding(false, true)).map(|f| f.1),
            Some("random.choice".to_owned())
        );
        // `random` here is not the module.
        assert_eq!(
            unseeded_call("x = random.choice(xs)", seeding(false, false)),
            None
        );
    }

    #[test]
    fn paths_on_the_authors_machine_are_found() {
        assert_eq!(
            absolute_path("df = pd.read_csv('/Users/ana/data.csv')").map(|f| f.1),
            Some("/Users/ana/data.csv".to_owned())
        );
        assert_eq!(
            absolute_path("p = r\"C:\\\\data\\\\x.csv\"").map(|f| f.1),
            Some("C:\\\\data\\\\x.csv".to_owned())
        );
        assert_eq!(absolute_path("p = 'data/x.csv'  # '/home/me'"), None);
    }
}
