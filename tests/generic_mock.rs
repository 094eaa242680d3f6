//! The generic mock of a user's own spec keeps that spec's contract, over
//! loopback: items keyed by the id the schemas declare, stored as sent (JSON
//! or form) with the fields the server sets, seeded from examples, answers
//! made from schemas where no example exists, errors in declared statuses
//! and shapes, `servers` base paths, Twilio's `/Accounts/{Sid}.json` items,
//! only the loaded specs in `/__vouch/state`; and `vouch run --spec` with a
//! Petstore scenario as a new user writes it, and the hints a new user needs.

mod support;

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use reqwest::RequestBuilder;
use serde_json::{Value, json};
use support::{Got, client, send};
use vouch::mock::{DEFAULT_TOKEN, Fixtures, MockServer, MockState};
use vouch::spec::{Catalog, Method, Routed};

fn repo(path: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(path)
}

const SWAGGER_PETSTORE: &str = "tests/corpus/swagger-petstore-3.0.yaml";
const SWAGGER_PETSTORE_31: &str = "tests/corpus/swagger-petstore-3.1.yaml";
const OAI_PETSTORE: &str = "tests/corpus/oai-petstore-3.0.json";
const OAI_PETSTORE_20: &str = "tests/corpus/oai-petstore-2.0.yaml";
const EXPANDED: &str = "tests/corpus/oai-petstore-expanded-3.0.json";
const UBER: &str = "tests/corpus/oai-uber-2.0.yaml";

/// A mock of one spec (with the built-in fixtures, as `vouch mock --spec` has), and its catalog.
struct Mock {
    server: MockServer,
    catalog: Arc<Catalog>,
    http: reqwest::Client,
}

impl Mock {
    async fn of(spec: &str) -> Mock {
        let catalog = Arc::new(Catalog::load(&[repo(spec)]).unwrap_or_else(|p| panic!("{p:#?}")));
        let state = MockState::new(
            catalog.clone(),
            Fixtures::builtin().unwrap(),
            DEFAULT_TOKEN.into(),
        );
        let server = MockServer::start(state, "127.0.0.1:0".parse().unwrap())
            .await
            .unwrap();
        Mock {
            server,
            catalog,
            http: client(),
        }
    }

    /// A request with the mock's credential in every form these specs declare.
    fn request(&self, method: reqwest::Method, path: &str) -> RequestBuilder {
        let url = format!("{}{path}", self.server.url());
        let sep = if path.contains('?') { '&' } else { '?' };
        self.http
            .request(method, format!("{url}{sep}server_token={DEFAULT_TOKEN}"))
            .header("api_key", DEFAULT_TOKEN)
            .bearer_auth(DEFAULT_TOKEN)
    }

    async fn get(&self, path: &str) -> Got {
        send(self.request(reqwest::Method::GET, path)).await
    }

    async fn post(&self, path: &str, body: Value) -> Got {
        send(self.request(reqwest::Method::POST, path).json(&body)).await
    }

    /// Asserts that `got` is an answer the operation routed for `method path` declares,
    /// with a body that validates (the mock's own debug check would have answered 500).
    fn assert_declared(&self, method: Method, path: &str, got: &Got) {
        let route = path.split('?').next().unwrap();
        let Routed::Operation { operation, .. } = self.catalog.route(method, route) else {
            panic!("{route} is not routed");
        };
        assert!(
            operation.response_for(got.status).is_some(),
            "{method} {path}: {} is not declared by {}: {}",
            got.status,
            operation.id,
            got.text
        );
        assert!(
            got.header("x-vouch-contract-violation").is_none(),
            "{}",
            got.text
        );
    }
}

#[tokio::test]
async fn a_pet_created_with_its_id_is_read_back_by_that_id_as_an_integer() {
    let mock = Mock::of(SWAGGER_PETSTORE).await;
    let pet = json!({"id": 10, "name": "doggie", "photoUrls": ["p.png"]});

    let created = mock.post("/pet", pet.clone()).await;
    assert_eq!(created.status, 200, "{}", created.text);
    let read = mock.get("/pet/10").await;

    assert_eq!(read.status, 200, "{}", read.text);
    assert_eq!(
        read.json()["id"],
        json!(10),
        "the id keeps its integer type"
    );
    assert_eq!(read.json()["name"], "doggie");
    let state = mock.get("/__vouch/state").await.json();
    assert_eq!(
        state["swagger-petstore-3.0"]["collections"]["/pet"][0]["id"],
        json!(10)
    );
}

#[tokio::test]
async fn a_generated_id_has_the_declared_type_and_reads_back() {
    let cases = [
        (EXPANDED, "/pets", "/pets"),
        (
            SWAGGER_PETSTORE,
            "/pet",
            "/pet/findByStatus?status=available",
        ),
    ];
    for (spec, path, list) in cases {
        let mock = Mock::of(spec).await;
        let created = mock
            .post(path, json!({"name": "rex", "photoUrls": []}))
            .await;
        assert_eq!(created.status, 200, "{spec}: {}", created.text);
        let id = &created.json()["id"];
        assert!(id.is_i64() && id.as_i64() > Some(0), "{spec}: {id}");

        let read = mock.get(&format!("{path}/{id}")).await;
        assert_eq!(read.status, 200, "{spec}: {}", read.text);
        assert_eq!(read.json()["name"], "rex");
        let listed = mock.get(list).await;
        mock.assert_declared(Method::Get, list, &listed);
    }
}

#[tokio::test]
async fn a_form_encoded_create_is_stored_as_sent_with_typed_fields() {
    let mock = Mock::of(SWAGGER_PETSTORE).await;
    let created = send(
        mock.request(reqwest::Method::POST, "/pet")
            .header("content-type", "application/x-www-form-urlencoded")
            .body("id=77&name=rex&photoUrls=a.png&photoUrls=b.png&status=sold"),
    )
    .await;
    assert_eq!(created.status, 200, "{}", created.text);
    assert_eq!(
        created.json(),
        json!({"id": 77, "name": "rex", "photoUrls": ["a.png", "b.png"], "status": "sold"})
    );

    let sold = mock.get("/pet/findByStatus?status=sold").await;
    assert_eq!(sold.json(), json!([created.json()]), "{}", sold.text);
    let available = mock.get("/pet/findByStatus?status=available").await;
    assert_eq!(available.json(), json!([]));
}

#[tokio::test]
async fn the_server_sets_required_and_read_only_fields_the_request_left_out() {
    let mock = Mock::of("tests/openapi/generic/errors.yaml").await;
    let created = mock.post("/notes", json!({"text": "hello"})).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let note = created.json();
    assert_eq!(note["text"], "hello");
    assert!(note["created"].is_string(), "{note}");
    let id = note["noteId"].as_i64().unwrap();
    assert!(
        (100..=i64::from(i32::MAX)).contains(&id),
        "int32, minimum 100: {id}"
    );
    assert_eq!(mock.get(&format!("/notes/{id}")).await.json(), note);
}

#[tokio::test]
async fn a_read_only_api_answers_its_examples_and_any_item() {
    let mock = Mock::of("tests/openapi/generic/catalog.yaml").await;

    let listed = mock.get("/products").await;
    assert_eq!(
        listed.json()["items"][1]["name"],
        "Teapot",
        "{}",
        listed.text
    );
    let seeded = mock.get("/products/A-1").await;
    assert_eq!(
        seeded.json(),
        json!({"sku": "A-1", "name": "Kettle", "price": 25.5})
    );
    let other = mock.get("/products/Z-9").await;
    assert_eq!(other.status, 200, "{}", other.text);
    assert_eq!(other.json()["sku"], "Z-9");
    mock.assert_declared(Method::Get, "/products/Z-9", &other);
}

#[tokio::test]
async fn where_no_example_exists_the_answer_is_made_valid_from_the_schema() {
    let mock = Mock::of("tests/openapi/generic/catalog.yaml").await;
    let stats = mock.get("/stats").await;
    assert_eq!(stats.status, 200);
    assert_eq!(stats.content_type.as_deref(), Some("application/json"));
    let body = stats.json();
    assert!(body["count"].as_i64() >= Some(3), "{body}");
    assert_eq!(
        body["id"].as_str().map(str::len),
        Some(36),
        "a uuid: {body}"
    );
    mock.assert_declared(Method::Get, "/stats", &stats);

    let uber = Mock::of(UBER).await;
    for path in ["/me", "/history", "/products?latitude=1&longitude=2"] {
        let got = uber.get(path).await;
        assert_eq!(got.status, 200, "{path}: {}", got.text);
        assert_eq!(
            got.content_type.as_deref(),
            Some("application/json"),
            "{path}"
        );
        assert!(!got.json().is_null(), "{path}: {}", got.text);
        uber.assert_declared(Method::Get, path, &got);
    }
}

#[tokio::test]
async fn errors_take_the_declared_shape_and_status() {
    let expanded = Mock::of(EXPANDED).await;
    let missing = expanded.get("/pets/999").await;
    assert_eq!(missing.status, 404, "`default` declares any status");
    assert_eq!(
        missing.json(),
        json!({"code": 404, "message": "`999` not found"})
    );

    let petstore = Mock::of(SWAGGER_PETSTORE).await;
    let gone = petstore.get("/pet/999").await;
    assert_eq!(
        (gone.status, gone.text.as_str()),
        (404, ""),
        "declared without a body"
    );

    let notes = Mock::of("tests/openapi/generic/errors.yaml").await;
    let absent = notes.get("/notes/5").await;
    assert_eq!(absent.status, 400, "the spec declares 400, not 404");
    assert_eq!(absent.json()["title"], "`5` not found");
    assert_eq!(absent.json()["status"], 400);
    let invalid = notes.post("/notes", json!({"text": ""})).await;
    assert_eq!(
        invalid.status, 422,
        "the spec's 4xx for a bad body: {}",
        invalid.text
    );
    assert!(invalid.json()["title"].as_str().unwrap().contains("text"));
    notes.assert_declared(Method::Post, "/notes", &invalid);
}

#[tokio::test]
async fn the_servers_base_path_is_honoured() {
    let cases = [
        (OAI_PETSTORE, "/v1", "/pets"),
        (OAI_PETSTORE_20, "/v1", "/pets"),
        (UBER, "/v1", "/products?latitude=1&longitude=2"),
        (SWAGGER_PETSTORE, "/api/v3", "/pet/findByStatus?status=sold"),
        (
            SWAGGER_PETSTORE_31,
            "/api/v31",
            "/pet/findByStatus?status=sold",
        ),
        (
            "tests/openapi/generic/accounts.yaml",
            "/2010-04-01",
            "/Accounts.json",
        ),
    ];
    for (spec, base, path) in cases {
        let mock = Mock::of(spec).await;
        let under = mock.get(&format!("{base}{path}")).await;
        assert_eq!(under.status, 200, "{spec} {base}{path}: {}", under.text);
        assert_eq!(mock.get(path).await.status, 200, "{spec} {path}");
        assert_eq!(mock.get(&format!("/elsewhere{path}")).await.status, 404);
    }
}

#[tokio::test]
async fn a_json_suffixed_item_is_an_item_and_form_creates_are_stored() {
    let mock = Mock::of("tests/openapi/generic/accounts.yaml").await;
    let created = send(
        mock.request(reqwest::Method::POST, "/Accounts.json")
            .header("content-type", "application/x-www-form-urlencoded")
            .body("FriendlyName=ops&Priority=3"),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let account = created.json();
    assert_eq!(account["Priority"], 3);
    let sid = account["sid"].as_str().unwrap();
    assert_eq!(sid.len(), 34, "{account}");

    let read = mock.get(&format!("/Accounts/{sid}.json")).await;
    assert_eq!(read.json(), account);
    let listed = mock.get("/Accounts.json").await.json();
    assert_eq!(listed["accounts"], json!([account]));
    assert_eq!(mock.get("/Accounts/nobody.json").await.status, 404);
}

#[tokio::test]
async fn the_state_shows_only_the_loaded_spec() {
    let mock = Mock::of(OAI_PETSTORE).await;
    let state = mock.get("/__vouch/state").await.json();
    let names: Vec<&String> = state.as_object().unwrap().keys().collect();
    assert_eq!(names, ["oai-petstore-3.0"]);
}

#[tokio::test]
async fn a_25_digit_integer_is_an_integer_where_no_64_bit_format_bounds_it() {
    let notes = Mock::of("tests/openapi/generic/errors.yaml").await;
    let got = notes.get("/notes/1234567890123456789012345").await;
    assert_eq!(got.status, 400, "{}", got.text);
    assert_eq!(
        got.json()["title"],
        "`1234567890123456789012345` not found",
        "no such note, not a bad id"
    );
    let petstore = Mock::of(SWAGGER_PETSTORE).await;
    let int64 = petstore.get("/pet/1234567890123456789012345").await;
    assert_eq!(int64.status, 400, "beyond int64: {}", int64.text);
}

fn vouch(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_vouch"))
        .args(args)
        .current_dir(repo(""))
        .env_remove("VOUCH_BASE_URL")
        .output()
        .unwrap()
}

#[test]
fn the_petstore_scenario_a_new_user_writes_passes_against_the_mock() {
    let out = vouch(&[
        "run",
        "--spec",
        SWAGGER_PETSTORE,
        "tests/corpus/scenarios/swagger-petstore",
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("1 passed, 0 failed"), "{stdout}");
}

#[test]
fn scenarios_of_a_users_spec_without_spec_say_to_pass_it() {
    let out = vouch(&["run", "tests/corpus/scenarios/swagger-petstore"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("unknown operation `addPet`"), "{stderr}");
    assert!(stderr.contains("pass it: `vouch run --spec"), "{stderr}");
}

#[test]
fn run_with_a_spec_and_no_scenario_says_what_to_do() {
    let dir = std::env::temp_dir().join(format!("vouch-no-scenarios-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_vouch"))
        .args(["run", "--spec"])
        .arg(repo(SWAGGER_PETSTORE))
        .current_dir(&dir)
        .env_remove("VOUCH_BASE_URL")
        .output()
        .unwrap();
    let _ = std::fs::remove_dir(&dir);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr.contains("no scenario to run"), "{stderr}");
    assert!(stderr.contains("vouch mock --spec"), "{stderr}");
    assert!(!stderr.contains("cannot read"), "{stderr}");
}
