//! Alaya NeW CCI open ports on the mock, black-box over loopback HTTP.

mod support;

use serde_json::{Value, json};
use support::{Got, assert_conforms, client, send, start_mock};
use vouch::mock::{DEFAULT_TOKEN, MockServer};

const LIST: &str = "alaya-cci.listOpenPorts";
const OPEN: &str = "alaya-cci.openPort";
const CLOSE: &str = "alaya-cci.closePort";
/// Fixture instance on 192.168.1.1 with system ports 22 (31022) and 8888 (31888).
const INSTANCE: &str = "08ba7a0e-af00-4072-a5e5-1298ed6c1aa0";
/// Fixture instance on 192.168.1.2 with system port 22 on external port 30000.
const OTHER_INSTANCE: &str = "5c3e9a41-7d2b-4f60-9b8e-2a61c0d4f7e3";
const UNKNOWN_INSTANCE: &str = "00000000-0000-4000-8000-000000000000";

fn url(mock: &MockServer, instance: &str, action: &str) -> String {
    format!("{}/v1/cci/instance/{instance}/{action}", mock.url())
}

fn bearer() -> String {
    format!("Bearer {DEFAULT_TOKEN}")
}

async fn list(mock: &MockServer, instance: &str) -> Got {
    send(
        client()
            .get(url(mock, instance, "open-port/list"))
            .header("authorization", bearer()),
    )
    .await
}

async fn post(mock: &MockServer, instance: &str, action: &str, body: Value) -> Got {
    send(
        client()
            .post(url(mock, instance, action))
            .header("authorization", bearer())
            .json(&body),
    )
    .await
}

async fn open(mock: &MockServer, instance: &str, protocol: &str, port: u16) -> Got {
    post(
        mock,
        instance,
        "open-port",
        json!({"protocol": protocol, "port": port}),
    )
    .await
}

async fn close(mock: &MockServer, instance: &str, port: u16) -> Got {
    post(mock, instance, "close-port", json!({"port": port})).await
}

async fn custom_ports(mock: &MockServer, instance: &str) -> Value {
    list(mock, instance).await.json()["data"]["customPorts"].clone()
}

/// Asserts the error envelope: HTTP status equal to `status`, a message mentioning `mention`, empty data.
fn assert_envelope_error(operation: &str, got: &Got, status: u16, mention: &str) {
    assert_eq!(got.status, status, "{}", got.text);
    let body = got.json();
    assert_eq!(body["status"], status, "{}", got.text);
    assert_eq!(body["data"], json!({}), "{}", got.text);
    let message = body["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(mention),
        "message {message:?} should mention {mention:?}"
    );
    assert_conforms(operation, got);
}

#[tokio::test]
async fn list_shows_the_fixture_system_ports_and_no_custom_port() {
    let mock = start_mock().await;

    let got = list(&mock, INSTANCE).await;

    assert_eq!(got.status, 200, "{}", got.text);
    let expected = json!({"status": 200, "message": "OK", "data": {
        "ports": [
            {"protocol": null, "port": 22, "externalHost": "192.168.1.1", "externalPort": 31022},
            {"protocol": "http/https", "port": 8888, "externalHost": "192.168.1.1", "externalPort": 31888}
        ],
        "customPorts": []
    }});
    assert_eq!(got.json(), expected);
    assert_conforms(LIST, &got);
}

#[tokio::test]
async fn open_port_returns_the_port_on_the_instance_host_with_an_allocated_external_port() {
    let mock = start_mock().await;

    let got = open(&mock, INSTANCE, "http", 8080).await;

    assert_eq!(got.status, 200, "{}", got.text);
    assert_eq!(
        got.json(),
        json!({"status": 200, "message": "OK", "data": {"protocol": "http", "port": 8080, "externalHost": "192.168.1.1", "externalPort": 30000}})
    );
    assert_conforms(OPEN, &got);
}

#[tokio::test]
async fn an_opened_port_appears_in_the_custom_ports_of_the_list() {
    let mock = start_mock().await;
    let opened = open(&mock, INSTANCE, "tcp", 6006).await.json()["data"].clone();

    let got = list(&mock, INSTANCE).await;

    assert_eq!(got.json()["data"]["customPorts"], json!([opened]));
    assert_eq!(
        got.json()["data"]["ports"].as_array().map(Vec::len),
        Some(2)
    );
    assert_conforms(LIST, &got);
}

#[tokio::test]
async fn external_ports_are_unique_and_skip_those_already_used_on_the_host() {
    let mock = start_mock().await;

    let first = open(&mock, OTHER_INSTANCE, "http", 8080).await.json();
    let second = open(&mock, OTHER_INSTANCE, "http", 8081).await.json();

    // 30000 is the external port of the fixture's ssh system port on 192.168.1.2.
    assert_eq!(first["data"]["externalPort"], 30001);
    assert_eq!(second["data"]["externalPort"], 30002);
}

#[tokio::test]
async fn opening_a_port_on_one_instance_leaves_the_other_unchanged() {
    let mock = start_mock().await;

    open(&mock, INSTANCE, "http", 8080).await;

    assert_eq!(custom_ports(&mock, OTHER_INSTANCE).await, json!([]));
}

#[tokio::test]
async fn opening_an_already_open_custom_port_is_refused_and_the_list_is_unchanged() {
    let mock = start_mock().await;
    open(&mock, INSTANCE, "http", 8080).await;
    let before = custom_ports(&mock, INSTANCE).await;

    let got = open(&mock, INSTANCE, "tcp", 8080).await;

    assert_envelope_error(OPEN, &got, 400, "8080");
    assert_eq!(custom_ports(&mock, INSTANCE).await, before);
}

#[tokio::test]
async fn opening_a_system_port_is_refused() {
    let mock = start_mock().await;

    let got = open(&mock, INSTANCE, "tcp", 22).await;

    assert_envelope_error(OPEN, &got, 400, "22");
    assert_eq!(custom_ports(&mock, INSTANCE).await, json!([]));
}

#[tokio::test]
async fn close_port_removes_the_custom_port_from_the_list() {
    let mock = start_mock().await;
    open(&mock, INSTANCE, "http", 8080).await;
    open(&mock, INSTANCE, "http", 9090).await;

    let got = close(&mock, INSTANCE, 8080).await;

    assert_eq!(got.status, 200, "{}", got.text);
    assert_eq!(
        got.json(),
        json!({"status": 200, "message": "OK", "data": {}})
    );
    assert_conforms(CLOSE, &got);
    let remaining = custom_ports(&mock, INSTANCE).await;
    assert_eq!(
        remaining
            .as_array()
            .map(|a| a.iter().map(|p| p["port"].clone()).collect::<Vec<_>>()),
        Some(vec![json!(9090)])
    );
}

#[tokio::test]
async fn a_closed_port_can_be_opened_again() {
    let mock = start_mock().await;
    open(&mock, INSTANCE, "http", 8080).await;
    close(&mock, INSTANCE, 8080).await;

    let got = open(&mock, INSTANCE, "http", 8080).await;

    assert_eq!(got.status, 200, "{}", got.text);
    assert_eq!(
        custom_ports(&mock, INSTANCE).await.as_array().map(Vec::len),
        Some(1)
    );
}

#[tokio::test]
async fn closing_a_system_port_is_refused_and_it_stays_listed() {
    let mock = start_mock().await;

    let got = close(&mock, INSTANCE, 8888).await;

    assert_envelope_error(CLOSE, &got, 400, "8888 is a system port");
    let ports = list(&mock, INSTANCE).await.json()["data"]["ports"].clone();
    assert!(
        ports
            .as_array()
            .is_some_and(|p| p.iter().any(|p| p["port"] == 8888)),
        "{ports}"
    );
}

#[tokio::test]
async fn closing_a_port_that_is_not_open_is_refused() {
    let mock = start_mock().await;
    open(&mock, INSTANCE, "http", 8080).await;

    let got = close(&mock, INSTANCE, 9090).await;

    assert_envelope_error(CLOSE, &got, 400, "9090 is not open");
    assert_eq!(
        custom_ports(&mock, INSTANCE).await.as_array().map(Vec::len),
        Some(1)
    );
}

#[tokio::test]
async fn an_unknown_instance_is_a_404_envelope_for_every_operation() {
    let mock = start_mock().await;

    let listed = list(&mock, UNKNOWN_INSTANCE).await;
    let opened = open(&mock, UNKNOWN_INSTANCE, "http", 8080).await;
    let closed = close(&mock, UNKNOWN_INSTANCE, 8080).await;

    assert_envelope_error(LIST, &listed, 404, UNKNOWN_INSTANCE);
    assert_envelope_error(OPEN, &opened, 404, UNKNOWN_INSTANCE);
    assert_envelope_error(CLOSE, &closed, 404, UNKNOWN_INSTANCE);
    assert_eq!(list(&mock, UNKNOWN_INSTANCE).await.status, 404);
}

#[tokio::test]
async fn a_port_out_of_range_is_a_400_naming_port_and_opens_nothing() {
    let mock = start_mock().await;

    for port in [
        json!(0),
        json!(65536),
        json!(1e300),
        json!(80.5),
        json!(-1),
        json!("80"),
    ] {
        let got = post(
            &mock,
            INSTANCE,
            "open-port",
            json!({"protocol": "http", "port": port}),
        )
        .await;

        assert_envelope_error(OPEN, &got, 400, "port");
    }
    assert_eq!(custom_ports(&mock, INSTANCE).await, json!([]));
}

#[tokio::test]
async fn a_whole_port_written_with_a_fraction_is_read_as_that_port() {
    let mock = start_mock().await;

    let got = post(
        &mock,
        INSTANCE,
        "open-port",
        json!({"protocol": "http", "port": 8080.0}),
    )
    .await;

    assert_eq!(got.status, 200, "{}", got.text);
    assert_eq!(got.json()["data"]["port"], 8080);
}

#[tokio::test]
async fn a_missing_or_empty_protocol_is_a_400_naming_protocol() {
    let mock = start_mock().await;

    let missing = post(&mock, INSTANCE, "open-port", json!({"port": 8080})).await;
    let empty = open(&mock, INSTANCE, "", 8080).await;

    assert_envelope_error(OPEN, &missing, 400, "protocol");
    assert_envelope_error(OPEN, &empty, 400, "protocol");
    assert_eq!(custom_ports(&mock, INSTANCE).await, json!([]));
}

#[tokio::test]
async fn close_without_port_is_a_400_naming_port() {
    let mock = start_mock().await;

    let got = post(&mock, INSTANCE, "close-port", json!({})).await;

    assert_envelope_error(CLOSE, &got, 400, "port");
}

#[tokio::test]
async fn malformed_json_is_a_400_envelope() {
    let mock = start_mock().await;

    let got = send(
        client()
            .post(url(&mock, INSTANCE, "open-port"))
            .header("authorization", bearer())
            .header("content-type", "application/json")
            .body("{\"port\": 80,"),
    )
    .await;

    assert_envelope_error(OPEN, &got, 400, "JSON");
}

#[tokio::test]
async fn a_non_json_content_type_is_a_400_envelope() {
    let mock = start_mock().await;

    let got = send(
        client()
            .post(url(&mock, INSTANCE, "close-port"))
            .header("authorization", bearer())
            .header("content-type", "text/plain")
            .body("{\"port\": 80}"),
    )
    .await;

    assert_envelope_error(CLOSE, &got, 400, "content type");
}

#[tokio::test]
async fn a_missing_body_is_a_400_envelope() {
    let mock = start_mock().await;

    let got = send(
        client()
            .post(url(&mock, INSTANCE, "open-port"))
            .header("authorization", bearer()),
    )
    .await;

    assert_envelope_error(OPEN, &got, 400, "body");
}

#[tokio::test]
async fn a_missing_credential_is_a_401_envelope() {
    let mock = start_mock().await;

    let got = send(client().get(url(&mock, INSTANCE, "open-port/list"))).await;

    assert_envelope_error(LIST, &got, 401, "Unauthorized");
}

#[tokio::test]
async fn a_wrong_api_key_is_a_401_envelope() {
    let mock = start_mock().await;

    let got = send(
        client()
            .get(url(&mock, INSTANCE, "open-port/list"))
            .header("authorization", "Bearer not-the-key"),
    )
    .await;

    assert_envelope_error(LIST, &got, 401, "Unauthorized");
}

#[tokio::test]
async fn another_scheme_than_bearer_is_a_401_envelope_and_opens_nothing() {
    let mock = start_mock().await;

    let got = send(
        client()
            .post(url(&mock, INSTANCE, "open-port"))
            .header("authorization", format!("Basic {DEFAULT_TOKEN}"))
            .json(&json!({"protocol": "http", "port": 8080})),
    )
    .await;

    assert_envelope_error(OPEN, &got, 401, "Unauthorized");
    assert_eq!(custom_ports(&mock, INSTANCE).await, json!([]));
}

#[tokio::test]
async fn an_unknown_path_under_v1_cci_is_a_404_envelope() {
    let mock = start_mock().await;

    let got = send(
        client()
            .get(url(&mock, INSTANCE, "open-port/all"))
            .header("authorization", bearer()),
    )
    .await;

    assert_eq!(got.status, 404, "{}", got.text);
    assert_eq!(
        got.json(),
        json!({"status": 404, "message": "Not Found", "data": {}})
    );
}

#[tokio::test]
async fn a_wrong_method_is_a_405_envelope_with_allow() {
    let mock = start_mock().await;

    let got = send(
        client()
            .get(url(&mock, INSTANCE, "open-port"))
            .header("authorization", bearer()),
    )
    .await;

    assert_eq!(got.status, 405, "{}", got.text);
    assert_eq!(got.json()["status"], 405);
    assert_eq!(
        got.headers.get("allow").and_then(|v| v.to_str().ok()),
        Some("POST")
    );
}
