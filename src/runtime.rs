//! Building the tokio runtime, in one place for the command line, the test
//! harnesses and the benchmarks.

use tokio::runtime::{Builder, Runtime};

/// A runtime on every core, for `vouch run`, `fidelity` and `record`.
pub fn multi_thread() -> std::io::Result<Runtime> {
    Builder::new_multi_thread().enable_all().build()
}

/// A runtime on the calling thread, for one scenario or one test server.
pub fn current_thread() -> std::io::Result<Runtime> {
    Builder::new_current_thread().enable_all().build()
}
