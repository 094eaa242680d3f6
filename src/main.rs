//! The `vouch` command line: parses arguments, wires the library's parts
//! together, and maps outcomes to exit codes (0 ok, 1 findings, 2 invalid
//! specs, scenarios or arguments, 3 target unreachable).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use vouch::lint::{LintOptions, lint, lint_loaded};
use vouch::mock::{Fixtures, MockState, serve_until_ctrl_c};
use vouch::spec::Catalog;
use vouch::spec::builtin::builtin_specs;

/// Contract tests and a stateful mock for cloud vendor APIs.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Check specs: they parse, refs resolve, examples match their schemas,
    /// operations are traceable and routes do not collide.
    Lint {
        /// Spec files (default: the five built-in vendor specs).
        specs: Vec<PathBuf>,
        /// Do not require `x-seed` on operations (for specs not written from a vendor document).
        #[arg(long)]
        allow_missing_seed: bool,
        /// Also print a Markdown table of operations and errata per spec.
        #[arg(long)]
        table: bool,
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
    },
}

/// Exit code for invalid specs, scenarios or arguments.
const EXIT_INVALID: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("VOUCH_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match cli.command {
        Command::Mock { addr, specs, fixtures } => run_mock(addr, specs, fixtures),
        Command::Lint {
            specs,
            allow_missing_seed,
            table,
        } => run_lint(specs, allow_missing_seed, table),
    }
}

fn run_lint(specs: Vec<PathBuf>, allow_missing_seed: bool, table: bool) -> ExitCode {
    let options = LintOptions {
        require_seed: !allow_missing_seed,
    };
    let report = if specs.is_empty() {
        lint_loaded(builtin_specs(), options)
    } else {
        lint(&specs, options)
    };
    for problem in &report.problems {
        println!("{problem}");
    }
    if table {
        print!("{}", vouch::lint::summary_table(&report.summaries));
    }
    println!(
        "{} spec(s), {} operation(s): {}",
        report.specs,
        report.operations,
        match report.problems.len() {
            0 => "no problems".to_string(),
            n => format!("{n} problem(s)"),
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
        format!("invalid specs ({} problem(s)):\n{}", lines.len(), lines.join("\n"))
    })
}

fn run_mock(addr: std::net::SocketAddr, specs: Vec<PathBuf>, fixtures: Option<PathBuf>) -> ExitCode {
    let setup = load_catalog(&specs).and_then(|catalog| {
        let fixtures = match &fixtures {
            Some(path) => Fixtures::load(path)?,
            None => Fixtures::builtin()?,
        };
        Ok((catalog, fixtures))
    });
    let (catalog, fixtures) = match setup {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(EXIT_INVALID);
        }
    };
    let state = MockState::new(std::sync::Arc::new(catalog), fixtures, MockState::token_from_env());
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(serve_until_ctrl_c(state, addr)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: cannot serve on {addr}: {e}");
            ExitCode::from(EXIT_INVALID)
        }
    }
}
