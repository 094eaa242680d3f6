//! Rainbond component ports on the mock, black-box over loopback HTTP, against
//! the fixtures of `fixtures/default.yaml` (team `dev-team`, region `rainbond`,
//! app 12 with `gr-nginx` and `gr-mysql`, app 13 with `gr-redis`).

mod support;

use reqwest::Method;
use rstest::rstest;
use serde_json::{Value, json};
use support::{Body, Got, TestMock, Vendor, assert_conforms};
use vouch::mock::DEFAULT_TOKEN;

const LIST: &str = "rainbond.listPorts";
const ADD: &str = "rainbond.addPort";
const UPDATE: &str = "rainbond.updatePort";
const DELETE: &str = "rainbond.deletePort";

const TEAM: &str = "4b1d8f0e6c2a4f3b9e7d5c1a0b2f3e4d";
const SHOP_APP: &str = "12";
/// Alias `myapp`: 80 (inner open), 8080 (closed), 443 (inner and outer open, gateway port 10000).
const NGINX: &str = "gr-nginx";
/// Alias `my-db`: 3306 mysql (inner open), 9104 tcp (closed, no alias).
const MYSQL: &str = "gr-mysql";
/// In app 13, not in the shop app.
const REDIS: &str = "gr-redis";

/// A failure in the Rainbond envelope: HTTP status, business code, `msg`, `msg_show`.
type Failure = (u16, i64, &'static str, &'static str);

const PORT_EXISTS: Failure = (409, 20501, "component port already exists", "端口已存在");
const OUT_OF_RANGE: Failure = (
    412,
    412,
    "component port out of range",
    "端口必须为1到65535的整数",
);
const BAD_ALIAS_ON_ADD: Failure = (400, 400, "add port error", "端口别名不合法");
const NOT_IN_THIS_APP: Failure = (
    404,
    404,
    "component not belong to this app",
    "组件不属于指定应用",
);
const BAD_K8S_NAME: Failure = (
    400,
    400,
    "regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?'",
    "内部域名格式正确",
);

async fn start() -> TestMock {
    TestMock::start(Vendor::Rainbond).await
}

fn base(team: &str, region: &str, app: &str, service: &str) -> String {
    format!("/openapi/v1/teams/{team}/regions/{region}/apps/{app}/services/{service}/ports")
}

fn ports_path(service: &str) -> String {
    base(TEAM, "rainbond", SHOP_APP, service)
}

fn port_path(service: &str, port: u16) -> String {
    format!("{}/{port}", ports_path(service))
}

async fn list(mock: &TestMock, service: &str) -> Got {
    mock.get(&ports_path(service)).await
}

async fn add(mock: &TestMock, service: &str, body: Value) -> Got {
    mock.post(&ports_path(service), body).await
}

async fn update(mock: &TestMock, service: &str, port: u16, body: Value) -> Got {
    mock.put(&port_path(service, port), body).await
}

async fn delete(mock: &TestMock, service: &str, port: u16) -> Got {
    mock.delete(&port_path(service, port)).await
}

/// The ports of a component, as the list operation shows them.
async fn ports(mock: &TestMock, service: &str) -> Vec<Value> {
    let got = list(mock, service).await;
    assert_eq!(got.status, 200, "{}", got.text);
    got.json()["data"]["list"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// One port of a component, as the list operation shows it.
async fn port(mock: &TestMock, service: &str, container_port: u16) -> Option<Value> {
    ports(mock, service)
        .await
        .into_iter()
        .find(|p| p["container_port"] == container_port)
}

fn container_ports(ports: &[Value]) -> Vec<u64> {
    ports
        .iter()
        .filter_map(|p| p["container_port"].as_u64())
        .collect()
}

/// The reply's `data.bean`, after checking a 200 success envelope.
fn success_bean(operation: &str, got: &Got) -> Value {
    assert_eq!(got.status, 200, "{}", got.text);
    assert_conforms(operation, got);
    let body = got.json();
    assert_eq!(
        (body["code"].clone(), body["msg"].clone()),
        (json!(200), json!("success"))
    );
    assert_eq!(body["data"]["list"], json!([]));
    body["data"]["bean"].clone()
}

/// Checks a wrapped business failure: status, business code, `msg` and `msg_show`.
fn assert_failure(operation: &str, got: &Got, (status, code, msg, msg_show): Failure) {
    assert_eq!(got.status, status, "{}", got.text);
    assert_conforms(operation, got);
    let body = got.json();
    assert_eq!(body["code"], code, "{}", got.text);
    assert_eq!(body["msg"], msg, "{}", got.text);
    assert_eq!(body["msg_show"], msg_show, "{}", got.text);
    assert_eq!(body["data"], json!({"bean": {}, "list": []}));
}

/// Checks a serializer error (400 ValidationError) about `field`.
fn assert_validation_error(operation: &str, got: &Got, field: &str) {
    assert_eq!(got.status, 400, "{}", got.text);
    assert_conforms(operation, got);
    let body = got.json();
    assert_eq!(body["code"], 20400, "{}", got.text);
    assert_eq!(body["error_type"], "ValidationError");
    assert!(
        body["err"][field].is_array(),
        "err should name {field}: {}",
        got.text
    );
    assert!(
        body["detail"].as_str().unwrap_or_default().contains(field),
        "{}",
        got.text
    );
}

// --- list, add, update and delete that succeed, and the state they leave ---

#[tokio::test]
async fn list_ports_returns_every_port_of_the_component_in_data_list() {
    let mock = start().await;

    let got = list(&mock, NGINX).await;

    assert_eq!(got.status, 200, "{}", got.text);
    assert_conforms(LIST, &got);
    let body = got.json();
    assert_eq!(
        (body["code"].clone(), body["msg"].clone()),
        (json!(200), json!("success"))
    );
    assert_eq!(body["data"]["bean"], json!({}));
    assert_eq!(
        body["data"]["list"][0],
        json!({
            "container_port": 80, "mapping_port": 80, "lb_mapping_port": 0, "protocol": "http",
            "port_alias": "MYAPP80", "is_inner_service": true, "is_outer_service": false, "k8s_service_name": "myapp"
        })
    );
    let list = body["data"]["list"].as_array().cloned().unwrap_or_default();
    assert_eq!(container_ports(&list), [80, 8080, 443]);
    assert!(
        list.iter().all(|p| p["k8s_service_name"] == "myapp"),
        "one shared k8s_service_name: {list:?}"
    );
}

#[tokio::test]
async fn add_port_answers_200_with_the_new_port_in_data_bean_and_lists_it() {
    let mock = start().await;

    let got = add(&mock, NGINX, json!({"port": 9000, "protocol": "tcp", "port_alias": "NGINX_PORT", "is_inner_service": true})).await;

    let added = success_bean(ADD, &got);
    let expected = json!({
        "container_port": 9000, "mapping_port": 9000, "lb_mapping_port": 0, "protocol": "tcp",
        "port_alias": "NGINX_PORT", "is_inner_service": true, "is_outer_service": false, "k8s_service_name": "myapp"
    });
    assert_eq!(added, expected);
    assert_eq!(port(&mock, NGINX, 9000).await, Some(expected));
}

#[tokio::test]
async fn add_port_defaults_protocol_to_http_and_alias_to_the_service_alias_plus_the_port() {
    let mock = start().await;

    let got = add(
        &mock,
        MYSQL,
        json!({"port": 3307, "is_inner_service": false}),
    )
    .await;

    let added = success_bean(ADD, &got);
    assert_eq!(added["protocol"], "http");
    assert_eq!(
        added["port_alias"], "MY_DB3307",
        "`my-db` upper-cased, `-` as `_`, then the port"
    );
    assert_eq!(added["is_inner_service"], false);
    assert_eq!(added["k8s_service_name"], "my-db");
}

#[tokio::test]
async fn add_port_twice_is_409_with_business_code_20501_and_keeps_one_port() {
    let mock = start().await;

    let got = add(
        &mock,
        NGINX,
        json!({"port": 8080, "protocol": "tcp", "port_alias": "OTHER", "is_inner_service": true}),
    )
    .await;

    assert_failure(ADD, &got, PORT_EXISTS);
    let same = port(&mock, NGINX, 8080).await.unwrap();
    assert_eq!(
        (same["protocol"].clone(), same["port_alias"].clone()),
        (json!("http"), json!("MYAPP8080"))
    );
    assert_eq!(ports(&mock, NGINX).await.len(), 3);
}

#[tokio::test]
async fn add_port_without_is_inner_service_is_a_serializer_error_naming_the_field() {
    let mock = start().await;

    let got = add(&mock, NGINX, json!({"port": 9000})).await;

    assert_validation_error(ADD, &got, "is_inner_service");
    assert_eq!(
        got.json()["err"]["is_inner_service"],
        json!(["This field is required."])
    );
    assert_eq!(port(&mock, NGINX, 9000).await, None);
}

#[tokio::test]
async fn open_outer_opens_the_outer_service_of_an_inner_port_on_a_free_gateway_port() {
    let mock = start().await;

    let got = update(&mock, NGINX, 80, json!({"action": "open_outer"})).await;

    let updated = success_bean(UPDATE, &got);
    assert_eq!(updated["is_outer_service"], true);
    let gateway = updated["lb_mapping_port"].as_u64().unwrap_or_default();
    assert!(
        gateway > 10000,
        "a gateway port not held by 443 (10000): {gateway}"
    );
    assert_eq!(port(&mock, NGINX, 80).await, Some(updated));
}

#[tokio::test]
async fn only_open_outer_opens_the_outer_service_without_the_inner_one() {
    let mock = start().await;

    let got = update(&mock, NGINX, 8080, json!({"action": "only_open_outer"})).await;

    let updated = success_bean(UPDATE, &got);
    assert_eq!(
        (
            updated["is_outer_service"].clone(),
            updated["is_inner_service"].clone()
        ),
        (json!(true), json!(false))
    );
    assert_eq!(
        port(&mock, NGINX, 8080).await.unwrap()["is_outer_service"],
        true
    );
}

#[tokio::test]
async fn close_outer_closes_the_outer_service() {
    let mock = start().await;

    let got = update(&mock, NGINX, 443, json!({"action": "close_outer"})).await;

    assert_eq!(success_bean(UPDATE, &got)["is_outer_service"], false);
    assert_eq!(
        port(&mock, NGINX, 443).await.unwrap()["is_outer_service"],
        false
    );
}

#[tokio::test]
async fn close_inner_clears_only_is_inner_service() {
    let mock = start().await;
    let mut expected = port(&mock, NGINX, 80).await.unwrap();
    expected["is_inner_service"] = json!(false);

    let got = update(&mock, NGINX, 80, json!({"action": "close_inner"})).await;

    assert_eq!(success_bean(UPDATE, &got), expected);
    assert_eq!(port(&mock, NGINX, 80).await, Some(expected));
}

#[tokio::test]
async fn open_inner_opens_the_inner_service_of_a_port_with_an_alias() {
    let mock = start().await;

    let got = update(&mock, NGINX, 8080, json!({"action": "open_inner"})).await;

    let updated = success_bean(UPDATE, &got);
    assert_eq!(
        (
            updated["is_inner_service"].clone(),
            updated["mapping_port"].clone()
        ),
        (json!(true), json!(8080))
    );
    assert_eq!(
        port(&mock, NGINX, 8080).await.unwrap()["is_inner_service"],
        true
    );
}

#[tokio::test]
async fn change_protocol_sets_the_protocol() {
    let mock = start().await;

    let got = update(
        &mock,
        NGINX,
        8080,
        json!({"action": "change_protocol", "protocol": "grpc"}),
    )
    .await;

    assert_eq!(success_bean(UPDATE, &got)["protocol"], "grpc");
    assert_eq!(port(&mock, NGINX, 8080).await.unwrap()["protocol"], "grpc");
}

#[tokio::test]
async fn change_protocol_without_a_protocol_sets_http() {
    let mock = start().await;

    let got = update(&mock, MYSQL, 3306, json!({"action": "change_protocol"})).await;

    assert_eq!(success_bean(UPDATE, &got)["protocol"], "http");
    assert_eq!(port(&mock, MYSQL, 3306).await.unwrap()["protocol"], "http");
}

#[tokio::test]
async fn change_protocol_to_the_same_protocol_while_the_outer_service_is_open_is_a_no_op() {
    let mock = start().await;
    let before = port(&mock, NGINX, 443).await.unwrap();

    let got = update(
        &mock,
        NGINX,
        443,
        json!({"action": "change_protocol", "protocol": "http"}),
    )
    .await;

    assert_eq!(success_bean(UPDATE, &got), before);
}

#[tokio::test]
async fn change_port_alias_renames_the_port_and_writes_k8s_service_name_to_every_port() {
    let mock = start().await;

    let body =
        json!({"action": "change_port_alias", "port_alias": "WEB", "k8s_service_name": "shop-web"});
    let got = update(&mock, NGINX, 8080, body).await;

    let updated = success_bean(UPDATE, &got);
    assert_eq!(
        (
            updated["port_alias"].clone(),
            updated["k8s_service_name"].clone()
        ),
        (json!("WEB"), json!("shop-web"))
    );
    let all = ports(&mock, NGINX).await;
    assert!(
        all.iter().all(|p| p["k8s_service_name"] == "shop-web"),
        "{all:?}"
    );
    let aliases: Vec<&Value> = all.iter().map(|p| &p["port_alias"]).collect();
    assert_eq!(
        aliases,
        [&json!("MYAPP80"), &json!("WEB"), &json!("MYAPP443")]
    );
    let added = success_bean(
        ADD,
        &add(
            &mock,
            NGINX,
            json!({"port": 9000, "is_inner_service": false}),
        )
        .await,
    );
    assert_eq!(
        added["k8s_service_name"], "shop-web",
        "a new port joins the shared name"
    );
    assert_eq!(
        port(&mock, MYSQL, 3306).await.unwrap()["k8s_service_name"],
        "my-db",
        "other components keep theirs"
    );
}

#[tokio::test]
async fn change_port_alias_without_k8s_service_name_keeps_the_shared_name() {
    let mock = start().await;

    let got = update(
        &mock,
        NGINX,
        80,
        json!({"action": "change_port_alias", "port_alias": "WEB"}),
    )
    .await;

    let updated = success_bean(UPDATE, &got);
    assert_eq!(
        (
            updated["port_alias"].clone(),
            updated["k8s_service_name"].clone()
        ),
        (json!("WEB"), json!("myapp"))
    );
}

#[tokio::test]
async fn change_port_alias_to_its_own_alias_succeeds() {
    let mock = start().await;

    let got = update(
        &mock,
        NGINX,
        80,
        json!({"action": "change_port_alias", "port_alias": "MYAPP80"}),
    )
    .await;

    assert_eq!(success_bean(UPDATE, &got)["port_alias"], "MYAPP80");
}

#[tokio::test]
async fn delete_port_answers_the_removed_port_and_the_list_loses_it() {
    let mock = start().await;
    let before = port(&mock, NGINX, 8080).await;

    let got = delete(&mock, NGINX, 8080).await;

    assert_eq!(Some(success_bean(DELETE, &got)), before);
    assert_eq!(got.json()["msg_show"], "删除成功");
    assert_eq!(container_ports(&ports(&mock, NGINX).await), [80, 443]);
}

#[tokio::test]
async fn delete_port_with_the_outer_service_open_is_409_and_keeps_it() {
    let mock = start().await;
    success_bean(
        UPDATE,
        &update(&mock, NGINX, 8080, json!({"action": "only_open_outer"})).await,
    );

    let got = delete(&mock, NGINX, 8080).await;

    assert_failure(
        DELETE,
        &got,
        (409, 409, "can not delete outer port", "请关闭对外服务"),
    );
    assert!(port(&mock, NGINX, 8080).await.is_some());
}

#[tokio::test]
async fn a_closed_port_can_be_deleted_after_closing_its_services() {
    let mock = start().await;
    for action in ["close_outer", "close_inner"] {
        success_bean(
            UPDATE,
            &update(&mock, NGINX, 443, json!({"action": action})).await,
        );
    }

    let got = delete(&mock, NGINX, 443).await;

    assert_eq!(success_bean(DELETE, &got)["container_port"], 443);
    assert_eq!(port(&mock, NGINX, 443).await, None);
}

#[tokio::test]
async fn an_unknown_component_is_404_no_found_component() {
    let mock = start().await;

    let got = update(&mock, "gr-nothing", 80, json!({"action": "open_inner"})).await;

    assert_failure(UPDATE, &got, (404, 404, "no found component", "组件不存在"));
}

#[tokio::test]
async fn list_ports_accepts_the_team_name_and_the_service_alias_in_the_path() {
    let mock = start().await;

    let got = mock
        .get(&base("dev-team", "rainbond", SHOP_APP, "my-db"))
        .await;

    assert_eq!(got.status, 200, "{}", got.text);
    assert_conforms(LIST, &got);
    assert_eq!(
        container_ports(got.json()["data"]["list"].as_array().unwrap()),
        [3306, 9104]
    );
}

// --- add: refused bodies ---

/// Each body is refused in the envelope and gr-nginx keeps exactly its ports.
#[rstest]
#[case::port_zero(Body::Json(json!({"port": 0, "is_inner_service": false})), (400, 400, "params error", "缺少端口参数"))]
#[case::port_65536(
    Body::Raw("application/json", r#"{"port": 65536, "is_inner_service": false}"#),
    OUT_OF_RANGE
)]
#[case::port_minus_1(
    Body::Raw("application/json", r#"{"port": -1, "is_inner_service": false}"#),
    OUT_OF_RANGE
)]
#[case::port_minus_80(
    Body::Raw("application/json", r#"{"port": -80, "is_inner_service": false}"#),
    OUT_OF_RANGE
)]
#[case::port_beyond_u64(
    Body::Raw(
        "application/json",
        r#"{"port": 99999999999999999999, "is_inner_service": false}"#
    ),
    OUT_OF_RANGE
)]
#[case::port_1e300(
    Body::Raw("application/json", r#"{"port": 1e300, "is_inner_service": false}"#),
    OUT_OF_RANGE
)]
#[case::null_protocol(Body::Json(json!({"port": 9000, "protocol": null, "is_inner_service": false})), (400, 400, "params error", "缺少协议参数"))]
#[case::alias_lowercase(Body::Json(json!({"port": 9000, "port_alias": "nginx", "is_inner_service": false})), BAD_ALIAS_ON_ADD)]
#[case::alias_starting_with_a_digit(Body::Json(json!({"port": 9000, "port_alias": "1PORT", "is_inner_service": false})), BAD_ALIAS_ON_ADD)]
#[case::alias_with_a_dash(Body::Json(json!({"port": 9000, "port_alias": "MY-PORT", "is_inner_service": false})), BAD_ALIAS_ON_ADD)]
#[case::duplicate_checked_before_the_alias(Body::Json(json!({"port": 80, "port_alias": "lower", "is_inner_service": false})), PORT_EXISTS)]
#[tokio::test]
async fn add_port_refused_in_the_envelope_adds_nothing(
    #[case] body: Body,
    #[case] failure: Failure,
) {
    let mock = start().await;
    let before = ports(&mock, NGINX).await;

    let got = mock.call(Method::POST, &ports_path(NGINX), body).await;

    assert_failure(ADD, &got, failure);
    assert_eq!(ports(&mock, NGINX).await, before);
}

#[rstest]
#[case::lowest(1)]
#[case::highest(65535)]
#[tokio::test]
async fn add_port_accepts_the_edges_of_the_range(#[case] edge: u16) {
    let mock = start().await;

    let got = add(
        &mock,
        NGINX,
        json!({"port": edge, "is_inner_service": false}),
    )
    .await;

    assert_eq!(success_bean(ADD, &got)["container_port"], edge);
    assert!(port(&mock, NGINX, edge).await.is_some());
}

/// Each body is a serializer error naming `field`, and gr-nginx keeps exactly its ports.
#[rstest]
#[case::blank_alias(Body::Json(json!({"port": 9000, "port_alias": "", "is_inner_service": false})), "port_alias")]
#[case::protocol_outside_the_enum(Body::Json(json!({"port": 9000, "protocol": "sctp", "is_inner_service": false})), "protocol")]
#[case::port_a_word(Body::Json(json!({"port": "eighty", "is_inner_service": false})), "port")]
#[case::port_fractional(Body::Json(json!({"port": 80.5, "is_inner_service": false})), "port")]
#[case::malformed_json(Body::Raw("application/json", "{\"port\": 80,"), "non_field_errors")]
#[tokio::test]
async fn add_port_with_an_invalid_body_is_a_serializer_error_naming_the_field(
    #[case] body: Body,
    #[case] field: &str,
) {
    let mock = start().await;
    let before = ports(&mock, NGINX).await;

    let got = mock.call(Method::POST, &ports_path(NGINX), body).await;

    assert_validation_error(ADD, &got, field);
    assert_eq!(ports(&mock, NGINX).await, before);
}

#[tokio::test]
async fn a_missing_body_names_every_required_field() {
    let mock = start().await;

    let got = mock
        .call(
            Method::POST,
            &ports_path(NGINX),
            Body::Bare("application/json"),
        )
        .await;

    assert_validation_error(ADD, &got, "port");
    assert_eq!(
        got.json()["err"]["is_inner_service"],
        json!(["This field is required."])
    );
}

// --- update: refused ---

/// Each update of `service`'s `port` is refused in the envelope and the component's ports stay as they were.
#[rstest]
#[case::open_outer_while_the_inner_service_is_closed(NGINX, 8080, json!({"action": "open_outer"}), (404, 404, "inner port is not open", "对内服务未开启，需先开启对内服务"))]
#[case::close_inner_while_the_outer_service_is_open(NGINX, 443, json!({"action": "close_inner"}), (404, 404, "inner port is not open", "对外服务开启中，需先关闭对外服务"))]
#[case::open_inner_on_a_port_without_alias(MYSQL, 9104, json!({"action": "open_inner"}), (409, 409, "change port fail", "请先为端口设置别名"))]
#[case::change_protocol_to_null(MYSQL, 3306, json!({"action": "change_protocol", "protocol": null}), (400, 400, "change port fail", "端口协议不能为空"))]
#[case::change_protocol_away_from_http_while_the_outer_service_is_open(NGINX, 443, json!({"action": "change_protocol", "protocol": "tcp"}), (400, 400, "change port fail", "请关闭外部访问"))]
#[case::change_port_alias_without_an_alias(NGINX, 80, json!({"action": "change_port_alias"}), (400, 400, "change port fail", "端口别名不能为空"))]
#[case::change_port_alias_to_null(NGINX, 80, json!({"action": "change_port_alias", "port_alias": null}), (400, 400, "change port fail", "端口别名不能为空"))]
#[case::change_port_alias_to_the_alias_of_another_port(NGINX, 80, json!({"action": "change_port_alias", "port_alias": "MYAPP8080"}), (400, 400, "change port fail", "别名已存在"))]
#[case::k8s_service_name_with_an_underscore(NGINX, 80, json!({"action": "change_port_alias", "port_alias": "WEB", "k8s_service_name": "nginx_port"}), BAD_K8S_NAME)]
#[case::k8s_service_name_with_a_capital(NGINX, 80, json!({"action": "change_port_alias", "port_alias": "WEB", "k8s_service_name": "Nginx"}), BAD_K8S_NAME)]
#[case::k8s_service_name_starting_with_a_dash(NGINX, 80, json!({"action": "change_port_alias", "port_alias": "WEB", "k8s_service_name": "-web"}), BAD_K8S_NAME)]
#[case::k8s_service_name_ending_with_a_dash(NGINX, 80, json!({"action": "change_port_alias", "port_alias": "WEB", "k8s_service_name": "web-"}), BAD_K8S_NAME)]
#[case::k8s_service_name_over_63_characters(NGINX, 80, json!({"action": "change_port_alias", "port_alias": "WEB", "k8s_service_name": "a".repeat(64)}), (400, 400, "k8s_service_name must be no more than 63 characters", "k8s_service_name must be no more than 63 characters"))]
#[case::any_action_with_an_alias_off_the_pattern(NGINX, 8080, json!({"action": "open_inner", "port_alias": "web"}), (400, 400, "change port fail", "端口别名不合法"))]
#[case::unknown_port(NGINX, 9999, json!({"action": "open_inner"}), (404, 404, "component port does not exist", "组件端口不存在"))]
#[tokio::test]
async fn update_refused_in_the_envelope_changes_nothing(
    #[case] service: &str,
    #[case] container_port: u16,
    #[case] body: Value,
    #[case] failure: Failure,
) {
    let mock = start().await;
    let before = ports(&mock, service).await;

    let got = update(&mock, service, container_port, body).await;

    assert_failure(UPDATE, &got, failure);
    assert_eq!(ports(&mock, service).await, before);
}

#[tokio::test]
async fn change_port_alias_accepts_a_k8s_service_name_of_63_characters() {
    let mock = start().await;
    let at_limit = json!({"action": "change_port_alias", "port_alias": "WEB", "k8s_service_name": "a".repeat(63)});

    let got = update(&mock, NGINX, 80, at_limit).await;

    assert_eq!(
        success_bean(UPDATE, &got)["k8s_service_name"],
        "a".repeat(63)
    );
}

/// Each update is a serializer error naming `field`, and gr-nginx keeps exactly its ports.
#[rstest]
#[case::blank_alias(Body::Json(json!({"action": "change_port_alias", "port_alias": "  "})), "port_alias")]
#[case::unknown_action(Body::Json(json!({"action": "reopen"})), "action")]
#[case::non_json_content_type(Body::Raw("text/plain", "open_outer"), "non_field_errors")]
#[tokio::test]
async fn update_with_an_invalid_body_is_a_serializer_error_naming_the_field(
    #[case] body: Body,
    #[case] field: &str,
) {
    let mock = start().await;
    let before = ports(&mock, NGINX).await;

    let got = mock.call(Method::PUT, &port_path(NGINX, 80), body).await;

    assert_validation_error(UPDATE, &got, field);
    assert_eq!(ports(&mock, NGINX).await, before);
}

// --- delete: refused ---

#[rstest]
#[case::inner_service_open(80, (409, 409, "can not delete inner port", "请关闭对内服务"))]
#[case::unknown_port(9999, (404, 404, "port not found", "端口9999不存在"))]
#[tokio::test]
async fn delete_port_refused_in_the_envelope_keeps_every_port(
    #[case] container_port: u16,
    #[case] failure: Failure,
) {
    let mock = start().await;
    let before = ports(&mock, NGINX).await;

    let got = delete(&mock, NGINX, container_port).await;

    assert_failure(DELETE, &got, failure);
    assert_eq!(ports(&mock, NGINX).await, before);
}

// --- the path: team, region, app, component ---

#[rstest]
#[case::unknown_team("nobody", "rainbond", SHOP_APP, (404, 404, "no found team", "团队不存在"))]
#[case::unknown_region(TEAM, "nowhere", SHOP_APP, (404, 3000, "the region is not found", "集群不存在"))]
#[case::unknown_app(TEAM, "rainbond", "99", (404, 404, "no found app", "应用不存在"))]
#[tokio::test]
async fn unknown_team_region_or_app_is_404_in_the_envelope(
    #[case] team: &str,
    #[case] region: &str,
    #[case] app: &str,
    #[case] failure: Failure,
) {
    let mock = start().await;

    let got = mock.get(&base(team, region, app, NGINX)).await;

    assert_failure(LIST, &got, failure);
}

#[rstest]
#[case::list(LIST, Method::GET, ports_path(REDIS), Body::None)]
#[case::add(ADD, Method::POST, ports_path(REDIS), Body::Json(json!({"port": 9000, "is_inner_service": false})))]
#[case::delete(DELETE, Method::DELETE, port_path(REDIS, 6379), Body::None)]
#[tokio::test]
async fn a_component_of_another_app_is_404_component_not_belong_to_this_app(
    #[case] operation: &str,
    #[case] method: Method,
    #[case] path: String,
    #[case] body: Body,
) {
    let mock = start().await;

    let got = mock.call(method, &path, body).await;

    assert_failure(operation, &got, NOT_IN_THIS_APP);
    let in_its_app = mock.get(&base(TEAM, "rainbond", "13", REDIS)).await;
    assert_eq!(
        container_ports(in_its_app.json()["data"]["list"].as_array().unwrap()),
        [6379]
    );
}

#[tokio::test]
async fn a_non_numeric_app_id_is_the_routers_404() {
    let mock = start().await;

    let got = mock.get(&base(TEAM, "rainbond", "shop", NGINX)).await;

    assert_eq!(got.status, 404, "{}", got.text);
    assert_conforms(LIST, &got);
    assert_eq!(
        (got.json()["detail"].clone(), got.json()["code"].clone()),
        (json!("Not found."), json!(404))
    );
}

// --- authentication ---

#[rstest]
#[case::missing(None)]
#[case::wrong_key(Some("not-the-key".to_string()))]
#[case::bearer_scheme(Some(format!("Bearer {DEFAULT_TOKEN}")))]
#[tokio::test]
async fn a_request_without_the_exact_access_key_is_401_no_token_and_changes_nothing(
    #[case] authorization: Option<String>,
) {
    let mock = start().await;
    let request = mock
        .authorized_as(Method::POST, &ports_path(NGINX), authorization.as_deref())
        .json(&json!({"port": 9000, "is_inner_service": false}));

    let got = mock.send(request).await;

    assert_eq!(got.status, 401, "{}", got.text);
    assert_conforms(ADD, &got);
    assert_eq!(
        got.json(),
        json!({"detail": "No token", "code": 401, "msg": "No token", "msg_show": "No token", "error_type": "AuthenticationFailed"})
    );
    assert_eq!(port(&mock, NGINX, 9000).await, None);
}

// --- routing ---

#[tokio::test]
async fn an_unknown_path_under_openapi_v1_is_404_in_the_envelope() {
    let mock = start().await;

    let got = mock.get(&format!("/openapi/v1/teams/{TEAM}/volumes")).await;

    assert_eq!(got.status, 404, "{}", got.text);
    let body = got.json();
    assert_eq!(body["detail"], "Not found.");
    assert_eq!(body["code"], 404);
    assert!(
        body["msg"].is_string() && body["msg_show"].is_string(),
        "{body}"
    );
}

#[tokio::test]
async fn a_wrong_method_is_405_with_allow() {
    let mock = start().await;

    let got = mock
        .call(Method::PATCH, &ports_path(NGINX), Body::None)
        .await;

    assert_eq!(got.status, 405, "{}", got.text);
    let allow = got.header("allow").unwrap_or_default();
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
    assert_eq!(got.json()["code"], 405);
}
