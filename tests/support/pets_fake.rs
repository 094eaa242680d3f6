//! The pets service of `tests/conform/pets.yaml` (or, under other paths, of
//! `tests/conform/linked.yaml`) with one injected fault at a time: the router
//! alone, so that `tests/conform.rs` serves it on a loopback port of its own
//! and `examples/pets_fake.rs` serves it as a process (for
//! `benches/conform-vs-schemathesis.sh`).

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

/// The credential the service asks for in `X-Api-Key`, unless told another.
pub const TOKEN: &str = "pets-test-token";

/// What a wrong-typed `age` carries: a report must show it as text, never run it.
pub const MARKUP: &str = "<script>document.title='pwned'</script>";

/// The paths and the identifier a service answers with.
#[derive(Clone, Copy, Debug)]
pub enum Api {
    /// tests/conform/pets.yaml: `/pets`, `/pets/{id}`, `id`.
    Pets,
    /// tests/conform/linked.yaml: `/pet-registrations`, `/pet-lookup/{code}`, `ref`.
    Linked,
}

/// What the pets service gets wrong.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Fault {
    /// Nothing: the service keeps its contract.
    None,
    /// A pet's `age` is read back as a string, carrying markup ([`MARKUP`]).
    WrongType,
    /// An `age` above 30 is accepted.
    OutOfRange,
    /// No credential is checked.
    NoAuth,
    /// A created pet cannot be read.
    NoReadBack,
    /// A body that is not JSON gets an undeclared 500.
    Malformed500,
}

impl Fault {
    /// Every fault with its name on the command line.
    pub const ALL: [(&'static str, Fault); 6] = [
        ("none", Fault::None),
        ("wrong-type", Fault::WrongType),
        ("out-of-range", Fault::OutOfRange),
        ("no-auth", Fault::NoAuth),
        ("no-read-back", Fault::NoReadBack),
        ("malformed-500", Fault::Malformed500),
    ];

    /// The fault named `name` (`wrong-type`), if there is one.
    pub fn named(name: &str) -> Option<Fault> {
        Fault::ALL
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, fault)| *fault)
    }
}

#[derive(Clone)]
struct Pets {
    fault: Fault,
    token: Arc<str>,
    /// The property naming a pet in its answers.
    key: &'static str,
    pets: Arc<Mutex<BTreeMap<String, Value>>>,
    next: Arc<AtomicU64>,
    posts: Arc<AtomicU64>,
}

fn error(status: StatusCode, text: &str) -> Response {
    (status, axum::Json(json!({ "error": text }))).into_response()
}

impl Pets {
    fn refused(&self, headers: &HeaderMap) -> Option<Response> {
        let given = headers.get("x-api-key").and_then(|v| v.to_str().ok());
        (self.fault != Fault::NoAuth && given != Some(&*self.token))
            .then(|| error(StatusCode::UNAUTHORIZED, "unauthorized"))
    }

    fn shown(&self, pet: &Value) -> Value {
        let mut pet = pet.clone();
        if self.fault == Fault::WrongType {
            pet["age"] = json!(format!("{} {MARKUP}", pet["age"]));
        }
        pet
    }

    /// Whether `body` is a new pet the service takes.
    fn valid(&self, body: &Value) -> bool {
        let Some(map) = body.as_object() else {
            return false;
        };
        let max_age = if self.fault == Fault::OutOfRange {
            i64::MAX
        } else {
            30
        };
        let name_ok = map
            .get("name")
            .and_then(Value::as_str)
            .is_some_and(|n| (1..=20).contains(&n.chars().count()));
        let age_ok = map
            .get("age")
            .and_then(Value::as_i64)
            .is_some_and(|a| (0..=max_age).contains(&a));
        let kind_ok = map.get("kind").is_none_or(|k| k == "cat" || k == "dog");
        let known = map
            .keys()
            .all(|k| ["name", "age", "kind"].contains(&k.as_str()));
        name_ok && age_ok && kind_ok && known
    }
}

async fn list(State(s): State<Pets>, headers: HeaderMap) -> Response {
    if let Some(r) = s.refused(&headers) {
        return r;
    }
    let pets: Vec<Value> = s
        .pets
        .lock()
        .unwrap()
        .values()
        .map(|p| s.shown(p))
        .collect();
    axum::Json(pets).into_response()
}

async fn create(State(s): State<Pets>, headers: HeaderMap, body: Bytes) -> Response {
    s.posts.fetch_add(1, Ordering::SeqCst);
    if let Some(r) = s.refused(&headers) {
        return r;
    }
    let body: Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(_) if s.fault == Fault::Malformed500 => {
            return error(StatusCode::INTERNAL_SERVER_ERROR, "unexpected end of input");
        }
        Err(_) => return error(StatusCode::BAD_REQUEST, "malformed JSON"),
    };
    if !s.valid(&body) {
        return error(StatusCode::BAD_REQUEST, "invalid pet");
    }
    let id = format!("p{}", s.next.fetch_add(1, Ordering::SeqCst) + 1);
    let mut pet = body;
    pet[s.key] = json!(id);
    s.pets.lock().unwrap().insert(id, pet.clone());
    (StatusCode::CREATED, axum::Json(s.shown(&pet))).into_response()
}

async fn read(State(s): State<Pets>, headers: HeaderMap, UrlPath(id): UrlPath<String>) -> Response {
    if let Some(r) = s.refused(&headers) {
        return r;
    }
    let pet = s.pets.lock().unwrap().get(&id).cloned();
    match pet.filter(|_| s.fault != Fault::NoReadBack) {
        Some(pet) => axum::Json(s.shown(&pet)).into_response(),
        None => error(StatusCode::NOT_FOUND, "no such pet"),
    }
}

async fn replace(
    State(s): State<Pets>,
    headers: HeaderMap,
    UrlPath(id): UrlPath<String>,
    body: Bytes,
) -> Response {
    if let Some(r) = s.refused(&headers) {
        return r;
    }
    let mut pet = match serde_json::from_slice::<Value>(&body) {
        Ok(v) if s.valid(&v) => v,
        _ => return error(StatusCode::BAD_REQUEST, "invalid pet"),
    };
    pet[s.key] = json!(id);
    let mut pets = s.pets.lock().unwrap();
    match pets.get_mut(&id) {
        Some(old) => {
            *old = pet.clone();
            axum::Json(s.shown(&pet)).into_response()
        }
        None => error(StatusCode::NOT_FOUND, "no such pet"),
    }
}

async fn remove(
    State(s): State<Pets>,
    headers: HeaderMap,
    UrlPath(id): UrlPath<String>,
) -> Response {
    if let Some(r) = s.refused(&headers) {
        return r;
    }
    match s.pets.lock().unwrap().remove(&id) {
        Some(_) => StatusCode::NO_CONTENT.into_response(),
        None => error(StatusCode::NOT_FOUND, "no such pet"),
    }
}

/// The pets service as `api` names it, with `fault`, asking for `token`,
/// and its count of POSTs.
pub fn app(api: Api, fault: Fault, token: &str) -> (Router, Arc<AtomicU64>) {
    let (collection, item, key) = match api {
        Api::Pets => ("/pets", "/pets/{id}", "id"),
        Api::Linked => ("/pet-registrations", "/pet-lookup/{id}", "ref"),
    };
    // Only tests/conform/linked.yaml declares a PUT on the item.
    let item_methods = match api {
        Api::Pets => get(read).delete(remove),
        Api::Linked => get(read).put(replace).delete(remove),
    };
    let state = Pets {
        fault,
        token: token.into(),
        key,
        pets: Arc::default(),
        next: Arc::default(),
        posts: Arc::default(),
    };
    let posts = state.posts.clone();
    let router = Router::new()
        .route(collection, get(list).post(create))
        .route(item, item_methods)
        .with_state(state);
    (router, posts)
}
