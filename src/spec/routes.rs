//! The route table: from a method and a concrete path to an operation and its
//! path parameters.
//!
//! Templates are stored in a segment tree, so a lookup costs the depth of the
//! path, not the number of operations. At each segment a literal beats a
//! parameter with fixed text around it (`v{version}`), which beats a bare
//! parameter; when a preferred branch leads nowhere for the request's method
//! the search backs up and tries the next, as the vendors' own routers do
//! (`/environments/production` never reaches `/environments/{name}`, but
//! `GET /environments/envcfgs` does when only `PUT` is registered literally).
//!
//! Paths are compared segment by segment after percent-decoding each segment,
//! so `%2F` stays inside a parameter value; one trailing slash is ignored.

use std::borrow::Cow;
use std::collections::BTreeMap;

use percent_encoding::percent_decode_str;

/// An HTTP method as OpenAPI names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Method {
    /// `GET`.
    Get,
    /// `PUT`.
    Put,
    /// `POST`.
    Post,
    /// `DELETE`.
    Delete,
    /// `OPTIONS`.
    Options,
    /// `HEAD`.
    Head,
    /// `PATCH`.
    Patch,
    /// `TRACE`.
    Trace,
}

impl Method {
    /// Every method, in OpenAPI's order.
    pub const ALL: [Method; 8] = [
        Method::Get,
        Method::Put,
        Method::Post,
        Method::Delete,
        Method::Options,
        Method::Head,
        Method::Patch,
        Method::Trace,
    ];

    /// Upper-case name, as on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Put => "PUT",
            Method::Post => "POST",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
            Method::Head => "HEAD",
            Method::Patch => "PATCH",
            Method::Trace => "TRACE",
        }
    }

    /// Parses a method name in any case.
    pub fn parse(name: &str) -> Option<Method> {
        Method::ALL
            .into_iter()
            .find(|m| m.as_str().eq_ignore_ascii_case(name))
    }
}

impl std::fmt::Display for Method {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a request lands.
#[derive(Debug, PartialEq, Eq)]
pub enum Lookup<'t, 'p, T> {
    /// An operation, with its path parameters decoded (in template order).
    Found {
        /// The value stored for the matched template.
        value: &'t T,
        /// Path parameters (name, decoded value), in template order.
        params: PathParams<'t, 'p>,
    },
    /// The path exists, but not for this method; these methods are allowed.
    MethodNotAllowed(Vec<Method>),
    /// No template matches the path.
    NotFound,
}

/// Path parameters (name, decoded value), in template order: the name
/// borrowed from the table, the value from the request path unless decoding
/// changed it.
pub type PathParams<'t, 'p> = Vec<(&'t str, Cow<'p, str>)>;

/// A template that could match the same requests as one already in the table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict<T> {
    /// The template already in the table.
    pub existing: String,
    /// The value stored for it.
    pub value: T,
}

/// Maps (method, path template) to values of type `T`.
#[derive(Debug)]
pub struct RouteTable<T> {
    root: Node<T>,
}

impl<T> Default for RouteTable<T> {
    fn default() -> Self {
        Self {
            root: Node::default(),
        }
    }
}

#[derive(Debug)]
struct Node<T> {
    literals: BTreeMap<String, Node<T>>,
    /// Parameter branches, most specific (longest fixed text) first.
    params: Vec<ParamBranch<T>>,
    endpoints: Vec<Endpoint<T>>,
}

/// An operation's place in the table: its method, template, the names of
/// the template's parameters in order, and the value stored.
#[derive(Debug)]
struct Endpoint<T> {
    method: Method,
    template: String,
    names: Vec<String>,
    value: T,
}

impl<T> Default for Node<T> {
    fn default() -> Self {
        Self {
            literals: BTreeMap::new(),
            params: Vec::new(),
            endpoints: Vec::new(),
        }
    }
}

#[derive(Debug)]
struct ParamBranch<T> {
    prefix: String,
    suffix: String,
    node: Node<T>,
}

impl<T> ParamBranch<T> {
    /// The parameter's value in `segment`, borrowed when the segment is.
    fn capture<'p>(&self, segment: &Cow<'p, str>) -> Option<Cow<'p, str>> {
        match segment {
            Cow::Borrowed(whole) => self.value_in(whole).map(Cow::Borrowed),
            Cow::Owned(whole) => self.value_in(whole).map(|v| Cow::Owned(v.to_string())),
        }
    }

    fn value_in<'s>(&self, segment: &'s str) -> Option<&'s str> {
        let rest = segment.strip_prefix(self.prefix.as_str())?;
        let value = rest.strip_suffix(self.suffix.as_str())?;
        (!value.is_empty()).then_some(value)
    }
}

enum TemplateSegment<'a> {
    Literal(&'a str),
    Param {
        prefix: &'a str,
        name: &'a str,
        suffix: &'a str,
    },
}

fn parse_template_segment(segment: &str) -> TemplateSegment<'_> {
    if let (Some(open), Some(close)) = (segment.find('{'), segment.rfind('}'))
        && open < close
    {
        return TemplateSegment::Param {
            prefix: &segment[..open],
            name: &segment[open + 1..close],
            suffix: &segment[close + 1..],
        };
    }
    TemplateSegment::Literal(segment)
}

fn split(path: &str) -> impl Iterator<Item = &str> {
    let path = path.strip_prefix('/').unwrap_or(path);
    let path = path.strip_suffix('/').unwrap_or(path);
    path.split('/').filter(|_| !path.is_empty())
}

/// A request path segment percent-decoded; one without `%` is used as it is
/// (most are, and the decoder's scan and UTF-8 check cost more than the route).
fn decoded(segment: &str) -> Cow<'_, str> {
    if segment.contains('%') {
        percent_decode_str(segment).decode_utf8_lossy()
    } else {
        Cow::Borrowed(segment)
    }
}

impl<T: Clone> RouteTable<T> {
    /// Adds `template` (OpenAPI `{param}` syntax) for `method`. Fails when a
    /// template of equal precedence already answers the same method.
    pub fn insert(&mut self, method: Method, template: &str, value: T) -> Result<(), Conflict<T>> {
        let mut node = &mut self.root;
        for segment in split(template) {
            node = match parse_template_segment(segment) {
                TemplateSegment::Literal(text) => {
                    let key = percent_decode_str(text).decode_utf8_lossy().into_owned();
                    node.literals.entry(key).or_default()
                }
                TemplateSegment::Param { prefix, suffix, .. } => {
                    let at = node
                        .params
                        .iter()
                        .position(|b| b.prefix == prefix && b.suffix == suffix);
                    let at = at.unwrap_or_else(|| {
                        let fixed = prefix.len() + suffix.len();
                        let at = node
                            .params
                            .iter()
                            .position(|b| b.prefix.len() + b.suffix.len() < fixed)
                            .unwrap_or(node.params.len());
                        node.params.insert(
                            at,
                            ParamBranch {
                                prefix: prefix.into(),
                                suffix: suffix.into(),
                                node: Node::default(),
                            },
                        );
                        at
                    });
                    &mut node.params[at].node
                }
            };
        }
        if let Some(existing) = node.endpoints.iter().find(|e| e.method == method) {
            return Err(Conflict {
                existing: existing.template.clone(),
                value: existing.value.clone(),
            });
        }
        let names = split(template)
            .filter_map(|s| match parse_template_segment(s) {
                TemplateSegment::Param { name, .. } => Some(name.to_string()),
                TemplateSegment::Literal(_) => None,
            })
            .collect();
        node.endpoints.push(Endpoint {
            method,
            template: template.to_string(),
            names,
            value,
        });
        Ok(())
    }
}

impl<T> RouteTable<T> {
    /// Finds the operation for `method` and a concrete `path` (no query string).
    pub fn lookup<'p>(&self, method: Method, path: &'p str) -> Lookup<'_, 'p, T> {
        let segments: Vec<Cow<'p, str>> = split(path).map(decoded).collect();
        let mut params = Vec::new();
        if let Some(endpoint) = find(&self.root, &segments, Some(method), &mut params) {
            return Lookup::Found {
                value: &endpoint.value,
                params: endpoint
                    .names
                    .iter()
                    .map(String::as_str)
                    .zip(params)
                    .collect(),
            };
        }
        let mut allowed = Vec::new();
        collect_methods(&self.root, &segments, &mut allowed);
        if allowed.is_empty() {
            Lookup::NotFound
        } else {
            allowed.sort();
            allowed.dedup();
            Lookup::MethodNotAllowed(allowed)
        }
    }

    /// Every (method, template, value) in the table.
    pub fn iter(&self) -> impl Iterator<Item = (Method, &str, &T)> {
        let mut stack = vec![&self.root];
        let mut out = Vec::new();
        while let Some(node) = stack.pop() {
            out.extend(
                node.endpoints
                    .iter()
                    .map(|e| (e.method, e.template.as_str(), &e.value)),
            );
            stack.extend(node.literals.values());
            stack.extend(node.params.iter().map(|b| &b.node));
        }
        out.into_iter()
    }
}

/// Depth-first search, literal first; `params` collects captured values.
fn find<'t, 'p, T>(
    node: &'t Node<T>,
    segments: &[Cow<'p, str>],
    method: Option<Method>,
    params: &mut Vec<Cow<'p, str>>,
) -> Option<&'t Endpoint<T>> {
    let Some((head, rest)) = segments.split_first() else {
        return node
            .endpoints
            .iter()
            .find(|e| method.is_none_or(|want| e.method == want));
    };
    if let Some(child) = node.literals.get(head.as_ref())
        && let Some(found) = find(child, rest, method, params)
    {
        return Some(found);
    }
    for branch in &node.params {
        if let Some(value) = branch.capture(head) {
            params.push(value);
            if let Some(found) = find(&branch.node, rest, method, params) {
                return Some(found);
            }
            params.pop();
        }
    }
    None
}

fn collect_methods<T>(node: &Node<T>, segments: &[Cow<'_, str>], out: &mut Vec<Method>) {
    let Some((head, rest)) = segments.split_first() else {
        out.extend(node.endpoints.iter().map(|e| e.method));
        return;
    };
    if let Some(child) = node.literals.get(head.as_ref()) {
        collect_methods(child, rest, out);
    }
    for branch in &node.params {
        if branch.value_in(head).is_some() {
            collect_methods(&branch.node, rest, out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Method::*;

    fn table(routes: &[(Method, &'static str)]) -> RouteTable<&'static str> {
        let mut t = RouteTable::default();
        for (m, p) in routes {
            t.insert(*m, p, *p).unwrap();
        }
        t
    }

    fn found(
        t: &RouteTable<&'static str>,
        m: Method,
        path: &str,
    ) -> (&'static str, Vec<(String, String)>) {
        match t.lookup(m, path) {
            Lookup::Found { value, params } => (
                *value,
                params
                    .into_iter()
                    .map(|(k, v)| (k.to_string(), v.into_owned()))
                    .collect(),
            ),
            other => panic!("{m} {path}: {other:?}"),
        }
    }

    #[test]
    fn literal_segment_beats_template() {
        let t = table(&[
            (Get, "/envs/{name}"),
            (Get, "/envs/production"),
            (Get, "/envs/production/{name}"),
        ]);
        assert_eq!(found(&t, Get, "/envs/production").0, "/envs/production");
        assert_eq!(found(&t, Get, "/envs/dev").0, "/envs/{name}");
        let (v, p) = found(&t, Get, "/envs/production/prod-1");
        assert_eq!(v, "/envs/production/{name}");
        assert_eq!(p, vec![("name".to_string(), "prod-1".to_string())]);
    }

    #[test]
    fn backs_up_to_template_when_literal_lacks_the_method() {
        let t = table(&[(Put, "/envs/envcfgs"), (Get, "/envs/{name}")]);
        assert_eq!(found(&t, Get, "/envs/envcfgs").0, "/envs/{name}");
        assert_eq!(found(&t, Put, "/envs/envcfgs").0, "/envs/envcfgs");
    }

    #[test]
    fn percent_encoded_segments_are_decoded_once() {
        let t = table(&[(Get, "/a/{id}/b"), (Get, "/caf\u{e9}")]);
        let (_, p) = found(&t, Get, "/a/x%2Fy%20z/b");
        assert_eq!(p[0].1, "x/y z");
        assert_eq!(found(&t, Get, "/caf%C3%A9").0, "/caf\u{e9}");
    }

    #[test]
    fn one_trailing_slash_is_ignored() {
        let t = table(&[(Get, "/a/{id}")]);
        assert_eq!(found(&t, Get, "/a/1/").0, "/a/{id}");
        assert_eq!(t.lookup(Get, "/a/1//"), Lookup::NotFound);
    }

    #[test]
    fn unknown_paths_and_methods() {
        let t = table(&[(Get, "/a/{id}"), (Delete, "/a/{id}")]);
        assert_eq!(t.lookup(Get, "/b/1"), Lookup::NotFound);
        assert_eq!(t.lookup(Get, "/a"), Lookup::NotFound);
        assert_eq!(t.lookup(Get, "/a/1/extra"), Lookup::NotFound);
        assert_eq!(
            t.lookup(Post, "/a/1"),
            Lookup::MethodNotAllowed(vec![Get, Delete])
        );
    }

    #[test]
    fn fixed_text_around_a_parameter_beats_a_bare_parameter() {
        let t = table(&[(Get, "/x/{any}"), (Get, "/x/v{version}.json")]);
        assert_eq!(found(&t, Get, "/x/v2.json").1[0].1, "2");
        assert_eq!(found(&t, Get, "/x/other").0, "/x/{any}");
    }

    #[test]
    fn equal_precedence_templates_conflict() {
        let mut t = table(&[(Get, "/a/{id}")]);
        let err = t.insert(Get, "/a/{name}", "dup").unwrap_err();
        assert_eq!(err.existing, "/a/{id}");
        assert!(t.insert(Post, "/a/{name}", "ok").is_ok());
    }
}
