//! What every independent fake shares: an axum server on 127.0.0.1:0 run on
//! its own thread until dropped, the answers it builds, and one `vouch run`
//! of a vendor's scenario suite against it, bounded in time, with its JSON
//! report.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method};
use axum::response::Response;
use serde_json::Value;

/// No run of a whole vendor suite may take longer than this.
const RUN_DEADLINE: Duration = Duration::from_secs(60);

/// One request, as a fake sees it.
pub struct Call {
    pub method: Method,
    pub path: String,
    pub query: String,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Call {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The path's segments after the leading `/`.
    pub fn segments(&self) -> Vec<&str> {
        self.path.trim_start_matches('/').split('/').collect()
    }

    /// The body as JSON: `None` when there is none, `Err` when it is not JSON.
    pub fn json(&self) -> Result<Option<Value>, ()> {
        if self.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(None);
        }
        serde_json::from_slice(&self.body).map(Some).map_err(|_| ())
    }

    /// `a=1&b=2` as pairs, percent-decoded.
    pub fn query_pairs(&self) -> Vec<(String, String)> {
        self.query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                (decode(k), decode(v))
            })
            .collect()
    }
}

/// Percent-decoding (and `+` as a space) of one query component.
fn decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => match text.get(i + 1..i + 3).map(|h| u8::from_str_radix(h, 16)) {
                Some(Ok(b)) => {
                    out.push(b);
                    i += 3;
                    continue;
                }
                _ => out.push(b'%'),
            },
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// A fake's answer.
pub struct Reply {
    pub status: u16,
    pub content_type: &'static str,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(status: u16, body: &Value) -> Reply {
        Reply {
            status,
            content_type: "application/json",
            body: serde_json::to_vec(body).unwrap_or_default(),
        }
    }

    pub fn text(status: u16, text: &str) -> Reply {
        Reply {
            status,
            content_type: "text/plain; charset=utf-8",
            body: text.as_bytes().to_vec(),
        }
    }

    fn into_response(self) -> Response {
        let mut builder = Response::builder().status(self.status);
        if !self.content_type.is_empty() {
            builder = builder.header("content-type", self.content_type);
        }
        builder
            .body(Body::from(self.body))
            .expect("a valid response")
    }
}

/// A vendor's behaviour: one answer per request.
pub trait Vendor: Send + Sync + 'static {
    fn answer(&self, call: &Call) -> Reply;
}

/// A fake vendor served on 127.0.0.1 until dropped.
pub use crate::fake_server::FakeServer as Fake;

/// Serves `vendor` on 127.0.0.1 until the returned server is dropped.
pub fn start_fake(vendor: impl Vendor) -> Fake {
    Fake::start(router(vendor))
}

/// `vendor` as a router, every path to it.
pub fn router(vendor: impl Vendor) -> Router {
    let vendor: Arc<dyn Vendor> = Arc::new(vendor);
    Router::new().fallback(handle).with_state(vendor)
}

async fn handle(State(vendor): State<Arc<dyn Vendor>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    let call = Call {
        method: parts.method,
        path: parts.uri.path().to_string(),
        query: parts.uri.query().unwrap_or("").to_string(),
        headers: parts.headers,
        body: body.to_vec(),
    };
    vendor.answer(&call).into_response()
}

/// One `vouch run`, finished.
pub struct Run {
    pub code: i32,
    stdout: String,
    stderr: String,
    report_text: String,
    report: Value,
}

/// A fresh folder for one CLI run's files, under the target's temporary folder.
pub fn run_dir(kind: &str) -> PathBuf {
    static RUNS: AtomicUsize = AtomicUsize::new(0);
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!(
        "independent-{kind}-{}-{}",
        std::process::id(),
        RUNS.fetch_add(1, Ordering::Relaxed)
    ));
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    dir
}

/// The vars file that points `suite` at its fake's data.
pub fn vars_file(suite: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("independent")
        .join(format!("{suite}.vars.yaml"))
}

/// One run of the real CLI with `args`, finished: its exit code, stdout and stderr.
pub struct Cli {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs the real CLI with `args` from the crate's root in `dir`, with
/// `token` in `VOUCH_TOKEN_<SPEC>` and nothing else of the caller's `VOUCH_`
/// environment, bounded by [`RUN_DEADLINE`].
pub fn vouch(args: &[String], spec: &str, token: &str, dir: &Path) -> Cli {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let stdout = dir.join("stdout.txt");
    let stderr = dir.join("stderr.txt");
    let mut command = Command::new(env!("CARGO_BIN_EXE_vouch"));
    command.current_dir(root).args(args);
    // Nothing from the caller's environment steers the run: no base URL, no other token.
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("VOUCH_") {
            command.env_remove(name);
        }
    }
    let token_variable = format!(
        "VOUCH_TOKEN_{}",
        spec.to_uppercase().replace(['-', '.'], "_")
    );
    command
        .env(token_variable, token)
        .env("CI", "1")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&stdout).expect("stdout file"))
        .stderr(std::fs::File::create(&stderr).expect("stderr file"));
    let mut child = command.spawn().expect("run the vouch binary");
    let started = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for vouch") {
            break status;
        }
        if started.elapsed() > RUN_DEADLINE {
            let _ = child.kill();
            let _ = child.wait();
            panic!("vouch {} took more than {RUN_DEADLINE:?}", args.join(" "));
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
    Cli {
        code: status.code().unwrap_or(-1),
        stdout: read(&stdout),
        stderr: read(&stderr),
    }
}

/// Runs the real CLI on `scenarios/<suite>` against `url` as the target of
/// `spec`, with the vendor's vars file and `token` in `VOUCH_TOKEN_<SPEC>`.
pub fn vouch_run(suite: &str, spec: &str, url: &str, token: &str) -> Run {
    let dir = run_dir("run");
    let report = dir.join("report.json");
    let args: Vec<String> = vec![
        "run".into(),
        format!("scenarios/{suite}"),
        "--base-url".into(),
        format!("{spec}={url}"),
        // A `method` + `path` step that names no operation goes to the fake too.
        "--base-url".into(),
        url.into(),
        "--vars".into(),
        vars_file(suite).display().to_string(),
        "--allow-destructive".into(),
        "--report".into(),
        format!("json={}", report.display()),
        "--timeout".into(),
        "5".into(),
    ];
    let Cli {
        code,
        stdout,
        stderr,
    } = vouch(&args, spec, token, &dir);
    let report_text = std::fs::read_to_string(&report).unwrap_or_default();
    let report = serde_json::from_str(&report_text)
        .unwrap_or_else(|e| panic!("no JSON report ({e}); stdout:\n{stdout}\nstderr:\n{stderr}"));
    let _ = std::fs::remove_dir_all(&dir);
    let run = Run {
        code,
        stdout,
        stderr,
        report_text,
        report,
    };
    run.assert_no_secret(token);
    run
}

impl Run {
    /// Every finding of every step, with the scenario it belongs to.
    fn findings(&self) -> Vec<(&str, &Value)> {
        let mut all = Vec::new();
        for scenario in self.report["scenarios"].as_array().into_iter().flatten() {
            let id = scenario["id"]
                .as_str()
                .or_else(|| scenario["name"].as_str())
                .unwrap_or("?");
            for step in scenario["steps"].as_array().into_iter().flatten() {
                for finding in step["findings"].as_array().into_iter().flatten() {
                    all.push((id, finding));
                }
            }
        }
        all
    }

    /// The operations some finding names.
    pub fn failing_operations(&self) -> Vec<&str> {
        self.findings()
            .iter()
            .filter_map(|(_, f)| f["operation"].as_str())
            .collect()
    }

    pub fn summary(&self, field: &str) -> u64 {
        self.report["summary"][field].as_u64().unwrap_or(u64::MAX)
    }

    /// The exit code and every finding, one a line, for failure messages.
    pub fn shown(&self) -> String {
        let findings: Vec<String> = self
            .findings()
            .iter()
            .map(|(scenario, f)| {
                format!(
                    "  {scenario}: {} {} at `{}`: expected {} / actual {}",
                    f["operation"].as_str().unwrap_or("?"),
                    f["rule"].as_str().unwrap_or("?"),
                    f["pointer"].as_str().unwrap_or("?"),
                    f["expected"],
                    f["actual"]
                )
            })
            .collect();
        format!(
            "exit {}\nfindings:\n{}\nstdout:\n{}\nstderr:\n{}",
            self.code,
            findings.join("\n"),
            self.stdout,
            self.stderr
        )
    }

    fn assert_no_secret(&self, token: &str) {
        for (what, text) in [
            ("JSON report", &self.report_text),
            ("stdout", &self.stdout),
            ("stderr", &self.stderr),
        ] {
            assert!(!text.contains(token), "the token appears in the {what}");
        }
    }
}

/// The number of scenario files of a suite.
pub fn suite_size(suite: &str) -> u64 {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("scenarios")
        .join(suite);
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "yaml"))
        // The folder's variable declarations are not a scenario.
        .filter(|e| e.file_name() != "vars.yaml")
        .count() as u64
}

/// The faithful fake passes the whole suite.
pub fn assert_suite_passes(suite: &str, spec: &str, vendor: impl Vendor, token: &str) {
    let fake = start_fake(vendor);
    let run = vouch_run(suite, spec, &fake.url, token);
    assert_eq!(
        run.code,
        0,
        "{suite} against its faithful fake\n{}",
        run.shown()
    );
    assert_eq!(run.summary("passed"), suite_size(suite), "{}", run.shown());
    assert!(run.findings().is_empty(), "{}", run.shown());
    // The credential was sent (redacted in the report), so the fake's auth was really exercised.
    assert!(
        run.report_text.contains("[secret]"),
        "no redacted credential in the report"
    );
}

/// A fake with one fault fails the suite with a finding on `operation`.
pub fn assert_fault_caught(
    suite: &str,
    spec: &str,
    vendor: impl Vendor,
    token: &str,
    operation: &str,
) {
    let fake = start_fake(vendor);
    let run = vouch_run(suite, spec, &fake.url, token);
    assert_eq!(run.code, 1, "the fault must fail the run\n{}", run.shown());
    assert_eq!(run.summary("unreachable"), 0, "{}", run.shown());
    assert!(
        run.failing_operations().contains(&operation),
        "no finding names {operation}\n{}",
        run.shown()
    );
}
