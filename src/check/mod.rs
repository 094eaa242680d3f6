//! Checks a response against its operation's contract, whatever a scenario
//! asks: the status is declared, the content type matches, the body validates
//! against the schema for that status, no 5xx unless expected, declared
//! headers are present. [`expect`] checks a step's own expectations and
//! [`snapshot`] renders the text a snapshot compares. Pure: data in,
//! [`Finding`]s out; no file, socket or clock (the runner reads and writes
//! snapshot files). The mock runs the same checks on every response it
//! sends in debug builds, so it can never contradict its own contract
//! unnoticed.

pub mod expect;
pub mod snapshot;

use std::fmt;

use serde_json::Value;

use crate::media_type;
use crate::scenario::Location;
use crate::spec::{Operation, Violation};

/// What kind of contract rule a finding breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// The status is not declared for the operation.
    UndeclaredStatus,
    /// A 5xx that the step did not expect.
    ServerError,
    /// The content type is not one the spec declares for the status.
    ContentType,
    /// The body is not valid JSON although the spec declares JSON.
    MalformedBody,
    /// The body breaks the schema.
    Schema,
    /// A body where the spec declares none, or none where it declares one.
    Body,
    /// A required response header is missing.
    MissingHeader,
    /// The status is not the one the step expects.
    Status,
    /// A body or header expectation of the step.
    Expectation,
    /// A capture found nothing.
    Capture,
    /// The response differs from its stored snapshot.
    Snapshot,
    /// The response body is larger than `--max-body`: it was not read to the end.
    BodyTooLarge,
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Rule::UndeclaredStatus => "undeclared status",
            Rule::ServerError => "server error",
            Rule::ContentType => "content type",
            Rule::MalformedBody => "malformed body",
            Rule::Schema => "schema",
            Rule::Body => "body",
            Rule::MissingHeader => "missing header",
            Rule::Status => "status",
            Rule::Expectation => "expectation",
            Rule::Capture => "capture",
            Rule::Snapshot => "snapshot",
            Rule::BodyTooLarge => "body too large",
        })
    }
}

/// One way a response breaks its contract.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Finding {
    /// The operationId.
    pub operation: String,
    /// The rule broken.
    pub rule: Rule,
    /// JSON pointer into the response body ("" for the whole response).
    pub pointer: String,
    /// What the contract says.
    pub expected: String,
    /// What the response did.
    pub actual: String,
    /// Where the expectation that failed is written in its scenario file
    /// (for a contract finding, the step); `None` outside a scenario.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
}

impl Finding {
    /// Replaces every secret in what the finding quotes.
    pub fn redact(&mut self, redactor: &crate::redact::Redactor) {
        for text in [&mut self.pointer, &mut self.expected, &mut self.actual] {
            redactor.string(text);
        }
    }

    /// The same finding, located at `location` (unless it already is).
    pub fn located(mut self, location: &Location) -> Finding {
        self.location.get_or_insert_with(|| location.clone());
        self
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.operation, self.rule)?;
        if !self.pointer.is_empty() {
            write!(f, " at {}", self.pointer)?;
        }
        write!(f, ": expected {}, got {}", self.expected, self.actual)
    }
}

/// A response as received (or about to be sent).
#[derive(Debug, Clone, Copy)]
pub struct Observed<'a> {
    /// HTTP status code of the response.
    pub status: u16,
    /// The `Content-Type` header, if any.
    pub content_type: Option<&'a str>,
    /// Response header names, any case.
    pub header_names: &'a [&'a str],
    /// Raw response body bytes.
    pub body: &'a [u8],
}

/// Whether `finding` only says that a refusal's status is undeclared, on an
/// operation that declares no client error at all (see
/// [`Operation::declares_client_errors`]): the refusal is what a server must
/// answer, so the mock's self-check and `vouch conform` do not hold it
/// against the target. `vouch run` still reports it: the spec is incomplete.
pub fn undeclared_refusal_left_open(op: &Operation, finding: &Finding, status: u16) -> bool {
    finding.rule == Rule::UndeclaredStatus
        && (400..500).contains(&status)
        && !op.declares_client_errors()
}

/// Checks `response` against `op`. `expect_server_error` says whether the
/// caller asked for a 5xx (then a 5xx is not a finding by itself).
pub fn check_response(
    op: &Operation,
    response: Observed<'_>,
    expect_server_error: bool,
) -> Vec<Finding> {
    let mut out = Vec::new();
    let finding = |rule, pointer: &str, expected: String, actual: String| Finding {
        operation: op.id.clone(),
        rule,
        pointer: pointer.to_string(),
        expected,
        actual,
        location: None,
    };
    if response.status >= 500 && !expect_server_error {
        out.push(finding(
            Rule::ServerError,
            "",
            "no 5xx".into(),
            response.status.to_string(),
        ));
    }
    let Some(declared) = op.response_for(response.status) else {
        let statuses: Vec<String> = op.responses.iter().map(|r| r.status.to_string()).collect();
        out.push(finding(
            Rule::UndeclaredStatus,
            "",
            format!("one of {}", statuses.join(", ")),
            response.status.to_string(),
        ));
        return out;
    };
    for header in declared.headers.iter().filter(|h| h.required) {
        if !response
            .header_names
            .iter()
            .any(|n| n.eq_ignore_ascii_case(&header.name))
        {
            out.push(finding(
                Rule::MissingHeader,
                "",
                format!("header `{}`", header.name),
                "absent".into(),
            ));
        }
    }
    if declared.content.is_empty() {
        if !response.body.is_empty() {
            out.push(finding(
                Rule::Body,
                "",
                "no body".into(),
                format!("{} bytes", response.body.len()),
            ));
        }
        return out;
    }
    let declared_types = || {
        declared
            .content
            .iter()
            .map(|m| m.media_type.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let Some(content_type) = response.content_type else {
        out.push(finding(
            Rule::ContentType,
            "",
            declared_types(),
            "no Content-Type".into(),
        ));
        return out;
    };
    let Some(media) = declared.media_type(content_type) else {
        out.push(finding(
            Rule::ContentType,
            "",
            declared_types(),
            content_type.to_string(),
        ));
        return out;
    };
    let Some(schema) = &media.schema else {
        return out;
    };
    let instance = if media_type::is_json(&media.media_type) {
        match serde_json::from_slice::<Value>(response.body) {
            Ok(v) => v,
            Err(e) => {
                out.push(finding(
                    Rule::MalformedBody,
                    "",
                    "a JSON body".into(),
                    format!("invalid JSON ({e})"),
                ));
                return out;
            }
        }
    } else {
        Value::String(String::from_utf8_lossy(response.body).into_owned())
    };
    for v in schema.violations(&instance) {
        out.push(finding(
            Rule::Schema,
            &v.instance_pointer,
            schema_expectation(&schema.pointer, &v),
            v.message,
        ));
    }
    out
}

/// What a schema violation expected, from jsonschema's typed error kind:
/// the keyword, the properties it names and the rule's place in the spec
/// (`required "name" (schema rule #/components/schemas/Port/required)`).
fn schema_expectation(schema_pointer: &str, v: &Violation) -> String {
    let properties: Vec<String> = v.properties.iter().map(|p| format!(" \"{p}\"")).collect();
    format!(
        "{}{} (schema rule #{schema_pointer}{})",
        v.keyword,
        properties.concat(),
        v.rule
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec::Catalog;

    #[test]
    fn a_schema_finding_names_the_keyword_and_property_from_the_typed_error_kind() {
        let catalog = Catalog::builtin().expect("built-in specs");
        let (_, op) = catalog
            .operation("zstack.getVipUsedPorts")
            .expect("operation");
        let observed = Observed {
            status: 200,
            content_type: Some("application/json; charset=utf-8"),
            header_names: &[],
            body: b"{}",
        };
        let findings = check_response(op, observed, false);
        let schema: Vec<&Finding> = findings.iter().filter(|f| f.rule == Rule::Schema).collect();
        assert!(!schema.is_empty(), "{findings:#?}");
        assert!(
            schema[0].expected.starts_with("required \"")
                && schema[0].expected.contains("(schema rule #/"),
            "{findings:#?}"
        );
        assert_eq!(schema[0].location, None);
    }
}
