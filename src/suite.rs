//! Running a set of scenarios: picks the target for each (a built-in mock
//! reset to its fixtures per scenario, or the live target), applies the
//! safety rules for live targets, runs them in parallel and hands each
//! outcome to the reporters.
//! This is the wiring the CLI and the `cargo test` harness share; the runner
//! itself never sees the mock.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use crate::mock::{Fixtures, MockServer, MockState};
use crate::redact::Redactor;
use crate::runner::{RunOptions, ScenarioOutcome, StepOutcome, Target, Verdict, run_scenario};
use crate::scenario::Scenario;
use crate::spec::Catalog;

/// Where scenarios run.
#[derive(Clone)]
pub enum TargetKind {
    /// An in-process mock per scenario, starting from these fixtures, accepting this token.
    Mock {
        /// Seed data each scenario's mock starts from.
        fixtures: Fixtures,
        /// The credential the mock accepts.
        token: String,
    },
    /// A live service.
    Live {
        /// The live service's base URLs and credentials.
        target: Target,
        /// Whether `destructive` scenarios may run against it (`--allow-destructive`).
        allow_destructive: bool,
    },
}

impl TargetKind {
    /// The live target from `VOUCH_BASE_URL`-style settings: `urls` are
    /// `URL` (every spec) or `SPEC=URL`; tokens come from `VOUCH_TOKEN` and
    /// `VOUCH_TOKEN_<SPEC>` in the environment, never from arguments.
    pub fn live(
        catalog: &Catalog,
        urls: &[String],
        allow_destructive: bool,
    ) -> Result<TargetKind, String> {
        let mut target = Target {
            live: true,
            ..Target::default()
        };
        for url in urls {
            match url.split_once('=') {
                Some((spec, u)) if !spec.contains('/') && !spec.contains(':') => {
                    if catalog.spec(spec).is_none() {
                        let names: Vec<&str> =
                            catalog.specs().iter().map(|s| s.name.as_str()).collect();
                        return Err(format!(
                            "--base-url {spec}=...: no spec named `{spec}` (specs: {})",
                            names.join(", ")
                        ));
                    }
                    target
                        .base_urls
                        .insert(spec.to_string(), u.trim_end_matches('/').to_string());
                }
                _ => target.default_base_url = Some(url.trim_end_matches('/').to_string()),
            }
        }
        for url in target.base_urls.values().chain(&target.default_base_url) {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(format!(
                    "--base-url `{url}` must start with http:// or https://"
                ));
            }
        }
        target.default_token = std::env::var("VOUCH_TOKEN").ok().filter(|t| !t.is_empty());
        for spec in catalog.specs() {
            if let Ok(token) = std::env::var(token_variable(&spec.name))
                && !token.is_empty()
            {
                target.tokens.insert(spec.name.clone(), token);
            }
        }
        Ok(TargetKind::Live {
            target,
            allow_destructive,
        })
    }

    /// Every secret a run on this target sends, for redaction.
    pub fn secrets(&self) -> Vec<String> {
        match self {
            TargetKind::Mock { token, .. } => vec![token.clone()],
            TargetKind::Live { target, .. } => target.secrets(),
        }
    }
}

/// `VOUCH_TOKEN_HUAWEI_APIG` for `huawei-apig`.
pub fn token_variable(spec: &str) -> String {
    format!(
        "VOUCH_TOKEN_{}",
        spec.to_ascii_uppercase().replace(['-', '.'], "_")
    )
}

/// Whether scenario `id` belongs to shard `k` of `n` (1-based), stably.
pub fn in_shard(id: &str, shard: Option<(u32, u32)>) -> bool {
    let Some((k, n)) = shard else { return true };
    // FNV-1a: stable across runs and platforms.
    let hash = id.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    hash % u64::from(n) == u64::from(k - 1)
}

/// Runs one scenario on its target. The outcome holds real values, the
/// credential included: redact it ([`ScenarioOutcome::redact`]) before
/// showing it.
pub async fn run_one(
    catalog: &Arc<Catalog>,
    scenario: &Scenario,
    kind: &TargetKind,
    options: &RunOptions,
) -> ScenarioOutcome {
    Suite::new(catalog.clone(), kind.clone(), options.clone())
        .run(scenario)
        .await
}

/// Scenarios run on one target with one HTTP client (building one reads the
/// system's root certificates, which takes longer than most scenarios) and,
/// on the built-in mock, a pool of mocks. A pooled mock serves one scenario
/// at a time and is reset to its fixtures (state, journal, faults) before the
/// next, so each scenario starts as on a fresh mock without a new server and
/// connection. A mock that may still be serving a request (a scenario ended
/// on a timeout or a dropped connection) is never reused.
pub struct Suite {
    catalog: Arc<Catalog>,
    kind: TargetKind,
    options: RunOptions,
    client: reqwest::Client,
    idle: Mutex<Vec<MockServer>>,
}

impl Suite {
    /// Scenarios of `catalog` on `kind`, run with `options`.
    pub fn new(catalog: Arc<Catalog>, kind: TargetKind, options: RunOptions) -> Suite {
        Suite {
            client: crate::live::client(options.timeout),
            catalog,
            kind,
            options,
            idle: Mutex::new(Vec::new()),
        }
    }

    /// The catalog the scenarios are checked against.
    pub fn catalog(&self) -> &Arc<Catalog> {
        &self.catalog
    }

    /// Runs `scenario`; see [`run_one`].
    pub async fn run(&self, scenario: &Scenario) -> ScenarioOutcome {
        let options = &self.options;
        match &self.kind {
            TargetKind::Live {
                target,
                allow_destructive,
            } => {
                if scenario.has_tag("destructive") && !allow_destructive {
                    return ScenarioOutcome::skipped(
                        scenario,
                        &options.root,
                        "destructive: pass --allow-destructive to run it against a live target"
                            .into(),
                    );
                }
                run_scenario(&self.client, &self.catalog, scenario, target, options).await
            }
            TargetKind::Mock { fixtures, token } => {
                let server = match self.take_mock(fixtures, token).await {
                    Ok(s) => s,
                    Err(e) => {
                        return ScenarioOutcome::skipped(
                            scenario,
                            &options.root,
                            format!("could not start the built-in mock: {e}"),
                        );
                    }
                };
                let target = Target {
                    default_base_url: Some(server.url()),
                    default_token: Some(token.clone()),
                    base_urls: BTreeMap::new(),
                    tokens: BTreeMap::new(),
                    live: false,
                };
                let outcome =
                    run_scenario(&self.client, &self.catalog, scenario, &target, options).await;
                if outcome.verdict != Verdict::Unreachable {
                    lock(&self.idle).push(server);
                }
                outcome
            }
        }
    }

    /// An idle mock reset to its fixtures, or a new one.
    async fn take_mock(&self, fixtures: &Fixtures, token: &str) -> std::io::Result<MockServer> {
        let idle = lock(&self.idle).pop();
        if let Some(server) = idle {
            server.state.reset();
            return Ok(server);
        }
        let state = MockState::new(self.catalog.clone(), fixtures.clone(), token.to_string());
        MockServer::start(state, ([127, 0, 0, 1], 0).into()).await
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A scenario that panicked must not stop the others from taking a mock.
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs `scenarios` with at most `jobs` at once; `on_done` sees each outcome as it finishes,
/// redacted.
pub async fn run_all(
    catalog: Arc<Catalog>,
    scenarios: Vec<Scenario>,
    kind: TargetKind,
    options: RunOptions,
    jobs: usize,
    on_done: impl FnMut(&ScenarioOutcome),
) -> Vec<ScenarioOutcome> {
    Arc::new(Suite::new(catalog, kind, options))
        .run_all(scenarios, jobs, on_done)
        .await
}

impl Suite {
    /// See [`run_all`].
    pub async fn run_all(
        self: &Arc<Self>,
        scenarios: Vec<Scenario>,
        jobs: usize,
        mut on_done: impl FnMut(&ScenarioOutcome),
    ) -> Vec<ScenarioOutcome> {
        let semaphore = Arc::new(tokio::sync::Semaphore::new(jobs.max(1)));
        let redactor = Arc::new(Redactor::new(&self.kind.secrets()));
        let mut tasks = tokio::task::JoinSet::new();
        for (index, scenario) in scenarios.into_iter().enumerate() {
            let (suite, semaphore, redactor) = (self.clone(), semaphore.clone(), redactor.clone());
            tasks.spawn(async move {
                let _permit = semaphore.acquire_owned().await;
                let mut outcome = suite.run_caught(&scenario).await;
                outcome.redact(&redactor);
                (index, outcome)
            });
        }
        let mut outcomes: Vec<(usize, ScenarioOutcome)> = Vec::new();
        while let Some(joined) = tasks.join_next().await {
            if let Ok((index, outcome)) = joined {
                on_done(&outcome);
                outcomes.push((index, outcome));
            }
        }
        outcomes.sort_by_key(|(i, _)| *i);
        outcomes.into_iter().map(|(_, o)| o).collect()
    }

    /// Runs `scenario`; a panic in vouch fails it rather than the run.
    async fn run_caught(&self, scenario: &Scenario) -> ScenarioOutcome {
        let run = std::panic::AssertUnwindSafe(self.run(scenario));
        futures_util::FutureExt::catch_unwind(run)
            .await
            .unwrap_or_else(|_| {
                let mut failed =
                    ScenarioOutcome::skipped(scenario, &self.options.root, String::new());
                failed.verdict = Verdict::Failed;
                failed.steps.push(StepOutcome::internal_error(
                    "vouch itself failed while running this scenario (a bug: please report it)",
                ));
                failed
            })
    }
}

/// A run id unique enough for resource names: 8 random decimal digits, which
/// fit upper-case aliases and lower-case Kubernetes names alike.
pub fn new_run_id() -> String {
    format!("{:08}", crate::mock::random::next_u64() % 100_000_000)
}

/// The scenarios root used for ids when none is given.
pub fn default_root() -> PathBuf {
    PathBuf::from("scenarios")
}
