//! jupyterlab-lsp's virtual documents: JupyterLab sends an open notebook to a language server
//! as one Python text at `…/.virtual_documents/NAME.ipynb`, its cells joined by two blank
//! lines, markdown cells empty, IPython syntax rewritten ([`ipython_overrides`]), and no
//! execution counts or tags. nblift aligns that text to the notebook saved at the same path
//! without `.virtual_documents`, which gives each cell its kind, tags and execution count;
//! cells added or changed since the last save are split on the two-blank-line layout.
//!
//! Positions stay in the virtual text: jupyterlab-lsp maps a virtual line to the cell it came
//! from, line for line and column for column, so a cell's text starts at its block's first
//! line, and its columns are the user's.
//!
//! [`ipython_overrides`]: crate::lsp::ipython_overrides

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use lsp_types::Uri;

use crate::diagnostic::CellId;
use crate::lsp::documents::file_path;
use crate::lsp::ipython_overrides::{decode_cell, encode_cell};
use crate::notebook::{Cell, CellKind, Notebook, load_notebook};

/// The folder jupyter-lsp writes its virtual documents to, under the server's root.
const VIRTUAL_FOLDER: &str = ".virtual_documents";

/// Blank lines jupyterlab-lsp puts between two cells.
const BLANK_LINES_BETWEEN_CELLS: usize = 2;

/// The notebook saved where a virtual document says it is, if there is one: the path without
/// its (last) `.virtual_documents` folder.
pub fn saved_notebook(uri: &Uri) -> Option<PathBuf> {
    let path = file_path(uri)?;
    if path.extension().is_none_or(|e| e != "ipynb") {
        return None;
    }
    let components: Vec<_> = path.components().collect();
    let folder = components
        .iter()
        .rposition(|c| c.as_os_str() == VIRTUAL_FOLDER)?;
    let saved: PathBuf = components
        .iter()
        .enumerate()
        .filter(|&(index, _)| index != folder)
        .map(|(_, c)| c.as_os_str())
        .collect();
    saved.is_file().then_some(saved)
}

/// Where a cell's text is in the virtual document.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Block {
    pub first_line: u32,
    /// Its lines in the virtual text (a rewritten cell magic has one more or one fewer than
    /// the cell).
    pub lines: u32,
}

/// A virtual document as a notebook: the cells the user sees, and where each one's text is.
#[derive(Clone, Debug)]
pub struct Aligned {
    pub notebook: Notebook,
    pub blocks: Vec<Block>,
}

/// The saved notebook, and each of its cells as jupyterlab-lsp sends it (worked out once
/// per read, not per keystroke).
#[derive(Clone, Debug)]
pub struct Saved {
    notebook: Notebook,
    sent: Vec<Vec<String>>,
}

impl Saved {
    pub fn new(notebook: Notebook) -> Saved {
        let sent = notebook.cells.iter().map(sent_lines).collect();
        Saved { notebook, sent }
    }
}

/// A saved cell as jupyterlab-lsp sends it: code rewritten, other cells empty; CodeMirror
/// has made its line ends `\n`.
fn sent_lines(cell: &Cell) -> Vec<String> {
    match cell.kind {
        CellKind::Code => encode_cell(&cell.source.replace("\r\n", "\n"))
            .split('\n')
            .map(str::to_owned)
            .collect(),
        CellKind::Markdown | CellKind::Raw => vec![String::new()],
    }
}

/// The saved notebook as last read, and the modification time it was read at.
type SavedCache = Option<(SystemTime, Result<Saved, String>)>;

/// An open virtual document and the notebook saved behind it.
#[derive(Clone, Debug)]
pub struct VirtualNotebook {
    pub text: String,
    pub saved_path: PathBuf,
    saved: SavedCache,
    pub aligned: Result<Aligned, String>,
    /// Whether the reason alignment fails was logged (once per failure).
    failure_logged: bool,
}

impl VirtualNotebook {
    pub fn new(text: String, saved_path: PathBuf) -> VirtualNotebook {
        let mut saved = None;
        let aligned = align_to_saved(&text, &saved_path, &mut saved);
        VirtualNotebook {
            text,
            saved_path,
            saved,
            aligned,
            failure_logged: false,
        }
    }

    /// Aligns the text again, reading the saved notebook again if it changed on disk.
    pub fn realign(&mut self) {
        self.aligned = align_to_saved(&self.text, &self.saved_path, &mut self.saved);
        if self.aligned.is_ok() {
            self.failure_logged = false;
        }
    }

    /// Reads the saved notebook again (it was just saved, maybe within the same clock tick
    /// as the last read) and aligns the text to it.
    pub fn reread_saved(&mut self) {
        self.saved = None;
        self.realign();
    }

    /// Why alignment fails, the first time it is asked since it began to fail: the log says
    /// it once.
    pub fn take_unlogged_failure(&mut self) -> Option<String> {
        let reason = self.aligned.as_ref().err()?;
        if self.failure_logged {
            return None;
        }
        self.failure_logged = true;
        Some(reason.clone())
    }
}

fn align_to_saved(text: &str, path: &Path, cache: &mut SavedCache) -> Result<Aligned, String> {
    let modified = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let saved = match cache.take() {
        Some((at, saved)) if at == modified => saved,
        _ => read_saved(path).map(Saved::new),
    };
    let aligned = match &saved {
        Ok(saved) => Ok(align(text, saved)),
        Err(reason) => Err(reason.clone()),
    };
    *cache = Some((modified, saved));
    aligned
}

fn read_saved(path: &Path) -> Result<Notebook, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    load_notebook(&text).map_err(|d| format!("{}: {}", path.display(), d.message))
}

fn is_separator(lines: &[&str], at: usize) -> bool {
    lines
        .get(at..at + BLANK_LINES_BETWEEN_CELLS)
        .is_some_and(|gap| gap.iter().all(|l| l.is_empty()))
}

/// Aligns a virtual document's text to the saved notebook: the saved cells found unchanged
/// at its start and at its end keep everything the notebook says of them; the text between
/// is split on the two-blank-line layout, and its pieces take the saved cells between in
/// order when there are as many of them (a cell edited since the save), or are new code
/// cells otherwise. Linear in the text and the notebook.
pub fn align(text: &str, saved: &Saved) -> Aligned {
    let text = text.replace("\r\n", "\n");
    let (sent, saved) = (&saved.sent, &saved.notebook);
    let mut lines: Vec<&str> = text.split('\n').collect();
    // Every cell's block ends in a newline; the last one's is the text's last.
    if text.ends_with('\n') {
        lines.pop();
    }
    let matches = |at: usize, cell: usize| {
        let expected = &sent[cell];
        lines
            .get(at..at + expected.len())
            .is_some_and(|found| found.iter().zip(expected).all(|(f, e)| f == e))
    };

    // Saved cells unchanged at the start: (cell, first line).
    let mut head = Vec::new();
    let mut at = 0;
    while head.len() < sent.len() && matches(at, head.len()) {
        let end = at + sent[head.len()].len();
        let last = end == lines.len();
        if !last && !is_separator(&lines, end) {
            break;
        }
        head.push((head.len(), at));
        at = end + BLANK_LINES_BETWEEN_CELLS;
        if last {
            break;
        }
    }
    // Saved cells unchanged at the end, not overlapping the start.
    let mut tail = Vec::new();
    let mut until = lines.len();
    let mut cell = sent.len();
    while cell > head.len() {
        let Some(start) = until.checked_sub(sent[cell - 1].len()) else {
            break;
        };
        let separated = start == 0 || start >= 2 && is_separator(&lines, start - 2);
        if start < at || !matches(start, cell - 1) || !separated {
            break;
        }
        tail.push((cell - 1, start));
        cell -= 1;
        until = start.saturating_sub(BLANK_LINES_BETWEEN_CELLS);
    }
    tail.reverse();
    let changed = head.len()..cell;
    let pieces = if at <= until && at < lines.len() {
        split_on_layout(&lines, at, until)
    } else {
        Vec::new()
    };

    let mut cells = Vec::new();
    let mut blocks = Vec::new();
    let mut push = |cell: Cell, first_line: usize, length: usize| {
        blocks.push(Block {
            first_line: first_line as u32,
            lines: length as u32,
        });
        cells.push(Cell {
            id: CellId(cells.len() as u32),
            ..cell
        });
    };
    for &(index, first_line) in &head {
        push(saved.cells[index].clone(), first_line, sent[index].len());
    }
    let paired = pieces.len() == changed.len();
    for (number, &(first_line, length)) in pieces.iter().enumerate() {
        let text = lines[first_line..first_line + length].join("\n");
        let was = paired.then(|| &saved.cells[changed.start + number]);
        let cell = match was {
            // A markdown or raw cell is sent empty: it is unchanged if it still is.
            Some(was) if was.kind != CellKind::Code && text.is_empty() => was.clone(),
            // Edited: its tags and execution count stay, its saved output no longer holds.
            Some(was) if was.kind == CellKind::Code => Cell {
                source: decode_cell(&text),
                saved_stdout: None,
                ..was.clone()
            },
            _ => new_code_cell(decode_cell(&text)),
        };
        push(cell, first_line, length);
    }
    for &(index, first_line) in &tail {
        push(saved.cells[index].clone(), first_line, sent[index].len());
    }
    Aligned {
        notebook: Notebook {
            nbformat: saved.nbformat,
            language: saved.language.clone(),
            cells,
        },
        blocks,
    }
}

fn new_code_cell(source: String) -> Cell {
    Cell {
        id: CellId(0),
        kind: CellKind::Code,
        source,
        tags: Vec::new(),
        execution_count: None,
        saved_stdout: None,
        first_line: 0,
    }
}

/// The cells in `lines[from..until]` as (first line, length): a cell ends where two blank
/// lines follow it and the next line is not indented (two blank lines inside a function
/// body do not end the cell), and has at least one line (an empty cell is one empty line).
fn split_on_layout(lines: &[&str], from: usize, until: usize) -> Vec<(usize, usize)> {
    let mut pieces = Vec::new();
    let mut start = from;
    let mut line = from + 1;
    while line <= until {
        if line == until {
            pieces.push((start, line - start));
            break;
        }
        let next = lines.get(line + BLANK_LINES_BETWEEN_CELLS).copied();
        let indented = next.is_some_and(|l| l.starts_with([' ', '\t']));
        if line + BLANK_LINES_BETWEEN_CELLS <= until && is_separator(lines, line) && !indented {
            pieces.push((start, line - start));
            start = line + BLANK_LINES_BETWEEN_CELLS;
            line = start + 1;
        } else {
            line += 1;
        }
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A saved notebook of (kind, source, execution count) cells.
    fn saved(cells: &[(CellKind, &str, Option<u32>)]) -> Notebook {
        Notebook {
            nbformat: 4,
            language: Some("python".to_owned()),
            cells: cells
                .iter()
                .enumerate()
                .map(|(index, &(kind, source, execution_count))| Cell {
                    id: CellId(index as u32),
                    kind,
                    source: source.to_owned(),
                    execution_count,
                    ..new_code_cell(String::new())
                })
                .collect(),
        }
    }

    const MD: CellKind = CellKind::Markdown;
    const CODE: CellKind = CellKind::Code;

    /// The cells found: kind, source, execution count, and the block's first line and length.
    fn found(aligned: &Aligned) -> Vec<(CellKind, &str, Option<u32>, u32, u32)> {
        aligned
            .notebook
            .cells
            .iter()
            .zip(&aligned.blocks)
            .map(|(c, b)| {
                (
                    c.kind,
                    c.source.as_str(),
                    c.execution_count,
                    b.first_line,
                    b.lines,
                )
            })
            .collect()
    }

    fn example() -> Notebook {
        saved(&[
            (MD, "# Title\nSome words", None),
            (CODE, "import os\nx = 1", Some(1)),
            (CODE, "%time y = x + 1", Some(2)),
            (
                CODE,
                "def f():\n    return 1\n\n\ndef g():\n    return 2",
                Some(3),
            ),
            (CODE, "%%time\nz = y * 2", Some(4)),
        ])
    }

    /// The example as JupyterLab sends it, unchanged since the save.
    const SENT: &str = "\n\n\nimport os\nx = 1\n\n\nget_ipython().run_line_magic(\"time\", \" y = x + 1\")\n\n\ndef f():\n    return 1\n\n\ndef g():\n    return 2\n\n\n# START_CELL_MAGIC(\"time\", \"\")\nz = y * 2\n# END_CELL_MAGIC\n";

    #[test]
    fn an_unchanged_notebook_is_the_saved_one() {
        let aligned = align(SENT, &Saved::new(example()));
        assert_eq!(
            found(&aligned),
            [
                (MD, "# Title\nSome words", None, 0, 1),
                (CODE, "import os\nx = 1", Some(1), 3, 2),
                (CODE, "%time y = x + 1", Some(2), 7, 1),
                // Two blank lines inside a cell do not split it: the saved cell says where it ends.
                (
                    CODE,
                    "def f():\n    return 1\n\n\ndef g():\n    return 2",
                    Some(3),
                    10,
                    6
                ),
                (CODE, "%%time\nz = y * 2", Some(4), 18, 3),
            ]
        );
    }

    /// What JupyterLab 4.6.6 with jupyterlab-lsp 5.3.0 sent for a notebook of every kind of
    /// cell (captured from a real session): each saved cell is found where it is.
    #[test]
    fn what_jupyterlab_sends_aligns_cell_for_cell() {
        const RAW: CellKind = CellKind::Raw;
        let cells = [
            (MD, "# Title", None),
            (CODE, "import os\nx = 1", Some(1)),
            (CODE, "%time y = x + 1", Some(2)),
            (CODE, "!ls -la", Some(3)),
            (CODE, "files = !ls", Some(4)),
            (MD, "Some markdown line one\nand line two", None),
            (CODE, "%%time\nz = y * 2\nprint(z)", Some(5)),
            (CODE, "%%bash\necho hi", Some(6)),
            (CODE, "%%capture out\nprint(1)", None),
            (
                CODE,
                "def f():\n    return 1\n\n\ndef g():\n    return 2",
                Some(7),
            ),
            (CODE, "w = 3\n", Some(8)),
            (RAW, "raw text", None),
            (CODE, "os?", None),
            (CODE, "print(undefined_name)", None),
            (CODE, "", None),
            (CODE, "%matplotlib inline\nimport math", None),
        ];
        let sent = "\n\n\nimport os\nx = 1\n\n\nget_ipython().run_line_magic(\"time\", \" y = x + 1\")\n\n\nget_ipython().getoutput(\"ls -la\")\n\n\nfiles = get_ipython().getoutput(\"ls\")\n\n\n\n\n\n# START_CELL_MAGIC(\"time\", \"\")\nz = y * 2\nprint(z)\n# END_CELL_MAGIC\n\n\nget_ipython().run_cell_magic(\"bash\", \"\", \"\"\"echo hi\"\"\")\n\n\n# START_CELL_MAGIC(\"capture\", \" out\")\nprint(1)\n# END_CELL_MAGIC\n\n\ndef f():\n    return 1\n\n\ndef g():\n    return 2\n\n\nw = 3\n\n\n\n\n\n\nget_ipython().run_line_magic('pinfo',  'os')\n\n\nprint(undefined_name)\n\n\n\n\n\nget_ipython().run_line_magic(\"matplotlib\", \" inline\")\nimport math\n";
        let aligned = align(sent, &Saved::new(saved(&cells)));
        let first_lines: Vec<u32> = aligned.blocks.iter().map(|b| b.first_line).collect();
        assert_eq!(
            first_lines,
            [0, 3, 7, 10, 13, 16, 19, 25, 28, 33, 41, 45, 48, 51, 54, 57]
        );
        let kinds_and_counts: Vec<_> = found(&aligned).iter().map(|c| (c.0, c.2)).collect();
        let expected: Vec<_> = cells.iter().map(|c| (c.0, c.2)).collect();
        assert_eq!(kinds_and_counts, expected);
        // Each code block, read back, is the cell as written.
        let lines: Vec<&str> = sent.split('\n').collect();
        for (cell, block) in aligned.notebook.cells.iter().zip(&aligned.blocks) {
            if cell.kind == CODE {
                let (start, length) = (block.first_line as usize, block.lines as usize);
                let text = lines[start..start + length].join("\n");
                assert_eq!(decode_cell(&text), cell.source);
            }
        }
    }

    #[test]
    fn an_edited_cell_keeps_its_execution_count_and_reads_as_written() {
        let sent = SENT.replace(
            "get_ipython().run_line_magic(\"time\", \" y = x + 1\")",
            "get_ipython().run_line_magic(\"time\", \" y = x + 2\")\nfiles = get_ipython().getoutput(\"ls\")",
        );
        let aligned = align(&sent, &Saved::new(example()));
        assert_eq!(
            found(&aligned)[2],
            (CODE, "%time y = x + 2\nfiles = !ls", Some(2), 7, 2)
        );
        assert_eq!(
            found(&aligned)[3].3,
            11,
            "the cells below moved down a line"
        );
        assert_eq!(aligned.notebook.cells.len(), 5);
    }

    #[test]
    fn a_cell_added_since_the_save_is_a_new_code_cell() {
        let sent = SENT.replace("x = 1\n\n\n", "x = 1\n\n\nprint(x)\n\n\n");
        let aligned = align(&sent, &Saved::new(example()));
        let cells = found(&aligned);
        assert_eq!(cells.len(), 6);
        assert_eq!(cells[2], (CODE, "print(x)", None, 7, 1));
        assert_eq!(cells[3], (CODE, "%time y = x + 1", Some(2), 10, 1));
        let ids: Vec<u32> = aligned.notebook.cells.iter().map(|c| c.id.0).collect();
        assert_eq!(ids, [0, 1, 2, 3, 4, 5], "cells are numbered as on the page");
    }

    #[test]
    fn a_cell_deleted_since_the_save_is_gone() {
        let sent = SENT.replace(
            "get_ipython().run_line_magic(\"time\", \" y = x + 1\")\n\n\n",
            "",
        );
        let aligned = align(&sent, &Saved::new(example()));
        let sources: Vec<&str> = found(&aligned).iter().map(|c| c.1).collect();
        assert_eq!(
            sources,
            [
                "# Title\nSome words",
                "import os\nx = 1",
                "def f():\n    return 1\n\n\ndef g():\n    return 2",
                "%%time\nz = y * 2"
            ]
        );
    }

    #[test]
    fn an_emptied_markdown_cell_stays_markdown_and_a_typed_one_becomes_code() {
        let notebook = saved(&[
            (CODE, "a = 1", Some(1)),
            (MD, "# A", None),
            (CODE, "b = 2", Some(2)),
        ]);
        let same = align("a = 1\n\n\n\n\n\nb = 2\n", &Saved::new(notebook.clone()));
        assert_eq!(found(&same)[1], (MD, "# A", None, 3, 1));
        let typed = align("a = 1\n\n\nc = 3\n\n\nb = 2\n", &Saved::new(notebook));
        assert_eq!(found(&typed)[1], (CODE, "c = 3", None, 3, 1));
    }

    #[test]
    fn cells_after_an_unknown_number_of_changes_are_split_on_the_layout() {
        let notebook = saved(&[(CODE, "a = 1", Some(1)), (CODE, "b = 2", Some(2))]);
        let aligned = align("a = 10\n\n\nb = 20\n\n\nc = 30", &Saved::new(notebook));
        assert_eq!(
            found(&aligned),
            [
                (CODE, "a = 10", None, 0, 1),
                (CODE, "b = 20", None, 3, 1),
                (CODE, "c = 30", None, 6, 1),
            ]
        );
    }

    #[test]
    fn two_blank_lines_inside_a_function_do_not_end_an_edited_cell() {
        let notebook = saved(&[
            (CODE, "def f():\n    return 1", Some(1)),
            (CODE, "f()", Some(2)),
        ]);
        let sent = "def f():\n    x = 1\n\n\n    return x\n\n\nf()\n";
        let aligned = align(sent, &Saved::new(notebook));
        assert_eq!(
            found(&aligned),
            [
                (CODE, "def f():\n    x = 1\n\n\n    return x", Some(1), 0, 5),
                (CODE, "f()", Some(2), 7, 1),
            ]
        );
    }

    #[test]
    fn a_saved_cell_with_windows_line_ends_is_found() {
        let notebook = saved(&[
            (CODE, "a = 1\r\nb = 2", Some(1)),
            (CODE, "print(a)", Some(2)),
        ]);
        let aligned = align("a = 1\nb = 2\n\n\nprint(a)\n", &Saved::new(notebook));
        let counts: Vec<_> = found(&aligned).iter().map(|c| (c.2, c.3)).collect();
        assert_eq!(counts, [(Some(1), 0), (Some(2), 4)]);
    }

    proptest::proptest! {
        /// Whatever the editor sends against whatever was saved: no panic, and every cell
        /// has a block of its own, in order, inside the text.
        #[test]
        fn any_text_aligns_to_blocks_in_order_inside_it(
            text in "[a-c%!\\n \"]{0,60}",
            cells in proptest::collection::vec(("[a-c%\\n ]{0,12}", proptest::bool::ANY), 0..6),
        ) {
            let cells: Vec<(CellKind, &str, Option<u32>)> = cells
                .iter()
                .map(|(source, code)| (if *code { CODE } else { MD }, source.as_str(), None))
                .collect();
            let aligned = align(&text, &Saved::new(saved(&cells)));
            let lines = text.split('\n').count() as u32;
            proptest::prop_assert_eq!(aligned.blocks.len(), aligned.notebook.cells.len());
            let mut next = 0;
            for block in &aligned.blocks {
                proptest::prop_assert!(block.first_line >= next, "{:?}", aligned.blocks);
                proptest::prop_assert!(block.first_line + block.lines <= lines.max(1), "{:?}", aligned.blocks);
                next = block.first_line + block.lines;
            }
        }
    }

    #[test]
    fn the_saved_notebook_is_the_path_without_the_virtual_folder() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("sub")).unwrap();
        let notebook = dir.path().join("sub/nb.ipynb");
        std::fs::write(&notebook, "{}").unwrap();
        let uri = |path: &str| -> Uri {
            format!("file://{}/{path}", dir.path().display())
                .parse()
                .unwrap()
        };
        assert_eq!(
            saved_notebook(&uri(".virtual_documents/sub/nb.ipynb")),
            Some(notebook)
        );
        assert_eq!(
            saved_notebook(&uri(".virtual_documents/sub/other.ipynb")),
            None
        );
        assert_eq!(saved_notebook(&uri("sub/nb.ipynb")), None);
    }
}
