//! How the mock core picks and uses a handler, over real loopback sockets:
//! an operation the named vendor does not serve, the state of the loaded
//! specs only, an unknown method on a known path, Huawei's int32 parameters
//! and reproducible generated ids.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use serde_json::{Value, json};
use support::{client, send, start_mock};
use vouch::mock::{DEFAULT_TOKEN, Fixtures, MockServer, MockState};
use vouch::spec::Catalog;

const PROJECT: &str = "05602623488025ea2f1ac01f1d3f1e2b";
const GATEWAY: &str = "eddc4d25480b4cd6b512f270a1b8b341";

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// The APIG spec plus a user spec that names the APIG vendor and declares one more operation.
async fn start_apig_with_extra() -> MockServer {
    let catalog = Catalog::load(&[
        repo("specs/huawei-apig.yaml"),
        repo("tests/user-specs/apig-extra.yaml"),
    ])
    .unwrap_or_else(|p| panic!("{p:#?}"));
    let fixtures = Fixtures::builtin().unwrap();
    let state = MockState::new(Arc::new(catalog), fixtures, DEFAULT_TOKEN.into());
    MockServer::start(state, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap()
}

fn apig_url(mock: &MockServer, rest: &str) -> String {
    format!(
        "{}/v2/{PROJECT}/apigw/instances/{GATEWAY}/{rest}",
        mock.url()
    )
}

async fn journal(mock: &MockServer) -> Value {
    send(client().get(format!("{}/__vouch/journal", mock.url())))
        .await
        .json()
}

#[tokio::test]
async fn an_operation_the_named_vendor_does_not_serve_is_501_in_its_envelope_and_journaled() {
    let mock = start_apig_with_extra().await;

    let got = send(
        client()
            .get(apig_url(&mock, "certificates"))
            .header("X-Auth-Token", DEFAULT_TOKEN),
    )
    .await;

    assert_eq!(got.status, 501, "{got:?}");
    assert_eq!(
        got.json(),
        json!({
            "error_code": "APIC.9000",
            "error_msg": "the mock does not serve operation `apig-extra.listCertificates`"
        })
    );
    let journal = journal(&mock).await;
    assert_eq!(journal[0]["operation"], "apig-extra.listCertificates");
    assert_eq!(
        journal[0]["findings"],
        json!(["the mock does not serve operation `apig-extra.listCertificates`"])
    );
}

#[tokio::test]
async fn an_unserved_operation_still_needs_the_vendors_credential() {
    let mock = start_apig_with_extra().await;

    let got = send(client().get(apig_url(&mock, "certificates"))).await;

    assert_eq!(got.status, 401, "{got:?}");
    assert_eq!(got.json()["error_code"], "APIC.7102");
}

#[tokio::test]
async fn specs_naming_one_vendor_share_its_state_and_only_loaded_specs_show() {
    let mock = start_apig_with_extra().await;
    let added = send(
        client()
            .post(apig_url(&mock, "custom-ingress-ports"))
            .header("X-Auth-Token", DEFAULT_TOKEN)
            .json(&json!({"protocol": "HTTP", "ingress_port": 9090})),
    )
    .await;
    assert_eq!(added.status, 201, "{added:?}");

    let state = send(client().get(format!("{}/__vouch/state", mock.url())))
        .await
        .json();

    let names: Vec<&String> = state.as_object().unwrap().keys().collect();
    assert_eq!(names, ["huawei-apig"]);
    let gateway = state["huawei-apig"]["instances"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["instance_id"] == GATEWAY)
        .unwrap();
    assert!(
        gateway["ingress_ports"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["ingress_port"] == 9090),
        "{state}"
    );
}

#[tokio::test]
async fn the_built_in_state_keeps_one_key_per_vendor() {
    let mock = start_mock().await;

    let state = send(client().get(format!("{}/__vouch/state", mock.url())))
        .await
        .json();

    let mut names: Vec<&String> = state.as_object().unwrap().keys().collect();
    names.sort();
    assert_eq!(
        names,
        ["alaya-cci", "huawei-apig", "rainbond", "zadig", "zstack"]
    );
}

/// Sends `request` as raw bytes and reads the whole answer (the request asks to close).
fn raw(mock: &MockServer, request: &str) -> String {
    let mut stream = TcpStream::connect(mock.addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    answer
}

fn status_line(answer: &str) -> &str {
    answer.lines().next().unwrap_or_default()
}

fn header<'a>(answer: &'a str, name: &str) -> Option<&'a str> {
    answer
        .lines()
        .take_while(|l| !l.is_empty())
        .find_map(|l| {
            l.split_once(':')
                .filter(|(n, _)| n.eq_ignore_ascii_case(name))
        })
        .map(|(_, v)| v.trim())
}

#[tokio::test]
async fn an_unknown_method_on_a_known_path_is_405_with_allow_in_the_vendors_way() {
    let mock = start_mock().await;
    let path = format!("/v2/{PROJECT}/apigw/instances/{GATEWAY}/custom-ingress-ports");

    let answer = tokio::task::spawn_blocking(move || {
        raw(
            &mock,
            &format!("FOO {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"),
        )
    })
    .await
    .unwrap();

    assert!(status_line(&answer).contains(" 405 "), "{answer}");
    assert_eq!(header(&answer, "allow"), Some("GET, POST"), "{answer}");
    assert!(
        answer.ends_with(r#"{"error_code":"APIC.7300","error_msg":"Method not allowed"}"#),
        "{answer}"
    );
}

#[tokio::test]
async fn an_undeclared_patch_is_405_with_allow_in_each_vendors_way() {
    let mock = start_mock().await;
    let cases = [
        (
            "/openapi/environments?projectKey=p".to_string(),
            "GET, POST",
            "405 method not allowed",
        ),
        (
            "/zstack/v1/vips/x/usedports".to_string(),
            "GET",
            "the method is not allowed for this path",
        ),
    ];
    for (path, allow, body) in cases {
        let got = send(client().patch(format!("{}{path}", mock.url()))).await;

        assert_eq!(got.status, 405, "{path}: {got:?}");
        assert_eq!(got.headers["allow"], allow, "{path}");
        assert_eq!(got.text, body, "{path}");
    }
}

#[tokio::test]
async fn an_unknown_method_on_an_unknown_path_is_still_the_vendors_404() {
    let mock = start_mock().await;

    let answer = tokio::task::spawn_blocking(move || {
        raw(
            &mock,
            "FOO /zstack/v1/nothing HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n",
        )
    })
    .await
    .unwrap();

    assert!(status_line(&answer).contains(" 404 "), "{answer}");
    assert!(
        answer.ends_with("no api mapping to /v1/nothing"),
        "{answer}"
    );
}

#[tokio::test]
async fn huawei_int32_parameters_refuse_values_outside_the_int32_range() {
    let mock = start_mock().await;
    for (limit, status) in [
        ("2147483648", 400),
        ("-2147483649", 400),
        ("2147483647", 200),
        ("-2147483648", 200),
    ] {
        let got = send(
            client()
                .get(apig_url(
                    &mock,
                    &format!("custom-ingress-ports?limit={limit}"),
                ))
                .header("X-Auth-Token", DEFAULT_TOKEN),
        )
        .await;

        assert_eq!(got.status, status, "limit={limit}: {got:?}");
        if status == 400 {
            assert_eq!(
                got.json(),
                json!({
                    "error_code": "APIC.7211",
                    "error_msg": "Parameter value does not match the rules, parameter name[limit]"
                }),
                "limit={limit}"
            );
        }
    }
}

/// Starts `vouch mock` with `VOUCH_MOCK_SEED=seed`, adds two APIG ports, returns their ids.
fn ids_generated_with_seed(seed: &str) -> Vec<String> {
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_vouch"))
        .args(["mock", "--addr", "127.0.0.1:0"])
        .env("VOUCH_MOCK_SEED", seed)
        .env("RUST_LOG", "warn")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let url = support::listening_url(&mut child).unwrap_or_else(|line| panic!("{line:?}"));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let ids = runtime.block_on(async {
        let mut ids = Vec::new();
        for port in [9090, 9091] {
            let got = send(
                client()
                    .post(format!(
                        "{url}/v2/{PROJECT}/apigw/instances/{GATEWAY}/custom-ingress-ports"
                    ))
                    .header("X-Auth-Token", DEFAULT_TOKEN)
                    .json(&json!({"protocol": "HTTP", "ingress_port": port})),
            )
            .await;
            assert_eq!(got.status, 201, "{got:?}");
            ids.push(got.json()["ingress_port_id"].as_str().unwrap().to_string());
        }
        ids
    });
    child.kill().unwrap();
    child.wait().unwrap();
    ids
}

#[test]
fn the_same_seed_generates_the_same_ids_and_another_seed_others() {
    let first = ids_generated_with_seed("42");
    let again = ids_generated_with_seed("42");
    let other = ids_generated_with_seed("43");

    assert_eq!(first, again);
    assert_ne!(first[0], first[1]);
    assert_ne!(first, other);
}

#[tokio::test]
async fn a_missing_property_is_named_as_written_even_when_json_would_escape_it() {
    let catalog = Catalog::load(&[repo("tests/user-specs/quoted-names.yaml")])
        .unwrap_or_else(|p| panic!("{p:#?}"));
    let state = MockState::new(Arc::new(catalog), Fixtures::default(), DEFAULT_TOKEN.into());
    let mock = MockServer::start(state, "127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();

    let got = send(
        client()
            .post(format!("{}/notes", mock.url()))
            .json(&json!({"other": 1})),
    )
    .await;

    assert_eq!(got.status, 400, "{got:?}");
    assert_eq!(got.json()["field"], r#"say "hi""#, "{got:?}");
}
