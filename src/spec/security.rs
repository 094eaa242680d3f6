//! Security schemes and requirements: how an operation wants a credential,
//! the one model the mock (which enforces it) and the runner (which sends the
//! target's credential) share.
//!
//! Each Security Scheme Object becomes a [`Credential`], a place a request
//! carries a secret: an `apiKey` in a header, query parameter or cookie;
//! HTTP `basic` (`Authorization: Basic base64(user:password)`); HTTP
//! `bearer`, `oauth2` and `openIdConnect` as a bearer token. A scheme vouch
//! cannot carry (HTTP digest, mutual TLS, ...) is left out of its
//! requirement and reported as a warning. An operation's [`Security`] is the
//! list of its alternatives (its own `security`, else the document's): any
//! one [`Requirement`] suffices, and a requirement needs every credential it
//! names. No requirement (`security: []`) or an empty one (`{}`) means no
//! credential is needed.
//!
//! The secret is one token (`VOUCH_TOKEN[_SPEC]` for the runner, the mock's
//! token for the mock). For HTTP basic a token `user:password` is sent as
//! it is; a token without `:` is the password of an empty user name.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::Value;

/// How a request carries a credential.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    /// A header whose value is `prefix` followed by the secret
    /// (`Authorization: Bearer <t>`, `X-Auth-Token: <t>`).
    Header {
        /// Header name, e.g. `Authorization` or `X-Auth-Token`.
        name: String,
        /// Text before the secret, e.g. `Bearer ` (may be empty).
        prefix: String,
    },
    /// A query parameter holding the secret.
    Query {
        /// Query parameter name, e.g. `token`.
        name: String,
    },
    /// A cookie holding the secret.
    Cookie {
        /// Cookie name, e.g. `session`.
        name: String,
    },
    /// HTTP basic: `Authorization: Basic base64(user:password)`.
    Basic,
}

/// One security requirement: every credential it names, together. Empty:
/// anonymous access is one of the operation's alternatives.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Requirement {
    /// The credentials a request must carry, all of them.
    pub credentials: Vec<Credential>,
}

/// An operation's security: its alternatives, any one of which suffices.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Security {
    /// The requirements in document order; empty: no credential needed.
    pub requirements: Vec<Requirement>,
}

/// A request as the credential check sees it.
pub trait Presented {
    /// The first value of header `name` (any case), as text.
    fn header(&self, name: &str) -> Option<&str>;
    /// The first value of query parameter `name`, decoded.
    fn query(&self, name: &str) -> Option<&str>;
    /// The value of cookie `name` in the `Cookie` header.
    fn cookie(&self, name: &str) -> Option<&str> {
        self.header("cookie")?.split(';').find_map(|pair| {
            let (k, v) = pair.split_once('=')?;
            (k.trim() == name).then(|| v.trim())
        })
    }
}

/// What a request carries for one requirement: headers, query pairs, cookies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Carried {
    /// Headers (name, value) to add.
    pub headers: Vec<(String, String)>,
    /// Query pairs (name, value) to add.
    pub query: Vec<(String, String)>,
    /// Cookies (name, value) to add to the `Cookie` header.
    pub cookies: Vec<(String, String)>,
}

impl Security {
    /// Whether a request without any credential is refused.
    pub fn is_required(&self) -> bool {
        !self.requirements.is_empty() && self.requirements.iter().all(|r| !r.is_anonymous())
    }

    /// Whether `request` may call the operation with `token`: no credential
    /// is required, or it meets one requirement whole.
    pub fn admits(&self, request: &impl Presented, token: &str) -> bool {
        !self.is_required() || self.requirements.iter().any(|r| r.met_by(request, token))
    }

    /// What to send with `token`: the first requirement that names a
    /// credential (a user who gives a token wants its effect even where
    /// anonymous access is an alternative). `None` when none names one.
    pub fn carried(&self, token: &str) -> Option<Carried> {
        let requirement = self.requirements.iter().find(|r| !r.is_anonymous())?;
        Some(requirement.carried(token))
    }

    /// Every credential any requirement names.
    pub fn credentials(&self) -> impl Iterator<Item = &Credential> {
        self.requirements.iter().flat_map(|r| &r.credentials)
    }
}

impl Requirement {
    /// Whether it names no credential (`{}`).
    pub fn is_anonymous(&self) -> bool {
        self.credentials.is_empty()
    }

    fn met_by(&self, request: &impl Presented, token: &str) -> bool {
        self.credentials
            .iter()
            .all(|c| c.carried_by(request, token))
    }

    /// What a request carries for this requirement with `token`.
    pub fn carried(&self, token: &str) -> Carried {
        let mut out = Carried::default();
        for credential in &self.credentials {
            match credential {
                Credential::Header { name, prefix } => {
                    out.headers.push((name.clone(), format!("{prefix}{token}")))
                }
                Credential::Basic => out
                    .headers
                    .push(("Authorization".into(), basic_header(token))),
                Credential::Query { name } => out.query.push((name.clone(), token.to_string())),
                Credential::Cookie { name } => out.cookies.push((name.clone(), token.to_string())),
            }
        }
        out
    }
}

impl Credential {
    /// Whether `request` carries `token` in this credential's place and form.
    pub fn carried_by(&self, request: &impl Presented, token: &str) -> bool {
        match self {
            Credential::Header { name, prefix } => request
                .header(name)
                .and_then(|v| strip_prefix_ignoring_case(v, prefix))
                .is_some_and(|t| t == token),
            Credential::Query { name } => request.query(name) == Some(token),
            Credential::Cookie { name } => request.cookie(name) == Some(token),
            Credential::Basic => request
                .header("authorization")
                .and_then(decode_basic)
                .is_some_and(|pair| basic_matches(&pair, token)),
        }
    }

    /// The header this credential travels in, if it travels in one.
    pub fn header_name(&self) -> Option<&str> {
        match self {
            Credential::Header { name, .. } => Some(name),
            Credential::Basic => Some("Authorization"),
            Credential::Cookie { .. } => Some("Cookie"),
            Credential::Query { .. } => None,
        }
    }
}

/// `text` without `prefix` (compared ignoring ASCII case: `bearer x` is `Bearer x`).
fn strip_prefix_ignoring_case<'t>(text: &'t str, prefix: &str) -> Option<&'t str> {
    let head = text.get(..prefix.len())?;
    head.eq_ignore_ascii_case(prefix)
        .then(|| &text[prefix.len()..])
}

/// The `user:password` a token stands for in HTTP basic: itself when it
/// holds a `:`, else the password of an empty user name.
pub fn basic_pair(token: &str) -> String {
    if token.contains(':') {
        token.to_string()
    } else {
        format!(":{token}")
    }
}

/// The base64 text HTTP basic sends for `token`.
pub fn basic_encoded(token: &str) -> String {
    STANDARD.encode(basic_pair(token))
}

/// The `Authorization` value HTTP basic sends for `token`.
pub fn basic_header(token: &str) -> String {
    format!("Basic {}", basic_encoded(token))
}

/// The `user:password` of an `Authorization: Basic ...` value, if it is one.
pub fn decode_basic(value: &str) -> Option<String> {
    let encoded = strip_prefix_ignoring_case(value, "Basic ")?.trim();
    String::from_utf8(STANDARD.decode(encoded).ok()?).ok()
}

/// Whether a received `user:password` is what `token` stands for. A token
/// without `:` is the password, whatever the user name.
fn basic_matches(pair: &str, token: &str) -> bool {
    pair == token || (!token.contains(':') && pair.split_once(':').is_some_and(|(_, p)| p == token))
}

/// Every form a token travels in beyond itself, for redaction: the base64
/// text of HTTP basic, and the password alone of a `user:password` token.
pub fn secret_forms(token: &str) -> Vec<String> {
    let mut forms = vec![basic_encoded(token)];
    if let Some((_, password)) = token.split_once(':')
        && !password.is_empty()
    {
        forms.push(password.to_string());
    }
    forms
}

/// How a Security Scheme Object carries its secret; `Err` names a scheme
/// vouch cannot carry. `x-vouch-prefix` names a fixed scheme word that an
/// apiKey header carries before the secret.
pub fn credential(scheme: &Value) -> Result<Credential, String> {
    let get = |k: &str| scheme.get(k).and_then(Value::as_str);
    let kind = get("type").unwrap_or_default();
    let unsupported = |what: String| Err(format!("{what} is not supported"));
    match kind {
        "apiKey" => {
            let name = get("name").unwrap_or_default().to_string();
            match get("in").unwrap_or_default() {
                "header" => Ok(Credential::Header {
                    name,
                    prefix: get("x-vouch-prefix").unwrap_or_default().to_string(),
                }),
                "query" => Ok(Credential::Query { name }),
                "cookie" => Ok(Credential::Cookie { name }),
                other => unsupported(format!("an apiKey `in: {other}`")),
            }
        }
        "http" => match get("scheme")
            .unwrap_or_default()
            .to_ascii_lowercase()
            .as_str()
        {
            "bearer" => Ok(bearer()),
            "basic" => Ok(Credential::Basic),
            other => unsupported(format!("HTTP scheme `{other}`")),
        },
        "oauth2" | "openIdConnect" => Ok(bearer()),
        other => unsupported(format!("security scheme type `{other}`")),
    }
}

fn bearer() -> Credential {
    Credential::Header {
        name: "Authorization".into(),
        prefix: "Bearer ".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;
    use serde_json::json;

    /// A request as a list of headers and query pairs.
    struct Sent(
        Vec<(&'static str, String)>,
        Vec<(&'static str, &'static str)>,
    );

    impl Presented for Sent {
        fn header(&self, name: &str) -> Option<&str> {
            self.0
                .iter()
                .find(|(n, _)| n.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.as_str())
        }
        fn query(&self, name: &str) -> Option<&str> {
            self.1.iter().find(|(n, _)| *n == name).map(|(_, v)| *v)
        }
    }

    fn header(name: &'static str, value: &str) -> Sent {
        Sent(vec![(name, value.to_string())], Vec::new())
    }

    #[rstest]
    #[case::api_key_header(json!({"type": "apiKey", "in": "header", "name": "X-Key"}), header("x-key", "t"))]
    #[case::api_key_query(json!({"type": "apiKey", "in": "query", "name": "key"}), Sent(vec![], vec![("key", "t")]))]
    #[case::api_key_cookie(json!({"type": "apiKey", "in": "cookie", "name": "sid"}), header("cookie", "a=1; sid=t"))]
    #[case::bearer(json!({"type": "http", "scheme": "Bearer"}), header("authorization", "bearer t"))]
    #[case::oauth2(json!({"type": "oauth2", "flows": {}}), header("authorization", "Bearer t"))]
    #[case::open_id_connect(json!({"type": "openIdConnect", "openIdConnectUrl": "u"}), header("authorization", "Bearer t"))]
    #[case::basic_any_user(json!({"type": "http", "scheme": "basic"}), header("authorization", "Basic dTp0"))]
    fn each_scheme_admits_the_token_in_its_place_and_nothing_else(
        #[case] scheme: Value,
        #[case] sent: Sent,
    ) {
        let credential = credential(&scheme).unwrap();
        assert!(credential.carried_by(&sent, "t"));
        assert!(!credential.carried_by(&sent, "other"));
        assert!(!credential.carried_by(&Sent(vec![], vec![]), "t"));
    }

    #[test]
    fn basic_sends_a_user_password_token_as_it_is_and_a_bare_one_as_the_password() {
        assert_eq!(
            decode_basic(&basic_header("ann:s3cret")).unwrap(),
            "ann:s3cret"
        );
        assert_eq!(decode_basic(&basic_header("tok")).unwrap(), ":tok");
        let basic = Credential::Basic;
        let pair = header("authorization", &basic_header("ann:s3cret"));
        assert!(basic.carried_by(&pair, "ann:s3cret"));
        assert!(
            !basic.carried_by(&pair, "bob:s3cret"),
            "the user name counts"
        );
        assert!(
            basic.carried_by(&pair, "s3cret"),
            "a bare token is the password"
        );
        assert!(!basic.carried_by(&header("authorization", "Basic !!"), "t"));
    }

    #[test]
    fn alternatives_any_one_and_requirements_every_credential() {
        let key = Credential::Query { name: "k".into() };
        let both = Requirement {
            credentials: vec![key.clone(), bearer()],
        };
        let security = Security {
            requirements: vec![both.clone(), Requirement::default()],
        };
        assert!(!security.is_required(), "`{{}}` makes it optional");
        let strict = Security {
            requirements: vec![both],
        };
        let only_key = Sent(vec![], vec![("k", "t")]);
        assert!(!strict.admits(&only_key, "t"));
        let key_and_bearer = Sent(vec![("authorization", "Bearer t".into())], vec![("k", "t")]);
        assert!(strict.admits(&key_and_bearer, "t"));
        assert!(Security::default().admits(&Sent(vec![], vec![]), "t"));
        let carried = strict.carried("t").unwrap();
        assert_eq!(carried.query, [("k".to_string(), "t".to_string())]);
        assert_eq!(
            carried.headers,
            [("Authorization".to_string(), "Bearer t".to_string())]
        );
    }

    #[test]
    fn a_scheme_vouch_cannot_carry_is_named() {
        let digest = credential(&json!({"type": "http", "scheme": "digest"})).unwrap_err();
        assert!(digest.contains("`digest`"), "{digest}");
    }
}
