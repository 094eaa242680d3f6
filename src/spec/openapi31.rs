//! OpenAPI 3.1 read with openapiv3's 3.0 model. The structure (paths,
//! operations, parameters, responses, components) is the same in both
//! versions; what differs is the schemas, which are JSON Schema 2020-12 in
//! 3.1 and are compiled as such from the document's JSON, never through the
//! 3.0 model. So the structural check sees a copy in 3.0 shape, with every
//! schema left out, `webhooks` set aside and `paths` present.

use std::collections::HashMap;

use serde_json::{Value, json};

use super::document::child_pointer;
use super::locate;

/// Whether `doc` declares OpenAPI 3.1.
pub fn is_openapi31(doc: &Value) -> bool {
    doc.get("openapi")
        .and_then(Value::as_str)
        .is_some_and(|v| v.starts_with("3.1"))
}

/// The copy of the 3.1 `doc` that openapiv3's 3.0 model reads: schemas
/// replaced by `{}`, `webhooks` and `jsonSchemaDialect` removed, `paths` present.
pub fn structure_as_30(doc: &Value) -> Value {
    let mut out = doc.clone();
    for root in locate::schema_roots(doc) {
        if let Some(schema) = out.pointer_mut(&root) {
            *schema = json!({});
        }
    }
    if let Value::Object(map) = &mut out {
        map.insert("openapi".into(), json!("3.0.3"));
        map.remove("webhooks");
        map.remove("jsonSchemaDialect");
        // 3.1's `mutualTLS` has nothing to carry a credential in, and the 3.0
        // model lacks it: it stays, as an HTTP scheme vouch does not carry.
        if let Some(Value::Object(schemes)) = map
            .get_mut("components")
            .and_then(|c| c.get_mut("securitySchemes"))
        {
            for scheme in schemes.values_mut() {
                if scheme.get("type").and_then(Value::as_str) == Some("mutualTLS") {
                    *scheme = json!({"type": "http", "scheme": "mutualTLS"});
                }
            }
        }
        map.entry("paths").or_insert_with(|| json!({}));
        if let Some(Value::Object(info)) = map.get_mut("info") {
            info.remove("summary");
            if let Some(Value::Object(license)) = info.get_mut("license") {
                license.remove("identifier");
            }
        }
    }
    out
}

/// Keywords that give a 3.1 schema its own identity; vouch places every
/// schema by its position in the document instead.
const IDENTITY: &[&str] = &["$id", "$anchor", "$schema", "$vocabulary"];

/// Rewrites `$ref`s that name a schema by its `$id` (and `#anchor`) into
/// references by position, then drops the identity keywords: every
/// reference is then local to the document, as vouch resolves them.
pub fn resolve_ids(doc: &mut Value) {
    let roots = locate::schema_roots(doc);
    let mut ids = HashMap::new();
    let mut anchors = HashMap::new();
    for root in &roots {
        let Some(schema) = doc.pointer_mut(root) else {
            continue;
        };
        locate::each_subschema_mut(schema, &mut root.clone(), &mut |at, node| {
            let text = |k: &str| node.get(k).and_then(Value::as_str).map(str::to_string);
            if let Some(id) = text("$id") {
                ids.insert(id, at.to_string());
            }
            if let Some(anchor) = text("$anchor") {
                anchors.insert(anchor, at.to_string());
            }
        });
    }
    if ids.is_empty() && anchors.is_empty() {
        return;
    }
    for root in &roots {
        let Some(schema) = doc.pointer_mut(root) else {
            continue;
        };
        locate::each_subschema_mut(schema, &mut root.clone(), &mut |_, node| {
            let Value::Object(map) = node else { return };
            if let Some(Value::String(reference)) = map.get_mut("$ref")
                && let Some(local) = by_position(reference, &ids, &anchors)
            {
                *reference = local;
            }
            map.retain(|k, _| !IDENTITY.contains(&k.as_str()));
        });
    }
}

/// `reference` (naming an `$id`, an anchor, or both) as `#<pointer>`.
fn by_position(
    reference: &str,
    ids: &HashMap<String, String>,
    anchors: &HashMap<String, String>,
) -> Option<String> {
    let (base, fragment) = reference.split_once('#').unwrap_or((reference, ""));
    if !fragment.is_empty() && !fragment.starts_with('/') {
        return anchors.get(fragment).map(|p| format!("#{p}"));
    }
    let place = ids.get(base)?;
    Some(format!("#{place}{fragment}"))
}

/// Every webhook operation as `METHOD name` (with its pointer), in document order.
pub fn webhooks(doc: &Value) -> Vec<(String, String)> {
    let Some(hooks) = doc.get("webhooks").and_then(Value::as_object) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for (name, item) in hooks {
        let pointer = child_pointer("/webhooks", name);
        for method in super::Method::ALL {
            let key = method.as_str().to_ascii_lowercase();
            if item.get(&key).is_some() {
                out.push((format!("{method} {name}"), child_pointer(&pointer, &key)));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_30_shaped_copy_keeps_structure_and_drops_schemas_and_webhooks() {
        let doc = json!({
            "openapi": "3.1.0",
            "info": {"title": "t", "version": "1", "license": {"name": "MIT", "identifier": "MIT"}},
            "webhooks": {"newPet": {"post": {"responses": {"200": {"description": "ok"}}}}},
            "components": {"schemas": {"Pet": {"type": ["object", "null"]}}}
        });
        let shaped = structure_as_30(&doc);
        assert_eq!(shaped["openapi"], "3.0.3");
        assert_eq!(shaped["components"]["schemas"]["Pet"], json!({}));
        assert_eq!(shaped["paths"], json!({}));
        assert!(shaped.get("webhooks").is_none());
        assert!(serde_json::from_value::<openapiv3::OpenAPI>(shaped).is_ok());
        assert_eq!(
            webhooks(&doc),
            vec![(
                "POST newPet".to_string(),
                "/webhooks/newPet/post".to_string()
            )]
        );
    }
}
