//! Fault injection, per operation or for all: added latency (fixed or a
//! range), a forced status with the vendor's error body, or a dropped
//! connection; each with a probability and an optional count.

use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::response::Response;
use serde::{Deserialize, Serialize};

use super::random;

/// What a fault does besides any latency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FaultAction {
    /// Only the latency.
    Delay,
    /// Answer this status with the vendor's error envelope.
    Status(u16),
    /// Close the connection without an answer.
    Drop,
}

/// One active fault.
#[derive(Debug, Clone, Serialize)]
pub struct Fault {
    /// Identifier assigned when the fault was added (1, 2, ...), used to remove it.
    pub id: u64,
    /// The operationId it applies to; `None` for every operation.
    pub operation: Option<String>,
    /// Added latency in milliseconds: a fixed value is `(n, n)`.
    pub latency_ms: Option<(u64, u64)>,
    /// What happens to an affected request besides the latency.
    pub action: FaultAction,
    /// Chance that a matching request is affected.
    pub probability: f64,
    /// How many more requests it may affect; `None`: no limit.
    pub remaining: Option<u64>,
}

impl Fault {
    /// The delay to add, drawn from the latency range.
    pub fn delay(&self) -> Option<Duration> {
        let (low, high) = self.latency_ms?;
        let ms = low + ((high - low) as f64 * random::unit()).round() as u64;
        Some(Duration::from_millis(ms))
    }
}

/// A fault as posted to `/__vouch/faults`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultRequest {
    pub operation: Option<String>,
    pub latency_ms: Option<Latency>,
    pub status: Option<u16>,
    #[serde(default)]
    pub drop: bool,
    pub probability: Option<f64>,
    pub count: Option<u64>,
}

/// `200` or `[100, 300]`.
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum Latency {
    Fixed(u64),
    Range([u64; 2]),
}

/// The longest latency a fault may add, so a typo cannot hang a test run.
const MAX_LATENCY_MS: u64 = 60_000;

impl FaultRequest {
    /// Checks the request and turns it into a fault with `id`.
    pub fn into_fault(self, id: u64) -> Result<Fault, String> {
        let action = match (self.status, self.drop) {
            (Some(_), true) => return Err("give either `status` or `drop: true`, not both".into()),
            (Some(s), false) if !(100..=599).contains(&s) => {
                return Err(format!("`status` {s} is not an HTTP status"));
            }
            (Some(s), false) => FaultAction::Status(s),
            (None, true) => FaultAction::Drop,
            (None, false) => FaultAction::Delay,
        };
        let latency_ms = match self.latency_ms {
            None => None,
            Some(Latency::Fixed(n)) => Some((n, n)),
            Some(Latency::Range([a, b])) if a <= b => Some((a, b)),
            Some(Latency::Range(_)) => {
                return Err("`latency_ms` range must be [low, high] with low <= high".into());
            }
        };
        if latency_ms.is_some_and(|(_, high)| high > MAX_LATENCY_MS) {
            return Err(format!("`latency_ms` may not exceed {MAX_LATENCY_MS}"));
        }
        if action == FaultAction::Delay && latency_ms.is_none() {
            return Err("a fault needs `latency_ms`, `status` or `drop: true`".into());
        }
        let probability = self.probability.unwrap_or(1.0);
        if !(0.0..=1.0).contains(&probability) {
            return Err("`probability` must be between 0 and 1".into());
        }
        if self.count == Some(0) {
            return Err("`count` must be at least 1 (omit it for no limit)".into());
        }
        Ok(Fault {
            id,
            operation: self.operation,
            latency_ms,
            action,
            probability,
            remaining: self.count,
        })
    }
}

/// The active faults.
#[derive(Debug, Default)]
pub struct Faults {
    next_id: u64,
    active: Vec<Fault>,
}

impl Faults {
    /// Adds a fault; returns it with its id.
    pub fn add(&mut self, request: FaultRequest) -> Result<Fault, String> {
        self.next_id += 1;
        let fault = request.into_fault(self.next_id)?;
        self.active.push(fault.clone());
        Ok(fault)
    }

    /// The fault, if any, that strikes this request to `operation` (counting it).
    pub fn take(&mut self, operation: &str) -> Option<Fault> {
        let at = self.active.iter().position(|f| {
            f.operation.as_deref().is_none_or(|o| o == operation)
                && (f.probability >= 1.0 || random::unit() < f.probability)
        })?;
        let fault = &mut self.active[at];
        let taken = fault.clone();
        if let Some(n) = &mut fault.remaining {
            *n -= 1;
            if *n == 0 {
                self.active.remove(at);
            }
        }
        Some(taken)
    }

    /// Removes one fault; whether it existed.
    pub fn remove(&mut self, id: u64) -> bool {
        let before = self.active.len();
        self.active.retain(|f| f.id != id);
        before != self.active.len()
    }

    /// Removes every fault.
    pub fn clear(&mut self) {
        self.active.clear();
    }

    /// The active faults.
    pub fn list(&self) -> &[Fault] {
        &self.active
    }
}

/// A response whose body fails at once: hyper closes the connection without
/// completing an answer.
pub fn dropped_connection() -> Response {
    let failing = futures_util::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::other("vouch fault: dropped connection"))
    });
    Response::new(Body::from_stream(failing))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(json: serde_json::Value) -> FaultRequest {
        serde_json::from_value(json).unwrap()
    }

    #[test]
    fn count_limits_how_often_a_fault_strikes() {
        let mut faults = Faults::default();
        faults
            .add(request(
                serde_json::json!({"operation": "a.b", "status": 503, "count": 2}),
            ))
            .unwrap();
        assert!(faults.take("other.op").is_none());
        assert_eq!(faults.take("a.b").unwrap().action, FaultAction::Status(503));
        assert!(faults.take("a.b").is_some());
        assert!(faults.take("a.b").is_none());
    }

    #[test]
    fn zero_probability_never_strikes() {
        let mut faults = Faults::default();
        faults
            .add(request(
                serde_json::json!({"drop": true, "probability": 0.0}),
            ))
            .unwrap();
        assert!((0..100).all(|_| faults.take("any.op").is_none()));
    }

    #[test]
    fn nonsense_is_refused_with_a_reason() {
        let mut faults = Faults::default();
        for bad in [
            serde_json::json!({"status": 503, "drop": true}),
            serde_json::json!({"status": 42}),
            serde_json::json!({"operation": "a.b"}),
            serde_json::json!({"latency_ms": [300, 100]}),
            serde_json::json!({"latency_ms": 999999}),
            serde_json::json!({"drop": true, "probability": 2.0}),
        ] {
            assert!(faults.add(request(bad.clone())).is_err(), "{bad}");
        }
        assert!(faults.list().is_empty());
    }

    #[test]
    fn latency_range_stays_in_bounds() {
        let fault = request(serde_json::json!({"latency_ms": [10, 20]}))
            .into_fault(1)
            .unwrap();
        for _ in 0..50 {
            let d = fault.delay().unwrap().as_millis();
            assert!((10..=20).contains(&d), "{d}");
        }
    }
}
