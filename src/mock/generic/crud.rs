//! The stateful part of the generic mock: collections of items, keyed by
//! their concrete path (`/users/7/pets`), each item keyed by the id field
//! its schema declares. Creates store the item as sent (a JSON or form
//! body) merged with the fields the server sets (required and read-only
//! ones the request left out, and a generated id of the declared type);
//! reads, replaces, merges and deletes find it by the path parameter. A
//! collection no operation creates into is read-only: it starts from the
//! spec's examples and answers any id with an item.

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::Serialize;
use serde_json::{Map, Value};

use super::resource::{Collection, Model, Target};
use super::synth::{self, Fill};
use crate::mock::random;
use crate::mock::request::MockRequest;
use crate::spec::{Method, Operation};

/// Stored items, by concrete collection path.
#[derive(Debug, Default, Serialize)]
pub struct State {
    /// Items by concrete collection path (`/pets`, `/users/7/pets`).
    pub collections: BTreeMap<String, Vec<Value>>,
    #[serde(skip)]
    model: Arc<Model>,
}

/// What a request did: a success with the answer's body, or no such item.
#[derive(Debug)]
pub enum Outcome {
    /// Served; the body to answer (`None`: the declared example or schema decides).
    Done(Option<Value>),
    /// The item the path names does not exist.
    Missing(String),
}

impl State {
    /// A state holding the spec's example items and `stored` (a fixtures section).
    pub fn new(model: Arc<Model>, stored: &BTreeMap<String, Vec<Value>>) -> State {
        let mut collections: BTreeMap<String, Vec<Value>> = model
            .collections
            .iter()
            .filter(|(template, c)| !template.contains('{') && !c.seeds.is_empty())
            .map(|(template, c)| (template.clone(), c.seeds.clone()))
            .collect();
        collections.extend(stored.iter().map(|(k, v)| (k.clone(), v.clone())));
        State { collections, model }
    }

    /// Serves `req` against the collection its operation addresses;
    /// `None` when the operation addresses none the model knows.
    pub fn serve(&mut self, req: &MockRequest<'_>) -> Option<Outcome> {
        let model = self.model.clone();
        let plan = model.plans.get(&req.operation.id)?;
        let collection = model.collections.get(&plan.collection)?;
        let key = concrete(&plan.collection, req);
        let items = self
            .collections
            .entry(key)
            .or_insert_with(|| collection.seeds.clone());
        let mut served = Served {
            req,
            doc: &req.spec.document.value,
            collection,
            items,
        };
        Some(match &plan.target {
            Target::Collection => served.on_collection(),
            Target::Item { param } => {
                let id = req.path_param(param).unwrap_or_default().to_string();
                served.on_item(&id)
            }
        })
    }
}

/// `template` with the request's path parameters in place.
fn concrete(template: &str, req: &MockRequest<'_>) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some((before, after)) = rest.split_once('{') {
        out.push_str(before);
        let Some((name, tail)) = after.split_once('}') else {
            break;
        };
        out.push_str(req.path_param(name).unwrap_or_default());
        rest = tail;
    }
    out.push_str(rest);
    out
}

/// One request against one concrete collection.
struct Served<'r, 'c> {
    req: &'r MockRequest<'r>,
    doc: &'r Value,
    collection: &'c Collection,
    items: &'r mut Vec<Value>,
}

impl Served<'_, '_> {
    fn on_collection(&mut self) -> Outcome {
        match self.req.method {
            Method::Get => Outcome::Done(self.listed()),
            Method::Post => Outcome::Done(self.create()),
            Method::Put | Method::Patch => {
                let Some(body) = self.body() else {
                    return Outcome::Done(None);
                };
                let id = body.get(&self.collection.id_field).map(id_text);
                match id.and_then(|id| self.position(&id).map(|at| (id, at))) {
                    Some((_, at)) => Outcome::Done(Some(self.replace(at, body))),
                    None => Outcome::Missing(id_text_or(body.get(&self.collection.id_field))),
                }
            }
            _ => Outcome::Done(None),
        }
    }

    fn on_item(&mut self, id: &str) -> Outcome {
        let found = self.position(id);
        let method = self.req.method;
        let Some(at) = found else {
            return match method {
                Method::Get if !self.collection.creatable => Outcome::Done(Some(self.made(id))),
                Method::Put if !self.collection.posts => {
                    let mut item = self.body().unwrap_or_default();
                    item.insert(self.collection.id_field.clone(), self.typed_id(id));
                    Outcome::Done(Some(self.store(item)))
                }
                _ => Outcome::Missing(id.to_string()),
            };
        };
        match method {
            Method::Get => Outcome::Done(Some(self.items[at].clone())),
            Method::Put => {
                let body = self.body().unwrap_or_default();
                Outcome::Done(Some(self.replace(at, body)))
            }
            Method::Patch | Method::Post => {
                let mut changes = self.body().unwrap_or_default();
                changes.extend(self.query_fields());
                if let Value::Object(current) = &mut self.items[at] {
                    merge(current, changes);
                }
                Outcome::Done(Some(self.items[at].clone()))
            }
            Method::Delete => Outcome::Done(Some(self.items.remove(at))),
            _ => Outcome::Done(Some(self.items[at].clone())),
        }
    }

    /// The items, filtered by query parameters named like item fields, cut
    /// at `limit`; `None` when the answer is no list.
    fn listed(&self) -> Option<Value> {
        let mut items: Vec<Value> = self
            .items
            .iter()
            .filter(|item| {
                self.query_fields()
                    .iter()
                    .all(|(k, v)| matches(item.get(k), v))
            })
            .cloned()
            .collect();
        if let Some(limit) = self.req.query_param("limit").and_then(|l| l.parse().ok()) {
            items.truncate(limit);
        }
        list_shape(self.doc, self.req.operation, items)
    }

    /// Creates the body's items (one object, or each of an array).
    fn create(&mut self) -> Option<Value> {
        match self.req.json.clone()? {
            Value::Object(body) => Some(self.store(body)),
            Value::Array(list) => Some(Value::Array(
                list.into_iter()
                    .filter_map(|v| match v {
                        Value::Object(body) => Some(self.store(body)),
                        _ => None,
                    })
                    .collect(),
            )),
            _ => None,
        }
    }

    /// Stores `body` merged with the fields the server sets; an item with
    /// the same id is replaced.
    fn store(&mut self, body: Map<String, Value>) -> Value {
        let id_field = self.collection.id_field.clone();
        let mut item = match synth::value(self.doc, &self.collection.item_schema, Fill::ServerSet) {
            Value::Object(set) => set,
            _ => Map::new(),
        };
        item.remove(&id_field);
        item.extend(body);
        if !item.contains_key(&id_field) {
            let id = self.new_id();
            item.insert(id_field.clone(), id);
        }
        let item = Value::Object(item);
        let id = item.get(&id_field).map(id_text).unwrap_or_default();
        match self.position(&id) {
            Some(at) => self.items[at] = item.clone(),
            None => self.items.push(item.clone()),
        }
        item
    }

    /// Replaces item `at` by `body`, keeping its id.
    fn replace(&mut self, at: usize, mut body: Map<String, Value>) -> Value {
        let id_field = &self.collection.id_field;
        if let Some(id) = self.items[at].get(id_field) {
            body.insert(id_field.clone(), id.clone());
        }
        self.items[at] = Value::Object(body);
        self.items[at].clone()
    }

    /// An item made from the schema, with id `id` (a read-only collection's unknown item).
    fn made(&self, id: &str) -> Value {
        let mut item = synth::value(self.doc, &self.collection.item_schema, Fill::All);
        if let Value::Object(fields) = &mut item {
            fields.insert(self.collection.id_field.clone(), self.typed_id(id));
        }
        item
    }

    fn body(&self) -> Option<Map<String, Value>> {
        match self.req.json.clone()? {
            Value::Object(body) => Some(body),
            _ => None,
        }
    }

    /// Query parameters named like the item schema's properties, typed as they are.
    fn query_fields(&self) -> Map<String, Value> {
        self.req
            .query
            .iter()
            .filter_map(|(k, v)| {
                let property = synth::property(&self.collection.item_schema, k)?;
                let property = synth::resolved(self.doc, property);
                Some((k.clone(), typed(&property, v)))
            })
            .collect()
    }

    fn position(&self, id: &str) -> Option<usize> {
        let field = &self.collection.id_field;
        self.items
            .iter()
            .position(|item| item.get(field).is_some_and(|v| id_text(v) == id))
    }

    /// `id` as the id schema types it (a number where it says integer).
    fn typed_id(&self, id: &str) -> Value {
        typed(&self.collection.id_schema, id)
    }

    /// A new id of the declared type and format, unused in this collection.
    fn new_id(&self) -> Value {
        let schema = &self.collection.id_schema;
        loop {
            let id = match synth::json_type(schema) {
                Some("integer") | Some("number") => {
                    let (low, high) = synth::integer_range(schema);
                    Value::from(random::int_in(low.max(1), high))
                }
                _ if schema.get("format").and_then(Value::as_str) == Some("uuid") => {
                    Value::String(random::uuid())
                }
                _ => {
                    let min = schema.get("minLength").and_then(Value::as_u64).unwrap_or(0);
                    let max = schema
                        .get("maxLength")
                        .and_then(Value::as_u64)
                        .unwrap_or(64);
                    Value::String(random::hex_id(12.clamp(min, max.max(min)) as usize))
                }
            };
            if self.position(&id_text(&id)).is_none() {
                return id;
            }
        }
    }
}

/// An id as the path carries it.
fn id_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn id_text_or(value: Option<&Value>) -> String {
    value.map(id_text).unwrap_or_default()
}

/// Text as the value `schema` types it, else the text.
fn typed(schema: &Value, text: &str) -> Value {
    let parsed = match synth::json_type(schema) {
        Some("integer") => text.parse::<i64>().ok().map(Value::from),
        Some("number") => text
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map(Value::Number),
        Some("boolean") => text.parse::<bool>().ok().map(Value::Bool),
        _ => None,
    };
    parsed.unwrap_or_else(|| Value::String(text.to_string()))
}

/// Whether an item's field matches a query value (an array field: any of its elements).
fn matches(field: Option<&Value>, wanted: &Value) -> bool {
    match field {
        Some(Value::Array(values)) => values.iter().any(|v| v == wanted),
        Some(value) => value == wanted,
        None => false,
    }
}

/// JSON merge patch (RFC 7386) of `patch` into `target`.
fn merge(target: &mut Map<String, Value>, patch: Map<String, Value>) {
    for (k, v) in patch {
        match (target.get_mut(&k), v) {
            (_, Value::Null) => {
                target.remove(&k);
            }
            (Some(Value::Object(t)), Value::Object(p)) => merge(t, p),
            (_, v) => {
                target.insert(k, v);
            }
        }
    }
}

/// A list as the response schema wants it: a bare array, or an object
/// (made from its schema) with the items in its array property; `None`
/// when the schema wants neither.
fn list_shape(doc: &Value, op: &Operation, items: Vec<Value>) -> Option<Value> {
    let schema = op
        .responses
        .iter()
        .filter(|r| r.status.is_success())
        .flat_map(|r| r.content.iter())
        .find(|m| crate::media_type::is_json(&m.media_type))
        .and_then(|m| m.schema.as_ref())?;
    let shape = synth::resolved(doc, &schema.source);
    let array_property = shape
        .get("properties")
        .and_then(Value::as_object)
        .and_then(|props| {
            props
                .iter()
                .find(|(_, p)| synth::json_type(&synth::resolved(doc, p)) == Some("array"))
        })
        .map(|(name, _)| name.clone());
    match (synth::json_type(&shape), array_property) {
        (Some("object"), Some(name)) => {
            let mut object = match synth::value(doc, &schema.source, Fill::All) {
                Value::Object(o) => o,
                _ => Map::new(),
            };
            object.insert(name, Value::Array(items));
            Some(Value::Object(object))
        }
        (Some("array"), _) => Some(Value::Array(items)),
        _ => None,
    }
}
