//! Where a final value first parts: when final values differ, both sides run again, traced.
//! The package (`--trace`) fingerprints what each step takes and returns, with the last cell it
//! holds; the notebook's kernel then fingerprints the same names right after the same cells.
//! The first step after which a value differs from the notebook's at that point is where the
//! name parts. A run whose values agree never pays for this.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Serialize;
use serde_json::{Value, json};

use super::compare::{self, Ignore};

/// The first step of the plan after which a name's value differs from the notebook's.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Parting {
    pub name: String,
    pub step: String,
    /// The step's last cell (0-based), after which both sides were fingerprinted.
    pub cell: u32,
}

/// One step of the package's trace: its name, last cell and returned fingerprints.
struct Traced<'a> {
    step: &'a str,
    cell: u32,
    values: &'a serde_json::Map<String, Value>,
}

fn traced_steps(trace: &Value) -> Vec<Traced<'_>> {
    trace
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|entry| {
            Some(Traced {
                step: entry["step"].as_str()?,
                cell: u32::try_from(entry["cell"].as_u64()?).ok()?,
                values: entry["values"].as_object()?,
            })
        })
        .collect()
}

/// What the kernel must fingerprint, and after which cells: the `names` among what each
/// traced step returns.
pub fn plan(package_trace: &Value, names: &[String]) -> Value {
    let steps = traced_steps(package_trace);
    let plan: Vec<Value> = steps
        .iter()
        .filter_map(|traced| {
            let wanted: Vec<&String> = names
                .iter()
                .filter(|n| traced.values.contains_key(n.as_str()))
                .collect();
            (!wanted.is_empty()).then(|| json!({"cell": traced.cell, "names": wanted}))
        })
        .collect();
    Value::Array(plan)
}

/// For each name, the first traced step whose value differs from the kernel's after the same
/// cell; names no traced step returns (module state, say) get none.
pub fn partings(
    package_trace: &Value,
    kernel_trace: &Value,
    names: &[String],
    ignore: &Ignore,
) -> Vec<Parting> {
    let kernel: BTreeMap<u64, &Value> = kernel_trace
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|entry| Some((entry["cell"].as_u64()?, &entry["values"])))
        .collect();
    let steps = traced_steps(package_trace);
    names
        .iter()
        .filter_map(|name| {
            steps.iter().find_map(|traced| {
                let package = traced.values.get(name)?;
                let notebook = kernel.get(&u64::from(traced.cell))?.get(name)?;
                let parts = !compare::differences(name, notebook, package, ignore).is_empty();
                parts.then(|| Parting {
                    name: name.clone(),
                    step: traced.step.to_owned(),
                    cell: traced.cell,
                })
            })
        })
        .collect()
}

/// Reads a trace file; a missing or broken trace is no trace.
pub fn read(path: &Path) -> Value {
    std::fs::read_to_string(path)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or(Value::Null)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(value: i64) -> Value {
        json!({"kind": "int", "value": value})
    }

    #[test]
    fn the_first_step_whose_value_differs_is_where_a_name_parts() {
        let package = json!([
            {"step": "load", "cell": 1, "values": {"total": int(1), "rows": int(3)}},
            {"step": "clean", "cell": 4, "values": {"total": int(5)}},
            {"step": "report", "cell": 6, "values": {"total": int(9)}},
        ]);
        let names = vec!["total".to_owned(), "rows".to_owned(), "state".to_owned()];
        assert_eq!(
            plan(&package, &names),
            json!([
                {"cell": 1, "names": ["total", "rows"]},
                {"cell": 4, "names": ["total"]},
                {"cell": 6, "names": ["total"]},
            ])
        );
        let kernel = json!([
            {"cell": 1, "values": {"total": int(1), "rows": int(3)}},
            {"cell": 4, "values": {"total": int(6)}},
            {"cell": 6, "values": {"total": int(10)}},
        ]);
        // `total` agrees after `load` and first parts after `clean`; `rows` never parts;
        // `state` is no step's return value.
        assert_eq!(
            partings(&package, &kernel, &names, &Ignore::default()),
            [Parting {
                name: "total".to_owned(),
                step: "clean".to_owned(),
                cell: 4
            }]
        );
    }
}
