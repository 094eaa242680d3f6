//! Which handler serves which spec, decided once when the mock is built: a
//! spec whose `x-vouch-vendor` names a built-in vendor is served by that
//! vendor (specs naming the same vendor share one handler and its state);
//! any other spec by its own [`Crud`] inference. The core looks the handler
//! up per request by the routed spec, with no branch on the kind of handler.

use std::sync::Arc;

use serde_json::{Map, Value};

use super::fixtures::Fixtures;
use super::generic::Crud;
use super::vendors::{self, Bound, Handler};
use crate::spec::{Catalog, Spec};

/// The handlers of the loaded specs.
pub struct Handlers {
    /// One per spec, in catalog order.
    by_spec: Vec<Arc<dyn Handler>>,
    /// Each handler once, in catalog order.
    distinct: Vec<Arc<dyn Handler>>,
}

impl Handlers {
    /// Binds every spec of `catalog` to its handler, built-in vendors from `fixtures`.
    pub fn new(catalog: &Catalog, fixtures: &Fixtures) -> Handlers {
        let mut distinct: Vec<Arc<dyn Handler>> = Vec::new();
        let mut by_spec = Vec::new();
        for spec in catalog.specs() {
            let name = spec.vendor.as_deref().unwrap_or(&spec.name);
            let shared = distinct.iter().find(|h| h.name() == name).cloned();
            let handler = shared.unwrap_or_else(|| {
                let handler = bind(spec, fixtures);
                distinct.push(handler.clone());
                handler
            });
            warn_unserved(spec, handler.as_ref());
            by_spec.push(handler);
        }
        Handlers { by_spec, distinct }
    }

    /// The handler of `spec`, a spec of the catalog the handlers were built from.
    pub fn of(&self, spec: &Spec, catalog: &Catalog) -> Option<&dyn Handler> {
        let index = catalog.specs().iter().position(|s| std::ptr::eq(s, spec))?;
        self.by_spec.get(index).map(Arc::as_ref)
    }

    /// The handler whose vendor claims the prefix of an unknown `path`.
    pub fn owning(&self, path: &str) -> Option<&dyn Handler> {
        self.distinct
            .iter()
            .find(|h| h.owns_path(path))
            .map(Arc::as_ref)
    }

    /// Every handler's state, under its name.
    pub fn state_json(&self) -> Value {
        let states: Map<String, Value> = self
            .distinct
            .iter()
            .map(|h| (h.name().to_string(), h.state_json()))
            .collect();
        Value::Object(states)
    }

    /// Every handler back to its fixtures.
    pub fn reset(&self) {
        self.distinct.iter().for_each(|h| h.reset());
    }
}

/// The built-in vendor the spec names, else the CRUD inference for the spec.
fn bind(spec: &Spec, fixtures: &Fixtures) -> Arc<dyn Handler> {
    spec.vendor
        .as_deref()
        .and_then(|name| vendors::bind(name, fixtures.source()))
        .unwrap_or_else(|| Arc::new(Bound::new(&spec.name, Crud::new(spec), Default::default())))
}

/// Says when a spec has operations its vendor does not serve (they answer 501).
fn warn_unserved(spec: &Spec, handler: &dyn Handler) {
    let served = handler.operations();
    let unserved: Vec<&str> = spec
        .operations
        .iter()
        .filter(|o| !served.contains(&o.id.as_str()))
        .map(|o| o.id.as_str())
        .collect();
    if !unserved.is_empty() {
        tracing::warn!(
            spec = %spec.name,
            vendor = handler.name(),
            operations = ?unserved,
            "the vendor does not serve these operations: the mock answers them 501"
        );
    }
}
