//! State stays consistent under concurrent requests: 32 clients add and
//! delete ports on one Rainbond component and one Huawei gateway at once,
//! often racing for the same port. Afterwards the listed ports are exactly
//! those whose last successful answer was an add: nothing lost, nothing
//! duplicated, and no 5xx along the way.

mod support;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Value, json};
use support::{Vendor, client, start_mock};
use vouch::mock::MockServer;

const CLIENTS: usize = 32;
const ROUNDS: usize = 12;

const RAINBOND_PORTS: &str = "/openapi/v1/teams/4b1d8f0e6c2a4f3b9e7d5c1a0b2f3e4d/regions/rainbond/apps/12/services/gr-mysql/ports";
const HUAWEI_PORTS: &str = "/v2/05602623488025ea2f1ac01f1d3f1e2b/apigw/instances/5b2f0c8e7d6a4e1f9c3b2a1d0e9f8a7b/custom-ingress-ports";

/// What a client saw succeed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Success {
    Added,
    Deleted,
}

/// One client's work on Rainbond: add then delete a few ports from a small shared pool.
async fn rainbond_client(url: String, seed: usize) -> Vec<(u64, Success)> {
    let http = client();
    let (header, token) = Vendor::Rainbond.credential();
    let mut seen = Vec::new();
    for round in 0..ROUNDS {
        // A pool of 8 ports shared by all clients: adds and deletes collide constantly.
        let port = 20_000 + ((seed * 7 + round * 3) % 8) as u64;
        let add = http
            .post(&url)
            .header(header, &token)
            .json(&json!({"port": port, "is_inner_service": false}))
            .send()
            .await
            .unwrap();
        let status = add.status().as_u16();
        assert!(status < 500, "add answered {status}");
        if status == 200 {
            seen.push((port, Success::Added));
        }
        if round % 2 == 1 {
            let del = http
                .delete(format!("{url}/{port}"))
                .header(header, &token)
                .send()
                .await
                .unwrap();
            let status = del.status().as_u16();
            assert!(status < 500, "delete answered {status}");
            if status == 200 {
                seen.push((port, Success::Deleted));
            }
        }
    }
    seen
}

/// One client's work on Huawei: add ports from a shared pool, delete some by id.
async fn huawei_client(url: String, seed: usize) -> Vec<(u64, Success)> {
    let http = client();
    let (header, token) = Vendor::HuaweiApig.credential();
    let mut seen = Vec::new();
    for round in 0..ROUNDS {
        let port = 30_000 + ((seed * 5 + round) % 8) as u64;
        let add = http
            .post(&url)
            .header(header, &token)
            .json(&json!({"protocol": "HTTP", "ingress_port": port}))
            .send()
            .await
            .unwrap();
        let status = add.status().as_u16();
        assert!(status < 500, "add answered {status}");
        if status == 201 {
            let id = add.json::<Value>().await.unwrap()["ingress_port_id"]
                .as_str()
                .unwrap()
                .to_string();
            seen.push((port, Success::Added));
            if round % 3 == 0 {
                let del = http
                    .delete(format!("{url}/{id}"))
                    .header(header, &token)
                    .send()
                    .await
                    .unwrap();
                let status = del.status().as_u16();
                assert!(status < 500, "delete answered {status}");
                if status == 204 {
                    seen.push((port, Success::Deleted));
                }
            }
        }
    }
    seen
}

/// The ports that must be listed: per port, successful adds and deletes
/// alternate (each was serialised through the mock's one lock), so adds
/// exceed deletes by one exactly when the port is present.
fn expected_ports(successes: Vec<Vec<(u64, Success)>>) -> BTreeSet<u64> {
    let mut per_port: BTreeMap<u64, (usize, usize)> = BTreeMap::new();
    for (port, success) in successes.into_iter().flatten() {
        let entry = per_port.entry(port).or_default();
        match success {
            Success::Added => entry.0 += 1,
            Success::Deleted => entry.1 += 1,
        }
    }
    per_port
        .into_iter()
        .filter_map(|(port, (adds, deletes))| {
            assert!(
                adds == deletes || adds == deletes + 1,
                "port {port}: {adds} successful adds but {deletes} deletes"
            );
            (adds == deletes + 1).then_some(port)
        })
        .collect()
}

/// The `field` of each item of the array at `pointer` in `vendor`'s answer to `GET path`.
async fn listed(
    mock: &MockServer,
    vendor: Vendor,
    path: &str,
    pointer: &str,
    field: &str,
) -> Vec<u64> {
    let (header, token) = vendor.credential();
    let body: Value = client()
        .get(format!("{}{path}", mock.url()))
        .header(header, token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    body.pointer(pointer)
        .and_then(Value::as_array)
        .unwrap()
        .iter()
        .filter_map(|p| p[field].as_u64())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_adds_and_deletes_leave_exactly_the_successful_ports() {
    let mock = start_mock().await;
    let rainbond_before: BTreeSet<u64> = listed(
        &mock,
        Vendor::Rainbond,
        RAINBOND_PORTS,
        "/data/list",
        "container_port",
    )
    .await
    .into_iter()
    .collect();

    let mut rainbond = Vec::new();
    let mut huawei = Vec::new();
    for seed in 0..CLIENTS / 2 {
        rainbond.push(tokio::spawn(rainbond_client(
            format!("{}{RAINBOND_PORTS}", mock.url()),
            seed,
        )));
        huawei.push(tokio::spawn(huawei_client(
            format!("{}{HUAWEI_PORTS}", mock.url()),
            seed,
        )));
    }
    let mut rainbond_seen = Vec::new();
    for task in rainbond {
        rainbond_seen.push(task.await.unwrap());
    }
    let mut huawei_seen = Vec::new();
    for task in huawei {
        huawei_seen.push(task.await.unwrap());
    }

    let rainbond_expected: BTreeSet<u64> = expected_ports(rainbond_seen)
        .into_iter()
        .chain(rainbond_before)
        .collect();
    let rainbond_now = listed(
        &mock,
        Vendor::Rainbond,
        RAINBOND_PORTS,
        "/data/list",
        "container_port",
    )
    .await;
    assert_eq!(
        rainbond_now.len(),
        rainbond_now.iter().collect::<BTreeSet<_>>().len(),
        "a Rainbond port is listed twice: {rainbond_now:?}"
    );
    assert_eq!(
        rainbond_now.into_iter().collect::<BTreeSet<_>>(),
        rainbond_expected
    );

    let huawei_expected = expected_ports(huawei_seen);
    let huawei_now = listed(
        &mock,
        Vendor::HuaweiApig,
        &format!("{HUAWEI_PORTS}?limit=500"),
        "/ingress_port_infos",
        "ingress_port",
    )
    .await;
    assert_eq!(
        huawei_now.len(),
        huawei_now.iter().collect::<BTreeSet<_>>().len(),
        "a Huawei port is listed twice: {huawei_now:?}"
    );
    assert_eq!(
        huawei_now.into_iter().collect::<BTreeSet<_>>(),
        huawei_expected
    );
}
