//! Log output for the command line. Lines go to stderr through a buffer that
//! a background thread writes out every few milliseconds and at exit, so that
//! logging a request costs a copy into memory rather than a system call on
//! the request's path. Colour codes only when stderr is a terminal and
//! `NO_COLOR` is unset. The level comes from `VOUCH_LOG`, else `RUST_LOG`,
//! else the command's default.
//!
//! The mock's one line per request ([`request`]) is formatted here directly
//! into that buffer rather than through tracing's formatter, which costs
//! several times more than answering a cached request; tracing's filter still
//! decides whether it is written (target `vouch::request`, level INFO).

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::fmt::MakeWriter;

/// How often buffered lines are written out.
const FLUSH_EVERY: Duration = Duration::from_millis(20);
/// Past this many buffered bytes, the logging thread writes them out itself.
const MAX_BUFFERED: usize = 1 << 20;

/// Installs the global log subscriber; the returned guard writes out what is
/// still buffered when dropped, so keep it until the program ends.
pub fn init(default_level: &str) -> LogGuard {
    let filter = EnvFilter::try_from_env("VOUCH_LOG")
        .or_else(|_| EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| EnvFilter::new(default_level));
    let shared = Arc::new(Shared::default());
    let colour = std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    let installed = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour)
        .with_writer(Buffered(shared.clone()))
        .try_init()
        .is_ok();
    if installed {
        let _ = SINK.set(shared.clone());
    }
    let flusher = installed.then(|| {
        let shared = shared.clone();
        std::thread::spawn(move || shared.flush_until_stopped())
    });
    LogGuard { shared, flusher }
}

/// Where [`request`] lines go once [`init`] has installed the log.
static SINK: OnceLock<Arc<Shared>> = OnceLock::new();

/// Logs one request the mock answered (`status` 0: the connection was dropped):
/// `TIME  INFO vouch::request: method=GET path=/x operation=id status=200 micros=42`.
pub fn request(method: &str, path: &str, operation: Option<&str>, status: u16, micros: u64) {
    let Some(sink) = SINK.get() else { return };
    if !tracing::enabled!(target: "vouch::request", tracing::Level::INFO) {
        return;
    }
    let line = request_line(method, path, operation, status, micros);
    let _ = (&**sink).write(line.as_bytes());
}

/// The line [`request`] writes.
fn request_line(
    method: &str,
    path: &str,
    operation: Option<&str>,
    status: u16,
    micros: u64,
) -> String {
    let mut line = String::with_capacity(160);
    push_timestamp(&mut line);
    let mut number = itoa::Buffer::new();
    for part in [
        "  INFO vouch::request: method=",
        method,
        " path=",
        path,
        " operation=",
        operation.unwrap_or("-"),
        " status=",
        number.format(status),
    ] {
        line.push_str(part);
    }
    line.push_str(" micros=");
    line.push_str(number.format(micros));
    line.push('\n');
    line
}

/// Appends the time as tracing's own lines show it (RFC 3339 in UTC, with
/// microseconds: `2026-11-30T11:23:28.123456Z`). The date and time of day are formatted once a second per
/// thread; only the fraction is formatted per line.
fn push_timestamp(line: &mut String) {
    thread_local! {
        /// The last second formatted, and its text up to the fraction.
        static SECOND: std::cell::RefCell<(u64, String)> = const { std::cell::RefCell::new((u64::MAX, String::new())) };
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    SECOND.with_borrow_mut(|(second, text)| {
        if *second != now.as_secs() {
            *second = now.as_secs();
            text.clear();
            if let Some(time) = chrono::DateTime::from_timestamp(now.as_secs() as i64, 0) {
                let _ = write!(text, "{}", time.format("%Y-%m-%dT%H:%M:%S"));
            }
        }
        line.push_str(text);
    });
    let mut digits = itoa::Buffer::new();
    let fraction = digits.format(now.subsec_micros());
    line.push('.');
    line.extend(std::iter::repeat_n(
        '0',
        6usize.saturating_sub(fraction.len()),
    ));
    line.push_str(fraction);
    line.push('Z');
}

/// Keeps the log flushing; writes out the rest when dropped.
pub struct LogGuard {
    shared: Arc<Shared>,
    flusher: Option<JoinHandle<()>>,
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        *lock(&self.shared.stopped) = true;
        self.shared.wake.notify_all();
        if let Some(flusher) = self.flusher.take() {
            let _ = flusher.join();
        }
        self.shared.write_out();
    }
}

/// The buffer shared by the logging threads and the flusher.
#[derive(Default)]
struct Shared {
    buffer: Mutex<Vec<u8>>,
    stopped: Mutex<bool>,
    wake: Condvar,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    /// Writes out what is buffered (the lock is not held while writing).
    fn write_out(&self) {
        let pending = std::mem::take(&mut *lock(&self.buffer));
        if !pending.is_empty() {
            let _ = std::io::stderr().lock().write_all(&pending);
        }
    }

    fn flush_until_stopped(&self) {
        let mut stopped = lock(&self.stopped);
        while !*stopped {
            stopped = self
                .wake
                .wait_timeout(stopped, FLUSH_EVERY)
                .unwrap_or_else(PoisonError::into_inner)
                .0;
            drop(stopped);
            self.write_out();
            stopped = lock(&self.stopped);
        }
    }
}

/// tracing's writer: appends each formatted line to the shared buffer.
struct Buffered(Arc<Shared>);

impl<'a> MakeWriter<'a> for Buffered {
    type Writer = &'a Shared;

    fn make_writer(&'a self) -> Self::Writer {
        &self.0
    }
}

impl Write for &Shared {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        let full = {
            let mut buffer = lock(&self.buffer);
            buffer.extend_from_slice(bytes);
            buffer.len() > MAX_BUFFERED
        };
        if full {
            self.write_out();
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_request_line_names_method_path_operation_status_and_micros() {
        let line = request_line("GET", "/ports", Some("rainbond.listPorts"), 200, 1042);
        let (stamp, rest) = line.split_at("2026-11-30T11:23:28.123456Z".len());
        assert!(
            chrono::DateTime::parse_from_rfc3339(stamp).is_ok(),
            "{line}"
        );
        assert_eq!(
            rest,
            "  INFO vouch::request: method=GET path=/ports operation=rainbond.listPorts status=200 micros=1042\n"
        );
        let dropped = request_line("FOO", "/x", None, 0, 7);
        assert!(
            dropped.ends_with("method=FOO path=/x operation=- status=0 micros=7\n"),
            "{dropped}"
        );
    }

    #[test]
    fn a_request_line_carries_the_time_now_in_rfc3339_with_microseconds() {
        let before = chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now());
        let mut line = String::new();
        push_timestamp(&mut line);
        push_timestamp(&mut line);
        let (first, second) = line.split_at(line.len() / 2);
        for stamp in [first, second] {
            assert_eq!(stamp.len(), "2026-11-30T11:23:28.123456Z".len(), "{stamp}");
            let time = chrono::DateTime::parse_from_rfc3339(stamp).expect(stamp);
            let drift = time.signed_duration_since(before).num_milliseconds();
            assert!((0..60_000).contains(&drift), "{stamp} is not now");
        }
    }
}
