//! A parameter's default as plain data (JSON, which is also YAML), for the engines that keep
//! parameters outside Python: Kedro's `parameters.yml`, Airflow's DAG params.

use rustpython_parser::ast::{self, Constant, Expr, UnaryOp};
use rustpython_parser::{Mode, parse};
use serde_json::{Map, Number, Value};

/// The value of a Python literal, when JSON can hold it exactly: numbers, strings, booleans,
/// `None`, and lists, tuples and string-keyed dicts of those. Anything else (sets, bytes,
/// complex numbers, non-string keys, big integers) is `None`.
pub fn json_value(python: &str) -> Option<Value> {
    match parse(python.trim(), Mode::Expression, "<parameter>").ok()? {
        ast::Mod::Expression(expression) => value(&expression.body),
        _ => None,
    }
}

fn value(expr: &Expr) -> Option<Value> {
    match expr {
        Expr::Constant(constant) => constant_value(&constant.value, false),
        Expr::UnaryOp(unary) if unary.op == UnaryOp::USub => match unary.operand.as_ref() {
            Expr::Constant(constant) => constant_value(&constant.value, true),
            _ => None,
        },
        Expr::List(list) => list
            .elts
            .iter()
            .map(value)
            .collect::<Option<_>>()
            .map(Value::Array),
        Expr::Tuple(tuple) => tuple
            .elts
            .iter()
            .map(value)
            .collect::<Option<_>>()
            .map(Value::Array),
        Expr::Dict(dict) => {
            let mut object = Map::new();
            for (key, item) in dict.keys.iter().zip(&dict.values) {
                let Some(Expr::Constant(ast::ExprConstant {
                    value: Constant::Str(key),
                    ..
                })) = key
                else {
                    return None;
                };
                object.insert(key.clone(), value(item)?);
            }
            Some(Value::Object(object))
        }
        _ => None,
    }
}

fn constant_value(constant: &Constant, negative: bool) -> Option<Value> {
    let sign = if negative { -1.0 } else { 1.0 };
    match constant {
        Constant::Int(int) => {
            let int: i64 = int.try_into().ok()?;
            Some(Value::Number(if negative { -int } else { int }.into()))
        }
        Constant::Float(float) => Number::from_f64(sign * float).map(Value::Number),
        Constant::Str(text) if !negative => Some(Value::String(text.clone())),
        Constant::Bool(flag) if !negative => Some(Value::Bool(*flag)),
        Constant::None if !negative => Some(Value::Null),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::json_value;

    fn check(python: &str, json: Option<&str>) {
        assert_eq!(
            json_value(python).map(|v| v.to_string()).as_deref(),
            json,
            "{python}"
        );
    }

    #[test]
    fn literals_that_json_holds_exactly() {
        check("3", Some("3"));
        check("-2", Some("-2"));
        check("0.5", Some("0.5"));
        check("-1e-3", Some("-0.001"));
        check("'it''s'", Some("\"its\""));
        check(r#""tab\there""#, Some("\"tab\\there\""));
        check("True", Some("true"));
        check("None", Some("null"));
        check("[1, 'a', (2, 3)]", Some("[1,\"a\",[2,3]]"));
        check("{'k': [None]}", Some("{\"k\":[null]}"));
    }

    #[test]
    fn literals_that_json_cannot_hold() {
        check("{1, 2}", None);
        check("{1: 'a'}", None);
        check("b'bytes'", None);
        check("1j", None);
        check("10**3", None);
        check("123456789012345678901234567890", None);
        check("-True", None);
        check("float('nan')", None);
    }
}
