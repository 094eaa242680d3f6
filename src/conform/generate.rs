//! Cases per operation, from its spec alone: positive (the example, the
//! required fields only, every field, boundary values), negative (one
//! constraint broken at a time, and a body that is not JSON), auth (no credential, a wrong one), a method
//! the path does not declare, and the create-read-update-delete sequence of
//! a collection or of a create's OpenAPI links ([`links`]). Every body and
//! parameter value is checked against the spec's compiled schema before it
//! becomes a case: a positive value must validate and a negative one must
//! not, so a case never asserts a guess.

mod links;

use serde_json::{Map, Value, json};

use super::case::{Call, Case, CaseStep, Kind};
use super::values::{Schemas, Variant};
use crate::spec::{Credential, Method, Operation, ParameterLocation, Spec, StatusKey};

/// What every operation's cases draw on.
pub(crate) struct Context<'a> {
    /// The operation's spec.
    pub spec: &'a Spec,
    /// Values of path, query and header parameters, by parameter name (`--vars`).
    pub vars: &'a crate::scenario::template::Vars,
    /// Draws the values inside ranges and the order cases are kept in.
    pub rng: fastrand::Rng,
}

impl Context<'_> {
    fn schemas(&self) -> Schemas<'_> {
        Schemas::new(&self.spec.document.value)
    }

    /// Every case for `op`, the example first.
    pub fn cases(&mut self, op: &Operation) -> Vec<Case> {
        let Some(base) = self.base(op) else {
            return Vec::new();
        };
        let mut out = vec![Case {
            operation: op.id.clone(),
            kind: Kind::Positive,
            title: "the example".into(),
            steps: vec![base.clone()],
        }];
        out.extend(self.body_cases(op, &base));
        out.extend(self.malformed_case(op, &base));
        out.extend(self.query_cases(op, &base));
        out.extend(self.auth_cases(op, &base));
        out.extend(self.method_cases(op, &base));
        let linked = self.link_case(op, &base);
        let same = |c: &Case| {
            linked
                .as_ref()
                .is_some_and(|l| links::calls(l) == links::calls(c))
        };
        out.extend(self.state_case(op, &base).filter(|c| !same(c)));
        out.extend(linked);
        out
    }

    /// The positive request: every path and required parameter, and the
    /// body's example (or a sample of its schema).
    fn base(&self, op: &Operation) -> Option<CaseStep> {
        let mut step = CaseStep::operation("the example", &op.id);
        for p in &op.parameters {
            let credential_header = op.security.credentials().any(|c| match c {
                Credential::Header { name, .. } => name.eq_ignore_ascii_case(&p.name),
                Credential::Query { name } | Credential::Cookie { name } => *name == p.name,
                Credential::Basic => p.name.eq_ignore_ascii_case("authorization"),
            });
            let wanted = p.required || p.location == ParameterLocation::Path;
            if credential_header || !wanted {
                continue;
            }
            step.params.insert(p.name.clone(), self.parameter_value(p)?);
        }
        if let Some(media) = op.request_body.as_ref().and_then(json_media) {
            let example = media.examples.first().map(|e| e.value.clone());
            let sample = || {
                let source = media.schema.as_ref()?.source.clone();
                self.schemas().sample(&source, true)
            };
            let mut body = example.or_else(sample)?;
            if let Value::Object(map) = &mut body {
                for (name, value) in map.iter_mut() {
                    if let Some(given) = self.vars.get(name) {
                        value.clone_from(given);
                    }
                }
            }
            step.body = Some(body);
        } else if let Some(media) = op.request_body.as_ref().and_then(form_media) {
            let source = media.schema.as_ref()?.source.clone();
            let fields = media
                .examples
                .first()
                .map(|e| e.value.clone())
                .or_else(|| self.schemas().sample(&source, false))?;
            step.raw_body = Some(form_text(&fields, self.vars)?);
            step.headers
                .insert("content-type".into(), json!(FORM_MEDIA_TYPE));
        }
        step.expect = positive(op);
        // An id neither `--vars` nor an example gives names no resource the
        // target has: not found is then the declared answer (by code, range
        // or `default`), or the answer a spec declaring no refusal leaves open.
        let guessed = op.parameters.iter().any(|p| {
            p.location == ParameterLocation::Path
                && self.vars.get(&p.name).is_none()
                && p.examples.is_empty()
        });
        let not_found_allowed = op.response_for(404).is_some() || !op.declares_client_errors();
        if guessed && not_found_allowed && !step.expect.contains(&json!(404)) {
            step.expect.push(json!(404));
        }
        Some(step)
    }

    /// A parameter's value: `--vars` by its name, its example, or a sample.
    fn parameter_value(&self, p: &crate::spec::Parameter) -> Option<Value> {
        if let Some(v) = self.vars.get(&p.name) {
            return Some(v.clone());
        }
        if let Some(e) = p.examples.first() {
            return Some(e.value.clone());
        }
        let sample = p
            .schema
            .as_ref()
            .and_then(|s| self.schemas().sample(&s.source.clone(), false));
        sample.or_else(|| (p.location == ParameterLocation::Path).then(|| json!("vouch")))
    }

    /// Positive and negative bodies: required fields only, every field,
    /// boundaries; each constraint broken alone, an unknown property where
    /// none is allowed.
    fn body_cases(&mut self, op: &Operation, base: &CaseStep) -> Vec<Case> {
        let Some(media) = op.request_body.as_ref().and_then(json_media) else {
            return Vec::new();
        };
        let Some(schema) = media.schema.as_ref() else {
            return Vec::new();
        };
        let source = schema.source.clone();
        let schemas = self.schemas();
        let mut candidates: Vec<(Kind, String, Value)> = Vec::new();
        for (what, all) in [("the required fields only", false), ("every field", true)] {
            if let Some(body) = schemas.sample(&source, all) {
                candidates.push((Kind::Positive, what.into(), body));
            }
        }
        let body = base.body.clone().unwrap_or(Value::Null);
        let mut edits = Vec::new();
        self.walk(&source, &body, "", 0, &mut edits);
        for (pointer, kind, variant) in edits {
            if let Some(edited) = edit(&body, &pointer, variant.value.as_ref()) {
                let at = if pointer.is_empty() { "/" } else { &pointer };
                candidates.push((kind, format!("{} at {at}", variant.what), edited));
            }
        }
        let mut out: Vec<Case> = Vec::new();
        for (kind, title, body) in candidates {
            let valid = schema.is_valid(&body);
            if valid != (kind == Kind::Positive) || body == base.body.clone().unwrap_or_default() {
                continue;
            }
            if out.iter().any(|c| c.steps[0].body.as_ref() == Some(&body)) {
                continue;
            }
            let mut step = base.clone();
            step.name.clone_from(&title);
            step.body = Some(body);
            step.expect = self.expected(op, kind);
            out.push(Case {
                operation: op.id.clone(),
                kind,
                title,
                steps: vec![step],
            });
        }
        out
    }

    /// For a JSON body: the example's text cut in half, which is not JSON
    /// (`{"name":"Rex","ag`), sent as `application/json`. It must be
    /// refused like any other broken constraint, never with a 5xx unless
    /// the operation's [`MALFORMED`] gives that status with its source.
    fn malformed_case(&self, op: &Operation, base: &CaseStep) -> Option<Case> {
        let body = base.body.as_ref()?;
        let text = serde_json::to_string(body).ok()?;
        let half: String = text.chars().take(text.chars().count() / 2).collect();
        let broken = serde_json::from_str::<Value>(&half).is_err() && !half.trim().is_empty();
        let mut step = base.clone();
        step.name = "malformed JSON".into();
        step.body = None;
        step.raw_body = Some(if broken { half } else { "{".into() });
        let verified = op.extension(MALFORMED).and_then(|m| m.get("status"));
        step.expect = match verified.filter(|s| s.is_u64()) {
            Some(status) => vec![status.clone()],
            None => self.expected(op, Kind::Negative),
        };
        Some(Case {
            operation: op.id.clone(),
            kind: Kind::Negative,
            title: step.name.clone(),
            steps: vec![step],
        })
    }

    /// Each property of `schema` (at `pointer` in `body`), its edges and
    /// its breakers, then those of the objects inside it.
    fn walk(
        &mut self,
        schema: &Value,
        body: &Value,
        pointer: &str,
        depth: usize,
        out: &mut Vec<(String, Kind, Variant)>,
    ) {
        let schemas = Schemas::new(&self.spec.document.value);
        if depth > 3 || schemas.json_type(schema) != Some("object") {
            return;
        }
        let required = schemas.required(schema);
        for (name, prop) in schemas.properties(schema) {
            let at = format!("{pointer}/{}", escape(name));
            if required.contains(&name) {
                let missing = Variant {
                    what: format!("missing required `{name}`"),
                    value: None,
                };
                out.push((at.clone(), Kind::Negative, missing));
            }
            // A string the example gives names something (an id, a name): its edges would not.
            let named = body.pointer(&at).is_some_and(Value::is_string);
            for v in schemas.boundaries(prop, &mut self.rng) {
                if !(named && v.value.as_ref().is_some_and(Value::is_string)) {
                    out.push((at.clone(), Kind::Positive, v));
                }
            }
            for v in schemas.breakers(prop) {
                out.push((at.clone(), Kind::Negative, v));
            }
            if let Some(inner) = body.pointer(&at) {
                self.walk(prop, inner, &at, depth + 1, out);
            }
        }
        if schemas.closed(schema) {
            let unknown = Variant {
                what: "an unknown property".into(),
                value: Some(json!("vouch")),
            };
            out.push((format!("{pointer}/vouch_unknown"), Kind::Negative, unknown));
        }
        if pointer.is_empty() {
            let wrong = Variant {
                what: "a body of the wrong type".into(),
                value: Some(json!("not-an-object")),
            };
            out.push((String::new(), Kind::Negative, wrong));
        }
    }

    /// Query parameters at their edges and each broken alone, and each
    /// required one missing.
    fn query_cases(&mut self, op: &Operation, base: &CaseStep) -> Vec<Case> {
        let schemas = Schemas::new(&self.spec.document.value);
        let mut out = Vec::new();
        for p in op
            .parameters
            .iter()
            .filter(|p| p.location == ParameterLocation::Query)
        {
            let Some(schema) = &p.schema else { continue };
            let source = schema.source.clone();
            let mut variants: Vec<(Kind, Variant)> = Vec::new();
            if p.required {
                let missing = Variant {
                    what: format!("missing required `{}`", p.name),
                    value: None,
                };
                variants.push((Kind::Negative, missing));
            }
            // A value the base request gives names something: its string edges would not.
            let named = base.params.contains_key(&p.name);
            let edges = schemas.boundaries(&source, &mut self.rng).into_iter();
            variants.extend(
                edges
                    .filter(|v| !(named && v.value.as_ref().is_some_and(Value::is_string)))
                    .map(|v| (Kind::Positive, v)),
            );
            // On the wire every query value is text: a number for a string (or an
            // array's one item) is no wrong type.
            let text = matches!(schemas.json_type(&source), Some("string" | "array"));
            let lenient = op.extension(LENIENT).is_some();
            let breakers = schemas.breakers(&source).into_iter();
            variants.extend(
                breakers
                    .filter(|v| !(text && v.what == "wrong type"))
                    .map(|v| (Kind::Negative, v)),
            );
            if lenient {
                variants.retain(|(kind, _)| *kind == Kind::Positive);
            }
            for (kind, variant) in variants {
                let valid = variant.value.as_ref().is_some_and(|v| schema.is_valid(v));
                if variant.value.is_some() && valid != (kind == Kind::Positive) {
                    continue;
                }
                let mut step = base.clone();
                step.name = format!("{} in query `{}`", variant.what, p.name);
                match variant.value {
                    Some(v) => step.params.insert(p.name.clone(), v),
                    None => step.params.remove(&p.name),
                };
                step.expect = self.expected(op, kind);
                out.push(Case {
                    operation: op.id.clone(),
                    kind,
                    title: step.name.clone(),
                    steps: vec![step],
                });
            }
        }
        out
    }

    /// No credential, and a wrong one, where the operation asks for one.
    fn auth_cases(&self, op: &Operation, base: &CaseStep) -> Vec<Case> {
        let required = op.security.is_required();
        let Some(credential) = op.security.credentials().next().filter(|_| required) else {
            return Vec::new();
        };
        let mut none = base.clone();
        none.name = "no credential".into();
        none.auth = false;
        none.expect = self.expected(op, Kind::Auth);
        let mut wrong = none.clone();
        wrong.name = "a wrong credential".into();
        match credential {
            Credential::Header { name, prefix } => {
                wrong.headers.insert(
                    name.clone(),
                    json!(format!("{prefix}vouch-wrong-credential")),
                );
            }
            Credential::Query { name } => {
                wrong
                    .query
                    .insert(name.clone(), json!("vouch-wrong-credential"));
            }
            Credential::Cookie { name } => {
                wrong.headers.insert(
                    "Cookie".into(),
                    json!(format!("{name}=vouch-wrong-credential")),
                );
            }
            Credential::Basic => {
                // base64 of `vouch:wrong-credential`
                wrong.headers.insert(
                    "Authorization".into(),
                    json!("Basic dm91Y2g6d3JvbmctY3JlZGVudGlhbA=="),
                );
            }
        }
        [none, wrong]
            .into_iter()
            .map(|step| Case {
                operation: op.id.clone(),
                kind: Kind::Auth,
                title: step.name.clone(),
                steps: vec![step],
            })
            .collect()
    }

    /// Each method the operation's path does not declare (of PATCH, PUT,
    /// POST, DELETE and GET), on the first operation of that path.
    fn method_cases(&self, op: &Operation, base: &CaseStep) -> Vec<Case> {
        let same_path = |o: &&Operation| o.path == op.path;
        let siblings: Vec<&Operation> = self.spec.operations.iter().filter(same_path).collect();
        let Some(path) = literal_path(op, &base.params) else {
            return Vec::new();
        };
        if siblings.first().map(|o| &o.id) != Some(&op.id) {
            return Vec::new();
        }
        let undeclared = [
            Method::Patch,
            Method::Put,
            Method::Post,
            Method::Delete,
            Method::Get,
        ]
        .into_iter()
        .filter(|m| !siblings.iter().any(|o| o.method == *m));
        undeclared
            .map(|method| {
                let mut step = base.clone();
                step.name = format!("{method} on a path that does not declare it");
                step.call = Call::Raw(method, path.clone());
                step.params = Map::new();
                step.body = None;
                step.raw_body = None;
                step.headers.remove("content-type");
                step.expect = vec![json!("4XX")];
                Case {
                    operation: op.id.clone(),
                    kind: Kind::Method,
                    title: step.name.clone(),
                    steps: vec![step],
                }
            })
            .collect()
    }

    /// The statuses a case of `kind` must get. A positive one: 2xx or a
    /// status the operation declares, since the target's state may refuse a
    /// valid request (a port already open, an environment that is not a base
    /// one): the CRUD sequences, which make their own state, check acceptance
    /// strictly. Else the operation's declared 4xx, and the 5xx other than 500
    /// it declares as refusals (ZStack's 503); 401 and 403 for auth when declared.
    fn expected(&self, op: &Operation, kind: Kind) -> Vec<Value> {
        if kind == Kind::Positive {
            return positive(op);
        }
        let class = op
            .responses
            .iter()
            .any(|r| matches!(r.status, StatusKey::Range(4) | StatusKey::Default));
        let codes: Vec<u16> = op
            .responses
            .iter()
            .filter_map(|r| match r.status {
                StatusKey::Code(c @ (400..=499 | 501..=599)) => Some(c),
                _ => None,
            })
            .collect();
        let auth: Vec<u16> = codes
            .iter()
            .copied()
            .filter(|c| matches!(c, 401 | 403))
            .collect();
        match kind {
            Kind::Auth if !auth.is_empty() => auth.into_iter().map(|c| json!(c)).collect(),
            _ if class || codes.is_empty() => vec![json!("4XX")],
            _ => codes.into_iter().map(|c| json!(c)).collect(),
        }
    }
}

impl Context<'_> {
    /// For a create (POST on a collection with an item path below it): create,
    /// read, update, delete, then read again and get a 4xx.
    fn state_case(&self, op: &Operation, base: &CaseStep) -> Option<Case> {
        if op.method != Method::Post {
            return None;
        }
        let item = |m: Method| {
            self.spec.operations.iter().find(|o| {
                o.method == m
                    && o.path
                        .strip_prefix(op.path.as_str())
                        .and_then(|rest| rest.strip_prefix("/{"))
                        .is_some_and(|rest| rest.ends_with('}') && !rest.contains('/'))
            })
        };
        let delete = item(Method::Delete)?;
        let read = item(Method::Get);
        let update = item(Method::Put).or_else(|| item(Method::Patch));
        let param = delete
            .path
            .rsplit_once("/{")?
            .1
            .trim_end_matches('}')
            .to_string();
        let mut create = base.clone();
        create.name = "create".into();
        let id = match base.body.as_ref().and_then(|b| b.get(&param)) {
            Some(v) => v.clone(),
            None => {
                let pointer = self.id_pointer(op, &param)?;
                if let Some(body) = &mut create.body {
                    let items = [read, update, Some(delete)];
                    self.fit_id(op, items.into_iter().flatten(), &param, &pointer, body);
                }
                create.capture = vec![("conform_id".into(), pointer)];
                json!("{{conform_id}}")
            }
        };
        let on_item = |name: &str, target: &Operation, expect: Vec<Value>| {
            let mut step = self.item_step(target, base, &param, &id);
            step.name = name.into();
            step.expect = expect;
            step
        };
        let mut steps = vec![create];
        let ok = || vec![json!("2XX")];
        if let Some(read) = read {
            steps.push(on_item("read it", read, ok()));
        }
        // The update sends the created resource back, where its schema takes it whole.
        let replaces = |u: &&Operation| {
            let schema = u
                .request_body
                .as_ref()
                .and_then(json_media)?
                .schema
                .as_ref()?;
            base.body.as_ref().filter(|b| schema.is_valid(b))
        };
        if let Some((update, body)) = update.and_then(|u| Some((u, replaces(&u)?))) {
            let mut step = on_item("update it", update, ok());
            step.body = Some(body.clone());
            steps.push(step);
        }
        steps.push(on_item("delete it", delete, ok()));
        let gone = read.unwrap_or(delete);
        let not_found = self.expected(gone, Kind::Negative);
        steps.push(on_item("it is gone", gone, not_found));
        Some(Case {
            operation: op.id.clone(),
            kind: Kind::State,
            title: "create, read, update, delete, read again".into(),
            steps,
        })
    }

    /// Where the create's `body` sets the id its answer gives back (at
    /// `pointer`) to one an item path's `param` refuses (the 3.1 Swagger
    /// Petstore's example pet 10, where `getPetById` takes ids below 10): a
    /// value every item operation's parameter takes instead, when the body
    /// still validates with it.
    fn fit_id<'o>(
        &self,
        op: &Operation,
        items: impl Iterator<Item = &'o Operation>,
        param: &str,
        pointer: &str,
        body: &mut Value,
    ) {
        let params: Vec<_> = items
            .filter_map(|o| o.parameters.iter().find(|p| p.name == param))
            .collect();
        let fits = |v: &Value| {
            params
                .iter()
                .all(|p| p.schema.as_ref().is_none_or(|s| s.is_valid(v)))
        };
        if body.pointer(pointer).is_none_or(fits) {
            return;
        }
        let create = op.request_body.as_ref().and_then(json_media);
        let fitted = params
            .iter()
            .filter_map(|p| self.parameter_value(p))
            .find(fits)
            .and_then(|v| edit(body, pointer, Some(&v)))
            .filter(|b| {
                create
                    .and_then(|m| m.schema.as_ref())
                    .is_some_and(|s| s.is_valid(b))
            });
        if let Some(fitted) = fitted {
            *body = fitted;
        }
    }

    /// A step on an item operation: the create's parameters that it shares, its own, and the id.
    fn item_step(&self, target: &Operation, base: &CaseStep, param: &str, id: &Value) -> CaseStep {
        let mut step = self
            .base(target)
            .unwrap_or_else(|| CaseStep::operation("", &target.id));
        for (k, v) in &base.params {
            if target.parameters.iter().any(|p| p.name == *k) {
                step.params.insert(k.clone(), v.clone());
            }
        }
        step.params.insert(param.to_string(), id.clone());
        step.body = step.body.filter(|_| target.method != Method::Delete);
        step
    }

    /// Where a created resource's id is in the create's success answer: a
    /// property named like the item parameter, or `id`.
    fn id_pointer(&self, op: &Operation, param: &str) -> Option<String> {
        let schemas = self.schemas();
        let response = op.responses.iter().find(|r| r.status.is_success())?;
        let schema = json_response(response)?.schema.as_ref()?.source.clone();
        [param, "id"]
            .iter()
            .find_map(|name| find_property(&schemas, &schema, name, "", 0))
    }
}

/// What a positive case accepts (see [`Context::expected`]).
fn positive(op: &Operation) -> Vec<Value> {
    let mut out = vec![json!("2XX")];
    for r in &op.responses {
        match r.status {
            StatusKey::Code(c) if !(200..300).contains(&c) => out.push(json!(c)),
            StatusKey::Range(d) if d != 2 => out.push(json!(format!("{d}XX"))),
            _ => {}
        }
    }
    out
}

/// The operation extension saying the vendor takes parameters that break
/// their schema (verified, with its source): no negative parameter cases.
const LENIENT: &str = "x-vouch-lenient-parameters";

/// The operation extension giving the verified status of a body that does
/// not parse where it is not a 4xx (`{status: 500, source: ...}`): the
/// malformed JSON case expects it.
const MALFORMED: &str = "x-vouch-malformed-json";

/// The pointer of the first property called `name` in `schema`, breadth first.
fn find_property(
    schemas: &Schemas<'_>,
    schema: &Value,
    name: &str,
    pointer: &str,
    depth: usize,
) -> Option<String> {
    if depth > 4 {
        return None;
    }
    let props = schemas.properties(schema);
    if props.iter().any(|(n, _)| *n == name) {
        return Some(format!("{pointer}/{}", escape(name)));
    }
    props.iter().find_map(|(n, p)| {
        find_property(
            schemas,
            p,
            name,
            &format!("{pointer}/{}", escape(n)),
            depth + 1,
        )
    })
}

/// The operation's path with its path parameters filled in (percent-encoded).
fn literal_path(op: &Operation, params: &Map<String, Value>) -> Option<String> {
    let mut path = op.path.clone();
    for p in op
        .parameters
        .iter()
        .filter(|p| p.location == ParameterLocation::Path)
    {
        let value = match params.get(&p.name)? {
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let encoded =
            percent_encoding::utf8_percent_encode(&value, percent_encoding::NON_ALPHANUMERIC);
        path = path.replace(&format!("{{{}}}", p.name), &encoded.to_string());
    }
    Some(path)
}

/// The JSON media type of a request body, if it has one.
fn json_media(body: &crate::spec::RequestBody) -> Option<&crate::spec::MediaType> {
    body.content
        .iter()
        .find(|m| crate::media_type::is_json(&m.media_type))
}

/// The form media type of a request body, if it has one.
fn form_media(body: &crate::spec::RequestBody) -> Option<&crate::spec::MediaType> {
    body.content
        .iter()
        .find(|m| m.media_type.starts_with(FORM_MEDIA_TYPE))
}

const FORM_MEDIA_TYPE: &str = "application/x-www-form-urlencoded";

/// An object's fields as a form body (`--vars` naming a field wins), an
/// array as the field repeated; `None` for a body that is no object.
fn form_text(fields: &Value, vars: &crate::scenario::template::Vars) -> Option<String> {
    let mut form = form_urlencoded::Serializer::new(String::new());
    for (name, value) in fields.as_object()? {
        let value = vars.get(name).unwrap_or(value);
        let values = match value {
            Value::Array(items) => items.iter().collect(),
            one => vec![one],
        };
        for value in values {
            match value {
                Value::String(text) => form.append_pair(name, text),
                other => form.append_pair(name, &other.to_string()),
            };
        }
    }
    Some(form.finish())
}

/// The JSON media type of a response, if it has one.
fn json_response(response: &crate::spec::Response) -> Option<&crate::spec::MediaType> {
    response
        .content
        .iter()
        .find(|m| crate::media_type::is_json(&m.media_type))
}

/// `body` with the value at `pointer` replaced (or removed when `value` is
/// `None`); `None` when the pointer's parent is not an object in `body`.
fn edit(body: &Value, pointer: &str, value: Option<&Value>) -> Option<Value> {
    let mut out = body.clone();
    if pointer.is_empty() {
        return value.cloned();
    }
    let (parent, key) = pointer.rsplit_once('/')?;
    let key = key.replace("~1", "/").replace("~0", "~");
    let map = out.pointer_mut(parent)?.as_object_mut()?;
    match value {
        Some(v) => map.insert(key, v.clone()),
        None => map.remove(&key),
    };
    Some(out)
}

/// A JSON pointer token.
fn escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_method_a_path_does_not_declare_gets_a_case() {
        let file = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conform/pets.yaml");
        let catalog = crate::spec::Catalog::load(&[file]).expect("the pets spec loads");
        let spec = &catalog.specs()[0];
        let mut context = Context {
            spec,
            vars: &Default::default(),
            rng: fastrand::Rng::with_seed(0),
        };
        let get_pet = spec
            .operations
            .iter()
            .find(|o| o.id == "pets.getPet")
            .expect("getPet");
        let methods: Vec<String> = context
            .cases(get_pet)
            .into_iter()
            .filter(|c| c.kind == Kind::Method)
            .map(|c| c.title)
            .collect();
        assert_eq!(
            methods,
            [
                "PATCH on a path that does not declare it",
                "PUT on a path that does not declare it",
                "POST on a path that does not declare it"
            ]
        );
    }

    #[test]
    fn a_form_body_names_each_field_once_per_value_and_vars_win() {
        let fields = json!({"FriendlyName": "a b&c", "Tags": ["x", "y"], "Port": 8080});
        let vars: crate::scenario::template::Vars =
            [("Port".to_string(), json!(9090))].into_iter().collect();
        assert_eq!(
            form_text(&fields, &vars).as_deref(),
            Some("FriendlyName=a+b%26c&Tags=x&Tags=y&Port=9090")
        );
        assert_eq!(form_text(&json!("not an object"), &vars), None);
    }
}
