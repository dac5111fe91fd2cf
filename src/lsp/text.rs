//! Positions between LSP and nblift: LSP counts lines and UTF-16 code units, the analysis
//! counts bytes of a cell's text.

use crate::notebook::lines::{floor_char_boundary, line_text, map_column};
use lsp_types::{Position, Range, TextDocumentContentChangeEvent};

/// The byte offset of an LSP position in `text`, clamped to the text (a position past a
/// line's end is the line's end, as LSP says).
pub fn offset_of(text: &str, position: Position) -> usize {
    let mut line_start = 0;
    for _ in 0..position.line {
        match text[line_start..].find('\n') {
            Some(end) => line_start += end + 1,
            None => return text.len(),
        }
    }
    let line_end = text[line_start..]
        .find('\n')
        .map_or(text.len(), |end| line_start + end);
    let mut units = 0;
    for (index, character) in text[line_start..line_end].char_indices() {
        if units >= position.character as usize {
            return line_start + index;
        }
        units += character.len_utf16();
    }
    line_end
}

/// The LSP position of a byte offset in `text`, its lines counted from `first_line`.
pub fn position_of(text: &str, offset: usize, first_line: u32) -> Position {
    let offset = floor_char_boundary(text, offset.min(text.len()));
    let before = &text[..offset];
    let line = before.matches('\n').count() as u32;
    let line_start = before.rfind('\n').map_or(0, |p| p + 1);
    let character = text[line_start..offset].encode_utf16().count() as u32;
    Position::new(first_line + line, character)
}

/// A cell as the editor shows it (`source`) and as it was analysed (`python`, IPython syntax
/// translated): the same lines, but a line may differ. A cell IPython dedents, or a line it
/// takes a prompt off (`>>> `), is the source line's end; a translated magic line keeps its
/// columns, clamped to the other line.
pub struct CellText<'a> {
    pub source: &'a str,
    pub python: &'a str,
    pub first_line: u32,
}

impl CellText<'_> {
    /// The LSP position, in the source, of a byte offset in the Python text.
    pub fn position(&self, python_offset: usize) -> Position {
        let offset = floor_char_boundary(self.python, python_offset.min(self.python.len()));
        let before = &self.python[..offset];
        let line = before.matches('\n').count();
        let python_line = line_text(self.python, line);
        let column = offset - before.rfind('\n').map_or(0, |p| p + 1);
        let source_line = line_text(self.source, line);
        let column = map_column(python_line, source_line, column);
        let character = source_line[..column].encode_utf16().count() as u32;
        Position::new(self.first_line + line as u32, character)
    }

    pub fn range(&self, start: usize, end: usize) -> Range {
        Range::new(self.position(start), self.position(end))
    }

    /// The byte offset in the Python text of a byte offset in the source.
    pub fn python_offset(&self, source_offset: usize) -> usize {
        let offset = floor_char_boundary(self.source, source_offset.min(self.source.len()));
        let before = &self.source[..offset];
        let line = before.matches('\n').count();
        let column = offset - before.rfind('\n').map_or(0, |p| p + 1);
        let python_line = line_text(self.python, line);
        let column = map_column(line_text(self.source, line), python_line, column);
        let line_start: usize = self
            .python
            .split('\n')
            .take(line)
            .map(|l| l.len() + 1)
            .sum();
        (line_start + column).min(self.python.len())
    }
}

/// Applies an editor's change (a range edit, or the whole text) to `text`.
pub fn apply_change(text: &mut String, change: TextDocumentContentChangeEvent) {
    match change.range {
        Some(range) => {
            let start = offset_of(text, range.start);
            let end = offset_of(text, range.end).max(start);
            text.replace_range(start..end, &change.text);
        }
        None => *text = change.text,
    }
}

/// The identifier around a byte offset of `text`, with its start.
pub fn identifier_at(text: &str, offset: usize) -> Option<(usize, &str)> {
    let offset = floor_char_boundary(text, offset.min(text.len()));
    let is_part = |c: char| c == '_' || c.is_alphanumeric();
    let start = text[..offset]
        .char_indices()
        .rev()
        .take_while(|(_, c)| is_part(*c))
        .last()
        .map_or(offset, |(i, _)| i);
    let end = text[offset..]
        .char_indices()
        .find(|(_, c)| !is_part(*c))
        .map_or(text.len(), |(i, _)| offset + i);
    let word = &text[start..end];
    let first = word.chars().next()?;
    (!first.is_numeric()).then_some((start, word))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_utf16_units() {
        let text = "a = 1\né = '😀x'\n";
        let x = text.find('x').unwrap();
        let position = position_of(text, x, 0);
        assert_eq!(position, Position::new(1, 7));
        assert_eq!(offset_of(text, position), x);
        assert_eq!(position_of(text, x, 10).line, 11);
        assert_eq!(offset_of(text, Position::new(0, 99)), 5);
        assert_eq!(offset_of(text, Position::new(9, 0)), text.len());
    }

    #[test]
    fn positions_map_between_a_dedented_or_translated_cell_and_its_source() {
        // IPython dedents an indented cell; `%time` is translated.
        let cell = CellText {
            source: "    x = 1\n    print(y)\n%time z = x",
            python: "x = 1\nprint(y)\nget_ipython().run_line_magic('time', 'z = x')",
            first_line: 3,
        };
        let y = cell.python.find('y').unwrap();
        assert_eq!(cell.position(y), Position::new(4, 10));
        assert_eq!(cell.python_offset(cell.source.find('y').unwrap()), y);
        // A translated line keeps its columns, within the source line.
        let end = cell.python.len();
        assert_eq!(cell.position(end), Position::new(5, 11));
    }

    #[test]
    fn changes_apply_by_range_or_whole() {
        let mut text = "x = 1\nprint(x)\n".to_owned();
        let change = |range, text: &str| TextDocumentContentChangeEvent {
            range,
            range_length: None,
            text: text.to_owned(),
        };
        apply_change(
            &mut text,
            change(
                Some(Range::new(Position::new(0, 4), Position::new(0, 5))),
                "2",
            ),
        );
        assert_eq!(text, "x = 2\nprint(x)\n");
        apply_change(&mut text, change(None, "y"));
        assert_eq!(text, "y");
    }

    #[test]
    fn identifiers_are_found_around_the_cursor() {
        assert_eq!(identifier_at("print(df_2)", 8), Some((6, "df_2")));
        assert_eq!(identifier_at("print(df_2)", 6), Some((6, "df_2")));
        assert_eq!(identifier_at("x = 12", 5), None);
        assert_eq!(identifier_at("x = (", 5), None);
    }
}
