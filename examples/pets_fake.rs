//! The pets service of `tests/conform/pets.yaml` with one injected fault, as
//! a process: the target `benches/conform-vs-schemathesis.sh` points vouch
//! and Schemathesis at.
//!
//!     cargo run --example pets_fake -- --fault wrong-type --port 0
//!
//! `--api linked` serves it under the paths of `tests/conform/linked.yaml`.
//!
//! Serves on 127.0.0.1 (port 0: any free one), prints its URL on one line,
//! and serves until killed. It asks for `X-Api-Key: $VOUCH_TOKEN` (else
//! `pets-test-token`). Faults: none, wrong-type, out-of-range, no-auth,
//! no-read-back, malformed-500.

#[path = "../tests/support/pets_fake.rs"]
mod pets_fake;

use std::io::Write as _;
use std::process::ExitCode;

use pets_fake::{Api, Fault};

/// `--fault NAME --port N --api pets|linked`, all optional (`none`, `0`, `pets`).
fn parse(args: &[String]) -> Result<(Api, Fault, u16), String> {
    let mut api = Api::Pets;
    let mut fault = Fault::None;
    let mut port = 0;
    let mut rest = args.iter();
    while let Some(flag) = rest.next() {
        let value = rest.next().ok_or(format!("{flag} needs a value"))?;
        match flag.as_str() {
            "--fault" => {
                fault = Fault::named(value).ok_or(format!("no fault `{value}`"))?;
            }
            "--port" => port = value.parse().map_err(|_| format!("`{value}` is no port"))?,
            "--api" => {
                api = match value.as_str() {
                    "pets" => Api::Pets,
                    "linked" => Api::Linked,
                    other => return Err(format!("no api `{other}` (pets, linked)")),
                }
            }
            other => return Err(format!("unknown argument `{other}`")),
        }
    }
    Ok((api, fault, port))
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (api, fault, port) = match parse(&args) {
        Ok(parsed) => parsed,
        Err(why) => {
            let names: Vec<&str> = Fault::ALL.iter().map(|(n, _)| *n).collect();
            eprintln!(
                "error: {why}\nusage: pets_fake [--fault {}] [--port N] [--api pets|linked]",
                names.join("|")
            );
            return ExitCode::from(2);
        }
    };
    let token = std::env::var("VOUCH_TOKEN").unwrap_or_else(|_| pets_fake::TOKEN.into());
    let (app, _posts) = pets_fake::app(api, fault, &token);
    let served = vouch::runtime::current_thread().and_then(|runtime| {
        runtime.block_on(async {
            let listener = tokio::net::TcpListener::bind(("127.0.0.1", port)).await?;
            println!("http://{}", listener.local_addr()?);
            std::io::stdout().flush()?;
            axum::serve(listener, app).await
        })
    });
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
