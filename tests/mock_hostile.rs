//! No input panics or hangs the mock: a corpus of hostile requests goes to
//! every route of every vendor, with a valid credential so it reaches
//! validation. Each must be answered within a second, in the vendor's way
//! (a 4xx, or the 500 that Zadig's own server gives for a malformed body,
//! per vendor-notes), never by a contract violation of the mock itself (the
//! debug-build self-check would mark any answer that breaks the spec), and
//! must leave the state unchanged.

mod support;

use std::time::{Duration, Instant};

use reqwest::Method;
use support::{catalog, client, start_mock};
use vouch::mock::DEFAULT_TOKEN;
use vouch::spec::{Operation, ParameterLocation};

/// A concrete path for `op`, each path parameter filled with `fill`.
fn path_for(op: &Operation, fill: &str) -> String {
    op.parameters
        .iter()
        .filter(|p| p.location == ParameterLocation::Path)
        .fold(op.path.clone(), |path, p| {
            path.replace(&format!("{{{}}}", p.name), fill)
        })
}

fn with_credential(op: &Operation, request: reqwest::RequestBuilder) -> reqwest::RequestBuilder {
    let carried = op.security.carried(DEFAULT_TOKEN).unwrap_or_default();
    carried
        .headers
        .iter()
        .fold(request, |r, (name, value)| r.header(name.as_str(), value))
}

/// (what, body bytes, content type)
fn hostile_bodies() -> Vec<(&'static str, Vec<u8>, &'static str)> {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    vec![
        ("truncated JSON", br#"{"port": 80, "protocol": "#.to_vec(), "application/json"),
        ("deep nesting", deep.into_bytes(), "application/json"),
        ("huge numbers", br#"{"port": 1e400, "ingress_port": 99999999999999999999999999, "target_replicas": -1e308}"#.to_vec(), "application/json"),
        ("invalid UTF-8", vec![b'{', b'"', 0xff, 0xfe, b'"', b':', b'1', b'}'], "application/json"),
        ("not JSON at all", b"<xml>nope</xml>".to_vec(), "application/xml"),
        ("JSON array", b"[1,2,3]".to_vec(), "application/json"),
        ("over 1 MiB", vec![b' '; 1024 * 1024 + 10], "application/json"),
    ]
}

async fn state_of(http: &reqwest::Client, url: &str) -> String {
    let response = http
        .get(format!("{url}/__vouch/state"))
        .send()
        .await
        .unwrap();
    response.text().await.unwrap()
}

/// Whether `status` is an acceptable answer to a hostile request for `vendor`.
fn acceptable(vendor: &str, status: u16, body: &str) -> bool {
    (400..500).contains(&status)
        || (vendor == "zadig" && status == 500 && body.contains("Internal Error"))
        || (vendor == "zstack" && status == 503 && body.contains("\"error\""))
        || (200..300).contains(&status)
}

#[tokio::test]
async fn hostile_requests_get_vendor_answers_within_a_second_and_change_nothing() {
    let mock = start_mock().await;
    let http = client();
    let before = state_of(&http, &mock.url()).await;
    let catalog = catalog();
    let mut failures = Vec::new();
    let absurd_query: String = (0..1_000)
        .map(|i| format!("k{i}=%FF%FE{i}&projectKey=%00&"))
        .collect::<String>()
        + &"x".repeat(10_000);
    for (spec, op) in catalog.operations() {
        let vendor = spec.vendor.clone().unwrap_or_default();
        let method = Method::from_bytes(op.method.as_str().as_bytes()).unwrap();
        let mut requests: Vec<(String, reqwest::RequestBuilder)> = Vec::new();
        let url = format!("{}{}", mock.url(), path_for(op, "vouch-hostile"));
        for (what, body, content_type) in hostile_bodies() {
            // Only write operations take bodies; a GET with a body must not hurt either.
            requests.push((
                what.to_string(),
                http.request(method.clone(), &url)
                    .header("content-type", content_type)
                    .body(body),
            ));
        }
        let odd_path = format!("{}{}", mock.url(), path_for(op, "%FF%FE%00..%2F"));
        requests.push((
            "invalid UTF-8 in the path".into(),
            http.request(method.clone(), odd_path),
        ));
        requests.push((
            "absurd query string".into(),
            http.request(method.clone(), format!("{url}?{absurd_query}")),
        ));
        requests.push((
            "repeated headers".into(),
            http.request(method.clone(), &url)
                .header("content-type", "application/json")
                .header("content-type", "text/plain")
                .header("x-auth-token", "a")
                .header("x-auth-token", "b"),
        ));
        for (what, request) in requests {
            let started = Instant::now();
            let answer = with_credential(op, request)
                .timeout(Duration::from_secs(5))
                .send()
                .await;
            let elapsed = started.elapsed();
            let where_ = format!("{} ({} {}) {what}", op.id, op.method, op.path);
            match answer {
                Err(e) => failures.push(format!(
                    "{where_}: no answer: {}",
                    e.to_string().chars().take(200).collect::<String>()
                )),
                Ok(response) => {
                    let status = response.status().as_u16();
                    let violation = response
                        .headers()
                        .contains_key("x-vouch-contract-violation");
                    let body = response.text().await.unwrap_or_default();
                    if violation || !acceptable(&vendor, status, &body) {
                        failures.push(format!(
                            "{where_}: {status} {}",
                            body.chars().take(300).collect::<String>()
                        ));
                    }
                }
            }
            if elapsed > Duration::from_secs(1) {
                failures.push(format!("{where_}: took {elapsed:?}"));
            }
        }
    }
    let after = state_of(&http, &mock.url()).await;
    assert!(
        failures.is_empty(),
        "{} hostile requests answered badly:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(before, after, "hostile requests changed the state");
}

/// A one-line YAML file of about 400 kB with a mismatched bracket.
fn one_huge_line(dir_name: &str, prefix: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("vouch-{dir_name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("huge.yaml");
    let items = vec!["1"; 200_000].join(",");
    std::fs::write(&file, format!("{prefix}[{items}, }}")).unwrap();
    file
}

fn vouch(args: &[&std::ffi::OsStr]) -> (Option<i32>, String) {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vouch"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
    (out.status.code(), text.into_owned())
}

#[test]
fn a_spec_with_one_huge_bad_line_gets_a_short_error_with_a_window_and_caret() {
    let file = one_huge_line("huge-spec", "openapi: 3.0.3\npaths: ");
    let (code, output) = vouch(&["mock".as_ref(), "--spec".as_ref(), file.as_os_str()]);
    assert_eq!(code, Some(2), "{output}");
    assert!(output.len() < 2_000, "{} bytes of output", output.len());
    assert!(output.contains("1,1,…") && output.contains('^'), "{output}");
}

#[test]
fn a_scenario_with_one_huge_bad_line_gets_a_short_error_with_a_window_and_caret() {
    let file = one_huge_line("huge-scenario", "name: huge\nsteps: ");
    let (code, output) = vouch(&["run".as_ref(), file.as_os_str()]);
    assert_eq!(code, Some(2), "{output}");
    assert!(output.len() < 2_000, "{} bytes of output", output.len());
    assert!(output.contains("1,1,…") && output.contains('^'), "{output}");
}

#[test]
fn a_spec_whose_aliases_expand_too_far_is_refused_saying_so() {
    // Large plain documents are read (the node budget admits 20 MB specs);
    // what is bounded is how far aliases expand.
    let dir = std::env::temp_dir().join(format!("vouch-budget-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("bomb.yaml");
    let mut text = String::from("openapi: 3.0.3\nx-a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..9 {
        let p = i - 1;
        let refs = vec![format!("*a{p}"); 10].join(", ");
        text += &format!("x-a{i}: &a{i} [{refs}]\n");
    }
    std::fs::write(&file, text).unwrap();
    let (code, output) = vouch(&["mock".as_ref(), "--spec".as_ref(), file.as_os_str()]);
    assert_eq!(code, Some(2), "{output}");
    assert!(
        output.contains("aliases (`*name`) expand to more than"),
        "{output}"
    );
}
