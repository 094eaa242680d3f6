#![deny(missing_docs)]
//! vouch: contract tests and a stateful, spec-validated mock for cloud vendor APIs.
//!
//! Data flows one way: [`spec`] loads OpenAPI documents into a [`spec::Catalog`]
//! (resolved references, compiled JSON Schemas, a route table); [`lint`] checks
//! a catalog's specs for the mistakes that would make a contract untrustworthy;
//! [`mock`] serves a catalog as a stateful, vendor-faithful mock; [`check`]
//! holds the contract checks every response goes through; [`fidelity`]
//! compares the mock's answers with a live service's, and [`record`] turns
//! live traffic into scenarios.

pub mod check;
pub mod coverage;
pub mod fidelity;
pub mod lint;
pub mod logging;
pub mod mock;
pub mod query;
pub mod record;
pub mod report;
pub mod runner;
pub mod scenario;
pub mod spec;
pub mod suite;
