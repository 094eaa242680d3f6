//! The recording proxy: an axum server that forwards every request to the
//! upstream with reqwest, returns the upstream's answer as it came, and keeps
//! each exchange in memory (credentials included: they are dropped when the
//! scenario is written, never stored).
//!
//! Two changes are made on the way, both needed to record readable traffic:
//! hop-by-hop headers are not forwarded (they describe one connection), and
//! `Accept-Encoding` is not forwarded, so the upstream answers uncompressed.
//! Redirects are passed back to the client, not followed (the proxy adds no
//! credential: the client decides where its own goes). A request the
//! upstream does not answer gets 502 from the proxy and is not recorded.
//! Bodies are capped (`--max-body`): a larger request gets 413 and is not
//! forwarded; a larger answer is not read to the end, the client gets 502
//! naming the cap and the size seen, and its step is written flagged.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

use crate::live::{MaxBody, ReadError, client, read_body};

/// How long [`RecordingProxy::stop`] waits for requests in flight.
const STOP_GRACE: Duration = Duration::from_secs(10);

/// Headers that describe one connection, not the message: never forwarded.
const HOP_BY_HOP: &[&str] = &[
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "te",
    "trailer",
    "upgrade",
    "host",
    "content-length",
];

/// One request forwarded and its answer.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// The order in which the proxy received it.
    pub sequence: u64,
    /// HTTP method, upper case (`GET`).
    pub method: String,
    /// The path as sent (percent-encoded), without the query.
    pub path: String,
    /// The raw query string, if any.
    pub query: Option<String>,
    /// Request headers forwarded upstream, hop-by-hop headers left out.
    pub request_headers: Vec<(String, String)>,
    /// Request body bytes as received.
    pub request_body: Vec<u8>,
    /// HTTP status the upstream answered.
    pub status: u16,
    /// Response headers passed back to the client, hop-by-hop headers left out.
    pub response_headers: Vec<(String, String)>,
    /// Response body bytes as received from upstream.
    pub response_body: Vec<u8>,
    /// Why the answer was not passed on (its body is over the cap), for the scenario to say.
    pub note: Option<String>,
}

struct ProxyState {
    upstream: String,
    client: reqwest::Client,
    max_body: MaxBody,
    journal: Mutex<Vec<Recorded>>,
    next: AtomicU64,
}

/// A recording proxy running on a local port, until [`RecordingProxy::stop`] (or drop).
pub struct RecordingProxy {
    /// Where it listens.
    pub addr: SocketAddr,
    state: Arc<ProxyState>,
    shutdown: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl RecordingProxy {
    /// Listens on `listen` (port 0: an ephemeral port) and forwards to
    /// `upstream` (`http(s)://host[:port][/prefix]`), each request ending
    /// within `timeout`, no body larger than `max_body` passed through.
    pub async fn start(
        upstream: &str,
        listen: SocketAddr,
        timeout: Duration,
        max_body: MaxBody,
    ) -> std::io::Result<RecordingProxy> {
        let listener = TcpListener::bind(listen).await?;
        let addr = listener.local_addr()?;
        let state = Arc::new(ProxyState {
            upstream: upstream.trim_end_matches('/').to_string(),
            client: client(timeout),
            max_body,
            journal: Mutex::new(Vec::new()),
            next: AtomicU64::new(0),
        });
        let router = Router::new().fallback(forward).with_state(state.clone());
        let (tx, task) = crate::mock::serve_in_background(listener, router);
        Ok(RecordingProxy {
            addr,
            state,
            shutdown: Some(tx),
            task: Some(task),
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops listening, lets requests in flight finish (for a while), and
    /// returns every exchange in the order the requests arrived.
    pub async fn stop(mut self) -> Vec<Recorded> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let _ = tokio::time::timeout(STOP_GRACE, task).await;
        }
        let mut recorded = self
            .state
            .journal
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        recorded.sort_by_key(|r| r.sequence);
        recorded
    }
}

impl Drop for RecordingProxy {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// The headers passed on: all but hop-by-hop ones and `also_drop`.
fn passed<'h>(
    headers: &'h HeaderMap,
    also_drop: &'h [&str],
) -> impl Iterator<Item = (&'h HeaderName, &'h HeaderValue)> {
    headers
        .iter()
        .filter(|(n, _)| !HOP_BY_HOP.contains(&n.as_str()) && !also_drop.contains(&n.as_str()))
}

/// The headers passed on, as text for the recording.
fn forwarded(headers: &HeaderMap, also_drop: &[&str]) -> Vec<(String, String)> {
    passed(headers, also_drop)
        .map(|(n, v)| {
            (
                n.as_str().to_string(),
                String::from_utf8_lossy(v.as_bytes()).into_owned(),
            )
        })
        .collect()
}

fn failure(status: StatusCode, message: String) -> Response {
    tracing::warn!("{message}");
    (status, format!("vouch record: {message}\n")).into_response()
}

async fn forward(State(state): State<Arc<ProxyState>>, request: Request) -> Response {
    let sequence = state.next.fetch_add(1, Ordering::Relaxed);
    let (parts, body) = request.into_parts();
    let Ok(body) = to_bytes(body, state.max_body.usize()).await else {
        let message = format!("request body exceeds {} (--max-body)", state.max_body);
        return failure(StatusCode::PAYLOAD_TOO_LARGE, message);
    };
    let path_and_query = parts.uri.path_and_query().map_or("/", |p| p.as_str());
    let url = format!("{}{path_and_query}", state.upstream);
    // What messages name: the query may carry a credential (`?token=`), so it is left out.
    let shown = format!("{} {}{}", parts.method, state.upstream, parts.uri.path());
    let mut builder = state
        .client
        .request(parts.method.clone(), &url)
        .body(body.clone());
    for (name, value) in passed(&parts.headers, &["accept-encoding"]) {
        builder = builder.header(name, value);
    }
    let answer = match builder.send().await {
        Ok(answer) => answer,
        Err(e) => {
            return failure(
                StatusCode::BAD_GATEWAY,
                format!("{shown}: {}", e.without_url()),
            );
        }
    };
    let status = answer.status();
    let response_headers = answer.headers().clone();
    let (response_body, note) = match read_body(answer, state.max_body).await {
        Ok(bytes) => (bytes, None),
        Err(e @ ReadError::TooLarge { .. }) => (Vec::new(), Some(format!("{e} (--max-body)"))),
        Err(ReadError::Http(e)) => {
            return failure(
                StatusCode::BAD_GATEWAY,
                format!("{shown}: reading: {}", e.without_url()),
            );
        }
    };
    state
        .journal
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .push(Recorded {
            sequence,
            method: parts.method.to_string(),
            path: parts.uri.path().to_string(),
            query: parts.uri.query().map(str::to_string),
            request_headers: forwarded(&parts.headers, &["accept-encoding"]),
            request_body: body.to_vec(),
            status: status.as_u16(),
            response_headers: forwarded(&response_headers, &[]),
            response_body: response_body.clone(),
            note: note.clone(),
        });
    if let Some(note) = note {
        return failure(StatusCode::BAD_GATEWAY, format!("{shown}: {note}"));
    }
    let mut reply = Response::builder().status(status);
    for (name, value) in passed(&response_headers, &[]) {
        reply = reply.header(name, value);
    }
    reply
        .body(Body::from(response_body))
        .unwrap_or_else(|e| failure(StatusCode::BAD_GATEWAY, format!("{shown}: {e}")))
}
