//! The mock's core, vendor-independent: the admin API, fault injection,
//! routing answers for unknown paths and methods, the generic CRUD inference
//! for a user's own spec, and the `vouch mock` command.

mod support;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use support::{TestMock, Vendor, client, send, start_mock};
use vouch::mock::{DEFAULT_TOKEN, Fixtures, MockServer, MockState};
use vouch::spec::Catalog;

fn user_spec(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/user-specs")
        .join(name)
}

async fn start_pets() -> MockServer {
    let catalog = Catalog::load(&[user_spec("pets.yaml")]).unwrap_or_else(|p| panic!("{p:#?}"));
    let state = MockState::new(Arc::new(catalog), Fixtures::default(), DEFAULT_TOKEN.into());
    MockServer::start(state, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

const ZSTACK_VIPS: &str = "/zstack/v1/vips/no-such-vip/usedports?protocol=TCP";

#[tokio::test]
async fn health_reports_the_loaded_specs() {
    let mock = start_mock().await;
    let got = send(client().get(format!("{}/__vouch/health", mock.url()))).await;
    assert_eq!(got.status, 200);
    assert_eq!(got.json()["specs"], 5);
    assert_eq!(got.json()["operations"], 57);
}

#[tokio::test]
async fn journal_records_each_request_with_its_operation_and_findings() {
    let mock = start_mock().await;
    let http = client();
    send(http.get(format!("{}/nowhere", mock.url()))).await;
    send(http.get(format!(
        "{}/openapi/environments?token={DEFAULT_TOKEN}",
        mock.url()
    )))
    .await;

    let journal = send(http.get(format!("{}/__vouch/journal", mock.url())))
        .await
        .json();
    let entries = journal.as_array().unwrap();
    assert_eq!(entries.len(), 2);
    assert_eq!(entries[0]["path"], "/nowhere");
    assert_eq!(entries[0]["operation"], Value::Null);
    assert_eq!(entries[0]["status"], 404);
    assert_eq!(entries[1]["operation"], "zadig.listTestEnvironments");
    assert_eq!(
        entries[1]["query"], "token=[secret]",
        "the credential is never journaled"
    );
    assert!(
        entries[1]["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f.as_str().unwrap().contains("projectKey")),
        "{journal}"
    );
}

#[tokio::test]
async fn reset_restores_fixtures_and_clears_journal_and_faults() {
    let mock = start_pets().await;
    let http = client();
    let created = send(
        http.post(format!("{}/pets", mock.url()))
            .header("x-api-key", DEFAULT_TOKEN)
            .json(&json!({"name": "Rex"})),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text);
    send(
        http.post(format!("{}/__vouch/faults", mock.url()))
            .json(&json!({"status": 500})),
    )
    .await;

    let reset = send(http.post(format!("{}/__vouch/reset", mock.url()))).await;
    assert_eq!(reset.status, 200);

    let state = send(http.get(format!("{}/__vouch/state", mock.url())))
        .await
        .json();
    assert_eq!(
        state,
        json!({"pets": {"collections": {}}}),
        "only the loaded spec's state, under its name, back to empty"
    );
    assert_eq!(
        send(http.get(format!("{}/__vouch/faults", mock.url())))
            .await
            .json(),
        json!([])
    );
    assert_eq!(
        send(http.get(format!("{}/__vouch/journal", mock.url())))
            .await
            .json(),
        json!([])
    );
}

#[tokio::test]
async fn unknown_path_outside_every_vendor_is_a_plain_404() {
    let mock = start_mock().await;
    let got = send(client().get(format!("{}/no/such/thing", mock.url()))).await;
    assert_eq!(got.status, 404);
    assert!(got.content_type.unwrap().starts_with("text/plain"));
}

#[tokio::test]
async fn wrong_method_on_a_known_path_is_405_with_allow() {
    let mock = start_pets().await;
    let got = send(
        client()
            .put(format!("{}/pets", mock.url()))
            .header("x-api-key", DEFAULT_TOKEN),
    )
    .await;
    assert_eq!(got.status, 405);
    assert_eq!(got.headers["allow"], "GET, POST");
}

#[tokio::test]
async fn forced_status_fault_answers_in_the_vendor_envelope_for_count_requests() {
    let mock = start_mock().await;
    let http = client();
    let fault = send(
        http.post(format!("{}/__vouch/faults", mock.url()))
            .json(&json!({"operation": "zstack.getVipUsedPorts", "status": 503, "count": 1})),
    )
    .await;
    assert_eq!(fault.status, 201, "{}", fault.text);

    let faulted = send(http.get(format!("{}{ZSTACK_VIPS}", mock.url()))).await;
    assert_eq!(faulted.status, 503);
    assert!(
        faulted.json()["error"]["code"].is_string(),
        "ZStack's error envelope: {}",
        faulted.text
    );

    // The count is spent: the next request reaches the vendor (no credential: ZStack's plain-text 400).
    let after = send(http.get(format!("{}{ZSTACK_VIPS}", mock.url()))).await;
    assert_eq!(after.status, 400, "{}", after.text);
}

#[tokio::test]
async fn latency_fault_delays_only_its_operation() {
    let mock = start_pets().await;
    let http = client();
    send(
        http.post(format!("{}/__vouch/faults", mock.url()))
            .json(&json!({"operation": "pets.list", "latency_ms": 300})),
    )
    .await;

    let started = Instant::now();
    let got = send(
        http.get(format!("{}/pets", mock.url()))
            .header("x-api-key", DEFAULT_TOKEN),
    )
    .await;
    assert_eq!(got.status, 200);
    assert!(
        started.elapsed() >= Duration::from_millis(300),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn drop_fault_closes_the_connection_without_an_answer() {
    let mock = start_pets().await;
    let http = client();
    send(
        http.post(format!("{}/__vouch/faults", mock.url()))
            .json(&json!({"drop": true, "count": 1})),
    )
    .await;

    let dropped = http
        .get(format!("{}/pets", mock.url()))
        .header("x-api-key", DEFAULT_TOKEN)
        .send()
        .await;
    let outcome = match dropped {
        Err(e) => Err(e),
        Ok(response) => response.text().await,
    };
    assert!(
        outcome.is_err(),
        "a dropped connection must not read as an answer: {outcome:?}"
    );

    let next = send(
        http.get(format!("{}/pets", mock.url()))
            .header("x-api-key", DEFAULT_TOKEN),
    )
    .await;
    assert_eq!(next.status, 200);
}

#[tokio::test]
async fn faults_can_be_listed_and_removed_and_bad_ones_are_refused() {
    let mock = start_mock().await;
    let http = client();
    let unknown = send(
        http.post(format!("{}/__vouch/faults", mock.url()))
            .json(&json!({"operation": "no.such", "status": 500})),
    )
    .await;
    assert_eq!(unknown.status, 400);
    assert!(unknown.text.contains("no.such"));

    let added = send(
        http.post(format!("{}/__vouch/faults", mock.url()))
            .json(&json!({"latency_ms": [1, 2]})),
    )
    .await
    .json();
    let id = added["id"].as_u64().unwrap();
    assert_eq!(
        send(http.get(format!("{}/__vouch/faults", mock.url())))
            .await
            .json()
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        send(http.delete(format!("{}/__vouch/faults/{id}", mock.url())))
            .await
            .status,
        204
    );
    assert_eq!(
        send(http.delete(format!("{}/__vouch/faults/{id}", mock.url())))
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn user_spec_collection_is_a_stateful_crud_resource() {
    let mock = start_pets().await;
    let http = client();
    let url = |p: &str| format!("{}{p}", mock.url());
    let auth = |r: reqwest::RequestBuilder| r.header("x-api-key", DEFAULT_TOKEN);

    let created =
        send(auth(http.post(url("/pets"))).json(&json!({"name": "Rex", "tag": "dog"}))).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.json()["petId"].as_str().unwrap().to_string();

    let listed = send(auth(http.get(url("/pets")))).await.json();
    assert_eq!(listed["pets"][0]["name"], "Rex");

    let patched = send(
        auth(http.patch(url(&format!("/pets/{id}")))).json(&json!({"tag": null, "name": "Max"})),
    )
    .await
    .json();
    assert_eq!(patched, json!({"petId": id, "name": "Max"}));

    assert_eq!(
        send(auth(http.delete(url(&format!("/pets/{id}")))))
            .await
            .status,
        204
    );
    let gone = send(auth(http.get(url(&format!("/pets/{id}"))))).await;
    assert_eq!(gone.status, 404);
    assert!(gone.json()["message"].is_string());
    assert_eq!(
        send(auth(http.get(url("/pets")))).await.json(),
        json!({"pets": []})
    );
}

#[tokio::test]
async fn user_spec_validation_names_the_field_and_changes_nothing() {
    let mock = start_pets().await;
    let http = client();
    let bad = send(
        http.post(format!("{}/pets", mock.url()))
            .header("x-api-key", DEFAULT_TOKEN)
            .json(&json!({"name": ""})),
    )
    .await;
    assert_eq!(bad.status, 400);
    assert_eq!(bad.json()["field"], "name");
    let missing = send(
        http.post(format!("{}/pets", mock.url()))
            .header("x-api-key", DEFAULT_TOKEN)
            .json(&json!({"tag": "x"})),
    )
    .await;
    assert_eq!(missing.json()["field"], "name", "{}", missing.text);
    let listed = send(
        http.get(format!("{}/pets", mock.url()))
            .header("x-api-key", DEFAULT_TOKEN),
    )
    .await
    .json();
    assert_eq!(listed, json!({"pets": []}));
}

#[tokio::test]
async fn user_spec_security_is_enforced() {
    let mock = start_pets().await;
    let got = send(
        client()
            .get(format!("{}/pets", mock.url()))
            .header("x-api-key", "wrong"),
    )
    .await;
    assert_eq!(got.status, 401);
}

#[tokio::test]
async fn x_vouch_mock_examples_serves_the_declared_example() {
    let mock = start_pets().await;
    let got = send(
        client()
            .get(format!("{}/pets/random", mock.url()))
            .header("x-api-key", DEFAULT_TOKEN),
    )
    .await;
    assert_eq!(got.status, 200);
    assert_eq!(got.json(), json!({"petId": "p-42", "name": "Rex"}));
}

#[test]
fn mock_command_refuses_a_spec_whose_routes_collide_naming_both_operations() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vouch"))
        .args([
            "mock",
            "--addr",
            "127.0.0.1:0",
            "--spec",
            "specs/zadig.yaml",
            "--spec",
        ])
        .arg(user_spec("colliding.yaml"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("mine.getEnvironment") && stderr.contains("zadig.getTestEnvironment"),
        "{stderr}"
    );
}

#[test]
fn mock_command_names_the_line_of_a_bad_fixture_file() {
    let dir = std::env::temp_dir().join(format!("vouch-fixtures-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bad.yaml");
    std::fs::write(&file, "zstack: {}\nnot-a-vendor: {}\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vouch"))
        .args(["mock", "--addr", "127.0.0.1:0", "--fixtures"])
        .arg(&file)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("bad.yaml:2") && stderr.contains("not-a-vendor"),
        "{stderr}"
    );
}

#[test]
fn mock_command_prints_its_address_serves_and_stops_cleanly_on_ctrl_c() {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_vouch"))
        .args(["mock", "--addr", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let url = support::listening_url(&mut child).unwrap_or_else(|line| panic!("{line:?}"));

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let unauthorised = runtime.block_on(async {
        send(client().get(format!("{url}/openapi/environments?projectKey=p"))).await
    });
    assert_eq!(unauthorised.status, 401);

    // SAFETY: sending SIGINT to our own child process.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let deadline = Instant::now() + Duration::from_secs(5);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        assert!(Instant::now() < deadline, "the mock did not stop on Ctrl-C");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert!(status.success(), "{status:?}");
    let mut log = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut log).unwrap();
    // One log line per request: method, path, operationId, status, time.
    let request_line = log
        .lines()
        .find(|l| l.contains("zadig.listTestEnvironments"))
        .unwrap_or_else(|| panic!("{log}"));
    for part in ["GET", "/openapi/environments", "401", "micros"] {
        assert!(request_line.contains(part), "{request_line}");
    }
}

#[tokio::test]
async fn in_debug_builds_the_mock_refuses_to_send_an_answer_that_breaks_its_spec() {
    let catalog =
        Catalog::load(&[user_spec("unservable.yaml")]).unwrap_or_else(|p| panic!("{p:#?}"));
    let state = MockState::new(Arc::new(catalog), Fixtures::default(), DEFAULT_TOKEN.into());
    let mock = MockServer::start(state, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let got = send(
        client()
            .post(format!("{}/widgets", mock.url()))
            .json(&json!({"name": "w"})),
    )
    .await;
    assert_eq!(got.status, 500, "{}", got.text);
    assert!(got.headers.contains_key("x-vouch-contract-violation"));
    assert_eq!(got.json()["operation"], "widgets.create");
    let journal = send(client().get(format!("{}/__vouch/journal", mock.url())))
        .await
        .json();
    assert!(
        journal[0]["findings"][0]
            .as_str()
            .unwrap()
            .contains("widgets.create"),
        "{journal}"
    );
}

/// The mock sends a read's kept answer again only while nothing could change
/// it: every write, reset and armed fault, and any other header, is seen.
#[tokio::test]
async fn a_read_answered_again_follows_every_change_of_state() {
    let mock = TestMock::start(Vendor::Rainbond).await;
    let ports = "/openapi/v1/teams/4b1d8f0e6c2a4f3b9e7d5c1a0b2f3e4d/regions/rainbond/apps/12/services/gr-nginx/ports";
    let port_numbers = |got: &Value| -> Vec<u64> {
        let list = got["data"]["list"].as_array().cloned().unwrap_or_default();
        list.iter()
            .filter_map(|p| p["container_port"].as_u64())
            .collect()
    };
    let first = mock.read(ports).await;
    assert_eq!(
        mock.read(ports).await,
        first,
        "the same read, the same answer"
    );
    assert!(!port_numbers(&first).contains(&9000), "{first}");

    let added = mock
        .post(ports, json!({"port": 9000, "protocol": "tcp", "port_alias": "NGINX_PORT", "is_inner_service": true}))
        .await;
    assert_eq!(added.status, 200, "{}", added.text);
    assert!(
        port_numbers(&mock.read(ports).await).contains(&9000),
        "a write is seen by the next read"
    );

    let anonymous = mock.send(mock.anonymous(reqwest::Method::GET, ports)).await;
    assert_eq!(anonymous.status, 401, "other headers are another request");

    mock.inject_fault("rainbond.listPorts", 503).await;
    assert_eq!(
        mock.get(ports).await.status,
        503,
        "an armed fault is applied"
    );

    let journal = mock
        .send(mock.anonymous(reqwest::Method::GET, "/__vouch/journal"))
        .await
        .json();
    let seen: Vec<(&str, u64)> = journal
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["operation"].as_str().unwrap_or("-"),
                e["status"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        seen[..2],
        [("rainbond.listPorts", 200); 2],
        "a read answered again is journaled like the first: {journal}"
    );

    let reset = mock
        .send(mock.anonymous(reqwest::Method::POST, "/__vouch/reset"))
        .await;
    assert_eq!(reset.status, 200);
    assert_eq!(
        mock.read(ports).await,
        first,
        "a reset is seen by the next read"
    );
}
