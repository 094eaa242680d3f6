//! Mirroring an independent fake (issue 9, "fidelity compares like with
//! like"): `vouch fixtures pull` against a fake writes the fake's own data as
//! a fixtures file, the mock started from that file answers a list as the
//! fake does, and `vouch fidelity` (which mirrors by default) compares the
//! mock with the fake on the same data. Shared by the vendors' test files.

use std::path::PathBuf;

use serde_json::Value;
use vouch::mock::{Fixtures, MockServer, MockState};

use crate::harness::{Cli, Fake, Vendor, start_fake, vars_file, vouch};

/// A finished `vouch fixtures pull` and the file it wrote.
pub struct Pulled {
    pub cli: Cli,
    /// The file's text.
    pub text: String,
    /// The file read back as YAML.
    pub fixtures: Value,
    pub path: PathBuf,
}

/// `vouch fixtures pull` of `fake` as the target of `spec`, through the
/// suite's vars file, then `extra` arguments.
pub fn pull(suite: &str, spec: &str, fake: &Fake, token: &str, extra: &[&str]) -> Pulled {
    let dir = crate::harness::run_dir("pull");
    let path = dir.join("mirrored.yaml");
    let args: Vec<String> = vec![
        "fixtures".into(),
        "pull".into(),
        "--base-url".into(),
        format!("{spec}={}", fake.url),
        "--vars".into(),
        vars_file(suite).display().to_string(),
        "--out".into(),
        path.display().to_string(),
        "--timeout".into(),
        "5".into(),
    ];
    let args: Vec<String> = args
        .into_iter()
        .chain(extra.iter().map(|a| a.to_string()))
        .collect();
    let cli = vouch(&args, spec, token, &dir);
    let text = std::fs::read_to_string(&path).unwrap_or_default();
    let fixtures = serde_saphyr::from_str(&text).unwrap_or(Value::Null);
    for (what, shown) in [
        ("file", &text),
        ("stdout", &cli.stdout),
        ("stderr", &cli.stderr),
    ] {
        assert!(
            !shown.contains(token),
            "the token appears in the pull's {what}"
        );
    }
    Pulled {
        cli,
        text,
        fixtures,
        path,
    }
}

impl Pulled {
    /// The pull's output, for failure messages.
    pub fn shown(&self) -> String {
        format!(
            "exit {}\nstdout:\n{}\nstderr:\n{}\nfile:\n{}",
            self.cli.code, self.cli.stdout, self.cli.stderr, self.text
        )
    }
}

/// The JSON answer to `GET path` from `base`, with `header: value`.
async fn get_json(client: &reqwest::Client, base: &str, path: &str, header: (&str, &str)) -> Value {
    let response = client
        .get(format!("{base}{path}"))
        .header(header.0, header.1)
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status().as_u16(), 200, "GET {base}{path}");
    response.json().await.expect("a JSON answer")
}

/// The answers to `GET path` (with `header`) of the fake and of the built-in
/// mock started from the pulled fixtures file, the way `vouch mock --fixtures`
/// loads it, accepting the fake's `token`.
pub fn fake_and_mock_answers(
    pulled: &Pulled,
    fake: &Fake,
    token: &str,
    path: &str,
    header: (&str, &str),
) -> (Value, Value) {
    let fixtures =
        Fixtures::load(&pulled.path).unwrap_or_else(|e| panic!("{e}\n{}", pulled.shown()));
    let runtime = tokio::runtime::Runtime::new().expect("a runtime");
    runtime.block_on(async {
        let catalog = std::sync::Arc::new(vouch::spec::Catalog::builtin().expect("built-in specs"));
        let state = MockState::new(catalog, fixtures, token.to_string());
        let mock = MockServer::start(state, "127.0.0.1:0".parse().expect("an address"))
            .await
            .expect("the mock starts");
        let client = vouch::live::client(std::time::Duration::from_secs(5));
        let live = get_json(&client, &fake.url, path, header).await;
        let mocked = get_json(&client, &mock.url(), path, header).await;
        (live, mocked)
    })
}

/// A finished `vouch fidelity` and its JSON report.
pub struct Fidelity {
    pub cli: Cli,
    pub report: Value,
}

/// One difference of a fidelity report: scenario, step line, kind, pointer, mock, live.
pub type Seen = (String, u64, String, String, String, String);

impl Fidelity {
    /// Every difference, in report order.
    pub fn differences(&self) -> Vec<Seen> {
        let mut all = Vec::new();
        for scenario in self.report["scenarios"].as_array().into_iter().flatten() {
            let id = scenario["id"].as_str().unwrap_or("?");
            for step in scenario["steps"].as_array().into_iter().flatten() {
                for d in step["differences"].as_array().into_iter().flatten() {
                    let text = |k: &str| d[k].as_str().unwrap_or_default().to_string();
                    all.push((
                        id.to_string(),
                        step["line"].as_u64().unwrap_or(0),
                        text("kind"),
                        text("pointer"),
                        text("mock"),
                        text("live"),
                    ));
                }
            }
        }
        all
    }

    /// The differences that are scored or not compared, one a line, with
    /// their scenario, step line and class.
    fn scored(&self) -> Vec<String> {
        let mut out = Vec::new();
        for scenario in self.report["scenarios"].as_array().into_iter().flatten() {
            for step in scenario["steps"].as_array().into_iter().flatten() {
                for d in step["differences"].as_array().into_iter().flatten() {
                    if d["scored"] == Value::Bool(false) && d["kind"] != "not-compared" {
                        continue;
                    }
                    out.push(format!(
                        "  {}:{} {} {} `{}`: mock {} / live {}",
                        scenario["id"].as_str().unwrap_or("?"),
                        step["line"],
                        d["class"].as_str().unwrap_or("?"),
                        d["kind"].as_str().unwrap_or("?"),
                        d["pointer"].as_str().unwrap_or_default(),
                        d["mock"].as_str().unwrap_or_default(),
                        d["live"].as_str().unwrap_or_default(),
                    ));
                }
            }
        }
        out
    }

    /// The differences, one a line, with the CLI's output, for failure messages.
    pub fn shown(&self) -> String {
        let lines: Vec<String> = self
            .differences()
            .iter()
            .map(|(s, line, kind, pointer, mock, live)| {
                format!("  {s}:{line} {kind} `{pointer}`: mock {mock} / live {live}")
            })
            .collect();
        format!(
            "exit {}\ndifferences:\n{}\nstderr:\n{}",
            self.cli.code,
            lines.join("\n"),
            self.cli.stderr
        )
    }
}

/// In the `extra` arguments of [`fidelity`], the URL of the fake it starts.
pub const FAKE_URL: &str = "{fake}";

/// `vouch fidelity` of the whole `scenarios/<suite>` against `vendor` served
/// as a fake, with the suite's vars file, then `extra` arguments (where
/// [`FAKE_URL`] stands for the fake's URL); the mock mirrors the fake.
pub fn fidelity(
    suite: &str,
    spec: &str,
    vendor: impl Vendor,
    token: &str,
    extra: &[&str],
) -> Fidelity {
    let fake = start_fake(vendor);
    let dir = crate::harness::run_dir("fidelity");
    let report = dir.join("fidelity.json");
    let args: Vec<String> = vec![
        "fidelity".into(),
        format!("scenarios/{suite}"),
        "--base-url".into(),
        format!("{spec}={}", fake.url),
        "--vars".into(),
        vars_file(suite).display().to_string(),
        "--allow-destructive".into(),
        "--report".into(),
        format!("json={}", report.display()),
        "--timeout".into(),
        "5".into(),
    ];
    let args: Vec<String> = args
        .into_iter()
        .chain(extra.iter().map(|a| a.replace(FAKE_URL, &fake.url)))
        .collect();
    let cli = vouch(&args, spec, token, &dir);
    let report_text = std::fs::read_to_string(&report).unwrap_or_default();
    assert!(
        !report_text.contains(token),
        "the token appears in the fidelity report"
    );
    let report = serde_json::from_str(&report_text).unwrap_or(Value::Null);
    let _ = std::fs::remove_dir_all(&dir);
    Fidelity { cli, report }
}

impl Fidelity {
    /// Asserts that the mock mirrored the fake (its stderr says so), that every
    /// step was compared, that no difference left is scored (the paired runs
    /// share the data, so no status, field or type differs on it), and that
    /// `vouch fidelity` exits 0.
    pub fn assert_like_with_like(&self, vendor: &str) {
        self.assert_mirrored(vendor);
        assert!(
            self.report["steps"].as_u64().unwrap_or(0) > 0,
            "{}",
            self.shown()
        );
        // What mirroring cannot remove is free text the notes do not fix and
        // the subjects the specs mark as guesses: reported, never scored.
        let scored = self.scored();
        assert!(
            scored.is_empty(),
            "scored or uncompared differences:\n{}\n{}",
            scored.join("\n"),
            self.shown()
        );
        assert_eq!(self.cli.code, 0, "{}", self.shown());
    }

    /// Asserts that the mock mirrored the fake: its stderr says so.
    fn assert_mirrored(&self, vendor: &str) {
        assert!(
            self.cli
                .stderr
                .contains(&format!("mirrored from the live target: {vendor}")),
            "{}",
            self.shown()
        );
    }

    /// Asserts that this run (against a fake with a fault) mirrored the fake
    /// and shows a scored difference that `faithful` does not have.
    pub fn assert_fault_is_new(&self, vendor: &str, faithful: &Fidelity) {
        self.assert_mirrored(vendor);
        assert!(!self.new_against(faithful).is_empty(), "{}", self.shown());
    }

    /// The scored differences of this run that `faithful` does not have
    /// (same scenario, step, kind and pointer), ignoring the values.
    pub fn new_against(&self, faithful: &Fidelity) -> Vec<Seen> {
        let key = |d: &Seen| (d.0.clone(), d.1, d.2.clone(), d.3.clone());
        let known: Vec<_> = faithful.differences().iter().map(key).collect();
        self.differences()
            .into_iter()
            .filter(|d| !matches!(d.2.as_str(), "latency" | "not-compared"))
            .filter(|d| !known.contains(&key(d)))
            .collect()
    }
}
