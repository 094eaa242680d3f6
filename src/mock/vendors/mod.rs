//! Vendor behaviour: one file per vendor with its state rules, its auth check
//! and its error envelope. The mock core routes, validates and journals; a
//! [`Vendor`] decides what that vendor's real server would answer.

pub mod alaya_cci;
pub mod huawei_apig;
pub mod rainbond;
pub mod zadig;
pub mod zstack;

use super::reply::Reply;
use super::request::{MockRequest, RequestProblem};
use super::store::Store;
use crate::spec::Method;

/// One vendor's server behaviour.
pub trait Vendor: Sync {
    /// The `x-vouch-vendor` name of the specs it serves.
    fn name(&self) -> &'static str;

    /// Whether an unknown path belongs to this vendor (by its prefix).
    fn owns_path(&self, path: &str) -> bool;

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
    /// spec's type (then `handle` sees the request and applies its default).
    fn tolerates(&self, _req: &MockRequest<'_>, _problem: &RequestProblem) -> bool {
        false
    }

    /// The vendor's error envelope for `status` (used by fault injection).
    fn error(&self, status: u16, message: &str) -> Reply;

    /// Serves a valid, authenticated request against the vendor's state.
    fn handle(&self, req: &MockRequest<'_>, store: &mut Store) -> Reply;
}

/// Every built-in vendor.
pub static VENDORS: &[&dyn Vendor] = &[
    &rainbond::Rainbond,
    &alaya_cci::AlayaCci,
    &huawei_apig::HuaweiApig,
    &zstack::ZStack,
    &zadig::Zadig,
];

/// The vendor named by a spec's `x-vouch-vendor`.
pub fn by_name(name: &str) -> Option<&'static dyn Vendor> {
    VENDORS.iter().copied().find(|v| v.name() == name)
}

/// The vendor whose prefix an unknown path carries.
pub fn owning(path: &str) -> Option<&'static dyn Vendor> {
    VENDORS.iter().copied().find(|v| v.owns_path(path))
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
