//! `vouch record`: a recording proxy and the scenario writer.
//!
//! The proxy ([`RecordingProxy`]) forwards every request to an upstream and
//! returns its answer unchanged, keeping the exchanges in memory. When it
//! stops, [`write_scenario`] turns them into a scenario file: each request
//! becomes a step calling the operation the catalog routes it to (or a
//! flagged `method`/`path` step when none matches), the status becomes the
//! step's expectation, generated identifiers become captures, and
//! credentials are dropped (the runner sends the target's own).

mod captures;
mod draft;
mod proxy;
mod writer;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

pub use proxy::{Recorded, RecordingProxy};
pub use writer::{Recording, scenario, write_scenario};

use crate::live::MaxBody;
use crate::spec::Catalog;

/// What `vouch record` needs.
#[derive(Debug, Clone)]
pub struct RecordOptions {
    /// `http(s)://host[:port][/prefix]`.
    pub upstream: String,
    /// Local address the recording proxy listens on.
    pub listen: SocketAddr,
    /// The scenario file to write.
    pub out: PathBuf,
    /// Per forwarded request.
    pub timeout: Duration,
    /// The largest request or response body passed through (`--max-body`).
    pub max_body: MaxBody,
}

/// Records until Ctrl-C, then writes the scenario.
pub async fn record_until_ctrl_c(
    catalog: &Catalog,
    options: &RecordOptions,
) -> Result<Recording, String> {
    let proxy = RecordingProxy::start(
        &options.upstream,
        options.listen,
        options.timeout,
        options.max_body,
    )
    .await
    .map_err(|e| format!("cannot listen on {}: {e}", options.listen))?;
    let mut interrupted = Box::pin(tokio::signal::ctrl_c());
    // Polled once so that the handler is in place before anyone is told to send traffic.
    if futures_util::FutureExt::now_or_never(&mut interrupted).is_none() {
        println!(
            "vouch record listening on {}; Ctrl-C writes {}",
            proxy.url(),
            options.out.display()
        );
        let _ = interrupted.await;
    }
    let recorded = proxy.stop().await;
    write_scenario(&options.out, catalog, &options.upstream, &recorded)
}
