//! The catalog: every loaded spec and one route table over all their operations.
//! A request routes with or without the base path of its spec's first
//! `servers` URL (`/v1` of `https://api.example.com/v1`; Swagger 2.0's
//! `basePath` becomes that URL when it is read).

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::routes::{Lookup, Method, PathParams, RouteTable};
use super::{Operation, Problem, Spec};

/// Every loaded spec, with one route table and an index by operationId.
#[derive(Debug, Default)]
pub struct Catalog {
    specs: Vec<Spec>,
    /// What is served despite being odd: every spec's warnings, and
    /// templates of one spec colliding (resolved by document order).
    warnings: Vec<Problem>,
    routes: RouteTable<(usize, usize)>,
    by_id: HashMap<String, (usize, usize)>,
    /// Each spec's base path (`/v1`), by spec index, where it has one.
    base_paths: Vec<(usize, String)>,
}

/// Where a request lands in the catalog.
#[derive(Debug)]
pub enum Routed<'c, 'p> {
    /// An operation and its decoded path parameters.
    Operation {
        /// The spec the operation belongs to.
        spec: &'c Spec,
        /// The matched operation.
        operation: &'c Operation,
        /// Path parameters (name, decoded value), in template order.
        params: PathParams<'c, 'p>,
    },
    /// The path is known, not for this method.
    MethodNotAllowed(Vec<Method>),
    /// No operation has this path.
    NotFound,
}

impl Catalog {
    /// Loads and checks every spec; fails with every problem found, so a
    /// catalog that exists can be served.
    pub fn load(paths: &[PathBuf]) -> Result<Catalog, Vec<Problem>> {
        Catalog::from_loaded(paths.iter().map(|p| Spec::load(p)).collect())
    }

    /// A catalog of specs already loaded, failing with every problem found.
    pub fn from_loaded(loaded: Vec<Result<Spec, Problem>>) -> Result<Catalog, Vec<Problem>> {
        let mut specs = Vec::new();
        let mut problems = Vec::new();
        for result in loaded {
            match result {
                Ok(spec) => {
                    problems.extend(spec.problems.iter().cloned());
                    specs.push(spec);
                }
                Err(p) => problems.push(p),
            }
        }
        let (catalog, conflicts) = Catalog::build(specs);
        problems.extend(conflicts);
        if problems.is_empty() {
            Ok(catalog)
        } else {
            Err(problems)
        }
    }

    /// Indexes `specs`, returning the problems that make two operations
    /// indistinguishable (same route in two specs, or same operationId).
    /// Two templates of one spec that could match the same request are a
    /// warning instead ([`Catalog::warnings`]): the one declared first
    /// answers, in the order the spec's authors wrote them.
    pub fn build(specs: Vec<Spec>) -> (Catalog, Vec<Problem>) {
        let mut catalog = Catalog {
            warnings: specs.iter().flat_map(|s| s.warnings.clone()).collect(),
            base_paths: specs
                .iter()
                .enumerate()
                .filter_map(|(i, s)| Some((i, base_path(&s.document.value)?)))
                .collect(),
            specs,
            ..Catalog::default()
        };
        let mut problems = Vec::new();
        for (si, spec) in catalog.specs.iter().enumerate() {
            for (oi, op) in spec.operations.iter().enumerate() {
                if let Err(conflict) = catalog.routes.insert(op.method, &op.path, (si, oi)) {
                    let (osi, ooi) = conflict.value;
                    let other = &catalog.specs[osi].operations[ooi];
                    if osi == si {
                        catalog.warnings.push(spec.problem(
                            &op.pointer,
                            format!(
                                "`{}` ({}) would match the same requests as `{}` ({}), declared before it: those requests go to `{}` (document order)",
                                op.id,
                                op.route(),
                                other.id,
                                other.route(),
                                other.id
                            ),
                        ));
                    } else {
                        problems.push(spec.problem(
                            &op.pointer,
                            format!(
                                "`{}` ({}) would match the same requests as `{}` ({} in {})",
                                op.id,
                                op.route(),
                                other.id,
                                other.route(),
                                catalog.specs[osi].path.display()
                            ),
                        ));
                    }
                }
                if op.has_declared_id
                    && let Some(&(osi, ooi)) = catalog.by_id.get(&op.id)
                {
                    let other = &catalog.specs[osi].operations[ooi];
                    problems.push(spec.problem(
                        &op.pointer,
                        format!(
                            "operationId `{}` is also used by {} in {}",
                            op.id,
                            other.route(),
                            catalog.specs[osi].path.display()
                        ),
                    ));
                } else {
                    catalog.by_id.insert(op.id.clone(), (si, oi));
                }
            }
        }
        (catalog, problems)
    }

    /// What the catalog serves despite being odd (skipped keywords, routes
    /// of one spec that collide), in load order.
    pub fn warnings(&self) -> &[Problem] {
        &self.warnings
    }

    /// The loaded specs.
    pub fn specs(&self) -> &[Spec] {
        &self.specs
    }

    /// The spec named `name` (its file stem).
    pub fn spec(&self, name: &str) -> Option<&Spec> {
        self.specs.iter().find(|s| s.name == name)
    }

    /// The operation with this operationId.
    pub fn operation(&self, id: &str) -> Option<(&Spec, &Operation)> {
        let &(si, oi) = self.by_id.get(id)?;
        Some((&self.specs[si], &self.specs[si].operations[oi]))
    }

    /// Every operation of every spec.
    pub fn operations(&self) -> impl Iterator<Item = (&Spec, &Operation)> {
        self.specs
            .iter()
            .flat_map(|s| s.operations.iter().map(move |o| (s, o)))
    }

    /// Routes a request: `path` without its query string, with or without
    /// its spec's base path.
    pub fn route<'p>(&self, method: Method, path: &'p str) -> Routed<'_, 'p> {
        match self.route_exactly(method, path) {
            Routed::NotFound => self.route_under_base(method, path),
            routed => routed,
        }
    }

    /// `path` routed after the base path of the spec it starts with, to an operation of that spec.
    fn route_under_base<'p>(&self, method: Method, path: &'p str) -> Routed<'_, 'p> {
        for (si, base) in &self.base_paths {
            let Some(rest) = path.strip_prefix(base.as_str()) else {
                continue;
            };
            let rest = if rest.is_empty() { "/" } else { rest };
            if !rest.starts_with('/') {
                continue;
            }
            match self.route_exactly(method, rest) {
                Routed::Operation { spec, .. } if !std::ptr::eq(spec, &self.specs[*si]) => {}
                Routed::NotFound => {}
                routed => return routed,
            }
        }
        Routed::NotFound
    }

    fn route_exactly<'p>(&self, method: Method, path: &'p str) -> Routed<'_, 'p> {
        match self.routes.lookup(method, path) {
            Lookup::Found {
                value: &(si, oi),
                params,
            } => Routed::Operation {
                spec: &self.specs[si],
                operation: &self.specs[si].operations[oi],
                params,
            },
            Lookup::MethodNotAllowed(methods) => Routed::MethodNotAllowed(methods),
            Lookup::NotFound => Routed::NotFound,
        }
    }

    /// The spec files in `dir` (`*.yaml`, `*.yml`, `*.json`), sorted.
    pub fn spec_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
        let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| {
                p.is_file()
                    && p.extension()
                        .and_then(|e| e.to_str())
                        .is_some_and(|e| matches!(e, "yaml" | "yml" | "json"))
            })
            .collect();
        files.sort();
        Ok(files)
    }
}

/// The path of the document's first `servers` URL, its variables at their
/// defaults (`/v1` of `https://{host}/v1`); `None` when it is the root.
fn base_path(doc: &serde_json::Value) -> Option<String> {
    let server = doc.get("servers")?.get(0)?;
    let mut url = server.get("url")?.as_str()?.to_string();
    if let Some(variables) = server.get("variables").and_then(|v| v.as_object()) {
        for (name, variable) in variables {
            let default = variable
                .get("default")
                .and_then(|d| d.as_str())
                .unwrap_or("");
            url = url.replace(&format!("{{{name}}}"), default);
        }
    }
    let path = match url.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("", |at| &rest[at..]),
        None => url.as_str(),
    };
    let path = path
        .split(['?', '#'])
        .next()
        .unwrap_or("")
        .trim_end_matches('/');
    (path.starts_with('/') && !path.contains('{')).then(|| path.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_base_path_is_the_first_server_url_path_with_its_variables() {
        let doc = |servers: serde_json::Value| json!({"servers": servers});
        assert_eq!(
            base_path(&doc(json!([{"url": "https://api.example.com/v1/"}]))).as_deref(),
            Some("/v1")
        );
        assert_eq!(
            base_path(&doc(json!([{"url": "/api/v31"}]))).as_deref(),
            Some("/api/v31")
        );
        assert_eq!(
            base_path(&doc(json!([{"url": "https://{host}/{base}", "variables": {"host": {"default": "h"}, "base": {"default": "v2"}}}]))).as_deref(),
            Some("/v2")
        );
        assert_eq!(
            base_path(&doc(json!([{"url": "https://api.example.com"}]))),
            None
        );
        assert_eq!(base_path(&json!({})), None);
    }
}
