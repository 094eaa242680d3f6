//! The whole scenario suite against the in-process mock, two ways in one
//! run: through vouch (templating, contract checks, expectations, snapshot
//! comparison, reports) and as a bare replay of the same HTTP requests with
//! reqwest and no checks, both with one client for the run and each scenario
//! on a mock reset to its fixtures, two at a time. The ratio is what vouch's
//! checking costs. Also the wall time of `vouch run`.
//!
//! Run: `cargo bench --bench suite`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use vouch::exchange::Exchange;
use vouch::mock::{Fixtures, MockServer, MockState};
use vouch::runner::{RunOptions, SnapshotMode};
use vouch::scenario::load_dir;
use vouch::spec::Catalog;
use vouch::suite::{TargetKind, run_all};

const ROUNDS: usize = 5;

/// Replays `exchanges` (one list per scenario) as vouch runs them: one
/// client for the run, two mocks each serving every other scenario, reset
/// to the fixtures before each.
async fn bare_replay(
    catalog: &Arc<Catalog>,
    fixtures: &Fixtures,
    exchanges: &[Vec<Exchange>],
    token: &str,
) -> Duration {
    let started = Instant::now();
    let client = reqwest::Client::new();
    let mut tasks = Vec::new();
    for lane in 0..2 {
        let share: Vec<Vec<Exchange>> = exchanges.iter().skip(lane).step_by(2).cloned().collect();
        let (client, token) = (client.clone(), token.to_string());
        let state = MockState::new(catalog.clone(), fixtures.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            let mock = MockServer::start(state, ([127, 0, 0, 1], 0).into())
                .await
                .unwrap();
            for scenario in share {
                mock.state.reset();
                for e in scenario {
                    let path = e.url.splitn(4, '/').nth(3).unwrap_or_default();
                    let mut request = client.request(
                        reqwest::Method::from_bytes(e.method.as_bytes()).unwrap(),
                        format!("{}/{path}", mock.url()),
                    );
                    for (k, v) in &e.request_headers {
                        request = request.header(k, v.replace("[secret]", &token));
                    }
                    if let Some(body) = &e.request_body {
                        request = request
                            .header("content-type", "application/json")
                            .body(body.to_string());
                    }
                    let response = request.send().await.unwrap();
                    response.bytes().await.unwrap();
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    started.elapsed()
}

fn main() {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    std::env::set_current_dir(&root).unwrap();
    let catalog = Arc::new(Catalog::builtin().unwrap());
    let scenarios = load_dir(&root.join("scenarios"), &catalog, &Default::default())
        .unwrap_or_else(|e| panic!("{}", e[0]));
    let token = MockState::token_from_env();
    let fixtures = Fixtures::builtin().unwrap();
    let kind = TargetKind::Mock {
        fixtures: fixtures.clone(),
        token: token.clone(),
    };
    let options = RunOptions {
        timeout: Duration::from_secs(30),
        retries: 2,
        vars: Default::default(),
        run_id: "bench0001".into(),
        snapshots: SnapshotMode::Files {
            dir: root.join("snapshots"),
            update: false,
            ci: true,
        },
        root: root.join("scenarios"),
        safety: Default::default(),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let run_vouch = || {
        let started = Instant::now();
        let outcomes = rt.block_on(run_all(
            catalog.clone(),
            scenarios.clone(),
            kind.clone(),
            options.clone(),
            2,
            |_| {},
        ));
        (started.elapsed(), outcomes)
    };
    // A first run, not timed, gives the requests to replay and warms both paths.
    let exchanges: Vec<Vec<Exchange>> = run_vouch()
        .1
        .iter()
        .map(|o| o.steps.iter().filter_map(|s| s.exchange.clone()).collect())
        .collect();
    let steps: usize = exchanges.iter().map(Vec::len).sum();
    let run_bare = || rt.block_on(bare_replay(&catalog, &fixtures, &exchanges, &token));
    let (mut checked, mut bare) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        // Alternate which goes first, so neither profits from the other's warm caches.
        if round % 2 == 0 {
            checked.push(run_vouch().0);
            bare.push(run_bare());
        } else {
            bare.push(run_bare());
            checked.push(run_vouch().0);
        }
    }
    checked.sort();
    bare.sort();
    let (c, b) = (checked[ROUNDS / 2], bare[ROUNDS / 2]);
    println!(
        "{} scenarios, {steps} requests; median of {ROUNDS} rounds, 2 at a time",
        scenarios.len()
    );
    println!(
        "vouch (checks, snapshots):  {:>7.1} ms",
        c.as_secs_f64() * 1000.0
    );
    println!(
        "bare reqwest replay:        {:>7.1} ms",
        b.as_secs_f64() * 1000.0
    );
    println!(
        "overhead: vouch takes {:.2}x the bare replay ({:+.0}%; target < +50%)",
        c.as_secs_f64() / b.as_secs_f64(),
        (c.as_secs_f64() / b.as_secs_f64() - 1.0) * 100.0
    );

    let started = Instant::now();
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_vouch"))
        .arg("run")
        .env("CI", "1")
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    println!(
        "`vouch run` (release binary, whole suite): {:.0} ms, exit {}",
        started.elapsed().as_secs_f64() * 1000.0,
        status.code().unwrap_or(-1)
    );
}
