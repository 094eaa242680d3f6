//! Mirroring a live service into the mock's fixtures: what `vouch fixtures
//! pull` writes and what `vouch fidelity` starts its mock from, so that the
//! paired runs compare like with like.
//!
//! Each built-in vendor that a loaded spec names, and the live target has a
//! base URL for, turns live answers into its fixtures section
//! ([`crate::mock::vendors::Vendor::mirror`]) for the resources the
//! variables name. This module sends the reads it asks for (read
//! operations, through the runner, with the target's credential), round
//! after round until it asks for nothing more. A read the live service
//! refuses stops the mirror, naming the operation, its parameters and the
//! status: a mock that silently lacked a resource would compare unlike with
//! like.

use std::path::Path;
use std::time::Duration;

use serde_json::{Map, Value};

use crate::live::client;
use crate::mock::Fixtures;
use crate::mock::vendors::mirror::{Read, Reads, Vars};
use crate::mock::vendors::mirror_section;
use crate::redact::redact;
use crate::runner::{Safety, Target, send_operation};
use crate::spec::Catalog;

/// Rounds of reads one vendor may take (a paged list takes one per page).
const MAX_ROUNDS: usize = 64;

/// How much of a refusal's body an error shows.
const SHOWN_BODY: usize = 300;

/// The media type of a stream of server-sent events: read as text (a JSON
/// string), not as JSON.
const EVENT_STREAM: &str = "text/event-stream";

/// Where mirrored fixtures come from, in errors about them.
const ORIGIN: &str = "(fixtures mirrored from the live target)";

/// What mirroring found.
#[derive(Debug, Clone, Default)]
pub struct Mirror {
    /// Each mirrored vendor's fixtures section, by vendor name, as a file holds it.
    pub sections: Map<String, Value>,
    /// Vendors with a live base URL whose resources no variable names (not mirrored).
    pub unnamed: Vec<String>,
    /// Reads sent to the live target.
    pub reads: usize,
}

/// Why the live target could not be mirrored.
#[derive(Debug, thiserror::Error)]
pub enum MirrorError {
    /// No answer came.
    #[error("mirroring {vendor}: {read}: the live target did not answer: {reason}")]
    Unreachable {
        /// The vendor being mirrored.
        vendor: String,
        /// The read, as `operation (param=value, ...)`.
        read: String,
        /// Why no answer came.
        reason: String,
    },
    /// The live target refused a read, or answered something that is no JSON.
    #[error("mirroring {vendor}: {read} answered {status} on the live target: {body}")]
    Refused {
        /// The vendor being mirrored.
        vendor: String,
        /// The read, as `operation (param=value, ...)`.
        read: String,
        /// The live status.
        status: u16,
        /// The start of the live body (credentials redacted).
        body: String,
    },
    /// A vendor kept asking for more reads.
    #[error("mirroring {0}: still reading after {MAX_ROUNDS} rounds")]
    Endless(String),
    /// The mirrored sections do not read as fixtures.
    #[error("the live answers do not make fixtures the mock reads: {0}")]
    Unreadable(String),
}

impl MirrorError {
    /// Whether the live target gave no answer (rather than a refusal).
    pub fn unreachable(&self) -> bool {
        matches!(self, MirrorError::Unreachable { .. })
    }
}

impl Mirror {
    /// `base` with the mirrored sections in place of its own.
    pub fn fixtures(&self, base: &Fixtures) -> Result<Fixtures, MirrorError> {
        base.with_sections(&self.sections, Path::new(ORIGIN))
            .map_err(MirrorError::Unreadable)
    }

    /// The mirrored sections as a fixtures file to commit (`vouch mock
    /// --fixtures` reads it), every `secrets` value in it redacted.
    pub fn file_text(&self, secrets: &[String]) -> Result<String, MirrorError> {
        let mut sections = Value::Object(self.sections.clone());
        redact_strings(&mut sections, secrets);
        let Value::Object(sections) = sections else {
            return Err(MirrorError::Unreadable("no sections".into()));
        };
        let fixtures = Fixtures::default()
            .with_sections(&sections, Path::new(ORIGIN))
            .map_err(MirrorError::Unreadable)?;
        let names: Vec<&str> = sections.keys().map(String::as_str).collect();
        Ok(format!(
            "# Fixtures mirrored from a live target by `vouch fixtures pull` ({}).\n\
             # `vouch mock --fixtures FILE` and `vouch fidelity --fixtures FILE` read them.\n{}",
            names.join(", "),
            fixtures.yaml()
        ))
    }
}

/// Mirrors `target` for the resources `vars` name: every built-in vendor of
/// `catalog` the target has a base URL for. Each read honours `safety`
/// (`--follow-redirects`, `--max-body`) as a step of `vouch run` would.
pub async fn mirror(
    catalog: &Catalog,
    target: &Target,
    vars: &Vars,
    timeout: Duration,
    safety: Safety,
) -> Result<Mirror, MirrorError> {
    let client = client(timeout);
    let live = Live {
        client: &client,
        catalog,
        target,
        safety,
    };
    let mut mirror = Mirror::default();
    for vendor in live_vendors(catalog, target) {
        let (section, reads) = live.mirror_vendor(&vendor, vars).await?;
        mirror.reads += reads;
        match section {
            Some(section) => {
                mirror.sections.insert(vendor, section);
            }
            None => mirror.unnamed.push(vendor),
        }
    }
    Ok(mirror)
}

/// The built-in vendors the catalog's specs name that the target has a base URL for, once each.
fn live_vendors(catalog: &Catalog, target: &Target) -> Vec<String> {
    let mut vendors: Vec<String> = Vec::new();
    for spec in catalog.specs() {
        let reachable =
            target.default_base_url.is_some() || target.base_urls.contains_key(&spec.name);
        if let Some(vendor) = spec.vendor.as_ref().filter(|_| reachable)
            && !vendors.contains(vendor)
        {
            vendors.push(vendor.clone());
        }
    }
    vendors
}

/// The live target, as mirroring reads it.
struct Live<'a> {
    client: &'a reqwest::Client,
    catalog: &'a Catalog,
    target: &'a Target,
    safety: Safety,
}

impl Live<'_> {
    /// One vendor's section (`None`: the variables name none of its
    /// resources) and the number of reads it took.
    async fn mirror_vendor(
        &self,
        vendor: &str,
        vars: &Vars,
    ) -> Result<(Option<Value>, usize), MirrorError> {
        let mut reads = Reads::default();
        let mut sent = 0;
        for _ in 0..MAX_ROUNDS {
            let section = mirror_section(vendor, vars, &mut reads);
            let pending = reads.take_pending();
            if pending.is_empty() {
                return Ok((section, sent));
            }
            for read in pending {
                let body = self.read(vendor, &read).await?;
                reads.answer(read, body);
                sent += 1;
            }
        }
        Err(MirrorError::Endless(vendor.to_string()))
    }

    /// The JSON body of the live answer to `read`, when it is a success (an
    /// event stream's text as a JSON string).
    async fn read(&self, vendor: &str, read: &Read) -> Result<Value, MirrorError> {
        let params: Map<String, Value> = read
            .params
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        let shown = shown_read(read);
        let exchange = send_operation(
            self.client,
            self.catalog,
            self.target,
            &read.operation,
            params,
            self.safety,
        )
        .await
        .map_err(|reason| MirrorError::Unreachable {
            vendor: vendor.to_string(),
            read: shown.clone(),
            reason,
        })?;
        let refused = |body: &str| MirrorError::Refused {
            vendor: vendor.to_string(),
            read: shown.clone(),
            status: exchange.status,
            body: redact(
                &body.chars().take(SHOWN_BODY).collect::<String>(),
                &self.target.secrets(),
            ),
        };
        if !(200..300).contains(&exchange.status) {
            return Err(refused(&exchange.body));
        }
        if exchange.media_type() == EVENT_STREAM {
            return Ok(Value::String(exchange.body.clone()));
        }
        serde_json::from_str(&exchange.body)
            .map_err(|e| refused(&format!("not JSON ({e}): {}", exchange.body)))
    }
}

/// `operation (name=value, ...)`.
fn shown_read(read: &Read) -> String {
    let params: Vec<String> = read
        .params
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect();
    format!("{} ({})", read.operation, params.join(", "))
}

/// `value` with every secret redacted in its strings.
fn redact_strings(value: &mut Value, secrets: &[String]) {
    match value {
        Value::String(s) => *s = redact(s, secrets),
        Value::Array(items) => items.iter_mut().for_each(|v| redact_strings(v, secrets)),
        Value::Object(map) => map.values_mut().for_each(|v| redact_strings(v, secrets)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_file_of_mirrored_sections_reads_back_and_carries_no_secret() {
        let mirror = Mirror {
            sections: [(
                "zstack".to_string(),
                json!({"vips": [{"uuid": "ab", "name": "holds tok-123"}]}),
            )]
            .into_iter()
            .collect(),
            ..Mirror::default()
        };
        let text = mirror.file_text(&["tok-123".to_string()]).unwrap();
        assert!(text.starts_with("# Fixtures mirrored") && text.contains("(zstack)"));
        assert!(!text.contains("tok-123"), "{text}");
        let back: Value = serde_saphyr::from_str(&text).unwrap();
        assert_eq!(back["zstack"]["vips"][0]["name"], json!("holds [secret]"));
    }

    #[test]
    fn a_read_is_shown_with_its_parameters() {
        let read = Read {
            operation: "zstack.getVipUsedPorts".into(),
            params: vec![
                ("uuid".into(), "ab".into()),
                ("protocol".into(), "TCP".into()),
            ],
        };
        assert_eq!(
            shown_read(&read),
            "zstack.getVipUsedPorts (uuid=ab, protocol=TCP)"
        );
    }
}
