//! Option values people type by name (`--split cells`, `--export prefect`, and the editor's
//! `{"split": "cells"}`): one list of names and helps per option, which every host parses
//! with, so the library takes no command-line parser.

pub trait Named: Copy + Sized + 'static {
    /// Every value, in the order help lists them.
    const ALL: &'static [Self];

    /// The name people type.
    fn name(self) -> &'static str;

    /// One line of help.
    fn help(self) -> &'static str;

    /// The value named `name` (case-insensitively), or a message listing the names.
    fn parse(name: &str, option: &str) -> Result<Self, String> {
        Self::ALL
            .iter()
            .copied()
            .find(|value| value.name().eq_ignore_ascii_case(name))
            .ok_or_else(|| {
                let known: Vec<&str> = Self::ALL.iter().map(|v| v.name()).collect();
                format!(
                    "`{name}` is not a valid `{option}` (one of: {})",
                    known.join(", ")
                )
            })
    }
}
