//! Comparing two fingerprints of a value (`fingerprint_of` in the package's `_nblift_verify.py`),
//! the notebook's and the package's, into differences that each name the path where the
//! values part (`df['z'].dtype`, `model.coef_[0][1]`) and both sides.
//!
//! Numbers compare with a tolerance (relative 1e-7, absolute 1e-10; NaN equals NaN, -0.0
//! equals 0.0); an int against a float is a difference; strings compare exactly; containers
//! element by element; arrays by shape, dtype and values; data frames by columns, dtypes,
//! index and values, column by column; estimators by parameters and fitted attributes.
//!
//! `Ignore` leaves parts of pandas objects out: their index, the order of a frame's columns
//! (compared as a set), the order of their rows. Rows are ignored in order by sorting both
//! sides' rows by a canonical key and comparing row i with row i; the paths of what differs
//! then say `(rows sorted)`. Plain lists and arrays keep their order: only a frame's row order
//! is arbitrary often enough to leave out.

use serde_json::Value;

/// Where two values part, and what each side has there.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Difference {
    pub path: String,
    pub notebook: String,
    pub package: String,
}

/// What a comparison leaves out (`nblift verify --ignore row-order,column-order,index`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ignore {
    pub row_order: bool,
    pub column_order: bool,
    pub index: bool,
}

const RELATIVE: f64 = 1e-7;
const ABSOLUTE: f64 = 1e-10;

/// How many differences one value (or one file) reports at most: a column of a million
/// changed numbers says so in a few lines.
pub(crate) const PER_VALUE: usize = 5;

/// Appended to the path of a difference found after sorting rows (`--ignore row-order`): its
/// positions are in sorted order, not the frame's.
pub(crate) const ROWS_SORTED: &str = " (rows sorted)";

/// The differences between the notebook's and the package's fingerprint of one value.
pub fn differences(
    name: &str,
    notebook: &Value,
    package: &Value,
    ignore: &Ignore,
) -> Vec<Difference> {
    let mut found = Vec::new();
    compare(name, notebook, package, ignore, &mut found);
    found
}

fn push(found: &mut Vec<Difference>, path: &str, notebook: String, package: String) {
    if found.len() < PER_VALUE {
        found.push(Difference {
            path: path.to_owned(),
            notebook,
            package,
        });
    }
}

/// A short, readable form of a fingerprint, for messages.
pub fn describe(value: &Value) -> String {
    let kind = value["kind"].as_str().unwrap_or("?");
    match kind {
        "int" | "float" | "bool" | "NoneType" => scalar(&value["value"]),
        "str" => format!("{:?}", value["value"].as_str().unwrap_or_default()),
        "list" | "tuple" | "set" => {
            format!(
                "{kind} of {}",
                value["items"].as_array().map_or(0, Vec::len)
            )
        }
        "dict" => format!("dict of {}", value["items"].as_array().map_or(0, Vec::len)),
        "ndarray" => format!("array {} {}", value["dtype"], value["shape"]),
        "DataFrame" => format!(
            "DataFrame {}×{}",
            value["index"]["items"].as_array().map_or(0, Vec::len),
            value["columns"].as_array().map_or(0, Vec::len)
        ),
        "estimator" | "object" => value["type"].as_str().unwrap_or(kind).to_owned(),
        other => other.to_owned(),
    }
}

fn scalar(value: &Value) -> String {
    match value {
        Value::Null => "None".to_owned(),
        Value::Bool(true) => "True".to_owned(),
        Value::Bool(false) => "False".to_owned(),
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

fn number(value: &Value) -> Option<f64> {
    match value {
        Value::String(text) if text == "nan" => Some(f64::NAN),
        Value::String(text) if text == "inf" => Some(f64::INFINITY),
        Value::String(text) if text == "-inf" => Some(f64::NEG_INFINITY),
        other => other.as_f64(),
    }
}

/// Two numbers are equal within the tolerance; NaN equals NaN.
pub(crate) fn close(a: f64, b: f64) -> bool {
    if a.is_nan() || b.is_nan() {
        return a.is_nan() && b.is_nan();
    }
    if a.is_infinite() || b.is_infinite() {
        return a == b;
    }
    (a - b).abs() <= ABSOLUTE.max(RELATIVE * a.abs().max(b.abs()))
}

/// A number as a key for sorting rows. Rounded to 7 significant digits (tiny ones to 0) so
/// that numbers `close` calls equal, the same sum added up in another order, nearly always
/// get the same key and rows sort alike on both sides; exact keys would let a difference in
/// the last bits decide between otherwise tied rows and pair the wrong rows.
pub(crate) fn sort_key(value: f64) -> String {
    if value.is_nan() {
        "nan".to_owned()
    } else if value.abs() < ABSOLUTE {
        "0".to_owned()
    } else {
        format!("{value:.6e}")
    }
}

fn compare(
    path: &str,
    notebook: &Value,
    package: &Value,
    ignore: &Ignore,
    found: &mut Vec<Difference>,
) {
    let (kind, other) = (
        notebook["kind"].as_str().unwrap_or_default(),
        package["kind"].as_str().unwrap_or_default(),
    );
    // A kernel object and the package's stand-in for it (`%%capture`'s result): not compared.
    if kind == "stand-in" || other == "stand-in" {
        return;
    }
    if kind != other {
        let both = |v: &Value, k: &str| format!("{} ({k})", describe(v));
        return push(found, path, both(notebook, kind), both(package, other));
    }
    match kind {
        "float" => {
            let (a, b) = (number(&notebook["value"]), number(&package["value"]));
            if !matches!((a, b), (Some(a), Some(b)) if close(a, b)) {
                push(found, path, describe(notebook), describe(package));
            }
        }
        "complex" => {
            for (part, index) in [("real", 0), ("imag", 1)] {
                let (a, b) = (
                    number(&notebook["value"][index]),
                    number(&package["value"][index]),
                );
                if !matches!((a, b), (Some(a), Some(b)) if close(a, b)) {
                    push(
                        found,
                        &format!("{path}.{part}"),
                        scalar(&notebook["value"][index]),
                        scalar(&package["value"][index]),
                    );
                }
            }
        }
        "list" | "tuple" | "set" => {
            items(path, &notebook["items"], &package["items"], ignore, found);
        }
        "dict" => entries(path, &notebook["items"], &package["items"], ignore, found),
        "ndarray" => array(path, notebook, package, ignore, found),
        "DataFrame" => frame(path, notebook, package, ignore, found),
        "Series" => series(path, notebook, package, ignore, found),
        "estimator" => {
            same_text(
                &format!("{path}.__class__"),
                &notebook["type"],
                &package["type"],
                found,
            );
            entries(
                &format!("{path}.get_params()"),
                &notebook["params"]["items"],
                &package["params"]["items"],
                ignore,
                found,
            );
            let (a, b) = (&notebook["fitted"], &package["fitted"]);
            keyed(a, b, ignore, found, |key| format!("{path}.{key}"));
        }
        "object" => {
            same_text(
                &format!("type({path})"),
                &notebook["type"],
                &package["type"],
                found,
            );
            if let (Some(a), Some(b)) = (notebook.get("attributes"), package.get("attributes")) {
                return keyed(a, b, ignore, found, |key| format!("{path}.{key}"));
            }
            // Equal pickles are equal objects. Otherwise an informative repr decides: many
            // objects (a plot's axes) pickle differently in every process.
            let repr = |v: &Value| v["repr"].as_str().unwrap_or_default().to_owned();
            let informative = !repr(notebook).contains(" object at 0x?");
            let pickled = notebook.get("pickle").is_some() || package.get("pickle").is_some();
            let same = (pickled && notebook.get("pickle") == package.get("pickle"))
                || (informative && repr(notebook) == repr(package))
                // Neither pickles nor says more than its type (a csv writer): nothing to
                // compare beyond the type.
                || (!pickled && !informative && repr(notebook) == repr(package));
            if !same {
                push(found, path, repr(notebook), repr(package));
            }
        }
        // int, str, bool, None: exactly.
        "int" | "str" | "bool" | "NoneType" => {
            if notebook["value"] != package["value"] {
                push(found, path, describe(notebook), describe(package));
            }
        }
        // A kind this comparison does not know (a newer harness, a hand-edited package)
        // compares nothing it can vouch for: a difference, never a silent equal.
        unknown => push(
            found,
            path,
            format!("a `{unknown}` fingerprint verify cannot compare"),
            format!("a `{unknown}` fingerprint verify cannot compare"),
        ),
    }
}

fn same_text(path: &str, notebook: &Value, package: &Value, found: &mut Vec<Difference>) {
    if notebook != package {
        push(found, path, scalar(notebook), scalar(package));
    }
}

fn items(
    path: &str,
    notebook: &Value,
    package: &Value,
    ignore: &Ignore,
    found: &mut Vec<Difference>,
) {
    let empty = Vec::new();
    let (a, b) = (
        notebook.as_array().unwrap_or(&empty),
        package.as_array().unwrap_or(&empty),
    );
    if a.len() != b.len() {
        push(
            found,
            &format!("len({path})"),
            a.len().to_string(),
            b.len().to_string(),
        );
    }
    for (index, (a, b)) in a.iter().zip(b).enumerate() {
        compare(&format!("{path}[{index}]"), a, b, ignore, found);
    }
}

/// `[[key repr, fingerprint], …]` on both sides, compared key by key.
fn entries(
    path: &str,
    notebook: &Value,
    package: &Value,
    ignore: &Ignore,
    found: &mut Vec<Difference>,
) {
    let as_object = |v: &Value| -> serde_json::Map<String, Value> {
        v.as_array()
            .map(|pairs| {
                pairs
                    .iter()
                    .filter_map(|p| Some((p[0].as_str()?.to_owned(), p[1].clone())))
                    .collect()
            })
            .unwrap_or_default()
    };
    let (a, b) = (
        Value::Object(as_object(notebook)),
        Value::Object(as_object(package)),
    );
    keyed(&a, &b, ignore, found, |key| format!("{path}[{key}]"));
}

/// Two JSON objects of fingerprints, key by key; a key on one side only is a difference.
fn keyed(
    notebook: &Value,
    package: &Value,
    ignore: &Ignore,
    found: &mut Vec<Difference>,
    at: impl Fn(&str) -> String,
) {
    let empty = serde_json::Map::new();
    let (a, b) = (
        notebook.as_object().unwrap_or(&empty),
        package.as_object().unwrap_or(&empty),
    );
    for (key, value) in a {
        match b.get(key) {
            Some(other) => compare(&at(key), value, other, ignore, found),
            None => push(found, &at(key), describe(value), "missing".to_owned()),
        }
    }
    for (key, value) in b {
        if !a.contains_key(key) {
            push(found, &at(key), "missing".to_owned(), describe(value));
        }
    }
}

fn array(
    path: &str,
    notebook: &Value,
    package: &Value,
    ignore: &Ignore,
    found: &mut Vec<Difference>,
) {
    same_text(
        &format!("{path}.dtype"),
        &notebook["dtype"],
        &package["dtype"],
        found,
    );
    if notebook["shape"] != package["shape"] {
        return push(
            found,
            &format!("{path}.shape"),
            notebook["shape"].to_string(),
            package["shape"].to_string(),
        );
    }
    match (notebook.get("values"), package.get("values")) {
        (Some(a), Some(b)) => compare(path, a, b, ignore, found),
        // Large arrays: equal bytes, or sums and extremes within the tolerance (the same
        // computation done in another order differs in the last bits only). The summary
        // does not depend on the order of the elements, so it serves `--ignore row-order`
        // as it is.
        _ => {
            if notebook["digest"] == package["digest"] {
                return;
            }
            let (a, b) = (&notebook["summary"], &package["summary"]);
            let agree = a.is_object()
                && ["sum", "min", "max", "nan"].iter().all(|key| {
                    matches!((number(&a[key]), number(&b[key])), (Some(x), Some(y)) if close(x, y))
                });
            if !agree {
                push(found, path, format!("summary {a}"), format!("summary {b}"));
            }
        }
    }
}

fn frame(
    path: &str,
    notebook: &Value,
    package: &Value,
    ignore: &Ignore,
    found: &mut Vec<Difference>,
) {
    let names = |frame: &Value| -> Vec<String> {
        frame["columns"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|name| {
                name.as_str()
                    .map_or_else(|| name.to_string(), str::to_owned)
            })
            .collect()
    };
    let same_columns = if ignore.column_order {
        let sorted = |mut names: Vec<String>| {
            names.sort();
            names
        };
        sorted(names(notebook)) == sorted(names(package))
    } else {
        notebook["columns"] == package["columns"]
    };
    if !same_columns {
        push(
            found,
            &format!("{path}.columns"),
            notebook["columns"].to_string(),
            package["columns"].to_string(),
        );
    }
    // The columns both sides have, in the notebook's order: a missing one is reported above.
    let mut shared: Vec<String> = Vec::new();
    for name in names(notebook) {
        let on_both =
            notebook["values"].get(&name).is_some() && package["values"].get(&name).is_some();
        if on_both && !shared.contains(&name) {
            shared.push(name);
        }
    }
    let at = |column: &str| format!("{path}[{column:?}]").replace('"', "'");
    for column in &shared {
        same_text(
            &format!("{}.dtype", at(column)),
            &notebook["dtypes"][column],
            &package["dtypes"][column],
            found,
        );
    }
    let columns = shared.iter().map(|c| column_pointer(c)).collect();
    index_and_values(
        path,
        (notebook, package),
        columns,
        ignore,
        found,
        |a, b, found| {
            for column in &shared {
                let (x, y) = (&a["values"][column], &b["values"][column]);
                compare(&at(column), x, y, ignore, found);
            }
        },
    );
}

/// A frame's or series' index and values, their rows sorted first with `ignore.row_order`
/// (`columns`: where each row's parts sit, as JSON pointers); what is found after sorting is
/// marked so.
fn index_and_values(
    path: &str,
    (notebook, package): (&Value, &Value),
    mut columns: Vec<String>,
    ignore: &Ignore,
    found: &mut Vec<Difference>,
    values: impl Fn(&Value, &Value, &mut Vec<Difference>),
) {
    if !ignore.index {
        columns.push("/index".to_owned());
    }
    let sorted = if ignore.row_order {
        rows_sorted(notebook, package, &columns)
    } else {
        None
    };
    let (notebook, package) = sorted.as_ref().map_or((notebook, package), |(a, b)| (a, b));
    let start = found.len();
    if !ignore.index {
        compare(
            &format!("{path}.index"),
            &notebook["index"],
            &package["index"],
            ignore,
            found,
        );
    }
    values(notebook, package, found);
    if sorted.is_some() {
        mark_sorted(&mut found[start..]);
    }
}

fn series(
    path: &str,
    notebook: &Value,
    package: &Value,
    ignore: &Ignore,
    found: &mut Vec<Difference>,
) {
    same_text(
        &format!("{path}.name"),
        &notebook["name"],
        &package["name"],
        found,
    );
    same_text(
        &format!("{path}.dtype"),
        &notebook["dtype"],
        &package["dtype"],
        found,
    );
    let columns = vec!["/values".to_owned()];
    index_and_values(
        path,
        (notebook, package),
        columns,
        ignore,
        found,
        |a, b, found| {
            compare(path, &a["values"], &b["values"], ignore, found);
        },
    );
}

/// Where a frame's column fingerprint sits, as a JSON pointer.
fn column_pointer(name: &str) -> String {
    format!("/values/{}", name.replace('~', "~0").replace('/', "~1"))
}

/// Where a column fingerprint keeps one item per row: a list (a column of up to `WHOLE`
/// rows) or a one-dimensional array kept whole. `None` for a column fingerprinted by digest
/// and summary, which compares without regard to order anyway.
fn row_items(fingerprint: &Value, column: &str) -> Option<String> {
    let at = fingerprint.pointer(column)?;
    let one_dimensional = at["shape"].as_array().is_some_and(|shape| shape.len() == 1);
    match at["kind"].as_str()? {
        "list" | "tuple" if at["items"].is_array() => Some(format!("{column}/items")),
        "ndarray" if one_dimensional && at["values"]["items"].is_array() => {
            Some(format!("{column}/values/items"))
        }
        _ => None,
    }
}

/// Both sides of a frame or series with their rows in a canonical order (`--ignore
/// row-order`), so that row i pairs with row i: a row is the tuple of its items in
/// `columns` (JSON pointers to column fingerprints; the index comes last, so rows pair by
/// their values and an index that did not travel with its rows shows as index
/// differences). Only columns with per-row items on both sides take part, so both sides
/// sort by the same key. `None` when no column has items to sort.
fn rows_sorted(notebook: &Value, package: &Value, columns: &[String]) -> Option<(Value, Value)> {
    let items: Vec<String> = columns
        .iter()
        .filter_map(|column| {
            let at = row_items(notebook, column)?;
            (row_items(package, column)? == at).then_some(at)
        })
        .collect();
    if items.is_empty() {
        return None;
    }
    Some((sort_rows(notebook, &items), sort_rows(package, &items)))
}

/// One side with the per-row items at `items` (JSON pointers to arrays) reordered together,
/// by each row's key. A side whose columns disagree on their length is left as it is: its
/// columns then compare position by position, which reports the lengths.
fn sort_rows(side: &Value, items: &[String]) -> Value {
    let columns: Vec<&Vec<Value>> = items
        .iter()
        .filter_map(|at| side.pointer(at)?.as_array())
        .collect();
    let rows = columns.first().map_or(0, |c| c.len());
    if columns.len() != items.len() || columns.iter().any(|c| c.len() != rows) {
        return side.clone();
    }
    let keys: Vec<(String, String)> = (0..rows)
        .map(|row| {
            let cells: Vec<Value> = columns.iter().map(|c| c[row].clone()).collect();
            let cells = Value::Array(cells);
            (rounded(&cells).to_string(), cells.to_string())
        })
        .collect();
    let mut order: Vec<usize> = (0..rows).collect();
    order.sort_by(|&a, &b| keys[a].cmp(&keys[b]));
    let mut sorted = side.clone();
    for (at, column) in items.iter().zip(&columns) {
        if let Some(target) = sorted.pointer_mut(at) {
            *target = Value::Array(order.iter().map(|&row| column[row].clone()).collect());
        }
    }
    sorted
}

/// A fingerprint with every float replaced by its `sort_key`, for sorting rows.
fn rounded(value: &Value) -> Value {
    match value {
        Value::Number(n) if !n.is_i64() && !n.is_u64() => {
            Value::String(sort_key(n.as_f64().unwrap_or(f64::NAN)))
        }
        Value::Array(items) => Value::Array(items.iter().map(rounded).collect()),
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(key, field)| (key.clone(), rounded(field)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// Says on each difference that its positions count rows after sorting; nested sorted
/// frames have said so already.
fn mark_sorted(found: &mut [Difference]) {
    for difference in found {
        if !difference.path.ends_with(ROWS_SORTED) {
            difference.path.push_str(ROWS_SORTED);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Compared with nothing left out.
    fn differences(name: &str, notebook: &Value, package: &Value) -> Vec<Difference> {
        super::differences(name, notebook, package, &Ignore::default())
    }

    fn float(value: Value) -> Value {
        json!({"kind": "float", "value": value})
    }

    fn int(value: i64) -> Value {
        json!({"kind": "int", "value": value})
    }

    fn paths(found: &[Difference]) -> Vec<&str> {
        found.iter().map(|d| d.path.as_str()).collect()
    }

    #[test]
    fn a_fingerprint_of_an_unknown_kind_is_a_difference_even_when_equal() {
        let frame = json!({"kind": "polars.DataFrame", "columns": ["a"], "values": [1, 2]});
        let found = differences("df", &frame, &frame);
        assert_eq!(paths(&found), ["df"]);
        assert!(
            found[0].notebook.contains("`polars.DataFrame`"),
            "{found:?}"
        );
        // Every kind the harness writes is known.
        for kind in ["int", "str", "bool", "NoneType"] {
            let value = json!({"kind": kind, "value": 1});
            assert!(differences("x", &value, &value).is_empty(), "{kind}");
        }
    }

    #[test]
    fn numbers_compare_with_a_tolerance_nan_equal_and_int_apart_from_float() {
        assert!(differences("x", &float(json!("nan")), &float(json!("nan"))).is_empty());
        assert!(differences("x", &float(json!(-0.0)), &float(json!(0.0))).is_empty());
        assert!(differences("x", &float(json!(0.1 + 0.2)), &float(json!(0.3))).is_empty());
        assert!(differences("x", &float(json!(1e-12)), &float(json!(0.0))).is_empty());
        assert_eq!(
            paths(&differences("x", &float(json!(1.0)), &float(json!(1.001)))),
            ["x"]
        );
        assert_eq!(
            paths(&differences("x", &float(json!("nan")), &float(json!(1.0)))),
            ["x"]
        );
        let found = differences("x", &int(1), &float(json!(1.0)));
        assert_eq!(found[0].notebook, "1 (int)");
        assert_eq!(found[0].package, "1.0 (float)");
    }

    #[test]
    fn nested_containers_name_the_element() {
        let nested = |last: i64| json!({"kind": "dict", "items": [["'a'", {"kind": "list", "items": [int(1), int(last)]}]]});
        assert_eq!(
            paths(&differences("d", &nested(2), &nested(3))),
            ["d['a'][1]"]
        );
        let short = json!({"kind": "list", "items": [int(1)]});
        let long = json!({"kind": "list", "items": [int(1), int(2)]});
        assert_eq!(paths(&differences("xs", &short, &long)), ["len(xs)"]);
    }

    fn frame_of(dtype: &str, values: Vec<Value>, columns: &[&str], index: Vec<i64>) -> Value {
        let column = json!({"kind": "list", "items": values});
        json!({
            "kind": "DataFrame",
            "columns": columns,
            "dtypes": {"z": dtype, "w": "int64"},
            "index": {"kind": "list", "items": index.into_iter().map(int).collect::<Vec<_>>()},
            "values": {"z": column, "w": {"kind": "list", "items": [int(0), int(0)]}},
        })
    }

    #[test]
    fn data_frames_compare_dtypes_index_column_order_and_values() {
        let base = frame_of("int64", vec![int(1), int(2)], &["z", "w"], vec![0, 1]);
        let floats = frame_of(
            "float64",
            vec![float(json!(1.0)), float(json!(2.0))],
            &["z", "w"],
            vec![0, 1],
        );
        let found = differences("df", &base, &floats);
        assert_eq!(found[0].path, "df['z'].dtype");
        assert_eq!(
            (found[0].notebook.as_str(), found[0].package.as_str()),
            ("int64", "float64")
        );
        let reindexed = frame_of("int64", vec![int(1), int(2)], &["z", "w"], vec![1, 2]);
        assert_eq!(
            paths(&differences("df", &base, &reindexed)),
            ["df.index[0]", "df.index[1]"]
        );
        let reordered = frame_of("int64", vec![int(1), int(2)], &["w", "z"], vec![0, 1]);
        assert_eq!(paths(&differences("df", &base, &reordered)), ["df.columns"]);
        let changed = frame_of("int64", vec![int(1), int(5)], &["z", "w"], vec![0, 1]);
        assert_eq!(paths(&differences("df", &base, &changed)), ["df['z'][1]"]);
    }

    #[test]
    fn estimators_compare_parameters_and_fitted_attributes() {
        let model = |alpha: f64, coef: f64| {
            json!({
                "kind": "estimator", "type": "Ridge",
                "params": {"kind": "dict", "items": [["'alpha'", float(json!(alpha))]]},
                "fitted": {"coef_": {"kind": "ndarray", "dtype": "float64", "shape": [1],
                    "values": {"kind": "list", "items": [float(json!(coef))]}}},
            })
        };
        assert!(differences("m", &model(1.0, 0.5), &model(1.0, 0.5)).is_empty());
        assert_eq!(
            paths(&differences("m", &model(1.0, 0.5), &model(2.0, 0.5))),
            ["m.get_params()['alpha']"]
        );
        assert_eq!(
            paths(&differences("m", &model(1.0, 0.5), &model(1.0, 0.7))),
            ["m.coef_[0]"]
        );
    }

    #[test]
    fn the_notebooks_own_objects_compare_by_attributes() {
        let totals = |orders: i64| {
            json!({"kind": "object", "type": "RegionTotals", "attributes": {
                "orders": {"kind": "dict", "items": [["'East'", int(orders)]]}}})
        };
        assert!(differences("t", &totals(2), &totals(2)).is_empty());
        assert_eq!(
            paths(&differences("t", &totals(2), &totals(3))),
            ["t.orders['East']"]
        );
    }

    #[test]
    fn unpicklable_objects_compare_by_repr_and_large_arrays_by_summary() {
        let object = |repr: &str| json!({"kind": "object", "type": "generator", "repr": repr});
        assert!(differences("g", &object("<gen at 0x?>"), &object("<gen at 0x?>")).is_empty());
        assert_eq!(
            paths(&differences("g", &object("<a>"), &object("<b>"))),
            ["g"]
        );
        // An uninformative repr needs equal pickles, unless neither side pickles.
        let plain = |pickle: &str| json!({"kind": "object", "type": "T", "repr": "<T object at 0x?>", "pickle": pickle});
        assert!(differences("t", &plain("ab"), &plain("ab")).is_empty());
        assert_eq!(paths(&differences("t", &plain("ab"), &plain("cd"))), ["t"]);
        let opaque = json!({"kind": "object", "type": "w", "repr": "<w object at 0x?>"});
        assert!(differences("w", &opaque, &opaque).is_empty());
        // A kernel object against the package's stand-in for it: not compared.
        let stand_in = json!({"kind": "stand-in", "type": "CapturedIO"});
        assert!(differences("out", &stand_in, &plain("ab")).is_empty());
        let big = |digest: &str, sum: f64| {
            json!({"kind": "ndarray", "dtype": "float64", "shape": [200000], "digest": digest,
                   "summary": {"sum": sum, "min": 0.0, "max": 1.0, "nan": 0}})
        };
        assert!(differences("a", &big("x", 10.0), &big("y", 10.0 + 1e-12)).is_empty());
        assert_eq!(
            paths(&differences("a", &big("x", 10.0), &big("y", 11.0))),
            ["a"]
        );
    }

    const ROW_ORDER: Ignore = Ignore {
        row_order: true,
        column_order: false,
        index: false,
    };

    fn ignoring(ignore: Ignore, notebook: &Value, package: &Value) -> Vec<Difference> {
        super::differences("df", notebook, package, &ignore)
    }

    /// A frame from its columns, in order (each a list of ints), and its index.
    fn table(columns: &[(&str, &[i64])], index: &[i64]) -> Value {
        let list = |values: &[i64]| json!({"kind": "list", "items": values.iter().map(|v| int(*v)).collect::<Vec<_>>()});
        let names: Vec<&str> = columns.iter().map(|(name, _)| *name).collect();
        let dtypes: serde_json::Map<String, Value> = names
            .iter()
            .map(|name| ((*name).to_owned(), json!("int64")))
            .collect();
        let values: serde_json::Map<String, Value> = columns
            .iter()
            .map(|(name, values)| ((*name).to_owned(), list(values)))
            .collect();
        json!({"kind": "DataFrame", "columns": names, "dtypes": dtypes, "index": list(index), "values": values})
    }

    #[test]
    fn ignore_index_leaves_the_index_of_frames_and_series_out() {
        let index = Ignore {
            index: true,
            ..Ignore::default()
        };
        let base = table(&[("z", &[1, 2])], &[0, 1]);
        let reindexed = table(&[("z", &[1, 2])], &[5, 6]);
        assert_eq!(
            paths(&differences("df", &base, &reindexed)),
            ["df.index[0]", "df.index[1]"]
        );
        assert!(ignoring(index, &base, &reindexed).is_empty());
        let changed = table(&[("z", &[1, 3])], &[5, 6]);
        assert_eq!(paths(&ignoring(index, &base, &changed)), ["df['z'][1]"]);
        let series = |index: i64| {
            json!({"kind": "Series", "name": "s", "dtype": "int64",
                   "index": {"kind": "list", "items": [int(index)]},
                   "values": {"kind": "list", "items": [int(1)]}})
        };
        assert_eq!(
            paths(&differences("s", &series(0), &series(1))),
            ["s.index[0]"]
        );
        assert!(ignoring(index, &series(0), &series(1)).is_empty());
    }

    #[test]
    fn ignore_column_order_compares_the_columns_as_a_set() {
        let column_order = Ignore {
            column_order: true,
            ..Ignore::default()
        };
        let base = table(&[("z", &[1, 2]), ("w", &[3, 4])], &[0, 1]);
        let swapped = table(&[("w", &[3, 4]), ("z", &[1, 2])], &[0, 1]);
        assert_eq!(paths(&differences("df", &base, &swapped)), ["df.columns"]);
        assert!(ignoring(column_order, &base, &swapped).is_empty());
        let changed = table(&[("w", &[3, 4]), ("z", &[1, 5])], &[0, 1]);
        assert_eq!(
            paths(&ignoring(column_order, &base, &changed)),
            ["df['z'][1]"]
        );
        // A column on one side only is still a difference, with both lists.
        let fewer = table(&[("w", &[3, 4])], &[0, 1]);
        let found = ignoring(column_order, &base, &fewer);
        assert_eq!(paths(&found), ["df.columns"]);
        assert_eq!(
            (found[0].notebook.as_str(), found[0].package.as_str()),
            (r#"["z","w"]"#, r#"["w"]"#)
        );
    }

    #[test]
    fn ignore_row_order_sorts_rows_with_their_index() {
        let base = table(&[("z", &[1, 2, 3]), ("w", &[30, 20, 10])], &[0, 1, 2]);
        // The same rows, the index travelling with them (`sort_values("w")`).
        let reordered = table(&[("z", &[3, 2, 1]), ("w", &[10, 20, 30])], &[2, 1, 0]);
        assert_eq!(differences("df", &base, &reordered).len(), PER_VALUE);
        assert!(ignoring(ROW_ORDER, &base, &reordered).is_empty());
        let changed = table(&[("z", &[3, 2, 1]), ("w", &[10, 25, 30])], &[2, 1, 0]);
        assert_eq!(
            paths(&ignoring(ROW_ORDER, &base, &changed)),
            ["df['w'][1] (rows sorted)"]
        );
        // An index that did not travel with its rows (`reset_index(drop=True)`) differs,
        // unless the index is left out too.
        let reset = table(&[("z", &[3, 2, 1]), ("w", &[10, 20, 30])], &[0, 1, 2]);
        assert_eq!(
            paths(&ignoring(ROW_ORDER, &base, &reset)),
            ["df.index[0] (rows sorted)", "df.index[2] (rows sorted)"]
        );
        let rows_and_index = Ignore {
            index: true,
            ..ROW_ORDER
        };
        assert!(ignoring(rows_and_index, &base, &reset).is_empty());
    }

    #[test]
    fn ignore_row_order_pairs_rows_whose_floats_differ_in_the_last_bits() {
        let frame = |first: f64, second: f64| {
            let text = |value: &str| json!({"kind": "str", "value": value});
            json!({"kind": "DataFrame", "columns": ["x", "name"],
                   "dtypes": {"x": "float64", "name": "object"},
                   "index": {"kind": "list", "items": [int(0), int(1)]},
                   "values": {"x": {"kind": "list", "items": [float(json!(first)), float(json!(second))]},
                              "name": {"kind": "list", "items": [text("a"), text("b")]}}})
        };
        // Exact keys would sort the package's row `b` first (1.0000000000000002 > 1.0 as
        // text) and pair `a` with `b`.
        let rows_and_index = Ignore {
            index: true,
            ..ROW_ORDER
        };
        assert!(
            ignoring(
                rows_and_index,
                &frame(1.0, 1.0),
                &frame(1.0, 1.000_000_000_000_000_2)
            )
            .is_empty()
        );
    }

    #[test]
    fn ignore_row_order_keeps_plain_lists_in_order_and_large_columns_by_summary() {
        let list = |a: i64, b: i64| json!({"kind": "list", "items": [int(a), int(b)]});
        assert_eq!(
            paths(&ignoring(ROW_ORDER, &list(1, 2), &list(2, 1))),
            ["df[0]", "df[1]"]
        );
        let big = |digest: &str, sum: f64| {
            json!({"kind": "DataFrame", "columns": ["x"], "dtypes": {"x": "float64"},
                   "index": {"kind": "ndarray", "dtype": "int64", "shape": [200000], "digest": "i",
                             "summary": {"sum": 1.0, "min": 0.0, "max": 1.0, "nan": 0}},
                   "values": {"x": {"kind": "ndarray", "dtype": "float64", "shape": [200000],
                                    "digest": digest,
                                    "summary": {"sum": sum, "min": 0.0, "max": 1.0, "nan": 0}}}})
        };
        assert!(ignoring(ROW_ORDER, &big("x", 10.0), &big("y", 10.0 + 1e-12)).is_empty());
        assert_eq!(
            paths(&ignoring(ROW_ORDER, &big("x", 10.0), &big("y", 11.0))),
            ["df['x']"]
        );
    }

    #[test]
    fn ignore_row_order_sorts_a_series_with_its_index() {
        let series = |values: &[i64], index: &[i64]| {
            let list = |v: &[i64]| json!({"kind": "list", "items": v.iter().map(|v| int(*v)).collect::<Vec<_>>()});
            json!({"kind": "Series", "name": "s", "dtype": "int64", "index": list(index), "values": list(values)})
        };
        let (base, reordered) = (series(&[1, 2], &[0, 1]), series(&[2, 1], &[1, 0]));
        assert!(!differences("s", &base, &reordered).is_empty());
        assert!(ignoring(ROW_ORDER, &base, &reordered).is_empty());
        assert_eq!(
            paths(&ignoring(ROW_ORDER, &base, &series(&[2, 1], &[0, 1]))),
            ["df.index[0] (rows sorted)", "df.index[1] (rows sorted)"]
        );
    }
}
