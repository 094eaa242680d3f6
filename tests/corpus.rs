//! Public third-party API descriptions, as a user would bring them (sources
//! and licences in `tests/corpus/LICENSES.md`): each loads, lints without
//! errors (exit 0; the completeness rules are warnings outside `--strict`),
//! and is served by `vouch mock --spec` on loopback, answering a documented
//! GET (carrying the mock's token where the operation asks for a credential,
//! as `vouch run` sends it) with a status it declares; and `vouch conform`
//! against that mock passes the cases it generates from the document.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rstest::rstest;
use support::{client, send};
use vouch::spec::{Catalog, Method, Routed};

/// (file under tests/corpus, a documented GET, or `None` when the document has no paths).
const CORPUS: &[(&str, Option<&str>)] = &[
    ("oai-petstore-3.0.json", Some("/pets")),
    ("oai-petstore-expanded-3.0.json", Some("/pets")),
    ("oai-webhook-example-3.1.json", None),
    ("oai-petstore-2.0.yaml", Some("/pets")),
    (
        "oai-uber-2.0.yaml",
        Some("/products?latitude=1&longitude=2"),
    ),
    ("oai-petstore-separate-2.0/spec/swagger.yaml", Some("/pets")),
    (
        "swagger-petstore-3.0.yaml",
        Some("/pet/findByStatus?status=available"),
    ),
    (
        "swagger-petstore-3.1.yaml",
        Some("/pet/findByStatus?status=available"),
    ),
    (
        "twilio-api-v2010-3.0.json",
        Some("/2010-04-01/Accounts.json"),
    ),
];

fn corpus_file(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(name)
}

#[test]
fn every_corpus_document_loads_and_lints_without_errors() {
    for (file, _) in CORPUS {
        let path = corpus_file(file);
        if let Err(problems) = Catalog::load(std::slice::from_ref(&path)) {
            panic!("{file}: {problems:#?}");
        }
        let out = Command::new(env!("CARGO_BIN_EXE_vouch"))
            .arg("lint")
            .arg(&path)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        let errors: Vec<&str> = stdout
            .lines()
            .filter(|l| !l.starts_with("warning: ") && !l.contains(" spec(s), "))
            .filter(|l| !l.starts_with("webhook (listed, not served)"))
            .collect();
        assert!(errors.is_empty(), "{file}:\n{}", errors.join("\n"));
        assert_eq!(out.status.code(), Some(0), "{file}: {stdout}");
        assert!(stdout.contains("1 spec(s)"), "{file}: {stdout}");
    }
}

/// `vouch mock --spec <path>` on a free loopback port, and its URL.
fn spawn_mock(path: &Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vouch"))
        .args(["mock", "--addr", "127.0.0.1:0", "--spec"])
        .arg(path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let url = support::listening_url(&mut child).unwrap_or_else(|line| {
        let _ = child.kill();
        let mut log = String::new();
        let _ = std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut log);
        panic!("{}: {line:?} {log}", path.display())
    });
    (child, url)
}

fn stop(mut child: Child) -> String {
    // SAFETY: sending SIGINT to our own child process.
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let deadline = Instant::now() + Duration::from_secs(5);
    while child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "the mock did not stop on Ctrl-C");
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut log = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut log).unwrap();
    log
}

#[test]
fn every_corpus_document_is_served_answering_a_documented_get_with_a_declared_status() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for (file, get) in CORPUS {
        let path = corpus_file(file);
        let catalog = Catalog::load(std::slice::from_ref(&path)).unwrap();
        let (child, url) = spawn_mock(&path);
        let Some(get) = get else {
            let log = stop(child);
            assert!(
                log.contains("webhook (listed, not served)"),
                "{file}: {log}"
            );
            continue;
        };
        let route = get.split('?').next().unwrap();
        let Routed::Operation { operation, .. } = catalog.route(Method::Get, route) else {
            panic!("{file}: {route} is not documented");
        };
        // The mock's token, in the form the operation's security asks, as `vouch run` sends it.
        let carried = operation.security.carried("vouch-dev-token");
        let mut target = format!("{url}{get}");
        if let Some(carried) = carried.as_ref().filter(|c| !c.query.is_empty()) {
            let query = form_urlencoded::Serializer::new(String::new())
                .extend_pairs(&carried.query)
                .finish();
            target.push(if get.contains('?') { '&' } else { '?' });
            target.push_str(&query);
        }
        let mut request = client().get(target);
        if let Some(carried) = carried {
            let cookies: Vec<String> = carried
                .cookies
                .iter()
                .map(|(name, value)| format!("{name}={value}"))
                .collect();
            for (name, value) in &carried.headers {
                request = request.header(name.as_str(), value.as_str());
            }
            if !cookies.is_empty() {
                request = request.header("Cookie", cookies.join("; "));
            }
        }
        let got = runtime.block_on(async { send(request).await });
        let log = stop(child);
        assert!(
            operation.response_for(got.status).is_some(),
            "{file}: GET {get} answered {}, which {} does not declare\n{log}",
            got.status,
            operation.id
        );
    }
}

/// A mock that fails its own generated tests is not faithful: `vouch conform
/// --spec <document>` (the built-in mock serving it) passes. Twilio's
/// api_v2010 exercises what the others do not: path ids that follow patterns
/// (`^AC[0-9a-fA-F]{32}$`), form bodies, and operations declaring no client
/// error at all, whose refusals the spec leaves open.
#[rstest]
#[case::oai_petstore_3_0("oai-petstore-3.0.json")]
#[case::oai_petstore_expanded_3_0("oai-petstore-expanded-3.0.json")]
#[case::oai_webhook_example_3_1("oai-webhook-example-3.1.json")]
#[case::oai_petstore_2_0("oai-petstore-2.0.yaml")]
#[case::oai_uber_2_0("oai-uber-2.0.yaml")]
#[case::oai_petstore_separate_2_0("oai-petstore-separate-2.0/spec/swagger.yaml")]
#[case::swagger_petstore_3_0("swagger-petstore-3.0.yaml")]
#[case::swagger_petstore_3_1("swagger-petstore-3.1.yaml")]
#[case::twilio_api_v2010("twilio-api-v2010-3.0.json")]
fn the_mock_of_each_corpus_document_passes_vouch_conform(#[case] file: &str) {
    let out = Command::new(env!("CARGO_BIN_EXE_vouch"))
        .args(["conform", "--max-cases", "12", "--spec"])
        .arg(corpus_file(file))
        .env_remove("VOUCH_BASE_URL")
        .env_remove("VOUCH_TOKEN")
        .env_remove("VOUCH_MOCK_TOKEN")
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{file}:\n{stdout}{stderr}");
    assert!(stdout.contains(" 0 failed check(s)"), "{file}:\n{stdout}");
}
