//! The open world (issue 9): vouch's scenario suites must hold against a
//! service vouch did not write. Each module of `tests/independent/` is an
//! independent fake of one vendor API, written from the vendor notes alone
//! (not from vouch's mock or fixtures), with its own identifiers and data
//! (`tests/independent/<vendor>.json`) and the guesses it had to make where
//! the notes leave a status, a code or a text open made differently from the
//! mock. The real CLI runs the vendor's whole `scenarios/<vendor>` suite
//! against the fake through `tests/independent/<vendor>.vars.yaml`, as a
//! team would against its staging service, and must pass; the same fake
//! with one injected fault must make the run exit 1 with a finding on the
//! operation the fault breaks. `vouch fixtures pull` of a fake writes its
//! data as fixtures, and `vouch fidelity`, which mirrors the fake into the
//! mock first, compares like with like (`independent/mirror.rs`).

#[path = "independent/alaya_cci.rs"]
mod alaya_cci;
#[path = "support/fake_server.rs"]
mod fake_server;
#[path = "independent/harness.rs"]
mod harness;
#[path = "independent/huawei_apig.rs"]
mod huawei_apig;
#[path = "independent/mirror.rs"]
mod mirror;
#[path = "independent/rainbond.rs"]
mod rainbond;
#[path = "independent/zadig.rs"]
mod zadig;
#[path = "independent/zstack.rs"]
mod zstack;
