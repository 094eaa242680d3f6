//! The `vouch` command line: parses arguments, wires the library's parts
//! together, and maps outcomes to exit codes (0 ok, 1 findings, 2 invalid
//! specs, scenarios or arguments, 3 target unreachable).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use vouch::lint::{LintOptions, lint, lint_loaded};
use vouch::live::MaxBody;
use vouch::mock::{Fixtures, MockState, ServeOptions, serve_until_ctrl_c};
use vouch::report::{
    FidelityHtmlReport, FidelityReportKind, JsonReport, JunitReport, ReportArg, Reporter,
    RunReportKind, Summary, TerminalReport,
};
use vouch::runner::{RunOptions, Safety, SnapshotMode, Verdict};
use vouch::scenario::template::Vars;
use vouch::scenario::{Scenario, load_dir, load_files};
use vouch::spec::builtin::builtin_specs;
use vouch::spec::{Catalog, Checks};
use vouch::suite::{TargetKind, in_shard, new_run_id, run_all};

/// Contract tests and a stateful mock for cloud vendor APIs.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check specs: they parse, refs resolve, examples match their schemas and
    /// routes do not collide; operations are complete and traceable (warnings
    /// unless --strict).
    Lint {
        /// Spec files (default: the five built-in vendor specs).
        specs: Vec<PathBuf>,
        /// Do not require `x-seed` on operations (for specs not written from a vendor document).
        #[arg(long)]
        allow_missing_seed: bool,
        /// Also print a Markdown table of operations and errata per spec.
        #[arg(long)]
        table: bool,
        /// Also lint these scenario files or directories: no exact check on a field the
        /// spec marks `x-free-text` unless the check or its step names its `source:`.
        #[arg(long = "scenarios", value_name = "PATH")]
        scenarios: Vec<PathBuf>,
        /// Count warnings as errors: the completeness rules (examples, error
        /// responses, operationId, x-seed) and what vouch skips (patterns,
        /// colliding routes, security schemes it cannot carry).
        #[arg(long)]
        strict: bool,
    },
    /// Run scenarios against the built-in mock (default) or a live target.
    Run(RunArgs),
    /// Which operations and (operation, status) pairs the scenarios exercise.
    Coverage {
        /// Scenario files or directories (default: scenarios/).
        paths: Vec<PathBuf>,
        /// Spec files (default: the built-in specs).
        #[arg(long = "spec", value_name = "FILE")]
        specs: Vec<PathBuf>,
        /// Exit 1 when fewer operations than this share (0 to 1) are exercised, over all specs.
        #[arg(long, value_name = "SHARE")]
        min_operations: Option<f64>,
        /// Exit 1 when fewer declared (operation, status) pairs than this share are exercised, over all specs.
        #[arg(long, value_name = "SHARE")]
        min_statuses: Option<f64>,
    },
    /// Replay scenarios against the built-in mock and a live target, and score how alike they answer.
    Fidelity(FidelityArgs),
    /// Generate conformance cases from the specs and run them against the built-in mock (default)
    /// or a live target. Against the built-in mock every case runs (each on a mock reset to its fixtures); against
    /// a live target cases that may change state run only with --allow-destructive.
    Conform(ConformArgs),
    /// Record traffic through a proxy to a live service; Ctrl-C writes it as a scenario file.
    Record(RecordArgs),
    /// Fixtures files for the built-in mock.
    #[command(subcommand)]
    Fixtures(FixturesCommand),
    /// List the variables scenarios need (name, role, default, users), or write a vars file for a target.
    Vars {
        /// Scenario files or directories (default: scenarios/).
        paths: Vec<PathBuf>,
        /// Spec files (default: the built-in specs).
        #[arg(long = "spec", value_name = "FILE")]
        specs: Vec<PathBuf>,
        /// Write a vars file (each variable, its role as a comment, its default) instead of the table.
        #[arg(long, value_name = "FILE")]
        template: Option<PathBuf>,
        /// Overwrite the --template file if it exists.
        #[arg(long, requires = "template")]
        force: bool,
    },
    /// Serve the stateful mock of every loaded spec until Ctrl-C.
    Mock {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: std::net::SocketAddr,
        /// Spec files to serve (default: the five built-in vendor specs).
        #[arg(long = "spec", value_name = "FILE")]
        specs: Vec<PathBuf>,
        /// Fixture file replacing the built-in fixtures.
        #[arg(long, value_name = "FILE")]
        fixtures: Option<PathBuf>,
        /// Seconds a client may take to send a request head; an idle keep-alive connection closes after it too.
        #[arg(long, value_name = "SECS", default_value_t = 30.0, value_parser = parse_seconds)]
        head_timeout: f64,
        /// Seconds requests in flight may take to be answered after Ctrl-C or SIGTERM.
        #[arg(long, value_name = "SECS", default_value_t = 10.0, value_parser = parse_seconds)]
        shutdown_grace: f64,
    },
}

#[derive(Subcommand)]
enum FixturesCommand {
    /// Read a live target's resources that the variables name and write them as a fixtures file.
    Pull(PullArgs),
}

/// A live target in place of the built-in mock (`run`, `conform`).
#[derive(clap::Args)]
struct MaybeLiveArgs {
    /// A live target: `URL` for every spec, or `SPEC=URL` (repeatable); default: the built-in
    /// mock. Tokens come from VOUCH_TOKEN and VOUCH_TOKEN_<SPEC>, never from arguments.
    #[arg(
        long = "base-url",
        value_name = "URL",
        env = "VOUCH_BASE_URL",
        value_delimiter = ','
    )]
    base_urls: Vec<String>,
}

/// A live target that a command cannot do without (`fixtures pull`, `fidelity`).
#[derive(clap::Args)]
struct LiveTargetArgs {
    /// The live target: `URL` for every spec, or `SPEC=URL` (repeatable). Tokens come from
    /// VOUCH_TOKEN and VOUCH_TOKEN_<SPEC>, never from arguments.
    #[arg(
        long = "base-url",
        value_name = "URL",
        env = "VOUCH_BASE_URL",
        value_delimiter = ',',
        required = true
    )]
    base_urls: Vec<String>,
}

#[derive(clap::Args)]
struct PullArgs {
    #[command(flatten)]
    target: LiveTargetArgs,
    /// Spec files (default: the built-in specs).
    #[arg(long = "spec", value_name = "FILE")]
    specs: Vec<PathBuf>,
    /// Set a variable (repeatable); overrides `--vars`.
    #[arg(long = "var", value_name = "K=V")]
    vars: Vec<String>,
    /// A YAML file of variables naming the resources to mirror.
    #[arg(long = "vars", value_name = "FILE")]
    vars_file: Option<PathBuf>,
    /// The fixtures file to write.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = 30.0)]
    timeout: f64,
    #[command(flatten)]
    safety: SafetyArgs,
}

/// Exit code for findings.
const EXIT_FINDINGS: u8 = 1;
/// Exit code for invalid specs, scenarios or arguments.
const EXIT_INVALID: u8 = 2;
/// Exit code for an unreachable target.
const EXIT_UNREACHABLE: u8 = 3;

/// What `vouch run` and `vouch fidelity` share: which scenarios, with what
/// specs, variables and fixtures, under which safety rule and timeout.
#[derive(clap::Args)]
struct InputArgs {
    /// Scenario files or directories (default: scenarios/).
    paths: Vec<PathBuf>,
    /// Spec files (default: the built-in specs).
    #[arg(long = "spec", value_name = "FILE")]
    specs: Vec<PathBuf>,
    /// Set a variable (repeatable); overrides the scenario's default.
    #[arg(long = "var", value_name = "K=V")]
    vars: Vec<String>,
    /// A YAML file of variables.
    #[arg(long = "vars", value_name = "FILE")]
    vars_file: Option<PathBuf>,
    /// Fixture file for the built-in mock (for `fidelity`: instead of mirroring the live target).
    #[arg(long, value_name = "FILE")]
    fixtures: Option<PathBuf>,
    /// Run scenarios tagged `destructive` against a live target.
    #[arg(long)]
    allow_destructive: bool,
    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = 30.0)]
    timeout: f64,
    #[command(flatten)]
    safety: SafetyArgs,
}

impl InputArgs {
    /// `--follow-redirects` and `--max-body`.
    fn safety(&self) -> Safety {
        self.safety.safety()
    }
}

/// What protects vouch from a live target: the same flags for `run`,
/// `fidelity` and `fixtures pull`.
#[derive(clap::Args)]
struct SafetyArgs {
    /// Follow redirects (at most 10). The credential and any header that may carry one go
    /// only to the target's own origin, never to another.
    #[arg(long)]
    follow_redirects: bool,
    /// The largest response body read (`16MiB`, `512KiB`, bytes); a longer one is a finding.
    #[arg(long, value_name = "SIZE", default_value = "16MiB")]
    max_body: MaxBody,
}

impl SafetyArgs {
    /// `--follow-redirects` and `--max-body`.
    fn safety(&self) -> Safety {
        Safety {
            follow_redirects: self.follow_redirects,
            max_body: self.max_body,
        }
    }
}

#[derive(clap::Args)]
struct RunArgs {
    #[command(flatten)]
    inputs: InputArgs,
    #[command(flatten)]
    live: MaybeLiveArgs,
    /// Scenarios run at once (default: the number of cores against the mock, 1 against a live target).
    #[arg(long)]
    jobs: Option<usize>,
    /// Run only shard K of N (`2/4`), a stable subset.
    #[arg(long, value_name = "K/N", value_parser = parse_shard)]
    shard: Option<(u32, u32)>,
    /// Write snapshots that differ or are missing (never in CI).
    #[arg(long)]
    update_snapshots: bool,
    /// Where snapshots live.
    #[arg(long, default_value = "snapshots")]
    snapshots: PathBuf,
    /// Compare snapshots against a live target too (off by default: live data differs).
    #[arg(long)]
    live_snapshots: bool,
    /// `junit=PATH` or `json=PATH` (repeatable).
    #[arg(long = "report", value_name = "KIND=PATH")]
    reports: Vec<ReportArg<RunReportKind>>,
}

fn parse_shard(text: &str) -> Result<(u32, u32), String> {
    let (k, n) = text.split_once('/').ok_or("expected K/N, e.g. 1/4")?;
    let (k, n): (u32, u32) = (
        k.parse().map_err(|_| "K is not a number")?,
        n.parse().map_err(|_| "N is not a number")?,
    );
    if n == 0 || k == 0 || k > n {
        return Err(format!("shard {k}/{n}: need 1 <= K <= N"));
    }
    Ok((k, n))
}

fn parse_seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(secs) if secs > 0.0 && secs.is_finite() => Ok(secs),
        _ => Err(format!("`{text}` is not a positive number of seconds")),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The mock logs a line per request: wanted from `vouch mock`, noise under `vouch run`.
    let default_level = if matches!(cli.command, Command::Mock { .. }) {
        "info"
    } else {
        "warn"
    };
    let _log = vouch::logging::init(default_level);
    match cli.command {
        Command::Mock {
            addr,
            specs,
            fixtures,
            head_timeout,
            shutdown_grace,
        } => {
            let options = ServeOptions {
                head_timeout: std::time::Duration::from_secs_f64(head_timeout),
                grace: std::time::Duration::from_secs_f64(shutdown_grace),
            };
            run_mock(addr, specs, fixtures, options)
        }
        Command::Run(args) => run_scenarios(args),
        Command::Fidelity(args) => run_fidelity(args),
        Command::Conform(args) => run_conform(args),
        Command::Record(args) => run_record(args),
        Command::Fixtures(FixturesCommand::Pull(args)) => run_pull(args),
        Command::Coverage {
            paths,
            specs,
            min_operations,
            min_statuses,
        } => run_coverage(paths, specs, min_operations, min_statuses),
        Command::Lint {
            specs,
            allow_missing_seed,
            table,
            scenarios,
            strict,
        } => run_lint(specs, allow_missing_seed, table, scenarios, strict),
        Command::Vars {
            paths,
            specs,
            template,
            force,
        } => run_vars(&paths, &specs, template.as_deref(), force),
    }
}

fn run_lint(
    specs: Vec<PathBuf>,
    allow_missing_seed: bool,
    table: bool,
    scenarios: Vec<PathBuf>,
    strict: bool,
) -> ExitCode {
    let options = LintOptions {
        require_seed: !allow_missing_seed,
        strict,
    };
    let mut report = if specs.is_empty() {
        lint_loaded(builtin_specs(Checks::All), options)
    } else {
        lint(&specs, options)
    };
    if !scenarios.is_empty() {
        let catalog = match load_catalog(&specs) {
            Ok(c) => c,
            Err(e) => return invalid(e),
        };
        let loaded = match load_scenarios(&scenarios, &catalog, &Default::default()) {
            Ok(loaded) => loaded,
            Err(e) => return invalid(e),
        };
        report
            .problems
            .extend(vouch::lint::lint_scenarios(&catalog, &loaded));
    }
    for problem in &report.problems {
        println!("{problem}");
    }
    for warning in &report.warnings {
        println!("warning: {warning}");
    }
    for webhook in &report.webhooks {
        println!("webhook (listed, not served): {webhook}");
    }
    if table {
        print!("{}", vouch::lint::summary_table(&report.summaries));
    }
    println!(
        "{} spec(s), {} operation(s): {}",
        report.specs,
        report.operations,
        match (report.problems.len(), report.warnings.len()) {
            (0, 0) => "no problems".to_string(),
            (n, 0) => format!("{n} problem(s)"),
            (n, w) => format!("{n} problem(s), {w} warning(s)"),
        }
    );
    if report.problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_INVALID)
    }
}

/// Loads the catalog named on the command line, or the built-in one.
fn load_catalog(specs: &[PathBuf]) -> Result<Catalog, String> {
    let loaded = if specs.is_empty() {
        Catalog::builtin()
    } else {
        Catalog::load(specs)
    };
    loaded.map_err(|problems| {
        let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
        format!(
            "invalid specs ({} problem(s)):\n{}",
            lines.len(),
            lines.join("\n")
        )
    })
}

fn run_mock(
    addr: std::net::SocketAddr,
    specs: Vec<PathBuf>,
    fixtures: Option<PathBuf>,
    options: ServeOptions,
) -> ExitCode {
    let setup =
        load_catalog(&specs).and_then(|catalog| Ok((catalog, load_fixtures(fixtures.as_ref())?)));
    let (catalog, fixtures) = match setup {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_INVALID);
        }
    };
    for warning in catalog.warnings() {
        eprintln!("warning: {warning}");
    }
    for spec in catalog.specs() {
        for webhook in &spec.webhooks {
            eprintln!(
                "{}: webhook (listed, not served): {webhook}",
                spec.path.display()
            );
        }
    }
    let state = MockState::new(
        std::sync::Arc::new(catalog),
        fixtures,
        MockState::token_from_env(),
    );
    // On one core, one thread serves best: no hand-offs between threads.
    let mut builder = match std::thread::available_parallelism().map_or(1, |n| n.get()) {
        1 => tokio::runtime::Builder::new_current_thread(),
        _ => tokio::runtime::Builder::new_multi_thread(),
    };
    let runtime = match builder.enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve_until_ctrl_c(state, addr, options)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: cannot serve on {addr}: {e}");
            ExitCode::from(EXIT_INVALID)
        }
    }
}

/// Prints `message` as an error and returns the "invalid" exit code.
fn invalid(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("error: {message}");
    ExitCode::from(EXIT_INVALID)
}

/// Scenario files from files and directories (default: scenarios/).
fn load_scenarios(
    paths: &[PathBuf],
    catalog: &Catalog,
    cli_vars: &std::collections::BTreeSet<String>,
) -> Result<Vec<Scenario>, String> {
    let paths = if paths.is_empty() {
        vec![PathBuf::from("scenarios")]
    } else {
        paths.to_vec()
    };
    let mut scenarios = Vec::new();
    let mut errors = Vec::new();
    for path in &paths {
        let loaded = if path.is_dir() {
            load_dir(path, catalog, cli_vars)
        } else {
            load_files(std::slice::from_ref(path), catalog, cli_vars)
        };
        match loaded {
            Ok(s) => scenarios.extend(s),
            Err(e) => errors.extend(e),
        }
    }
    if errors.is_empty() {
        Ok(scenarios)
    } else {
        Err(errors
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n\n"))
    }
}

/// The folder scenario ids (and snapshot names) are relative to: the
/// nearest folder named `scenarios` above the first path (so
/// `scenarios/rainbond` keeps the vendor in the id), else a single folder
/// given, else the first file's folder.
fn scenarios_root(paths: &[PathBuf]) -> PathBuf {
    let default = PathBuf::from("scenarios");
    let Some(first) = paths.first() else {
        return default;
    };
    let named = first
        .ancestors()
        .find(|a| a.file_name().is_some_and(|n| n == "scenarios"));
    match (named, paths) {
        (Some(dir), _) => dir.to_path_buf(),
        (None, [dir]) if dir.is_dir() => dir.clone(),
        (None, _) => first.parent().map(PathBuf::from).unwrap_or(default),
    }
}

/// Variables from `--vars FILE` then `--var K=V` (the latter win). Values are YAML scalars.
fn cli_vars(pairs: &[String], file: Option<&PathBuf>) -> Result<Vars, String> {
    let mut vars = Vars::new();
    if let Some(file) = file {
        let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
        let doc = vouch::spec::Document::parse(&text)
            .map_err(|e| format!("{}:{}: {}", file.display(), e.line.unwrap_or(0), e.message))?;
        let serde_json::Value::Object(map) = doc.value else {
            return Err(format!(
                "{}: expected a mapping of variable names to values",
                file.display()
            ));
        };
        vars.extend(map);
    }
    for pair in pairs {
        let (k, v) = pair
            .split_once('=')
            .ok_or_else(|| format!("--var `{pair}`: expected K=V"))?;
        let value = vouch::spec::Document::parse(v)
            .map(|d| d.value)
            .ok()
            .filter(|v| !v.is_object() && !v.is_array())
            .unwrap_or_else(|| serde_json::Value::String(v.to_string()));
        vars.insert(k.to_string(), value);
    }
    Ok(vars)
}

/// The fixtures named on the command line, or the built-in ones.
fn load_fixtures(path: Option<&PathBuf>) -> Result<Fixtures, String> {
    match path {
        Some(path) => Fixtures::load(path),
        None => Fixtures::builtin(),
    }
}

/// The built-in mock as a target: reset to these fixtures for each scenario.
fn mock_target(fixtures: Option<&PathBuf>) -> Result<TargetKind, String> {
    Ok(TargetKind::Mock {
        fixtures: load_fixtures(fixtures)?,
        token: MockState::token_from_env(),
    })
}

/// `--spec` given, no scenario path, and no `scenarios/` folder to default
/// to: what to do instead of "cannot read scenarios".
fn no_scenarios_hint(inputs: &InputArgs) -> Option<String> {
    if inputs.specs.is_empty() || !inputs.paths.is_empty() || Path::new("scenarios").is_dir() {
        return None;
    }
    let spec = inputs.specs[0].display();
    Some(format!(
        "no scenario to run: name scenario files or folders after the options, \
         e.g. `vouch run --spec {spec} my-scenario.yaml` (the format is in \
         scenarios/README.md of vouch's repository; each step names an operationId \
         of {spec}). Without a scenario `vouch mock --spec {spec}` serves the spec's \
         mock to try by hand, and `vouch lint --allow-missing-seed {spec}` checks it."
    ))
}

/// Scenarios naming operations the loaded specs lack: when no `--spec`
/// was given, they likely come from the user's own spec.
fn unknown_operation_hint(inputs: &InputArgs, errors: &str) -> Option<&'static str> {
    if !errors.contains("unknown operation `") {
        return None;
    }
    Some(if inputs.specs.is_empty() {
        "hint: these operations are not in the five built-in specs. If they come from \
         your own OpenAPI document, pass it: `vouch run --spec my-api.yaml SCENARIOS`"
    } else {
        "hint: these operations are not in the specs given with --spec (operationIds, \
         or `METHOD /path` where a spec gives none); without scenario paths, \
         `scenarios/` is run"
    })
}

/// What `run` and `fidelity` both read before anything is sent: the
/// catalog, the command-line variables and the checked scenarios.
fn load_inputs(
    inputs: &InputArgs,
) -> Result<(std::sync::Arc<Catalog>, Vars, Vec<Scenario>), ExitCode> {
    let catalog = load_catalog(&inputs.specs).map_err(invalid)?;
    if let Some(hint) = no_scenarios_hint(inputs) {
        return Err(invalid(hint));
    }
    let vars = cli_vars(&inputs.vars, inputs.vars_file.as_ref()).map_err(invalid)?;
    let names = vars.keys().cloned().collect();
    let scenarios = load_scenarios(&inputs.paths, &catalog, &names).map_err(|e| {
        eprintln!("{e}");
        if let Some(hint) = unknown_operation_hint(inputs, &e) {
            eprintln!("\n{hint}");
        }
        ExitCode::from(EXIT_INVALID)
    })?;
    let unset: Vec<String> = scenarios
        .iter()
        .flat_map(|s| vouch::scenario::check_values(s, &names))
        .map(|e| e.to_string())
        .collect();
    if !unset.is_empty() {
        eprintln!("{}", unset.join("\n\n"));
        return Err(ExitCode::from(EXIT_INVALID));
    }
    Ok((std::sync::Arc::new(catalog), vars, scenarios))
}

fn run_scenarios(args: RunArgs) -> ExitCode {
    let (catalog, vars, scenarios) = match load_inputs(&args.inputs) {
        Ok(inputs) => inputs,
        Err(code) => return code,
    };
    let root = scenarios_root(&args.inputs.paths);
    let scenarios: Vec<Scenario> = scenarios
        .into_iter()
        .filter(|s| in_shard(&s.id(&root), args.shard))
        .collect();
    let live = !args.live.base_urls.is_empty();
    let kind = if live {
        match TargetKind::live(
            &catalog,
            &args.live.base_urls,
            args.inputs.allow_destructive,
        ) {
            Ok(k) => k,
            Err(e) => return invalid(e),
        }
    } else {
        match mock_target(args.inputs.fixtures.as_ref()) {
            Ok(kind) => kind,
            Err(e) => return invalid(e),
        }
    };
    let mut reporters: Vec<Box<dyn Reporter>> =
        vec![Box::new(TerminalReport::new(scenarios.len()))];
    for report in &args.reports {
        let path = report.path.clone();
        reporters.push(match report.kind {
            RunReportKind::Junit => Box::new(JunitReport { path }),
            RunReportKind::Json => Box::new(JsonReport { path }),
        });
    }
    let ci = std::env::var_os("CI").is_some_and(|v| !v.is_empty() && v != "false" && v != "0");
    let snapshots = if live && !args.live_snapshots {
        SnapshotMode::Off
    } else {
        SnapshotMode::Files {
            dir: args.snapshots.clone(),
            update: args.update_snapshots,
            ci,
        }
    };
    let options = RunOptions {
        timeout: std::time::Duration::from_secs_f64(args.inputs.timeout.max(0.001)),
        retries: 2,
        vars,
        run_id: new_run_id(),
        snapshots,
        root,
        safety: args.inputs.safety(),
    };
    // A live target is shared state: scenarios running at once would see each other's changes.
    let jobs = args.jobs.unwrap_or_else(|| {
        if live {
            1
        } else {
            std::thread::available_parallelism().map_or(2, |n| n.get())
        }
    });
    let runtime = match vouch::runtime::multi_thread() {
        Ok(r) => r,
        Err(e) => return invalid(format!("cannot start the async runtime: {e}")),
    };
    let outcomes = runtime.block_on(run_all(catalog, scenarios, kind, options, jobs, |o| {
        for r in reporters.iter_mut() {
            r.scenario_done(o);
        }
    }));
    let summary = Summary::of(&outcomes);
    for r in reporters.iter_mut() {
        if let Err(e) = r.finish(&outcomes, &summary) {
            eprintln!("error: writing a report: {e}");
            return ExitCode::from(EXIT_INVALID);
        }
    }
    if outcomes.iter().any(|o| o.verdict == Verdict::Unreachable) {
        ExitCode::from(EXIT_UNREACHABLE)
    } else if summary.failed > 0 {
        ExitCode::from(EXIT_FINDINGS)
    } else {
        ExitCode::SUCCESS
    }
}

fn run_coverage(
    paths: Vec<PathBuf>,
    specs: Vec<PathBuf>,
    min_operations: Option<f64>,
    min_statuses: Option<f64>,
) -> ExitCode {
    let catalog = match load_catalog(&specs) {
        Ok(c) => c,
        Err(e) => return invalid(e),
    };
    let scenarios = match load_scenarios(&paths, &catalog, &Default::default()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(EXIT_INVALID);
        }
    };
    let report = vouch::coverage::measure(&catalog, &scenarios);
    print!("{report}");
    let below = |min: Option<f64>, share: f64| min.is_some_and(|min| share + 1e-9 < min);
    if below(min_operations, report.operation_share()) || below(min_statuses, report.status_share())
    {
        eprintln!("coverage is under the threshold");
        return ExitCode::from(EXIT_FINDINGS);
    }
    ExitCode::SUCCESS
}

fn run_vars(
    paths: &[PathBuf],
    specs: &[PathBuf],
    template: Option<&std::path::Path>,
    force: bool,
) -> ExitCode {
    let catalog = match load_catalog(specs) {
        Ok(c) => c,
        Err(e) => return invalid(e),
    };
    let scenarios = match load_scenarios(paths, &catalog, &Default::default()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(EXIT_INVALID);
        }
    };
    let needs = vouch::vars::needs(&scenarios, &scenarios_root(paths));
    let Some(path) = template else {
        print!("{}", vouch::vars::table(&needs));
        return ExitCode::SUCCESS;
    };
    let written = vouch::vars::template(&needs)
        .and_then(|text| vouch::vars::write_template(path, &text, force));
    match written {
        Ok(()) => {
            println!("wrote {} variable(s) to {}", needs.len(), path.display());
            ExitCode::SUCCESS
        }
        Err(e) => invalid(e),
    }
}

#[derive(clap::Args)]
struct ConformArgs {
    /// Spec files (default: the built-in specs).
    #[arg(long = "spec", value_name = "FILE")]
    specs: Vec<PathBuf>,
    #[command(flatten)]
    live: MaybeLiveArgs,
    /// A YAML file of parameter values by parameter name (existing resources' ids); the
    /// spec's examples fill the rest.
    #[arg(long = "vars", value_name = "FILE")]
    vars_file: Option<PathBuf>,
    /// The same seed gives the same cases.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// At most this many cases per operation.
    #[arg(long, default_value_t = 50)]
    max_cases: usize,
    /// Against a live target, also run cases that may change state (anything but GET, HEAD,
    /// OPTIONS). Against the built-in mock they always run.
    #[arg(long)]
    allow_destructive: bool,
    /// Shrink each failed case and write it here as a scenario file `vouch run` reproduces.
    #[arg(long, value_name = "DIR")]
    save_failures: Option<PathBuf>,
    /// `junit=PATH`, `json=PATH` or `html=PATH` (repeatable).
    #[arg(long = "report", value_name = "KIND=PATH")]
    reports: Vec<ReportArg<vouch::conform::ConformReportKind>>,
    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = 30.0)]
    timeout: f64,
    /// Follow redirects (at most 10), the credential only to the target's own origin.
    #[arg(long)]
    follow_redirects: bool,
    /// The largest response body read (`16MiB`, `512KiB`, bytes); a longer one is a finding.
    #[arg(long, value_name = "SIZE", default_value = "16MiB")]
    max_body: MaxBody,
}

#[derive(clap::Args)]
struct FidelityArgs {
    #[command(flatten)]
    inputs: InputArgs,
    #[command(flatten)]
    target: LiveTargetArgs,
    /// `json=PATH` or `html=PATH` (repeatable).
    #[arg(long = "report", value_name = "KIND=PATH")]
    reports: Vec<ReportArg<FidelityReportKind>>,
    /// Exit 1 when the overall score (0 to 1) is under this.
    #[arg(long, default_value_t = 1.0)]
    min_fidelity: f64,
    /// Report a step whose live answer is slower than the mock's by more than this (not scored).
    #[arg(long, default_value_t = 200.0)]
    latency_threshold_ms: f64,
    /// Score differences on fields the spec marks `x-free-text` (reported, unscored by default).
    #[arg(long)]
    score_text: bool,
}

#[derive(clap::Args)]
struct RecordArgs {
    /// The live service to forward to: `http(s)://host[:port][/prefix]`.
    #[arg(long, value_name = "URL")]
    upstream: String,
    /// Address the proxy listens on.
    #[arg(long, default_value = "127.0.0.1:8081")]
    listen: std::net::SocketAddr,
    /// The scenario file to write.
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
    /// Spec files that name the operations (default: the built-in specs).
    #[arg(long = "spec", value_name = "FILE")]
    specs: Vec<PathBuf>,
    /// Per-request timeout in seconds.
    #[arg(long, default_value_t = 30.0)]
    timeout: f64,
    /// The largest request or response body passed through (`16MiB`, `512KiB`, bytes).
    #[arg(long, value_name = "SIZE", default_value = "16MiB")]
    max_body: MaxBody,
}

/// The `--report` files of `vouch fidelity`.
fn write_fidelity_reports(
    reports: &[ReportArg<FidelityReportKind>],
    report: &vouch::fidelity::FidelityReport,
) -> Result<(), String> {
    for target in reports {
        let written = match target.kind {
            FidelityReportKind::Json => vouch::atomic_file::write(
                &target.path,
                &serde_json::to_string_pretty(report).unwrap_or_default(),
            ),
            FidelityReportKind::Html => FidelityHtmlReport {
                path: target.path.clone(),
            }
            .write(report),
        };
        written.map_err(|e| format!("writing {}: {e}", target.path.display()))?;
    }
    Ok(())
}

/// Checks the thresholds, which need no file.
fn check_fidelity_args(args: &FidelityArgs) -> Result<(), String> {
    if !(0.0..=1.0).contains(&args.min_fidelity) {
        return Err("--min-fidelity must be between 0 and 1".into());
    }
    if args.latency_threshold_ms.is_nan() || args.latency_threshold_ms < 0.0 {
        return Err("--latency-threshold-ms must be a number of milliseconds, 0 or more".into());
    }
    Ok(())
}

/// The built-in mock and the live target of `vouch fidelity`: the mock
/// starts from `--fixtures`, else from the live target mirrored for the
/// resources the variables name (the built-in fixtures for the rest).
fn fidelity_targets(
    args: &FidelityArgs,
    catalog: &Catalog,
    vars: &Vars,
    runtime: &tokio::runtime::Runtime,
) -> Result<(TargetKind, TargetKind), ExitCode> {
    let live = TargetKind::live(
        catalog,
        &args.target.base_urls,
        args.inputs.allow_destructive,
    )
    .map_err(invalid)?;
    if args.inputs.fixtures.is_some() {
        return Ok((
            mock_target(args.inputs.fixtures.as_ref()).map_err(invalid)?,
            live,
        ));
    }
    let TargetKind::Live { target, .. } = &live else {
        return Err(invalid("the live target is not live"));
    };
    let timeout = std::time::Duration::from_secs_f64(args.inputs.timeout.max(0.001));
    let mirrored = runtime
        .block_on(vouch::mirror::mirror(
            catalog,
            target,
            vars,
            timeout,
            args.inputs.safety(),
        ))
        .and_then(|m| {
            say_mirrored(&m);
            m.fixtures(&Fixtures::builtin().map_err(vouch::mirror::MirrorError::Unreadable)?)
        })
        .map_err(mirror_failed)?;
    let mock = TargetKind::Mock {
        fixtures: mirrored,
        token: MockState::token_from_env(),
    };
    Ok((mock, live))
}

/// Which vendors were mirrored and which not, on stderr.
fn say_mirrored(mirror: &vouch::mirror::Mirror) {
    if !mirror.sections.is_empty() {
        let names: Vec<&str> = mirror.sections.keys().map(String::as_str).collect();
        eprintln!(
            "mirrored from the live target: {} ({} read(s))",
            names.join(", "),
            mirror.reads
        );
    }
    if !mirror.unnamed.is_empty() {
        eprintln!(
            "not mirrored, no variable names their resources: {}",
            mirror.unnamed.join(", ")
        );
    }
}

/// A mirror that failed: 3 when the live target did not answer, else 2.
fn mirror_failed(error: vouch::mirror::MirrorError) -> ExitCode {
    eprintln!("error: {error}");
    ExitCode::from(if error.unreachable() {
        EXIT_UNREACHABLE
    } else {
        EXIT_INVALID
    })
}

fn run_pull(args: PullArgs) -> ExitCode {
    let inputs = load_catalog(&args.specs).and_then(|catalog| {
        let vars = cli_vars(&args.vars, args.vars_file.as_ref())?;
        let live = TargetKind::live(&catalog, &args.target.base_urls, false)?;
        Ok((catalog, vars, live))
    });
    let (catalog, vars, TargetKind::Live { target, .. }) = (match inputs {
        Ok(inputs) => inputs,
        Err(e) => return invalid(e),
    }) else {
        return invalid("the live target is not live");
    };
    let runtime = match vouch::runtime::multi_thread() {
        Ok(r) => r,
        Err(e) => return invalid(format!("cannot start the async runtime: {e}")),
    };
    let timeout = std::time::Duration::from_secs_f64(args.timeout.max(0.001));
    let mirrored = vouch::mirror::mirror(&catalog, &target, &vars, timeout, args.safety.safety());
    let mirror = match runtime.block_on(mirrored) {
        Ok(m) => m,
        Err(e) => return mirror_failed(e),
    };
    say_mirrored(&mirror);
    if mirror.sections.is_empty() {
        return invalid(
            "the variables name no resource to mirror (see `vouch fixtures pull` in the README)",
        );
    }
    let text = match mirror.file_text(&target.secrets()) {
        Ok(text) => text,
        Err(e) => return mirror_failed(e),
    };
    if let Err(e) = vouch::atomic_file::write(&args.out, &text) {
        return invalid(format!("writing {}: {e}", args.out.display()));
    }
    println!("wrote {}", args.out.display());
    ExitCode::SUCCESS
}

fn run_fidelity(args: FidelityArgs) -> ExitCode {
    if let Err(e) = check_fidelity_args(&args) {
        return invalid(e);
    }
    let (catalog, vars, scenarios) = match load_inputs(&args.inputs) {
        Ok(inputs) => inputs,
        Err(code) => return code,
    };
    let runtime = match vouch::runtime::multi_thread() {
        Ok(r) => r,
        Err(e) => return invalid(format!("cannot start the async runtime: {e}")),
    };
    let (mock, live) = match fidelity_targets(&args, &catalog, &vars, &runtime) {
        Ok(targets) => targets,
        Err(code) => return code,
    };
    let options = vouch::fidelity::FidelityOptions {
        run: RunOptions {
            timeout: std::time::Duration::from_secs_f64(args.inputs.timeout.max(0.001)),
            retries: 2,
            vars,
            run_id: new_run_id(),
            snapshots: SnapshotMode::Off,
            root: scenarios_root(&args.inputs.paths),
            safety: args.inputs.safety(),
        },
        latency_threshold_ms: args.latency_threshold_ms,
        score_text: args.score_text,
    };
    let report = runtime.block_on(vouch::fidelity::compare(
        &catalog, &scenarios, &mock, &live, &options,
    ));
    print!("{}{}", report.details(), report.table());
    if let Err(e) = write_fidelity_reports(&args.reports, &report) {
        return invalid(e);
    }
    fidelity_exit(&report, args.min_fidelity)
}

/// 3 when the live target was unreachable, 1 under the minimum score, else 0.
fn fidelity_exit(report: &vouch::fidelity::FidelityReport, min_fidelity: f64) -> ExitCode {
    if report.unreachable() {
        ExitCode::from(EXIT_UNREACHABLE)
    } else if report.score.is_some_and(|s| s + 1e-9 < min_fidelity) {
        eprintln!(
            "fidelity {} is under --min-fidelity {min_fidelity}",
            vouch::fidelity::percent(report.score)
        );
        ExitCode::from(EXIT_FINDINGS)
    } else {
        ExitCode::SUCCESS
    }
}

fn run_record(args: RecordArgs) -> ExitCode {
    if !(args.upstream.starts_with("http://") || args.upstream.starts_with("https://")) {
        return invalid(format!(
            "--upstream `{}` must start with http:// or https://",
            args.upstream
        ));
    }
    let catalog = match load_catalog(&args.specs) {
        Ok(c) => c,
        Err(e) => return invalid(e),
    };
    let options = vouch::record::RecordOptions {
        upstream: args.upstream,
        listen: args.listen,
        out: args.out,
        timeout: std::time::Duration::from_secs_f64(args.timeout.max(0.001)),
        max_body: args.max_body,
    };
    let runtime = match vouch::runtime::multi_thread() {
        Ok(r) => r,
        Err(e) => return invalid(format!("cannot start the async runtime: {e}")),
    };
    match runtime.block_on(vouch::record::record_until_ctrl_c(&catalog, &options)) {
        Ok(recording) => {
            println!(
                "wrote {} step(s) to {} ({} matching no operation)",
                recording.steps,
                options.out.display(),
                recording.unmatched
            );
            ExitCode::SUCCESS
        }
        Err(e) => invalid(e),
    }
}

fn run_conform(args: ConformArgs) -> ExitCode {
    use vouch::conform::{ConformOptions, ConformReport, ConformReportKind};
    let loaded = load_catalog(&args.specs).and_then(|catalog| {
        let (kind, mut vars) = if args.live.base_urls.is_empty() {
            (mock_target(None)?, vouch::conform::mock_vars())
        } else {
            let live = TargetKind::live(&catalog, &args.live.base_urls, args.allow_destructive)?;
            (live, Vars::new())
        };
        vars.extend(cli_vars(&[], args.vars_file.as_ref())?);
        Ok((std::sync::Arc::new(catalog), vars, kind))
    });
    let (catalog, vars, kind) = match loaded {
        Ok(loaded) => loaded,
        Err(e) => return invalid(e),
    };
    let options = ConformOptions {
        seed: args.seed,
        max_cases: args.max_cases.max(1),
        vars,
    };
    let planned = match vouch::conform::plan(&catalog, &options) {
        Ok(p) => p,
        Err(e) => return invalid(e),
    };
    let run = RunOptions {
        timeout: std::time::Duration::from_secs_f64(args.timeout.max(0.001)),
        retries: 2,
        vars: Vars::new(),
        run_id: new_run_id(),
        snapshots: SnapshotMode::Off,
        root: PathBuf::from("conform"),
        safety: Safety {
            follow_redirects: args.follow_redirects,
            max_body: args.max_body,
        },
    };
    let jobs = std::thread::available_parallelism().map_or(2, |n| n.get() * 2);
    let runtime = match vouch::runtime::multi_thread() {
        Ok(r) => r,
        Err(e) => return invalid(format!("cannot start the async runtime: {e}")),
    };
    let suite = std::sync::Arc::new(vouch::suite::Suite::new(catalog.clone(), kind, run));
    let outcomes = runtime.block_on(vouch::conform::run(&suite, &planned, jobs));
    if outcomes.iter().any(|o| o.verdict == Verdict::Unreachable) {
        eprintln!("error: the target did not answer");
        return ExitCode::from(EXIT_UNREACHABLE);
    }
    let failures: Vec<_> = planned
        .iter()
        .zip(&outcomes)
        .map(|(p, o)| (p, o, vouch::conform::failures(&catalog, p, o)))
        .collect();
    let mut report = ConformReport::new(args.seed, &failures);
    if let Some(dir) = &args.save_failures {
        let failed: Vec<_> = failures
            .iter()
            .filter(|(_, _, f)| !f.is_empty())
            .map(|(p, o, _)| ((*p).clone(), (*o).clone()))
            .collect();
        let saved = runtime.block_on(vouch::conform::save_failures(&suite, &failed, dir));
        match saved {
            Ok(paths) => report.saved = paths,
            Err(e) => return invalid(e),
        }
    }
    print!("{}", report.terminal());
    for target in &args.reports {
        let written = match target.kind {
            ConformReportKind::Json => {
                vouch::atomic_file::write(&target.path, &report.json(&outcomes))
            }
            ConformReportKind::Html => vouch::atomic_file::write(&target.path, &report.html()),
            ConformReportKind::Junit => JunitReport {
                path: target.path.clone(),
            }
            .finish(&outcomes, &Summary::of(&outcomes)),
        };
        if let Err(e) = written {
            return invalid(format!("writing {}: {e}", target.path.display()));
        }
    }
    if report.passed() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_FINDINGS)
    }
}
