//! `vouch record`: a recording proxy in front of a fake upstream (a built-in
//! mock with its own token). The proxy passes answers through unchanged; the
//! recording is a scenario that parses, names operations, captures generated
//! ids and holds no credential; replayed with `vouch fidelity` against the
//! upstream (or a fresh one) it scores 1.0.

mod fidelity_support;
mod support;

use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::time::Duration;

use fidelity_support::{TempDir, compare, live_kind, mock_with_token, vouch};
use serde_json::json;
use support::wait_bounded;
use support::{Got, catalog, client, send};
use vouch::live::MaxBody;
use vouch::record::{Recorded, RecordingProxy, scenario, write_scenario};
use vouch::scenario::parse_scenario;

const TOKEN: &str = "upstream-token-5521";
const PROJECT: &str = "05602623488025ea2f1ac01f1d3f1e2b";
const GATEWAY: &str = "eddc4d25480b4cd6b512f270a1b8b341";
const VIP: &str = "d8474e0dbfe84d47a449bb34979cbcb9";

fn ports(base: &str) -> String {
    format!("{base}/v2/{PROJECT}/apigw/instances/{GATEWAY}/custom-ingress-ports")
}

/// A client session through `base`: add a port, find it, read its domains,
/// delete it; read ZStack and Zadig data (the latter with the token in the
/// query); one request without a credential, one to an unknown path that
/// quotes the token in its body.
async fn session(base: &str) -> Vec<Got> {
    let c = client();
    let mut got = vec![send(c.get(ports(base)).header("X-Auth-Token", TOKEN)).await];
    let added = send(
        c.post(ports(base))
            .header("X-Auth-Token", TOKEN)
            .json(&json!({"protocol": "HTTP", "ingress_port": 18080})),
    )
    .await;
    let id = added.json()["ingress_port_id"]
        .as_str()
        .unwrap()
        .to_string();
    got.push(added);
    let port = format!("{}/{id}", ports(base));
    for request in [
        c.get(format!("{}?ingress_port=18080", ports(base))),
        c.get(format!("{port}/domains")),
        c.delete(&port),
    ] {
        got.push(send(request.header("X-Auth-Token", TOKEN)).await);
    }
    got.push(
        send(
            c.get(format!(
                "{base}/zstack/v1/vips/{VIP}/usedports?protocol=TCP"
            ))
            .header("Authorization", format!("OAuth {TOKEN}")),
        )
        .await,
    );
    got.push(
        send(c.get(format!(
            "{base}/openapi/environments?projectKey=simple-demo&token={TOKEN}"
        )))
        .await,
    );
    got.push(send(c.get(ports(base))).await);
    got.push(
        send(
            c.post(format!("{base}/nowhere"))
                .json(&json!({"note": format!("key {TOKEN}")})),
        )
        .await,
    );
    got
}

async fn recorded_session(upstream: &str) -> (Vec<Got>, Vec<Recorded>) {
    let proxy = RecordingProxy::start(
        upstream,
        "127.0.0.1:0".parse().unwrap(),
        Duration::from_secs(5),
        MaxBody::DEFAULT,
    )
    .await
    .expect("the proxy starts");
    let answers = session(&proxy.url()).await;
    (answers, proxy.stop().await)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_proxy_returns_the_upstream_answers_unchanged() {
    // Arrange: the same session straight to one upstream and through the proxy to another.
    let (direct_upstream, proxied_upstream) =
        (mock_with_token(TOKEN).await, mock_with_token(TOKEN).await);

    // Act
    let direct = session(&direct_upstream.url()).await;
    let (proxied, recorded) = recorded_session(&proxied_upstream.url()).await;

    // Assert: statuses, content types and bodies (generated ids aside) are the same.
    assert_eq!(recorded.len(), direct.len());
    let view = |g: &Got| (g.status, g.content_type.clone(), g.text.len());
    assert_eq!(
        direct.iter().map(view).collect::<Vec<_>>(),
        proxied.iter().map(view).collect::<Vec<_>>()
    );
    for (d, p) in direct
        .iter()
        .zip(&proxied)
        .filter(|(d, _)| !d.text.contains("ingress_port_id"))
    {
        assert_eq!(d.text, p.text);
    }
    let statuses: Vec<u16> = recorded.iter().map(|r| r.status).collect();
    assert_eq!(statuses, [200, 201, 200, 200, 204, 200, 200, 401, 404]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_recording_is_a_scenario_with_operations_captures_and_no_credentials() {
    // Arrange
    let upstream = mock_with_token(TOKEN).await;
    let (_, recorded) = recorded_session(&upstream.url()).await;

    // Act
    let recording = scenario(&catalog(), &upstream.url(), &recorded);
    let text = &recording.text;

    // Assert: it parses as a scenario, one step per request.
    let parsed = parse_scenario(
        Path::new("recorded.yaml"),
        text,
        &catalog(),
        &BTreeSet::new(),
    )
    .unwrap_or_else(|e| {
        panic!(
            "{text}\n{}",
            e.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("\n")
        )
    });
    let operations: Vec<Option<&str>> = parsed
        .steps
        .iter()
        .map(|s| s.operation.as_deref())
        .collect();
    assert_eq!(
        operations,
        [
            Some("huawei-apig.listIngressPorts"),
            Some("huawei-apig.addIngressPort"),
            Some("huawei-apig.listIngressPorts"),
            Some("huawei-apig.listIngressPortDomains"),
            Some("huawei-apig.deleteIngressPort"),
            Some("zstack.getVipUsedPorts"),
            Some("zadig.listTestEnvironments"),
            Some("huawei-apig.listIngressPorts"),
            None,
        ]
    );
    let statuses: Vec<String> = parsed
        .steps
        .iter()
        .map(|s| s.expect.status().unwrap().to_string())
        .collect();
    assert_eq!(
        statuses,
        [
            "200", "201", "200", "200", "204", "200", "200", "401", "404"
        ]
    );
    // The generated id is captured where it first appeared and used by the later steps.
    let captures: Vec<(String, String)> = parsed.steps[1]
        .capture
        .iter()
        .map(|c| (c.name.clone(), c.selector.to_string()))
        .collect();
    assert_eq!(
        captures,
        [(
            "ingress_port_id".to_string(),
            "/ingress_port_id".to_string()
        )]
    );
    for step in &parsed.steps[3..5] {
        assert_eq!(
            step.params.get("ingress_port_id"),
            Some(&json!("{{ingress_port_id}}"))
        );
    }
    assert_eq!(
        parsed.steps[2].params.get("ingress_port"),
        Some(&json!("18080"))
    );
    assert_eq!(
        parsed.steps[6].params.get("projectKey"),
        Some(&json!("simple-demo"))
    );
    // Credentials: never written; each step sends the target's own, except the one that sent none.
    assert!(!text.contains(TOKEN), "{text}");
    assert!(
        !text.to_lowercase().contains("x-auth-token") && !text.contains("OAuth"),
        "{text}"
    );
    let auth: Vec<bool> = parsed.steps.iter().map(|s| s.auth).collect();
    assert_eq!(
        auth,
        [true, true, true, true, true, true, true, false, false]
    );
    // The token quoted in a body became a variable; the unknown path is flagged.
    assert_eq!(
        parsed.steps[8].body,
        Some(vouch::scenario::Body::Json(
            json!({"note": "key {{secret}}"})
        ))
    );
    assert!(parsed.variables.contains_key("secret"));
    assert!(
        text.contains("# vouch record: no operation of the catalog matches POST /nowhere"),
        "{text}"
    );
    assert!(
        parsed.steps[8]
            .name
            .as_deref()
            .is_some_and(|n| n.starts_with("unmatched:"))
    );
    assert_eq!((recording.steps, recording.unmatched), (9, 1));
    assert_eq!(
        parsed.tags,
        ["recorded", "huawei-apig", "zadig", "zstack", "destructive"]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_replayed_recording_scores_one_against_its_upstream_and_a_fresh_one() {
    // Arrange: a recording written to a file.
    let upstream = mock_with_token(TOKEN).await;
    let (_, recorded) = recorded_session(&upstream.url()).await;
    let dir = TempDir::new("replay");
    let file = dir.0.join("recorded.yaml");
    write_scenario(&file, &catalog(), &upstream.url(), &recorded).expect("written and parsed");
    let scenarios = dir.scenarios();
    let fresh = mock_with_token(TOKEN).await;

    for live in [upstream.url(), fresh.url()] {
        // Act
        let report = compare(&dir.0, &scenarios, &live_kind(&live, TOKEN)).await;

        // Assert
        assert_eq!(
            report.score,
            Some(1.0),
            "{}{}",
            report.details(),
            report.table()
        );
        assert_eq!(report.steps, 9);
    }
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread")]
async fn vouch_record_writes_the_scenario_on_ctrl_c() {
    // Arrange
    let upstream = mock_with_token(TOKEN).await;
    let dir = TempDir::new("record-cli");
    let out = dir.0.join("rec/session.yaml");
    let mut child = vouch(
        &[
            "record",
            "--upstream",
            &upstream.url(),
            "--listen",
            "127.0.0.1:0",
            "--out",
            &out.display().to_string(),
        ],
        "",
    );
    let (tx, rx) = std::sync::mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let first = tokio::task::spawn_blocking(move || (rx.recv_timeout(Duration::from_secs(30)), rx))
        .await
        .unwrap();
    let (line, rx) = (first.0.expect("the proxy says where it listens"), first.1);
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .map(|w| w.trim_end_matches(';').to_string())
        .unwrap_or_else(|| panic!("no URL in {line:?}"));

    // Act: two requests, then Ctrl-C.
    let c = client();
    send(c.get(ports(&url)).header("X-Auth-Token", TOKEN)).await;
    send(
        c.get(format!("{url}/zstack/v1/vips/{VIP}/usedports?protocol=UDP"))
            .header("Authorization", format!("OAuth {TOKEN}")),
    )
    .await;
    let interrupted = std::process::Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(interrupted.success());
    let done = tokio::task::spawn_blocking(move || wait_bounded(child, Duration::from_secs(30)))
        .await
        .unwrap();

    // Assert
    assert_eq!(done.status.code(), Some(0), "{}", done.stderr);
    let rest: Vec<String> = rx.try_iter().collect();
    assert!(
        rest.iter().any(|l| l.contains("wrote 2 step(s)")),
        "{rest:?}"
    );
    let text = std::fs::read_to_string(&out).expect("the scenario file");
    assert!(!text.contains(TOKEN));
    let parsed = parse_scenario(&out, &text, &catalog(), &BTreeSet::new()).expect("it parses");
    assert_eq!(parsed.steps.len(), 2);
}
