//! The `vouch` command line: parses arguments, wires the library's parts
//! together, and maps outcomes to exit codes (0 ok, 1 findings, 2 invalid
//! specs, scenarios or arguments, 3 target unreachable).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use vouch::lint::{LintOptions, lint, lint_loaded};
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
}

/// Exit code for invalid specs, scenarios or arguments.
const EXIT_INVALID: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
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
