//! Shrinking a failed case: try smaller versions of it (the steps after
//! the failing one, a step before it, a body property left out) and keep
//! the first that still fails the same check at the same step, until none
//! does. Each try runs on the same suite as the case did (on the built-in
//! mock, a mock reset to its fixtures).

use serde_json::Value;

use super::{Failure, Planned, failures, planned};
use crate::suite::Suite;

/// Most cases tried while shrinking one failure.
const MAX_TRIES: usize = 40;

/// The smallest version of `failed` that still fails `first`'s check at its step.
pub(crate) async fn shrink(suite: &Suite, failed: &Planned, first: &Failure) -> Planned {
    let catalog = suite.catalog();
    let mut best = failed.clone();
    let mut tries = 0;
    'smaller: loop {
        for candidate in smaller(&best, &first.step) {
            if tries >= MAX_TRIES {
                break 'smaller;
            }
            tries += 1;
            let file = best.scenario.file.clone();
            let Ok(next) = planned(catalog, candidate, &best.spec, &file) else {
                continue;
            };
            let outcome = suite.run(&next.scenario).await;
            if failures(catalog, &next, &outcome)
                .iter()
                .any(|f| f.check == first.check && f.step == first.step)
            {
                best = next;
                continue 'smaller;
            }
        }
        break;
    }
    best
}

/// Each version of the case with one thing less: the steps after the
/// failing one (named `failing`), a step before it (not one that
/// captures), a property of the object body of a step up to it.
fn smaller(planned: &Planned, failing: &str) -> Vec<super::Case> {
    let case = &planned.case;
    let mut out = Vec::new();
    let Some(at) = case.steps.iter().position(|s| s.name == failing) else {
        return out;
    };
    if at + 1 < case.steps.len() {
        let mut c = case.clone();
        c.steps.truncate(at + 1);
        out.push(c);
    }
    for i in (0..at).filter(|i| case.steps[*i].capture.is_empty()) {
        let mut c = case.clone();
        c.steps.remove(i);
        out.push(c);
    }
    for (i, step) in case.steps.iter().enumerate().take(at + 1) {
        if let Some(Value::Object(map)) = &step.body {
            for key in map.keys() {
                let mut c = case.clone();
                if let Some(Value::Object(m)) = &mut c.steps[i].body {
                    m.remove(key);
                }
                out.push(c);
            }
        }
    }
    out
}
