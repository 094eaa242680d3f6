//! What `side-by-side.sh` (GET throughput against bare hyper, as a separate
//! process) does not measure, in-process: startup of the mock itself (five
//! specs loaded and compiled, fixtures, listening; no process start), the
//! rate of stateful POST + DELETE pairs, and resident memory idle and with
//! 100,000 stored ports. The mock runs on one pinned core, the load
//! generator on the other, over keep-alive connections.
//!
//! Run: `cargo bench --bench mock` (add `-- --quick` for a shorter run).

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::json;
use vouch::mock::{DEFAULT_TOKEN, Fixtures, MockServer, MockState};
use vouch::spec::Catalog;

const RAINBOND: &str =
    "/openapi/v1/teams/4b1d8f0e6c2a4f3b9e7d5c1a0b2f3e4d/regions/rainbond/apps/12/services";
const HUAWEI: &str = "/v2/05602623488025ea2f1ac01f1d3f1e2b/apigw/instances/5b2f0c8e7d6a4e1f9c3b2a1d0e9f8a7b/custom-ingress-ports";

fn pin_to_core(core: usize) {
    // SAFETY: a zeroed cpu_set_t is a valid empty set; the call only reads it.
    unsafe {
        let mut set: libc::cpu_set_t = std::mem::zeroed();
        libc::CPU_SET(core, &mut set);
        libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
    }
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// Starts the mock on a current-thread runtime in a thread pinned to core 0.
fn start_mock() -> (SocketAddr, Arc<MockState>, Duration) {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        pin_to_core(0);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let started = Instant::now();
            let catalog = Arc::new(Catalog::builtin().unwrap());
            let state = MockState::new(catalog, Fixtures::builtin().unwrap(), DEFAULT_TOKEN.into());
            let mock = MockServer::start(state.clone(), ([127, 0, 0, 1], 0).into())
                .await
                .unwrap();
            tx.send((mock.addr, state, started.elapsed())).unwrap();
            std::future::pending::<()>().await;
            drop(mock);
        });
    });
    rx.recv().unwrap()
}

struct Load {
    requests: usize,
    elapsed: Duration,
    latencies: Vec<Duration>,
}

impl Load {
    fn rps(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }
    fn percentile(&mut self, p: f64) -> Duration {
        self.latencies.sort();
        self.latencies[((self.latencies.len() - 1) as f64 * p) as usize]
    }
}

/// `connections` keep-alive clients each running `per_connection` iterations of `one`.
async fn load<F, Fut>(connections: usize, per_connection: usize, one: F) -> Load
where
    F: Fn(reqwest::Client, usize) -> Fut + Clone + Send + 'static,
    Fut: std::future::Future<Output = usize> + Send,
{
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..connections {
        let one = one.clone();
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .build()
                .unwrap();
            let mut latencies = Vec::with_capacity(per_connection);
            let mut requests = 0;
            for i in 0..per_connection {
                let t = Instant::now();
                requests += one(client.clone(), c * per_connection + i).await;
                latencies.push(t.elapsed());
            }
            (requests, latencies)
        }));
    }
    let mut out = Load {
        requests: 0,
        elapsed: Duration::ZERO,
        latencies: Vec::new(),
    };
    for t in tasks {
        let (n, l) = t.await.unwrap();
        out.requests += n;
        out.latencies.extend(l);
    }
    out.elapsed = started.elapsed();
    out
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let n = if quick { 2_000 } else { 20_000 };
    let _ = rustls::crypto::ring::default_provider().install_default();
    let rss_before = rss_kib();

    let (mock, state, startup) = start_mock();
    let rss_idle = rss_kib();

    pin_to_core(1);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async move {
        let huawei = format!("http://{mock}{HUAWEI}");
        let mut pair = load(2, n / 4, move |c, i| {
            let url = huawei.clone();
            async move {
                let port = 1024 + (i % 40_000) as u64;
                let created: serde_json::Value = c
                    .post(&url)
                    .header("x-auth-token", DEFAULT_TOKEN)
                    .json(&json!({"protocol": "HTTP", "ingress_port": port}))
                    .send()
                    .await
                    .unwrap()
                    .json()
                    .await
                    .unwrap();
                let id = created["ingress_port_id"].as_str().unwrap().to_string();
                let gone = c
                    .delete(format!("{url}/{id}"))
                    .header("x-auth-token", DEFAULT_TOKEN)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(gone.status(), 204);
                2
            }
        })
        .await;

        println!(
            "startup in-process (5 specs loaded, schemas compiled, listening): {:.1} ms",
            startup.as_secs_f64() * 1000.0
        );
        println!(
            "mock POST+DELETE pair:   {:>8.0} req/s  p50 {:>6.0} us  p99 {:>6.0} us (per pair)",
            pair.rps(),
            pair.percentile(0.5).as_micros(),
            pair.percentile(0.99).as_micros()
        );
        // 100,000 stored ports: 50,000 on each of two Rainbond components.
        let added = load(8, 12_500, move |c, i| {
            let (service, port) = if i < 50_000 {
                ("gr-nginx", 10_000 + i)
            } else {
                ("gr-mysql", 10_000 + i - 50_000)
            };
            let url = format!("http://{mock}{RAINBOND}/{service}/ports");
            async move {
                let r = c
                    .post(&url)
                    .header("authorization", DEFAULT_TOKEN)
                    .json(&json!({"port": port, "is_inner_service": false}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 200, "{}", r.text().await.unwrap());
                1
            }
        })
        .await;
        let stored = state.state_json()["rainbond"]
            .to_string()
            .matches("container_port")
            .count();
        println!(
            "stored {} ports in {:.1} s",
            stored,
            added.elapsed.as_secs_f64()
        );
    });
    let rss_full = rss_kib();
    println!(
        "resident memory: {} KiB before, {} KiB idle mock (+{} KiB), {} KiB with 100,000 ports (+{} KiB)",
        rss_before,
        rss_idle,
        rss_idle.saturating_sub(rss_before),
        rss_full,
        rss_full.saturating_sub(rss_idle)
    );
}
