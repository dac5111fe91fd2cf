//! Comparing the files the two runs leave in their scratch copies of the notebook's folder.
//!
//! Files equal byte for byte are equal. Otherwise JSON files that parse on both sides compare
//! value by value and CSV / TSV files that parse on both sides compare cell by cell, numbers
//! with the tolerance of the value comparison (`compare::close`): two runs that add up the
//! same numbers in another order write files that differ in the last digits only. Any other
//! file (or one that does not parse on one side) is reported by its size. Each file reports
//! at most `PER_VALUE` differences, each with a path inside the file: `report.json:
//! ['rows'][0]`, `out.csv: row 3, column 'total'` (rows count from 1, below the header).

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};

use serde_json::Value;
use walkdir::WalkDir;

use super::compare::{Difference, Ignore, PER_VALUE, ROWS_SORTED, close, sort_key};

/// Files the two runs left different (by content, or present on one side only), by their
/// path relative to the notebook's folder, each with its differences; the notebook itself and
/// Python's and Jupyter's caches are left out.
pub fn by_file(
    notebook_dir: &Path,
    package_dir: &Path,
    notebook_name: &OsStr,
    ignore: &Ignore,
) -> BTreeMap<PathBuf, Vec<Difference>> {
    let (a, b) = (
        files(notebook_dir, notebook_name),
        files(package_dir, notebook_name),
    );
    let paths: BTreeSet<&PathBuf> = a.keys().chain(b.keys()).collect();
    let mut found = BTreeMap::new();
    for path in paths {
        let differences = match (a.get(path), b.get(path)) {
            (Some(x), Some(y)) if x == y => continue,
            (Some(x), Some(y)) => contents(path, x, y, ignore),
            (x, y) => vec![sizes(path, x.map(Vec::as_slice), y.map(Vec::as_slice))],
        };
        if !differences.is_empty() {
            found.insert(path.clone(), differences);
        }
    }
    found
}

/// Every file under `root` with its bytes, by its path relative to `root`.
fn files(root: &Path, notebook_name: &OsStr) -> BTreeMap<PathBuf, Vec<u8>> {
    WalkDir::new(root)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .filter_map(|e| {
            let relative = e.path().strip_prefix(root).ok()?.to_path_buf();
            let skipped = relative.as_os_str() == notebook_name
                || relative.components().any(|c| {
                    let c = c.as_os_str().to_string_lossy();
                    c == "__pycache__" || c == ".ipynb_checkpoints"
                });
            (!skipped).then(|| Some((relative, fs::read(e.path()).ok()?)))?
        })
        .collect()
}

/// A file written by one side only, or one whose contents cannot be compared piece by piece.
fn sizes(path: &Path, notebook: Option<&[u8]>, package: Option<&[u8]>) -> Difference {
    let describe = |bytes: Option<&[u8]>| match bytes {
        Some(bytes) => format!("{} bytes", bytes.len()),
        None => "not written".to_owned(),
    };
    Difference {
        path: path.display().to_string(),
        notebook: describe(notebook),
        package: describe(package),
    }
}

/// Two different byte strings of one file, compared by what the file holds when its kind
/// is known and both sides parse.
fn contents(path: &Path, notebook: &[u8], package: &[u8], ignore: &Ignore) -> Vec<Difference> {
    let mut found = Found {
        file: path.display().to_string(),
        differences: Vec::new(),
    };
    let extension = path
        .extension()
        .and_then(OsStr::to_str)
        .map(str::to_ascii_lowercase);
    let parsed = match extension.as_deref() {
        Some("json") => json(notebook, package, &mut found),
        Some("csv") => table(notebook, package, b',', ignore, &mut found),
        Some("tsv") => table(notebook, package, b'\t', ignore, &mut found),
        _ => None,
    };
    match parsed {
        Some(()) => found.differences,
        None => vec![sizes(path, Some(notebook), Some(package))],
    }
}

/// The differences found in one file, at most `PER_VALUE`.
struct Found {
    file: String,
    differences: Vec<Difference>,
}

impl Found {
    fn push(&mut self, at: &str, notebook: String, package: String) {
        if self.differences.len() < PER_VALUE {
            let path = if at.is_empty() {
                self.file.clone()
            } else {
                format!("{}: {at}", self.file)
            };
            self.differences.push(Difference {
                path,
                notebook,
                package,
            });
        }
    }
}

/// `None` when either side is not JSON.
fn json(notebook: &[u8], package: &[u8], found: &mut Found) -> Option<()> {
    let a: Value = serde_json::from_slice(notebook).ok()?;
    let b: Value = serde_json::from_slice(package).ok()?;
    json_values("", &a, &b, found);
    Some(())
}

fn json_values(at: &str, notebook: &Value, package: &Value, found: &mut Found) {
    match (notebook, package) {
        (Value::Number(a), Value::Number(b)) => {
            // Integers on both sides are counts or ids: exactly. Otherwise an int against a
            // float is no difference: JSON writers differ in how they write a whole float
            // (`json` writes `1.0`, others `1`), and a file has no types beyond JSON's.
            let integers = (a.is_i64() || a.is_u64()) && (b.is_i64() || b.is_u64());
            let same = if integers {
                a == b
            } else {
                matches!((a.as_f64(), b.as_f64()), (Some(x), Some(y)) if close(x, y))
            };
            if !same {
                found.push(at, a.to_string(), b.to_string());
            }
        }
        (Value::Object(a), Value::Object(b)) => {
            let key = |name: &str| format!("{at}[{name:?}]").replace('"', "'");
            for (name, value) in a {
                match b.get(name) {
                    Some(other) => json_values(&key(name), value, other, found),
                    None => found.push(&key(name), describe(value), "missing".to_owned()),
                }
            }
            for (name, value) in b {
                if !a.contains_key(name) {
                    found.push(&key(name), "missing".to_owned(), describe(value));
                }
            }
        }
        (Value::Array(a), Value::Array(b)) => {
            if a.len() != b.len() {
                found.push(
                    &format!("len({at})"),
                    a.len().to_string(),
                    b.len().to_string(),
                );
            }
            for (index, (x, y)) in a.iter().zip(b).enumerate() {
                json_values(&format!("{at}[{index}]"), x, y, found);
            }
        }
        (a, b) => {
            if a != b {
                found.push(at, describe(a), describe(b));
            }
        }
    }
}

/// A JSON value for a message: scalars as written, containers by their size.
fn describe(value: &Value) -> String {
    match value {
        Value::Array(items) => format!("array of {}", items.len()),
        Value::Object(fields) => format!("object of {}", fields.len()),
        other => other.to_string(),
    }
}

/// `None` when either side does not parse as a table with a header row.
fn table(
    notebook: &[u8],
    package: &[u8],
    delimiter: u8,
    ignore: &Ignore,
    found: &mut Found,
) -> Option<()> {
    let (a, b) = (records(notebook, delimiter)?, records(package, delimiter)?);
    let ((header_a, rows_a), (header_b, rows_b)) = (a.split_first()?, b.split_first()?);
    let columns = matched_columns(header_a, header_b, ignore);
    let same_header = if ignore.column_order {
        let sorted = |header: &[String]| {
            let mut names = header.to_vec();
            names.sort();
            names
        };
        sorted(header_a) == sorted(header_b)
    } else {
        header_a == header_b
    };
    if !same_header {
        found.push("header", format!("{header_a:?}"), format!("{header_b:?}"));
    }
    // Each row as its cells in the matched columns, so both sides sort by the same cells.
    let project = |rows: &[Vec<String>], side: fn(&Column) -> usize| -> Vec<Vec<String>> {
        rows.iter()
            .map(|row| {
                columns
                    .iter()
                    .map(|column| row.get(side(column)).cloned().unwrap_or_default())
                    .collect()
            })
            .collect()
    };
    let (mut rows_a, mut rows_b) = (
        project(rows_a, |c| c.notebook),
        project(rows_b, |c| c.package),
    );
    if ignore.row_order {
        sort_rows(&mut rows_a);
        sort_rows(&mut rows_b);
    }
    if rows_a.len() != rows_b.len() {
        found.push(
            "rows",
            format!("{} rows", rows_a.len()),
            format!("{} rows", rows_b.len()),
        );
    }
    let sorted = if ignore.row_order { ROWS_SORTED } else { "" };
    for (number, (row_a, row_b)) in rows_a.iter().zip(&rows_b).enumerate() {
        for ((cell_a, cell_b), column) in row_a.iter().zip(row_b).zip(&columns) {
            if !same_cell(cell_a, cell_b) {
                let name = format!("{:?}", column.name).replace('"', "'");
                let at = format!("row {}{sorted}, column {name}", number + 1);
                found.push(&at, format!("{cell_a:?}"), format!("{cell_b:?}"));
            }
        }
    }
    Some(())
}

/// Every record of a delimited file, the header first; `None` when it does not parse (not
/// UTF-8, rows of different lengths) or is empty.
fn records(bytes: &[u8], delimiter: u8) -> Option<Vec<Vec<String>>> {
    let records: Option<Vec<Vec<String>>> = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(false)
        .delimiter(delimiter)
        .from_reader(bytes)
        .records()
        .map(|record| Some(record.ok()?.iter().map(str::to_owned).collect()))
        .collect();
    records.filter(|records| !records.is_empty())
}

/// A column both sides have: its header and its position on each side.
struct Column {
    name: String,
    notebook: usize,
    package: usize,
}

/// Columns by position, or by header name with `ignore.column_order` (a repeated name pairs
/// its first unmatched occurrence on each side).
fn matched_columns(notebook: &[String], package: &[String], ignore: &Ignore) -> Vec<Column> {
    if !ignore.column_order {
        return (0..notebook.len().min(package.len()))
            .map(|position| Column {
                name: notebook[position].clone(),
                notebook: position,
                package: position,
            })
            .collect();
    }
    let mut taken = vec![false; package.len()];
    let mut columns = Vec::new();
    for (position, name) in notebook.iter().enumerate() {
        let other = (0..package.len()).find(|&at| !taken[at] && package[at] == *name);
        if let Some(other) = other {
            taken[other] = true;
            columns.push(Column {
                name: name.clone(),
                notebook: position,
                package: other,
            });
        }
    }
    columns
}

/// Rows in a canonical order: by their cells, numbers by `sort_key` so that numbers equal
/// within the tolerance sort alike, then by the exact text.
fn sort_rows(rows: &mut [Vec<String>]) {
    rows.sort_by_cached_key(|row| {
        let key: Vec<String> = row
            .iter()
            .map(|cell| {
                cell.trim()
                    .parse::<f64>()
                    .map_or_else(|_| cell.clone(), sort_key)
            })
            .collect();
        (key, row.clone())
    });
}

/// Cells that both read as numbers compare with the tolerance (`1` and `1.0` are equal),
/// any other cells exactly.
fn same_cell(notebook: &str, package: &str) -> bool {
    notebook == package
        || matches!(
            (notebook.trim().parse::<f64>(), package.trim().parse::<f64>()),
            (Ok(a), Ok(b)) if close(a, b)
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Writes `name` with `notebook`'s and `package`'s contents into two scratch folders and
    /// compares them.
    fn check(name: &str, notebook: &str, package: &str, ignore: Ignore) -> Vec<Difference> {
        let scratch = tempfile::tempdir().expect("a scratch folder");
        let (a, b) = (scratch.path().join("a"), scratch.path().join("b"));
        for (folder, text) in [(&a, notebook), (&b, package)] {
            fs::create_dir_all(folder).expect("a folder");
            fs::write(folder.join(name), text).expect("a file");
            fs::write(folder.join("nb.ipynb"), folder.to_string_lossy().as_bytes())
                .expect("a notebook");
        }
        by_file(&a, &b, OsStr::new("nb.ipynb"), &ignore)
            .into_values()
            .flatten()
            .collect()
    }

    fn paths(found: &[Difference]) -> Vec<&str> {
        found.iter().map(|d| d.path.as_str()).collect()
    }

    const ROW_ORDER: Ignore = Ignore {
        row_order: true,
        column_order: false,
        index: false,
    };
    const COLUMN_ORDER: Ignore = Ignore {
        row_order: false,
        column_order: true,
        index: false,
    };

    #[test]
    fn files_equal_in_bytes_and_the_notebook_itself_are_not_reported() {
        assert!(check("out.txt", "same", "same", Ignore::default()).is_empty());
        let found = check("out.txt", "one", "three", Ignore::default());
        assert_eq!(paths(&found), ["out.txt"]);
        assert_eq!(
            (found[0].notebook.as_str(), found[0].package.as_str()),
            ("3 bytes", "5 bytes")
        );
    }

    #[test]
    fn json_numbers_compare_with_the_tolerance_and_name_their_path() {
        let report = |total: &str| format!(r#"{{"rows": [{{"total": {total}}}], "n": 1}}"#);
        let noisy = check(
            "report.json",
            &report("0.30000000000000004"),
            &report("0.3"),
            Ignore::default(),
        );
        assert!(noisy.is_empty());
        // A whole float written as an int by another JSON writer is no difference.
        assert!(check("r.json", &report("2.0"), &report("2"), Ignore::default()).is_empty());
        let found = check(
            "report.json",
            &report("0.3"),
            &report("0.4"),
            Ignore::default(),
        );
        assert_eq!(paths(&found), ["report.json: ['rows'][0]['total']"]);
        assert_eq!(
            (found[0].notebook.as_str(), found[0].package.as_str()),
            ("0.3", "0.4")
        );
        let missing = check("r.json", r#"{"a": 1}"#, r#"{"b": 1}"#, Ignore::default());
        assert_eq!(paths(&missing), ["r.json: ['a']", "r.json: ['b']"]);
    }

    #[test]
    fn a_file_that_does_not_parse_on_one_side_is_reported_by_size() {
        let found = check("r.json", r#"{"a": 1}"#, "{", Ignore::default());
        assert_eq!(paths(&found), ["r.json"]);
        assert_eq!(found[0].package, "1 bytes");
        let ragged = check("t.csv", "a,b\n1,2\n", "a,b\n1\n", Ignore::default());
        assert_eq!(paths(&ragged), ["t.csv"]);
    }

    #[test]
    fn csv_cells_compare_numbers_with_the_tolerance_and_name_row_and_column() {
        let table = "id,total\na,1.0\nb,2.5\n";
        let noisy = check(
            "out.csv",
            table,
            "id,total\na,1.0000000001\nb,2.5\n",
            Ignore::default(),
        );
        assert!(noisy.is_empty());
        let found = check(
            "out.csv",
            table,
            "id,total\na,1.0\nb,2.6\n",
            Ignore::default(),
        );
        assert_eq!(paths(&found), ["out.csv: row 2, column 'total'"]);
        assert_eq!(
            (found[0].notebook.as_str(), found[0].package.as_str()),
            ("\"2.5\"", "\"2.6\"")
        );
        let tabs = check(
            "out.tsv",
            "id\ttotal\na\t1\n",
            "id\ttotal\nb\t1\n",
            Ignore::default(),
        );
        assert_eq!(paths(&tabs), ["out.tsv: row 1, column 'id'"]);
    }

    #[test]
    fn csv_rows_in_another_order_are_equal_with_ignore_row_order() {
        let (table, reordered) = ("id,total\na,1\nb,2\n", "id,total\nb,2\na,1.00000000001\n");
        assert_eq!(
            paths(&check("out.csv", table, reordered, Ignore::default())),
            [
                "out.csv: row 1, column 'id'",
                "out.csv: row 1, column 'total'",
                "out.csv: row 2, column 'id'",
                "out.csv: row 2, column 'total'"
            ]
        );
        assert!(check("out.csv", table, reordered, ROW_ORDER).is_empty());
        let changed = check("out.csv", table, "id,total\nb,3\na,1\n", ROW_ORDER);
        assert_eq!(
            paths(&changed),
            ["out.csv: row 2 (rows sorted), column 'total'"]
        );
    }

    #[test]
    fn csv_columns_in_another_order_are_matched_by_name_with_ignore_column_order() {
        let (table, swapped) = ("id,total\na,1\n", "total,id\n1,a\n");
        assert_eq!(
            paths(&check("out.csv", table, swapped, Ignore::default()))[0],
            "out.csv: header"
        );
        assert!(check("out.csv", table, swapped, COLUMN_ORDER).is_empty());
        let missing = check("out.csv", table, "total,name\n1,a\n", COLUMN_ORDER);
        assert_eq!(paths(&missing), ["out.csv: header"]);
    }

    #[test]
    fn a_file_reports_at_most_per_value_differences() {
        let rows = |value: i64| {
            let body: String = (0..10).map(|_| format!("{value}\n")).collect();
            format!("n\n{body}")
        };
        assert_eq!(
            check("many.csv", &rows(1), &rows(2), Ignore::default()).len(),
            PER_VALUE
        );
    }
}
