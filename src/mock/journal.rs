//! The journal: every request the mock saw, newest last, in a ring buffer
//! of fixed capacity so that a long-running mock holds bounded memory.

use std::collections::VecDeque;
use std::sync::Mutex;

use serde::Serialize;

use super::lock;

/// How many requests the journal keeps (oldest dropped first).
const JOURNAL_CAPACITY: usize = 10_000;

/// One request as the mock saw it.
#[derive(Debug, Clone, Serialize)]
pub struct JournalEntry {
    /// Milliseconds since the Unix epoch.
    pub time_ms: u128,
    /// HTTP method, upper case (`GET`).
    pub method: String,
    /// Request path as sent (percent-encoded), without the query.
    pub path: String,
    /// Raw query string (empty if none), the mock's token replaced by `[secret]`.
    pub query: String,
    /// The operationId the request was routed to; `None` when no operation matched.
    pub operation: Option<String>,
    /// Validation problems and contract findings, in words.
    pub findings: Vec<String>,
    /// HTTP status the mock answered (0: the connection was dropped, a fault).
    pub status: u16,
}

/// The last [`JOURNAL_CAPACITY`] requests.
#[derive(Default)]
pub(crate) struct Journal {
    entries: Mutex<VecDeque<JournalEntry>>,
}

impl Journal {
    /// Adds `entry`, dropping the oldest when full.
    pub(crate) fn record(&self, entry: JournalEntry) {
        let mut entries = lock(&self.entries);
        if entries.len() >= JOURNAL_CAPACITY {
            entries.pop_front();
        }
        entries.push_back(entry);
    }

    /// A copy of every entry, oldest first.
    pub(crate) fn entries(&self) -> Vec<JournalEntry> {
        lock(&self.entries).iter().cloned().collect()
    }

    /// Forgets every entry.
    pub(crate) fn clear(&self) {
        lock(&self.entries).clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(status: u16) -> JournalEntry {
        JournalEntry {
            time_ms: 0,
            method: "GET".into(),
            path: "/".into(),
            query: String::new(),
            operation: None,
            findings: Vec::new(),
            status,
        }
    }

    #[test]
    fn a_full_journal_drops_its_oldest_entry() {
        let journal = Journal::default();
        for i in 0..=JOURNAL_CAPACITY {
            journal.record(entry((i % 600) as u16));
        }
        let entries = journal.entries();
        assert_eq!(entries.len(), JOURNAL_CAPACITY);
        assert_eq!(entries[0].status, 1);
    }
}
