//! Building a [`Spec`] from a file: parse, read its version (OpenAPI 3.0,
//! 3.1, or Swagger 2.0 converted to 3.0), bundle the local files its `$ref`s
//! reach, check the shape with `openapiv3`, resolve `$ref`s, and compile
//! every schema once.

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Write;
use std::path::Path;

use serde_json::Value;

use super::document::{Document, FILES_KEY, ParseError, child_pointer, excerpt, push_token};
use super::locate::local_target;
use super::schema::{Compiler, Dialect, Schema};
use super::{
    Example, Header, Link, MediaType, Method, Operation, Parameter, ParameterLocation, Problem,
    RequestBody, Response, Security, Spec, StatusKey, external, links, openapi31, problem_at,
    security, swagger2,
};

/// Why `text` is not YAML or JSON, with a window of the offending line around the column.
fn parse_error_message(text: &str, e: &ParseError) -> String {
    let (Some(line), Some(column)) = (e.line, e.column) else {
        return format!("not valid YAML or JSON: {}", e.message);
    };
    let source = text
        .lines()
        .nth(line.saturating_sub(1) as usize)
        .unwrap_or_default();
    let (shown, marker) = excerpt(source, column, 1);
    format!(
        "not valid YAML or JSON (column {column}): {}\n    | {shown}\n    | {marker}",
        e.message
    )
}

/// The problem of a text that is not YAML or JSON.
fn parse_problem(path: &Path, text: &str, e: &ParseError) -> Problem {
    Problem {
        file: path.to_path_buf(),
        line: e.line,
        pointer: String::new(),
        message: parse_error_message(text, e),
    }
}

/// How much loading a spec checks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Checks {
    /// Everything: a file a user gives, and `vouch lint`.
    All,
    /// Only what serving needs, skipping the document checks (structure,
    /// `$ref`s, schemas, marks): for the built-in specs, which `vouch lint`
    /// and the test suite check in full, so that `vouch` starts fast.
    Serving,
}

/// How many `$ref` hops a chain may take before it counts as a cycle.
const MAX_REF_HOPS: usize = 32;

impl Spec {
    /// Loads the spec at `path`. `Err` means the file cannot be used at all
    /// (unreadable, not YAML/JSON, not OpenAPI 3.0, 3.1 or Swagger 2.0);
    /// lesser problems are kept in [`Spec::problems`], and what vouch skips in
    /// [`Spec::warnings`].
    pub fn load(path: &Path) -> Result<Spec, Problem> {
        let text = std::fs::read_to_string(path).map_err(|e| Problem {
            file: path.to_path_buf(),
            line: None,
            pointer: String::new(),
            message: format!("cannot read the spec: {e}"),
        })?;
        Spec::parse(path, &text)
    }

    /// Builds a spec from `text`, reporting problems against `path`.
    pub fn parse(path: &Path, text: &str) -> Result<Spec, Problem> {
        let document = Document::parse(text).map_err(|e| parse_problem(path, text, &e))?;
        Spec::from_document(path, document, Checks::All)
    }

    /// Builds a spec from its YAML `text`, already read into `json` at build
    /// time (see [`Document::prepared`]).
    pub fn prepared(path: &Path, text: &str, json: &str, checks: Checks) -> Result<Spec, Problem> {
        let document = Document::prepared(text, json).map_err(|e| parse_problem(path, text, &e))?;
        Spec::from_document(path, document, checks)
    }

    /// Builds a spec from its parsed document, with the `checks` asked for.
    fn from_document(path: &Path, document: Document, checks: Checks) -> Result<Spec, Problem> {
        let mut document = document;
        if openapi31::is_openapi31(&document.value) {
            openapi31::resolve_ids(&mut document.value);
        }
        let unbundled = external::bundle(path, &mut document);
        let (document, dialect) = read_version(path, document)?;
        let structure = match dialect {
            Dialect::OpenApi31 => Cow::Owned(openapi31::structure_as_30(&document.value)),
            Dialect::OpenApi30 => Cow::Borrowed(&document.value),
        };
        let all = checks == Checks::All;
        if all
            && let Err(e) =
                serde_path_to_error::deserialize::<_, openapiv3::OpenAPI>(structure.as_ref())
        {
            let pointer = path_to_pointer(e.path());
            return Err(problem_at(
                path,
                &document,
                &pointer,
                format!("not a valid OpenAPI document: {}", e.inner()),
            ));
        }
        drop(structure);
        let (compiler, skipped) = Compiler::new(&document.value, dialect)
            .map_err(|message| problem_at(path, &document, "", message))?;
        let mut builder = Builder {
            path,
            doc: &document,
            compiler,
            dialect,
            compiled: HashMap::new(),
            problems: Vec::new(),
            warnings: Vec::new(),
        };
        for (at, message) in unbundled {
            builder.problem(&at, message);
        }
        for skip in skipped {
            let warning = problem_at(path, &document, &skip.pointer, skip.message);
            builder.warnings.push(warning);
        }
        if all {
            builder.check_refs(&document.value, &mut String::new(), RefContext::Object);
            if let Some(files) = document.value.get(FILES_KEY) {
                builder.check_refs(files, &mut format!("/{FILES_KEY}"), RefContext::Object);
            }
        }
        let mut operations = builder.operations(spec_name(path));
        builder.drop_dangling_links(&mut operations);
        if all {
            builder.check_schemas();
            builder.check_security_schemes();
        }
        let (mut problems, warnings) = (builder.problems, builder.warnings);
        if all {
            let ids: Vec<&str> = operations.iter().map(|o| o.id.as_str()).collect();
            problems.extend(super::marks::problems(path, &document, &ids));
        }
        let value = &document.value;
        Ok(Spec {
            name: spec_name(path),
            path: path.to_path_buf(),
            vendor: value
                .get("x-vouch-vendor")
                .and_then(Value::as_str)
                .map(str::to_string),
            title: value
                .pointer("/info/title")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string(),
            webhooks: openapi31::webhooks(value)
                .into_iter()
                .map(|(name, _)| name)
                .collect(),
            dialect,
            operations,
            problems,
            warnings,
            document,
        })
    }
}

/// The document in 3.0 shape and the meaning of its schemas, from its
/// `openapi` or `swagger` field.
fn read_version(path: &Path, document: Document) -> Result<(Document, Dialect), Problem> {
    let value = &document.value;
    if swagger2::is_swagger2(value) {
        let converted = swagger2::to_openapi30(value);
        return Ok((
            document.converted(converted, swagger2::RENAMED),
            Dialect::OpenApi30,
        ));
    }
    if openapi31::is_openapi31(value) {
        return Ok((document, Dialect::OpenApi31));
    }
    let declared = value.get("openapi").and_then(Value::as_str);
    if declared.is_some_and(|v| v.starts_with("3.0")) {
        return Ok((document, Dialect::OpenApi30));
    }
    let (field, version) = match (declared, value.get("swagger")) {
        (None, Some(swagger)) => ("swagger", swagger.to_string()),
        _ => ("openapi", declared.unwrap_or("(missing)").to_string()),
    };
    Err(problem_at(
        path,
        &document,
        &format!("/{field}"),
        format!(
            "vouch reads OpenAPI 3.0 and 3.1 and Swagger 2.0 documents; this one declares `{field}: {version}`"
        ),
    ))
}

fn spec_name(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "spec".into())
}

/// serde_path_to_error's path (`paths./a.get.responses`) as a JSON pointer.
fn path_to_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    path.iter()
        .filter_map(|s| match s {
            Segment::Seq { index } => Some(index.to_string()),
            Segment::Map { key } => Some(key.clone()),
            Segment::Enum { variant } => Some(variant.clone()),
            Segment::Unknown => None,
        })
        .fold(String::new(), |p, token| child_pointer(&p, &token))
}

/// Keys whose values map user-chosen names to objects: a name there is never a keyword.
const NAME_MAPS: &[&str] = &[
    "paths",
    "properties",
    "schemas",
    "responses",
    "parameters",
    "requestBodies",
    "headers",
    "securitySchemes",
    "links",
    "callbacks",
    "content",
    "encoding",
    "components",
];

/// What kind of map `check_refs` is walking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RefContext {
    Object,
    NameMap,
    ExampleMap,
    Example,
}

struct Builder<'a> {
    path: &'a Path,
    doc: &'a Document,
    compiler: Compiler,
    dialect: Dialect,
    /// Schemas already made, by pointer: shared responses compile once.
    compiled: HashMap<String, Schema>,
    problems: Vec<Problem>,
    /// What vouch skips and the spec still serves without.
    warnings: Vec<Problem>,
}

impl<'a> Builder<'a> {
    fn problem(&mut self, pointer: &str, message: impl Into<String>) {
        self.problems
            .push(problem_at(self.path, self.doc, pointer, message));
    }

    /// Reports every `$ref` in the document that does not resolve. Example
    /// values are data, so a `$ref` key inside one is not followed.
    /// Checks every `$ref` under `value`; `pointer` is where `value` stands
    /// (grown and shrunk in place, so walking a large spec allocates little).
    fn check_refs(&mut self, value: &Value, pointer: &mut String, context: RefContext) {
        let depth = pointer.len();
        match value {
            Value::Object(map) => {
                if context != RefContext::NameMap
                    && let Some(Value::String(target)) = map.get("$ref")
                {
                    let at = child_pointer(pointer, "$ref");
                    // References to other files were bundled (or reported) already.
                    if target.starts_with('#') {
                        match self.target(target) {
                            Err(message) => self.problem(&at, message),
                            Ok(_) => self.check_cycle(pointer),
                        }
                    }
                }
                for (k, v) in map {
                    let child = match (context, k.as_str()) {
                        (RefContext::NameMap, _) => RefContext::Object,
                        (RefContext::ExampleMap, _) => RefContext::Example,
                        (RefContext::Example, "value") => continue,
                        (_, "example") => continue,
                        (_, "examples") => RefContext::ExampleMap,
                        (_, k) if k.starts_with("x-") => continue,
                        (_, k) if NAME_MAPS.contains(&k) => RefContext::NameMap,
                        _ => RefContext::Object,
                    };
                    pointer.push('/');
                    push_token(pointer, k);
                    self.check_refs(v, pointer, child);
                    pointer.truncate(depth);
                }
            }
            Value::Array(items) => {
                for (i, v) in items.iter().enumerate() {
                    let _ = write!(pointer, "/{i}");
                    self.check_refs(v, pointer, RefContext::Object);
                    pointer.truncate(depth);
                }
            }
            _ => {}
        }
    }

    /// The value a `$ref` points at (after bundling, every followable one is local).
    fn target(&self, reference: &str) -> Result<&'a Value, String> {
        let Some(decoded) = local_target(reference) else {
            return Err(format!("`$ref: {reference}` cannot be followed"));
        };
        self.doc
            .value
            .pointer(&decoded)
            .ok_or_else(|| format!("`$ref: {reference}` does not resolve: nothing at that pointer"))
    }

    /// Follows `$ref`s from `value` (found at `pointer`) to the object itself.
    fn resolve(&mut self, value: &'a Value, pointer: String) -> Option<(&'a Value, String)> {
        let (mut value, mut pointer) = (value, pointer);
        for _ in 0..MAX_REF_HOPS {
            let Some(reference) = value.get("$ref").and_then(Value::as_str) else {
                return Some((value, pointer));
            };
            // Dangling refs were reported by check_refs.
            value = self.target(reference).ok()?;
            pointer = local_target(reference)?;
        }
        // check_refs reported the cycle.
        None
    }

    /// Follows a schema's `$ref` to the schema it names, as long as the
    /// reference stands for the whole schema: always in 3.0 (siblings of
    /// `$ref` are ignored there), only when it stands alone in 3.1.
    fn follow_schema_refs(
        &mut self,
        value: &'a Value,
        pointer: String,
    ) -> Option<(&'a Value, String)> {
        let (mut value, mut pointer) = (value, pointer);
        for _ in 0..MAX_REF_HOPS {
            let whole = match value {
                Value::Object(map) => self.dialect == Dialect::OpenApi30 || map.len() == 1,
                _ => false,
            };
            let Some(reference) = value.get("$ref").and_then(Value::as_str).filter(|_| whole)
            else {
                return Some((value, pointer));
            };
            value = self.target(reference).ok()?;
            pointer = local_target(reference)?;
        }
        None
    }

    /// Reports a chain of `$ref`s that comes back to the object at `start`
    /// (once per cycle: from the object of the cycle that sorts first).
    fn check_cycle(&mut self, start: &str) {
        let mut chain = vec![start.to_string()];
        let mut at = start.to_string();
        while chain.len() <= MAX_REF_HOPS {
            let Some(next) = self
                .doc
                .value
                .pointer(&at)
                .and_then(|v| v.get("$ref"))
                .and_then(Value::as_str)
                .and_then(local_target)
            else {
                return;
            };
            if next == start {
                if chain.iter().all(|p| p.as_str() >= start) {
                    let names: Vec<String> = chain.iter().map(|p| self.place(p)).collect();
                    self.problem(
                        &child_pointer(start, "$ref"),
                        format!(
                            "`$ref` cycle: {} → back to the first; a reference must end at an object",
                            names.join(" → ")
                        ),
                    );
                }
                return;
            }
            if chain.contains(&next) {
                return;
            }
            chain.push(next.clone());
            at = next;
        }
    }

    /// `file#pointer` for a pointer into the bundled document.
    fn place(&self, pointer: &str) -> String {
        let (file, _, inner) = self.doc.source_of(self.path, pointer);
        format!("{}#{inner}", file.display())
    }

    fn schema(&mut self, owner: &'a Value, owner_pointer: &str) -> Option<Schema> {
        let source = owner.get("schema")?;
        let pointer = child_pointer(owner_pointer, "schema");
        // A top-level ref: compile the target once, under its own pointer.
        let (source, pointer) = self.follow_schema_refs(source, pointer)?;
        if let Some(done) = self.compiled.get(&pointer) {
            return Some(done.clone());
        }
        let compiled = self.compiler.compile(&pointer, source);
        self.compiled.insert(pointer, compiled.clone());
        Some(compiled)
    }

    /// Reports every schema the operations use that does not compile,
    /// compiling them together (each component once).
    fn check_schemas(&mut self) {
        let mut pointers: Vec<&str> = self.compiled.keys().map(String::as_str).collect();
        pointers.sort_unstable();
        for (pointer, message) in self.compiler.check(&pointers) {
            self.problem(&pointer, message);
        }
    }

    fn operations(&mut self, spec: String) -> Vec<Operation> {
        let mut out = Vec::new();
        let Some(paths) = self.doc.value.get("paths").and_then(Value::as_object) else {
            return out;
        };
        for (template, item) in paths {
            let item_pointer = child_pointer("/paths", template);
            let Some((item, item_pointer)) = self.resolve(item, item_pointer) else {
                continue;
            };
            for method in Method::ALL {
                let key = method.as_str().to_ascii_lowercase();
                let Some(op) = item.get(&key) else { continue };
                let pointer = child_pointer(&item_pointer, &key);
                out.push(self.operation(&spec, method, template, item, &item_pointer, op, pointer));
            }
        }
        out
    }

    #[allow(clippy::too_many_arguments)]
    fn operation(
        &mut self,
        spec: &str,
        method: Method,
        template: &str,
        item: &'a Value,
        item_pointer: &str,
        op: &'a Value,
        pointer: String,
    ) -> Operation {
        let declared_id = op.get("operationId").and_then(Value::as_str);
        let mut parameters: Vec<Parameter> = Vec::new();
        let sources = [(item, item_pointer.to_string()), (op, pointer.clone())];
        for (owner, owner_pointer) in sources {
            let Some(list) = owner.get("parameters").and_then(Value::as_array) else {
                continue;
            };
            for (i, p) in list.iter().enumerate() {
                let at = format!("{owner_pointer}/parameters/{i}");
                if let Some(param) = self.parameter(p, at) {
                    // Operation-level parameters override path-level ones.
                    parameters.retain(|q| !(q.name == param.name && q.location == param.location));
                    parameters.push(param);
                }
            }
        }
        let request_body = op.get("requestBody").and_then(|b| {
            let (b, at) = self.resolve(b, child_pointer(&pointer, "requestBody"))?;
            Some(RequestBody {
                required: b.get("required").and_then(Value::as_bool).unwrap_or(false),
                content: self.content(b, &at),
                pointer: at,
            })
        });
        let responses = self.responses(op, &pointer);
        let security = self.security(op, &pointer);
        Operation {
            id: declared_id.map_or_else(|| format!("{method} {template}"), str::to_string),
            has_declared_id: declared_id.is_some(),
            spec: spec.to_string(),
            method,
            path: template.to_string(),
            summary: op
                .get("summary")
                .and_then(Value::as_str)
                .map(str::to_string),
            parameters,
            request_body,
            responses,
            security,
            raw: op.clone(),
            pointer,
        }
    }

    fn parameter(&mut self, value: &'a Value, pointer: String) -> Option<Parameter> {
        let (value, pointer) = self.resolve(value, pointer)?;
        let typed: openapiv3::Parameter = match serde_json::from_value(without_schemas(value)) {
            Ok(p) => p,
            Err(e) => {
                self.problem(&pointer, format!("not a Parameter Object: {e}"));
                return None;
            }
        };
        let (location, explode) = match &typed {
            openapiv3::Parameter::Path { .. } => (ParameterLocation::Path, false),
            openapiv3::Parameter::Query { style, .. } => (
                ParameterLocation::Query,
                matches!(style, openapiv3::QueryStyle::Form),
            ),
            openapiv3::Parameter::Header { .. } => (ParameterLocation::Header, false),
            openapiv3::Parameter::Cookie { .. } => (ParameterLocation::Cookie, false),
        };
        let data = typed.parameter_data_ref();
        let explode = data.explode.unwrap_or(explode);
        // `content` instead of `schema`: use its single media type's schema.
        let schema_owner = match value.get("content").and_then(Value::as_object) {
            Some(content) if value.get("schema").is_none() => content.values().next(),
            _ => Some(value),
        };
        let schema_owner_pointer = match schema_owner {
            Some(owner) if !std::ptr::eq(owner, value) => {
                let mt = value["content"]
                    .as_object()
                    .and_then(|c| c.keys().next().cloned());
                child_pointer(&child_pointer(&pointer, "content"), &mt.unwrap_or_default())
            }
            _ => pointer.clone(),
        };
        let schema = schema_owner.and_then(|o| self.schema(o, &schema_owner_pointer));
        Some(Parameter {
            name: data.name.clone(),
            location,
            required: data.required,
            explode,
            schema,
            examples: self.examples(value, &pointer),
            pointer,
        })
    }

    fn content(&mut self, owner: &'a Value, owner_pointer: &str) -> Vec<MediaType> {
        let Some(content) = owner.get("content").and_then(Value::as_object) else {
            return Vec::new();
        };
        let content_pointer = child_pointer(owner_pointer, "content");
        content
            .iter()
            .map(|(media_type, mt)| {
                let pointer = child_pointer(&content_pointer, media_type);
                MediaType {
                    media_type: media_type.clone(),
                    schema: self.schema(mt, &pointer),
                    examples: self.examples(mt, &pointer),
                    pointer,
                }
            })
            .collect()
    }

    fn responses(&mut self, op: &'a Value, pointer: &str) -> Vec<Response> {
        let Some(responses) = op.get("responses").and_then(Value::as_object) else {
            return Vec::new();
        };
        let responses_pointer = child_pointer(pointer, "responses");
        let mut out = Vec::new();
        for (key, response) in responses {
            let at = child_pointer(&responses_pointer, key);
            let Some(status) = StatusKey::parse(key) else {
                self.problem(
                    &at,
                    format!("`{key}` is not a status code, a range like `4XX`, or `default`"),
                );
                continue;
            };
            let Some((response, at)) = self.resolve(response, at) else {
                continue;
            };
            let headers = self.headers(response, &at);
            let links = self.links(response, &at);
            out.push(Response {
                status,
                description: response
                    .get("description")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string(),
                content: self.content(response, &at),
                headers,
                links,
                pointer: at,
            });
        }
        out
    }

    /// A response's `links` (following `$ref`s); what vouch cannot follow is a warning.
    fn links(&mut self, response: &'a Value, pointer: &str) -> Vec<Link> {
        let Some(links) = response.get("links").and_then(Value::as_object) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (name, link) in links {
            let at = child_pointer(&child_pointer(pointer, "links"), name);
            let Some((link, at)) = self.resolve(link, at) else {
                continue;
            };
            let mut skipped = Vec::new();
            let mut warn =
                |place: &str, message: String| skipped.push((place.to_string(), message));
            out.extend(links::read(name, link, &at, &mut warn));
            for (place, message) in skipped {
                self.warn_once(&place, message);
            }
        }
        out
    }

    /// Drops, with a warning, each link whose operation the spec does not have.
    fn drop_dangling_links(&mut self, operations: &mut [Operation]) {
        let mut dangling = Vec::new();
        for (i, op) in operations.iter().enumerate() {
            for (j, response) in op.responses.iter().enumerate() {
                for link in &response.links {
                    if links::find(operations, &link.target).is_none() {
                        dangling.push((
                            i,
                            j,
                            link.pointer.clone(),
                            link.name.clone(),
                            link.target.to_string(),
                        ));
                    }
                }
            }
        }
        for (i, j, pointer, name, target) in dangling {
            operations[i].responses[j]
                .links
                .retain(|l| l.pointer != pointer);
            let message = format!(
                "link `{name}` leads to {target}, no operation of this spec; vouch does not follow it"
            );
            self.warn_once(&pointer, message);
        }
    }

    /// A warning, unless the same one was given already (a shared response
    /// is read once per operation that uses it).
    fn warn_once(&mut self, pointer: &str, message: String) {
        let warning = problem_at(self.path, self.doc, pointer, message);
        if !self.warnings.contains(&warning) {
            self.warnings.push(warning);
        }
    }

    fn headers(&mut self, response: &'a Value, pointer: &str) -> Vec<Header> {
        let Some(headers) = response.get("headers").and_then(Value::as_object) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (name, header) in headers {
            let at = child_pointer(&child_pointer(pointer, "headers"), name);
            let Some((header, at)) = self.resolve(header, at) else {
                continue;
            };
            out.push(Header {
                name: name.clone(),
                required: header
                    .get("required")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                schema: self.schema(header, &at),
            });
        }
        out
    }

    /// The operation's security: its own `security`, else the document's.
    /// A requirement naming an undefined scheme is a problem (once per
    /// place); a scheme vouch cannot carry is left out of its requirement
    /// (a warning, once per scheme: [`Builder::check_security_schemes`]).
    fn security(&mut self, op: &Value, op_pointer: &str) -> Security {
        let (list, at) = match op.get("security") {
            Some(list) => (list, child_pointer(op_pointer, "security")),
            None => match self.doc.value.get("security") {
                Some(list) => (list, "/security".to_string()),
                None => return Security::default(),
            },
        };
        let mut requirements = Vec::new();
        for (i, requirement) in list.as_array().into_iter().flatten().enumerate() {
            let mut credentials = Vec::new();
            for name in requirement.as_object().into_iter().flat_map(|m| m.keys()) {
                let pointer = child_pointer("/components/securitySchemes", name);
                match self.doc.value.pointer(&pointer).map(security::credential) {
                    Some(Ok(credential)) => credentials.push(credential),
                    Some(Err(_)) => {}
                    None => {
                        let place = child_pointer(&format!("{at}/{i}"), name);
                        if !self.problems.iter().any(|p| p.pointer == place) {
                            self.problem(
                                &place,
                                format!(
                                    "security scheme `{name}` is not defined in \
                                     components.securitySchemes"
                                ),
                            );
                        }
                    }
                }
            }
            requirements.push(security::Requirement { credentials });
        }
        Security { requirements }
    }

    /// A warning for each security scheme vouch cannot carry: the mock
    /// does not enforce it, the runner does not send it.
    fn check_security_schemes(&mut self) {
        let schemes = self
            .doc
            .value
            .pointer("/components/securitySchemes")
            .and_then(Value::as_object);
        for (name, scheme) in schemes.into_iter().flatten() {
            if let Err(why) = security::credential(scheme) {
                let pointer = child_pointer("/components/securitySchemes", name);
                let warning = problem_at(
                    self.path,
                    self.doc,
                    &pointer,
                    format!(
                        "security scheme `{name}`: {why}; the mock does not enforce it and \
                         `vouch run` does not send it"
                    ),
                );
                self.warnings.push(warning);
            }
        }
    }
}

impl<'a> Builder<'a> {
    /// `example` and every `examples` entry (following `$ref`s) of a parameter or media type.
    fn examples(&mut self, owner: &'a Value, pointer: &str) -> Vec<Example> {
        let mut out = Vec::new();
        if let Some(value) = owner.get("example") {
            out.push(Example {
                name: "example".into(),
                value: value.clone(),
                pointer: child_pointer(pointer, "example"),
            });
        }
        let examples_pointer = child_pointer(pointer, "examples");
        for (name, example) in owner
            .get("examples")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let at = child_pointer(&examples_pointer, name);
            let Some((example, at)) = self.resolve(example, at) else {
                continue;
            };
            if let Some(value) = example.get("value") {
                out.push(Example {
                    name: name.clone(),
                    value: value.clone(),
                    pointer: child_pointer(&at, "value"),
                });
            }
        }
        out
    }
}

/// A Parameter Object with its schemas left out, for openapiv3's model to
/// read its structure: schemas are compiled from the JSON, under the
/// document's own dialect (3.1's would not fit the 3.0 model).
fn without_schemas(parameter: &Value) -> Value {
    let mut out = parameter.clone();
    if let Some(schema) = out.get_mut("schema") {
        *schema = Value::Object(serde_json::Map::new());
    }
    if let Some(Value::Object(content)) = out.get_mut("content") {
        for media in content.values_mut() {
            if let Some(schema) = media.get_mut("schema") {
                *schema = Value::Object(serde_json::Map::new());
            }
        }
    }
    out
}
