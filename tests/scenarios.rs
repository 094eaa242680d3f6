//! Every scenario file under `scenarios/` as its own test, run against a
//! fresh built-in mock (or, with `VOUCH_BASE_URL` set, against that live
//! target). `cargo test rainbond` runs the Rainbond ones. Snapshots are
//! compared by insta, so `cargo insta review` accepts changes.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use libtest_mimic::{Arguments, Failed, Trial};
use vouch::mock::{Fixtures, MockState};
use vouch::runner::{RunOptions, SnapshotMode, Verdict};
use vouch::scenario::{Scenario, load_dir};
use vouch::spec::Catalog;
use vouch::suite::{TargetKind, new_run_id, run_one};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn main() {
    let args = Arguments::from_args();
    let catalog = Arc::new(Catalog::builtin().unwrap_or_else(|p| panic!("built-in specs: {p:#?}")));
    let scenarios_dir = root().join("scenarios");
    let scenarios =
        load_dir(&scenarios_dir, &catalog, &Default::default()).unwrap_or_else(|errors| {
            let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
            panic!("invalid scenarios:\n{}", text.join("\n\n"))
        });
    let live_urls: Vec<String> = std::env::var("VOUCH_BASE_URL")
        .ok()
        .filter(|u| !u.is_empty())
        .into_iter()
        .collect();
    let kind = if live_urls.is_empty() {
        TargetKind::Mock {
            fixtures: Fixtures::builtin().expect("built-in fixtures"),
            token: MockState::token_from_env(),
        }
    } else {
        TargetKind::live(
            &catalog,
            &live_urls,
            std::env::var_os("VOUCH_ALLOW_DESTRUCTIVE").is_some(),
        )
        .expect("VOUCH_BASE_URL")
    };
    let live = !live_urls.is_empty();
    let trials = scenarios
        .into_iter()
        .map(|scenario| {
            let name = scenario.id(&scenarios_dir).replace('/', "::");
            let (catalog, kind, dir) = (catalog.clone(), kind.clone(), scenarios_dir.clone());
            Trial::test(name, move || run(&catalog, &scenario, &kind, &dir, live))
        })
        .collect();
    libtest_mimic::run(&args, trials).exit();
}

fn run(
    catalog: &Arc<Catalog>,
    scenario: &Scenario,
    kind: &TargetKind,
    dir: &Path,
    live: bool,
) -> Result<(), Failed> {
    let options = RunOptions {
        timeout: std::time::Duration::from_secs(30),
        retries: 2,
        vars: Default::default(),
        run_id: new_run_id(),
        snapshots: if live {
            SnapshotMode::Off
        } else {
            SnapshotMode::Collect
        },
        root: dir.to_path_buf(),
        safety: Default::default(),
    };
    let runtime = vouch::runtime::current_thread()?;
    let outcome = runtime.block_on(run_one(catalog, scenario, kind, &options));
    match &outcome.verdict {
        Verdict::Passed | Verdict::Skipped(_) => {}
        _ => {
            let mut report = vouch::report::TerminalReport::new(0);
            let _ = vouch::report::Reporter::finish(
                &mut report,
                std::slice::from_ref(&outcome),
                &vouch::report::Summary::of(std::slice::from_ref(&outcome)),
            );
            return Err(format!("scenario {} failed", outcome.id).into());
        }
    }
    let mut settings = insta::Settings::clone_current();
    settings.set_snapshot_path(root().join("snapshots"));
    settings.set_prepend_module_to_snapshot(false);
    settings.set_omit_expression(false);
    settings.set_input_file(&scenario.file);
    settings.bind(|| {
        for step in &outcome.steps {
            if let Some((name, contents)) = &step.snapshot {
                insta::assert_snapshot!(name.as_str(), contents);
            }
        }
    });
    Ok(())
}
