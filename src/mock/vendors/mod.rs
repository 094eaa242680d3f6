//! Vendor behaviour: one module per vendor with its state rules, its auth
//! check, its error envelope and the table of operations it serves. The mock
//! core routes, validates and journals; a [`Vendor`] decides what that
//! vendor's real server would answer. The generic CRUD for a user's own spec
//! (the mock's `generic` module) is one more [`Vendor`].
//!
//! At mock construction each vendor is bound once into a [`Handler`]: the
//! vendor, its own section of the fixtures and its own state behind its own
//! lock. A handler reaches no other handler's state. An operation that the
//! vendor's table lacks is not served: the core answers it with the vendor's
//! [`Vendor::error`] envelope and status 501 and journals a finding (see
//! [`super`]).

pub mod alaya_cci;
pub mod huawei_apig;
pub mod mirror;
pub mod rainbond;
pub mod zadig;
pub mod zstack;

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::lock;
use super::replay::{StateVersion, Versions};
use super::reply::Reply;
use super::request::{MockRequest, RequestProblem};
use super::section::{self, Source};
use crate::spec::Method;

/// A vendor's answer to one operation; `Err` is an error answer that ends
/// the request early (so handlers can use `?`).
pub type Answer = Result<Reply, Reply>;

/// Serves one operation of a vendor against that vendor's state.
pub enum Serve<S> {
    /// A read whose answer depends only on the request and the state (not on
    /// the clock, nor on chance): the core may replay its answer to the same
    /// request until the state changes (see the mock's `replay` module).
    Read(fn(&S, &MockRequest<'_>) -> Answer),
    /// Anything else: it may change the state, or answer by the clock or by chance.
    Write(fn(&mut S, &MockRequest<'_>) -> Answer),
}

impl<S> Clone for Serve<S> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<S> Copy for Serve<S> {}

impl From<Reply> for Served {
    /// An answer that is not to be replayed.
    fn from(reply: Reply) -> Served {
        Served { reply, read: None }
    }
}

/// A handler's answer to a served operation.
pub struct Served {
    /// The answer.
    pub reply: Reply,
    /// For a [`Serve::Read`]: the version of the state it read, so the
    /// answer may be replayed while that version is current.
    pub read: Option<StateVersion>,
}

/// One vendor's server behaviour: its state, its operations and its ways of
/// refusing a request.
pub trait Vendor: Send + Sync + 'static {
    /// Its section of the fixtures file.
    type Fixtures: DeserializeOwned + Default + Send + Sync;

    /// What it remembers between requests (shown by `GET /__vouch/state`).
    type State: Serialize + Send;

    /// A fresh state holding exactly `fixtures`.
    fn state(&self, fixtures: &Self::Fixtures) -> Self::State;

    /// The operations it serves: operationId and the function that serves it.
    fn operations(&self) -> Vec<(&str, Serve<Self::State>)>;

    /// Whether an unknown path belongs to this vendor (by its prefix).
    fn owns_path(&self, _path: &str) -> bool {
        false
    }

    /// The vendor's answer for an unknown path under its prefix.
    fn not_found(&self, path: &str) -> Reply;

    /// The vendor's answer for a known path with a wrong method (the core adds `Allow`).
    fn method_not_allowed(&self) -> Reply;

    /// `None` when the request carries `token` the way this vendor expects;
    /// otherwise the vendor's authentication failure.
    fn authenticate(&self, req: &MockRequest<'_>, token: &str) -> Option<Reply>;

    /// The vendor's answer to a request that breaks the operation's rules.
    fn invalid_request(&self, req: &MockRequest<'_>, problem: &RequestProblem) -> Reply;

    /// Whether the vendor's server quietly accepts a parameter that breaks the
    /// spec's type (then the operation sees the request and applies its default).
    fn tolerates(&self, _req: &MockRequest<'_>, _problem: &RequestProblem) -> bool {
        false
    }

    /// The vendor's error envelope for `status` (fault injection, unserved operations).
    fn error(&self, status: u16, message: &str) -> Reply;

    /// Its fixtures section mirroring a live service, as a fixtures file
    /// would hold it: built from the live answers to its spec's read
    /// operations for the resources `vars` name (see [`mirror`]). `None` when
    /// the variables name none of its resources (the default: nothing to
    /// mirror). What it reads and does not have yet it asks `reads` for.
    fn mirror(&self, _vars: &mirror::Vars, _reads: &mut mirror::Reads) -> Option<Value> {
        None
    }
}

/// A vendor bound to its fixtures and its state: what the core calls.
pub trait Handler: Send + Sync {
    /// The key of its state in `GET /__vouch/state` (the vendor or spec name).
    fn name(&self) -> &str;
    /// See [`Vendor::owns_path`].
    fn owns_path(&self, path: &str) -> bool;
    /// See [`Vendor::not_found`].
    fn not_found(&self, path: &str) -> Reply;
    /// See [`Vendor::method_not_allowed`].
    fn method_not_allowed(&self) -> Reply;
    /// See [`Vendor::authenticate`].
    fn authenticate(&self, req: &MockRequest<'_>, token: &str) -> Option<Reply>;
    /// See [`Vendor::invalid_request`].
    fn invalid_request(&self, req: &MockRequest<'_>, problem: &RequestProblem) -> Reply;
    /// See [`Vendor::tolerates`].
    fn tolerates(&self, req: &MockRequest<'_>, problem: &RequestProblem) -> bool;
    /// See [`Vendor::error`].
    fn error(&self, status: u16, message: &str) -> Reply;
    /// The operationIds it serves, sorted.
    fn operations(&self) -> Vec<&str>;
    /// Serves a valid, authenticated request under this handler's own lock;
    /// `None` when the vendor does not serve the operation.
    fn serve(&self, req: &MockRequest<'_>) -> Option<Served>;
    /// Its state as JSON.
    fn state_json(&self) -> Value;
    /// Back to its fixtures.
    fn reset(&self);
}

/// A [`Vendor`] with its name, fixtures, operation table and state.
pub struct Bound<V: Vendor> {
    name: String,
    vendor: V,
    fixtures: V::Fixtures,
    serves: HashMap<String, Serve<V::State>>,
    state: Mutex<V::State>,
    /// Counts the changes of `state` (every write and reset), under its lock.
    version: Versions,
}

impl<V: Vendor> Bound<V> {
    /// Binds `vendor` under `name`, starting from `fixtures`.
    pub fn new(name: &str, vendor: V, fixtures: V::Fixtures) -> Bound<V> {
        let serves = vendor
            .operations()
            .into_iter()
            .map(|(id, serve)| (id.to_string(), serve))
            .collect();
        Bound {
            name: name.to_string(),
            state: Mutex::new(vendor.state(&fixtures)),
            vendor,
            fixtures,
            serves,
            version: Versions::default(),
        }
    }
}

impl<V: Vendor> Handler for Bound<V> {
    fn name(&self) -> &str {
        &self.name
    }

    fn owns_path(&self, path: &str) -> bool {
        self.vendor.owns_path(path)
    }

    fn not_found(&self, path: &str) -> Reply {
        self.vendor.not_found(path)
    }

    fn method_not_allowed(&self) -> Reply {
        self.vendor.method_not_allowed()
    }

    fn authenticate(&self, req: &MockRequest<'_>, token: &str) -> Option<Reply> {
        self.vendor.authenticate(req, token)
    }

    fn invalid_request(&self, req: &MockRequest<'_>, problem: &RequestProblem) -> Reply {
        self.vendor.invalid_request(req, problem)
    }

    fn tolerates(&self, req: &MockRequest<'_>, problem: &RequestProblem) -> bool {
        self.vendor.tolerates(req, problem)
    }

    fn error(&self, status: u16, message: &str) -> Reply {
        self.vendor.error(status, message)
    }

    fn operations(&self) -> Vec<&str> {
        let mut ids: Vec<&str> = self.serves.keys().map(String::as_str).collect();
        ids.sort_unstable();
        ids
    }

    fn serve(&self, req: &MockRequest<'_>) -> Option<Served> {
        let serve = self.serves.get(req.operation.id.as_str())?;
        let mut state = lock(&self.state);
        Some(match serve {
            Serve::Read(read) => Served {
                reply: read(&state, req).unwrap_or_else(|refusal| refusal),
                read: Some(self.version.current()),
            },
            Serve::Write(write) => {
                let reply = write(&mut state, req).unwrap_or_else(|refusal| refusal);
                self.version.advance();
                Served { reply, read: None }
            }
        })
    }

    fn state_json(&self) -> Value {
        serde_json::to_value(&*lock(&self.state)).unwrap_or_default()
    }

    fn reset(&self) {
        let mut state = lock(&self.state);
        *state = self.vendor.state(&self.fixtures);
        self.version.advance();
    }
}

/// A built-in vendor as the registry holds it: it reads its section of a
/// fixtures file and binds itself. Every `Copy` vendor (the built-in ones are
/// unit structs) is one.
trait Builtin: Sync {
    /// Its section of the fixtures, checked, without binding.
    fn check(&self, name: &str, fixtures: Source<'_>) -> Result<(), String>;
    /// Bound to its section of the fixtures (empty when the section does not
    /// read: loading the fixtures checked it already).
    fn bind(&self, name: &str, fixtures: Source<'_>) -> Arc<dyn Handler>;
    /// See [`Vendor::mirror`].
    fn mirror(&self, vars: &mirror::Vars, reads: &mut mirror::Reads) -> Option<Value>;
}

impl<V: Vendor + Copy> Builtin for V {
    fn check(&self, name: &str, fixtures: Source<'_>) -> Result<(), String> {
        section::parse::<V::Fixtures>(fixtures, name, &SECTIONS).map(drop)
    }

    fn bind(&self, name: &str, fixtures: Source<'_>) -> Arc<dyn Handler> {
        let fixtures =
            section::parse::<V::Fixtures>(fixtures, name, &SECTIONS).unwrap_or_else(|problem| {
                tracing::error!(%problem, "fixtures section unreadable: it starts empty");
                V::Fixtures::default()
            });
        Arc::new(Bound::new(name, *self, fixtures))
    }

    fn mirror(&self, vars: &mirror::Vars, reads: &mut mirror::Reads) -> Option<Value> {
        Vendor::mirror(self, vars, reads)
    }
}

/// Every built-in vendor by its `x-vouch-vendor` name, which is also the
/// name of its fixtures section and of its state.
static BUILTIN: &[(&str, &dyn Builtin)] = &[
    ("rainbond", &rainbond::Rainbond),
    ("alaya-cci", &alaya_cci::AlayaCci),
    ("huawei-apig", &huawei_apig::HuaweiApig),
    ("zstack", &zstack::ZStack),
    ("zadig", &zadig::Zadig),
];

/// The sections a fixtures file may have.
static SECTIONS: LazyLock<Vec<&'static str>> =
    LazyLock::new(|| BUILTIN.iter().map(|(name, _)| *name).collect());

/// Checks every vendor's section of the fixtures.
pub fn check_fixtures(fixtures: Source<'_>) -> Result<(), String> {
    BUILTIN
        .iter()
        .try_for_each(|(name, vendor)| vendor.check(name, fixtures))
}

/// The built-in vendor `name` bound to its section of the fixtures; `None`
/// when no built-in vendor has that name.
pub fn bind(name: &str, fixtures: Source<'_>) -> Option<Arc<dyn Handler>> {
    let (name, vendor) = BUILTIN.iter().find(|(n, _)| *n == name)?;
    Some(vendor.bind(name, fixtures))
}

/// The fixtures section of the built-in vendor `name` mirroring a live
/// service (see [`Vendor::mirror`]); `None` when no built-in vendor has that
/// name or the variables name none of its resources.
pub fn mirror_section(name: &str, vars: &mirror::Vars, reads: &mut mirror::Reads) -> Option<Value> {
    let (_, vendor) = BUILTIN.iter().find(|(n, _)| *n == name)?;
    vendor.mirror(vars, reads)
}

/// `Authorization`-style check shared by the vendors: the header `name`
/// must be exactly `prefix` + `token`.
pub fn header_carries(req: &MockRequest<'_>, name: &str, prefix: &str, token: &str) -> bool {
    req.header(name)
        .and_then(|v| v.strip_prefix(prefix))
        .is_some_and(|t| t == token)
}

/// Methods as an `Allow` header value.
pub fn allow_header(methods: &[Method]) -> String {
    methods
        .iter()
        .map(|m| m.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::mock::fixtures::Fixtures;
    use crate::spec::Catalog;

    /// Every operation of every built-in vendor's spec has a handler in the
    /// vendor's table, and the table names no operation the spec lacks.
    #[test]
    fn each_vendor_table_serves_exactly_the_operations_of_its_spec() {
        let catalog = Catalog::builtin().expect("built-in specs load");
        for (name, vendor) in BUILTIN {
            let handler = vendor.bind(name, Fixtures::default().source());
            let served: BTreeSet<&str> = handler.operations().into_iter().collect();
            let declared: BTreeSet<&str> = catalog
                .specs()
                .iter()
                .filter(|s| s.vendor.as_deref() == Some(name))
                .flat_map(|s| s.operations.iter().map(|o| o.id.as_str()))
                .collect();
            let unserved: Vec<_> = declared.difference(&served).collect();
            let undeclared: Vec<_> = served.difference(&declared).collect();
            assert!(
                unserved.is_empty(),
                "{name}: operations of its spec with no handler: {unserved:?}"
            );
            assert!(
                undeclared.is_empty(),
                "{name}: handlers for operations its spec lacks: {undeclared:?}"
            );
            assert!(!declared.is_empty(), "{name}: no spec names this vendor");
        }
    }

    #[test]
    fn each_built_in_vendor_reads_its_own_section_of_the_default_fixtures() {
        let fixtures = Fixtures::builtin().expect("default fixtures read");
        for (name, vendor) in BUILTIN {
            let state = vendor.bind(name, fixtures.source()).state_json();
            let empty = vendor.bind(name, Fixtures::default().source()).state_json();
            assert_ne!(
                state, empty,
                "{name}: its section of the default fixtures is unread"
            );
        }
    }
}
