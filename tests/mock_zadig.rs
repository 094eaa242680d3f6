//! The Zadig mock (OpenAPI environments), black-box over loopback HTTP: every
//! operation, every rule of vendor-notes' Zadig section, both error
//! envelopes, auth, routing and the SSE log stream.

mod support;

use futures_util::StreamExt;
use reqwest::Method;
use rstest::rstest;
use serde_json::{Value, json};
use support::{Body, Got, TestMock, Vendor, assert_conforms};
use vouch::mock::DEFAULT_TOKEN;

const PROJECT: &str = "simple-demo";
const NO_DOCUMENTS: &str = "mongo: no documents in result";
/// The fixture pod of `service1` in `dev` whose log has 25 lines.
const POD: &str = "service1-5b94c8f98f-hsqfl";
const LAST_LOG_LINE: &str = "2024-01-05T08:46:45Z INFO GET /api/v1/players 200 11.8ms";

async fn start() -> TestMock {
    TestMock::start(Vendor::Zadig).await
}

/// The `env_key`s of an environment list.
async fn env_keys(api: &TestMock, list_path: &str) -> Vec<String> {
    let list = api.read(list_path).await;
    list.as_array()
        .expect("a list")
        .iter()
        .map(|e| e["env_key"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// The names of the services in an environment's detail.
async fn service_names(api: &TestMock, detail_path: &str) -> Vec<String> {
    let detail = api.read(detail_path).await;
    detail["services"]
        .as_array()
        .expect("services")
        .iter()
        .map(|s| s["service_name"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// `GET /openapi/environments/kube/events` for one object.
async fn kube_events(api: &TestMock, env: &str, name: &str, kind: &str) -> Value {
    api.read(&format!("/openapi/environments/kube/events?projectKey={PROJECT}&envName={env}&name={name}&type={kind}")).await
}

/// The error an operation answers, in one of Zadig's two envelopes.
#[derive(Debug, Clone, Copy)]
enum Error {
    /// A 400 `{type, message, code, description, extra}` with this code, describing this.
    BadRequest(u64, &'static str),
    /// A 500 `{message, code, description}` describing this.
    Internal(&'static str),
}

fn assert_error(operation: &str, got: &Got, error: Error) {
    match error {
        Error::BadRequest(code, needle) => assert_bad_request(operation, got, code, needle),
        Error::Internal(needle) => assert_internal(operation, got, needle),
    }
}

fn assert_success(operation: &str, got: &Got) {
    assert_eq!(got.status, 200, "{operation}: {}", got.text);
    assert_eq!(got.json(), json!({"message": "success"}));
    assert_conforms(operation, got);
}

/// A 400 `{type, message, code, description, extra}` with `code` and a description containing `needle`.
fn assert_bad_request(operation: &str, got: &Got, code: u64, needle: &str) {
    assert_eq!(got.status, 400, "{operation}: {}", got.text);
    let body = got.json();
    assert_eq!(body["type"], "error");
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["extra"], json!({}));
    assert!(
        body["description"]
            .as_str()
            .unwrap_or_default()
            .contains(needle),
        "{body} should mention {needle:?}"
    );
    assert_conforms(operation, got);
}

/// A 500 `{message: "Internal Error: ", code: 500, description}` (no `type`)
/// whose description is not empty and contains `needle`.
fn assert_internal(operation: &str, got: &Got, needle: &str) {
    assert_eq!(got.status, 500, "{operation}: {}", got.text);
    let body = got.json();
    assert_eq!(body["message"], "Internal Error: ");
    assert_eq!(body["code"], 500);
    assert!(body.get("type").is_none());
    let description = body["description"].as_str().unwrap_or_default();
    assert!(
        !description.is_empty() && description.contains(needle),
        "{body} should mention {needle:?}"
    );
    assert_conforms(operation, got);
}

fn find<'v>(items: &'v Value, field: &str, value: &str) -> Option<&'v Value> {
    items.as_array()?.iter().find(|i| i[field] == value)
}

// ---------------------------------------------------------------- auth and routing

#[rstest]
#[case::missing(None, "")]
#[case::wrong_token(Some("Bearer wrong-token".to_string()), "")]
#[case::token_scheme(Some(format!("Token {DEFAULT_TOKEN}")), "")]
#[case::no_scheme(Some(DEFAULT_TOKEN.to_string()), "")]
#[case::wrong_token_in_the_query(None, "&token=wrong-token")]
#[tokio::test]
async fn a_request_without_the_token_gets_401_with_an_empty_body(
    #[case] authorization: Option<String>,
    #[case] query: &str,
) {
    let api = start().await;
    let path = format!("/openapi/environments?projectKey=simple-demo{query}");

    let got = api
        .send(api.authorized_as(Method::GET, &path, authorization.as_deref()))
        .await;

    assert_eq!(got.status, 401, "{}", got.text);
    assert_eq!(got.text, "");
    assert_conforms("zadig.listTestEnvironments", &got);
}

#[tokio::test]
async fn the_token_is_also_accepted_as_a_query_parameter() {
    let api = start().await;
    let path = format!("/openapi/environments?projectKey=simple-demo&token={DEFAULT_TOKEN}");

    let got = api.send(api.anonymous(Method::GET, &path)).await;

    assert_eq!(got.status, 200, "{}", got.text);
}

#[rstest]
#[case::under_environments("/openapi/environments/dev/nonsense/deeper?projectKey=simple-demo")]
#[case::under_logs("/openapi/logs/nonsense")]
#[tokio::test]
async fn unknown_paths_under_the_prefixes_get_a_plain_text_404(#[case] path: &str) {
    let api = start().await;

    let got = api.get(path).await;

    assert_eq!(got.status, 404, "{path}");
    assert_eq!(got.text, "404 page not found");
    assert!(
        got.content_type
            .as_deref()
            .unwrap_or_default()
            .starts_with("text/plain")
    );
}

#[tokio::test]
async fn a_wrong_method_gets_a_plain_text_405_with_allow() {
    let api = start().await;

    let got = api
        .send(api.request(
            Method::PATCH,
            "/openapi/environments/dev?projectKey=simple-demo",
        ))
        .await;

    assert_eq!(got.status, 405);
    assert_eq!(got.text, "405 method not allowed");
    let allow = got
        .headers
        .get("allow")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    for method in ["GET", "PUT", "DELETE"] {
        assert!(allow.contains(method), "Allow: {allow}");
    }
}

#[tokio::test]
async fn an_injected_fault_uses_the_vendors_envelopes() {
    let api = start().await;
    api.inject_fault("zadig.getTestEnvironment", 500).await;

    let got = api
        .get("/openapi/environments/dev?projectKey=simple-demo")
        .await;

    assert_internal("zadig.getTestEnvironment", &got, "fault injected");
}

// ---------------------------------------------------------------- projectKey and envelopes

#[rstest]
#[case::missing_on_a_list("zadig.listTestEnvironments", "/openapi/environments")]
#[case::empty_on_a_list("zadig.listTestEnvironments", "/openapi/environments?projectKey=")]
#[case::missing_on_variables(
    "zadig.getTestEnvironmentVariables",
    "/openapi/environments/dev/variable"
)]
#[tokio::test]
async fn a_missing_or_empty_project_key_is_a_400_saying_so(
    #[case] operation: &str,
    #[case] path: &str,
) {
    let api = start().await;

    let got = api.get(path).await;

    assert_eq!(got.status, 400, "{path}");
    assert_eq!(
        got.json(),
        json!({"type": "error", "message": "Bad Request", "code": 400, "description": "projectKey can't be empty", "extra": {}})
    );
    assert_conforms(operation, &got);
}

#[rstest]
#[case::list(
    "zadig.listTestEnvironments",
    Method::GET,
    "/openapi/environments?projectKey=nope",
    Body::None,
    Error::BadRequest(6075, "nope")
)]
#[case::detail(
    "zadig.getTestEnvironment",
    Method::GET,
    "/openapi/environments/dev?projectKey=nope",
    Body::None,
    Error::Internal(NO_DOCUMENTS)
)]
#[case::edit("zadig.updateTestEnvironment", Method::PUT, "/openapi/environments/dev?projectKey=nope", Body::Json(json!({"registry_id": "630c7ad700430c131062e245"})), Error::BadRequest(6076, "nope"))]
#[tokio::test]
async fn an_unknown_project_is_the_error_each_operation_declares(
    #[case] operation: &str,
    #[case] method: Method,
    #[case] path: &str,
    #[case] body: Body,
    #[case] error: Error,
) {
    let api = start().await;

    let got = api.call(method, path, body).await;

    assert_error(operation, &got, error);
}

#[tokio::test]
async fn environments_with_the_same_key_in_two_projects_are_separate() {
    let api = start().await;

    let simple = api
        .read("/openapi/environments/dev?projectKey=simple-demo")
        .await;
    let other = api
        .read("/openapi/environments/dev?projectKey=yaml-demo")
        .await;

    assert_eq!(simple["namespace"], "simple-demo-env-dev");
    assert_eq!(other["namespace"], "yaml-demo-env-dev");
    assert_eq!(other["project_key"], "yaml-demo");
}

// ---------------------------------------------------------------- environments

#[tokio::test]
async fn test_and_production_lists_hold_only_their_own_kind() {
    let api = start().await;

    let tests = api
        .get("/openapi/environments?projectKey=simple-demo")
        .await;
    let productions = api
        .get("/openapi/environments/production?projectKey=simple-demo")
        .await;

    assert_conforms("zadig.listTestEnvironments", &tests);
    assert_conforms("zadig.listProductionEnvironments", &productions);
    let dev = find(&tests.json(), "env_key", "dev")
        .cloned()
        .expect("dev listed");
    assert_eq!(dev["envName"], "development");
    assert_eq!(dev["production"], false);
    assert_eq!(dev["status"], "success");
    assert!(dev.get("env_name").is_none());
    assert!(find(&tests.json(), "env_key", "prod").is_none());
    assert_eq!(
        env_keys(
            &api,
            "/openapi/environments/production?projectKey=simple-demo"
        )
        .await,
        ["prod"]
    );
    assert_eq!(
        find(&productions.json(), "env_key", "prod").expect("prod")["production"],
        true
    );
}

#[tokio::test]
async fn list_items_leave_out_an_empty_alias() {
    let api = start().await;

    let list = api.read("/openapi/environments?projectKey=yaml-demo").await;

    let dev = find(&list, "env_key", "dev").expect("dev listed");
    assert!(dev.get("envName").is_none(), "{dev}");
}

#[tokio::test]
async fn environment_detail_shows_services_containers_and_resolved_variables() {
    let api = start().await;

    let got = api
        .get("/openapi/environments/dev?projectKey=simple-demo")
        .await;

    assert_conforms("zadig.getTestEnvironment", &got);
    let detail = got.json();
    assert_eq!(
        (
            detail["project_key"].as_str(),
            detail["env_key"].as_str(),
            detail["env_name"].as_str()
        ),
        (Some(PROJECT), Some("dev"), Some("development"))
    );
    let debug = find(&detail["global_variables"], "key", "debug").expect("debug variable");
    assert_eq!(
        (debug["value"].clone(), debug["type"].clone()),
        (json!(true), json!("bool"))
    );
    let cpu = find(&detail["global_variables"], "key", "cpuLimit").expect("cpuLimit variable");
    assert_eq!(cpu["related_services"], json!(["service1"]));
    let service1 = find(&detail["services"], "service_name", "service1").expect("service1");
    assert_eq!(
        service1["containers"][0]["image"],
        "koderover.tencentcloudcr.com/test/service1:20231214162411"
    );
    assert_eq!(service1["containers"][0]["image_name"], "service1");
    assert_eq!(
        find(&service1["variable_kvs"], "key", "cpuLimit").expect("cpuLimit")["value"],
        "1000m"
    );
}

#[rstest]
#[case::prod_read_as_a_test_environment(
    "zadig.getTestEnvironment",
    Method::GET,
    "/openapi/environments/prod?projectKey=simple-demo",
    Error::Internal(NO_DOCUMENTS)
)]
#[case::dev_read_as_production(
    "zadig.getProductionEnvironment",
    Method::GET,
    "/openapi/environments/production/dev?projectKey=simple-demo",
    Error::Internal(NO_DOCUMENTS)
)]
#[case::dev_deleted_as_production(
    "zadig.deleteProductionEnvironment",
    Method::DELETE,
    "/openapi/environments/production/dev?projectKey=simple-demo",
    Error::BadRequest(6077, "dev")
)]
#[tokio::test]
async fn a_test_environment_is_invisible_to_production_operations_and_back(
    #[case] operation: &str,
    #[case] method: Method,
    #[case] path: &str,
    #[case] error: Error,
) {
    let api = start().await;

    let got = api.call(method, path, Body::None).await;

    assert_error(operation, &got, error);
    assert!(
        env_keys(&api, "/openapi/environments?projectKey=simple-demo")
            .await
            .contains(&"dev".to_string())
    );
}

#[rstest]
#[case::test_environment(
    "zadig.getTestEnvironment",
    "/openapi/environments/nope?projectKey=simple-demo"
)]
#[case::production_environment(
    "zadig.getProductionEnvironment",
    "/openapi/environments/production/nope?projectKey=simple-demo"
)]
#[case::test_variables(
    "zadig.getTestEnvironmentVariables",
    "/openapi/environments/nope/variable?projectKey=simple-demo"
)]
#[case::production_variables(
    "zadig.getProductionEnvironmentVariables",
    "/openapi/environments/production/nope/variable?projectKey=simple-demo"
)]
#[case::test_service(
    "zadig.getTestEnvironmentService",
    "/openapi/environments/nope/services/service1?projectKey=simple-demo"
)]
#[case::production_service(
    "zadig.getProductionEnvironmentService",
    "/openapi/environments/production/nope/services/service1?projectKey=simple-demo"
)]
#[case::test_configs(
    "zadig.listTestEnvironmentConfigs",
    "/openapi/environments/nope/envcfgs?projectKey=simple-demo"
)]
#[case::production_configs(
    "zadig.listProductionEnvironmentConfigs",
    "/openapi/environments/production/nope/envcfgs?projectKey=simple-demo"
)]
#[case::test_config(
    "zadig.getTestEnvironmentConfig",
    "/openapi/environments/nope/envcfg/game-demo?projectKey=simple-demo"
)]
#[case::production_config(
    "zadig.getProductionEnvironmentConfig",
    "/openapi/environments/production/nope/envcfg/game-demo?projectKey=simple-demo"
)]
#[case::kube_events(
    "zadig.listKubeEvents",
    "/openapi/environments/kube/events?projectKey=simple-demo&envName=nope&name=service1&type=Deployment"
)]
#[case::workload_check(
    "zadig.checkWorkloadK8sServices",
    "/openapi/environments/nope/check/workloads/k8services?projectKey=simple-demo"
)]
#[case::share_ready_check(
    "zadig.checkShareEnvironmentReady",
    "/openapi/environments/nope/check/sharenv/enable/ready?projectKey=simple-demo"
)]
#[case::portal_service(
    "zadig.getPortalService",
    "/openapi/environments/nope/share/portal/service1?projectKey=simple-demo"
)]
#[tokio::test]
async fn an_unknown_environment_on_per_environment_reads_is_a_500_no_documents(
    #[case] operation: &str,
    #[case] path: &str,
) {
    let api = start().await;

    let got = api.get(path).await;

    assert_eq!(
        got.json(),
        json!({"message": "Internal Error: ", "code": 500, "description": NO_DOCUMENTS}),
        "{operation}"
    );
    assert_conforms(operation, &got);
}

fn new_test_environment() -> Value {
    json!({
        "env_key": "dev7",
        "cluster_id": "0123456789abcdef12345678",
        "namespace": "simple-demo-env-dev7",
        "registry_id": "6350be2b4503905e98b4b771",
        "is_public": true,
        "global_variables": [{"key": "cpuLimit", "value": "15m"}],
        "services": [{
            "service_name": "service2",
            "type": "k8s",
            "containers": [{"image": "koderover.tencentcloudcr.com/test/myapp-1:new", "image_name": "myapp-1", "name": "myapp-1"}],
            "variable_kvs": [{"key": "env1", "value": "seven"}],
        }],
        "env_configs": [{"yaml_data": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: istio-ca-root-cert-test\n", "common_env_cfg_type": "ConfigMap"}],
    })
}

#[tokio::test]
async fn creating_a_test_environment_makes_it_listed_and_readable() {
    let api = start().await;

    let got = api
        .post(
            "/openapi/environments?projectKey=simple-demo",
            new_test_environment(),
        )
        .await;

    assert_success("zadig.createTestEnvironment", &got);
    assert!(
        env_keys(&api, "/openapi/environments?projectKey=simple-demo")
            .await
            .contains(&"dev7".to_string())
    );
    let detail = api
        .read("/openapi/environments/dev7?projectKey=simple-demo")
        .await;
    let service2 =
        find(&detail["services"], "service_name", "service2").expect("service2 deployed");
    assert_eq!(
        service2["containers"][0]["image"],
        "koderover.tencentcloudcr.com/test/myapp-1:new"
    );
    assert_eq!(
        find(&service2["variable_kvs"], "key", "cpuLimit").expect("cpuLimit")["value"],
        "15m"
    );
    assert_eq!(
        find(&service2["variable_kvs"], "key", "env1").expect("env1")["value"],
        "seven"
    );
    let configs = api
        .read("/openapi/environments/dev7/envcfgs?projectKey=simple-demo")
        .await;
    assert!(
        find(&configs, "name", "istio-ca-root-cert-test").is_some(),
        "{configs}"
    );
}

#[tokio::test]
async fn creating_a_production_environment_lists_it_as_production_only() {
    let api = start().await;
    let body = json!({"env_key": "prod2", "env_name": "second", "cluster_id": "0123456789abcdef12345678", "namespace": "simple-demo-env-prod2", "registry_id": "630c7ad700430c131062e245"});

    let got = api
        .post(
            "/openapi/environments/production?projectKey=simple-demo",
            body,
        )
        .await;

    assert_success("zadig.createProductionEnvironment", &got);
    assert!(
        env_keys(
            &api,
            "/openapi/environments/production?projectKey=simple-demo"
        )
        .await
        .contains(&"prod2".to_string())
    );
    assert!(
        !env_keys(&api, "/openapi/environments?projectKey=simple-demo")
            .await
            .contains(&"prod2".to_string())
    );
    assert_eq!(
        api.read("/openapi/environments/production/prod2?projectKey=simple-demo")
            .await["env_name"],
        "second"
    );
}

/// `body` with the value at JSON `pointer` replaced.
fn with(mut body: Value, pointer: &str, value: Value) -> Value {
    *body.pointer_mut(pointer).expect("the field exists") = value;
    body
}

fn new_production_environment(key: &str) -> Value {
    json!({"env_key": key, "cluster_id": "0123456789abcdef12345678", "namespace": "x", "registry_id": "630c7ad700430c131062e245"})
}

#[rstest]
#[case::test_environment("zadig.createTestEnvironment", "/openapi/environments?projectKey=simple-demo", with(new_test_environment(), "/env_key", json!("dev")))]
#[case::production_environment(
    "zadig.createProductionEnvironment",
    "/openapi/environments/production?projectKey=simple-demo",
    new_production_environment("prod")
)]
#[case::production_named_like_a_test_environment(
    "zadig.createProductionEnvironment",
    "/openapi/environments/production?projectKey=simple-demo",
    new_production_environment("dev")
)]
#[tokio::test]
async fn creating_an_existing_environment_is_a_500_already_exists(
    #[case] operation: &str,
    #[case] path: &str,
    #[case] body: Value,
) {
    let api = start().await;

    let got = api.post(path, body).await;

    assert_internal(operation, &got, "环境已存在");
    assert_eq!(
        env_keys(
            &api,
            "/openapi/environments/production?projectKey=simple-demo"
        )
        .await,
        ["prod"]
    );
}

#[rstest]
#[case::unknown_cluster("/cluster_id", "ffffffffffffffffffffffff")]
#[case::unknown_service("/services/0/service_name", "nope")]
#[tokio::test]
async fn creating_with_an_unknown_cluster_or_service_is_rejected_and_creates_nothing(
    #[case] pointer: &str,
    #[case] unknown: &'static str,
) {
    let api = start().await;

    let got = api
        .post(
            "/openapi/environments?projectKey=simple-demo",
            with(new_test_environment(), pointer, json!(unknown)),
        )
        .await;

    assert_bad_request("zadig.createTestEnvironment", &got, 6074, unknown);
    assert!(
        !env_keys(&api, "/openapi/environments?projectKey=simple-demo")
            .await
            .contains(&"dev7".to_string())
    );
}

#[tokio::test]
async fn a_create_body_missing_a_field_is_a_400_naming_it() {
    let api = start().await;
    let mut body = new_test_environment();
    body.as_object_mut().expect("object").remove("cluster_id");

    let got = api
        .post("/openapi/environments?projectKey=simple-demo", body)
        .await;

    assert_bad_request("zadig.createTestEnvironment", &got, 400, "cluster_id");
}

#[rstest]
#[case::malformed(Body::Raw("application/json", "{\"env_key\": "), "")]
#[case::missing(Body::Bare("application/json"), "unexpected end of JSON input")]
#[tokio::test]
async fn a_malformed_or_missing_create_body_is_the_servers_500_json_error(
    #[case] body: Body,
    #[case] needle: &str,
) {
    let api = start().await;

    let got = api
        .call(
            Method::POST,
            "/openapi/environments?projectKey=simple-demo",
            body,
        )
        .await;

    assert_internal("zadig.createTestEnvironment", &got, needle);
}

#[rstest]
#[case::malformed_json(Body::Raw("application/json", "{oops"), "JSON")]
#[case::non_json_content_type(Body::Raw("text/plain", "cpuLimit=1"), "text/plain")]
#[case::missing(Body::Bare("application/json"), "body")]
#[tokio::test]
async fn a_bad_body_where_no_500_is_declared_is_a_400_envelope(
    #[case] body: Body,
    #[case] needle: &str,
) {
    let api = start().await;
    let path = "/openapi/environments/dev/variable?projectKey=simple-demo";

    let got = api.call(Method::PUT, path, body).await;

    assert_bad_request("zadig.updateTestEnvironmentVariables", &got, 400, needle);
    assert_eq!(
        find(&api.read(path).await, "key", "cpuLimit").expect("cpuLimit")["value"],
        "1000m"
    );
}

#[tokio::test]
async fn editing_a_test_environment_changes_its_registry() {
    let api = start().await;
    let path = "/openapi/environments/dev?projectKey=simple-demo";

    let unknown = api
        .put(path, json!({"registry_id": "ffffffffffffffffffffffff"}))
        .await;
    let edited = api
        .put(path, json!({"registry_id": "6350be2b4503905e98b4b771"}))
        .await;

    assert_bad_request(
        "zadig.updateTestEnvironment",
        &unknown,
        6076,
        "ffffffffffffffffffffffff",
    );
    assert_success("zadig.updateTestEnvironment", &edited);
    let detail = api.read(path).await;
    assert_eq!(detail["registry_id"], "6350be2b4503905e98b4b771");
    assert_ne!(detail["update_time"], 1690186199);
}

#[tokio::test]
async fn editing_a_production_environment_changes_its_display_name() {
    let api = start().await;
    let path = "/openapi/environments/production/prod?projectKey=simple-demo";

    let got = api.put(path, json!({"env_name": "live"})).await;

    assert_success("zadig.updateProductionEnvironment", &got);
    let detail = api.read(path).await;
    assert_eq!(detail["env_name"], "live");
    assert_eq!(detail["registry_id"], "630c7ad700430c131062e245");
}

#[tokio::test]
async fn deleting_a_test_environment_needs_is_delete() {
    let api = start().await;

    let missing = api
        .delete("/openapi/environments/dev?projectKey=simple-demo")
        .await;
    let not_bool = api
        .delete("/openapi/environments/dev?projectKey=simple-demo&isDelete=maybe")
        .await;

    assert_bad_request(
        "zadig.deleteTestEnvironment",
        &missing,
        6096,
        "strconv.ParseBool: parsing \"\": invalid syntax",
    );
    assert_bad_request("zadig.deleteTestEnvironment", &not_bool, 6096, "\"maybe\"");
    assert!(
        env_keys(&api, "/openapi/environments?projectKey=simple-demo")
            .await
            .contains(&"dev".to_string())
    );

    let deleted = api
        .delete("/openapi/environments/dev?projectKey=simple-demo&isDelete=true")
        .await;

    assert_success("zadig.deleteTestEnvironment", &deleted);
    assert!(
        !env_keys(&api, "/openapi/environments?projectKey=simple-demo")
            .await
            .contains(&"dev".to_string())
    );
    assert_internal(
        "zadig.getTestEnvironment",
        &api.get("/openapi/environments/dev?projectKey=simple-demo")
            .await,
        NO_DOCUMENTS,
    );
}

#[tokio::test]
async fn deleting_a_production_environment_removes_it() {
    let api = start().await;

    let got = api
        .delete("/openapi/environments/production/prod?projectKey=simple-demo")
        .await;

    assert_success("zadig.deleteProductionEnvironment", &got);
    assert!(
        env_keys(
            &api,
            "/openapi/environments/production?projectKey=simple-demo"
        )
        .await
        .is_empty()
    );
}

// ---------------------------------------------------------------- services

#[tokio::test]
async fn adding_a_service_deploys_it_from_the_project_with_the_body_variables() {
    let api = start().await;
    let body = json!({"env_key": "prod", "service_list": [{"service_name": "service2", "variable_kvs": [{"key": "cpuLimit", "use_global_variable": true}, {"key": "env1", "value": "live"}]}]});

    let got = api
        .post(
            "/openapi/environments/production/service/yaml?projectKey=simple-demo",
            body,
        )
        .await;

    assert_success("zadig.addProductionEnvironmentServices", &got);
    let detail = api
        .read("/openapi/environments/production/prod?projectKey=simple-demo")
        .await;
    let service2 =
        find(&detail["services"], "service_name", "service2").expect("service2 deployed");
    assert_eq!(
        service2["containers"][0]["image"],
        "koderover.tencentcloudcr.com/test/myapp-1:20230721164449-6-main"
    );
    assert_eq!(
        find(&service2["variable_kvs"], "key", "cpuLimit").expect("cpuLimit")["value"],
        "2000m"
    );
    assert_eq!(
        find(&service2["variable_kvs"], "key", "env1").expect("env1")["value"],
        "live"
    );
}

#[tokio::test]
async fn adding_services_to_a_test_environment_updates_deployed_ones() {
    let api = start().await;
    let body = json!({"env_key": "dev", "service_list": [{"service_name": "service2", "variable_kvs": [{"key": "env1", "value": "again"}]}]});

    let got = api
        .post(
            "/openapi/environments/service/yaml?projectKey=simple-demo",
            body,
        )
        .await;

    assert_success("zadig.addTestEnvironmentServices", &got);
    let detail = api
        .read("/openapi/environments/dev?projectKey=simple-demo")
        .await;
    let service2 = find(&detail["services"], "service_name", "service2").expect("service2");
    assert_eq!(
        find(&service2["variable_kvs"], "key", "env1").expect("env1")["value"],
        "again"
    );
}

#[tokio::test]
async fn adding_an_unknown_service_or_to_the_other_kind_is_rejected_and_changes_nothing() {
    let api = start().await;
    let unknown = json!({"env_key": "prod", "service_list": [{"service_name": "service2"}, {"service_name": "nope"}]});
    let via_test_route = json!({"env_key": "prod", "service_list": [{"service_name": "service2"}]});

    let unknown = api
        .post(
            "/openapi/environments/production/service/yaml?projectKey=simple-demo",
            unknown,
        )
        .await;
    let wrong_kind = api
        .post(
            "/openapi/environments/service/yaml?projectKey=simple-demo",
            via_test_route,
        )
        .await;

    assert_bad_request(
        "zadig.addProductionEnvironmentServices",
        &unknown,
        6092,
        "nope",
    );
    assert_bad_request(
        "zadig.addTestEnvironmentServices",
        &wrong_kind,
        6092,
        "prod",
    );
    assert_eq!(
        service_names(
            &api,
            "/openapi/environments/production/prod?projectKey=simple-demo"
        )
        .await,
        ["redis", "service1"]
    );
}

#[tokio::test]
async fn updating_service_variables_shows_in_the_environment_detail() {
    let api = start().await;
    let body = json!({"service_list": [{"service_name": "service2", "variable_kvs": [{"key": "env1", "value": "changed"}]}]});

    let test = api
        .put(
            "/openapi/environments/dev/services?projectKey=simple-demo",
            body,
        )
        .await;
    let production = api.put("/openapi/environments/production/prod/services?projectKey=simple-demo", json!({"service_list": [{"service_name": "service1", "variable_kvs": [{"key": "port", "value": "8081"}]}]})).await;

    assert_success("zadig.updateTestEnvironmentServices", &test);
    assert_success("zadig.updateProductionEnvironmentServices", &production);
    let dev = api
        .read("/openapi/environments/dev?projectKey=simple-demo")
        .await;
    let service2 = find(&dev["services"], "service_name", "service2").expect("service2");
    assert_eq!(
        find(&service2["variable_kvs"], "key", "env1").expect("env1")["value"],
        "changed"
    );
    let prod = api
        .read("/openapi/environments/production/prod?projectKey=simple-demo")
        .await;
    let service1 = find(&prod["services"], "service_name", "service1").expect("service1");
    assert_eq!(
        find(&service1["variable_kvs"], "key", "port").expect("port")["value"],
        "8081"
    );
}

#[tokio::test]
async fn updating_an_undeployed_service_or_using_an_unknown_global_is_rejected() {
    let api = start().await;
    let path = "/openapi/environments/dev/services?projectKey=simple-demo";
    let undeployed = json!({"service_list": [{"service_name": "service2", "variable_kvs": [{"key": "env1", "value": "x"}]}, {"service_name": "nope"}]});
    let dangling = json!({"service_list": [{"service_name": "service2", "variable_kvs": [{"key": "memLimit", "use_global_variable": true}]}]});

    let undeployed = api.put(path, undeployed).await;
    let dangling = api.put(path, dangling).await;

    assert_bad_request(
        "zadig.updateTestEnvironmentServices",
        &undeployed,
        6092,
        "nope",
    );
    assert_bad_request(
        "zadig.updateTestEnvironmentServices",
        &dangling,
        6092,
        "memLimit",
    );
    let dev = api
        .read("/openapi/environments/dev?projectKey=simple-demo")
        .await;
    let service2 = find(&dev["services"], "service_name", "service2").expect("service2");
    assert_eq!(
        service2["variable_kvs"],
        json!([{"key": "env1", "value": "demo", "type": "string", "use_global_variable": false}])
    );
}

#[tokio::test]
async fn deleting_services_removes_them_and_unknown_names_change_nothing() {
    let api = start().await;
    let path = "/openapi/environments/service/yaml?projectKey=simple-demo";

    let unknown = api
        .delete_with(
            path,
            json!({"env_key": "dev", "service_names": ["worker", "nope"]}),
        )
        .await;
    assert_bad_request(
        "zadig.deleteTestEnvironmentServices",
        &unknown,
        6092,
        "nope",
    );
    assert!(
        service_names(&api, "/openapi/environments/dev?projectKey=simple-demo")
            .await
            .contains(&"worker".to_string())
    );

    let deleted = api
        .delete_with(path, json!({"env_key": "dev", "service_names": ["worker"]}))
        .await;

    assert_success("zadig.deleteTestEnvironmentServices", &deleted);
    assert!(
        !service_names(&api, "/openapi/environments/dev?projectKey=simple-demo")
            .await
            .contains(&"worker".to_string())
    );
}

#[tokio::test]
async fn deleting_production_services_removes_them() {
    let api = start().await;

    let got = api
        .delete_with(
            "/openapi/environments/production/service/yaml?projectKey=simple-demo",
            json!({"env_key": "prod", "service_names": ["redis"]}),
        )
        .await;

    assert_success("zadig.deleteProductionEnvironmentServices", &got);
    assert_eq!(
        service_names(
            &api,
            "/openapi/environments/production/prod?projectKey=simple-demo"
        )
        .await,
        ["service1"]
    );
}

#[tokio::test]
async fn service_detail_shows_workloads_pods_and_endpoints() {
    let api = start().await;

    let got = api
        .get("/openapi/environments/dev/services/service1?projectKey=simple-demo")
        .await;

    assert_conforms("zadig.getTestEnvironmentService", &got);
    let detail = got.json();
    let scale = &detail["scales"][0];
    assert_eq!(
        (
            scale["name"].as_str(),
            scale["type"].as_str(),
            scale["replicas"].as_u64()
        ),
        (Some("service1"), Some("Deployment"), Some(1))
    );
    assert_eq!(scale["pods"][0]["name"], POD);
    assert_eq!(
        detail["service_endpoints"][0]["endpoints"][0]["service_port"],
        20211
    );
    assert_eq!(
        (detail["env_name"].as_str(), detail["product_name"].as_str()),
        (Some("dev"), Some(PROJECT))
    );
}

#[tokio::test]
async fn service_detail_filters_by_workload_type_and_shows_cron_jobs_apart() {
    let api = start().await;

    let filtered = api.read("/openapi/environments/dev/services/service1?projectKey=simple-demo&workLoadtype=StatefulSet").await;
    let cron = api
        .get("/openapi/environments/dev/services/cleanup?projectKey=simple-demo")
        .await;
    let production = api
        .get("/openapi/environments/production/prod/services/redis?projectKey=simple-demo")
        .await;

    assert_eq!(filtered["scales"], json!([]));
    assert_conforms("zadig.getTestEnvironmentService", &cron);
    assert_eq!(
        (
            cron.json()["scales"].clone(),
            cron.json()["cron_jobs"][0]["type"].clone()
        ),
        (json!([]), json!("CronJob"))
    );
    assert_conforms("zadig.getProductionEnvironmentService", &production);
    let pods: Vec<Value> = production.json()["scales"][0]["pods"]
        .as_array()
        .expect("pods")
        .iter()
        .map(|p| p["name"].clone())
        .collect();
    assert_eq!(pods, [json!("redis-0"), json!("redis-1"), json!("redis-2")]);
}

#[tokio::test]
async fn an_unknown_service_detail_is_a_500() {
    let api = start().await;

    let got = api
        .get("/openapi/environments/dev/services/nope?projectKey=simple-demo")
        .await;

    assert_internal("zadig.getTestEnvironmentService", &got, NO_DOCUMENTS);
}

// ---------------------------------------------------------------- global variables

#[tokio::test]
async fn updating_a_global_variable_reaches_the_services_that_use_it() {
    let api = start().await;

    let got = api
        .put(
            "/openapi/environments/dev/variable?projectKey=simple-demo",
            json!({"global_variables": [{"key": "cpuLimit", "value": "1500m"}]}),
        )
        .await;

    assert_success("zadig.updateTestEnvironmentVariables", &got);
    let variables = api
        .get("/openapi/environments/dev/variable?projectKey=simple-demo")
        .await;
    assert_conforms("zadig.getTestEnvironmentVariables", &variables);
    assert_eq!(
        find(&variables.json(), "key", "cpuLimit").expect("cpuLimit")["value"],
        "1500m"
    );
    let detail = api
        .read("/openapi/environments/dev?projectKey=simple-demo")
        .await;
    let service1 = find(&detail["services"], "service_name", "service1").expect("service1");
    assert_eq!(
        find(&service1["variable_kvs"], "key", "cpuLimit").expect("cpuLimit")["value"],
        "1500m"
    );
    let production = api
        .read("/openapi/environments/production/prod/variable?projectKey=simple-demo")
        .await;
    assert_eq!(
        find(&production, "key", "cpuLimit").expect("cpuLimit")["value"],
        "2000m"
    );
}

#[tokio::test]
async fn updating_production_global_variables_reaches_production_services() {
    let api = start().await;

    let got = api
        .put(
            "/openapi/environments/production/prod/variable?projectKey=simple-demo",
            json!({"global_variables": [{"key": "cpuLimit", "value": "3000m"}]}),
        )
        .await;

    assert_success("zadig.updateProductionEnvironmentVariables", &got);
    let variables = api
        .get("/openapi/environments/production/prod/variable?projectKey=simple-demo")
        .await;
    assert_conforms("zadig.getProductionEnvironmentVariables", &variables);
    assert_eq!(
        find(&variables.json(), "key", "cpuLimit").expect("cpuLimit")["related_services"],
        json!(["service1"])
    );
    let detail = api
        .read("/openapi/environments/production/prod?projectKey=simple-demo")
        .await;
    let service1 = find(&detail["services"], "service_name", "service1").expect("service1");
    assert_eq!(
        find(&service1["variable_kvs"], "key", "cpuLimit").expect("cpuLimit")["value"],
        "3000m"
    );
}

#[tokio::test]
async fn updating_an_unknown_global_variable_is_rejected_and_changes_nothing() {
    let api = start().await;
    let path = "/openapi/environments/dev/variable?projectKey=simple-demo";

    let got = api.put(path, json!({"global_variables": [{"key": "cpuLimit", "value": "1m"}, {"key": "nope", "value": "x"}]})).await;

    assert_bad_request("zadig.updateTestEnvironmentVariables", &got, 6076, "nope");
    assert_eq!(
        find(&api.read(path).await, "key", "cpuLimit").expect("cpuLimit")["value"],
        "1000m"
    );
}

// ---------------------------------------------------------------- environment configurations

#[tokio::test]
async fn environment_configs_are_listed_by_type() {
    let api = start().await;

    let all = api
        .get("/openapi/environments/dev/envcfgs?projectKey=simple-demo")
        .await;
    let ingresses = api
        .read("/openapi/environments/dev/envcfgs?projectKey=simple-demo&type=Ingress")
        .await;
    let production = api
        .get("/openapi/environments/production/prod/envcfgs?projectKey=simple-demo&type=PVC")
        .await;

    assert_conforms("zadig.listTestEnvironmentConfigs", &all);
    assert_eq!(all.json().as_array().map(Vec::len), Some(3));
    assert_eq!(ingresses.as_array().map(Vec::len), Some(1));
    assert_eq!(ingresses[0]["name"], "service1-ingress");
    assert_eq!(
        (
            ingresses[0]["env_name"].as_str(),
            ingresses[0]["project_name"].as_str()
        ),
        (Some("dev"), Some(PROJECT))
    );
    assert_conforms("zadig.listProductionEnvironmentConfigs", &production);
    assert_eq!(production.json()[0]["name"], "redis-data");
}

#[tokio::test]
async fn an_invalid_config_type_is_a_400_naming_it() {
    let api = start().await;

    let got = api
        .get("/openapi/environments/dev/envcfgs?projectKey=simple-demo&type=Deployment")
        .await;

    assert_bad_request("zadig.listTestEnvironmentConfigs", &got, 400, "type");
}

#[tokio::test]
async fn a_config_detail_sits_under_the_key_of_its_type() {
    let api = start().await;

    let config_map = api
        .get("/openapi/environments/dev/envcfg/game-demo?projectKey=simple-demo")
        .await;
    let pvc = api.get("/openapi/environments/production/prod/envcfg/redis-data?projectKey=simple-demo&type=PVC").await;
    let wrong_type = api
        .get("/openapi/environments/dev/envcfg/game-demo?projectKey=simple-demo&type=Secret")
        .await;

    assert_conforms("zadig.getTestEnvironmentConfig", &config_map);
    assert!(
        config_map.json()["configMap_detail"]["yaml_data"]
            .as_str()
            .unwrap_or_default()
            .contains("player_initial_lives: \"3\"")
    );
    assert_conforms("zadig.getProductionEnvironmentConfig", &pvc);
    assert_eq!(pvc.json()["pvc_detail"]["name"], "redis-data");
    assert_internal("zadig.getTestEnvironmentConfig", &wrong_type, NO_DOCUMENTS);
}

#[tokio::test]
async fn creating_a_config_makes_it_listed_and_a_duplicate_is_rejected() {
    let api = start().await;
    let body = json!({"name": "app-secret", "common_env_cfg_type": "Secret", "yaml_data": "apiVersion: v1\nkind: Secret\nmetadata:\n  name: app-secret\n"});

    let created = api
        .post(
            "/openapi/environments/dev/envcfgs?projectKey=simple-demo",
            body.clone(),
        )
        .await;
    let duplicate = api
        .post(
            "/openapi/environments/dev/envcfgs?projectKey=simple-demo",
            body,
        )
        .await;

    assert_success("zadig.createTestEnvironmentConfig", &created);
    assert_bad_request(
        "zadig.createTestEnvironmentConfig",
        &duplicate,
        6076,
        "already exists",
    );
    let secrets = api
        .read("/openapi/environments/dev/envcfgs?projectKey=simple-demo&type=Secret")
        .await;
    assert_eq!(secrets.as_array().map(Vec::len), Some(2));
    let detail = api
        .read("/openapi/environments/dev/envcfg/app-secret?projectKey=simple-demo&type=Secret")
        .await;
    assert_eq!(detail["secret_detail"]["env_key"], "dev");
}

#[tokio::test]
async fn creating_a_production_config_keeps_it_out_of_test_environments() {
    let api = start().await;
    let body = json!({"name": "prod-only", "common_env_cfg_type": "ConfigMap", "yaml_data": "kind: ConfigMap\n"});

    let got = api
        .post(
            "/openapi/environments/production/prod/envcfgs?projectKey=simple-demo",
            body.clone(),
        )
        .await;
    let into_test_via_production = api
        .post(
            "/openapi/environments/production/dev/envcfgs?projectKey=simple-demo",
            body,
        )
        .await;

    assert_success("zadig.createProductionEnvironmentConfig", &got);
    assert_bad_request(
        "zadig.createProductionEnvironmentConfig",
        &into_test_via_production,
        6076,
        "dev",
    );
    assert!(
        find(
            &api.read("/openapi/environments/production/prod/envcfgs?projectKey=simple-demo")
                .await,
            "name",
            "prod-only"
        )
        .is_some()
    );
    assert!(
        find(
            &api.read("/openapi/environments/dev/envcfgs?projectKey=simple-demo")
                .await,
            "name",
            "prod-only"
        )
        .is_none()
    );
}

#[tokio::test]
async fn updating_a_config_replaces_its_yaml() {
    let api = start().await;
    let yaml = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: game-demo\ndata:\n  player_initial_lives: \"5\"\n";

    let got = api.put("/openapi/environments/envcfgs?projectKey=simple-demo", json!({"name": "game-demo", "env_key": "dev", "common_env_cfg_type": "ConfigMap", "yaml_data": yaml})).await;
    let unknown = api.put("/openapi/environments/envcfgs?projectKey=simple-demo", json!({"name": "nope", "env_key": "dev", "common_env_cfg_type": "ConfigMap", "yaml_data": yaml})).await;

    assert_success("zadig.updateEnvironmentConfig", &got);
    assert_bad_request("zadig.updateEnvironmentConfig", &unknown, 6076, "nope");
    let detail = api
        .read("/openapi/environments/dev/envcfg/game-demo?projectKey=simple-demo&type=ConfigMap")
        .await;
    assert_eq!(detail["configMap_detail"]["yaml_data"], yaml);
    assert!(
        detail["configMap_detail"]["update_time"]
            .as_u64()
            .unwrap_or_default()
            > 0
    );
}

#[tokio::test]
async fn deleting_a_config_needs_its_type() {
    let api = start().await;
    let path = "/openapi/environments/dev/envcfg/game-demo?projectKey=simple-demo";

    let without_type = api.delete(path).await;

    assert_eq!(
        without_type.json(),
        json!({"type": "error", "message": "Bad Request", "code": 400, "description": "type is empty", "extra": {}})
    );
    assert_conforms("zadig.deleteTestEnvironmentConfig", &without_type);
    assert!(
        find(
            &api.read("/openapi/environments/dev/envcfgs?projectKey=simple-demo")
                .await,
            "name",
            "game-demo"
        )
        .is_some()
    );

    let deleted = api.delete(&format!("{path}&type=ConfigMap")).await;
    let again = api.delete(&format!("{path}&type=ConfigMap")).await;

    assert_success("zadig.deleteTestEnvironmentConfig", &deleted);
    assert!(
        find(
            &api.read("/openapi/environments/dev/envcfgs?projectKey=simple-demo")
                .await,
            "name",
            "game-demo"
        )
        .is_none()
    );
    assert_bad_request(
        "zadig.deleteTestEnvironmentConfig",
        &again,
        6096,
        "game-demo",
    );
}

#[tokio::test]
async fn deleting_a_production_config_removes_only_that_one() {
    let api = start().await;

    let without_type = api
        .delete("/openapi/environments/production/prod/envcfg/redis-data?projectKey=simple-demo")
        .await;
    let deleted = api.delete("/openapi/environments/production/prod/envcfg/redis-data?projectKey=simple-demo&type=PVC").await;

    assert_bad_request(
        "zadig.deleteProductionEnvironmentConfig",
        &without_type,
        400,
        "type is empty",
    );
    assert_success("zadig.deleteProductionEnvironmentConfig", &deleted);
    let left = api
        .read("/openapi/environments/production/prod/envcfgs?projectKey=simple-demo")
        .await;
    assert_eq!(
        left.as_array()
            .map(|l| l.iter().map(|c| c["name"].clone()).collect::<Vec<_>>()),
        Some(vec![json!("game-demo")])
    );
}

// ---------------------------------------------------------------- workloads and events

fn scale_body(env: &str, name: &str, kind: &str, replicas: Value) -> Value {
    json!({"project_key": PROJECT, "env_key": env, "workload_name": name, "workload_type": kind, "target_replicas": replicas})
}

async fn replicas(api: &TestMock, service_path: &str) -> Value {
    api.read(service_path).await["scales"][0]["replicas"].clone()
}

#[tokio::test]
async fn scaling_a_workload_shows_the_new_replicas_and_records_an_event() {
    let api = start().await;
    let service = "/openapi/environments/dev/services/service1?projectKey=simple-demo";

    let got = api
        .post(
            "/openapi/environments/scale",
            scale_body("dev", "service1", "Deployment", json!(3)),
        )
        .await;

    assert_success("zadig.scaleWorkload", &got);
    let detail = api.read(service).await;
    assert_eq!(detail["scales"][0]["replicas"], 3);
    assert_eq!(
        detail["scales"][0]["pods"].as_array().map(Vec::len),
        Some(3)
    );
    let events = kube_events(&api, "dev", "service1", "Deployment").await;
    assert_eq!(events.as_array().map(Vec::len), Some(1));
    assert_eq!(events[0]["reason"], "ScalingReplicaSet");
    assert!(
        events[0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("to 3")
    );
}

#[tokio::test]
async fn scaling_reaches_production_environments_and_zero_replicas() {
    let api = start().await;

    let got = api
        .post(
            "/openapi/environments/scale",
            scale_body("prod", "redis", "StatefulSet", json!(0)),
        )
        .await;

    assert_success("zadig.scaleWorkload", &got);
    let detail = api
        .read("/openapi/environments/production/prod/services/redis?projectKey=simple-demo")
        .await;
    assert_eq!(detail["scales"][0]["replicas"], 0);
    assert_eq!(detail["scales"][0]["pods"], json!([]));
}

#[rstest]
#[case::lowercase_workload_type(scale_body("dev", "service1", "deployment", json!(2)), 400, "workload_type")]
#[case::negative_replicas(scale_body("dev", "service1", "Deployment", json!(-1)), 400, "target_replicas")]
#[case::fractional_replicas(scale_body("dev", "service1", "Deployment", json!(1.5)), 400, "target_replicas")]
#[case::replicas_over_i32(scale_body("dev", "service1", "Deployment", json!(99_999_999_999u64)), 400, "target_replicas")]
#[case::replicas_1e300(scale_body("dev", "service1", "Deployment", json!(1e300)), 400, "target_replicas")]
#[case::workload_of_another_type(scale_body("dev", "service1", "StatefulSet", json!(2)), 6081, "service1")]
#[case::unknown_environment(scale_body("nope", "service1", "Deployment", json!(2)), 6081, "nope")]
#[tokio::test]
async fn scaling_rejects_a_wrong_type_negative_or_huge_replicas_and_changes_nothing(
    #[case] body: Value,
    #[case] code: u64,
    #[case] needle: &str,
) {
    let api = start().await;
    let service = "/openapi/environments/dev/services/service1?projectKey=simple-demo";

    let got = api.post("/openapi/environments/scale", body).await;

    assert_bad_request("zadig.scaleWorkload", &got, code, needle);
    assert_eq!(replicas(&api, service).await, 1);
    assert_eq!(
        kube_events(&api, "dev", "service1", "Deployment").await,
        json!([])
    );
}

#[tokio::test]
async fn restarting_a_service_records_an_event() {
    let api = start().await;

    let test = api
        .post(
            "/openapi/environments/dev/service/service1/restart?projectKey=simple-demo",
            json!({}),
        )
        .await;
    let production = api
        .post(
            "/openapi/environments/production/prod/service/redis/restart?projectKey=simple-demo",
            json!({}),
        )
        .await;

    assert_success("zadig.restartTestEnvironmentService", &test);
    assert_success("zadig.restartProductionEnvironmentService", &production);
    assert_eq!(
        kube_events(&api, "dev", "service1", "Deployment").await[0]["reason"],
        "Restarted"
    );
    assert_eq!(
        kube_events(&api, "prod", "redis", "StatefulSet").await[0]["reason"],
        "Restarted"
    );
}

#[rstest]
#[case::production_service_through_the_test_route(
    "zadig.restartTestEnvironmentService",
    "/openapi/environments/prod/service/service1/restart?projectKey=simple-demo",
    "prod"
)]
#[case::unknown_service(
    "zadig.restartProductionEnvironmentService",
    "/openapi/environments/production/prod/service/nope/restart?projectKey=simple-demo",
    "nope"
)]
#[tokio::test]
async fn restarting_a_service_of_the_other_kind_or_unknown_is_rejected(
    #[case] operation: &str,
    #[case] path: &str,
    #[case] needle: &str,
) {
    let api = start().await;

    let got = api.post(path, json!({})).await;

    assert_bad_request(operation, &got, 6080, needle);
    assert_eq!(
        kube_events(&api, "prod", "service1", "Deployment").await,
        json!([])
    );
}

fn image_body(env: &str, service: &str, container: &str, image: &str) -> Value {
    json!({"product_name": PROJECT, "env_name": env, "service_name": service, "name": service, "container_name": container, "image": image})
}

#[tokio::test]
async fn a_deployment_image_update_reads_the_environment_from_the_body() {
    let api = start().await;
    let image = "koderover.tencentcloudcr.com/test/service1:20240301-7-main";

    let got = api
        .post(
            "/openapi/environments/image/deployment/ignored-env",
            image_body("dev", "service1", "service1", image),
        )
        .await;

    assert_success("zadig.updateDeploymentImage", &got);
    let detail = api
        .read("/openapi/environments/dev/services/service1?projectKey=simple-demo")
        .await;
    assert_eq!(detail["scales"][0]["images"][0]["image"], image);
    assert_eq!(
        detail["scales"][0]["pods"][0]["containers"][0]["image"],
        image
    );
    let env = api
        .read("/openapi/environments/dev?projectKey=simple-demo")
        .await;
    assert_eq!(
        find(&env["services"], "service_name", "service1").expect("service1")["containers"][0]["image"],
        image
    );
    assert_eq!(
        kube_events(&api, "dev", "service1", "Deployment").await[0]["reason"],
        "ImageUpdated"
    );
    let prod = api
        .read("/openapi/environments/production/prod/services/service1?projectKey=simple-demo")
        .await;
    assert_ne!(prod["scales"][0]["images"][0]["image"], image);
}

#[tokio::test]
async fn statefulset_and_cronjob_images_update_through_their_routes() {
    let api = start().await;

    let statefulset = api
        .post(
            "/openapi/environments/image/statefulset/dev",
            image_body("prod", "redis", "redis", "redis:7.4"),
        )
        .await;
    let cronjob = api
        .post(
            "/openapi/environments/image/cronjob/prod",
            image_body("dev", "cleanup", "cleanup", "cleanup:2.0.0"),
        )
        .await;

    assert_success("zadig.updateStatefulSetImage", &statefulset);
    assert_success("zadig.updateCronJobImage", &cronjob);
    let redis = api
        .read("/openapi/environments/production/prod/services/redis?projectKey=simple-demo")
        .await;
    assert_eq!(redis["scales"][0]["images"][0]["image"], "redis:7.4");
    let cleanup = api
        .read("/openapi/environments/dev/services/cleanup?projectKey=simple-demo")
        .await;
    assert_eq!(
        cleanup["cron_jobs"][0]["images"][0]["image"],
        "cleanup:2.0.0"
    );
    assert_eq!(
        kube_events(&api, "dev", "cleanup", "CronJob")
            .await
            .as_array()
            .map(Vec::len),
        Some(1)
    );
}

#[rstest]
#[case::wrong_kind(
    "zadig.updateDeploymentImage",
    "/openapi/environments/image/deployment/dev",
    image_body("dev", "redis", "redis", "redis:8"),
    6082,
    "redis"
)]
#[case::wrong_container(
    "zadig.updateDeploymentImage",
    "/openapi/environments/image/deployment/dev",
    image_body("dev", "service1", "sidecar", "x:1"),
    6082,
    "sidecar"
)]
#[case::image_not_a_string("zadig.updateCronJobImage", "/openapi/environments/image/cronjob/dev", with(image_body("dev", "cleanup", "cleanup", ""), "/image", json!(7)), 400, "image")]
#[tokio::test]
async fn an_image_update_for_the_wrong_kind_or_container_is_rejected(
    #[case] operation: &str,
    #[case] path: &str,
    #[case] body: Value,
    #[case] code: u64,
    #[case] needle: &str,
) {
    let api = start().await;

    let got = api.post(path, body).await;

    assert_bad_request(operation, &got, code, needle);
    let redis = api
        .read("/openapi/environments/dev/services/redis?projectKey=simple-demo")
        .await;
    assert_eq!(
        redis["scales"][0]["images"][0]["image"],
        "koderover.tencentcloudcr.com/test/redis:7.2"
    );
}

#[tokio::test]
async fn kube_events_are_a_bare_array_for_one_object() {
    let api = start().await;
    assert_eq!(
        kube_events(&api, "dev", "service1", "Deployment").await,
        json!([])
    );
    api.post(
        "/openapi/environments/scale",
        scale_body("dev", "service1", "Deployment", json!(2)),
    )
    .await;
    api.post(
        "/openapi/environments/scale",
        scale_body("dev", "service2", "Deployment", json!(1)),
    )
    .await;

    let got = api.get("/openapi/environments/kube/events?projectKey=simple-demo&envName=dev&name=service1&type=Deployment").await;

    assert_conforms("zadig.listKubeEvents", &got);
    let events = got.json();
    let event = events
        .as_array()
        .and_then(|e| e.first())
        .expect("one event");
    let mut fields: Vec<&String> = event.as_object().expect("object").keys().collect();
    fields.sort();
    assert_eq!(
        fields,
        [
            "count",
            "first_seen",
            "last_seen",
            "message",
            "reason",
            "type"
        ]
    );
    assert_eq!(events.as_array().map(Vec::len), Some(1));
    assert_eq!(
        kube_events(&api, "dev", "service1", "StatefulSet").await,
        json!([])
    );
}

// ---------------------------------------------------------------- sub-environments

async fn ready(api: &TestMock, op: &str) -> Value {
    let got = api
        .get(&format!(
            "/openapi/environments/dev/check/sharenv/{op}/ready?projectKey=simple-demo"
        ))
        .await;
    assert_conforms("zadig.checkShareEnvironmentReady", &got);
    got.json()
}

#[tokio::test]
async fn the_workload_check_lists_workloads_without_a_k8s_service() {
    let api = start().await;

    let got = api
        .get("/openapi/environments/dev/check/workloads/k8services?projectKey=simple-demo")
        .await;
    let misspelled = api
        .get("/openapi/environments/dev/check/workloads/k8sservices?projectKey=simple-demo")
        .await;

    assert_conforms("zadig.checkWorkloadK8sServices", &got);
    assert_eq!(got.json(), json!(["worker.Deployment"]));
    assert_eq!(misspelled.status, 404);
}

#[tokio::test]
async fn the_enable_check_is_ready_once_sub_environments_are_on_and_every_workload_has_a_service() {
    let api = start().await;
    assert_eq!(ready(&api, "enable").await["is_ready"], false);

    let enabled = api
        .post(
            "/openapi/environments/dev/share/enable?projectKey=simple-demo",
            json!({}),
        )
        .await;

    assert_success("zadig.enableShareEnvironment", &enabled);
    let after_enable = ready(&api, "enable").await;
    assert_eq!(
        (
            after_enable["is_ready"].clone(),
            after_enable["checks"]["namespace_has_istio_label"].clone()
        ),
        (json!(false), json!(true))
    );
    assert_eq!(after_enable["checks"]["workloads_have_k8s_service"], false);
    api.delete_with(
        "/openapi/environments/service/yaml?projectKey=simple-demo",
        json!({"env_key": "dev", "service_names": ["worker"]}),
    )
    .await;
    assert_eq!(ready(&api, "enable").await["is_ready"], true);
}

#[tokio::test]
async fn any_op_other_than_enable_is_checked_as_disable() {
    let api = start().await;
    assert_eq!(ready(&api, "disable").await["is_ready"], true);
    assert_eq!(ready(&api, "whatever").await, ready(&api, "disable").await);

    api.post(
        "/openapi/environments/dev/share/enable?projectKey=simple-demo",
        json!({}),
    )
    .await;

    assert_eq!(ready(&api, "disable").await["is_ready"], false);
    assert_eq!(ready(&api, "whatever").await, ready(&api, "disable").await);
}

#[tokio::test]
async fn disabling_sub_environments_makes_the_disable_check_ready_again() {
    let api = start().await;
    api.post(
        "/openapi/environments/dev/share/enable?projectKey=simple-demo",
        json!({}),
    )
    .await;

    let disabled = api
        .delete("/openapi/environments/dev/share/enable?projectKey=simple-demo")
        .await;

    assert_success("zadig.disableShareEnvironment", &disabled);
    assert_eq!(ready(&api, "disable").await["is_ready"], true);
    assert_eq!(
        ready(&api, "enable").await["checks"]["namespace_has_istio_label"],
        false
    );
}

#[rstest]
#[case::enable("zadig.enableShareEnvironment", Method::POST, "/openapi/environments/prod/share/enable?projectKey=simple-demo", Body::Json(json!({})), Error::BadRequest(6076, "prod"))]
#[case::workload_check(
    "zadig.checkWorkloadK8sServices",
    Method::GET,
    "/openapi/environments/prod/check/workloads/k8services?projectKey=simple-demo",
    Body::None,
    Error::Internal(NO_DOCUMENTS)
)]
#[tokio::test]
async fn sub_environments_are_for_test_environments_only(
    #[case] operation: &str,
    #[case] method: Method,
    #[case] path: &str,
    #[case] body: Body,
    #[case] error: Error,
) {
    let api = start().await;

    let got = api.call(method, path, body).await;

    assert_error(operation, &got, error);
}

#[tokio::test]
async fn portal_services_are_set_and_read_once_sub_environments_are_on() {
    let api = start().await;
    let path = "/openapi/environments/dev/share/portal/service1?projectKey=simple-demo";
    let servers =
        json!([{"host": "zcms-a-b1.8slan.com", "port_number": 80, "port_protocol": "HTTP"}]);

    let too_early = api.post(path, servers.clone()).await;
    let read_too_early = api.get(path).await;
    assert_bad_request("zadig.setPortalService", &too_early, 6079, "dev");
    assert_bad_request("zadig.getPortalService", &read_too_early, 6079, "dev");

    api.post(
        "/openapi/environments/dev/share/enable?projectKey=simple-demo",
        json!({}),
    )
    .await;
    let set = api.post(path, servers.clone()).await;
    let got = api.get(path).await;

    assert_success("zadig.setPortalService", &set);
    assert_conforms("zadig.getPortalService", &got);
    assert_eq!(
        got.json(),
        json!({"default_gateway_address": "81.69.166.47", "servers": servers})
    );
}

#[rstest]
#[case::set_for_an_unknown_service("zadig.setPortalService", Method::POST, "/openapi/environments/dev/share/portal/nope?projectKey=simple-demo", Body::Json(json!([])), Error::BadRequest(6079, "nope"))]
#[case::get_for_an_unknown_service(
    "zadig.getPortalService",
    Method::GET,
    "/openapi/environments/dev/share/portal/nope?projectKey=simple-demo",
    Body::None,
    Error::Internal(NO_DOCUMENTS)
)]
#[case::negative_port_number("zadig.setPortalService", Method::POST, "/openapi/environments/dev/share/portal/service1?projectKey=simple-demo", Body::Json(json!([{"host": "a", "port_number": -1, "port_protocol": "HTTP"}])), Error::BadRequest(400, "port_number"))]
#[tokio::test]
async fn a_portal_for_an_unknown_service_is_rejected(
    #[case] operation: &str,
    #[case] method: Method,
    #[case] path: &str,
    #[case] body: Body,
    #[case] error: Error,
) {
    let api = start().await;
    api.post(
        "/openapi/environments/dev/share/enable?projectKey=simple-demo",
        json!({}),
    )
    .await;

    let got = api.call(method, path, body).await;

    assert_error(operation, &got, error);
}

// ---------------------------------------------------------------- logs (server-sent events)

fn logs_path(pod: &str, container: &str, query: &str) -> String {
    format!(
        "/openapi/logs/sse/pods/{pod}/containers/{container}?projectKey=simple-demo&envName=dev{query}"
    )
}

/// `(event, data)` pairs of an event stream.
fn parse_events(text: &str) -> Vec<(String, String)> {
    text.split("\n\n")
        .filter(|block| !block.trim().is_empty())
        .map(|block| {
            let field = |name: &str| {
                block
                    .lines()
                    .find_map(|l| l.strip_prefix(name))
                    .unwrap_or_default()
                    .to_string()
            };
            (field("event:"), field("data:"))
        })
        .collect()
}

#[tokio::test]
async fn the_log_stream_sends_the_last_ten_lines_as_message_events() {
    let api = start().await;
    let response = api
        .request(Method::GET, &logs_path(POD, "service1", ""))
        .send()
        .await
        .expect("stream opens");
    assert_eq!(response.status(), 200);
    assert_eq!(
        response
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("text/event-stream")
    );

    let mut text = Vec::new();
    let mut chunks = std::pin::pin!(response.bytes_stream());
    while let Some(chunk) = chunks.next().await {
        text.extend_from_slice(&chunk.expect("chunk reads"));
    }

    let events = parse_events(&String::from_utf8(text).expect("utf-8"));
    assert_eq!(events.len(), 10);
    assert!(events.iter().all(|(event, _)| event == "message"));
    assert_eq!(
        events.last().map(|(_, data)| data.as_str()),
        Some(LAST_LOG_LINE)
    );
    assert!(
        events[0].1.starts_with("2024-01-05T08:46:00Z"),
        "{:?}",
        events[0]
    );
}

#[tokio::test]
async fn tails_chooses_how_many_lines_are_sent() {
    let api = start().await;

    let three = api.get(&logs_path(POD, "service1", "&tails=3")).await;
    let all = api.get(&logs_path(POD, "service1", "&tails=100")).await;
    // The fixture log is from January 2024: `since` keeps lines no older than it says.
    let recent = api
        .get(&logs_path(POD, "service1", "&tails=100&since=1h30m"))
        .await;
    let since_2023 = api
        .get(&logs_path(POD, "service1", "&tails=100&since=100000h"))
        .await;

    let not_a_number = api.get(&logs_path(POD, "service1", "&tails=abc")).await;

    assert_conforms("zadig.streamContainerLogs", &three);
    assert_eq!(parse_events(&three.text).len(), 3);
    assert_eq!(parse_events(&all.text).len(), 25);
    assert_eq!(recent.status, 200);
    assert!(parse_events(&recent.text).is_empty(), "{}", recent.text);
    assert_eq!(parse_events(&since_2023.text).len(), 25);
    assert_eq!(
        not_a_number.status, 200,
        "the server falls back to 10 lines"
    );
    assert_eq!(parse_events(&not_a_number.text).len(), 10);
}

#[rstest]
#[case::unknown_pod(logs_path("nope-pod", "service1", ""))]
#[case::unknown_container(logs_path(POD, "nope", ""))]
#[case::pod_of_another_environment(format!("/openapi/logs/sse/pods/{POD}/containers/service1?projectKey=simple-demo&envName=prod"))]
#[case::unknown_project(format!("/openapi/logs/sse/pods/{POD}/containers/service1?projectKey=nope&envName=dev"))]
#[case::missing_project(format!("/openapi/logs/sse/pods/{POD}/containers/service1?envName=dev"))]
#[tokio::test]
async fn an_unknown_environment_pod_or_container_closes_the_stream_without_events(
    #[case] path: String,
) {
    let api = start().await;

    let got = api.get(&path).await;

    assert_eq!(got.status, 200, "{path}");
    assert_eq!(
        got.content_type.as_deref(),
        Some("text/event-stream"),
        "{path}"
    );
    assert_eq!(got.text, "", "{path}");
    assert_conforms("zadig.streamContainerLogs", &got);
}

#[rstest]
#[case::a_word("yesterday")]
#[case::too_many_hours("99999999999999999999h")]
#[tokio::test]
async fn an_invalid_since_is_a_400_json_error_before_the_stream(#[case] since: &str) {
    let api = start().await;

    let got = api
        .get(&logs_path(POD, "service1", &format!("&since={since}")))
        .await;

    assert_bad_request(
        "zadig.streamContainerLogs",
        &got,
        400,
        &format!("invalid duration \"{since}\""),
    );
}

#[tokio::test]
async fn scaling_down_removes_a_pod_and_its_log_stream() {
    let api = start().await;
    api.post(
        "/openapi/environments/scale",
        scale_body("dev", "service1", "Deployment", json!(0)),
    )
    .await;

    let got = api.get(&logs_path(POD, "service1", "")).await;

    assert_eq!((got.status, got.text.as_str()), (200, ""));
}
