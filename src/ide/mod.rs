//! Editor services: refactorings a person asks for in the editor, over the same analysis and
//! plan as a conversion. They return text for the host to apply; `lsp` is their host today.

pub mod lift_cell;
