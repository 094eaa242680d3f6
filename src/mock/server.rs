//! Serving over TCP: the accept loop, HTTP/1 connections with hyper, and the
//! limits that keep any one client from holding the mock. A request head must
//! arrive within [`ServeOptions::head_timeout`] of the connection opening or
//! of the previous answer (so the same limit closes idle keep-alive
//! connections); an accept error such as running out of file descriptors
//! pauses accepting briefly instead of ending or spinning the loop. On
//! shutdown, connections not in a request close at once, and requests in
//! flight get [`ServeOptions::grace`] to finish.
//!
//! Also here: [`serve_operation`], the per-request edge around the core's
//! `answer`: reading the body, logging the request and journaling it.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::response::{IntoResponse, Response};
use http_body_util::{BodyExt, LengthLimitError, Limited};
use hyper::body::{Frame, SizeHint};
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, oneshot, watch};

use super::admin::ADMIN_PREFIX;
use super::journal::JournalEntry;
use super::request::{MAX_BODY_BYTES, RequestProblem};
use super::vendors::Served;
use super::{MockState, Outcome, Seen, answer, app, faults};

/// How long accepting pauses after an error such as "too many open files".
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// The serving layer's time limits.
#[derive(Debug, Clone, Copy)]
pub struct ServeOptions {
    /// How long a client may take to send a whole request head, counted from
    /// the connection opening or the previous answer: a half-sent request and
    /// an idle keep-alive connection are both closed after it.
    pub head_timeout: Duration,
    /// After shutdown is asked, how long requests in flight may take to be answered.
    pub grace: Duration,
}

impl Default for ServeOptions {
    fn default() -> Self {
        ServeOptions {
            head_timeout: Duration::from_secs(30),
            grace: Duration::from_secs(10),
        }
    }
}

/// A mock running on a loopback port, stopped when dropped.
pub struct MockServer {
    /// Where it listens.
    pub addr: SocketAddr,
    /// Its shared state (for resets and inspection in-process).
    pub state: Arc<MockState>,
    shutdown: Option<oneshot::Sender<()>>,
}

impl MockServer {
    /// Starts the mock on `addr` (port 0: an ephemeral port).
    pub async fn start(state: Arc<MockState>, addr: SocketAddr) -> std::io::Result<MockServer> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let (tx, _task) = spawn_serving(listener, Dispatch::mock(state.clone()));
        Ok(MockServer {
            addr,
            state,
            shutdown: Some(tx),
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// Serves `router` on `listener` in a spawned task until the returned sender
/// fires (or is dropped); the handle ends when requests in flight are done.
pub(crate) fn serve_in_background(
    listener: TcpListener,
    router: Router,
) -> (oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
    spawn_serving(listener, Dispatch::router(router))
}

fn spawn_serving(
    listener: TcpListener,
    dispatch: Dispatch,
) -> (oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(serve(listener, dispatch, ServeOptions::default(), async {
        let _ = rx.await;
    }));
    (tx, task)
}

/// Where a request goes: the mock's operations straight to [`serve_operation`]
/// (the hot path, without the router's matching and layers), everything else
/// (the admin API, or a router that is not the mock's) through the router.
#[derive(Clone)]
struct Dispatch {
    router: Router,
    operations: Option<Arc<MockState>>,
}

impl Dispatch {
    fn mock(state: Arc<MockState>) -> Dispatch {
        Dispatch {
            router: app(state.clone()),
            operations: Some(state),
        }
    }

    fn router(router: Router) -> Dispatch {
        Dispatch {
            router,
            operations: None,
        }
    }

    async fn call(self, request: Request) -> Response {
        match self.operations {
            Some(state) if !request.uri().path().starts_with(ADMIN_PREFIX) => {
                serve_operation(State(state), request).await
            }
            _ => {
                let mut router = self.router;
                match tower_service::Service::call(&mut router, request).await {
                    Ok(response) => response,
                    Err(never) => match never {},
                }
            }
        }
    }
}

/// Serves the mock on `addr` with `options` until Ctrl-C or SIGTERM, then
/// answers the requests in flight and returns.
pub async fn serve_until_ctrl_c(
    state: Arc<MockState>,
    addr: SocketAddr,
    options: ServeOptions,
) -> std::io::Result<()> {
    // Listen for the signals before saying we are up, so that none is missed.
    let stop = stop_signal()?;
    let listener = TcpListener::bind(addr).await?;
    let local = listener.local_addr()?;
    println!("vouch mock listening on http://{local}");
    serve(listener, Dispatch::mock(state), options, stop).await;
    Ok(())
}

/// Completes on the first Ctrl-C (SIGINT) or SIGTERM.
#[cfg(unix)]
fn stop_signal() -> std::io::Result<impl Future<Output = ()>> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut interrupt = signal(SignalKind::interrupt())?;
    let mut terminate = signal(SignalKind::terminate())?;
    Ok(async move {
        tokio::select! {
            _ = interrupt.recv() => {}
            _ = terminate.recv() => {}
        }
    })
}

/// Completes on the first Ctrl-C.
#[cfg(not(unix))]
fn stop_signal() -> std::io::Result<impl Future<Output = ()>> {
    Ok(async {
        let _ = tokio::signal::ctrl_c().await;
    })
}

/// Accepts connections until `stop` completes, then shuts down (see the module docs).
async fn serve(
    listener: TcpListener,
    dispatch: Dispatch,
    options: ServeOptions,
    stop: impl Future<Output = ()>,
) {
    let (stopping, stop_seen) = watch::channel(false);
    // Each connection holds a sender: when all are gone, every connection has ended.
    let (alive, mut all_ended) = mpsc::channel::<()>(1);
    tokio::pin!(stop);
    let mut failing = false;
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut stop => break,
        };
        match accepted {
            Ok((stream, _)) => {
                failing = false;
                let connection = Connection {
                    dispatch: dispatch.clone(),
                    options,
                    stopping: stop_seen.clone(),
                    _alive: alive.clone(),
                };
                tokio::spawn(connection.serve(stream));
            }
            Err(e) if is_per_connection(&e) => {}
            Err(e) => {
                if !failing {
                    tracing::warn!(error = %e, "cannot accept connections; retrying");
                }
                failing = true;
                tokio::select! {
                    () = tokio::time::sleep(ACCEPT_BACKOFF) => {}
                    () = &mut stop => break,
                }
            }
        }
    }
    drop(listener);
    let _ = stopping.send(true);
    drop(alive);
    let _ = all_ended.recv().await;
}

/// Whether an accept error concerns only the connection being accepted.
fn is_per_connection(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::{ConnectionAborted, ConnectionRefused, ConnectionReset};
    matches!(
        e.kind(),
        ConnectionAborted | ConnectionRefused | ConnectionReset
    )
}

/// One accepted connection and what it needs.
struct Connection {
    dispatch: Dispatch,
    options: ServeOptions,
    stopping: watch::Receiver<bool>,
    _alive: mpsc::Sender<()>,
}

impl Connection {
    async fn serve(mut self, stream: TcpStream) {
        let _ = stream.set_nodelay(true);
        let busy = Arc::new(AtomicUsize::new(0));
        let dispatch = self.dispatch.clone();
        let in_request = busy.clone();
        let service = hyper::service::service_fn(move |request: hyper::Request<_>| {
            let guard = Busy::enter(&in_request);
            let dispatch = dispatch.clone();
            async move {
                let response = dispatch.call(request.map(Body::new)).await;
                Ok::<_, std::convert::Infallible>(response.map(|body| Tracked {
                    body,
                    _guard: guard,
                }))
            }
        });
        let connection = http1::Builder::new()
            .timer(TokioTimer::new())
            .header_read_timeout(self.options.head_timeout)
            .serve_connection(TokioIo::new(stream), service);
        tokio::pin!(connection);
        tokio::select! {
            _ = connection.as_mut() => return,
            _ = self.stopping.wait_for(|stopping| *stopping) => {}
        }
        // Shutting down: a connection that is not in a request closes now
        // (even one half-way through sending a head); one that is gets the grace.
        if busy.load(Ordering::Acquire) == 0 {
            return;
        }
        connection.as_mut().graceful_shutdown();
        let _ = tokio::time::timeout(self.options.grace, connection).await;
    }
}

/// Counts a request as in progress from its head until its answer is sent.
struct Busy(Arc<AtomicUsize>);

impl Busy {
    fn enter(count: &Arc<AtomicUsize>) -> Busy {
        count.fetch_add(1, Ordering::AcqRel);
        Busy(count.clone())
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A response body that keeps its request counted as busy until hyper has taken all of it.
struct Tracked {
    body: Body,
    _guard: Busy,
}

impl hyper::body::Body for Tracked {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut self.get_mut().body).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body.size_hint()
    }
}

/// The mock's answer to any request outside the admin API: reads the body,
/// replays a kept answer or asks the core (keeping its answer to a read),
/// logs one line and journals the request.
pub(super) async fn serve_operation(
    State(state): State<Arc<MockState>>,
    request: Request,
) -> Response {
    let started = Instant::now();
    let (parts, body) = request.into_parts();
    let mut seen = Seen {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or_default().to_string(),
        operation: None,
        findings: Vec::new(),
    };
    let body = read_body(body).await;
    // A kept answer stands only for a request without a body (see `replay`).
    let replayable = body.as_ref().is_ok_and(|b| b.is_empty());
    let replayed = replayable
        .then(|| (!state.faults_armed()).then(|| state.replays.find(&parts)))
        .flatten()
        .flatten();
    let (status, response) = if let Some(replayed) = replayed {
        seen.operation = Some(replayed.operation);
        (
            replayed.answer.status.as_u16(),
            replayed.answer.into_response(),
        )
    } else {
        let outcome = answer(
            &state,
            &mut seen,
            &parts.headers,
            body.as_deref().map_err(Clone::clone),
        )
        .await;
        match outcome {
            Outcome::Reply(Served { reply, read }) => {
                let status = reply.status;
                let wire = reply.into_wire();
                if let (Some(read), Some(operation), true) = (read, &seen.operation, replayable) {
                    state.replays.keep(&parts, operation, read, &wire);
                }
                (status, wire.into_response())
            }
            Outcome::Drop => (0, faults::dropped_connection()),
        }
    };
    crate::logging::request(
        &seen.method,
        &seen.path,
        seen.operation.as_deref(),
        status,
        started.elapsed().as_micros() as u64,
    );
    let query = crate::redact::redact(&seen.query, &[state.token.as_str()]);
    state.journal.record(JournalEntry {
        time_ms: now_ms(),
        method: seen.method,
        path: seen.path,
        // A credential may travel in the query (Zadig's `?token=`): never journal it.
        query,
        operation: seen.operation,
        findings: seen.findings,
        status,
    });
    response
}

/// The whole body, up to [`MAX_BODY_BYTES`]; a body that cannot be read
/// (the client went away) is told apart from one that is too large.
async fn read_body(body: Body) -> Result<Bytes, RequestProblem> {
    match Limited::new(body, MAX_BODY_BYTES).collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<LengthLimitError>() => Err(RequestProblem::BodyTooLarge),
        Err(e) => Err(RequestProblem::BodyUnreadable {
            reason: e.to_string(),
        }),
    }
}

/// Milliseconds since the Unix epoch.
fn now_ms() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or_default()
}
