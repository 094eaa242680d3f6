//! Turning one recorded exchange into a scenario step: the operation found
//! through the catalog's route table, its path, query and header parameters
//! by name, the JSON body and the status. Credentials are dropped here (the
//! runner sends the target's own when `auth` is true) and remembered only
//! so that any copy of them elsewhere in a request can be replaced.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use super::proxy::Recorded;
use crate::query::parse_query;
use crate::spec::security::decode_basic;
use crate::spec::{Catalog, Credential, Method, Operation, ParameterLocation, Routed};

/// Headers that carry credentials whatever the specs declare.
const CREDENTIAL_HEADERS: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "x-auth-token",
    "cookie",
];
/// Query parameters that carry credentials whatever the specs declare.
const CREDENTIAL_QUERY: &[&str] = &["token", "access_token", "api_key", "apikey"];
/// Shorter values are not treated as secrets to look for elsewhere.
const MIN_SECRET_LEN: usize = 4;

/// Where credentials travel: the fixed names above and every security scheme of the catalog.
pub(super) struct CredentialNames {
    headers: BTreeSet<String>,
    query: BTreeSet<String>,
}

impl CredentialNames {
    pub(super) fn of(catalog: &Catalog) -> CredentialNames {
        let mut names = CredentialNames {
            headers: CREDENTIAL_HEADERS.iter().map(|h| h.to_string()).collect(),
            query: CREDENTIAL_QUERY.iter().map(|q| q.to_string()).collect(),
        };
        for credential in catalog
            .operations()
            .flat_map(|(_, op)| op.security.credentials())
        {
            match (credential, credential.header_name()) {
                (Credential::Query { name }, _) => names.query.insert(name.clone()),
                (_, Some(header)) => names.headers.insert(header.to_ascii_lowercase()),
                (_, None) => false,
            };
        }
        names
    }
}

/// A step being written.
#[derive(Debug, Clone)]
pub(super) struct Draft {
    pub name: String,
    /// Why the step needs a reader's attention (written as a YAML comment).
    pub flags: Vec<String>,
    pub operation: Option<String>,
    /// The spec of the operation, for the scenario's tags.
    pub spec: Option<String>,
    pub method: String,
    pub path: String,
    pub params: Map<String, Value>,
    pub query: Map<String, Value>,
    pub auth: bool,
    pub body: Option<Value>,
    pub status: u16,
    /// (variable, JSON pointer into the response).
    pub capture: Vec<(String, String)>,
    /// The JSON response, where captures come from (not written).
    pub response: Option<Value>,
    /// Credential values this request carried (not written).
    pub secrets: Vec<String>,
}

/// The step for `recorded`.
pub(super) fn draft(catalog: &Catalog, names: &CredentialNames, recorded: &Recorded) -> Draft {
    let mut d = Draft {
        name: format!("{} {}", recorded.method, recorded.path),
        flags: Vec::new(),
        operation: None,
        spec: None,
        method: recorded.method.clone(),
        path: recorded.path.clone(),
        params: Map::new(),
        query: Map::new(),
        auth: false,
        body: None,
        status: recorded.status,
        capture: Vec::new(),
        response: serde_json::from_slice(&recorded.response_body).ok(),
        secrets: Vec::new(),
    };
    let routed = Method::parse(&recorded.method).map(|m| catalog.route(m, &recorded.path));
    let operation = match routed {
        Some(Routed::Operation {
            spec,
            operation,
            params,
        }) => {
            d.name = operation.route();
            d.operation = Some(operation.id.clone());
            d.spec = Some(spec.name.clone());
            for (name, value) in params {
                d.params
                    .insert(name.to_string(), Value::String(value.into_owned()));
            }
            Some(operation)
        }
        _ => {
            d.name = format!("unmatched: {}", d.name);
            d.flags.push(format!(
                "vouch record: no operation of the catalog matches {} {}",
                recorded.method, recorded.path
            ));
            None
        }
    };
    query(names, recorded, operation, &mut d);
    headers(names, recorded, operation, &mut d);
    body(recorded, &mut d);
    if let Some(note) = &recorded.note {
        d.flags
            .push(format!("vouch record: {note}; the client got 502 instead"));
    }
    d
}

/// Adds `value` under `name`, turning repeated names into arrays.
fn add(map: &mut Map<String, Value>, name: &str, value: String) {
    match map.get_mut(name) {
        Some(Value::Array(items)) => items.push(Value::String(value)),
        Some(first) => *first = Value::Array(vec![first.take(), Value::String(value)]),
        None => {
            map.insert(name.to_string(), Value::String(value));
        }
    }
}

fn declared(operation: Option<&Operation>, name: &str, location: ParameterLocation) -> bool {
    operation.is_some_and(|op| {
        op.parameters
            .iter()
            .any(|p| p.location == location && p.name.eq_ignore_ascii_case(name))
    })
}

fn remember_secret(d: &mut Draft, value: &str) {
    d.auth = true;
    let bare = value.rsplit(' ').next().unwrap_or(value);
    // HTTP basic: the `user:password` behind the base64, and the password.
    let pair = decode_basic(value).unwrap_or_default();
    let password = pair.split_once(':').map_or("", |(_, p)| p);
    for secret in [value, bare, &pair, password] {
        if secret.len() >= MIN_SECRET_LEN && !d.secrets.iter().any(|s| s == secret) {
            d.secrets.push(secret.to_string());
        }
    }
}

fn query(
    names: &CredentialNames,
    recorded: &Recorded,
    operation: Option<&Operation>,
    d: &mut Draft,
) {
    for (name, value) in parse_query(recorded.query.as_deref().unwrap_or_default()) {
        if names.query.contains(&name) {
            remember_secret(d, &value);
        } else if declared(operation, &name, ParameterLocation::Query) {
            add(&mut d.params, &name, value);
        } else {
            add(&mut d.query, &name, value);
        }
    }
}

/// Credential headers are dropped, declared header parameters kept, the rest (client noise) dropped.
fn headers(
    names: &CredentialNames,
    recorded: &Recorded,
    operation: Option<&Operation>,
    d: &mut Draft,
) {
    for (name, value) in &recorded.request_headers {
        if names.headers.contains(&name.to_ascii_lowercase()) {
            remember_secret(d, value);
        } else if let Some(p) = operation.and_then(|op| {
            op.parameters.iter().find(|p| {
                p.location == ParameterLocation::Header && p.name.eq_ignore_ascii_case(name)
            })
        }) {
            add(&mut d.params, &p.name, value.clone());
        }
    }
}

fn body(recorded: &Recorded, d: &mut Draft) {
    if recorded.request_body.is_empty() {
        return;
    }
    match serde_json::from_slice::<Value>(&recorded.request_body) {
        Ok(json) => d.body = Some(json),
        Err(_) => d.flags.push(format!(
            "vouch record: the request body ({} bytes) is not JSON and was not recorded",
            recorded.request_body.len()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::security::basic_header;

    #[test]
    fn a_basic_credential_is_remembered_as_sent_decoded_and_as_its_password() {
        let catalog = Catalog::builtin().expect("built-in specs");
        let recorded = Recorded {
            sequence: 0,
            method: "GET".into(),
            path: "/nowhere".into(),
            query: None,
            request_headers: vec![("Authorization".into(), basic_header("ann:pa55word"))],
            request_body: br#"{"password": "pa55word"}"#.to_vec(),
            status: 200,
            response_headers: Vec::new(),
            response_body: Vec::new(),
            note: None,
        };
        let d = draft(&catalog, &CredentialNames::of(&catalog), &recorded);
        assert!(d.auth);
        for secret in ["ann:pa55word", "pa55word", "YW5uOnBhNTV3b3Jk"] {
            assert!(
                d.secrets.iter().any(|s| s == secret),
                "{secret}: {:?}",
                d.secrets
            );
        }
    }
}
