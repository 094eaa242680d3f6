//! Rainbond component ports on the mock, black-box over loopback HTTP, against
//! the fixtures of `fixtures/default.yaml` (team `dev-team`, region `rainbond`,
//! app 12 with `gr-nginx` and `gr-mysql`, app 13 with `gr-redis`).

mod support;

use serde_json::{Value, json};
use support::{Got, assert_conforms, client, send, start_mock};
use vouch::mock::{DEFAULT_TOKEN, MockServer};

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

fn base(mock: &MockServer, team: &str, region: &str, app: &str, service: &str) -> String {
    format!(
        "{}/openapi/v1/teams/{team}/regions/{region}/apps/{app}/services/{service}/ports",
        mock.url()
    )
}

fn ports_url(mock: &MockServer, service: &str) -> String {
    base(mock, TEAM, "rainbond", SHOP_APP, service)
}

fn port_url(mock: &MockServer, service: &str, port: u16) -> String {
    format!("{}/{port}", ports_url(mock, service))
}

fn authed(request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
    request.header("authorization", DEFAULT_TOKEN)
}

async fn list(mock: &MockServer, service: &str) -> Got {
    send(authed(client().get(ports_url(mock, service)))).await
}

async fn add(mock: &MockServer, service: &str, body: Value) -> Got {
    send(authed(client().post(ports_url(mock, service))).json(&body)).await
}

async fn update(mock: &MockServer, service: &str, port: u16, body: Value) -> Got {
    send(authed(client().put(port_url(mock, service, port))).json(&body)).await
}

async fn delete(mock: &MockServer, service: &str, port: u16) -> Got {
    send(authed(client().delete(port_url(mock, service, port)))).await
}

/// The ports of a component, as the list operation shows them.
async fn ports(mock: &MockServer, service: &str) -> Vec<Value> {
    let got = list(mock, service).await;
    assert_eq!(got.status, 200, "{}", got.text);
    got.json()["data"]["list"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

/// One port of a component, as the list operation shows it.
async fn port(mock: &MockServer, service: &str, container_port: u16) -> Option<Value> {
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
fn assert_failure(operation: &str, got: &Got, status: u16, code: i64, msg: &str, msg_show: &str) {
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

// --- list ---

#[tokio::test]
async fn list_ports_returns_every_port_of_the_component_in_data_list() {
    let mock = start_mock().await;

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
async fn list_ports_accepts_the_team_name_and_the_service_alias_in_the_path() {
    let mock = start_mock().await;

    let got = send(authed(
        client().get(base(&mock, "dev-team", "rainbond", SHOP_APP, "my-db")),
    ))
    .await;

    assert_eq!(got.status, 200, "{}", got.text);
    assert_conforms(LIST, &got);
    assert_eq!(
        container_ports(got.json()["data"]["list"].as_array().unwrap()),
        [3306, 9104]
    );
}

// --- add ---

#[tokio::test]
async fn add_port_answers_200_with_the_new_port_in_data_bean_and_lists_it() {
    let mock = start_mock().await;

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
    let mock = start_mock().await;

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
    let mock = start_mock().await;

    let got = add(
        &mock,
        NGINX,
        json!({"port": 8080, "protocol": "tcp", "port_alias": "OTHER", "is_inner_service": true}),
    )
    .await;

    assert_failure(
        ADD,
        &got,
        409,
        20501,
        "component port already exists",
        "端口已存在",
    );
    let same = port(&mock, NGINX, 8080).await.unwrap();
    assert_eq!(
        (same["protocol"].clone(), same["port_alias"].clone()),
        (json!("http"), json!("MYAPP8080"))
    );
    assert_eq!(ports(&mock, NGINX).await.len(), 3);
}

#[tokio::test]
async fn add_port_checks_the_duplicate_before_the_alias() {
    let mock = start_mock().await;

    let got = add(
        &mock,
        NGINX,
        json!({"port": 80, "port_alias": "lower", "is_inner_service": false}),
    )
    .await;

    assert_failure(
        ADD,
        &got,
        409,
        20501,
        "component port already exists",
        "端口已存在",
    );
}

#[tokio::test]
async fn add_port_zero_is_400_params_error_and_adds_nothing() {
    let mock = start_mock().await;

    let got = add(&mock, NGINX, json!({"port": 0, "is_inner_service": false})).await;

    assert_failure(ADD, &got, 400, 400, "params error", "缺少端口参数");
    assert_eq!(ports(&mock, NGINX).await.len(), 3);
}

#[tokio::test]
async fn add_port_outside_1_to_65535_is_412_and_adds_nothing() {
    let mock = start_mock().await;

    for out_of_range in ["65536", "-1", "-80", "99999999999999999999", "1e300"] {
        let body = format!(r#"{{"port": {out_of_range}, "is_inner_service": false}}"#);
        let got = send(
            authed(client().post(ports_url(&mock, NGINX)))
                .header("content-type", "application/json")
                .body(body),
        )
        .await;

        assert_failure(
            ADD,
            &got,
            412,
            412,
            "component port out of range",
            "端口必须为1到65535的整数",
        );
    }
    assert_eq!(ports(&mock, NGINX).await.len(), 3);
}

#[tokio::test]
async fn add_port_accepts_the_edges_of_the_range() {
    let mock = start_mock().await;

    for edge in [1, 65535] {
        let got = add(
            &mock,
            NGINX,
            json!({"port": edge, "is_inner_service": false}),
        )
        .await;

        assert_eq!(success_bean(ADD, &got)["container_port"], edge);
    }
}

#[tokio::test]
async fn add_port_with_null_protocol_is_400_params_error() {
    let mock = start_mock().await;

    let got = add(
        &mock,
        NGINX,
        json!({"port": 9000, "protocol": null, "is_inner_service": false}),
    )
    .await;

    assert_failure(ADD, &got, 400, 400, "params error", "缺少协议参数");
    assert_eq!(port(&mock, NGINX, 9000).await, None);
}

#[tokio::test]
async fn add_port_with_an_alias_not_matching_the_pattern_is_400_and_adds_nothing() {
    let mock = start_mock().await;

    for alias in ["nginx", "1PORT", "MY-PORT"] {
        let got = add(
            &mock,
            NGINX,
            json!({"port": 9000, "port_alias": alias, "is_inner_service": false}),
        )
        .await;

        assert_failure(ADD, &got, 400, 400, "add port error", "端口别名不合法");
    }
    assert_eq!(port(&mock, NGINX, 9000).await, None);
}

#[tokio::test]
async fn add_port_with_a_blank_alias_is_a_serializer_error_naming_port_alias() {
    let mock = start_mock().await;

    let got = add(
        &mock,
        NGINX,
        json!({"port": 9000, "port_alias": "", "is_inner_service": false}),
    )
    .await;

    assert_validation_error(ADD, &got, "port_alias");
    assert_eq!(port(&mock, NGINX, 9000).await, None);
}

#[tokio::test]
async fn add_port_without_is_inner_service_is_a_serializer_error_naming_the_field() {
    let mock = start_mock().await;

    let got = add(&mock, NGINX, json!({"port": 9000})).await;

    assert_validation_error(ADD, &got, "is_inner_service");
    assert_eq!(
        got.json()["err"]["is_inner_service"],
        json!(["This field is required."])
    );
    assert_eq!(port(&mock, NGINX, 9000).await, None);
}

#[tokio::test]
async fn add_port_with_a_protocol_outside_the_enum_is_a_serializer_error_naming_protocol() {
    let mock = start_mock().await;

    let got = add(
        &mock,
        NGINX,
        json!({"port": 9000, "protocol": "sctp", "is_inner_service": false}),
    )
    .await;

    assert_validation_error(ADD, &got, "protocol");
}

#[tokio::test]
async fn add_port_with_a_non_integer_port_is_a_serializer_error_naming_port() {
    let mock = start_mock().await;

    for port in [json!("eighty"), json!(80.5)] {
        let got = add(
            &mock,
            NGINX,
            json!({"port": port, "is_inner_service": false}),
        )
        .await;

        assert_validation_error(ADD, &got, "port");
    }
}

// --- update: outer service ---

#[tokio::test]
async fn open_outer_opens_the_outer_service_of_an_inner_port_on_a_free_gateway_port() {
    let mock = start_mock().await;

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
async fn open_outer_while_the_inner_service_is_closed_is_404_and_changes_nothing() {
    let mock = start_mock().await;
    let before = port(&mock, NGINX, 8080).await;

    let got = update(&mock, NGINX, 8080, json!({"action": "open_outer"})).await;

    assert_failure(
        UPDATE,
        &got,
        404,
        404,
        "inner port is not open",
        "对内服务未开启，需先开启对内服务",
    );
    assert_eq!(port(&mock, NGINX, 8080).await, before);
}

#[tokio::test]
async fn only_open_outer_opens_the_outer_service_without_the_inner_one() {
    let mock = start_mock().await;

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
    let mock = start_mock().await;

    let got = update(&mock, NGINX, 443, json!({"action": "close_outer"})).await;

    assert_eq!(success_bean(UPDATE, &got)["is_outer_service"], false);
    assert_eq!(
        port(&mock, NGINX, 443).await.unwrap()["is_outer_service"],
        false
    );
}

// --- update: inner service ---

#[tokio::test]
async fn close_inner_while_the_outer_service_is_open_is_404_and_changes_nothing() {
    let mock = start_mock().await;
    let before = port(&mock, NGINX, 443).await;

    let got = update(&mock, NGINX, 443, json!({"action": "close_inner"})).await;

    assert_failure(
        UPDATE,
        &got,
        404,
        404,
        "inner port is not open",
        "对外服务开启中，需先关闭对外服务",
    );
    assert_eq!(port(&mock, NGINX, 443).await, before);
}

#[tokio::test]
async fn close_inner_clears_only_is_inner_service() {
    let mock = start_mock().await;
    let mut expected = port(&mock, NGINX, 80).await.unwrap();
    expected["is_inner_service"] = json!(false);

    let got = update(&mock, NGINX, 80, json!({"action": "close_inner"})).await;

    assert_eq!(success_bean(UPDATE, &got), expected);
    assert_eq!(port(&mock, NGINX, 80).await, Some(expected));
}

#[tokio::test]
async fn open_inner_on_a_port_without_alias_is_409_and_changes_nothing() {
    let mock = start_mock().await;

    let got = update(&mock, MYSQL, 9104, json!({"action": "open_inner"})).await;

    assert_failure(
        UPDATE,
        &got,
        409,
        409,
        "change port fail",
        "请先为端口设置别名",
    );
    assert_eq!(
        port(&mock, MYSQL, 9104).await.unwrap()["is_inner_service"],
        false
    );
}

#[tokio::test]
async fn open_inner_opens_the_inner_service_of_a_port_with_an_alias() {
    let mock = start_mock().await;

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

// --- update: protocol ---

#[tokio::test]
async fn change_protocol_sets_the_protocol() {
    let mock = start_mock().await;

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
    let mock = start_mock().await;

    let got = update(&mock, MYSQL, 3306, json!({"action": "change_protocol"})).await;

    assert_eq!(success_bean(UPDATE, &got)["protocol"], "http");
    assert_eq!(port(&mock, MYSQL, 3306).await.unwrap()["protocol"], "http");
}

#[tokio::test]
async fn change_protocol_to_null_is_400() {
    let mock = start_mock().await;

    let got = update(
        &mock,
        MYSQL,
        3306,
        json!({"action": "change_protocol", "protocol": null}),
    )
    .await;

    assert_failure(
        UPDATE,
        &got,
        400,
        400,
        "change port fail",
        "端口协议不能为空",
    );
    assert_eq!(port(&mock, MYSQL, 3306).await.unwrap()["protocol"], "mysql");
}

#[tokio::test]
async fn change_protocol_away_from_http_while_the_outer_service_is_open_is_400_and_changes_nothing()
{
    let mock = start_mock().await;

    let got = update(
        &mock,
        NGINX,
        443,
        json!({"action": "change_protocol", "protocol": "tcp"}),
    )
    .await;

    assert_failure(UPDATE, &got, 400, 400, "change port fail", "请关闭外部访问");
    assert_eq!(port(&mock, NGINX, 443).await.unwrap()["protocol"], "http");
}

#[tokio::test]
async fn change_protocol_to_the_same_protocol_while_the_outer_service_is_open_is_a_no_op() {
    let mock = start_mock().await;
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

// --- update: alias ---

#[tokio::test]
async fn change_port_alias_renames_the_port_and_writes_k8s_service_name_to_every_port() {
    let mock = start_mock().await;

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
    let mock = start_mock().await;

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
async fn change_port_alias_without_an_alias_is_400_and_changes_nothing() {
    let mock = start_mock().await;

    for body in [
        json!({"action": "change_port_alias"}),
        json!({"action": "change_port_alias", "port_alias": null}),
    ] {
        let got = update(&mock, NGINX, 80, body).await;

        assert_failure(
            UPDATE,
            &got,
            400,
            400,
            "change port fail",
            "端口别名不能为空",
        );
    }
    assert_eq!(
        port(&mock, NGINX, 80).await.unwrap()["port_alias"],
        "MYAPP80"
    );
}

#[tokio::test]
async fn change_port_alias_to_a_blank_alias_is_a_serializer_error() {
    let mock = start_mock().await;

    let got = update(
        &mock,
        NGINX,
        80,
        json!({"action": "change_port_alias", "port_alias": "  "}),
    )
    .await;

    assert_validation_error(UPDATE, &got, "port_alias");
    assert_eq!(
        port(&mock, NGINX, 80).await.unwrap()["port_alias"],
        "MYAPP80"
    );
}

#[tokio::test]
async fn change_port_alias_to_the_alias_of_another_port_is_400_and_changes_nothing() {
    let mock = start_mock().await;

    let got = update(
        &mock,
        NGINX,
        80,
        json!({"action": "change_port_alias", "port_alias": "MYAPP8080"}),
    )
    .await;

    assert_failure(UPDATE, &got, 400, 400, "change port fail", "别名已存在");
    assert_eq!(
        port(&mock, NGINX, 80).await.unwrap()["port_alias"],
        "MYAPP80"
    );
}

#[tokio::test]
async fn change_port_alias_to_its_own_alias_succeeds() {
    let mock = start_mock().await;

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
async fn change_port_alias_with_a_k8s_service_name_off_the_pattern_is_400_and_changes_nothing() {
    let mock = start_mock().await;

    for name in ["nginx_port", "Nginx", "-web", "web-"] {
        let body =
            json!({"action": "change_port_alias", "port_alias": "WEB", "k8s_service_name": name});
        let got = update(&mock, NGINX, 80, body).await;

        assert_failure(
            UPDATE,
            &got,
            400,
            400,
            "regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?'",
            "内部域名格式正确",
        );
    }
    let unchanged = port(&mock, NGINX, 80).await.unwrap();
    assert_eq!(
        (
            unchanged["port_alias"].clone(),
            unchanged["k8s_service_name"].clone()
        ),
        (json!("MYAPP80"), json!("myapp"))
    );
}

#[tokio::test]
async fn change_port_alias_with_a_k8s_service_name_over_63_characters_is_400() {
    let mock = start_mock().await;
    let too_long = "a".repeat(64);

    let body =
        json!({"action": "change_port_alias", "port_alias": "WEB", "k8s_service_name": too_long});
    let got = update(&mock, NGINX, 80, body).await;

    let message = "k8s_service_name must be no more than 63 characters";
    assert_failure(UPDATE, &got, 400, 400, message, message);
    assert_eq!(
        port(&mock, NGINX, 80).await.unwrap()["k8s_service_name"],
        "myapp"
    );
    let at_limit = json!({"action": "change_port_alias", "port_alias": "WEB", "k8s_service_name": "a".repeat(63)});
    assert_eq!(
        success_bean(UPDATE, &update(&mock, NGINX, 80, at_limit).await)["k8s_service_name"],
        "a".repeat(63)
    );
}

#[tokio::test]
async fn any_action_with_an_alias_off_the_pattern_is_400_and_changes_nothing() {
    let mock = start_mock().await;

    let got = update(
        &mock,
        NGINX,
        8080,
        json!({"action": "open_inner", "port_alias": "web"}),
    )
    .await;

    assert_failure(UPDATE, &got, 400, 400, "change port fail", "端口别名不合法");
    assert_eq!(
        port(&mock, NGINX, 8080).await.unwrap()["is_inner_service"],
        false
    );
}

// --- update: unknown port and bad bodies ---

#[tokio::test]
async fn update_of_an_unknown_port_is_404_component_port_does_not_exist() {
    let mock = start_mock().await;

    let got = update(&mock, NGINX, 9999, json!({"action": "open_inner"})).await;

    assert_failure(
        UPDATE,
        &got,
        404,
        404,
        "component port does not exist",
        "组件端口不存在",
    );
}

#[tokio::test]
async fn update_with_an_unknown_action_is_a_serializer_error_naming_action() {
    let mock = start_mock().await;

    let got = update(&mock, NGINX, 80, json!({"action": "reopen"})).await;

    assert_validation_error(UPDATE, &got, "action");
}

// --- delete ---

#[tokio::test]
async fn delete_port_answers_the_removed_port_and_the_list_loses_it() {
    let mock = start_mock().await;
    let before = port(&mock, NGINX, 8080).await;

    let got = delete(&mock, NGINX, 8080).await;

    assert_eq!(Some(success_bean(DELETE, &got)), before);
    assert_eq!(got.json()["msg_show"], "删除成功");
    assert_eq!(container_ports(&ports(&mock, NGINX).await), [80, 443]);
}

#[tokio::test]
async fn delete_port_with_the_inner_service_open_is_409_and_keeps_it() {
    let mock = start_mock().await;

    let got = delete(&mock, NGINX, 80).await;

    assert_failure(
        DELETE,
        &got,
        409,
        409,
        "can not delete inner port",
        "请关闭对内服务",
    );
    assert!(port(&mock, NGINX, 80).await.is_some());
}

#[tokio::test]
async fn delete_port_with_the_outer_service_open_is_409_and_keeps_it() {
    let mock = start_mock().await;
    success_bean(
        UPDATE,
        &update(&mock, NGINX, 8080, json!({"action": "only_open_outer"})).await,
    );

    let got = delete(&mock, NGINX, 8080).await;

    assert_failure(
        DELETE,
        &got,
        409,
        409,
        "can not delete outer port",
        "请关闭对外服务",
    );
    assert!(port(&mock, NGINX, 8080).await.is_some());
}

#[tokio::test]
async fn delete_of_an_unknown_port_is_404_port_not_found() {
    let mock = start_mock().await;

    let got = delete(&mock, NGINX, 9999).await;

    assert_failure(DELETE, &got, 404, 404, "port not found", "端口9999不存在");
}

#[tokio::test]
async fn a_closed_port_can_be_deleted_after_closing_its_services() {
    let mock = start_mock().await;
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

// --- the path: team, region, app, component ---

#[tokio::test]
async fn unknown_team_region_or_app_is_404_in_the_envelope() {
    let mock = start_mock().await;
    let cases = [
        (
            base(&mock, "nobody", "rainbond", SHOP_APP, NGINX),
            404,
            "no found team",
            "团队不存在",
        ),
        (
            base(&mock, TEAM, "nowhere", SHOP_APP, NGINX),
            3000,
            "the region is not found",
            "集群不存在",
        ),
        (
            base(&mock, TEAM, "rainbond", "99", NGINX),
            404,
            "no found app",
            "应用不存在",
        ),
    ];

    for (url, code, msg, msg_show) in cases {
        let got = send(authed(client().get(url))).await;

        assert_failure(LIST, &got, 404, code, msg, msg_show);
    }
}

#[tokio::test]
async fn a_component_of_another_app_is_404_component_not_belong_to_this_app() {
    let mock = start_mock().await;

    let listed = list(&mock, REDIS).await;
    let added = add(
        &mock,
        REDIS,
        json!({"port": 9000, "is_inner_service": false}),
    )
    .await;
    let deleted = delete(&mock, REDIS, 6379).await;

    for (operation, got) in [(LIST, &listed), (ADD, &added), (DELETE, &deleted)] {
        assert_failure(
            operation,
            got,
            404,
            404,
            "component not belong to this app",
            "组件不属于指定应用",
        );
    }
    let in_its_app = send(authed(
        client().get(base(&mock, TEAM, "rainbond", "13", REDIS)),
    ))
    .await;
    assert_eq!(
        container_ports(in_its_app.json()["data"]["list"].as_array().unwrap()),
        [6379]
    );
}

#[tokio::test]
async fn an_unknown_component_is_404_no_found_component() {
    let mock = start_mock().await;

    let got = update(&mock, "gr-nothing", 80, json!({"action": "open_inner"})).await;

    assert_failure(UPDATE, &got, 404, 404, "no found component", "组件不存在");
}

#[tokio::test]
async fn a_non_numeric_app_id_is_the_routers_404() {
    let mock = start_mock().await;

    let got = send(authed(
        client().get(base(&mock, TEAM, "rainbond", "shop", NGINX)),
    ))
    .await;

    assert_eq!(got.status, 404, "{}", got.text);
    assert_conforms(LIST, &got);
    assert_eq!(
        (got.json()["detail"].clone(), got.json()["code"].clone()),
        (json!("Not found."), json!(404))
    );
}

// --- authentication ---

#[tokio::test]
async fn a_request_without_the_exact_access_key_is_401_no_token_and_changes_nothing() {
    let mock = start_mock().await;
    let body = json!({"port": 9000, "is_inner_service": false});
    let missing = client().post(ports_url(&mock, NGINX));
    let wrong = missing
        .try_clone()
        .unwrap()
        .header("authorization", "not-the-key");
    let bearer = missing
        .try_clone()
        .unwrap()
        .header("authorization", format!("Bearer {DEFAULT_TOKEN}"));

    for request in [missing, wrong, bearer] {
        let got = send(request.json(&body)).await;

        assert_eq!(got.status, 401, "{}", got.text);
        assert_conforms(ADD, &got);
        assert_eq!(
            got.json(),
            json!({"detail": "No token", "code": 401, "msg": "No token", "msg_show": "No token", "error_type": "AuthenticationFailed"})
        );
    }
    assert_eq!(port(&mock, NGINX, 9000).await, None);
}

// --- routing and malformed requests ---

#[tokio::test]
async fn an_unknown_path_under_openapi_v1_is_404_in_the_envelope() {
    let mock = start_mock().await;

    let got = send(authed(
        client().get(format!("{}/openapi/v1/teams/{TEAM}/volumes", mock.url())),
    ))
    .await;

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
    let mock = start_mock().await;

    let got = send(authed(client().patch(ports_url(&mock, NGINX)))).await;

    assert_eq!(got.status, 405, "{}", got.text);
    let allow = got
        .headers
        .get("allow")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(allow.contains("GET") && allow.contains("POST"), "{allow}");
    assert_eq!(got.json()["code"], 405);
}

#[tokio::test]
async fn malformed_json_is_a_serializer_error() {
    let mock = start_mock().await;

    let got = send(
        authed(client().post(ports_url(&mock, NGINX)))
            .header("content-type", "application/json")
            .body("{\"port\": 80,"),
    )
    .await;

    assert_validation_error(ADD, &got, "non_field_errors");
}

#[tokio::test]
async fn a_non_json_content_type_is_a_serializer_error() {
    let mock = start_mock().await;

    let got = send(
        authed(client().put(port_url(&mock, NGINX, 80)))
            .header("content-type", "text/plain")
            .body("open_outer"),
    )
    .await;

    assert_validation_error(UPDATE, &got, "non_field_errors");
    assert_eq!(
        port(&mock, NGINX, 80).await.unwrap()["is_outer_service"],
        false
    );
}

#[tokio::test]
async fn a_missing_body_names_every_required_field() {
    let mock = start_mock().await;

    let got = send(
        authed(client().post(ports_url(&mock, NGINX))).header("content-type", "application/json"),
    )
    .await;

    assert_validation_error(ADD, &got, "port");
    assert_eq!(
        got.json()["err"]["is_inner_service"],
        json!(["This field is required."])
    );
}
