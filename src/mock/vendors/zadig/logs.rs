//! Container logs over server-sent events: the last `tails` lines (default
//! 10) of a container's log from the fixtures, one `message` event per line,
//! then the stream closes. With `since` (a Go duration), only lines whose
//! leading RFC 3339 timestamp is at most that old are sent, as Kubernetes'
//! `sinceSeconds` does; a line without one (a log mirrored from a target that
//! writes no timestamps) has no age the mock knows, and is sent.
//!
//! The log handler checks little: an unknown project, environment, pod or
//! container (or a missing `projectKey` / `envName`) closes the stream with
//! 200 and no events. Only an invalid `since` duration is a 400, answered as
//! JSON before the stream starts.

use super::model::{Scope, State};
use super::replies::{bad_request, path, project_key};
use crate::mock::reply::Reply;
use crate::mock::request::{MockRequest, RequestProblem};

/// `tails` when the query leaves it out.
const DEFAULT_TAILS: i64 = 10;

/// `GET /openapi/logs/sse/pods/{podName}/containers/{containerName}`.
pub fn stream(state: &State, req: &MockRequest<'_>) -> Reply {
    let since = req.query_param("since").unwrap_or_default();
    let max_age = match since {
        "" => None,
        text => match go_duration_seconds(text) {
            Some(seconds) => Some(seconds),
            None => return invalid_since(since),
        },
    };
    let tails = req
        .query_param("tails")
        .and_then(|t| t.parse::<i64>().ok())
        .unwrap_or(DEFAULT_TAILS);
    let mut lines = tail(log_of(state, req), tails);
    if let Some(max_age) = max_age {
        let oldest = crate::mock::random::unix_seconds() as f64 - max_age;
        lines.retain(|line| line_time(line).is_none_or(|t| t as f64 >= oldest));
    }
    Reply::events(lines)
}

/// Seconds since the Unix epoch of a line's leading RFC 3339 timestamp (as
/// Kubernetes writes it with `timestamps=true`, fractions and offsets allowed).
fn line_time(line: &str) -> Option<i64> {
    let stamp = line.split_whitespace().next()?;
    chrono::DateTime::parse_from_rfc3339(stamp)
        .ok()
        .map(|t| t.timestamp())
}

/// The container's whole log, or `None` when any name is unknown.
fn log_of<'s>(state: &'s State, req: &MockRequest<'_>) -> Option<&'s str> {
    let env = state
        .env(project_key(req), req.query_param("envName")?, Scope::Any)
        .ok()?;
    let (pod, container) = (path(req, "podName"), path(req, "containerName"));
    let service = env
        .services
        .values()
        .find(|s| s.pods.iter().any(|p| p.name == pod))?;
    service.containers.iter().find(|c| c.name == container)?;
    Some(
        env.logs
            .get(pod)
            .and_then(|by_container| by_container.get(container))
            .map_or("", String::as_str),
    )
}

/// The last `tails` lines (none for zero or less).
fn tail(log: Option<&str>, tails: i64) -> Vec<String> {
    let lines: Vec<&str> = log.unwrap_or_default().lines().collect();
    let keep = usize::try_from(tails).unwrap_or(0).min(lines.len());
    lines
        .get(lines.len() - keep..)
        .unwrap_or_default()
        .iter()
        .map(|l| l.to_string())
        .collect()
}

/// The server reads `tails` with a fallback: a non-integer means the default.
pub fn tolerates(problem: &RequestProblem) -> bool {
    problem.field() == Some("tails")
}

/// How the log operation answers a request the core found invalid.
pub fn invalid_request(problem: &RequestProblem) -> Reply {
    match problem {
        RequestProblem::InvalidParameter { name, value, .. } if name == "since" => {
            invalid_since(value)
        }
        RequestProblem::MissingParameter { .. } | RequestProblem::InvalidParameter { .. } => {
            Reply::events(Vec::new())
        }
        _ => bad_request(problem.message()),
    }
}

fn invalid_since(value: &str) -> Reply {
    bad_request(format!("invalid since: time: invalid duration \"{value}\""))
}

/// Whether Go's `time.ParseDuration` accepts `text` (`0`, or number+unit
/// pairs such as `1h30m`, `1.5s`, `300ms`, within the int64 nanosecond range).
/// A Go duration (`1h30m`, `300ms`, `-2h`) in seconds; `None` when Go's
/// `time.ParseDuration` would refuse it.
fn go_duration_seconds(text: &str) -> Option<f64> {
    let (sign, body) = match text.strip_prefix('-') {
        Some(rest) => (-1.0, rest),
        None => (1.0, text.strip_prefix('+').unwrap_or(text)),
    };
    if body == "0" {
        return Some(0.0);
    }
    let mut rest = body;
    let mut nanos = 0f64;
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let (number, after) = rest.split_at(number_end);
        let unit_end = after
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(after.len());
        let (unit, next) = after.split_at(unit_end);
        let (Ok(value), Some(scale)) = (number.parse::<f64>(), unit_nanos(unit)) else {
            return None;
        };
        nanos += value * scale;
        rest = next;
    }
    (!body.is_empty() && nanos <= i64::MAX as f64).then_some(sign * nanos / 1e9)
}

fn unit_nanos(unit: &str) -> Option<f64> {
    Some(match unit {
        "ns" => 1.0,
        "us" | "µs" | "μs" => 1e3,
        "ms" => 1e6,
        "s" => 1e9,
        "m" => 60e9,
        "h" => 3600e9,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations_are_recognised() {
        for ok in [
            "0", "10m", "1h30m", "1.5s", "300ms", "-2h", ".5h", "2562047h",
        ] {
            assert!(go_duration_seconds(ok).is_some(), "{ok}");
        }
        for bad in [
            "",
            "yesterday",
            "10",
            "1e5s",
            "h",
            "1.2.3s",
            "3d",
            "2562048h",
            "99999999999999999999h",
        ] {
            assert!(go_duration_seconds(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn durations_and_line_times_are_read_as_go_and_rfc_3339_do() {
        assert_eq!(go_duration_seconds("1h30m"), Some(5400.0));
        assert_eq!(go_duration_seconds("-2s"), Some(-2.0));
        assert_eq!(line_time("1970-01-02T00:00:01Z INFO x"), Some(86_401));
        assert_eq!(
            line_time("2024-01-05T08:45:16Z INFO starting"),
            Some(1_704_444_316)
        );
        assert_eq!(
            line_time("1970-01-02T01:00:01.123456789+01:00 nanoseconds and an offset"),
            Some(86_401)
        );
        assert_eq!(line_time("no timestamp here"), None);
    }

    #[test]
    fn tails_keeps_the_last_lines() {
        let log = Some("a\nb\nc");
        assert_eq!(tail(log, 2), ["b", "c"]);
        assert_eq!(tail(log, 10), ["a", "b", "c"]);
        assert!(tail(log, 0).is_empty());
        assert!(tail(log, -5).is_empty());
        assert!(tail(None, 5).is_empty());
    }
}
