//! Secrets written into the notebook: a non-empty string literal bound to, or passed as, a
//! name equal to or ending in `api_key`, `token`, `password` or `secret`
//! (`set_credentials_file(username=…, api_key='…')`). nblift copies the notebook's code into
//! the package as written, so the key would travel with it; the finding says so.
//!
//! Markup tokens are not secrets: a literal like `"<pad>"` or `"[CLS]"` bound to
//! `pad_token` is a tokenizer's vocabulary.

use rustpython_parser::ast::{self, Expr, Ranged};

use crate::analysis::CodeCell;
use crate::analysis::facts::{LiteralSecret, Name};
use crate::diagnostic::{self, Diagnostic, Span};

const SECRET_SUFFIXES: &[&str] = &["api_key", "token", "password", "secret"];

/// A name that holds a secret: `api_key`, `GITHUB_TOKEN`, `db_password`, `client_secret`.
pub fn is_secret_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    SECRET_SUFFIXES.iter().any(|suffix| lower.ends_with(suffix))
}

/// `value` bound to, or passed as, `name`: the secret it writes down, if it is one.
pub fn literal_secret(name: &str, value: &Expr) -> Option<LiteralSecret> {
    let Expr::Constant(ast::ExprConstant {
        value: ast::Constant::Str(text),
        ..
    }) = value
    else {
        return None;
    };
    let text = text.trim();
    let markup = (text.starts_with('<') && text.ends_with('>'))
        || (text.starts_with('[') && text.ends_with(']'));
    (is_secret_name(name) && !text.is_empty() && !markup).then(|| LiteralSecret {
        name: Name::new(name),
        range: value.range(),
    })
}

pub fn find(cells: &[CodeCell]) -> Vec<Diagnostic> {
    cells
        .iter()
        .flat_map(|cell| {
            cell.statements
                .iter()
                .flat_map(|s| s.literal_secrets())
                .map(|secret| {
                    diagnostic::literal_secret(
                        Span::new(cell.id, secret.range),
                        secret.name.as_str(),
                    )
                })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secret_names_end_in_a_secret_word() {
        for name in [
            "api_key",
            "API_KEY",
            "plotly_api_key",
            "token",
            "GITHUB_TOKEN",
            "password",
            "client_secret",
        ] {
            assert!(is_secret_name(name), "{name}");
        }
        for name in [
            "tokens",
            "max_tokens",
            "tokenizer",
            "key",
            "secrets_path",
            "passwords",
        ] {
            assert!(!is_secret_name(name), "{name}");
        }
    }
}
