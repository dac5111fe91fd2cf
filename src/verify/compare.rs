//! Comparing two fingerprints of a value (`fingerprint_of` in the package's `_nblift.py`),
//! the notebook's and the package's, into differences that each name the path where the
//! values part (`df['z'].dtype`, `model.coef_[0][1]`) and both sides.
//!
//! Numbers compare with a tolerance (relative 1e-7, absolute 1e-10; NaN equals NaN, -0.0
//! equals 0.0); an int against a float is a difference; strings compare exactly; containers
//! element by element; arrays by shape, dtype and values; data frames by columns, dtypes,
//! index and values, column by column; estimators by parameters and fitted attributes.

use serde_json::Value;

/// Where two values part, and what each side has there.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct Difference {
    pub path: String,
    pub notebook: String,
    pub package: String,
}

const RELATIVE: f64 = 1e-7;
const ABSOLUTE: f64 = 1e-10;

/// How many differences one value reports at most: a column of a million changed numbers
/// says so in a few lines.
const PER_VALUE: usize = 5;

/// The differences between the notebook's and the package's fingerprint of one value.
pub fn differences(name: &str, notebook: &Value, package: &Value) -> Vec<Difference> {
    let mut found = Vec::new();
    compare(name, notebook, package, &mut found);
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

fn close(a: f64, b: f64) -> bool {
    if a.is_nan() || b.is_nan() {
        return a.is_nan() && b.is_nan();
    }
    if a.is_infinite() || b.is_infinite() {
        return a == b;
    }
    (a - b).abs() <= ABSOLUTE.max(RELATIVE * a.abs().max(b.abs()))
}

fn compare(path: &str, notebook: &Value, package: &Value, found: &mut Vec<Difference>) {
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
        "list" | "tuple" | "set" => items(path, &notebook["items"], &package["items"], found),
        "dict" => entries(path, &notebook["items"], &package["items"], found),
        "ndarray" => array(path, notebook, package, found),
        "DataFrame" => frame(path, notebook, package, found),
        "Series" => {
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
            compare(
                &format!("{path}.index"),
                &notebook["index"],
                &package["index"],
                found,
            );
            compare(path, &notebook["values"], &package["values"], found);
        }
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
                found,
            );
            let (a, b) = (&notebook["fitted"], &package["fitted"]);
            keyed(a, b, found, |key| format!("{path}.{key}"));
        }
        "object" => {
            same_text(
                &format!("type({path})"),
                &notebook["type"],
                &package["type"],
                found,
            );
            if let (Some(a), Some(b)) = (notebook.get("attributes"), package.get("attributes")) {
                return keyed(a, b, found, |key| format!("{path}.{key}"));
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
        _ => {
            if notebook["value"] != package["value"] {
                push(found, path, describe(notebook), describe(package));
            }
        }
    }
}

fn same_text(path: &str, notebook: &Value, package: &Value, found: &mut Vec<Difference>) {
    if notebook != package {
        push(found, path, scalar(notebook), scalar(package));
    }
}

fn items(path: &str, notebook: &Value, package: &Value, found: &mut Vec<Difference>) {
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
        compare(&format!("{path}[{index}]"), a, b, found);
    }
}

/// `[[key repr, fingerprint], …]` on both sides, compared key by key.
fn entries(path: &str, notebook: &Value, package: &Value, found: &mut Vec<Difference>) {
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
    keyed(&a, &b, found, |key| format!("{path}[{key}]"));
}

/// Two JSON objects of fingerprints, key by key; a key on one side only is a difference.
fn keyed(
    notebook: &Value,
    package: &Value,
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
            Some(other) => compare(&at(key), value, other, found),
            None => push(found, &at(key), describe(value), "missing".to_owned()),
        }
    }
    for (key, value) in b {
        if !a.contains_key(key) {
            push(found, &at(key), "missing".to_owned(), describe(value));
        }
    }
}

fn array(path: &str, notebook: &Value, package: &Value, found: &mut Vec<Difference>) {
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
        (Some(a), Some(b)) => compare(path, a, b, found),
        // Large arrays: equal bytes, or sums and extremes within the tolerance (the same
        // computation done in another order differs in the last bits only).
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

fn frame(path: &str, notebook: &Value, package: &Value, found: &mut Vec<Difference>) {
    if notebook["columns"] != package["columns"] {
        push(
            found,
            &format!("{path}.columns"),
            notebook["columns"].to_string(),
            package["columns"].to_string(),
        );
    }
    compare(
        &format!("{path}.index"),
        &notebook["index"],
        &package["index"],
        found,
    );
    let empty = serde_json::Map::new();
    let columns = notebook["values"].as_object().unwrap_or(&empty);
    for (column, values) in columns {
        let at = format!("{path}[{column:?}]").replace('"', "'");
        let Some(other) = package["values"].get(column) else {
            continue;
        };
        same_text(
            &format!("{at}.dtype"),
            &notebook["dtypes"][column],
            &package["dtypes"][column],
            found,
        );
        compare(&at, values, other, found);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
}
