//! Operations no vendor module claims (a user's own spec): a stateful CRUD
//! resource inferred from the path shape, falling back to the spec's examples.
//!
//! A template ending in a literal segment is a collection (`/things`); one
//! ending in a parameter is an item of the collection before it
//! (`/things/{id}`). POST on a collection creates (the item's id field is the
//! item path's parameter name, generated when absent), GET lists; GET, PUT,
//! PATCH and DELETE on an item read, replace, merge and remove. A reply that
//! would not validate against the declared response falls back to the
//! declared example. `x-vouch-mock: examples` on an operation turns the
//! inference off: it always answers its success example.
//!
//! [`Crud`] is a [`Vendor`] like the built-in ones: bound once per spec that
//! names no built-in vendor, it serves every operation of that spec and keeps
//! its resources under the spec's name in `GET /__vouch/state`.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::reply::{Reply, ReplyBody};
use super::request::{MockRequest, RequestProblem};
use super::vendors::{Serve, Vendor};
use crate::spec::{Method, Operation, Response, Spec, StatusKey};

/// Stored resources, by concrete collection path.
#[derive(Debug, Default, Serialize)]
pub struct State {
    collections: BTreeMap<String, Vec<Value>>,
    next_id: u64,
}

/// The CRUD inference for one spec: it serves every operation of the spec.
pub struct Crud {
    operations: Vec<String>,
}

impl Crud {
    /// The inference for `spec`.
    pub fn new(spec: &Spec) -> Crud {
        Crud {
            operations: spec.operations.iter().map(|o| o.id.clone()).collect(),
        }
    }
}

impl Vendor for Crud {
    /// A user's spec has no section in the fixtures file: it starts empty.
    type Fixtures = ();
    type State = State;

    fn state(&self, _fixtures: &()) -> State {
        State::default()
    }

    fn operations(&self) -> Vec<(&str, Serve<State>)> {
        let serve: Serve<State> = |state, req| Ok(handle(req, state));
        self.operations
            .iter()
            .map(|id| (id.as_str(), serve))
            .collect()
    }

    fn not_found(&self, _path: &str) -> Reply {
        Reply::text(404, "404 page not found")
    }

    fn method_not_allowed(&self) -> Reply {
        Reply::text(405, "Method Not Allowed")
    }

    /// Accepts the token in any credential form the operation declares.
    fn authenticate(&self, req: &MockRequest<'_>, token: &str) -> Option<Reply> {
        let accepted = req.operation.security.admits(req, token);
        (!accepted).then(|| declared_or(req.operation, 401, json!({"message": "unauthorized"})))
    }

    /// A 400 naming the field, or the declared 400 example when the spec's error schema wants another shape.
    fn invalid_request(&self, req: &MockRequest<'_>, problem: &RequestProblem) -> Reply {
        let body = json!({"message": problem.message(), "field": problem.field()});
        declared_or(req.operation, 400, body)
    }

    /// A plain JSON error.
    fn error(&self, status: u16, message: &str) -> Reply {
        Reply::json(status, json!({"message": message}))
    }
}

/// Serves a request by CRUD inference or from examples.
fn handle(req: &MockRequest<'_>, state: &mut State) -> Reply {
    let op = req.operation;
    let success = op.responses.iter().find(|r| r.status.is_success());
    let status = success.and_then(|r| match r.status {
        StatusKey::Code(c) => Some(c),
        _ => None,
    });
    let status = status.unwrap_or(200);
    if op.extension("x-vouch-mock").and_then(Value::as_str) == Some("examples") {
        return example_reply(op, status);
    }
    let concrete = req.path.trim_end_matches('/').to_string();
    let is_item = op.path.trim_end_matches('/').ends_with('}');
    let reply = if is_item {
        let id_name = op
            .path
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or("")
            .trim_matches(|c| c == '{' || c == '}')
            .to_string();
        let id = req.path_param(&id_name).unwrap_or_default().to_string();
        let collection = concrete
            .rsplit_once('/')
            .map(|(c, _)| c.to_string())
            .unwrap_or_default();
        item(req, state, &collection, &id_name, &id, status)
    } else {
        collection(req, state, &concrete, status)
    };
    let Some(reply) = reply else {
        return example_reply(op, status);
    };
    if fits(op, &reply) {
        reply
    } else {
        example_reply(op, reply.status)
    }
}

fn collection(req: &MockRequest<'_>, state: &mut State, path: &str, status: u16) -> Option<Reply> {
    match req.method {
        Method::Get => {
            let items = state.collections.get(path).cloned().unwrap_or_default();
            Some(Reply::json(
                status,
                list_shape(req.operation, status, items),
            ))
        }
        Method::Post => {
            let Some(Value::Object(mut body)) = req.json.clone() else {
                return None;
            };
            let id_name =
                item_parameter(req.spec, &req.operation.path).unwrap_or_else(|| "id".into());
            if !body.contains_key(&id_name) {
                state.next_id += 1;
                body.insert(id_name, Value::String(state.next_id.to_string()));
            }
            let created = Value::Object(body);
            state
                .collections
                .entry(path.to_string())
                .or_default()
                .push(created.clone());
            Some(Reply::json(status, created))
        }
        _ => None,
    }
}

fn item(
    req: &MockRequest<'_>,
    state: &mut State,
    collection: &str,
    id_name: &str,
    id: &str,
    status: u16,
) -> Option<Reply> {
    let op = req.operation;
    let items = state.collections.entry(collection.to_string()).or_default();
    let same = |v: &Value| match v.get(id_name) {
        Some(Value::String(s)) => s == id,
        Some(Value::Number(n)) => id.parse::<i64>().ok() == n.as_i64(),
        Some(_) => false,
        None => false,
    };
    let Some(at) = items.iter().position(same) else {
        return Some(declared_or(
            op,
            404,
            json!({"message": format!("`{id}` not found")}),
        ));
    };
    match req.method {
        Method::Get => Some(Reply::json(status, items[at].clone())),
        Method::Put => {
            let Some(Value::Object(mut body)) = req.json.clone() else {
                return None;
            };
            body.insert(id_name.to_string(), items[at][id_name].clone());
            items[at] = Value::Object(body);
            Some(Reply::json(status, items[at].clone()))
        }
        Method::Patch => {
            let Some(Value::Object(patch)) = req.json.clone() else {
                return None;
            };
            if let Value::Object(current) = &mut items[at] {
                merge(current, patch);
            }
            Some(Reply::json(status, items[at].clone()))
        }
        Method::Delete => {
            let removed = items.remove(at);
            let has_body = op
                .response_for(status)
                .is_some_and(|r| !r.content.is_empty());
            Some(if has_body {
                Reply::json(status, removed)
            } else {
                Reply::empty(status)
            })
        }
        _ => None,
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

/// The parameter name of `collection/{name}` in the same spec, if it exists.
fn item_parameter(spec: &Spec, collection: &str) -> Option<String> {
    let prefix = format!("{}/{{", collection.trim_end_matches('/'));
    spec.operations.iter().find_map(|o| {
        let rest = o.path.strip_prefix(&prefix)?;
        let name = rest.strip_suffix('}')?;
        (!name.contains('/')).then(|| name.to_string())
    })
}

/// A list as the response schema wants it: a bare array, or an object with one array property.
fn list_shape(op: &Operation, status: u16, items: Vec<Value>) -> Value {
    let schema = op
        .response_for(status)
        .and_then(|r| r.content.first())
        .and_then(|m| m.schema.as_ref());
    let Some(schema) = schema else {
        return Value::Array(items);
    };
    if schema.json_type() == Some("object")
        && let Some(props) = schema.source.get("properties").and_then(Value::as_object)
        && let Some((name, _)) = props
            .iter()
            .find(|(_, p)| p.get("type").and_then(Value::as_str) == Some("array"))
    {
        return json!({ name: items });
    }
    Value::Array(items)
}

/// Whether the reply validates against its declared response.
fn fits(op: &Operation, reply: &Reply) -> bool {
    let Some(declared) = op.response_for(reply.status) else {
        return false;
    };
    match (
        &reply.body,
        declared.content.first().and_then(|m| m.schema.as_ref()),
    ) {
        (ReplyBody::Json(v), Some(schema)) => schema.is_valid(v),
        (ReplyBody::SerializedJson(bytes), Some(schema)) => {
            serde_json::from_slice::<Value>(bytes).is_ok_and(|v| schema.is_valid(&v))
        }
        (ReplyBody::Empty, None) => declared.content.is_empty(),
        (_, None) => true,
        _ => false,
    }
}

/// `fallback` when it fits the response declared for `status`, else the declared example.
fn declared_or(op: &Operation, status: u16, fallback: Value) -> Reply {
    let declared = op.response_for(status);
    let schema = declared
        .and_then(|r| r.content.first())
        .and_then(|m| m.schema.as_ref());
    let example = declared.and_then(first_example);
    match example {
        Some(example) if schema.is_some_and(|s| !s.is_valid(&fallback)) => {
            Reply::json(status, example)
        }
        _ => Reply::json(status, fallback),
    }
}

fn first_example(response: &Response) -> Option<Value> {
    response
        .content
        .iter()
        .find_map(|m| m.examples.first().map(|e| e.value.clone()))
}

/// The operation's declared example for `status`, or an empty body.
fn example_reply(op: &Operation, status: u16) -> Reply {
    match op.response_for(status) {
        Some(r) if r.content.is_empty() => Reply::empty(status),
        Some(r) => match (r.content.first(), first_example(r)) {
            (Some(m), Some(example)) if crate::media_type::is_json(&m.media_type) => {
                Reply::json(status, example)
            }
            (_, Some(Value::String(text))) => Reply::text(status, text),
            _ => Reply::empty(status),
        },
        None => Reply::empty(status),
    }
}
