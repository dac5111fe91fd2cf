//! The notebook data model: plain data, no behaviour beyond small accessors.

use crate::diagnostic::CellId;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CellKind {
    Code,
    Markdown,
    /// Raw cells are not executed by Jupyter; they are kept only so cell numbers match.
    Raw,
}

#[derive(Clone, Debug)]
pub struct Cell {
    pub id: CellId,
    pub kind: CellKind,
    /// The cell's text exactly as saved (list sources joined).
    pub source: String,
    /// `metadata.tags`.
    pub tags: Vec<String>,
    pub execution_count: Option<u32>,
    /// What the cell printed on stdout when it was last run, as saved in the notebook; `None`
    /// when the cell has no saved outputs at all.
    pub saved_stdout: Option<Box<str>>,
    /// The line of the file where the cell's text starts (0-based): 0 in a notebook, where
    /// each cell counts its own lines; the line after the `# %%` marker in a percent script.
    pub first_line: u32,
}

impl Cell {
    pub fn has_tag(&self, tag: &str) -> bool {
        self.tags.iter().any(|t| t == tag)
    }

    /// Whether the cell holds the pipeline's parameters: tagged `parameters` (papermill's
    /// convention) or `pipeline-parameters` (Kale's).
    pub fn is_parameters(&self) -> bool {
        self.has_tag("parameters") || self.has_tag("pipeline-parameters")
    }
}

#[derive(Clone, Debug)]
pub struct Notebook {
    /// nbformat major version as written (3 notebooks are upgraded on load).
    pub nbformat: u64,
    /// The kernel language when the notebook says one.
    pub language: Option<String>,
    pub cells: Vec<Cell>,
}

impl Notebook {
    pub fn cell(&self, id: CellId) -> &Cell {
        &self.cells[id.index()]
    }

    pub fn code_cells(&self) -> impl Iterator<Item = &Cell> {
        self.cells.iter().filter(|c| c.kind == CellKind::Code)
    }
}
