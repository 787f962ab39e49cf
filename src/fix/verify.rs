//! Every rewrite is checked before anything is written: the new content must parse, and hold
//! the same objects as the old but for the change the plan means to make. A rewrite that
//! fails the check is not made: the file stays byte-identical and the problem says why.

use serde_json::Value;

use super::{FilePlan, Problem};
use crate::error::Error;

/// Sealing: `plan.count` Secrets become SealedSecrets of the same name; nothing else changes.
pub(crate) fn sealed(plan: &FilePlan) -> Result<(), Problem> {
    let (before, after) = both(plan)?;
    let changed: Vec<(&Value, &Value)> =
        before.iter().zip(&after).filter(|(b, a)| b != a).collect();
    let sealed = |(b, a): &(&Value, &Value)| {
        b["kind"] == "Secret"
            && a["kind"] == "SealedSecret"
            && b["metadata"]["name"] == a["metadata"]["name"]
    };
    if before.len() != after.len() || changed.len() != plan.count || !changed.iter().all(sealed) {
        return Err(unexpected(plan));
    }
    Ok(())
}

/// Resealing: only `spec.encryptedData` values change, `plan.count` of them.
pub(crate) fn resealed(plan: &FilePlan) -> Result<(), Problem> {
    let (before, after) = both(plan)?;
    let values = |v: &Value| -> Vec<Value> {
        v["spec"]["encryptedData"]
            .as_object()
            .map(|m| m.values().cloned().collect())
            .unwrap_or_default()
    };
    let changed: usize = before
        .iter()
        .zip(&after)
        .map(|(b, a)| {
            values(b)
                .iter()
                .zip(values(a))
                .filter(|(x, y)| *x != y)
                .count()
        })
        .sum();
    let same_shape = before.len() == after.len()
        && before
            .iter()
            .zip(&after)
            .all(|(b, a)| without_values(b) == without_values(a));
    if !same_shape || changed != plan.count {
        return Err(unexpected(plan));
    }
    Ok(())
}

/// Converting generators: the kustomization loses the entries at `removed` (the key too when
/// none is left) and its `resources` gain `added`; nothing else changes.
pub(crate) fn converted(plan: &FilePlan, removed: &[usize], added: &[&str]) -> Result<(), Problem> {
    changed_only_by(plan, |map| {
        if let Some(Value::Array(list)) = map.get_mut("secretGenerator") {
            let mut index = 0;
            list.retain(|_| {
                index += 1;
                !removed.contains(&(index - 1))
            });
            if list.is_empty() {
                map.remove("secretGenerator");
            }
        }
        relist(map, &[], added);
    })
}

/// A new manifest: exactly one SealedSecret.
pub(crate) fn manifest(path: &str, contents: &[u8]) -> Result<(), String> {
    let text = std::str::from_utf8(contents).map_err(|_| "not UTF-8".to_string())?;
    match crate::doc::parse_documents(text, path) {
        Ok((_, docs)) if docs.len() == 1 && docs[0]["kind"] == "SealedSecret" => Ok(()),
        _ => Err(format!(
            "the manifest made for {path} does not read back as one SealedSecret"
        )),
    }
}

/// A new overlay SealedSecret: one SealedSecret, read back as one, holding no plaintext value.
pub(crate) fn sealed_manifest(path: &str, contents: &[u8]) -> Result<(), String> {
    manifest(path, contents)?;
    let text = std::str::from_utf8(contents).map_err(|_| "not UTF-8".to_string())?;
    let Ok(Some(root)) = crate::yaml::parse_node(text, 0..text.len()) else {
        return Err(format!("the manifest made for {path} does not parse"));
    };
    let (mut found, mut facts) = (Vec::new(), Vec::new());
    crate::detect::detect_secrets(&root, &mut found);
    let name = crate::paths::file_name(path);
    crate::graph::facts_of(&root, path, name, &|_| (1, 1), &mut facts);
    match facts.as_slice() {
        [crate::graph::Fact::Sealed { .. }] if found.is_empty() => Ok(()),
        _ => Err(format!(
            "the manifest made for {path} does not read back as a SealedSecret"
        )),
    }
}

/// A base file losing Secrets: the same objects but for the Secrets named `names`.
pub(crate) fn without_secrets(plan: &FilePlan, names: &[&str]) -> Result<(), Problem> {
    let (before, after) = both(plan)?;
    let gone = |v: &Value| {
        v["kind"] == "Secret"
            && v["metadata"]["name"]
                .as_str()
                .is_some_and(|n| names.contains(&n))
    };
    let expected: Vec<&Value> = before.iter().filter(|v| !gone(v)).collect();
    if after.iter().collect::<Vec<_>>() != expected {
        return Err(unexpected(plan));
    }
    Ok(())
}

/// A kustomization whose `resources` lose the entries `removed` and gain `added`; nothing else
/// changes.
pub(crate) fn relisted(plan: &FilePlan, removed: &[String], added: &[&str]) -> Result<(), Problem> {
    changed_only_by(plan, |map| relist(map, removed, added))
}

/// The rewrite holds the file's one object as `change` makes it, and nothing else.
fn changed_only_by(
    plan: &FilePlan,
    change: impl FnOnce(&mut serde_json::Map<String, Value>),
) -> Result<(), Problem> {
    let (before, after) = both(plan)?;
    let [before] = before.as_slice() else {
        return Err(unexpected(plan));
    };
    let mut expected = before.clone();
    if let Some(map) = expected.as_object_mut() {
        change(map);
    }
    if after.as_slice() != [expected] {
        return Err(unexpected(plan));
    }
    Ok(())
}

/// `resources` without the entries `removed`, and with `added` at its end (made if missing).
fn relist(map: &mut serde_json::Map<String, Value>, removed: &[String], added: &[&str]) {
    let resources = map
        .entry("resources")
        .or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(list) = resources {
        list.retain(|r| !r.as_str().is_some_and(|r| removed.iter().any(|x| x == r)));
        list.extend(added.iter().map(|n| Value::String(n.to_string())));
    }
}

/// The objects (List items one by one) before and after, or why the check cannot be made.
fn both(plan: &FilePlan) -> Result<(Vec<Value>, Vec<Value>), Problem> {
    let before = objects(&plan.original).map_err(|(line, column, why)| Problem {
        path: plan.path.clone(),
        line,
        column,
        message: format!("the file does not parse as a whole ({why}), so --fix cannot check its rewrite: fix that, then run --fix again"),
    })?;
    let after = objects(&plan.fixed).map_err(|(_, _, why)| {
        at_first_edit(plan, format!("the rewritten file would not parse ({why}): seal this by hand (often an anchor `&name` inside it that something else refers to as `*name`, or line endings --fix cannot keep)"))
    })?;
    Ok((before, after))
}

/// Every object of a manifest stream, List items in place of their List.
fn objects(bytes: &[u8]) -> Result<Vec<Value>, (usize, usize, String)> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let (line, column) = crate::finding::line_col(bytes, e.valid_up_to());
        (line, column, "not UTF-8".to_string())
    })?;
    let (_, docs) = crate::doc::parse_documents(text, "").map_err(|e| match e {
        Error::Parse { origin, message } => {
            let (line, column) = location(&origin);
            (line, column, message)
        }
        other => (1, 1, other.to_string()),
    })?;
    Ok(docs
        .into_iter()
        .flat_map(|d| match (&d["kind"], &d["items"]) {
            (Value::String(k), Value::Array(items)) if k == "List" || k == "SecretList" => {
                items.clone()
            }
            _ => vec![d],
        })
        .collect())
}

/// `:LINE:COLUMN` as `parse_documents` puts it after the origin.
fn location(origin: &str) -> (usize, usize) {
    let mut parts = origin.rsplit(':').map(|p| p.parse().ok());
    match (parts.next().flatten(), parts.next().flatten()) {
        (Some(column), Some(line)) => (line, column),
        _ => (1, 1),
    }
}

/// A SealedSecret with its encrypted values blanked (keys kept).
fn without_values(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(map) = v["spec"]["encryptedData"].as_object_mut() {
        map.values_mut().for_each(|x| *x = Value::Null);
    }
    v
}

fn unexpected(plan: &FilePlan) -> Problem {
    at_first_edit(plan, "the rewritten file would not hold the same objects as before (with only the intended change): seal this by hand".into())
}

fn at_first_edit(plan: &FilePlan, message: String) -> Problem {
    let start = plan.edits.iter().map(|e| e.range.start).min().unwrap_or(0);
    let (line, column) = crate::finding::line_col(&plan.original, start);
    Problem {
        path: plan.path.clone(),
        line,
        column,
        message,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_locations_come_from_the_origin() {
        assert_eq!(location(":16:11"), (16, 11));
        assert_eq!(location("x"), (1, 1));
    }
}
