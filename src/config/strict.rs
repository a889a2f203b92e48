//! Strict reading of the merged layers: every value of the wrong type is
//! reported (not only the first), and every key no setting has, from a
//! file or a `GHFE__…` variable, is an error rather than silently ignored.

use std::fmt::Write as _;

use config::{Value, ValueKind};

use super::Settings;

/// The settings `merged` describes, and a problem for each value of the
/// wrong type. Each bad value is replaced by its default to find the next.
pub fn deserialize_all(mut merged: Value, defaults: &Value) -> (Option<Settings>, Vec<String>) {
    let mut problems = Vec::new();
    // Each round replaces one value; a table has far fewer keys than this.
    for _ in 0..100 {
        match serde_path_to_error::deserialize::<_, Settings>(merged.clone()) {
            Ok(settings) => return (Some(settings), problems),
            Err(error) => {
                let path = error.path().to_string();
                problems.push(format!("{path}: {}", error.inner()));
                if !replace_with_default(&mut merged, defaults, &path) {
                    return (None, problems);
                }
            }
        }
    }
    (None, problems)
}

/// Puts the default of `path`'s longest prefix that has one in place.
fn replace_with_default(merged: &mut Value, defaults: &Value, path: &str) -> bool {
    let segments: Vec<&str> = path
        .split('.')
        .map(|s| s.split('[').next().unwrap_or(s))
        .collect();
    for length in (1..=segments.len()).rev() {
        if let Some(default) = find(defaults, &segments[..length]) {
            if let Some(slot) = find_mut(merged, &segments[..length]) {
                *slot = default.clone();
                return true;
            }
        }
    }
    false
}

fn find<'a>(value: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter().try_fold(value, |node, key| match &node.kind {
        ValueKind::Table(table) => table.get(*key),
        _ => None,
    })
}

fn find_mut<'a>(value: &'a mut Value, path: &[&str]) -> Option<&'a mut Value> {
    path.iter()
        .try_fold(value, |node, key| match &mut node.kind {
            ValueKind::Table(table) => table.get_mut(*key),
            _ => None,
        })
}

/// A problem for each key of `merged` that `known` (the settings read
/// back) does not have.
pub fn unknown_keys(merged: &Value, known: &serde_json::Value) -> Vec<String> {
    let mut problems = Vec::new();
    walk(merged, known, &mut String::new(), &mut problems);
    problems
}

fn walk(value: &Value, known: &serde_json::Value, path: &mut String, problems: &mut Vec<String>) {
    match (&value.kind, known) {
        (ValueKind::Table(table), serde_json::Value::Object(fields)) => {
            let mut keys: Vec<&String> = table.keys().collect();
            keys.sort();
            for key in keys {
                let length = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                match fields.get(key.as_str()) {
                    Some(field) => walk(&table[key], field, path, problems),
                    None => unknown(&table[key], path, problems),
                }
                path.truncate(length);
            }
        }
        (ValueKind::Array(items), serde_json::Value::Array(fields)) => {
            for (index, (item, field)) in items.iter().zip(fields).enumerate() {
                let length = path.len();
                let _ = write!(path, "[{index}]");
                walk(item, field, path, problems);
                path.truncate(length);
            }
        }
        _ => {}
    }
}

/// A problem for each leaf under an unknown key, saying where it came from.
fn unknown(value: &Value, path: &mut String, problems: &mut Vec<String>) {
    if let ValueKind::Table(table) = &value.kind {
        let mut keys: Vec<&String> = table.keys().collect();
        keys.sort();
        for key in keys {
            let length = path.len();
            path.push('.');
            path.push_str(key);
            unknown(&table[key], path, problems);
            path.truncate(length);
        }
        return;
    }
    let from = match value.origin() {
        Some("the environment") => {
            format!(" (from GHFE__{})", path.to_uppercase().replace('.', "__"))
        }
        Some(file) => format!(" (in {file})"),
        None => String::new(),
    };
    problems.push(format!("unknown setting {path}{from}"));
}
