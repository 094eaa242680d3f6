//! The serving layer as a client (or an operator) sees it, over real loopback
//! sockets and with the real binary: slow and idle clients are closed after
//! the head timeout, idle sockets past the file-descriptor limit do not stop
//! service, SIGTERM and Ctrl-C answer what is in flight and do not wait for
//! half-sent requests, a body cut short is journaled as such, and log lines
//! carry no colour codes when stderr is not a terminal.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::{client, start_mock};

/// The Rainbond ports list: an operation that takes a POST body.
const PORTS: &str = "/openapi/v1/teams/4b1d8f0e6c2a4f3b9e7d5c1a0b2f3e4d/regions/rainbond/apps/12/services/gr-nginx/ports";

/// `vouch mock` on an ephemeral port with `args`; its address once it listens.
fn spawn_mock(args: &[&str], configure: impl FnOnce(&mut Command)) -> (Child, SocketAddr) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_vouch"));
    command
        .args(["mock", "--addr", "127.0.0.1:0"])
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    configure(&mut command);
    let mut child = command.spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("vouch mock listening on http://")
        .unwrap_or_else(|| panic!("{line:?}"))
        .parse()
        .unwrap();
    (child, addr)
}

/// Waits up to `limit` for the child to exit.
fn exit_within(child: &mut Child, limit: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + limit;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let _ = child.wait();
    None
}

fn signal(child: &Child, signal: i32) {
    // SAFETY: sending a signal to our own child process.
    unsafe { libc::kill(child.id() as i32, signal) };
}

/// Reads until the peer closes; `None` when it is still open after `limit`.
fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<Vec<u8>> {
    stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let deadline = Instant::now() + limit;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while Instant::now() < deadline {
        match stream.read(&mut buf) {
            Ok(0) => return Some(got),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => return Some(got),
            Err(_) => {}
        }
    }
    None
}

/// A raw GET of the health endpoint on a kept-alive connection; the answer's bytes.
fn health_over(stream: &mut TcpStream) -> String {
    stream
        .write_all(b"GET /__vouch/health HTTP/1.1\r\nhost: mock\r\n\r\n")
        .unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut buf = [0u8; 4096];
    let n = stream.read(&mut buf).unwrap();
    String::from_utf8_lossy(&buf[..n]).into_owned()
}

#[test]
fn a_half_sent_request_head_is_closed_after_the_head_timeout() {
    let (mut mock, addr) = spawn_mock(&["--head-timeout", "1"], |_| {});
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .write_all(b"GET /__vouch/health HTTP/1.1\r\nhost: mock\r\n")
        .unwrap();
    let closed = closed_within(&mut stream, Duration::from_secs(10));
    signal(&mock, libc::SIGINT);
    let _ = exit_within(&mut mock, Duration::from_secs(5));
    assert!(
        closed.is_some(),
        "the half-sent request still holds its connection"
    );
}

#[test]
fn an_idle_keep_alive_connection_is_closed_after_the_head_timeout() {
    let (mut mock, addr) = spawn_mock(&["--head-timeout", "1"], |_| {});
    let mut stream = TcpStream::connect(addr).unwrap();
    let answer = health_over(&mut stream);
    let closed = closed_within(&mut stream, Duration::from_secs(10));
    signal(&mock, libc::SIGINT);
    let _ = exit_within(&mut mock, Duration::from_secs(5));
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(closed.is_some(), "the idle connection is still open");
}

#[test]
fn idle_sockets_past_the_file_descriptor_limit_do_not_stop_service() {
    use std::os::unix::process::CommandExt;
    let (mut mock, addr) = spawn_mock(&["--head-timeout", "1"], |command| {
        // SAFETY: setrlimit is async-signal-safe; it runs in the child before exec.
        unsafe {
            command.pre_exec(|| {
                let limit = libc::rlimit {
                    rlim_cur: 64,
                    rlim_max: 64,
                };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
    });
    let idle: Vec<TcpStream> = (0..100)
        .map(|_| TcpStream::connect(addr).unwrap())
        .collect();
    std::thread::sleep(Duration::from_millis(300));
    let mut stream = TcpStream::connect(addr).unwrap();
    let answer = health_over(&mut stream);
    let still_running = mock.try_wait().unwrap().is_none();
    signal(&mock, libc::SIGINT);
    let status = exit_within(&mut mock, Duration::from_secs(5));
    drop(idle);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(still_running, "the mock ended: {status:?}");
}

/// Starts a GET of the ports list that the mock holds for `delay_ms` (a fault).
fn slow_request(addr: SocketAddr, delay_ms: u64) -> std::thread::JoinHandle<Option<String>> {
    let fault = serde_json::json!({"latency_ms": delay_ms}).to_string();
    let mut admin = TcpStream::connect(addr).unwrap();
    write!(
        admin,
        "POST /__vouch/faults HTTP/1.1\r\nhost: mock\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{fault}",
        fault.len()
    )
    .unwrap();
    let mut buf = [0u8; 1024];
    let n = admin.read(&mut buf).unwrap();
    assert!(buf[..n].starts_with(b"HTTP/1.1 201"));
    std::thread::spawn(move || {
        let mut stream = TcpStream::connect(addr).unwrap();
        write!(
            stream,
            "GET {PORTS} HTTP/1.1\r\nhost: mock\r\nauthorization: vouch-dev-token\r\n\r\n"
        )
        .ok()?;
        closed_within(&mut stream, Duration::from_secs(10))
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
    })
}

#[test]
fn sigterm_answers_the_request_in_flight_then_exits_0() {
    let (mut mock, addr) = spawn_mock(&[], |_| {});
    let in_flight = slow_request(addr, 1_000);
    std::thread::sleep(Duration::from_millis(300));
    signal(&mock, libc::SIGTERM);
    let answer = in_flight.join().unwrap();
    let status = exit_within(&mut mock, Duration::from_secs(10));
    let answer = answer.expect("the connection stayed open");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(status.is_some_and(|s| s.success()), "{status:?}");
}

#[test]
fn ctrl_c_does_not_wait_for_a_half_sent_request() {
    let (mut mock, addr) = spawn_mock(&[], |_| {});
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .write_all(b"GET /__vouch/health HTTP/1.1\r\n")
        .unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let asked = Instant::now();
    signal(&mock, libc::SIGINT);
    let status = exit_within(&mut mock, Duration::from_secs(5));
    assert!(
        status.is_some_and(|s| s.success()),
        "{status:?} after {:?}",
        asked.elapsed()
    );
}

#[test]
fn log_lines_carry_no_colour_codes_when_stderr_is_not_a_terminal() {
    let (mut mock, addr) = spawn_mock(&[], |_| {});
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .write_all(format!("GET {PORTS} HTTP/1.1\r\nhost: mock\r\n\r\n").as_bytes())
        .unwrap();
    let mut buf = [0u8; 4096];
    let _ = stream.read(&mut buf).unwrap();
    signal(&mock, libc::SIGINT);
    let status = exit_within(&mut mock, Duration::from_secs(5));
    let mut log = String::new();
    mock.stderr
        .take()
        .unwrap()
        .read_to_string(&mut log)
        .unwrap();
    assert!(status.is_some_and(|s| s.success()), "{status:?}");
    assert!(log.contains("rainbond."), "{log}");
    assert!(!log.contains('\u{1b}'), "{log:?}");
}

/// The journal's findings for requests to `path`.
async fn findings_for(url: &str, path: &str) -> Vec<String> {
    let journal: Value = client()
        .get(format!("{url}/__vouch/journal"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    journal
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["path"] == path)
        .flat_map(|e| e["findings"].as_array().cloned().unwrap_or_default())
        .map(|f| f.as_str().unwrap_or_default().to_string())
        .collect()
}

/// Sends a POST head announcing `announced` bytes, then `sent` bytes, then closes.
fn post_cut_short(addr: SocketAddr, announced: usize, sent: usize) {
    let mut stream = TcpStream::connect(addr).unwrap();
    write!(
        stream,
        "POST {PORTS} HTTP/1.1\r\nhost: mock\r\nauthorization: vouch-dev-token\r\ncontent-type: application/json\r\ncontent-length: {announced}\r\n\r\n"
    )
    .unwrap();
    stream.write_all(&vec![b' '; sent]).unwrap();
    stream.shutdown(std::net::Shutdown::Both).unwrap();
}

#[tokio::test]
async fn a_client_that_leaves_mid_body_is_journaled_as_a_body_read_error() {
    let mock = start_mock().await;
    post_cut_short(mock.addr, 1_000, 10);
    let mut findings = Vec::new();
    for _ in 0..100 {
        findings = findings_for(&mock.url(), PORTS).await;
        if !findings.is_empty() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(findings.len(), 1, "{findings:?}");
    assert!(
        findings[0].contains("could not be read") && !findings[0].contains("exceeds"),
        "{findings:?}"
    );
}

#[tokio::test]
async fn an_over_limit_body_is_journaled_with_the_limit() {
    let mock = start_mock().await;
    let answer = client()
        .post(format!("{}{PORTS}", mock.url()))
        .header("authorization", "vouch-dev-token")
        .header("content-type", "application/json")
        .body(vec![b' '; 1024 * 1024 + 10])
        .send()
        .await
        .unwrap();
    assert!(answer.status().is_client_error(), "{}", answer.status());
    let findings = findings_for(&mock.url(), PORTS).await;
    assert_eq!(
        findings,
        ["the request body exceeds 1048576 bytes"],
        "{findings:?}"
    );
}
