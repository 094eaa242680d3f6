//! Runs scenarios against a [`Target`]: renders each step's request, sends
//! it, checks the answer (contract, expectations, snapshot) and carries
//! captures forward. Steps arrive parsed: the runner evaluates their typed
//! selectors and expectations and never parses scenario text. It reads and
//! writes the snapshot files, so that [`crate::check`] stays pure. The
//! runner does not know whether the target is the built-in mock or a live
//! service: the caller hands it base URLs.

mod http;
mod snapshot_files;

pub use http::{MAX_REDIRECTS, Safety};

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use serde::Serialize;
use serde_json::Value;

use crate::check::snapshot;
use crate::check::{Finding, Observed, Rule, check_response, expect::check_expectations};
use crate::exchange::Exchange;
use crate::redact::Redactor;
use crate::scenario::template::{Vars, render, render_text};
use crate::scenario::{Scenario, Step};
use crate::spec::{Catalog, Operation, Spec};
use http::Failure;
use snapshot_files::SnapshotFile;

/// Where requests go and which credentials they carry.
#[derive(Clone, Default)]
pub struct Target {
    /// Base URL per spec name (no trailing slash).
    pub base_urls: BTreeMap<String, String>,
    /// Base URL for specs without their own.
    pub default_base_url: Option<String>,
    /// Token per spec name.
    pub tokens: BTreeMap<String, String>,
    /// Token for specs without their own.
    pub default_token: Option<String>,
    /// A live service (not the built-in mock): destructive scenarios need opting in.
    pub live: bool,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Tokens are secrets: never printed.
        f.debug_struct("Target")
            .field("base_urls", &self.base_urls)
            .field("default_base_url", &self.default_base_url)
            .field("live", &self.live)
            .finish()
    }
}

impl Target {
    fn base_url(&self, spec: Option<&str>) -> Option<&str> {
        spec.and_then(|s| self.base_urls.get(s))
            .or(self.default_base_url.as_ref())
            .map(String::as_str)
    }

    fn token(&self, spec: &str) -> Option<&str> {
        self.tokens
            .get(spec)
            .or(self.default_token.as_ref())
            .map(String::as_str)
    }

    /// Every secret value, for redaction.
    pub fn secrets(&self) -> Vec<String> {
        self.tokens
            .values()
            .chain(&self.default_token)
            .filter(|t| !t.is_empty())
            .cloned()
            .collect()
    }
}

/// What to do with snapshots.
#[derive(Debug, Clone)]
pub enum SnapshotMode {
    /// Do not snapshot (live targets, by default).
    Off,
    /// Compare with the files in `dir`; `update` writes them; `ci` writes nothing ever.
    Files {
        /// Directory of the snapshot files.
        dir: PathBuf,
        /// `--update-snapshots`: write new or changed snapshots.
        update: bool,
        /// In CI: never write anything, whatever `update` says.
        ci: bool,
    },
    /// Return the rendered snapshots to the caller (the `cargo test` harness hands them to insta).
    Collect,
}

/// How to run.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Per-request timeout.
    pub timeout: Duration,
    /// Retries after a connection error (never after an answer).
    pub retries: u32,
    /// Variables from the command line; they override scenario defaults.
    pub vars: Vars,
    /// `{{run_id}}`.
    pub run_id: String,
    /// What to do with snapshots.
    pub snapshots: SnapshotMode,
    /// The scenarios' root, for stable ids and snapshot names.
    pub root: PathBuf,
    /// Redirects and the body cap (`--follow-redirects`, `--max-body`).
    pub safety: Safety,
}

/// Why a step did not produce a checked exchange.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "kind", content = "message", rename_all = "kebab-case")]
pub enum StepError {
    /// The target could not be reached.
    Unreachable(String),
    /// The step could not be built (a capture it needs was never made).
    NotRun(String),
}

/// The result of one step.
#[derive(Debug, Clone, Serialize)]
pub struct StepOutcome {
    /// The step's name, or a description of its request (`step 2 (getPorts)`).
    pub label: String,
    /// 1-based line of the step in its scenario file (0 for an internal error).
    pub line: u64,
    /// Whether it is a teardown step.
    pub teardown: bool,
    /// The operationId the request was routed to; `None` when no operation matched.
    pub operation: Option<String>,
    /// The request and its answer; `None` when nothing was sent or nothing came back.
    pub exchange: Option<Exchange>,
    /// Contract, expectation, capture and snapshot failures; empty when the step passed.
    pub findings: Vec<Finding>,
    /// Why there is no exchange, if there is none.
    pub error: Option<StepError>,
    /// The rendered snapshot, in [`SnapshotMode::Collect`].
    #[serde(skip)]
    pub snapshot: Option<(String, String)>,
    /// Whether the step's expectation leaves the status open (see
    /// [`crate::scenario::StatusExpectation::leaves_open`]).
    #[serde(skip)]
    pub status_open: bool,
    /// Credentials the step wrote by hand (a scenario's own `Authorization`
    /// header, ...): secrets like the target's, redacted with them.
    #[serde(skip)]
    pub written_secrets: Vec<String>,
}

impl StepOutcome {
    /// A step standing for an internal failure of vouch.
    pub fn internal_error(message: &str) -> StepOutcome {
        StepOutcome {
            label: "vouch".into(),
            line: 0,
            teardown: false,
            operation: None,
            exchange: None,
            findings: Vec::new(),
            error: Some(StepError::NotRun(message.into())),
            snapshot: None,
            status_open: false,
            written_secrets: Vec::new(),
        }
    }

    /// Whether the step passed.
    pub fn passed(&self) -> bool {
        self.findings.is_empty() && self.error.is_none()
    }

    /// Replaces every secret in what the step sent and received, its findings and its error.
    pub fn redact(&mut self, redactor: &Redactor) {
        if let Some(exchange) = &mut self.exchange {
            exchange.redact(redactor);
        }
        for finding in &mut self.findings {
            finding.redact(redactor);
        }
        if let Some(StepError::Unreachable(message) | StepError::NotRun(message)) = &mut self.error
        {
            redactor.string(message);
        }
        if let Some((_, text)) = &mut self.snapshot {
            redactor.string(text);
        }
    }
}

/// How a scenario ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Verdict {
    /// Every step passed.
    Passed,
    /// A step had findings or could not be built.
    Failed,
    /// Not run; the reason.
    Skipped(String),
    /// The target could not be reached.
    Unreachable,
}

/// The result of one scenario.
#[derive(Debug, Clone, Serialize)]
pub struct ScenarioOutcome {
    /// Scenario id: its file path relative to the scenarios root, without extension.
    pub id: String,
    /// Scenario name, from its file.
    pub name: String,
    /// The scenario file.
    pub file: PathBuf,
    /// The scenario's tags.
    pub tags: Vec<String>,
    /// How the scenario ended.
    pub verdict: Verdict,
    /// Steps that ran, teardown included, in order; empty when skipped.
    pub steps: Vec<StepOutcome>,
    /// Wall-clock duration of the scenario, in milliseconds.
    pub duration_ms: f64,
}

impl ScenarioOutcome {
    /// An outcome for a scenario that was not run.
    pub fn skipped(scenario: &Scenario, root: &std::path::Path, reason: String) -> Self {
        ScenarioOutcome {
            id: scenario.id(root),
            name: scenario.name.clone(),
            file: scenario.file.clone(),
            tags: scenario.tags.clone(),
            verdict: Verdict::Skipped(reason),
            steps: Vec::new(),
            duration_ms: 0.0,
        }
    }

    /// Replaces every secret in every step, the target's (`redactor`) and
    /// those its steps wrote by hand. An outcome holds real values until
    /// then: the checks compare them, and reporters show only redacted ones.
    pub fn redact(&mut self, redactor: &Redactor) {
        let written: Vec<&str> = self
            .steps
            .iter()
            .flat_map(|s| s.written_secrets.iter().map(String::as_str))
            .collect();
        let redactor = redactor.with(&written);
        for step in &mut self.steps {
            step.redact(&redactor);
        }
    }

    /// Every finding of every step.
    pub fn findings(&self) -> impl Iterator<Item = (&StepOutcome, &Finding)> {
        self.steps
            .iter()
            .flat_map(|s| s.findings.iter().map(move |f| (s, f)))
    }
}

/// Runs one scenario: its steps until one fails, then every teardown step,
/// over `client` ([`crate::live::client`]; share one across scenarios, since
/// building one reads the system's root certificates).
pub async fn run_scenario(
    client: &reqwest::Client,
    catalog: &Catalog,
    scenario: &Scenario,
    target: &Target,
    options: &RunOptions,
) -> ScenarioOutcome {
    let started = Instant::now();
    let redactor = Redactor::new(&target.secrets());
    let mut vars = initial_vars(scenario, options);
    let id = scenario.id(&options.root);
    let mut steps = Vec::new();
    let mut failed = false;
    let mut unreachable = false;
    let context = |index: usize, teardown: bool| StepContext {
        catalog,
        target,
        options,
        redactor: &redactor,
        scenario_id: &id,
        index,
        teardown,
    };
    for (i, step) in scenario.steps.iter().enumerate() {
        let outcome = context(i, false).run(step, client, &mut vars).await;
        unreachable |= matches!(outcome.error, Some(StepError::Unreachable(_)));
        failed |= !outcome.passed();
        steps.push(outcome);
        if failed {
            break;
        }
    }
    if !unreachable {
        for (i, step) in scenario.teardown.iter().enumerate() {
            let outcome = context(scenario.steps.len() + i, true)
                .run(step, client, &mut vars)
                .await;
            // A teardown step whose captures never happened is skipped, not failed.
            failed |= !outcome.passed() && !matches!(outcome.error, Some(StepError::NotRun(_)));
            unreachable |= matches!(outcome.error, Some(StepError::Unreachable(_)));
            steps.push(outcome);
        }
    }
    let verdict = if unreachable {
        Verdict::Unreachable
    } else if failed {
        Verdict::Failed
    } else {
        Verdict::Passed
    };
    ScenarioOutcome {
        id,
        name: scenario.name.clone(),
        file: scenario.file.clone(),
        tags: scenario.tags.clone(),
        verdict,
        steps,
        duration_ms: started.elapsed().as_secs_f64() * 1000.0,
    }
}

/// `run_id`, then each default of the scenario in order (a command-line
/// value replacing it), then the other command-line values. Each value's
/// placeholders are filled from those before it, so a vars file may say
/// `new_env: "staging-{{run_id}}"`; a placeholder that cannot be filled
/// stays as written.
fn initial_vars(scenario: &Scenario, options: &RunOptions) -> Vars {
    let mut vars = Vars::new();
    vars.insert("run_id".into(), Value::String(options.run_id.clone()));
    let given = options
        .vars
        .iter()
        .filter(|(name, _)| !scenario.variables.contains_key(*name));
    for (name, value) in scenario.variables.iter().chain(given) {
        let value = options.vars.get(name).unwrap_or(value);
        let rendered = render(value, &vars).unwrap_or_else(|_| value.clone());
        vars.insert(name.clone(), rendered);
    }
    vars
}

struct StepContext<'a> {
    catalog: &'a Catalog,
    target: &'a Target,
    options: &'a RunOptions,
    redactor: &'a Redactor,
    scenario_id: &'a str,
    index: usize,
    teardown: bool,
}

impl StepContext<'_> {
    async fn run(&self, step: &Step, client: &reqwest::Client, vars: &mut Vars) -> StepOutcome {
        let mut outcome = StepOutcome {
            label: step.label(self.index),
            line: step.location.line,
            teardown: self.teardown,
            operation: step.operation.clone(),
            exchange: None,
            findings: Vec::new(),
            error: None,
            snapshot: None,
            status_open: step
                .expect
                .status
                .as_ref()
                .is_some_and(|(status, _)| status.leaves_open()),
            written_secrets: Vec::new(),
        };
        let request = match http::build(self.catalog, step, vars) {
            Ok(r) => r,
            Err(e) => {
                outcome.error = Some(StepError::NotRun(e));
                return outcome;
            }
        };
        let routed: Option<(&Spec, &Operation)> =
            request.operation.and_then(|id| self.catalog.operation(id));
        outcome.written_secrets = request.written_credentials(routed.map(|(_, op)| &op.security));
        outcome.operation = routed.map(|(_, op)| op.id.clone());
        let spec_name = routed.map(|(s, _)| s.name.as_str());
        let Some(base) = self.target.base_url(spec_name) else {
            outcome.error = Some(StepError::NotRun(format!(
                "no base URL for spec `{}`",
                spec_name.unwrap_or("-")
            )));
            return outcome;
        };
        let credential = match (step.auth, routed) {
            (true, Some((spec, op))) => self
                .target
                .token(&spec.name)
                .and_then(|token| op.security.carried(token)),
            _ => None,
        };
        let op_id = outcome
            .operation
            .clone()
            .unwrap_or_else(|| format!("{} {}", request.method, request.path));
        let sent = http::send(
            client,
            base,
            &request,
            credential.as_ref(),
            self.options.retries,
            self.options.safety,
        )
        .await;
        let exchange = match sent {
            Ok(e) => e,
            Err(Failure::Unreachable(e)) => {
                outcome.error = Some(StepError::Unreachable(e));
                return outcome;
            }
            Err(Failure::BodyTooLarge(message)) => {
                outcome.findings.push(Finding {
                    operation: op_id,
                    rule: Rule::BodyTooLarge,
                    pointer: String::new(),
                    expected: format!(
                        "a response body of at most {} (--max-body)",
                        self.options.safety.max_body
                    ),
                    actual: message,
                    location: Some(step.location.clone()),
                });
                return outcome;
            }
        };
        let expected_5xx = step
            .expect
            .status()
            .is_some_and(|s| s.expects_server_error());
        if let Some((_, op)) = routed {
            let names = exchange.response_header_names();
            let observed = Observed {
                status: exchange.status,
                content_type: exchange.content_type.as_deref(),
                header_names: &names,
                body: exchange.body.as_bytes(),
            };
            outcome.findings.extend(
                check_response(op, observed, expected_5xx)
                    .into_iter()
                    .map(|f| f.located(&step.location)),
            );
        }
        outcome.findings.extend(check_expectations(
            &op_id,
            &step.expect,
            &exchange,
            vars,
            &step.location,
        ));
        self.capture(step, &exchange, vars, &op_id, &mut outcome.findings);
        if step.snapshot.enabled {
            self.snapshot(step, routed, &exchange, &op_id, &mut outcome);
        }
        outcome.exchange = Some(exchange);
        outcome
    }

    fn capture(
        &self,
        step: &Step,
        exchange: &Exchange,
        vars: &mut Vars,
        op_id: &str,
        findings: &mut Vec<Finding>,
    ) {
        let body = exchange.json().unwrap_or(Value::Null);
        for capture in &step.capture {
            match capture.selector.select(&body) {
                Some(value) => {
                    vars.insert(capture.name.clone(), value);
                }
                None => findings.push(Finding {
                    operation: op_id.to_string(),
                    rule: Rule::Capture,
                    pointer: capture.selector.to_string(),
                    expected: format!("a value to capture as `{}`", capture.name),
                    actual: "nothing there".into(),
                    location: Some(capture.location.clone()),
                }),
            }
        }
    }

    fn snapshot(
        &self,
        step: &Step,
        routed: Option<(&Spec, &Operation)>,
        exchange: &Exchange,
        op_id: &str,
        outcome: &mut StepOutcome,
    ) {
        let name = snapshot::name(self.scenario_id, self.index);
        let redactor = self.redactor.with(&outcome.written_secrets);
        let contents = snapshot::render(routed, exchange, &step.snapshot.redact, &redactor);
        match &self.options.snapshots {
            SnapshotMode::Off => {}
            SnapshotMode::Collect => outcome.snapshot = Some((name, contents)),
            SnapshotMode::Files { dir, update, ci } => {
                let expression = format!("{} ({op_id})", outcome.label);
                let source = self.scenario_source();
                let file = SnapshotFile {
                    dir,
                    name: &name,
                    source: &source,
                    expression: &expression,
                    update: *update,
                    ci: *ci,
                };
                if let Some(finding) = file.compare(op_id, &contents) {
                    outcome.findings.push(finding.located(&step.location));
                }
            }
        }
    }

    fn scenario_source(&self) -> String {
        format!("scenarios/{}.yaml", self.scenario_id)
    }
}

/// Renders `text` with `vars`, naming the unset variable on failure.
pub(crate) fn render_str(text: &str, vars: &Vars) -> Result<String, String> {
    render_text(text, vars).map_err(|u| {
        format!(
            "variable `{}` is not set (the step that captures it did not run or found nothing)",
            u.0
        )
    })
}

/// Sends `operation` with `params` (its path and query parameters by name)
/// to `target` with the target's credential, as a step would but unchecked,
/// under `safety`: how a live service is read to mirror it. `Err` says why
/// no answer came.
pub async fn send_operation(
    client: &reqwest::Client,
    catalog: &Catalog,
    target: &Target,
    operation: &str,
    params: serde_json::Map<String, Value>,
    safety: Safety,
) -> Result<Exchange, String> {
    let (spec, op) = catalog
        .operation(operation)
        .ok_or_else(|| format!("unknown operation `{operation}`"))?;
    let base = target
        .base_url(Some(&spec.name))
        .ok_or_else(|| format!("no base URL for spec `{}`", spec.name))?;
    let step = Step {
        name: None,
        operation: Some(operation.to_string()),
        method: None,
        path: None,
        params,
        query: serde_json::Map::new(),
        headers: serde_json::Map::new(),
        auth: true,
        body: None,
        expect: Default::default(),
        capture: Vec::new(),
        snapshot: Default::default(),
        source: None,
        location: crate::scenario::Location {
            file: PathBuf::new(),
            line: 0,
            column: 0,
        },
    };
    let request = http::build(catalog, &step, &Vars::new())?;
    let credential = target
        .token(&spec.name)
        .and_then(|token| op.security.carried(token));
    http::send(client, base, &request, credential.as_ref(), 2, safety)
        .await
        .map_err(|failure| match failure {
            Failure::Unreachable(why) | Failure::BodyTooLarge(why) => why,
        })
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;
    use std::path::Path;

    use serde_json::json;

    use super::*;

    #[test]
    fn values_from_a_vars_file_may_use_run_id_and_the_defaults_before_them() {
        let catalog = Catalog::builtin().expect("built-in specs");
        let text = concat!(
            "name: t\n",
            "variables: {port: 80, alias: \"A{{port}}\", vip: v}\n",
            "steps:\n",
            "  - operation: zstack.getVipUsedPorts\n",
            "    params: {uuid: \"{{vip}}-{{alias}}-{{env}}\", protocol: TCP}\n",
        );
        let scenario = crate::scenario::parse_scenario(
            Path::new("s.yaml"),
            text,
            &catalog,
            &BTreeSet::from(["env".to_string()]),
        )
        .expect("valid");
        let options = RunOptions {
            timeout: Duration::from_secs(1),
            retries: 0,
            vars: [
                ("port".to_string(), json!(8080)),
                ("env".to_string(), json!("staging-{{run_id}}")),
            ]
            .into_iter()
            .collect(),
            run_id: "r1".into(),
            snapshots: SnapshotMode::Off,
            root: PathBuf::new(),
            safety: Default::default(),
        };
        let vars = initial_vars(&scenario, &options);
        assert_eq!(vars["port"], json!(8080));
        assert_eq!(vars["alias"], json!("A8080"));
        assert_eq!(vars["env"], json!("staging-r1"));
    }
}
