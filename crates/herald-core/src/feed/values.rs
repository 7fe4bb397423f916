//! Reading a payload's JSON loosely, as servers mix their types: a value
//! at a pointer as text or as a time, true or false read from `1` or
//! `"true"`, and whether two values (or a record then and now) say the same.
//! Shared by what a feed's events mean, its rules, its records and writes.

use serde_json::Value;

use crate::sse::EpochMs;

/// A scalar as text: the form keys are compared and stored in.
pub fn scalar_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A value read as true or false: `true`, `1` and `"true"` are all true.
pub fn truthy(value: &Value) -> Option<bool> {
    match value {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_f64().map(|n| n != 0.0),
        Value::String(s) => match s.as_str() {
            "true" | "1" => Some(true),
            "false" | "0" => Some(false),
            _ => None,
        },
        Value::Null => Some(false),
        _ => None,
    }
}

/// Whether two values say the same thing, across the types servers mix:
/// `26` and `"26"`, `true` and `1`.
pub fn same(a: &Value, b: &Value) -> bool {
    if a == b {
        return true;
    }
    let scalar = |v: &Value| matches!(v, Value::Bool(_) | Value::Number(_) | Value::String(_));
    if !(scalar(a) && scalar(b)) {
        return false;
    }
    if matches!(a, Value::Bool(_)) || matches!(b, Value::Bool(_)) {
        // Only 0 and 1 (or their text) stand for false and true here.
        let boolish = |v: &Value| match v {
            Value::Bool(b) => Some(*b),
            Value::Number(n) if n.as_f64() == Some(0.0) => Some(false),
            Value::Number(n) if n.as_f64() == Some(1.0) => Some(true),
            Value::String(_) => truthy(v),
            _ => None,
        };
        return matches!((boolish(a), boolish(b)), (Some(x), Some(y)) if x == y);
    }
    scalar_text(a) == scalar_text(b)
}

/// Whether what Herald knew of a record still holds in `now`: every field
/// Herald knew has the same value, loosely. A field it never knew (a live
/// create that left it out) is unknown, not changed.
pub fn unchanged(known: &Value, now: &Value) -> bool {
    match (known.as_object(), now.as_object()) {
        (Some(known), Some(now)) => {
            now.iter().all(|(field, value)| known.get(field).is_none_or(|old| same(old, value)))
        }
        _ => same(known, now),
    }
}

/// The key a JSON value names at `pointer`, normalised to text; a bare
/// scalar is a key itself (a delete that sends just the id).
pub fn key_at(value: &Value, pointer: &str) -> Option<String> {
    match value {
        Value::Object(_) => value.pointer(pointer).and_then(scalar_text),
        Value::String(_) | Value::Number(_) => scalar_text(value),
        _ => None,
    }
}

/// The text at `pointer`, when there is one (a number or a boolean reads as text).
pub fn text_at(value: &Value, pointer: Option<&str>) -> Option<String> {
    let found = value.pointer(pointer?)?;
    match found {
        Value::String(s) => Some(s.clone()),
        Value::Null => None,
        other => scalar_text(other),
    }
}

/// A time at `pointer`: milliseconds, or seconds when small enough to be.
pub fn time_at(value: &Value, pointer: Option<&str>) -> Option<EpochMs> {
    let n = value.pointer(pointer?)?.as_f64()?;
    Some(if n.abs() < 1e11 { (n * 1000.0) as i64 } else { n as i64 })
}
