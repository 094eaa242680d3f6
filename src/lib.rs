#![deny(missing_docs)]
//! vouch: contract tests and a stateful, spec-validated mock for cloud vendor APIs.
//!
//! Data flows one way: [`spec`] loads OpenAPI documents into a [`spec::Catalog`]
//! (resolved references, compiled JSON Schemas, a route table); [`lint`] checks
//! a catalog's specs for the mistakes that would make a contract untrustworthy;
//! [`mock`] serves a catalog as a stateful, vendor-faithful mock; [`check`]
//! holds the contract checks every response goes through; [`fidelity`]
//! compares the mock's answers with a live service's, [`mirror`] reads a
//! live service into fixtures so the mock starts from the same data, and
//! [`record`] turns live traffic into scenarios.
//!
//! [`scenario`] parses scenario files once into typed steps; [`runner`]
//! sends them and produces [`exchange::Exchange`]s, which [`check`] turns
//! into findings and [`report`] shows. The leaves below everything, which
//! import nothing of vouch (or only each other): [`exchange`],
//! [`media_type`], [`redact`], [`live`], [`atomic_file`], [`runtime`] and
//! [`query`]. [`vars`] lists the variables a set of scenarios needs.
//! No module imports one that imports it back (`tests/module_graph.rs`).

pub mod atomic_file;
pub mod check;
pub mod conform;
pub mod coverage;
pub mod exchange;
pub mod fidelity;
pub mod lint;
pub mod live;
pub mod logging;
pub mod media_type;
pub mod mirror;
pub mod mock;
pub mod query;
pub mod record;
pub mod redact;
pub mod report;
pub mod runner;
pub mod runtime;
pub mod scenario;
pub mod spec;
pub mod suite;
pub mod vars;
