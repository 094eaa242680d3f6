//! ZStack GetVipUsedPorts on the mock, black-box over loopback HTTP.

mod support;

use reqwest::Method;
use rstest::rstest;
use serde_json::{Value, json};
use support::{Got, TestMock, Vendor, assert_conforms};
use vouch::mock::DEFAULT_TOKEN;

const OP: &str = "zstack.getVipUsedPorts";
/// Fixture VIP with TCP ports 100, 200-202, 204, 1000 and UDP port 53.
const WEB_VIP: &str = "d8474e0dbfe84d47a449bb34979cbcb9";
/// Fixture VIP with TCP ports 8080-8081 and 22 (in that order) and UDP ports 27015-27017.
const GAME_VIP: &str = "4f5f926580f4452a897b05b8f99e67ec";
/// Fixture VIP with no used port.
const IDLE_VIP: &str = "771a6f6fae9d49dca26ae309d137549e";

async fn start() -> TestMock {
    TestMock::start(Vendor::Zstack).await
}

fn used_ports_path(uuid: &str, query: &str) -> String {
    format!("/zstack/v1/vips/{uuid}/usedports{query}")
}

/// GET usedports with the session.
async fn get_used_ports(mock: &TestMock, uuid: &str, query: &str) -> Got {
    mock.get(&used_ports_path(uuid, query)).await
}

/// GET usedports of the web VIP over TCP with this `Authorization` header, or none.
async fn get_with_auth(mock: &TestMock, authorization: Option<&str>) -> Got {
    let path = used_ports_path(WEB_VIP, "?protocol=TCP");
    mock.send(mock.authorized_as(Method::GET, &path, authorization))
        .await
}

fn used_ports(got: &Got) -> Value {
    got.json()["inventories"][0]["usedPorts"].clone()
}

fn assert_api_error(got: &Got, code: &str, details_mention: &str) {
    assert_eq!(got.status, 503, "{}", got.text);
    let error = &got.json()["error"];
    assert_eq!(error["code"], code, "{}", got.text);
    let details = error["details"].as_str().unwrap_or_default();
    assert!(
        details.contains(details_mention),
        "details {details:?} should mention {details_mention:?}"
    );
    assert_conforms(OP, got);
}

fn assert_plain_text(got: &Got, status: u16, text: &str) {
    assert_eq!(got.status, status, "{}", got.text);
    assert!(
        got.content_type
            .as_deref()
            .unwrap_or_default()
            .starts_with("text/plain"),
        "{:?}",
        got.content_type
    );
    assert_eq!(got.text, text);
}

#[tokio::test]
async fn tcp_used_ports_are_strings_with_ranges_expanded_one_port_per_entry() {
    let mock = start().await;

    let got = get_used_ports(&mock, WEB_VIP, "?protocol=TCP").await;

    assert_eq!(got.status, 200, "{}", got.text);
    assert_eq!(
        got.json(),
        json!({"inventories": [{"uuid": WEB_VIP, "protocol": "TCP", "usedPorts": ["100", "200", "201", "202", "204", "1000"]}]})
    );
    assert_conforms(OP, &got);
}

#[tokio::test]
async fn each_protocol_lists_its_own_ranges_sorted_by_first_port() {
    let mock = start().await;

    let udp = get_used_ports(&mock, GAME_VIP, "?protocol=UDP").await;
    let tcp = get_used_ports(&mock, GAME_VIP, "?protocol=TCP").await;

    assert_eq!(udp.json()["inventories"][0]["protocol"], "UDP");
    assert_eq!(used_ports(&udp), json!(["27015", "27016", "27017"]));
    assert_eq!(used_ports(&tcp), json!(["22", "8080", "8081"]));
    assert_conforms(OP, &udp);
}

#[tokio::test]
async fn a_vip_with_no_used_port_gives_an_empty_list() {
    let mock = start().await;

    let got = get_used_ports(&mock, IDLE_VIP, "?protocol=TCP").await;

    assert_eq!(got.status, 200, "{}", got.text);
    assert_eq!(used_ports(&got), json!([]));
    assert_conforms(OP, &got);
}

#[tokio::test]
async fn system_and_user_tags_are_accepted_and_change_nothing() {
    let mock = start().await;

    let got = get_used_ports(
        &mock,
        WEB_VIP,
        "?protocol=UDP&systemTags=a::b&systemTags=c&userTags=team::net",
    )
    .await;

    assert_eq!(got.status, 200, "{}", got.text);
    assert_eq!(used_ports(&got), json!(["53"]));
}

#[rstest]
#[case::lowercase_protocol("?protocol=tcp", "but tcp found")]
#[case::protocol_other_than_tcp_or_udp("?protocol=ICMP", "but ICMP found")]
#[case::missing_protocol("", "is mandatory, can not be null")]
#[tokio::test]
async fn a_bad_protocol_is_an_invalid_argument_naming_protocol(
    #[case] query: &str,
    #[case] details_end: &str,
) {
    let mock = start().await;

    let got = get_used_ports(&mock, WEB_VIP, query).await;

    assert_api_error(&got, "SYS.1007", "field[protocol]");
    let error = &got.json()["error"];
    assert_eq!(error["description"], "One or more API argument is invalid");
    assert!(
        error["details"]
            .as_str()
            .unwrap_or_default()
            .ends_with(details_end),
        "{}",
        got.text
    );
}

#[tokio::test]
async fn a_repeated_protocol_is_refused_by_the_rest_layer_in_plain_text() {
    let mock = start().await;

    let got = get_used_ports(&mock, WEB_VIP, "?protocol=TCP&protocol=UDP").await;

    assert_plain_text(
        &got,
        400,
        "Invalid query parameter[protocol], only one value is allowed for the parameter but multiple values found",
    );
    assert_conforms(OP, &got);
}

#[tokio::test]
async fn an_unknown_vip_uuid_is_resource_not_found() {
    let mock = start().await;
    let unknown = "0123456789abcdef0123456789abcdef";

    let got = get_used_ports(&mock, unknown, "?protocol=TCP").await;

    assert_api_error(
        &got,
        "SYS.1003",
        &format!("resource[uuid:{unknown}, type:VipVO] not found"),
    );
}

#[rstest]
#[case::missing_header(None, "missing header 'Authorization'")]
#[case::bearer_scheme(Some(format!("Bearer {DEFAULT_TOKEN}")), "Authorization type must be 'OAuth'")]
#[case::lowercase_oauth_scheme(Some(format!("oauth {DEFAULT_TOKEN}")), "Authorization type must be 'OAuth'")]
#[case::no_scheme(Some(DEFAULT_TOKEN.to_string()), "Authorization type must be 'OAuth'")]
#[tokio::test]
async fn an_authorization_header_missing_or_not_oauth_is_a_plain_text_400(
    #[case] authorization: Option<String>,
    #[case] text: &str,
) {
    let mock = start().await;

    let got = get_with_auth(&mock, authorization.as_deref()).await;

    assert_plain_text(&got, 400, text);
    assert_conforms(OP, &got);
}

#[tokio::test]
async fn an_unknown_oauth_session_is_503_id_1001() {
    let mock = start().await;

    let got = get_with_auth(&mock, Some("OAuth e7b86195e5f74c698dc5d0521b0ad25d")).await;

    assert_api_error(&got, "ID.1001", "Session expired");
}

#[tokio::test]
async fn the_session_is_read_with_surrounding_spaces_trimmed() {
    let mock = start().await;

    let got = get_with_auth(&mock, Some(&format!("OAuth   {DEFAULT_TOKEN}  "))).await;

    assert_eq!(got.status, 200, "{}", got.text);
}

#[tokio::test]
async fn an_unknown_route_under_zstack_is_a_plain_text_404() {
    let mock = start().await;

    let got = mock
        .get(&format!("/zstack/v1/vips/{WEB_VIP}/unusedports"))
        .await;

    assert_plain_text(
        &got,
        404,
        &format!("no api mapping to /v1/vips/{WEB_VIP}/unusedports"),
    );
}

#[tokio::test]
async fn a_wrong_method_is_405_allowing_get() {
    let mock = start().await;

    let got = mock
        .delete(&used_ports_path(WEB_VIP, "?protocol=TCP"))
        .await;

    assert_eq!(got.status, 405, "{}", got.text);
    assert_eq!(got.header("allow"), Some("GET"));
}

#[tokio::test]
async fn an_injected_503_fault_answers_a_zstack_error_body() {
    let mock = start().await;
    mock.inject_fault(OP, 503).await;

    let got = get_used_ports(&mock, WEB_VIP, "?protocol=TCP").await;

    assert_api_error(&got, "SYS.1000", "fault injected");
}
