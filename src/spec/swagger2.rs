//! Swagger 2.0 read as OpenAPI 3.0: the document is rewritten into 3.0 shape
//! on load, so the rest of vouch sees one shape. `body` and `formData`
//! parameters become a `requestBody`, `definitions` become
//! `components/schemas`, `produces`/`consumes` become content types,
//! `securityDefinitions` become `components/securitySchemes`, and
//! `host`/`basePath`/`schemes` become `servers`.

use serde_json::{Map, Value, json};

/// Where 2.0 keeps what 3.0 keeps under `components`: (3.0 prefix, 2.0 prefix).
pub const RENAMED: &[(&str, &str)] = &[
    ("/components/schemas", "/definitions"),
    ("/components/parameters", "/parameters"),
    ("/components/responses", "/responses"),
    ("/components/securitySchemes", "/securityDefinitions"),
];

/// Keys of a 2.0 parameter that describe its value (they move into `schema`).
const VALUE_KEYS: &[&str] = &[
    "type",
    "format",
    "items",
    "default",
    "maximum",
    "exclusiveMaximum",
    "minimum",
    "exclusiveMinimum",
    "maxLength",
    "minLength",
    "pattern",
    "maxItems",
    "minItems",
    "uniqueItems",
    "enum",
    "multipleOf",
];

/// Whether `doc` declares Swagger 2.0.
pub fn is_swagger2(doc: &Value) -> bool {
    doc.get("swagger").and_then(Value::as_str) == Some("2.0")
}

/// The OpenAPI 3.0 document equivalent to the Swagger 2.0 `doc`.
pub fn to_openapi30(doc: &Value) -> Value {
    let converter = Converter {
        doc,
        consumes: media_types(doc.get("consumes")),
        produces: media_types(doc.get("produces")),
    };
    converter.document()
}

struct Converter<'a> {
    doc: &'a Value,
    consumes: Vec<String>,
    produces: Vec<String>,
}

fn media_types(list: Option<&Value>) -> Vec<String> {
    list.and_then(Value::as_array)
        .map(|l| {
            l.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn or_json(types: Vec<String>) -> Vec<String> {
    if types.is_empty() {
        vec!["application/json".to_string()]
    } else {
        types
    }
}

impl Converter<'_> {
    fn document(&self) -> Value {
        let mut out = Map::new();
        out.insert("openapi".into(), json!("3.0.3"));
        let Value::Object(src) = self.doc else {
            return Value::Object(out);
        };
        for (key, value) in src {
            match key.as_str() {
                "swagger"
                | "host"
                | "basePath"
                | "schemes"
                | "consumes"
                | "produces"
                | "definitions"
                | "parameters"
                | "responses"
                | "securityDefinitions" => {}
                "paths" => {
                    out.insert(key.clone(), self.paths(value));
                }
                _ => {
                    out.insert(key.clone(), rewrite_refs(value));
                }
            }
        }
        out.insert("servers".into(), self.servers());
        out.insert("components".into(), self.components());
        Value::Object(out)
    }

    fn servers(&self) -> Value {
        let get = |k: &str| self.doc.get(k).and_then(Value::as_str);
        let base = get("basePath").unwrap_or("");
        let Some(host) = get("host") else {
            return json!([{ "url": if base.is_empty() { "/" } else { base } }]);
        };
        let schemes = media_types(self.doc.get("schemes"));
        let schemes = if schemes.is_empty() {
            vec!["https".to_string()]
        } else {
            schemes
        };
        Value::Array(
            schemes
                .iter()
                .map(|s| json!({ "url": format!("{s}://{host}{base}") }))
                .collect(),
        )
    }

    fn components(&self) -> Value {
        let mut out = Map::new();
        if let Some(Value::Object(defs)) = self.doc.get("definitions") {
            out.insert("schemas".into(), map_values(defs, schema));
        }
        let mut parameters = Map::new();
        let mut bodies = Map::new();
        if let Some(Value::Object(params)) = self.doc.get("parameters") {
            for (name, p) in params {
                match p.get("in").and_then(Value::as_str) {
                    Some("body") => {
                        bodies.insert(name.clone(), self.body(p, &self.consumes));
                    }
                    Some("formData") => {}
                    _ => {
                        parameters.insert(name.clone(), parameter(p));
                    }
                }
            }
        }
        out.insert("parameters".into(), Value::Object(parameters));
        if !bodies.is_empty() {
            out.insert("requestBodies".into(), Value::Object(bodies));
        }
        if let Some(Value::Object(responses)) = self.doc.get("responses") {
            let produces = or_json(self.produces.clone());
            out.insert(
                "responses".into(),
                map_values(responses, |r| response(r, &produces)),
            );
        }
        if let Some(Value::Object(schemes)) = self.doc.get("securityDefinitions") {
            out.insert(
                "securitySchemes".into(),
                map_values(schemes, security_scheme),
            );
        }
        Value::Object(out)
    }

    fn paths(&self, paths: &Value) -> Value {
        let Value::Object(paths) = paths else {
            return paths.clone();
        };
        let mut out = Map::new();
        for (template, item) in paths {
            out.insert(template.clone(), self.path_item(item));
        }
        Value::Object(out)
    }

    fn path_item(&self, item: &Value) -> Value {
        let Value::Object(item) = item else {
            return rewrite_refs(item);
        };
        let shared: Vec<Value> = item
            .get("parameters")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut out = Map::new();
        for (key, value) in item {
            let converted = match key.as_str() {
                "get" | "put" | "post" | "delete" | "options" | "head" | "patch" => {
                    self.operation(value, &shared)
                }
                "parameters" => Value::Array(
                    shared
                        .iter()
                        .filter(|p| !self.in_body(p))
                        .map(|p| self.parameter(p))
                        .collect(),
                ),
                _ => rewrite_refs(value),
            };
            out.insert(key.clone(), converted);
        }
        Value::Object(out)
    }

    /// The parameter itself, following a `#/parameters/...` reference.
    fn resolved<'p>(&'p self, p: &'p Value) -> &'p Value {
        p.get("$ref")
            .and_then(Value::as_str)
            .and_then(|r| r.strip_prefix('#'))
            .and_then(|pointer| self.doc.pointer(pointer))
            .unwrap_or(p)
    }

    /// A non-body parameter as 3.0: a reference to `#/parameters/...` stays
    /// one (to its 3.0 place); one into a bundled file is inlined, converted.
    fn parameter(&self, p: &Value) -> Value {
        match p.get("$ref").and_then(Value::as_str) {
            Some(r) if !r.starts_with("#/parameters/") => parameter(self.resolved(p)),
            _ => parameter(p),
        }
    }

    /// Whether a parameter travels in the body (`body` or `formData`).
    fn in_body(&self, p: &Value) -> bool {
        matches!(
            self.resolved(p).get("in").and_then(Value::as_str),
            Some("body" | "formData")
        )
    }

    fn operation(&self, op: &Value, shared: &[Value]) -> Value {
        let Value::Object(src) = op else {
            return op.clone();
        };
        let consumes = match src.get("consumes") {
            Some(c) => media_types(Some(c)),
            None => self.consumes.clone(),
        };
        let produces = or_json(match src.get("produces") {
            Some(p) => media_types(Some(p)),
            None => self.produces.clone(),
        });
        let own: Vec<Value> = src
            .get("parameters")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let mut out = Map::new();
        for (key, value) in src {
            match key.as_str() {
                "consumes" | "produces" | "schemes" => {}
                "parameters" => {
                    let kept: Vec<Value> = own
                        .iter()
                        .filter(|p| !self.in_body(p))
                        .map(|p| self.parameter(p))
                        .collect();
                    out.insert(key.clone(), Value::Array(kept));
                }
                "responses" => {
                    let Value::Object(responses) = value else {
                        continue;
                    };
                    out.insert(
                        key.clone(),
                        map_values(responses, |r| response(r, &produces)),
                    );
                }
                _ => {
                    out.insert(key.clone(), rewrite_refs(value));
                }
            }
        }
        // Operation-level body parameters win over path-level ones.
        let in_body: Vec<&Value> = own
            .iter()
            .chain(shared)
            .filter(|p| self.in_body(p))
            .collect();
        if let Some(body) = self.request_body(&in_body, &consumes) {
            out.insert("requestBody".into(), body);
        }
        Value::Object(out)
    }

    /// The `requestBody` for an operation's `body` or `formData` parameters.
    fn request_body(&self, params: &[&Value], consumes: &[String]) -> Option<Value> {
        if let Some(body) = params
            .iter()
            .find(|p| self.resolved(p).get("in").and_then(Value::as_str) == Some("body"))
        {
            return Some(match body.get("$ref").and_then(Value::as_str) {
                Some(r)
                    if r.strip_prefix('#')
                        .is_some_and(|p| self.doc.pointer(p).is_some()) =>
                {
                    json!({ "$ref": r.replacen("#/parameters/", "#/components/requestBodies/", 1) })
                }
                _ => self.body(self.resolved(body), consumes),
            });
        }
        self.form(params, consumes)
    }

    fn body(&self, p: &Value, consumes: &[String]) -> Value {
        let consumes = or_json(consumes.to_vec());
        let body_schema = p.get("schema").map(schema).unwrap_or_else(|| json!({}));
        let content: Map<String, Value> = consumes
            .iter()
            .map(|t| (t.clone(), json!({ "schema": body_schema })))
            .collect();
        let mut out = json!({
            "required": p.get("required").and_then(Value::as_bool).unwrap_or(false),
            "content": content,
        });
        if let Some(d) = p.get("description") {
            out["description"] = d.clone();
        }
        out
    }

    /// `formData` parameters as one object schema under a form media type.
    fn form(&self, params: &[&Value], consumes: &[String]) -> Option<Value> {
        let fields: Vec<&Value> = params
            .iter()
            .map(|p| self.resolved(p))
            .filter(|p| p.get("in").and_then(Value::as_str) == Some("formData"))
            .collect();
        if fields.is_empty() {
            return None;
        }
        let mut properties = Map::new();
        let mut required = Vec::new();
        for field in &fields {
            let Some(name) = field.get("name").and_then(Value::as_str) else {
                continue;
            };
            properties.insert(name.to_string(), value_schema(field));
            if field.get("required").and_then(Value::as_bool) == Some(true) {
                required.push(json!(name));
            }
        }
        let has_file = fields
            .iter()
            .any(|f| f.get("type").and_then(Value::as_str) == Some("file"));
        let form_types: Vec<String> = consumes
            .iter()
            .filter(|t| {
                t.starts_with("application/x-www-form-urlencoded")
                    || t.starts_with("multipart/form-data")
            })
            .cloned()
            .collect();
        let form_types = match (form_types.is_empty(), has_file) {
            (false, _) => form_types,
            (true, true) => vec!["multipart/form-data".to_string()],
            (true, false) => vec!["application/x-www-form-urlencoded".to_string()],
        };
        let mut form_schema = json!({ "type": "object", "properties": properties });
        if !required.is_empty() {
            form_schema["required"] = Value::Array(required.clone());
        }
        let content: Map<String, Value> = form_types
            .into_iter()
            .map(|t| (t, json!({ "schema": form_schema })))
            .collect();
        Some(json!({ "required": !required.is_empty(), "content": content }))
    }
}

fn map_values(map: &Map<String, Value>, f: impl Fn(&Value) -> Value) -> Value {
    Value::Object(map.iter().map(|(k, v)| (k.clone(), f(v))).collect())
}

/// A 2.0 non-body parameter as a 3.0 Parameter Object.
fn parameter(p: &Value) -> Value {
    let Value::Object(src) = p else {
        return p.clone();
    };
    if src.contains_key("$ref") {
        return rewrite_refs(p);
    }
    let mut out = Map::new();
    for (key, value) in src {
        if !VALUE_KEYS.contains(&key.as_str())
            && !matches!(key.as_str(), "collectionFormat" | "allowEmptyValue")
        {
            out.insert(key.clone(), rewrite_refs(value));
        }
    }
    out.insert("schema".into(), value_schema(p));
    let location = src.get("in").and_then(Value::as_str).unwrap_or("query");
    match src.get("collectionFormat").and_then(Value::as_str) {
        Some("multi") => {
            out.insert("style".into(), json!("form"));
            out.insert("explode".into(), json!(true));
        }
        Some("ssv") => {
            out.insert("style".into(), json!("spaceDelimited"));
            out.insert("explode".into(), json!(false));
        }
        Some("pipes") => {
            out.insert("style".into(), json!("pipeDelimited"));
            out.insert("explode".into(), json!(false));
        }
        _ if src.get("type").and_then(Value::as_str) == Some("array") => {
            let style = if location == "query" {
                "form"
            } else {
                "simple"
            };
            out.insert("style".into(), json!(style));
            out.insert("explode".into(), json!(false));
        }
        _ => {}
    }
    Value::Object(out)
}

/// The schema a 2.0 parameter, header or `items` describes with its own keys.
fn value_schema(p: &Value) -> Value {
    let mut out = Map::new();
    if let Value::Object(src) = p {
        for key in VALUE_KEYS {
            if let Some(value) = src.get(*key) {
                let value = match *key {
                    "items" => value_schema(value),
                    _ => value.clone(),
                };
                out.insert((*key).to_string(), value);
            }
        }
    }
    file_type(&mut out);
    Value::Object(out)
}

/// `type: file` is a binary string in 3.0.
fn file_type(out: &mut Map<String, Value>) {
    if out.get("type").and_then(Value::as_str) == Some("file") {
        out.insert("type".into(), json!("string"));
        out.insert("format".into(), json!("binary"));
    }
}

/// A 2.0 Schema Object as 3.0: refs renamed, `x-nullable` honoured,
/// a string `discriminator` turned into an object, `file` made binary.
fn schema(value: &Value) -> Value {
    match value {
        Value::Object(src) => {
            let mut out = Map::with_capacity(src.len());
            for (key, v) in src {
                let converted = match key.as_str() {
                    "$ref" => Value::String(rename_ref(v.as_str().unwrap_or_default())),
                    "example" | "enum" | "default" => v.clone(),
                    "discriminator" => match v {
                        Value::String(name) => json!({ "propertyName": name }),
                        other => other.clone(),
                    },
                    "x-nullable" => {
                        out.insert("nullable".into(), v.clone());
                        continue;
                    }
                    "properties" | "definitions" => match v {
                        Value::Object(m) => map_values(m, schema),
                        other => other.clone(),
                    },
                    _ => schema(v),
                };
                out.insert(key.clone(), converted);
            }
            file_type(&mut out);
            Value::Object(out)
        }
        Value::Array(items) => Value::Array(items.iter().map(schema).collect()),
        other => other.clone(),
    }
}

/// A 2.0 Response Object as 3.0: its schema under every produced media type.
fn response(r: &Value, produces: &[String]) -> Value {
    let Value::Object(src) = r else {
        return r.clone();
    };
    if src.contains_key("$ref") {
        return rewrite_refs(r);
    }
    let mut out = Map::new();
    out.insert(
        "description".into(),
        src.get("description").cloned().unwrap_or_else(|| json!("")),
    );
    if let Some(Value::Object(headers)) = src.get("headers") {
        out.insert(
            "headers".into(),
            map_values(headers, |h| {
                let mut header = Map::new();
                if let Some(d) = h.get("description") {
                    header.insert("description".into(), d.clone());
                }
                header.insert("schema".into(), value_schema(h));
                Value::Object(header)
            }),
        );
    }
    let examples = src.get("examples").and_then(Value::as_object);
    if let Some(body_schema) = src.get("schema") {
        let body_schema = schema(body_schema);
        let content: Map<String, Value> = produces
            .iter()
            .map(|t| {
                let mut media = json!({ "schema": body_schema });
                if let Some(example) = examples.and_then(|e| e.get(t)) {
                    media["example"] = example.clone();
                }
                (t.clone(), media)
            })
            .collect();
        out.insert("content".into(), Value::Object(content));
    }
    for (key, value) in src {
        if key.starts_with("x-") {
            out.insert(key.clone(), value.clone());
        }
    }
    Value::Object(out)
}

/// A 2.0 Security Scheme Object as 3.0.
fn security_scheme(s: &Value) -> Value {
    let get = |k: &str| s.get(k).and_then(Value::as_str);
    let mut out = match get("type") {
        Some("basic") => json!({ "type": "http", "scheme": "basic" }),
        Some("oauth2") => {
            let flow = match get("flow") {
                Some("password") => "password",
                Some("application") => "clientCredentials",
                Some("accessCode") => "authorizationCode",
                _ => "implicit",
            };
            let mut details = Map::new();
            for (from, to) in [
                ("authorizationUrl", "authorizationUrl"),
                ("tokenUrl", "tokenUrl"),
            ] {
                if let Some(url) = s.get(from) {
                    details.insert(to.into(), url.clone());
                }
            }
            details.insert(
                "scopes".into(),
                s.get("scopes").cloned().unwrap_or_else(|| json!({})),
            );
            json!({ "type": "oauth2", "flows": { flow: details } })
        }
        _ => {
            let mut out = s.clone();
            if let Value::Object(map) = &mut out {
                map.retain(|k, _| {
                    matches!(k.as_str(), "type" | "name" | "in") || k.starts_with("x-")
                });
            }
            out
        }
    };
    if let (Some(d), Value::Object(map)) = (s.get("description"), &mut out) {
        map.insert("description".into(), d.clone());
    }
    out
}

/// `#/definitions/X` and friends as their 3.0 places.
fn rename_ref(reference: &str) -> String {
    for (to, from) in RENAMED {
        if let Some(rest) = reference
            .strip_prefix('#')
            .and_then(|p| p.strip_prefix(from))
        {
            return format!("#{to}{rest}");
        }
    }
    reference.to_string()
}

/// `value` with every `$ref` renamed (for parts copied as they are).
fn rewrite_refs(value: &Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| {
                    let v = match (k.as_str(), v) {
                        ("$ref", Value::String(r)) => Value::String(rename_ref(r)),
                        _ => rewrite_refs(v),
                    };
                    (k.clone(), v)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.iter().map(rewrite_refs).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn petstore() -> Value {
        json!({
            "swagger": "2.0",
            "info": {"title": "Pets", "version": "1"},
            "host": "petstore.example",
            "basePath": "/v2",
            "schemes": ["https"],
            "consumes": ["application/json"],
            "produces": ["application/json"],
            "securityDefinitions": {
                "key": {"type": "apiKey", "name": "api_key", "in": "header"},
                "auth": {"type": "oauth2", "flow": "implicit",
                    "authorizationUrl": "https://auth.example/", "scopes": {"w": "write"}}
            },
            "definitions": {"Pet": {"type": "object", "required": ["name"],
                "properties": {"name": {"type": "string"}, "tag": {"type": "string", "x-nullable": true}}}},
            "paths": {
                "/pets": {"post": {
                    "operationId": "addPet",
                    "parameters": [{"in": "body", "name": "body", "required": true,
                        "schema": {"$ref": "#/definitions/Pet"}}],
                    "responses": {"200": {"description": "ok", "schema": {"$ref": "#/definitions/Pet"},
                        "examples": {"application/json": {"name": "Rex"}}}}
                }},
                "/pets/{id}": {"post": {
                    "operationId": "updatePet",
                    "consumes": ["application/x-www-form-urlencoded"],
                    "parameters": [
                        {"in": "path", "name": "id", "required": true, "type": "integer", "format": "int64"},
                        {"in": "formData", "name": "name", "required": true, "type": "string"},
                        {"in": "formData", "name": "status", "type": "string"},
                        {"in": "query", "name": "tags", "type": "array", "items": {"type": "string"},
                            "collectionFormat": "multi"}
                    ],
                    "responses": {"405": {"description": "invalid"}}
                }}
            }
        })
    }

    #[test]
    fn body_parameters_become_a_request_body_under_the_consumed_types() {
        let doc = to_openapi30(&petstore());
        let body = &doc["paths"]["/pets"]["post"]["requestBody"];
        assert_eq!(body["required"], true);
        assert_eq!(
            body["content"]["application/json"]["schema"]["$ref"],
            "#/components/schemas/Pet"
        );
        assert_eq!(doc["paths"]["/pets"]["post"]["parameters"], json!([]));
        let ok = &doc["paths"]["/pets"]["post"]["responses"]["200"];
        assert_eq!(ok["content"]["application/json"]["example"]["name"], "Rex");
    }

    #[test]
    fn form_data_parameters_become_one_form_object() {
        let doc = to_openapi30(&petstore());
        let op = &doc["paths"]["/pets/{id}"]["post"];
        let form = &op["requestBody"]["content"]["application/x-www-form-urlencoded"]["schema"];
        assert_eq!(form["required"], json!(["name"]));
        assert_eq!(form["properties"]["status"]["type"], "string");
        let params = op["parameters"].as_array().unwrap();
        assert_eq!(params.len(), 2);
        assert_eq!(
            params[0]["schema"],
            json!({"type": "integer", "format": "int64"})
        );
        assert_eq!(params[1]["style"], "form");
        assert_eq!(params[1]["explode"], true);
        assert_eq!(params[1]["schema"]["items"]["type"], "string");
    }

    #[test]
    fn definitions_base_path_and_security_move_to_their_3_0_places() {
        let doc = to_openapi30(&petstore());
        assert_eq!(doc["openapi"], "3.0.3");
        assert_eq!(
            doc["servers"],
            json!([{"url": "https://petstore.example/v2"}])
        );
        assert_eq!(
            doc["components"]["schemas"]["Pet"]["properties"]["tag"]["nullable"],
            true
        );
        assert_eq!(
            doc["components"]["securitySchemes"]["auth"]["flows"]["implicit"]["scopes"]["w"],
            "write"
        );
        assert_eq!(
            doc["components"]["securitySchemes"]["key"],
            json!({"type": "apiKey", "name": "api_key", "in": "header"})
        );
        assert!(doc.get("definitions").is_none());
    }
}
