//! Alaya NeW CCI open ports on the mock, black-box over loopback HTTP.

mod support;

use reqwest::Method;
use rstest::rstest;
use serde_json::{Value, json};
use support::{Body, Got, TestMock, Vendor, assert_conforms};
use vouch::mock::DEFAULT_TOKEN;

const LIST: &str = "alaya-cci.listOpenPorts";
const OPEN: &str = "alaya-cci.openPort";
const CLOSE: &str = "alaya-cci.closePort";
/// Fixture instance on 192.168.1.1 with system ports 22 (31022) and 8888 (31888).
const INSTANCE: &str = "08ba7a0e-af00-4072-a5e5-1298ed6c1aa0";
/// Fixture instance on 192.168.1.2 with system port 22 on external port 30000.
const OTHER_INSTANCE: &str = "5c3e9a41-7d2b-4f60-9b8e-2a61c0d4f7e3";
const UNKNOWN_INSTANCE: &str = "00000000-0000-4000-8000-000000000000";

async fn start() -> TestMock {
    TestMock::start(Vendor::AlayaCci).await
}

fn path(instance: &str, action: &str) -> String {
    format!("/v1/cci/instance/{instance}/{action}")
}

async fn list(mock: &TestMock, instance: &str) -> Got {
    mock.get(&path(instance, "open-port/list")).await
}

async fn post(mock: &TestMock, instance: &str, action: &str, body: Value) -> Got {
    mock.post(&path(instance, action), body).await
}

async fn open(mock: &TestMock, instance: &str, protocol: &str, port: u16) -> Got {
    post(
        mock,
        instance,
        "open-port",
        json!({"protocol": protocol, "port": port}),
    )
    .await
}

async fn close(mock: &TestMock, instance: &str, port: u16) -> Got {
    post(mock, instance, "close-port", json!({"port": port})).await
}

async fn custom_ports(mock: &TestMock, instance: &str) -> Value {
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
    let mock = start().await;

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
    let mock = start().await;

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
    let mock = start().await;
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
    let mock = start().await;

    let first = open(&mock, OTHER_INSTANCE, "http", 8080).await.json();
    let second = open(&mock, OTHER_INSTANCE, "http", 8081).await.json();

    // 30000 is the external port of the fixture's ssh system port on 192.168.1.2.
    assert_eq!(first["data"]["externalPort"], 30001);
    assert_eq!(second["data"]["externalPort"], 30002);
}

#[tokio::test]
async fn opening_a_port_on_one_instance_leaves_the_other_unchanged() {
    let mock = start().await;

    open(&mock, INSTANCE, "http", 8080).await;

    assert_eq!(custom_ports(&mock, OTHER_INSTANCE).await, json!([]));
}

#[tokio::test]
async fn opening_an_already_open_custom_port_is_refused_and_the_list_is_unchanged() {
    let mock = start().await;
    open(&mock, INSTANCE, "http", 8080).await;
    let before = custom_ports(&mock, INSTANCE).await;

    let got = open(&mock, INSTANCE, "tcp", 8080).await;

    assert_envelope_error(OPEN, &got, 400, "8080");
    assert_eq!(custom_ports(&mock, INSTANCE).await, before);
}

#[tokio::test]
async fn opening_a_system_port_is_refused() {
    let mock = start().await;

    let got = open(&mock, INSTANCE, "tcp", 22).await;

    assert_envelope_error(OPEN, &got, 400, "22");
    assert_eq!(custom_ports(&mock, INSTANCE).await, json!([]));
}

#[tokio::test]
async fn close_port_removes_the_custom_port_from_the_list() {
    let mock = start().await;
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
    let mock = start().await;
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
    let mock = start().await;

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
    let mock = start().await;
    open(&mock, INSTANCE, "http", 8080).await;

    let got = close(&mock, INSTANCE, 9090).await;

    assert_envelope_error(CLOSE, &got, 400, "9090 is not open");
    assert_eq!(
        custom_ports(&mock, INSTANCE).await.as_array().map(Vec::len),
        Some(1)
    );
}

#[rstest]
#[case::list(LIST, Method::GET, "open-port/list", Body::None)]
#[case::open(OPEN, Method::POST, "open-port", Body::Json(json!({"protocol": "http", "port": 8080})))]
#[case::close(CLOSE, Method::POST, "close-port", Body::Json(json!({"port": 8080})))]
#[tokio::test]
async fn an_unknown_instance_is_a_404_envelope(
    #[case] operation: &str,
    #[case] method: Method,
    #[case] action: &str,
    #[case] body: Body,
) {
    let mock = start().await;

    let got = mock
        .call(method, &path(UNKNOWN_INSTANCE, action), body)
        .await;

    assert_envelope_error(operation, &got, 404, UNKNOWN_INSTANCE);
    assert_eq!(list(&mock, UNKNOWN_INSTANCE).await.status, 404);
}

#[rstest]
#[case::zero(json!(0))]
#[case::above_65535(json!(65536))]
#[case::huge_float(json!(1e300))]
#[case::fraction(json!(80.5))]
#[case::negative(json!(-1))]
#[case::string(json!("80"))]
#[tokio::test]
async fn a_port_out_of_range_is_a_400_naming_port_and_opens_nothing(#[case] port: Value) {
    let mock = start().await;

    let got = post(
        &mock,
        INSTANCE,
        "open-port",
        json!({"protocol": "http", "port": port}),
    )
    .await;

    assert_envelope_error(OPEN, &got, 400, "port");
    assert_eq!(custom_ports(&mock, INSTANCE).await, json!([]));
}

#[tokio::test]
async fn a_whole_port_written_with_a_fraction_is_read_as_that_port() {
    let mock = start().await;

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

#[rstest]
#[case::missing(json!({"port": 8080}))]
#[case::empty(json!({"protocol": "", "port": 8080}))]
#[tokio::test]
async fn a_missing_or_empty_protocol_is_a_400_naming_protocol(#[case] body: Value) {
    let mock = start().await;

    let got = post(&mock, INSTANCE, "open-port", body).await;

    assert_envelope_error(OPEN, &got, 400, "protocol");
    assert_eq!(custom_ports(&mock, INSTANCE).await, json!([]));
}

#[tokio::test]
async fn close_without_port_is_a_400_naming_port() {
    let mock = start().await;

    let got = post(&mock, INSTANCE, "close-port", json!({})).await;

    assert_envelope_error(CLOSE, &got, 400, "port");
}

#[rstest]
#[case::malformed_json(
    OPEN,
    "open-port",
    Body::Raw("application/json", "{\"port\": 80,"),
    "JSON"
)]
#[case::non_json_content_type(
    CLOSE,
    "close-port",
    Body::Raw("text/plain", "{\"port\": 80}"),
    "content type"
)]
#[case::missing_body(OPEN, "open-port", Body::None, "body")]
#[tokio::test]
async fn an_unreadable_body_is_a_400_envelope(
    #[case] operation: &str,
    #[case] action: &str,
    #[case] body: Body,
    #[case] mention: &str,
) {
    let mock = start().await;

    let got = mock.call(Method::POST, &path(INSTANCE, action), body).await;

    assert_envelope_error(operation, &got, 400, mention);
}

#[rstest]
#[case::missing_credential(LIST, Method::GET, "open-port/list", None, Body::None)]
#[case::wrong_api_key(LIST, Method::GET, "open-port/list", Some("Bearer not-the-key".to_string()), Body::None)]
#[case::basic_scheme(OPEN, Method::POST, "open-port", Some(format!("Basic {DEFAULT_TOKEN}")), Body::Json(json!({"protocol": "http", "port": 8080})))]
#[tokio::test]
async fn a_request_without_the_bearer_api_key_is_a_401_envelope_and_opens_nothing(
    #[case] operation: &str,
    #[case] method: Method,
    #[case] action: &str,
    #[case] authorization: Option<String>,
    #[case] body: Body,
) {
    let mock = start().await;
    let request = mock.authorized_as(method, &path(INSTANCE, action), authorization.as_deref());

    let got = mock.send(body.apply(request)).await;

    assert_envelope_error(operation, &got, 401, "Unauthorized");
    assert_eq!(custom_ports(&mock, INSTANCE).await, json!([]));
}

#[tokio::test]
async fn an_unknown_path_under_v1_cci_is_a_404_envelope() {
    let mock = start().await;

    let got = mock.get(&path(INSTANCE, "open-port/all")).await;

    assert_eq!(got.status, 404, "{}", got.text);
    assert_eq!(
        got.json(),
        json!({"status": 404, "message": "Not Found", "data": {}})
    );
}

#[tokio::test]
async fn a_wrong_method_is_a_405_envelope_with_allow() {
    let mock = start().await;

    let got = mock.get(&path(INSTANCE, "open-port")).await;

    assert_eq!(got.status, 405, "{}", got.text);
    assert_eq!(got.json()["status"], 405);
    assert_eq!(got.header("allow"), Some("POST"));
}
