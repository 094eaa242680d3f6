//! Classifying the differences between the mock's and the live answer to one
//! step: status, content type, declared headers, the body (see `body`),
//! validity against the contract, and latency. Pure: two exchanges in,
//! differences out.

use super::{Context, Difference, Kind, body};
use crate::check::{Observed, check_response};
use crate::exchange::Exchange;
use crate::spec::{Operation, Spec};

/// Every difference between `mock` and `live`, the answers to one step of
/// operation `routed` (`None` for a request that matches no operation).
/// When the statuses differ, only the status, validity and latency are
/// compared: the rest of the answers follow from the status.
pub fn classify(
    routed: Option<(&Spec, &Operation)>,
    mock: &Exchange,
    live: &Exchange,
    context: &Context<'_>,
) -> Vec<Difference> {
    let mut out = Vec::new();
    if mock.status == live.status {
        content_type(mock, live, &mut out);
        if let Some((_, op)) = routed {
            headers(op, mock, live, &mut out);
        }
        body::compare(routed, mock, live, context, &mut out);
    } else {
        out.push(Difference::new(
            Kind::Status,
            "",
            mock.status.to_string(),
            live.status.to_string(),
        ));
    }
    if let Some((_, op)) = routed {
        validity(op, mock, live, &mut out);
    }
    if live.elapsed_ms - mock.elapsed_ms > context.latency_threshold_ms {
        out.push(Difference::new(
            Kind::Latency,
            "",
            format!("{:.0} ms", mock.elapsed_ms),
            format!("{:.0} ms", live.elapsed_ms),
        ));
    }
    out
}

fn content_type(mock: &Exchange, live: &Exchange, out: &mut Vec<Difference>) {
    let (m, l) = (mock.media_type(), live.media_type());
    if m != l {
        let shown = |e: String| if e.is_empty() { "(none)".into() } else { e };
        out.push(Difference::new(Kind::ContentType, "", shown(m), shown(l)));
    }
}

/// The headers the spec declares for the status: present on both sides or
/// neither, with equal values unless their schema says `x-volatile`.
fn headers(op: &Operation, mock: &Exchange, live: &Exchange, out: &mut Vec<Difference>) {
    let Some(declared) = op.response_for(mock.status) else {
        return;
    };
    for h in &declared.headers {
        let volatile = h
            .schema
            .as_ref()
            .is_some_and(|s| s.source.get("x-volatile") == Some(&serde_json::Value::Bool(true)));
        let (m, l) = (mock.response_header(&h.name), live.response_header(&h.name));
        let differs = match (m, l) {
            (Some(m), Some(l)) => m != l && !volatile,
            (m, l) => m.is_some() != l.is_some(),
        };
        if differs {
            let shown = |v: Option<&str>| v.map_or_else(|| "absent".into(), str::to_string);
            out.push(Difference::new(
                Kind::Header,
                &h.name.to_ascii_lowercase(),
                shown(m),
                shown(l),
            ));
        }
    }
}

/// One side honours the contract and the other does not.
fn validity(op: &Operation, mock: &Exchange, live: &Exchange, out: &mut Vec<Difference>) {
    let first_finding = |e: &Exchange| {
        let names = e.response_header_names();
        let observed = Observed {
            status: e.status,
            content_type: e.content_type.as_deref(),
            header_names: &names,
            body: e.body.as_bytes(),
        };
        check_response(op, observed, true).into_iter().next()
    };
    let describe = |f: &crate::check::Finding| {
        format!(
            "invalid: {}: expected {}, got {}",
            f.rule, f.expected, f.actual
        )
    };
    match (first_finding(mock), first_finding(live)) {
        (None, Some(f)) => out.push(Difference::new(
            Kind::Validity,
            &f.pointer,
            "valid".into(),
            describe(&f),
        )),
        (Some(f), None) => out.push(Difference::new(
            Kind::Validity,
            &f.pointer,
            describe(&f),
            "valid".into(),
        )),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exchange(status: u16, content_type: &str, body: &str, elapsed_ms: f64) -> Exchange {
        Exchange {
            method: "GET".into(),
            url: "http://127.0.0.1/x".into(),
            request_headers: Vec::new(),
            request_body: None,
            request_raw_body: None,
            status,
            content_type: Some(content_type.into()),
            response_headers: Vec::new(),
            body: body.into(),
            elapsed_ms,
        }
    }

    const CONTEXT: Context<'static> = Context {
        latency_threshold_ms: 200.0,
        mock_volatile: &[],
        live_volatile: &[],
    };

    fn kinds(found: &[Difference]) -> Vec<(Kind, &str)> {
        found.iter().map(|d| (d.kind, d.pointer.as_str())).collect()
    }

    #[test]
    fn a_different_status_hides_the_body_differences() {
        let mock = exchange(200, "application/json", r#"{"a":1}"#, 1.0);
        let live = exchange(404, "text/plain", "nope", 1.0);
        assert_eq!(
            kinds(&classify(None, &mock, &live, &CONTEXT)),
            [(Kind::Status, "")]
        );
    }

    #[test]
    fn the_charset_is_not_a_content_type_difference() {
        let mock = exchange(200, "application/json", "{}", 1.0);
        let live = exchange(200, "Application/JSON; charset=utf-8", "{}", 1.0);
        assert!(classify(None, &mock, &live, &CONTEXT).is_empty());
        let live = exchange(200, "text/json", "{}", 1.0);
        assert_eq!(
            kinds(&classify(None, &mock, &live, &CONTEXT)),
            [(Kind::ContentType, "")]
        );
    }

    #[test]
    fn latency_counts_only_beyond_the_threshold() {
        let mock = exchange(200, "application/json", "{}", 5.0);
        let live = exchange(200, "application/json", "{}", 150.0);
        assert!(classify(None, &mock, &live, &CONTEXT).is_empty());
        let live = exchange(200, "application/json", "{}", 300.0);
        let found = classify(None, &mock, &live, &CONTEXT);
        assert_eq!(kinds(&found), [(Kind::Latency, "")]);
        assert!(!found[0].kind.scored());
    }
}
