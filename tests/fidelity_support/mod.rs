//! Helpers shared by the fidelity and record tests: mocks with their own
//! token, a fake live vendor that drifts from the mock in chosen ways,
//! scenario files in a temporary directory, and `vouch` as a child process
//! (waited on with [`crate::support::wait_bounded`]).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, to_bytes};
use axum::extract::{Request, State};
use axum::response::Response;
use serde_json::Value;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use vouch::fidelity::{FidelityOptions, FidelityReport};
use vouch::mock::{DEFAULT_TOKEN, Fixtures, MockServer, MockState};
use vouch::runner::{RunOptions, SnapshotMode, Target};
use vouch::scenario::{Scenario, load_dir};
use vouch::spec::Catalog;
use vouch::suite::TargetKind;

use crate::support::catalog;

/// A built-in mock that accepts `token`.
pub async fn mock_with_token(token: &str) -> MockServer {
    let state = MockState::new(
        catalog(),
        Fixtures::builtin().expect("fixtures"),
        token.into(),
    );
    MockServer::start(state, "127.0.0.1:0".parse().unwrap())
        .await
        .expect("mock starts")
}

/// The built-in mock as `vouch fidelity` starts it, one per scenario.
pub fn mock_kind() -> TargetKind {
    TargetKind::Mock {
        fixtures: Fixtures::builtin().expect("fixtures"),
        token: DEFAULT_TOKEN.into(),
    }
}

/// A live target at `url` with `token`, destructive scenarios allowed.
pub fn live_kind(url: &str, token: &str) -> TargetKind {
    TargetKind::Live {
        target: Target {
            default_base_url: Some(url.to_string()),
            default_token: Some(token.to_string()),
            live: true,
            ..Target::default()
        },
        allow_destructive: true,
    }
}

/// Options for a comparison: no snapshots, a fixed run id, a 5 s timeout.
pub fn options(root: &Path) -> FidelityOptions {
    FidelityOptions {
        run: RunOptions {
            timeout: Duration::from_secs(5),
            retries: 0,
            vars: Default::default(),
            run_id: "fidelity0".into(),
            snapshots: SnapshotMode::Off,
            root: root.to_path_buf(),
            safety: Default::default(),
        },
        latency_threshold_ms: 500.0,
        score_text: false,
    }
}

/// Compares `scenarios` on the built-in mock and on `live`.
pub async fn compare(root: &Path, scenarios: &[Scenario], live: &TargetKind) -> FidelityReport {
    vouch::fidelity::compare(&catalog(), scenarios, &mock_kind(), live, &options(root)).await
}

/// Compares with `options` and the specs of `catalog`.
pub async fn compare_with(
    catalog: &Arc<Catalog>,
    scenarios: &[Scenario],
    live: &TargetKind,
    options: &FidelityOptions,
) -> FidelityReport {
    vouch::fidelity::compare(catalog, scenarios, &mock_kind(), live, options).await
}

/// The repository's spec files, with `file` (e.g. `zstack.yaml`) replaced by
/// `text` written under `dir`: paths for `--spec`, in the built-in order.
pub fn specs_with(dir: &TempDir, file: &str, text: &str) -> Vec<PathBuf> {
    let specs = Path::new(env!("CARGO_MANIFEST_DIR")).join("specs");
    [
        "rainbond.yaml",
        "alaya-cci.yaml",
        "huawei-apig.yaml",
        "zstack.yaml",
        "zadig.yaml",
    ]
    .iter()
    .map(|name| {
        if *name == file {
            dir.write(&format!("specs/{name}"), text)
        } else {
            specs.join(name)
        }
    })
    .collect()
}

/// A catalog of `paths`, which must load cleanly.
pub fn catalog_of(paths: &[PathBuf]) -> Arc<Catalog> {
    Arc::new(Catalog::load(paths).unwrap_or_else(|problems| {
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        panic!("invalid specs:\n{}", text.join("\n"))
    }))
}

/// A fresh temporary directory, removed when dropped.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "vouch-{label}-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }

    /// Writes `text` to `name` under the directory.
    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.0.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Every scenario under the directory, checked against the built-in catalog.
    pub fn scenarios(&self) -> Vec<Scenario> {
        self.scenarios_of(&catalog())
    }

    /// Every scenario under the directory, checked against `catalog`.
    pub fn scenarios_of(&self, catalog: &Catalog) -> Vec<Scenario> {
        load_dir(&self.0, catalog, &Default::default()).unwrap_or_else(|errors| {
            let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
            panic!("invalid scenarios:\n{}", text.join("\n"))
        })
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// An answer of the fake live vendor, as it forwards the mock's.
pub struct Answer {
    pub status: u16,
    pub content_type: String,
    pub body: Vec<u8>,
    /// Wait this long before answering.
    pub delay: Duration,
}

impl Answer {
    /// Edits the JSON body.
    pub fn json(&mut self, edit: impl FnOnce(&mut Value)) {
        let mut json: Value = serde_json::from_slice(&self.body).expect("a JSON answer");
        edit(&mut json);
        self.body = serde_json::to_vec(&json).unwrap();
    }
}

/// How the fake drifts: (path and query of the request, the mock's answer to change).
pub type Drift = Arc<dyn Fn(&str, &mut Answer) + Send + Sync>;

struct FakeState {
    inner: MockServer,
    client: reqwest::Client,
    drift: Drift,
}

/// A fake live vendor: the built-in mock (accepting `token`) behind a layer
/// that changes some answers, as a real service drifting from the mock would.
pub struct DriftingVendor {
    pub url: String,
    _shutdown: oneshot::Sender<()>,
}

impl DriftingVendor {
    pub async fn start(token: &str, drift: Drift) -> DriftingVendor {
        let state = Arc::new(FakeState {
            inner: mock_with_token(token).await,
            client: crate::support::client(),
            drift,
        });
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let (tx, rx) = oneshot::channel::<()>();
        let app = Router::new().fallback(forward).with_state(state);
        tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        DriftingVendor { url, _shutdown: tx }
    }
}

async fn forward(State(state): State<Arc<FakeState>>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let body = to_bytes(body, 1 << 20).await.unwrap_or_default();
    let target = parts
        .uri
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    let mut upstream = state
        .client
        .request(
            parts.method.clone(),
            format!("{}{target}", state.inner.url()),
        )
        .body(body);
    for (name, value) in parts.headers.iter().filter(|(n, _)| *n != "host") {
        upstream = upstream.header(name, value);
    }
    let got = upstream.send().await.expect("the inner mock answers");
    let mut answer = Answer {
        status: got.status().as_u16(),
        content_type: got
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_string(),
        delay: Duration::ZERO,
        body: got.bytes().await.unwrap_or_default().to_vec(),
    };
    (state.drift)(&target, &mut answer);
    tokio::time::sleep(answer.delay).await;
    Response::builder()
        .status(answer.status)
        .header("content-type", answer.content_type)
        .body(Body::from(answer.body))
        .unwrap()
}

/// `vouch ARGS` with piped output and `VOUCH_TOKEN` set to `token`.
pub fn vouch(args: &[&str], token: &str) -> Child {
    Command::new(env!("CARGO_BIN_EXE_vouch"))
        .args(args)
        .env("VOUCH_TOKEN", token)
        .env_remove("VOUCH_BASE_URL")
        .env_remove("VOUCH_MOCK_TOKEN")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("vouch starts")
}
