//! Files a statement reads or writes, found by path literal in the common calls (pandas'
//! `read_*`/`to_*`, numpy's `load`/`save`, `open`, `Path(…).read_text()`, `savefig`,
//! `%%writefile`). A step that reads a file an earlier step wrote depends on it though no
//! name passes between them: orchestrators must keep that order.

use rustpython_parser::ast::{self, Constant, Expr};

/// One access to a file named by a string literal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileAccess {
    pub path: String,
    pub writes: bool,
}

const READERS: &[&str] = &[
    "read_csv",
    "read_table",
    "read_excel",
    "read_json",
    "read_parquet",
    "read_pickle",
    "read_feather",
    "read_hdf",
    "read_fwf",
    "load",
    "loadtxt",
    "genfromtxt",
    "imread",
];

const WRITERS: &[&str] = &[
    "to_csv",
    "to_excel",
    "to_json",
    "to_parquet",
    "to_pickle",
    "to_feather",
    "to_hdf",
    "savefig",
    "save",
    "savez",
    "savez_compressed",
    "savetxt",
    "imsave",
    "writefile",
];

/// Keyword arguments that name the file in the calls above.
const PATH_KEYWORDS: &[&str] = &["path", "path_or_buf", "filepath_or_buffer", "fname", "file"];

/// The file `call` reads or writes, when its path is a string literal.
pub fn access(call: &ast::ExprCall) -> Option<FileAccess> {
    let (function, receiver) = match call.func.as_ref() {
        Expr::Name(name) => (name.id.as_str(), None),
        Expr::Attribute(attribute) => (attribute.attr.as_str(), Some(attribute.value.as_ref())),
        _ => return None,
    };
    match function {
        "open" => {
            // `open(path, mode)`, or `Path(path).open(mode)`.
            let (path, mode) = match receiver {
                None => (first_argument(call).and_then(literal)?, call.args.get(1)),
                Some(receiver) => (path_literal(receiver)?, call.args.first()),
            };
            let mode = mode
                .or_else(|| keyword(call, "mode"))
                .and_then(literal)
                .unwrap_or_default();
            let writes = mode.contains(['w', 'a', 'x', '+']);
            Some(FileAccess { path, writes })
        }
        "read_text" | "read_bytes" | "write_text" | "write_bytes" => Some(FileAccess {
            path: path_literal(receiver?)?,
            writes: function.starts_with("write"),
        }),
        _ => {
            let writes = if READERS.contains(&function) {
                false
            } else if WRITERS.contains(&function) {
                true
            } else {
                return None;
            };
            let path = first_argument(call)
                .or_else(|| PATH_KEYWORDS.iter().find_map(|k| keyword(call, k)))
                .and_then(literal)?;
            Some(FileAccess { path, writes })
        }
    }
}

fn first_argument(call: &ast::ExprCall) -> Option<&Expr> {
    call.args.first()
}

fn keyword<'a>(call: &'a ast::ExprCall, name: &str) -> Option<&'a Expr> {
    call.keywords
        .iter()
        .find(|k| k.arg.as_ref().is_some_and(|a| a.as_str() == name))
        .map(|k| &k.value)
}

fn literal(expr: &Expr) -> Option<String> {
    match expr {
        Expr::Constant(ast::ExprConstant {
            value: Constant::Str(text),
            ..
        }) => Some(text.clone()),
        _ => None,
    }
}

/// `Path("x")` or `pathlib.Path("x")`: the literal path.
fn path_literal(expr: &Expr) -> Option<String> {
    let Expr::Call(call) = expr else {
        return None;
    };
    let is_path = match call.func.as_ref() {
        Expr::Name(name) => name.id.as_str() == "Path",
        Expr::Attribute(attribute) => attribute.attr.as_str() == "Path",
        _ => false,
    };
    if is_path {
        first_argument(call).and_then(literal)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use rustpython_parser::{Mode, ast, parse};

    use super::{FileAccess, access};

    fn check(python: &str, expected: Option<(&str, bool)>) {
        let ast::Mod::Expression(expression) = parse(python, Mode::Expression, "<t>").unwrap()
        else {
            unreachable!()
        };
        let ast::Expr::Call(call) = expression.body.as_ref() else {
            panic!("{python} is not a call")
        };
        let expected = expected.map(|(path, writes)| FileAccess {
            path: path.to_owned(),
            writes,
        });
        assert_eq!(access(call), expected, "{python}");
    }

    #[test]
    fn reads_and_writes_named_by_literals() {
        check(
            "pd.read_csv('data.csv', sep=';')",
            Some(("data.csv", false)),
        );
        check("df.to_csv('out.csv', index=False)", Some(("out.csv", true)));
        check("df.to_parquet(path='t.parquet')", Some(("t.parquet", true)));
        check("open('log.txt')", Some(("log.txt", false)));
        check("open('log.txt', 'a')", Some(("log.txt", true)));
        check("open('log.txt', mode='w')", Some(("log.txt", true)));
        check(
            "Path('notes.md').write_text(text)",
            Some(("notes.md", true)),
        );
        check(
            "pathlib.Path('notes.md').read_text()",
            Some(("notes.md", false)),
        );
        check("Path('x.json').open('w')", Some(("x.json", true)));
        check("np.save('a.npy', a)", Some(("a.npy", true)));
        check("plt.savefig('fig.png')", Some(("fig.png", true)));
        check(
            "_nblift.writefile('helper.py', text)",
            Some(("helper.py", true)),
        );
    }

    #[test]
    fn paths_that_are_not_literals_and_other_calls_are_not_files() {
        check("pd.read_csv(path)", None);
        check("open(f'{name}.txt', 'w')", None);
        check("print('data.csv')", None);
        check("Path(folder).read_text()", None);
        check("json.loads('[]')", None);
    }
}
