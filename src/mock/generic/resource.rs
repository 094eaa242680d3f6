//! What each operation of a user's spec does to which collection, read once
//! from the path templates and schemas when the mock is built.
//!
//! A template whose last segment holds a parameter is an item (`/pets/{id}`,
//! also Twilio's `/Accounts/{Sid}.json`) of the collection before it
//! (`/pets`, `/Accounts`; `/Accounts.json` is the same collection). A
//! template ending in a literal segment is a collection; when it has no
//! items of its own but its parent is a collection (`/pet/findByStatus`
//! under `/pet`), it is a view of the parent. The id field of a collection
//! is the item schema's property matching the item parameter (`petId`),
//! else `id`, else the parameter's name; its schema types generated ids.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use super::synth;
use crate::spec::{Method, Operation, Spec};

/// What an operation addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A whole collection (list, create, update by the body's id).
    Collection,
    /// One item; `param` is the path parameter naming it.
    Item {
        /// The item's path parameter.
        param: String,
    },
}

/// How the mock serves one operation.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The collection's template (`/users/{uid}/pets`).
    pub collection: String,
    /// What the operation addresses in it.
    pub target: Target,
}

/// What the mock knows about one collection.
#[derive(Debug, Clone)]
pub struct Collection {
    /// The item property holding the id.
    pub id_field: String,
    /// The id property's schema (`{}` when the schema says nothing).
    pub id_schema: Value,
    /// The item schema, resolved at its top (`{}` when unknown).
    pub item_schema: Value,
    /// Whether some operation creates items (else it is read-only: any id answers).
    pub creatable: bool,
    /// Whether a POST on the collection creates (else a PUT on an unknown item does).
    pub posts: bool,
    /// Items from the spec's examples, each with its id.
    pub seeds: Vec<Value>,
}

/// Every operation's plan, by operationId, and every collection, by template.
#[derive(Debug, Default)]
pub struct Model {
    /// Plans by operationId.
    pub plans: BTreeMap<String, Plan>,
    /// Collections by template.
    pub collections: BTreeMap<String, Collection>,
}

impl Model {
    /// The model of `spec`.
    pub fn of(spec: &Spec) -> Model {
        let templates: Vec<&str> = spec.operations.iter().map(|o| o.path.as_str()).collect();
        let plans: BTreeMap<String, Plan> = spec
            .operations
            .iter()
            .map(|op| (op.id.clone(), plan(&op.path, &templates)))
            .collect();
        let mut collections = BTreeMap::new();
        for plan in plans.values() {
            if !collections.contains_key(&plan.collection) {
                let collection = describe(spec, &plans, &plan.collection);
                collections.insert(plan.collection.clone(), collection);
            }
        }
        Model { plans, collections }
    }
}

/// The plan of one template among the spec's `templates`.
fn plan(template: &str, templates: &[&str]) -> Plan {
    let trimmed = template.trim_end_matches('/');
    let (parent, last) = trimmed.rsplit_once('/').unwrap_or(("", trimmed));
    if let Some(param) = parameter_in(last) {
        return Plan {
            collection: parent.to_string(),
            target: Target::Item { param },
        };
    }
    let bare = last.split_once('.').map_or(last, |(stem, _)| stem);
    let own = format!("{parent}/{bare}");
    let collection = if has_items(&own, templates) || !has_items(parent, templates) {
        own
    } else {
        parent.to_string()
    };
    Plan {
        collection,
        target: Target::Collection,
    }
}

/// The parameter a segment holds (`{Sid}` in `{Sid}.json`).
fn parameter_in(segment: &str) -> Option<String> {
    let (_, rest) = segment.split_once('{')?;
    let (name, _) = rest.split_once('}')?;
    Some(name.to_string())
}

/// Whether some template is an item of `collection`.
fn has_items(collection: &str, templates: &[&str]) -> bool {
    !collection.is_empty()
        && templates.iter().any(|t| {
            t.trim_end_matches('/')
                .strip_prefix(collection)
                .and_then(|rest| rest.strip_prefix('/'))
                .is_some_and(|last| !last.contains('/') && parameter_in(last).is_some())
        })
}

/// What the operations of `collection` say about it.
fn describe(spec: &Spec, plans: &BTreeMap<String, Plan>, collection: &str) -> Collection {
    let doc = &spec.document.value;
    let ops: Vec<(&Operation, &Plan)> = spec
        .operations
        .iter()
        .filter_map(|o| Some((o, plans.get(&o.id)?)))
        .filter(|(_, p)| p.collection == collection)
        .collect();
    let item_schema = ops
        .iter()
        .find_map(|(o, p)| item_schema(o, p))
        .or_else(|| ops.iter().find_map(|(o, p)| created_schema(o, p)))
        .map(|s| synth::resolved(doc, &s))
        .unwrap_or_else(|| json!({}));
    let param = ops.iter().find_map(|(_, p)| match &p.target {
        Target::Item { param } => Some(param.clone()),
        Target::Collection => None,
    });
    let id_field = id_field(&item_schema, param.as_deref());
    let id_schema = synth::property(&item_schema, &id_field)
        .map(|s| synth::resolved(doc, s))
        .or_else(|| param_schema(&ops, param.as_deref()))
        .unwrap_or_else(|| json!({}));
    let posts = ops
        .iter()
        .any(|(o, p)| o.method == Method::Post && p.target == Target::Collection);
    let creatable = posts
        || ops
            .iter()
            .any(|(o, p)| o.method == Method::Put && matches!(p.target, Target::Item { .. }));
    let seeds = seeds(&ops, &id_field);
    Collection {
        id_field,
        id_schema,
        item_schema,
        creatable,
        posts,
        seeds,
    }
}

/// The item schema an operation shows: its item answer, or its list's items.
fn item_schema(op: &Operation, plan: &Plan) -> Option<Value> {
    let schema = success_schema(op)?;
    match (&plan.target, op.method) {
        (Target::Item { .. }, Method::Get) => Some(schema),
        (Target::Collection, Method::Get) => list_items(&schema),
        _ => None,
    }
}

/// The JSON body schema of a POST on the collection.
fn created_schema(op: &Operation, plan: &Plan) -> Option<Value> {
    if op.method != Method::Post || plan.target != Target::Collection {
        return None;
    }
    op.request_body
        .as_ref()?
        .content
        .iter()
        .find(|m| crate::media_type::is_json(&m.media_type))
        .and_then(|m| m.schema.as_ref())
        .map(|s| (*s.source).clone())
}

/// The JSON schema of the operation's first success answer.
fn success_schema(op: &Operation) -> Option<Value> {
    op.responses
        .iter()
        .filter(|r| r.status.is_success())
        .flat_map(|r| r.content.iter())
        .find(|m| crate::media_type::is_json(&m.media_type))
        .and_then(|m| m.schema.as_ref())
        .map(|s| (*s.source).clone())
}

/// The item schema of a list answer: a bare array's, or that of the object's one array property.
fn list_items(schema: &Value) -> Option<Value> {
    if let Some(items) = schema.get("items") {
        return Some(items.clone());
    }
    let properties = schema.get("properties")?.as_object()?;
    properties.values().find_map(|p| p.get("items").cloned())
}

/// The id property: the one named like the parameter (in any case:
/// Twilio's `Sid` is `sid`), else `id`, else the parameter's name.
fn id_field(item_schema: &Value, param: Option<&str>) -> String {
    let declared = |name: &str| {
        item_schema
            .get("properties")
            .and_then(Value::as_object)
            .and_then(|p| p.keys().find(|k| k.eq_ignore_ascii_case(name)).cloned())
    };
    param
        .and_then(declared)
        .or_else(|| declared("id"))
        .or_else(|| param.map(str::to_string))
        .unwrap_or_else(|| "id".to_string())
}

/// The schema of the item path parameter `param`.
fn param_schema(ops: &[(&Operation, &Plan)], param: Option<&str>) -> Option<Value> {
    let param = param?;
    ops.iter()
        .flat_map(|(o, _)| o.parameters.iter())
        .find(|p| p.name == param)
        .and_then(|p| p.schema.as_ref())
        .map(|s| (*s.source).clone())
}

/// Items the collection's GET answers show in their examples, keyed by id.
fn seeds(ops: &[(&Operation, &Plan)], id_field: &str) -> Vec<Value> {
    let mut seeds: Vec<Value> = Vec::new();
    for (op, plan) in ops.iter().filter(|(o, _)| o.method == Method::Get) {
        let examples = op
            .responses
            .iter()
            .filter(|r| r.status.is_success())
            .flat_map(|r| r.content.iter())
            .flat_map(|m| m.examples.iter().map(|e| e.value.clone()));
        for example in examples {
            let items = match plan.target {
                Target::Item { .. } => vec![example],
                Target::Collection => listed(example),
            };
            for item in items.into_iter().filter(|i| i.get(id_field).is_some()) {
                if !seeds.iter().any(|s| s.get(id_field) == item.get(id_field)) {
                    seeds.push(item);
                }
            }
        }
    }
    seeds
}

/// The items of a list example: the array, or the object's one array.
fn listed(example: Value) -> Vec<Value> {
    match example {
        Value::Array(items) => items,
        Value::Object(map) => map
            .into_iter()
            .find_map(|(_, v)| match v {
                Value::Array(items) => Some(items),
                _ => None,
            })
            .unwrap_or_default(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATES: &[&str] = &[
        "/pet",
        "/pet/{petId}",
        "/pet/findByStatus",
        "/pet/{petId}/uploadImage",
        "/store/inventory",
        "/Accounts.json",
        "/Accounts/{Sid}.json",
        "/users/{uid}/pets/{petId}",
    ];

    fn plan_of(template: &str) -> (String, Target) {
        let p = plan(template, TEMPLATES);
        (p.collection, p.target)
    }

    #[test]
    fn items_collections_and_views_come_from_the_templates() {
        let item = |param: &str| Target::Item {
            param: param.into(),
        };
        assert_eq!(plan_of("/pet"), ("/pet".into(), Target::Collection));
        assert_eq!(plan_of("/pet/{petId}"), ("/pet".into(), item("petId")));
        assert_eq!(
            plan_of("/pet/findByStatus"),
            ("/pet".into(), Target::Collection)
        );
        assert_eq!(
            plan_of("/pet/{petId}/uploadImage"),
            ("/pet/{petId}/uploadImage".into(), Target::Collection)
        );
        assert_eq!(
            plan_of("/store/inventory"),
            ("/store/inventory".into(), Target::Collection)
        );
        assert_eq!(
            plan_of("/Accounts/{Sid}.json"),
            ("/Accounts".into(), item("Sid"))
        );
        assert_eq!(
            plan_of("/Accounts.json"),
            ("/Accounts".into(), Target::Collection)
        );
        assert_eq!(
            plan_of("/users/{uid}/pets/{petId}"),
            ("/users/{uid}/pets".into(), item("petId"))
        );
    }

    #[test]
    fn the_id_field_is_the_parameter_then_id_then_the_parameter_name() {
        let schema = json!({"properties": {"petId": {}, "id": {}}});
        assert_eq!(id_field(&schema, Some("petId")), "petId");
        let schema = json!({"properties": {"id": {}}});
        assert_eq!(id_field(&schema, Some("petId")), "id");
        let schema = json!({"properties": {"sid": {}}});
        assert_eq!(id_field(&schema, Some("Sid")), "sid");
        assert_eq!(id_field(&json!({}), Some("petId")), "petId");
        assert_eq!(id_field(&json!({}), None), "id");
    }
}
