//! Replaying the answers to reads. A read ([`Serve::Read`]) answers from the
//! request and its handler's state alone, so the same GET (the same URI and
//! the same headers, byte for byte, with no body) on the same state gets the
//! same answer. The mock remembers such an answer with the version of the
//! state it read, and sends it again without routing, validating or
//! serialising, until that state changes: every write and every reset of a
//! handler advances its version. Only answers that left no finding are
//! remembered, and none is replayed while a fault is armed (the server
//! checks both). At most [`MAX_ANSWERS`] answers of up to [`MAX_BODY`] bytes
//! each are kept (when full, all are forgotten), so a client sending ever new
//! URIs cannot grow the memory.
//!
//! [`Serve::Read`]: super::vendors::Serve::Read

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, Uri};

use super::lock;
use super::reply::Wire;

/// How many answers are kept at most.
pub const MAX_ANSWERS: usize = 512;

/// The largest body an answer kept may have.
pub const MAX_BODY: usize = 256 * 1024;

/// The version counter of one handler's state.
#[derive(Debug, Default)]
pub struct Versions(Arc<AtomicU64>);

impl Versions {
    /// The version now; read it under the state's lock.
    pub fn current(&self) -> StateVersion {
        StateVersion {
            counter: self.0.clone(),
            seen: self.0.load(Ordering::Acquire),
        }
    }

    /// The state changed; call it under the state's lock.
    pub fn advance(&self) {
        self.0.fetch_add(1, Ordering::AcqRel);
    }
}

/// The version of a state that a read saw.
#[derive(Debug, Clone)]
pub struct StateVersion {
    counter: Arc<AtomicU64>,
    seen: u64,
}

impl StateVersion {
    /// Whether the state is still as the read saw it.
    fn is_current(&self) -> bool {
        self.counter.load(Ordering::Acquire) == self.seen
    }
}

/// The answers kept, by a hash of their request.
#[derive(Debug, Default)]
pub struct Replays {
    answers: Mutex<HashMap<u64, Kept>>,
}

/// An answer kept, with the request it answered.
#[derive(Debug)]
struct Kept {
    uri: Uri,
    headers: HeaderMap,
    operation: String,
    read: StateVersion,
    answer: Wire,
}

/// An answer sent again.
pub struct Replayed {
    /// The operation it answered.
    pub operation: String,
    /// The answer.
    pub answer: Wire,
}

impl Replays {
    /// The answer kept for `request`, if its state has not changed since.
    pub fn find(&self, request: &Parts) -> Option<Replayed> {
        if request.method != Method::GET {
            return None;
        }
        let answers = lock(&self.answers);
        let kept = answers.get(&key(request))?;
        let same = kept.uri == request.uri && kept.headers == request.headers;
        (same && kept.read.is_current()).then(|| Replayed {
            operation: kept.operation.clone(),
            answer: kept.answer.clone(),
        })
    }

    /// Keeps `answer`, the answer of `operation` to `request` (a body-less
    /// request that left no finding) from the state at `read`.
    pub fn keep(&self, request: &Parts, operation: &str, read: StateVersion, answer: &Wire) {
        if request.method != Method::GET || answer.body.len() > MAX_BODY || !read.is_current() {
            return;
        }
        let mut answers = lock(&self.answers);
        if answers.len() >= MAX_ANSWERS {
            // Starting over costs one pass per MAX_ANSWERS answers kept.
            answers.clear();
        }
        answers.insert(
            key(request),
            Kept {
                uri: request.uri.clone(),
                headers: request.headers.clone(),
                operation: operation.to_string(),
                read,
                answer: answer.clone(),
            },
        );
    }
}

/// A hash of the request's URI and headers.
fn key(request: &Parts) -> u64 {
    let mut hasher = DefaultHasher::new();
    request.uri.hash(&mut hasher);
    for (name, value) in &request.headers {
        name.hash(&mut hasher);
        value.as_bytes().hash(&mut hasher);
    }
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::{Request, StatusCode};

    fn get(uri: &str, token: &str) -> Parts {
        let request = Request::get(uri).header("authorization", token).body(());
        request.expect("a valid request").into_parts().0
    }

    fn answer(text: &'static str) -> Wire {
        Wire {
            status: StatusCode::OK,
            headers: HeaderMap::new(),
            body: text.into(),
        }
    }

    #[test]
    fn an_answer_is_found_for_the_same_request_only_while_its_state_is_unchanged() {
        let (replays, versions) = (Replays::default(), Versions::default());
        replays.keep(
            &get("/ports", "a"),
            "list",
            versions.current(),
            &answer("[1]"),
        );
        let found = replays.find(&get("/ports", "a")).expect("kept");
        assert_eq!(
            (found.operation.as_str(), &found.answer.body[..]),
            ("list", &b"[1]"[..])
        );
        assert!(replays.find(&get("/ports", "b")).is_none(), "other headers");
        assert!(
            replays.find(&get("/ports?x=1", "a")).is_none(),
            "another URI"
        );
        versions.advance();
        assert!(
            replays.find(&get("/ports", "a")).is_none(),
            "the state changed"
        );
    }

    #[test]
    fn no_more_than_max_answers_are_kept_and_a_large_body_is_not() {
        let (replays, versions) = (Replays::default(), Versions::default());
        for n in 0..MAX_ANSWERS * 3 {
            let uri = format!("/ports/{n}");
            replays.keep(&get(&uri, "a"), "read", versions.current(), &answer("{}"));
            assert!(lock(&replays.answers).len() <= MAX_ANSWERS);
            assert!(
                replays.find(&get(&uri, "a")).is_some(),
                "the newest is kept"
            );
        }
        let large = Wire {
            body: vec![b' '; MAX_BODY + 1].into(),
            ..answer("")
        };
        replays.keep(&get("/large", "a"), "read", versions.current(), &large);
        assert!(replays.find(&get("/large", "a")).is_none());
    }
}
