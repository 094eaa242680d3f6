//! Live-target safety, each protection against a hostile loopback server:
//! a redirect to another origin gets no credential; a body without end is a
//! finding naming the cap, in `vouch run`, `vouch fidelity` and `vouch
//! record`; a token echoed JSON-escaped or percent-encoded appears in no
//! output or report; a token in a recorded path, comment or object key is
//! written as `{{secret}}`; and fidelity compares real values, so a short
//! token cannot turn a live answer into false drift.

mod fidelity_support;
mod support;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use fidelity_support::{TempDir, compare, live_kind, mock_with_token, vouch};
use rstest::rstest;
use serde_json::{Value, json};
use support::{Finished, wait_bounded};
use support::{catalog, client, send};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use vouch::live::MaxBody;
use vouch::record::{RecordingProxy, scenario};

/// Every child process is killed after this.
const LIMIT: Duration = Duration::from_secs(90);

/// A server on a loopback port, stopped when dropped.
struct Hostile {
    url: String,
    _shutdown: oneshot::Sender<()>,
}

impl Hostile {
    async fn start(app: Router) -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Hostile { url, _shutdown: tx }
    }
}

/// One request a server saw: its path and query, and its headers.
#[derive(Debug, Clone)]
struct Seen {
    target: String,
    headers: Vec<(String, String)>,
}

type Journal = Arc<Mutex<Vec<Seen>>>;

fn seen(request: &Request) -> Seen {
    Seen {
        target: request
            .uri()
            .path_and_query()
            .map_or("/", |p| p.as_str())
            .to_string(),
        headers: request
            .headers()
            .iter()
            .map(|(n, v)| {
                (
                    n.to_string(),
                    String::from_utf8_lossy(v.as_bytes()).into_owned(),
                )
            })
            .collect(),
    }
}

/// A server that records every request and answers `200 {}`.
async fn collector() -> (Hostile, Journal) {
    async fn record(State(journal): State<Journal>, request: Request) -> Response {
        journal.lock().unwrap().push(seen(&request));
        (StatusCode::OK, [("content-type", "application/json")], "{}").into_response()
    }
    let journal = Journal::default();
    let app = Router::new().fallback(record).with_state(journal.clone());
    (Hostile::start(app).await, journal)
}

/// A server that answers every request with `status` to `location` + the request's path and query.
async fn redirector(status: u16, location: String) -> Hostile {
    async fn redirect(
        State((status, location)): State<(u16, String)>,
        request: Request,
    ) -> Response {
        let target = seen(&request).target;
        Response::builder()
            .status(status)
            .header("location", format!("{location}{target}"))
            .body(axum::body::Body::empty())
            .unwrap()
    }
    Hostile::start(
        Router::new()
            .fallback(redirect)
            .with_state((status, location)),
    )
    .await
}

/// A scenario of one step of `operation` with `params`, and `expect` (YAML) if given.
fn one_step(dir: &TempDir, tag: &str, operation: &str, params: &str, expect: &str) -> PathBuf {
    dir.write(
        &format!("scenarios/{tag}/hostile.yaml"),
        &format!(
            "name: One step against a hostile target\ntags: [{tag}]\nsteps:\n  - name: the step\n    \
             operation: {operation}\n    params: {params}\n    snapshot: false\n{expect}"
        ),
    )
}

/// `vouch ARGS` with `VOUCH_TOKEN=token`, bounded in time.
fn run_vouch(args: &[&str], token: &str) -> Finished {
    wait_bounded(vouch(args, token), LIMIT)
}

async fn run_vouch_async(args: Vec<String>, token: &'static str) -> Finished {
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        run_vouch(&args, token)
    })
    .await
    .unwrap()
}

fn args(items: &[&str]) -> Vec<String> {
    items.iter().map(|s| s.to_string()).collect()
}

/// The vendors whose credential travels in a header: Huawei's own
/// `X-Auth-Token` (which reqwest's policy would forward) and Alaya's bearer key.
#[rstest]
#[case::huawei_x_auth_token(
    "huawei-apig",
    "huawei-apig.listIngressPorts",
    "{project_id: p1, instance_id: g1}"
)]
#[case::alaya_bearer("alaya-cci", "alaya-cci.listOpenPorts", "{id: i1}")]
#[tokio::test(flavor = "multi_thread")]
async fn a_redirect_to_another_origin_carries_no_credential(
    #[case] tag: &str,
    #[case] operation: &str,
    #[case] params: &str,
) {
    // Arrange: the target answers 307 to a second loopback server (another origin).
    const TOKEN: &str = "redirect-token-7fe2c1";
    let (elsewhere, journal) = collector().await;
    let target = redirector(307, elsewhere.url.clone()).await;
    let dir = TempDir::new("hostile-redirect");
    let file = one_step(&dir, tag, operation, params, "");

    // Act
    let done = run_vouch_async(
        args(&[
            "run",
            &file.display().to_string(),
            "--base-url",
            &target.url,
            "--follow-redirects",
        ]),
        TOKEN,
    )
    .await;

    // Assert: the redirect was followed, without the credential or the token anywhere.
    let requests = journal.lock().unwrap().clone();
    assert_eq!(requests.len(), 1, "{}{}", done.stdout, done.stderr);
    for request in &requests {
        assert!(
            !request
                .headers
                .iter()
                .any(|(n, _)| n == "x-auth-token" || n == "authorization"),
            "a credential header crossed the origin: {request:?}"
        );
        assert!(
            !request.target.contains(TOKEN)
                && !request.headers.iter().any(|(_, v)| v.contains(TOKEN)),
            "the token crossed the origin: {request:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redirect_is_not_followed_unless_asked_and_is_then_a_finding() {
    // Arrange
    const TOKEN: &str = "redirect-token-0b11";
    let (elsewhere, journal) = collector().await;
    let target = redirector(301, elsewhere.url.clone()).await;
    let dir = TempDir::new("hostile-no-follow");
    let file = one_step(
        &dir,
        "huawei-apig",
        "huawei-apig.listIngressPorts",
        "{project_id: p1, instance_id: g1}",
        "",
    );

    // Act
    let done = run_vouch_async(
        args(&[
            "run",
            &file.display().to_string(),
            "--base-url",
            &target.url,
        ]),
        TOKEN,
    )
    .await;

    // Assert: nothing went elsewhere; the 301 is the answer checked.
    assert!(journal.lock().unwrap().is_empty());
    assert_eq!(
        done.status.code(),
        Some(1),
        "{}{}",
        done.stdout,
        done.stderr
    );
    assert!(done.stdout.contains("301"), "{}", done.stdout);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redirect_within_the_target_keeps_the_credential() {
    // Arrange: the target redirects a first request to itself, then answers.
    const TOKEN: &str = "same-origin-token-5d";
    async fn once(State(journal): State<Journal>, request: Request) -> Response {
        let seen = seen(&request);
        journal.lock().unwrap().push(seen.clone());
        if seen.target.starts_with("/again") {
            return (StatusCode::OK, [("content-type", "application/json")], "{}").into_response();
        }
        Response::builder()
            .status(308)
            .header("location", format!("/again{}", seen.target))
            .body(axum::body::Body::empty())
            .unwrap()
    }
    let journal = Journal::default();
    let target = Hostile::start(Router::new().fallback(once).with_state(journal.clone())).await;
    let dir = TempDir::new("hostile-same-origin");
    let file = one_step(
        &dir,
        "huawei-apig",
        "huawei-apig.listIngressPorts",
        "{project_id: p1, instance_id: g1}",
        "",
    );

    // Act
    let done = run_vouch_async(
        args(&[
            "run",
            &file.display().to_string(),
            "--base-url",
            &target.url,
            "--follow-redirects",
        ]),
        TOKEN,
    )
    .await;

    // Assert: both hops carried the token.
    let requests = journal.lock().unwrap().clone();
    assert_eq!(requests.len(), 2, "{}{}", done.stdout, done.stderr);
    for request in &requests {
        assert!(
            request
                .headers
                .iter()
                .any(|(n, v)| n == "x-auth-token" && v == TOKEN),
            "{request:?}"
        );
    }
}

/// How the body that never ends announces itself.
#[derive(Debug, Clone, Copy)]
enum Endless {
    /// Chunked, 64 KiB chunks (up to 256 MiB, so that a test without the cap still ends).
    Chunked,
    /// A `Content-Length` of 2 GiB, then a few bytes and silence.
    Declared,
}

/// A raw HTTP/1.1 server whose every answer is a 200 with a body that does not end.
async fn endless(kind: Endless) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            tokio::spawn(async move {
                let mut head = Vec::new();
                let mut buf = [0u8; 4096];
                while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 1 << 16 {
                    match socket.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => head.extend_from_slice(&buf[..n]),
                    }
                }
                let length = match kind {
                    Endless::Chunked => "transfer-encoding: chunked".to_string(),
                    Endless::Declared => format!("content-length: {}", 2u64 << 30),
                };
                let start = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n{length}\r\n\r\n"
                );
                if socket.write_all(start.as_bytes()).await.is_err() {
                    return;
                }
                let chunk = [b' '; 64 * 1024];
                for _ in 0..4096 {
                    let written = match kind {
                        Endless::Chunked => {
                            let mut framed = format!("{:x}\r\n", chunk.len()).into_bytes();
                            framed.extend_from_slice(&chunk);
                            framed.extend_from_slice(b"\r\n");
                            socket.write_all(&framed).await
                        }
                        Endless::Declared => socket.write_all(b"[").await,
                    };
                    if written.is_err() {
                        return;
                    }
                    if matches!(kind, Endless::Declared) {
                        tokio::time::sleep(Duration::from_secs(60)).await;
                        return;
                    }
                }
            });
        }
    });
    url
}

#[rstest]
#[case::chunked_without_end(Endless::Chunked, "(read ")]
#[case::declared_2_gib(Endless::Declared, "(Content-Length 2147483648)")]
#[tokio::test(flavor = "multi_thread")]
async fn vouch_run_reports_a_body_over_the_cap_as_a_finding_with_the_size_seen(
    #[case] kind: Endless,
    #[case] seen: &str,
) {
    // Arrange
    let target = endless(kind).await;
    let dir = TempDir::new("hostile-endless-run");
    let file = one_step(
        &dir,
        "huawei-apig",
        "huawei-apig.listIngressPorts",
        "{project_id: p1, instance_id: g1}",
        "",
    );

    // Act: a timeout long enough that only the cap can end the step in time.
    let done = run_vouch_async(
        args(&[
            "run",
            &file.display().to_string(),
            "--base-url",
            &target,
            "--max-body",
            "1MiB",
            "--timeout",
            "60",
        ]),
        "endless-token-1",
    )
    .await;

    // Assert
    assert_eq!(
        done.status.code(),
        Some(1),
        "{}{}",
        done.stdout,
        done.stderr
    );
    assert!(
        done.stdout.contains("body too large")
            && done.stdout.contains("response body exceeds 1 MiB")
            && done.stdout.contains(seen),
        "{}",
        done.stdout
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn vouch_fidelity_reports_a_live_body_over_the_cap_with_its_size() {
    // Arrange
    let target = endless(Endless::Chunked).await;
    let dir = TempDir::new("hostile-endless-fidelity");
    let file = one_step(
        &dir,
        "zstack",
        "zstack.getVipUsedPorts",
        "{uuid: d8474e0dbfe84d47a449bb34979cbcb9, protocol: TCP}",
        "",
    );
    let report = dir.0.join("fidelity.json");

    // Act
    let done = run_vouch_async(
        args(&[
            "fidelity",
            &file.display().to_string(),
            "--base-url",
            &target,
            "--max-body",
            "1MiB",
            "--timeout",
            "60",
            "--report",
            &format!("json={}", report.display()),
        ]),
        "endless-token-2",
    )
    .await;

    // Assert: the step was not compared, and the report says why.
    let json: Value = serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    let live = json["scenarios"][0]["steps"][0]["differences"][0]["live"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        live.starts_with("response body exceeds 1 MiB (read "),
        "{json:#}\n{}",
        done.stderr
    );
    assert_eq!(
        json["scenarios"][0]["steps"][0]["differences"][0]["kind"],
        "not-compared"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn vouch_record_caps_both_bodies_and_flags_the_step() {
    // Arrange: the proxy in front of an endless upstream, with a 1 MiB cap.
    let upstream = endless(Endless::Chunked).await;
    let cap: MaxBody = "1MiB".parse().unwrap();
    let proxy = RecordingProxy::start(
        &upstream,
        "127.0.0.1:0".parse().unwrap(),
        Duration::from_secs(60),
        cap,
    )
    .await
    .unwrap();
    let c = client();

    // Act
    let answer = send(c.get(format!("{}/zstack/v1/vips/abc/usedports", proxy.url()))).await;
    let too_big = send(
        c.post(format!("{}/nowhere", proxy.url()))
            .body(vec![b' '; 2 << 20]),
    )
    .await;
    let recorded = proxy.stop().await;

    // Assert: the client is told, the request was not forwarded, the step is flagged.
    assert_eq!(answer.status, 502, "{}", answer.text);
    assert!(
        answer.text.contains("response body exceeds 1 MiB (read "),
        "{}",
        answer.text
    );
    assert_eq!(too_big.status, 413, "{}", too_big.text);
    assert!(
        too_big.text.contains("request body exceeds 1 MiB"),
        "{}",
        too_big.text
    );
    assert_eq!(recorded.len(), 1);
    let text = scenario(&catalog(), &upstream, &recorded).text;
    assert!(
        text.contains("  # vouch record: response body exceeds 1 MiB (read "),
        "{text}"
    );
}

/// `text` JSON-escaped whole (`\u0054\u006f...`), as a hostile target echoes it.
fn json_escaped(text: &str) -> String {
    text.encode_utf16().map(|u| format!("\\u{u:04x}")).collect()
}

/// `text` percent-encoded whole.
fn percent_encoded(text: &str) -> String {
    text.bytes().map(|b| format!("%{b:02X}")).collect()
}

/// A target that echoes the credential it got: JSON-escaped in a value and a
/// key, percent-encoded in a value and a header.
async fn echo() -> Hostile {
    async fn answer(headers: HeaderMap) -> Response {
        let credential = headers
            .get("x-auth-token")
            .or_else(|| headers.get("authorization"))
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        let token = credential.rsplit(' ').next().unwrap_or_default();
        let (escaped, encoded) = (json_escaped(token), percent_encoded(token));
        let body = format!(
            r#"{{"echo": "{escaped}", "{escaped}": 1, "link": "/next?token={encoded}", "size": 1, "total": 1, "ingress_port_infos": []}}"#
        );
        Response::builder()
            .status(200)
            .header("content-type", "application/json")
            .header("x-echo", encoded)
            .body(axum::body::Body::from(body))
            .unwrap()
    }
    Hostile::start(Router::new().fallback(answer)).await
}

/// Panics if `text` holds `token` as it is, JSON-escaped (also as a JSON
/// string holding that escape) or percent-encoded.
fn assert_no_token(what: &str, text: &str, token: &str) {
    let escaped = json_escaped(token);
    for form in [
        token.to_string(),
        escaped.clone(),
        escaped.replace('\\', "\\\\"),
        percent_encoded(token),
    ] {
        assert!(
            !text.contains(&form),
            "{what} shows the token as {form}:\n{text}"
        );
    }
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_token_echoed_escaped_appears_in_no_output_or_report() {
    // Arrange: a step whose expectation fails on the echoed value, so findings quote it.
    const TOKEN: &str = "Echo-T0ken/9+z";
    let target = echo().await;
    let dir = TempDir::new("hostile-echo");
    let file = one_step(
        &dir,
        "huawei-apig",
        "huawei-apig.listIngressPorts",
        "{project_id: p1, instance_id: g1}",
        "    expect:\n      body:\n        - pointer: /echo\n          equals: something else\n",
    );
    let report = |name: &str| dir.0.join(name);

    // Act
    let run = run_vouch_async(
        args(&[
            "run",
            &file.display().to_string(),
            "--base-url",
            &target.url,
            "--report",
            &format!("junit={}", report("run.xml").display()),
            "--report",
            &format!("json={}", report("run.json").display()),
        ]),
        TOKEN,
    )
    .await;
    let fidelity = run_vouch_async(
        args(&[
            "fidelity",
            &file.display().to_string(),
            "--base-url",
            &target.url,
            "--report",
            &format!("json={}", report("fidelity.json").display()),
            "--report",
            &format!("html={}", report("fidelity.html").display()),
        ]),
        TOKEN,
    )
    .await;

    // Assert: the finding was reported (redacted), and the token shows nowhere.
    assert_eq!(run.status.code(), Some(1), "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("[secret]"), "{}", run.stdout);
    assert_no_token(
        "vouch run's output",
        &format!("{}{}", run.stdout, run.stderr),
        TOKEN,
    );
    assert_no_token(
        "vouch fidelity's output",
        &format!("{}{}", fidelity.stdout, fidelity.stderr),
        TOKEN,
    );
    for name in ["run.xml", "run.json", "fidelity.json", "fidelity.html"] {
        assert_no_token(name, &read(&report(name)), TOKEN);
    }
    let json: Value = serde_json::from_str(&read(&report("run.json"))).unwrap();
    let exchange = &json["scenarios"][0]["steps"][0]["exchange"];
    assert!(
        exchange["body"].as_str().unwrap().contains("[secret]"),
        "{exchange:#}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn fidelity_compares_real_values_so_a_one_letter_token_is_no_drift() {
    // Arrange: a faithful live service whose token, `T`, is inside "TCP".
    let live = mock_with_token("T").await;
    let dir = TempDir::new("hostile-short-token");
    // The scenario with the declarations of its variables.
    for file in ["zstack/used-ports.yaml", "zstack/vars.yaml"] {
        let source = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("scenarios")
            .join(file);
        dir.write(file, &std::fs::read_to_string(source).unwrap());
    }

    // Act
    let report = compare(&dir.0, &dir.scenarios(), &live_kind(&live.url(), "T")).await;

    // Assert
    assert_eq!(
        report.score,
        Some(1.0),
        "{}{}",
        report.details(),
        report.table()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn vouch_record_writes_no_token_in_a_path_a_comment_or_a_key() {
    // Arrange: a token with characters that a path percent-encodes.
    const TOKEN: &str = "rec-T0ken+x/9";
    let upstream = mock_with_token(TOKEN).await;
    let proxy = RecordingProxy::start(
        &upstream.url(),
        "127.0.0.1:0".parse().unwrap(),
        Duration::from_secs(5),
        MaxBody::DEFAULT,
    )
    .await
    .unwrap();
    let (base, c) = (proxy.url(), client());
    let ports = format!(
        "{base}/v2/05602623488025ea2f1ac01f1d3f1e2b/apigw/instances/eddc4d25480b4cd6b512f270a1b8b341/custom-ingress-ports"
    );

    // Act: the token in an unmatched path (as it is, and encoded), in an
    // operation's path parameter, and in a JSON object key.
    for request in [
        c.get(format!("{base}/nowhere/{TOKEN}/x")),
        c.get(format!("{base}/nowhere/{}", percent_encoded(TOKEN))),
        c.get(format!("{ports}/{}/domains", percent_encoded(TOKEN))),
        c.post(format!("{base}/nowhere"))
            .json(&json!({TOKEN: "value", "nested": {TOKEN: [TOKEN]}})),
    ] {
        send(request.header("X-Auth-Token", TOKEN)).await;
    }
    let recorded = proxy.stop().await;
    let recording = scenario(&catalog(), &upstream.url(), &recorded);

    // Assert
    let text = &recording.text;
    assert_no_token("the recorded scenario", text, TOKEN);
    assert_eq!(recording.steps, 4);
    assert!(text.contains("/nowhere/{{secret}}"), "{text}");
    assert!(text.contains(r#"{"{{secret}}":"value""#), "{text}");
    vouch::scenario::parse_scenario(
        Path::new("recorded.yaml"),
        &recording.text,
        &catalog(),
        &Default::default(),
    )
    .unwrap_or_else(|e| panic!("{text}\n{e:?}"));
}
