//! Building a step's HTTP request from its operation and variables, and
//! sending it with a timeout and retries for connection errors only. The
//! target's credential goes where and how the operation's security asks
//! ([`crate::spec::security`]); a credential the step writes by hand is
//! named for redaction ([`Built::written_credentials`]).
//!
//! Redirects: the client follows none by itself ([`crate::live::client`]).
//! Without `--follow-redirects` a redirect is the answer the step checks.
//! With it, [`send`] follows at most [`MAX_REDIRECTS`] hops itself, and sends
//! the credential (header, query or cookie) and every header that may carry one
//! (`Authorization`, `Proxy-Authorization`, `Cookie`, the scheme's own, such
//! as Huawei's `X-Auth-Token`) only to the origin of the step's first URL:
//! a hop to another origin goes without them, and a hop back gets them
//! again. (reqwest's own policy would drop only `Authorization` and `Cookie`
//! and forward a custom header such as `X-Auth-Token`.) The exchange holds
//! real values, the credential included: it is redacted before it is shown.

use std::time::{Duration, Instant};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;

use super::{Exchange, render_str};
use crate::live::{MaxBody, ReadError, read_body};
use crate::scenario::template::{Vars, render};
use crate::scenario::{Body, Step};
use crate::spec::security::{Carried, decode_basic};
use crate::spec::{Catalog, Credential, Method, ParameterLocation, Routed, Security};

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
    pub body: Option<Body>,
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
    let body = match &step.body {
        Some(Body::Json(b)) => Some(Body::Json(render(b, vars).map_err(unset)?)),
        other => other.clone(),
    };
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

/// Hand-written values this many characters or longer, inside a credential
/// header (a cookie's value, a token after its scheme word), are secrets too.
const MIN_WRITTEN_SECRET: usize = 4;

impl Built<'_> {
    /// The credentials the step wrote by hand (its own `headers`, `query` or
    /// parameters): values of `Authorization`, `Proxy-Authorization`,
    /// `Cookie` and of the headers, query parameters and cookies the
    /// operation's security schemes name. They are redacted like the target's.
    pub fn written_credentials(&self, security: Option<&Security>) -> Vec<String> {
        let schemes: Vec<&Credential> =
            security.into_iter().flat_map(|s| s.credentials()).collect();
        let header_named = |name: &str| {
            CREDENTIAL_HEADERS
                .iter()
                .any(|h| h.eq_ignore_ascii_case(name))
                || schemes
                    .iter()
                    .filter_map(|c| c.header_name())
                    .any(|h| h.eq_ignore_ascii_case(name))
        };
        let mut out = Vec::new();
        for (name, value) in self.headers.iter().filter(|(n, _)| header_named(n)) {
            out.push(value.clone());
            if name.eq_ignore_ascii_case("cookie") {
                out.extend(
                    value
                        .split(';')
                        .filter_map(|c| Some(c.split_once('=')?.1.trim().to_string())),
                );
                continue;
            }
            out.extend(value.rsplit(' ').next().map(str::to_string));
            if let Some(pair) = decode_basic(value) {
                out.extend(pair.split_once(':').map(|(_, p)| p.to_string()));
                out.push(pair);
            }
        }
        for (name, value) in &self.query {
            let is_credential = schemes
                .iter()
                .any(|c| matches!(c, Credential::Query { name: n } if n == name));
            if is_credential {
                out.push(value.clone());
            }
        }
        out.retain(|s| s.len() >= MIN_WRITTEN_SECRET);
        out.sort();
        out.dedup();
        out
    }
}

/// How the runner protects itself from the target.
#[derive(Debug, Clone, Copy, Default)]
pub struct Safety {
    /// `--follow-redirects`: follow redirects (at most [`MAX_REDIRECTS`]); the
    /// credential and every credential-like header go only to the target's own origin.
    pub follow_redirects: bool,
    /// `--max-body`: a longer answer is a finding, not read to the end.
    pub max_body: MaxBody,
}

/// At most this many redirects are followed for one step.
pub const MAX_REDIRECTS: usize = 10;

/// Headers never sent to another origin than the target's, whatever the scheme.
const CREDENTIAL_HEADERS: &[&str] = &["authorization", "proxy-authorization", "cookie"];

/// Why a step got no exchange to check.
#[derive(Debug)]
pub enum Failure {
    /// The target could not be reached, or the answer not read.
    Unreachable(String),
    /// The answer's body is over `--max-body`: the message says the cap and the size seen.
    BodyTooLarge(String),
}

/// One request of a step: the first, or one a redirect leads to.
struct Hop<'b> {
    method: reqwest::Method,
    url: reqwest::Url,
    body: Option<&'b Body>,
}

/// Sends `request` to `base`, adding what `credential` carries (headers,
/// query pairs, cookies), and follows redirects when `safety` says so.
pub async fn send(
    client: &reqwest::Client,
    base: &str,
    request: &Built<'_>,
    credential: Option<&Carried>,
    retries: u32,
    safety: Safety,
) -> Result<Exchange, Failure> {
    let url = first_url(base, request, credential);
    let shown = format!("{} {url}", request.method);
    let unreachable = |e: String| Failure::Unreachable(format!("{shown}: {e}"));
    let method = reqwest::Method::from_bytes(request.method.as_str().as_bytes())
        .map_err(|e| unreachable(e.to_string()))?;
    let first = reqwest::Url::parse(&url).map_err(|e| unreachable(e.to_string()))?;
    let started = Instant::now();
    let hop = Hop {
        method,
        url: first.clone(),
        body: request.body.as_ref(),
    };
    let hops = Hops {
        client,
        first: &first,
        step_headers: &request.headers,
        credential,
        retries,
    };
    let response = hops
        .send(hop, safety.follow_redirects)
        .await
        .map_err(unreachable)?;
    let status = response.status().as_u16();
    let response_headers = answer_headers(&response);
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let bytes = read_body(response, safety.max_body)
        .await
        .map_err(|e| match e {
            ReadError::TooLarge { .. } => Failure::BodyTooLarge(e.to_string()),
            ReadError::Http(e) => unreachable(format!("reading the answer: {}", error_chain(&e))),
        })?;
    Ok(Exchange {
        method: request.method.to_string(),
        url,
        request_headers: hop_headers(&request.headers, credential, true),
        request_body: match &request.body {
            Some(Body::Json(v)) => Some(v.clone()),
            _ => None,
        },
        request_raw_body: match &request.body {
            Some(Body::Raw(text)) => Some(text.clone()),
            _ => None,
        },
        status,
        content_type,
        response_headers,
        body: String::from_utf8_lossy(&bytes).into_owned(),
        elapsed_ms: started.elapsed().as_secs_f64() * 1000.0,
    })
}

/// The step's first URL: base, path and query, a query credential included.
fn first_url(base: &str, request: &Built<'_>, credential: Option<&Carried>) -> String {
    let mut query = request.query.clone();
    query.extend(credential.iter().flat_map(|c| c.query.iter().cloned()));
    let url = format!("{}{}", base.trim_end_matches('/'), request.path);
    if query.is_empty() {
        return url;
    }
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
    format!("{url}?{}", encoded.join("&"))
}

/// The answer's headers as text, in received order.
fn answer_headers(response: &reqwest::Response) -> Vec<(String, String)> {
    response
        .headers()
        .iter()
        .map(|(k, v)| {
            (
                k.to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

/// What every hop of one step shares.
struct Hops<'a> {
    client: &'a reqwest::Client,
    /// The step's first URL: its origin is the target's.
    first: &'a reqwest::Url,
    step_headers: &'a [(String, String)],
    credential: Option<&'a Carried>,
    retries: u32,
}

impl Hops<'_> {
    /// Sends `hop`, then (when `follow`) each redirect, at most [`MAX_REDIRECTS`].
    async fn send(&self, mut hop: Hop<'_>, follow: bool) -> Result<reqwest::Response, String> {
        for _ in 0..=MAX_REDIRECTS {
            let own = hop.url.origin() == self.first.origin();
            let headers = hop_headers(self.step_headers, self.credential, own);
            let response = send_hop(self.client, &hop, &headers, self.retries)
                .await
                .map_err(|e| error_chain(&e))?;
            match follow
                .then(|| redirect(&response, &hop, self.first, self.credential))
                .flatten()
            {
                Some(next) => hop = next,
                None => return Ok(response),
            }
        }
        Err(format!("more than {MAX_REDIRECTS} redirects"))
    }
}

/// The headers of a hop: the step's own, then the credential's (its cookies
/// joined to the step's `Cookie`). To another origin than the target's go
/// neither the credential nor any header that may carry one.
fn hop_headers(
    step: &[(String, String)],
    credential: Option<&Carried>,
    own_origin: bool,
) -> Vec<(String, String)> {
    let carried = credential.cloned().unwrap_or_default();
    let carries_credential = |name: &str| {
        CREDENTIAL_HEADERS
            .iter()
            .any(|h| h.eq_ignore_ascii_case(name))
            || carried
                .headers
                .iter()
                .any(|(n, _)| n.eq_ignore_ascii_case(name))
    };
    let mut headers: Vec<(String, String)> = step
        .iter()
        .filter(|(name, _)| own_origin || !carries_credential(name))
        .cloned()
        .collect();
    if !own_origin {
        return headers;
    }
    headers.extend(carried.headers);
    if !carried.cookies.is_empty() {
        let cookies = carried.cookies.iter().map(|(k, v)| format!("{k}={v}"));
        let mut all: Vec<String> = headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("cookie"))
            .map(|(_, v)| v.clone())
            .collect();
        all.extend(cookies);
        headers.retain(|(n, _)| !n.eq_ignore_ascii_case("cookie"));
        headers.push(("cookie".into(), all.join("; ")));
    }
    headers
}

/// Sends one hop, retrying connection errors (never after an answer).
async fn send_hop(
    client: &reqwest::Client,
    hop: &Hop<'_>,
    headers: &[(String, String)],
    retries: u32,
) -> Result<reqwest::Response, reqwest::Error> {
    let mut attempt = 0;
    loop {
        let mut builder = client.request(hop.method.clone(), hop.url.clone());
        for (k, v) in headers {
            builder = builder.header(k, v);
        }
        let typed = headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("content-type"));
        let bytes = match hop.body {
            Some(Body::Json(v)) => Some(serde_json::to_vec(v).unwrap_or_default()),
            Some(Body::Raw(text)) => Some(text.clone().into_bytes()),
            None => None,
        };
        if let Some(bytes) = bytes {
            if !typed {
                builder = builder.header("content-type", "application/json");
            }
            builder = builder.body(bytes);
        }
        match builder.send().await {
            Err(e) if e.is_connect() && attempt < retries => {
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(100 * u64::from(attempt))).await;
            }
            sent => return sent,
        }
    }
}

/// The hop a redirect leads to: `response` is a 301, 302, 303, 307 or 308
/// with a `Location` to an http(s) URL. Like browsers (and reqwest), 301,
/// 302 and 303 turn into a `GET` without body (a `HEAD` stays one); 307 and
/// 308 repeat the request. A credential sent in the query goes only to
/// the origin of `target`, the step's first URL.
fn redirect<'b>(
    response: &reqwest::Response,
    hop: &Hop<'b>,
    target: &reqwest::Url,
    credential: Option<&Carried>,
) -> Option<Hop<'b>> {
    let status = response.status().as_u16();
    if !matches!(status, 301 | 302 | 303 | 307 | 308) {
        return None;
    }
    let location = response.headers().get("location")?.to_str().ok()?;
    let mut url = hop.url.join(location).ok()?;
    if !matches!(url.scheme(), "http" | "https") {
        return None;
    }
    let own_origin = url.origin() == target.origin();
    for (name, token) in credential.iter().flat_map(|c| &c.query) {
        place_query_credential(&mut url, name, token, own_origin);
    }
    let repeat = matches!(status, 307 | 308);
    let method = match &hop.method {
        m if repeat || *m == reqwest::Method::HEAD => m.clone(),
        _ => reqwest::Method::GET,
    };
    Some(Hop {
        method,
        url,
        body: hop.body.filter(|_| repeat),
    })
}

/// Puts the query credential `name=token` in `url` when `own_origin` (unless
/// it is there), and takes every `name` parameter out of it otherwise.
fn place_query_credential(url: &mut reqwest::Url, name: &str, token: &str, own_origin: bool) {
    let present = url.query_pairs().any(|(k, _)| k == name);
    if present == own_origin {
        return;
    }
    let mut pairs: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != name)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    if own_origin {
        pairs.push((name.to_string(), token.to_string()));
    }
    if pairs.is_empty() {
        url.set_query(None);
    } else {
        url.query_pairs_mut().clear().extend_pairs(pairs);
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    #[rstest]
    #[case::kept_on_the_target("http://a/x?token=t&b=1", true, "http://a/x?token=t&b=1")]
    #[case::added_back_on_the_target("http://a/x?b=1", true, "http://a/x?b=1&token=t")]
    #[case::taken_out_elsewhere("http://b/x?token=t&b=1", false, "http://b/x?b=1")]
    #[case::the_only_parameter_elsewhere("http://b/x?token=t", false, "http://b/x")]
    #[case::absent_elsewhere("http://b/x?b=1", false, "http://b/x?b=1")]
    fn a_query_credential_goes_only_to_the_target(
        #[case] url: &str,
        #[case] own_origin: bool,
        #[case] expected: &str,
    ) {
        let mut url = reqwest::Url::parse(url).unwrap();
        place_query_credential(&mut url, "token", "t", own_origin);
        assert_eq!(url.as_str(), expected);
    }

    #[test]
    fn another_origin_gets_no_header_that_may_carry_a_credential() {
        let step: Vec<(String, String)> = [
            ("Authorization", "Basic x"),
            ("Cookie", "s=1"),
            ("proxy-authorization", "p"),
            ("x-auth-token", "old"),
            ("x-request-id", "r1"),
        ]
        .iter()
        .map(|(n, v)| (n.to_string(), v.to_string()))
        .collect();
        let carried = Carried {
            headers: vec![("X-Auth-Token".into(), "tok".into())],
            ..Carried::default()
        };
        let names = |own| -> Vec<String> {
            hop_headers(&step, Some(&carried), own)
                .into_iter()
                .map(|(n, v)| format!("{n}={v}"))
                .collect()
        };
        assert_eq!(names(false), ["x-request-id=r1"]);
        assert_eq!(
            names(true).last().map(String::as_str),
            Some("X-Auth-Token=tok")
        );
        assert_eq!(names(true).len(), 6);
    }
}
