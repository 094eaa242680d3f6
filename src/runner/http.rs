//! Building a step's HTTP request from its operation and variables, and
//! sending it with a timeout and retries for connection errors only.

use std::time::{Duration, Instant};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;

use super::{Exchange, render_str};
use crate::redact::redact;
use crate::scenario::Step;
use crate::scenario::template::{Vars, render};
use crate::spec::{Catalog, Credential, Method, ParameterLocation, Routed};

/// Characters left as they are in a path segment or query component.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'_')
    .remove(b'.')
    .remove(b'~');

/// A request ready to send, before the credential and base URL.
#[derive(Debug)]
pub struct Built<'c> {
    pub operation: Option<&'c str>,
    pub method: Method,
    /// Percent-encoded path, no query.
    pub path: String,
    pub query: Vec<(String, String)>,
    pub headers: Vec<(String, String)>,
    pub body: Option<Value>,
}

/// A client for one scenario: keep-alive connections, a per-request timeout.
pub fn client(timeout: Duration) -> reqwest::Client {
    // TLS for live targets uses ring; installing it twice is harmless.
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .build()
        .unwrap_or_default()
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Query pairs for a value: arrays repeat the key.
fn pairs(name: &str, value: &Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::Array(items) => out.extend(items.iter().map(|v| (name.to_string(), text_of(v)))),
        other => out.push((name.to_string(), text_of(other))),
    }
}

/// Renders a step into a request.
pub fn build<'c>(catalog: &'c Catalog, step: &Step, vars: &Vars) -> Result<Built<'c>, String> {
    let unset = |u: crate::scenario::template::Unset| {
        format!(
            "variable `{}` is not set (the step that captures it did not run or found nothing)",
            u.0
        )
    };
    let params = render(&Value::Object(step.params.clone()), vars).map_err(unset)?;
    let extra_query = render(&Value::Object(step.query.clone()), vars).map_err(unset)?;
    let extra_headers = render(&Value::Object(step.headers.clone()), vars).map_err(unset)?;
    let body = step
        .body
        .as_ref()
        .map(|b| render(b, vars))
        .transpose()
        .map_err(unset)?;
    let mut query = Vec::new();
    let mut headers = Vec::new();
    let (operation, method, path) = match (&step.operation, &step.method, &step.path) {
        (Some(id), _, _) => {
            let (_, op) = catalog
                .operation(id)
                .ok_or_else(|| format!("unknown operation `{id}`"))?;
            let mut path = op.path.clone();
            for p in &op.parameters {
                let Some(value) = params.get(&p.name) else {
                    continue;
                };
                match p.location {
                    ParameterLocation::Path => {
                        let encoded = utf8_percent_encode(&text_of(value), UNRESERVED).to_string();
                        path = path.replace(&format!("{{{}}}", p.name), &encoded);
                    }
                    ParameterLocation::Query => pairs(&p.name, value, &mut query),
                    ParameterLocation::Header => headers.push((p.name.clone(), text_of(value))),
                    ParameterLocation::Cookie => {
                        headers.push(("cookie".into(), format!("{}={}", p.name, text_of(value))))
                    }
                }
            }
            (Some(op.id.as_str()), op.method, path)
        }
        (None, Some(method), Some(path)) => {
            let method = *method;
            let path = render_str(path, vars)?;
            let (path, inline_query) =
                path.split_once('?').map_or((path.clone(), None), |(p, q)| {
                    (p.to_string(), Some(q.to_string()))
                });
            if let Some(q) = inline_query {
                query.extend(crate::query::parse_query(&q));
            }
            let operation = match catalog.route(method, &path) {
                Routed::Operation { operation, .. } => Some(operation.id.as_str()),
                _ => None,
            };
            (operation, method, path)
        }
        _ => return Err("a step needs either `operation` or both `method` and `path`".into()),
    };
    if let Value::Object(map) = &extra_query {
        for (k, v) in map {
            pairs(k, v, &mut query);
        }
    }
    if let Value::Object(map) = &extra_headers {
        headers.extend(map.iter().map(|(k, v)| (k.clone(), text_of(v))));
    }
    Ok(Built {
        operation,
        method,
        path,
        query,
        headers,
        body,
    })
}

/// Sends `request` to `base`, adding `credential` with its token.
pub async fn send(
    client: &reqwest::Client,
    base: &str,
    request: &Built<'_>,
    credential: Option<(&Credential, &str)>,
    retries: u32,
    secrets: &[String],
) -> Result<Exchange, String> {
    let mut query = request.query.clone();
    let mut headers = request.headers.clone();
    match credential {
        Some((Credential::Header { name, prefix }, token)) => {
            headers.push((name.clone(), format!("{prefix}{token}")))
        }
        Some((Credential::Query { name }, token)) => query.push((name.clone(), token.to_string())),
        None => {}
    }
    let mut url = format!("{}{}", base.trim_end_matches('/'), request.path);
    if !query.is_empty() {
        let encoded: Vec<String> = query
            .iter()
            .map(|(k, v)| {
                format!(
                    "{}={}",
                    utf8_percent_encode(k, UNRESERVED),
                    utf8_percent_encode(v, UNRESERVED)
                )
            })
            .collect();
        url = format!("{url}?{}", encoded.join("&"));
    }
    let method = reqwest::Method::from_bytes(request.method.as_str().as_bytes())
        .map_err(|e| e.to_string())?;
    let started = Instant::now();
    let mut attempt = 0;
    let response = loop {
        let mut builder = client.request(method.clone(), &url);
        for (k, v) in &headers {
            builder = builder.header(k, v);
        }
        if let Some(body) = &request.body {
            builder = builder
                .header("content-type", "application/json")
                .body(serde_json::to_vec(body).unwrap_or_default());
        }
        match builder.send().await {
            Ok(r) => break r,
            Err(e) if e.is_connect() && attempt < retries => {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt))).await;
            }
            Err(e) => {
                return Err(redact(
                    &format!("{} {}: {}", request.method, url, error_chain(&e)),
                    secrets,
                ));
            }
        }
    };
    let status = response.status().as_u16();
    let response_headers: Vec<(String, String)> = response
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.to_string(),
                redact(&String::from_utf8_lossy(v.as_bytes()), secrets),
            )
        })
        .collect();
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let bytes = response.bytes().await.map_err(|e| {
        redact(
            &format!(
                "{} {}: reading the answer: {}",
                request.method,
                url,
                error_chain(&e)
            ),
            secrets,
        )
    })?;
    Ok(Exchange {
        method: request.method.to_string(),
        url: redact(&url, secrets),
        request_headers: headers
            .iter()
            .map(|(k, v)| (k.clone(), redact(v, secrets)))
            .collect(),
        request_body: request.body.clone(),
        status,
        content_type,
        response_headers,
        body: redact(&String::from_utf8_lossy(&bytes), secrets),
        elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
    })
}

/// An error with its causes, which is where reqwest puts the useful part.
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    text
}
