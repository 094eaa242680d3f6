//! Security schemes, over loopback: the mock of a user's spec enforces
//! each (apiKey in a header, the query or a cookie; HTTP basic and bearer;
//! OAuth2 and OpenID Connect as bearer tokens; the document's default,
//! `security: []`, an optional `{}`, alternatives, two schemes together),
//! refusing in the spec's declared error shape; `vouch run` sends the
//! target's token in each form to a test server that records what it got;
//! and every form of the credential is redacted in the reports.

mod support;

use std::path::PathBuf;
use std::process::Command;
use std::sync::{Arc, Mutex};

#[path = "support/fake_server.rs"]
mod fake_server;

use axum::Router;
use axum::extract::{Request, State};
use axum::response::IntoResponse;
use fake_server::FakeServer;
use rstest::rstest;
use serde_json::{Value, json};
use support::{client, send};
use vouch::mock::{Fixtures, MockServer, MockState};
use vouch::spec::Catalog;

const TOKEN: &str = "s3cret-t0ken";

fn security_file(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/security")
        .join(name)
}

async fn start_mock(spec: &str, token: &str) -> MockServer {
    let catalog = Catalog::load(&[security_file(spec)]).unwrap_or_else(|p| panic!("{p:#?}"));
    let state = MockState::new(Arc::new(catalog), Fixtures::default(), token.into());
    MockServer::start(state, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

fn basic(pair: &str) -> String {
    use base64::Engine;
    format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(pair)
    )
}

/// A request to the mock of `secured.yaml`: path and query, then headers.
#[rstest]
#[case::api_key_header("/header-key", &[("x-api-key", TOKEN)], 200)]
#[case::api_key_header_wrong("/header-key", &[("x-api-key", "nope")], 401)]
#[case::api_key_header_elsewhere("/header-key", &[("authorization", "Bearer s3cret-t0ken")], 401)]
#[case::api_key_query("/query-key?api_key=s3cret-t0ken", &[], 200)]
#[case::api_key_query_missing("/query-key", &[], 401)]
#[case::api_key_cookie("/cookie-key", &[("cookie", "theme=dark; session=s3cret-t0ken")], 200)]
#[case::api_key_cookie_other_name("/cookie-key", &[("cookie", "sid=s3cret-t0ken")], 401)]
#[case::bearer_by_document_default("/bearer", &[("authorization", "Bearer s3cret-t0ken")], 200)]
#[case::bearer_missing("/bearer", &[], 401)]
#[case::basic_any_user("/basic", &[("authorization", "Basic YW5uOnMzY3JldC10MGtlbg==" /* ann:s3cret-t0ken */)], 200)]
#[case::basic_wrong_password("/basic", &[("authorization", "Basic YW5uOm90aGVy" /* ann:other */)], 401)]
#[case::basic_sent_as_bearer("/basic", &[("authorization", "Bearer s3cret-t0ken")], 401)]
#[case::oauth2_as_bearer("/oauth", &[("authorization", "Bearer s3cret-t0ken")], 200)]
#[case::oauth2_wrong("/oauth", &[("authorization", "Bearer nope")], 401)]
#[case::open_id_connect_as_bearer("/oidc", &[("authorization", "Bearer s3cret-t0ken")], 200)]
#[case::open_id_connect_missing("/oidc", &[], 401)]
#[case::no_security("/open", &[], 200)]
#[case::optional_without("/optional", &[], 200)]
#[case::either_first("/either", &[("x-api-key", TOKEN)], 200)]
#[case::either_second("/either", &[("authorization", "Basic OnMzY3JldC10MGtlbg==" /* :s3cret-t0ken */)], 200)]
#[case::either_neither("/either", &[], 401)]
#[case::both_together("/both?api_key=s3cret-t0ken", &[("x-api-key", TOKEN)], 200)]
#[case::both_only_one("/both", &[("x-api-key", TOKEN)], 401)]
#[tokio::test]
async fn the_mock_enforces_each_scheme_and_refuses_in_the_declared_error_shape(
    #[case] path: &str,
    #[case] headers: &[(&str, &str)],
    #[case] status: u16,
) {
    let mock = start_mock("secured.yaml", TOKEN).await;
    let request = headers.iter().fold(
        client().get(format!("{}{path}", mock.url())),
        |r, (name, value)| r.header(*name, *value),
    );
    let got = send(request).await;
    assert_eq!(got.status, status, "GET {path} {headers:?}: {}", got.text);
    if status == 401 {
        assert_eq!(got.json(), json!({"error": "unauthorized"}));
    }
}

#[rstest]
#[case::basic_user_and_password("/basic", &[("authorization", "Basic YW5uOnBhNTV3b3Jk" /* ann:pa55word */)], 200)]
#[case::basic_another_user("/basic", &[("authorization", "Basic Ym9iOnBhNTV3b3Jk" /* bob:pa55word */)], 401)]
#[case::api_key_in_query("/key?key=ann:pa55word", &[], 200)]
#[case::oauth2_by_document_default("/oauth", &[("authorization", "Bearer ann:pa55word")], 200)]
#[case::oauth2_missing("/oauth", &[], 401)]
#[tokio::test]
async fn swagger_2_security_definitions_are_enforced_with_a_user_password_token(
    #[case] path: &str,
    #[case] headers: &[(&str, &str)],
    #[case] status: u16,
) {
    let mock = start_mock("secured-2.0.yaml", "ann:pa55word").await;
    let request = headers.iter().fold(
        client().get(format!("{}{path}", mock.url())),
        |r, (name, value)| r.header(*name, *value),
    );
    let got = send(request).await;
    assert_eq!(got.status, status, "GET {path}: {}", got.text);
    if status == 401 {
        assert_eq!(got.json(), json!({"error": "unauthorized"}));
    }
}

#[test]
fn a_scheme_vouch_cannot_carry_is_a_warning_and_leaves_the_operation_open() {
    let dir = temp_dir("digest");
    let spec = dir.join("digest.yaml");
    std::fs::write(
        &spec,
        "openapi: 3.0.3\ninfo: {title: t, version: '1'}\n\
         components: {securitySchemes: {digest: {type: http, scheme: digest}}}\n\
         security: [{digest: []}]\n\
         paths: {/x: {get: {operationId: x, responses: {'200': {description: ok}}}}}\n",
    )
    .unwrap();
    let catalog = Catalog::load(std::slice::from_ref(&spec)).unwrap();
    let warnings: Vec<String> = catalog.warnings().iter().map(|w| w.to_string()).collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("security scheme `digest`") && w.contains("`digest`")),
        "{warnings:#?}"
    );
    let (_, op) = catalog.operation("x").unwrap();
    assert!(!op.security.is_required());
}

/// What the test server saw of each request: path, query, and the headers
/// a credential may travel in.
#[derive(Debug, Clone)]
struct SeenRequest {
    path: String,
    query: String,
    authorization: Option<String>,
    api_key: Option<String>,
    cookie: Option<String>,
}

type Log = Arc<Mutex<Vec<SeenRequest>>>;

/// Records each request and answers 200 with a JSON echo of its credentials.
async fn record(State(log): State<Log>, request: Request) -> axum::response::Response {
    let header = |name: &str| {
        request
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let seen = SeenRequest {
        path: request.uri().path().to_string(),
        query: request.uri().query().unwrap_or_default().to_string(),
        authorization: header("authorization"),
        api_key: header("x-api-key"),
        cookie: header("cookie"),
    };
    let echo = json!({
        "authorization": seen.authorization,
        "x-api-key": seen.api_key,
        "cookie": seen.cookie,
        "query": seen.query,
    });
    log.lock().unwrap().push(seen);
    axum::Json(echo).into_response()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("vouch-security-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `vouch run` of `scenarios` against `url` with `token` for spec `secured`,
/// writing JSON and JUnit reports into `dir`: (exit code, terminal output).
fn run_against(url: &str, token: &str, dir: &std::path::Path) -> (Option<i32>, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_vouch"))
        .args(["run", "--spec"])
        .arg(security_file("secured.yaml"))
        .args(["--base-url", url, "--report"])
        .arg(format!("json={}", dir.join("run.json").display()))
        .arg("--report")
        .arg(format!("junit={}", dir.join("junit.xml").display()))
        .arg(security_file("scenarios"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("VOUCH_BASE_URL")
        .env_remove("VOUCH_TOKEN")
        .env_remove("CI")
        .env("NO_COLOR", "1")
        .env("VOUCH_TOKEN_SECURED", token)
        .output()
        .unwrap();
    let terminal = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.code(), terminal)
}

#[test]
fn the_runner_sends_each_form_and_every_form_is_redacted_in_every_report() {
    let log: Log = Arc::default();
    let server = FakeServer::start(Router::new().fallback(record).with_state(log.clone()));
    let dir = temp_dir("run");
    let token = "ann:pa55word";
    let (code, terminal) = run_against(&server.url, token, &dir);
    let seen = log.lock().unwrap().clone();
    let at = |path: &str| {
        seen.iter()
            .find(|s| s.path == path)
            .unwrap_or_else(|| panic!("{path} was not requested: {seen:#?}\n{terminal}"))
            .clone()
    };
    let bearer = Some(format!("Bearer {token}"));
    assert_eq!(at("/header-key").api_key.as_deref(), Some(token));
    assert_eq!(at("/query-key").query, "api_key=ann%3Apa55word");
    assert_eq!(
        at("/cookie-key").cookie.as_deref(),
        Some("theme=dark; session=ann:pa55word"),
        "the credential joins the step's own cookie"
    );
    assert_eq!(at("/bearer").authorization, bearer);
    assert_eq!(at("/oauth").authorization, bearer);
    assert_eq!(at("/oidc").authorization, bearer);
    assert_eq!(at("/basic").authorization, Some(basic(token)));
    let both = at("/both");
    assert_eq!(
        (both.api_key.as_deref(), both.query.as_str()),
        (Some(token), "api_key=ann%3Apa55word")
    );
    assert_eq!(
        at("/open").authorization.as_deref(),
        Some("Bearer hand-written-abc123")
    );
    assert_eq!(
        at("/optional").api_key.as_deref(),
        Some(token),
        "a token given is sent"
    );

    // Two scenarios fail on purpose, so that their echoed credentials are shown.
    assert_eq!(code, Some(1), "{terminal}");
    let json = std::fs::read_to_string(dir.join("run.json")).unwrap();
    let junit = std::fs::read_to_string(dir.join("junit.xml")).unwrap();
    for (report, text) in [("terminal", &terminal), ("JSON", &json), ("JUnit", &junit)] {
        for secret in [
            "pa55word",
            "YW5uOnBhNTV3b3Jk", // base64 of ann:pa55word
            "hand-written-abc123",
            "ann%3Apa55word",
        ] {
            assert!(
                !text.contains(secret),
                "the {report} report shows `{secret}`:\n{text}"
            );
        }
        assert!(text.contains("[secret]"), "{report}:\n{text}");
    }
    let report: Value = serde_json::from_str(&json).unwrap();
    let shown = report.to_string();
    assert!(
        shown.contains("Basic [secret]") && shown.contains("Bearer [secret]"),
        "{shown}"
    );
}

#[test]
fn a_bare_token_goes_to_basic_as_the_password_of_an_empty_user() {
    let log: Log = Arc::default();
    let server = FakeServer::start(Router::new().fallback(record).with_state(log.clone()));
    let dir = temp_dir("bare");
    let (_, terminal) = run_against(&server.url, TOKEN, &dir);
    let seen = log.lock().unwrap().clone();
    let basic_sent = seen
        .iter()
        .find(|s| s.path == "/basic")
        .map(|s| s.authorization.clone());
    assert_eq!(basic_sent, Some(Some(basic(":s3cret-t0ken"))), "{terminal}");
    let json = std::fs::read_to_string(dir.join("run.json")).unwrap();
    assert!(
        !json.contains("OnMzY3JldC10MGtlbg"),
        "base64 of :s3cret-t0ken:\n{json}"
    );
    assert!(!json.contains(TOKEN), "{json}");
}
