//! Writing recorded exchanges as a scenario file that `vouch run` and
//! `vouch fidelity` accept: YAML whose values are written as JSON (a subset
//! of YAML), every step with its status as `expect.status`, `snapshot: false`
//! (a recording has no stored snapshots), captures for generated
//! identifiers, and comments flagging what needs a reader's attention.

use std::collections::BTreeSet;
use std::fmt::Write;
use std::path::Path;

use serde_json::{Map, Value};

use super::captures::{SECRET_VARIABLE, hide_secrets, link, secret_hider};
use super::draft::{CredentialNames, Draft, draft};
use super::proxy::Recorded;
use crate::atomic_file;
use crate::spec::Catalog;

/// A scenario made from a recording.
#[derive(Debug, Clone)]
pub struct Recording {
    /// The scenario file's text.
    pub text: String,
    /// Steps written.
    pub steps: usize,
    /// Steps whose request matched no operation.
    pub unmatched: usize,
}

/// The scenario for `recorded`, traffic forwarded to `upstream`.
pub fn scenario(catalog: &Catalog, upstream: &str, recorded: &[Recorded]) -> Recording {
    let names = CredentialNames::of(catalog);
    let mut drafts: Vec<Draft> = recorded.iter().map(|r| draft(catalog, &names, r)).collect();
    let hider = secret_hider(&drafts);
    link(&mut drafts, &hider);
    let secret = hide_secrets(&mut drafts, &hider);
    let unmatched = drafts.iter().filter(|d| d.operation.is_none()).count();
    let mut text = header(
        &hider.text(&shown_url(upstream)),
        &drafts,
        unmatched,
        secret,
    );
    for d in &drafts {
        step(d, &mut text);
    }
    Recording {
        text,
        steps: drafts.len(),
        unmatched,
    }
}

/// Writes the scenario for `recorded` to `path` atomically, then checks that
/// it parses as a scenario (it is written either way: a recording is not thrown away).
pub fn write_scenario(
    path: &Path,
    catalog: &Catalog,
    upstream: &str,
    recorded: &[Recorded],
) -> Result<Recording, String> {
    let recording = scenario(catalog, upstream, recorded);
    atomic_file::write(path, &recording.text).map_err(|e| format!("{}: {e}", path.display()))?;
    crate::scenario::parse_scenario(path, &recording.text, catalog, &BTreeSet::new()).map_err(
        |errors| {
            let text: Vec<String> = errors.iter().map(ToString::to_string).collect();
            format!(
                "{} was written but does not parse as a scenario (please report it):\n{}",
                path.display(),
                text.join("\n")
            )
        },
    )?;
    Ok(recording)
}

/// The upstream without credentials in its authority or query.
fn shown_url(upstream: &str) -> String {
    let (scheme, rest) = upstream.split_once("://").unwrap_or(("", upstream));
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let host = authority.rsplit('@').next().unwrap_or(authority);
    format!("{scheme}://{host}{path}")
}

fn json(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_else(|_| "null".into())
}

fn string(text: &str) -> String {
    json(&Value::String(text.to_string()))
}

fn header(upstream: &str, drafts: &[Draft], unmatched: usize, secret: bool) -> String {
    let mut tags = vec!["recorded".to_string()];
    let specs: BTreeSet<&String> = drafts.iter().filter_map(|d| d.spec.as_ref()).collect();
    tags.extend(specs.into_iter().cloned());
    let changes_state = drafts
        .iter()
        .any(|d| !matches!(d.method.as_str(), "GET" | "HEAD" | "OPTIONS"));
    if changes_state {
        tags.push("destructive".into());
    }
    let tags: Vec<String> = tags.iter().map(|t| string(t)).collect();
    let mut out = format!(
        "# Recorded by `vouch record` from {upstream}: {} request(s), {unmatched} matching no operation.\n\
         # Credentials were not recorded: a step with `auth: true` sends the target's own.\n\
         name: {}\n\
         description: {}\n\
         tags: [{}]\n",
        drafts.len(),
        string(&format!("Traffic recorded from {upstream}")),
        string(
            "Replays the recorded requests in order, expecting the recorded statuses; generated \
             identifiers are captured from the answer that first carried them."
        ),
        tags.join(", ")
    );
    if secret {
        let _ = write!(
            out,
            "variables:\n  # A credential was copied into a request: pass it with --var {SECRET_VARIABLE}=...\n  {SECRET_VARIABLE}: \"\"\n"
        );
    }
    out.push_str(if drafts.is_empty() {
        "steps: []\n"
    } else {
        "steps:\n"
    });
    out
}

fn map_line(out: &mut String, key: &str, map: &Map<String, Value>) {
    if !map.is_empty() {
        let _ = writeln!(out, "    {key}: {}", json(&Value::Object(map.clone())));
    }
}

fn step(d: &Draft, out: &mut String) {
    for flag in &d.flags {
        let _ = writeln!(out, "  # {}", flag.replace('\n', " "));
    }
    let _ = writeln!(out, "  - name: {}", string(&d.name));
    match &d.operation {
        Some(op) => {
            let _ = writeln!(out, "    operation: {}", string(op));
        }
        None => {
            let _ = writeln!(
                out,
                "    method: {}\n    path: {}",
                string(&d.method),
                string(&d.path)
            );
        }
    }
    map_line(out, "params", &d.params);
    map_line(out, "query", &d.query);
    let _ = writeln!(out, "    auth: {}", d.auth);
    if let Some(body) = &d.body {
        let _ = writeln!(out, "    body: {}", json(body));
    }
    let _ = writeln!(out, "    expect:\n      status: {}", d.status);
    if !d.capture.is_empty() {
        out.push_str("    capture:\n");
        for (variable, pointer) in &d.capture {
            let _ = writeln!(out, "      {}: {}", string(variable), string(pointer));
        }
    }
    out.push_str("    snapshot: false\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shown_upstream_carries_no_credentials() {
        assert_eq!(
            shown_url("https://user:pw@api.example.com:8443/v1?token=x"),
            "https://api.example.com:8443/v1"
        );
        assert_eq!(shown_url("http://127.0.0.1:9"), "http://127.0.0.1:9");
    }
}
