//! The Huawei Cloud APIG mock (custom ingress ports), black-box over loopback HTTP:
//! every operation, every rule of vendor-notes, the error envelope and auth.

mod support;

use reqwest::{Method, RequestBuilder};
use rstest::rstest;
use serde_json::{Value, json};
use support::{Body, Got, TestMock, Vendor, assert_conforms};
use vouch::mock::DEFAULT_TOKEN;

const PROJECT: &str = "05602623488025ea2f1ac01f1d3f1e2b";
/// The fixture gateway with ports 8080 (HTTP, three domains) and 8443 (HTTPS).
const GATEWAY: &str = "eddc4d25480b4cd6b512f270a1b8b341";
/// The fixture gateway without custom ports.
const EMPTY_GATEWAY: &str = "5b2f0c8e7d6a4e1f9c3b2a1d0e9f8a7b";
const HTTP_PORT_ID: &str = "0ae98839d78043d8a6dff54d7cb096dc";
const HTTPS_PORT_ID: &str = "6f1c2a4b9e3d47a0b5c8d2e1f0a9b7c6";
const UNKNOWN_PORT_ID: &str = "ffffffffffffffffffffffffffffffff";
const UNKNOWN_GATEWAY: &str = "00000000000000000000000000000000";
const UNKNOWN_PROJECT: &str = "11111111111111111111111111111111";

const ADD: &str = "huawei-apig.addIngressPort";
const LIST: &str = "huawei-apig.listIngressPorts";
const DELETE: &str = "huawei-apig.deleteIngressPort";
const DOMAINS: &str = "huawei-apig.listIngressPortDomains";

async fn start() -> TestMock {
    TestMock::start(Vendor::HuaweiApig).await
}

fn ports_path(project: &str, gateway: &str) -> String {
    format!("/v2/{project}/apigw/instances/{gateway}/custom-ingress-ports")
}

fn port_path(gateway: &str, port_id: &str) -> String {
    format!("{}/{port_id}", ports_path(PROJECT, gateway))
}

async fn add(mock: &TestMock, gateway: &str, body: Value) -> Got {
    mock.post(&ports_path(PROJECT, gateway), body).await
}

async fn list(mock: &TestMock, gateway: &str, query: &str) -> Got {
    mock.get(&format!("{}?{query}", ports_path(PROJECT, gateway)))
        .await
}

async fn delete(mock: &TestMock, gateway: &str, port_id: &str) -> Got {
    mock.delete(&port_path(gateway, port_id)).await
}

async fn domains(mock: &TestMock, gateway: &str, port_id: &str, query: &str) -> Got {
    mock.get(&format!("{}/domains?{query}", port_path(gateway, port_id)))
        .await
}

/// The port numbers of a list answer, in order.
fn port_numbers(got: &Got) -> Vec<u64> {
    let body = got.json();
    let infos = body["ingress_port_infos"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    infos
        .iter()
        .filter_map(|p| p["ingress_port"].as_u64())
        .collect()
}

/// The fixture gateway's ports, by number, as the list shows them.
async fn gateway_ports(mock: &TestMock) -> Vec<u64> {
    port_numbers(&list(mock, GATEWAY, "limit=500").await)
}

fn assert_apig_error(got: &Got, status: u16, code: &str) {
    assert_eq!(got.status, status, "{got:?}");
    let body = got.json();
    assert_eq!(body["error_code"], code, "{got:?}");
    assert!(
        body["error_msg"].as_str().is_some_and(|m| !m.is_empty()),
        "{got:?}"
    );
}

fn assert_names_parameter(got: &Got, field: &str) {
    assert_apig_error(got, 400, "APIC.7211");
    assert_eq!(
        got.json()["error_msg"],
        format!("Parameter value does not match the rules, parameter name[{field}]")
    );
}

// ---- add ----

#[tokio::test]
async fn add_answers_201_with_a_32_hex_id_and_status_normal_and_the_port_is_listed() {
    let mock = start().await;

    let got = add(
        &mock,
        GATEWAY,
        json!({"protocol": "HTTP", "ingress_port": 9090}),
    )
    .await;

    assert_eq!(got.status, 201, "{got:?}");
    assert_conforms(ADD, &got);
    let port = got.json();
    let id = port["ingress_port_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(id.len(), 32);
    assert!(id.chars().all(|c| c.is_ascii_hexdigit()), "{id}");
    assert_eq!(port["protocol"], "HTTP");
    assert_eq!(port["ingress_port"], 9090);
    assert_eq!(port["status"], "normal");
    let listed = list(&mock, GATEWAY, "ingress_port=9090").await.json();
    assert_eq!(listed["ingress_port_infos"], json!([port]));
}

#[tokio::test]
async fn add_gives_each_new_port_its_own_id() {
    let mock = start().await;

    let first = add(
        &mock,
        EMPTY_GATEWAY,
        json!({"protocol": "HTTP", "ingress_port": 2000}),
    )
    .await
    .json();
    let second = add(
        &mock,
        EMPTY_GATEWAY,
        json!({"protocol": "HTTPS", "ingress_port": 2001}),
    )
    .await
    .json();

    assert_ne!(first["ingress_port_id"], second["ingress_port_id"]);
}

#[tokio::test]
async fn add_accepts_the_bounds_1024_and_49151() {
    let mock = start().await;

    let low = add(
        &mock,
        EMPTY_GATEWAY,
        json!({"protocol": "HTTP", "ingress_port": 1024}),
    )
    .await;
    let high = add(
        &mock,
        EMPTY_GATEWAY,
        json!({"protocol": "HTTPS", "ingress_port": 49151}),
    )
    .await;

    assert_eq!((low.status, high.status), (201, 201), "{low:?} {high:?}");
    assert_eq!(
        port_numbers(&list(&mock, EMPTY_GATEWAY, "").await),
        vec![1024, 49151]
    );
}

/// Each body is refused with APIC.7211 naming `field`, conforms, and the gateway keeps its ports.
#[rstest]
#[case::port_below_1024(json!({"protocol": "HTTP", "ingress_port": 1023}), "ingress_port")]
#[case::port_above_49151(json!({"protocol": "HTTP", "ingress_port": 49152}), "ingress_port")]
#[case::port_zero(json!({"protocol": "HTTP", "ingress_port": 0}), "ingress_port")]
#[case::port_negative(json!({"protocol": "HTTP", "ingress_port": -1}), "ingress_port")]
#[case::port_fractional(json!({"protocol": "HTTP", "ingress_port": 9090.5}), "ingress_port")]
#[case::port_huge_float(json!({"protocol": "HTTP", "ingress_port": 1e30}), "ingress_port")]
#[case::port_u64_max(json!({"protocol": "HTTP", "ingress_port": u64::MAX}), "ingress_port")]
#[case::port_as_string(json!({"protocol": "HTTP", "ingress_port": "9090"}), "ingress_port")]
#[case::protocol_tcp(json!({"protocol": "TCP", "ingress_port": 9090}), "protocol")]
#[case::protocol_lowercase(json!({"protocol": "http", "ingress_port": 9090}), "protocol")]
#[case::protocol_a_number(json!({"protocol": 1, "ingress_port": 9090}), "protocol")]
#[case::missing_port(json!({"protocol": "HTTP"}), "ingress_port")]
#[case::missing_protocol(json!({"ingress_port": 9090}), "protocol")]
#[case::body_not_an_object(json!([{"protocol": "HTTP", "ingress_port": 9090}]), "body")]
#[tokio::test]
async fn add_refuses_a_bad_body_naming_the_parameter_and_changes_nothing(
    #[case] body: Value,
    #[case] field: &str,
) {
    let mock = start().await;

    let got = add(&mock, GATEWAY, body).await;

    assert_names_parameter(&got, field);
    assert_conforms(ADD, &got);
    assert_eq!(gateway_ports(&mock).await, vec![8080, 8443]);
}

#[rstest]
#[case::http_80("HTTP", 80)]
#[case::https_443("HTTPS", 443)]
#[tokio::test]
async fn the_default_ports_80_and_443_cannot_be_added_and_are_never_listed(
    #[case] protocol: &str,
    #[case] port: u16,
) {
    let mock = start().await;

    let got = add(
        &mock,
        EMPTY_GATEWAY,
        json!({"protocol": protocol, "ingress_port": port}),
    )
    .await;

    assert_names_parameter(&got, "ingress_port");
    let listed = list(&mock, EMPTY_GATEWAY, "").await;
    assert_eq!(
        listed.json(),
        json!({"size": 0, "total": 0, "ingress_port_infos": []})
    );
    assert_conforms(LIST, &listed);
}

#[tokio::test]
async fn add_refuses_a_port_number_the_gateway_has_with_the_same_protocol() {
    let mock = start().await;

    let got = add(
        &mock,
        GATEWAY,
        json!({"protocol": "HTTP", "ingress_port": 8080}),
    )
    .await;

    assert_apig_error(&got, 400, "APIC.7200");
    assert_conforms(ADD, &got);
    assert_eq!(gateway_ports(&mock).await, vec![8080, 8443]);
}

#[tokio::test]
async fn add_refuses_a_port_number_the_gateway_has_with_the_other_protocol() {
    let mock = start().await;

    let got = add(
        &mock,
        GATEWAY,
        json!({"protocol": "HTTP", "ingress_port": 8443}),
    )
    .await;

    assert_apig_error(&got, 400, "APIC.7200");
    assert_conforms(ADD, &got);
    let listed = list(&mock, GATEWAY, "ingress_port=8443").await.json();
    assert_eq!(listed["total"], 1);
    assert_eq!(listed["ingress_port_infos"][0]["protocol"], "HTTPS");
}

#[tokio::test]
async fn a_port_number_used_on_one_gateway_can_be_added_on_another() {
    let mock = start().await;

    let got = add(
        &mock,
        EMPTY_GATEWAY,
        json!({"protocol": "HTTPS", "ingress_port": 8080}),
    )
    .await;

    assert_eq!(got.status, 201, "{got:?}");
    assert_eq!(
        port_numbers(&list(&mock, EMPTY_GATEWAY, "").await),
        vec![8080]
    );
}

#[tokio::test]
async fn a_deleted_port_number_can_be_added_again_with_another_protocol() {
    let mock = start().await;
    assert_eq!(delete(&mock, GATEWAY, HTTP_PORT_ID).await.status, 204);

    let got = add(
        &mock,
        GATEWAY,
        json!({"protocol": "HTTPS", "ingress_port": 8080}),
    )
    .await;

    assert_eq!(got.status, 201, "{got:?}");
    let listed = list(&mock, GATEWAY, "ingress_port=8080").await.json();
    assert_eq!(listed["ingress_port_infos"][0]["protocol"], "HTTPS");
}

#[rstest]
#[case::without_a_body(Body::Bare("application/json"))]
#[case::malformed_json(Body::Raw(
    "application/json",
    r#"{"protocol": "HTTP", "ingress_port": 9090"#
))]
#[case::non_json_content_type(Body::Raw(
    "text/plain",
    r#"{"protocol": "HTTP", "ingress_port": 9090}"#
))]
#[tokio::test]
async fn add_with_an_unreadable_body_is_refused_and_changes_nothing(#[case] body: Body) {
    let mock = start().await;

    let got = mock
        .call(Method::POST, &ports_path(PROJECT, GATEWAY), body)
        .await;

    assert_apig_error(&got, 400, "APIC.7211");
    assert_conforms(ADD, &got);
    assert_eq!(gateway_ports(&mock).await, vec![8080, 8443]);
}

// ---- list ----

#[tokio::test]
async fn list_shows_the_fixture_ports_with_size_and_total() {
    let mock = start().await;

    let got = list(&mock, GATEWAY, "").await;

    assert_eq!(got.status, 200, "{got:?}");
    assert_conforms(LIST, &got);
    assert_eq!(
        got.json(),
        json!({
            "size": 2,
            "total": 2,
            "ingress_port_infos": [
                {"protocol": "HTTP", "ingress_port": 8080, "ingress_port_id": HTTP_PORT_ID, "status": "normal"},
                {"protocol": "HTTPS", "ingress_port": 8443, "ingress_port_id": HTTPS_PORT_ID, "status": "normal"},
            ]
        })
    );
}

#[tokio::test]
async fn list_filters_by_protocol() {
    let mock = start().await;

    let got = list(&mock, GATEWAY, "protocol=HTTPS").await;

    assert_conforms(LIST, &got);
    assert_eq!(port_numbers(&got), vec![8443]);
    assert_eq!(got.json()["total"], 1);
}

#[tokio::test]
async fn list_filters_by_ingress_port() {
    let mock = start().await;

    let hit = list(&mock, GATEWAY, "ingress_port=8080").await;
    let miss = list(&mock, GATEWAY, "ingress_port=9999").await;

    assert_eq!(port_numbers(&hit), vec![8080]);
    assert_eq!(
        miss.json(),
        json!({"size": 0, "total": 0, "ingress_port_infos": []})
    );
    assert_conforms(LIST, &miss);
}

#[tokio::test]
async fn list_combines_the_filters() {
    let mock = start().await;

    let got = list(&mock, GATEWAY, "protocol=HTTP&ingress_port=8443").await;

    assert_eq!(got.json()["total"], 0);
}

#[tokio::test]
async fn list_pages_with_offset_and_limit_size_counting_the_page_and_total_all() {
    let mock = start().await;

    let first = list(&mock, GATEWAY, "offset=0&limit=1").await;
    let second = list(&mock, GATEWAY, "offset=1&limit=1").await;
    let beyond = list(&mock, GATEWAY, "offset=5&limit=1").await;

    assert_eq!(
        (
            port_numbers(&first),
            first.json()["size"].clone(),
            first.json()["total"].clone()
        ),
        (vec![8080], json!(1), json!(2))
    );
    assert_eq!(
        (
            port_numbers(&second),
            second.json()["size"].clone(),
            second.json()["total"].clone()
        ),
        (vec![8443], json!(1), json!(2))
    );
    assert_eq!(
        beyond.json(),
        json!({"size": 0, "total": 2, "ingress_port_infos": []})
    );
    assert_conforms(LIST, &beyond);
}

#[tokio::test]
async fn list_turns_a_negative_offset_into_zero() {
    let mock = start().await;

    let got = list(&mock, GATEWAY, "offset=-3").await;

    assert_eq!(got.status, 200, "{got:?}");
    assert_conforms(LIST, &got);
    assert_eq!(port_numbers(&got), vec![8080, 8443]);
}

/// Adds ports 2000, 2001, ... to the empty gateway, over the test's keep-alive client.
async fn fill_empty_gateway(mock: &TestMock, count: u64) {
    for port in 2000..2000 + count {
        let got = add(
            mock,
            EMPTY_GATEWAY,
            json!({"protocol": "HTTP", "ingress_port": port}),
        )
        .await;
        assert_eq!(got.status, 201, "{got:?}");
    }
}

/// With `ports` stored, the list answers `size` of them for `query`.
#[rstest]
#[case::default_limit_is_20(22, "", 20)]
#[case::limit_zero_is_20(22, "limit=0", 20)]
#[case::negative_limit_is_20(22, "limit=-1", 20)]
#[case::limit_501_is_500(501, "limit=501", 500)]
#[case::int32_max_limit_is_500(501, "limit=2147483647", 500)]
#[tokio::test]
async fn list_pages_by_20_by_default_and_by_500_at_most(
    #[case] ports: u64,
    #[case] query: &str,
    #[case] size: u64,
) {
    let mock = start().await;
    fill_empty_gateway(&mock, ports).await;

    let got = list(&mock, EMPTY_GATEWAY, query).await;

    assert_eq!(got.status, 200, "{query}: {got:?}");
    assert_conforms(LIST, &got);
    assert_eq!(
        (got.json()["size"].clone(), got.json()["total"].clone()),
        (json!(size), json!(ports)),
        "{query}"
    );
}

#[rstest]
#[case::protocol_tcp("protocol=TCP", "protocol")]
#[case::ingress_port_80("ingress_port=80", "ingress_port")]
#[case::ingress_port_not_a_number("ingress_port=eighty", "ingress_port")]
#[case::offset_not_a_number("offset=first", "offset")]
#[case::offset_too_large("offset=99999999999999999999999", "offset")]
#[case::limit_fractional("limit=1.5", "limit")]
#[case::limit_beyond_int32("limit=9999999999", "limit")]
#[tokio::test]
async fn list_refuses_a_bad_filter_or_page_value_naming_the_parameter(
    #[case] query: &str,
    #[case] field: &str,
) {
    let mock = start().await;

    let got = list(&mock, GATEWAY, query).await;

    assert_names_parameter(&got, field);
    assert_conforms(LIST, &got);
}

// ---- delete ----

#[tokio::test]
async fn delete_answers_204_with_an_empty_body_and_the_port_leaves_the_list() {
    let mock = start().await;

    let got = delete(&mock, GATEWAY, HTTP_PORT_ID).await;

    assert_eq!(got.status, 204, "{got:?}");
    assert!(got.text.is_empty(), "{got:?}");
    assert_conforms(DELETE, &got);
    assert_eq!(gateway_ports(&mock).await, vec![8443]);
}

#[tokio::test]
async fn deleting_a_port_already_deleted_answers_400_apic_7200() {
    let mock = start().await;
    assert_eq!(delete(&mock, GATEWAY, HTTPS_PORT_ID).await.status, 204);

    let got = delete(&mock, GATEWAY, HTTPS_PORT_ID).await;

    assert_apig_error(&got, 400, "APIC.7200");
    assert_conforms(DELETE, &got);
    assert_eq!(gateway_ports(&mock).await, vec![8080]);
}

#[tokio::test]
async fn deleting_a_port_that_never_existed_answers_400_apic_7200_and_changes_nothing() {
    let mock = start().await;

    let got = delete(&mock, GATEWAY, UNKNOWN_PORT_ID).await;

    assert_apig_error(&got, 400, "APIC.7200");
    assert_conforms(DELETE, &got);
    assert_eq!(gateway_ports(&mock).await, vec![8080, 8443]);
}

#[tokio::test]
async fn deleting_a_port_of_another_gateway_answers_400_apic_7200_and_keeps_it() {
    let mock = start().await;

    let got = delete(&mock, EMPTY_GATEWAY, HTTP_PORT_ID).await;

    assert_apig_error(&got, 400, "APIC.7200");
    assert_eq!(gateway_ports(&mock).await, vec![8080, 8443]);
}

#[tokio::test]
async fn delete_refuses_an_id_of_the_wrong_length_naming_ingress_port_id() {
    let mock = start().await;

    let got = delete(&mock, GATEWAY, "short").await;

    assert_names_parameter(&got, "ingress_port_id");
    assert_conforms(DELETE, &got);
}

#[tokio::test]
async fn an_added_port_can_be_deleted_by_its_id() {
    let mock = start().await;
    let added = add(
        &mock,
        GATEWAY,
        json!({"protocol": "HTTPS", "ingress_port": 9443}),
    )
    .await
    .json();
    let id = added["ingress_port_id"]
        .as_str()
        .unwrap_or_default()
        .to_string();

    let got = delete(&mock, GATEWAY, &id).await;

    assert_eq!(got.status, 204, "{got:?}");
    assert_eq!(gateway_ports(&mock).await, vec![8080, 8443]);
}

// ---- bound domains ----

#[tokio::test]
async fn bound_domains_come_from_the_fixtures() {
    let mock = start().await;

    let got = domains(&mock, GATEWAY, HTTP_PORT_ID, "").await;

    assert_eq!(got.status, 200, "{got:?}");
    assert_conforms(DOMAINS, &got);
    assert_eq!(
        got.json(),
        json!({
            "size": 3,
            "total": 3,
            "domain_infos": [
                {"group_id": "c77f5e81d9cb4424bf704ef2b0ac7600", "group_name": "api_group_001", "domain_name": "www.example.com"},
                {"group_id": "c77f5e81d9cb4424bf704ef2b0ac7600", "group_name": "api_group_001", "domain_name": "api.example.com"},
                {"group_id": "3f6b1d2e8a9c4b7d8e0f1a2b3c4d5e6f", "group_name": "shop_apis", "domain_name": "shop.example.net"},
            ]
        })
    );
}

#[tokio::test]
async fn bound_domains_page_with_offset_and_limit() {
    let mock = start().await;

    let got = domains(&mock, GATEWAY, HTTP_PORT_ID, "offset=1&limit=1").await;
    let clamped = domains(&mock, GATEWAY, HTTP_PORT_ID, "offset=-1&limit=0").await;

    assert_conforms(DOMAINS, &got);
    let body = got.json();
    assert_eq!(
        (body["size"].clone(), body["total"].clone()),
        (json!(1), json!(3))
    );
    assert_eq!(body["domain_infos"][0]["domain_name"], "api.example.com");
    assert_eq!(
        (
            clamped.json()["size"].clone(),
            clamped.json()["total"].clone()
        ),
        (json!(3), json!(3))
    );
}

#[tokio::test]
async fn bound_domains_filter_by_domain_name() {
    let mock = start().await;

    let got = domains(&mock, GATEWAY, HTTP_PORT_ID, "domain_name=shop.example.net").await;

    let body = got.json();
    assert_eq!(body["total"], 1);
    assert_eq!(body["domain_infos"][0]["group_name"], "shop_apis");
}

#[tokio::test]
async fn a_port_without_bound_domains_lists_none() {
    let mock = start().await;

    let got = domains(&mock, GATEWAY, HTTPS_PORT_ID, "").await;

    assert_conforms(DOMAINS, &got);
    assert_eq!(
        got.json(),
        json!({"size": 0, "total": 0, "domain_infos": []})
    );
}

#[rstest]
#[case::unknown_port(UNKNOWN_PORT_ID)]
#[case::deleted_port(HTTP_PORT_ID)]
#[tokio::test]
async fn bound_domains_of_an_unknown_or_deleted_port_answer_400_apic_7200(#[case] port_id: &str) {
    let mock = start().await;
    assert_eq!(delete(&mock, GATEWAY, HTTP_PORT_ID).await.status, 204);

    let got = domains(&mock, GATEWAY, port_id, "").await;

    assert_apig_error(&got, 400, "APIC.7200");
    assert_conforms(DOMAINS, &got);
}

#[tokio::test]
async fn bound_domains_refuse_a_bad_page_value_naming_the_parameter() {
    let mock = start().await;

    let got = domains(&mock, GATEWAY, HTTP_PORT_ID, "limit=many").await;

    assert_names_parameter(&got, "limit");
    assert_conforms(DOMAINS, &got);
}

// ---- unknown project or gateway ----

/// A valid request of `operation` against `project`/`gateway` (and the fixture HTTP port), without credential.
fn valid_request(mock: &TestMock, operation: &str, project: &str, gateway: &str) -> RequestBuilder {
    let ports = ports_path(project, gateway);
    let port = format!("{ports}/{HTTP_PORT_ID}");
    match operation {
        ADD => mock
            .anonymous(Method::POST, &ports)
            .json(&json!({"protocol": "HTTP", "ingress_port": 9090})),
        LIST => mock.anonymous(Method::GET, &ports),
        DELETE => mock.anonymous(Method::DELETE, &port),
        _ => mock.anonymous(Method::GET, &format!("{port}/domains")),
    }
}

/// A valid request of `operation` against `project`/`gateway`, with the token.
async fn call(mock: &TestMock, operation: &str, project: &str, gateway: &str) -> Got {
    let request = valid_request(mock, operation, project, gateway);
    mock.send(request.header("X-Auth-Token", DEFAULT_TOKEN))
        .await
}

#[rstest]
#[case::unknown_gateway(PROJECT, UNKNOWN_GATEWAY)]
#[case::unknown_project_with_a_known_gateway(UNKNOWN_PROJECT, GATEWAY)]
#[tokio::test]
async fn an_unknown_project_or_gateway_answers_404_apic_7302_instance_not_found(
    #[case] project: &str,
    #[case] gateway: &str,
    #[values(ADD, LIST, DELETE, DOMAINS)] operation: &str,
) {
    let mock = start().await;

    let got = call(&mock, operation, project, gateway).await;

    assert_apig_error(&got, 404, "APIC.7302");
    assert_eq!(got.json()["error_msg"], "Instance not found", "{operation}");
    assert_conforms(operation, &got);
    assert_eq!(gateway_ports(&mock).await, vec![8080, 8443]);
}

// ---- auth ----

#[rstest]
#[tokio::test]
async fn a_missing_token_answers_401_apic_7102_for_every_operation(
    #[values(ADD, LIST, DELETE, DOMAINS)] operation: &str,
) {
    let mock = start().await;

    let got = mock
        .send(valid_request(&mock, operation, PROJECT, GATEWAY))
        .await;

    assert_apig_error(&got, 401, "APIC.7102");
    assert_conforms(operation, &got);
    assert_eq!(gateway_ports(&mock).await, vec![8080, 8443]);
}

#[tokio::test]
async fn a_wrong_token_answers_401_apic_7102_and_changes_nothing() {
    let mock = start().await;

    let got = mock
        .send(
            mock.anonymous(Method::DELETE, &port_path(GATEWAY, HTTP_PORT_ID))
                .header("X-Auth-Token", "not-the-token"),
        )
        .await;

    assert_apig_error(&got, 401, "APIC.7102");
    assert_conforms(DELETE, &got);
    assert_eq!(gateway_ports(&mock).await, vec![8080, 8443]);
}

#[rstest]
#[case::bearer_in_authorization("Authorization")]
#[case::bearer_in_x_auth_token("X-Auth-Token")]
#[tokio::test]
async fn a_token_in_another_scheme_answers_401_apic_7102(#[case] header: &str) {
    let mock = start().await;

    let got = mock
        .send(
            mock.anonymous(Method::GET, &ports_path(PROJECT, GATEWAY))
                .header(header, format!("Bearer {DEFAULT_TOKEN}")),
        )
        .await;

    assert_apig_error(&got, 401, "APIC.7102");
    assert_conforms(LIST, &got);
}

// ---- routing ----

#[rstest]
#[case::unknown_resource(format!("/v2/{PROJECT}/apigw/instances/{GATEWAY}/custom-egress-ports"))]
#[case::instances(format!("/v2/{PROJECT}/apigw/instances"))]
#[case::prefix_only(format!("/v2/{PROJECT}/apigw/"))]
#[tokio::test]
async fn an_unknown_path_under_the_apigw_prefix_answers_a_huawei_404(#[case] path: String) {
    let mock = start().await;

    let got = mock.get(&path).await;

    assert_apig_error(&got, 404, "APIC.7300");
    assert_eq!(got.json()["error_msg"], "API not found", "{path}");
}

#[tokio::test]
async fn a_wrong_method_answers_405_with_allow_in_the_envelope() {
    let mock = start().await;

    let got = mock
        .call(Method::PUT, &ports_path(PROJECT, GATEWAY), Body::None)
        .await;

    assert_eq!(got.status, 405, "{got:?}");
    let allow = got.header("allow").unwrap_or_default();
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
    assert!(
        got.json()["error_code"]
            .as_str()
            .is_some_and(|c| c.starts_with("APIC.")),
        "{got:?}"
    );
    assert!(got.json()["error_msg"].is_string(), "{got:?}");
}

// ---- injected faults: the vendor envelope for the declared statuses nothing else produces ----

#[rstest]
#[case::forbidden(403, "APIC.7106")]
#[case::internal_error(500, "APIC.9000")]
#[tokio::test]
async fn injected_faults_come_in_the_apig_envelope_and_conform(
    #[case] status: u16,
    #[case] code: &str,
    #[values(ADD, LIST, DELETE, DOMAINS)] operation: &str,
) {
    let mock = start().await;
    mock.inject_fault(operation, status).await;

    let got = call(&mock, operation, PROJECT, GATEWAY).await;

    assert_apig_error(&got, status, code);
    assert_conforms(operation, &got);
}
