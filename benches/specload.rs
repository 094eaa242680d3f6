//! Loading a large spec: a generated OpenAPI 3.0 document of about 1.5 MB
//! with 200 operations over 400 component schemas that refer to each other
//! (the shape of Twilio's api_v2010), loaded as `vouch mock --spec` and
//! `vouch lint` load it: parsed, checked, every schema compiled, routed.
//! Each load runs in a fresh child process so that its peak resident memory
//! is its own; the report gives the wall time and that peak per run.
//!
//! Run: `cargo bench --bench specload` (add `-- --quick` for one run, or
//! `-- --write FILE` to write the generated document for another tool).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use serde_json::{Map, Value, json};
use vouch::spec::Catalog;

const OPERATIONS: usize = 200;
const SCHEMAS: usize = 400;
const PROPERTIES: usize = 12;

/// A component schema: scalar properties with long descriptions, and
/// references to the next two schemas (so each reaches a long chain).
fn component(i: usize) -> Value {
    let mut properties = Map::new();
    for p in 0..PROPERTIES {
        let mut field = json!({
            "type": if p % 3 == 0 { "integer" } else { "string" },
            "nullable": p % 4 == 0,
            "maxLength": 255,
            "description": format!("Field {p} of resource {i}: {}", "lorem ipsum dolor sit amet ".repeat(3)),
        });
        if p % 5 == 0 {
            field["pattern"] = json!("^[A-Za-z0-9_-]*$");
        }
        properties.insert(format!("field_{p}"), field);
    }
    for hop in 1..=2 {
        properties.insert(
            format!("related_{hop}"),
            json!({ "$ref": format!("#/components/schemas/Resource{}", (i + hop) % SCHEMAS) }),
        );
    }
    json!({ "type": "object", "required": ["field_0"], "properties": properties })
}

fn operation(i: usize, method: &str) -> Value {
    let schema = json!({ "$ref": format!("#/components/schemas/Resource{}", i % SCHEMAS) });
    let mut op = json!({
        "operationId": format!("{method}Resource{i}"),
        "parameters": [
            { "name": "Sid", "in": "path", "required": true,
              "schema": { "type": "string", "pattern": "^RS[0-9a-f]{32}$" } },
            { "name": "PageSize", "in": "query", "schema": { "type": "integer", "maximum": 1000 } }
        ],
        "responses": {
            "200": { "description": "ok", "content": { "application/json": { "schema": schema } } },
            "404": { "description": "missing", "content": { "application/json": {
                "schema": { "$ref": "#/components/schemas/Error" } } } }
        }
    });
    if method == "post" {
        op["requestBody"] = json!({ "content": {
            "application/x-www-form-urlencoded": { "schema": schema }
        } });
    }
    op
}

/// The generated document as JSON text.
fn generate() -> String {
    let mut schemas = Map::new();
    for i in 0..SCHEMAS {
        schemas.insert(format!("Resource{i}"), component(i));
    }
    schemas.insert(
        "Error".into(),
        json!({ "type": "object", "properties": { "code": { "type": "integer" }, "message": { "type": "string" } } }),
    );
    let mut paths = Map::new();
    for i in 0..OPERATIONS / 2 {
        paths.insert(
            format!("/2010-04-01/Accounts/{{Sid}}/Resource{i}.json"),
            json!({ "get": operation(i, "get"), "post": operation(i, "post") }),
        );
    }
    let doc = json!({
        "openapi": "3.0.3",
        "info": { "title": "generated large API", "version": "1" },
        "paths": paths,
        "components": { "schemas": schemas }
    });
    serde_json::to_string_pretty(&doc).expect("a JSON value serialises")
}

fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// In the child: load `path` as the mock does, then print the time and peak memory.
fn load_and_report(path: &Path) {
    let started = Instant::now();
    let catalog = Catalog::load(&[path.to_path_buf()]).unwrap_or_else(|p| panic!("{p:#?}"));
    let elapsed = started.elapsed();
    let operations = catalog.operations().count();
    println!("{} {} {operations}", elapsed.as_secs_f64(), peak_rss_kib());
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let value_of = |flag: &str| {
        let i = args.iter().position(|a| a == flag)?;
        args.get(i + 1).map(PathBuf::from)
    };
    if let Some(path) = value_of("--load") {
        load_and_report(&path);
        return;
    }
    // For other tools (Prism, `vouch lint`) to load the same document.
    if let Some(path) = value_of("--write") {
        std::fs::write(&path, generate()).expect("the path is writable");
        return;
    }
    let runs = if args.iter().any(|a| a == "--quick") {
        1
    } else {
        5
    };
    let text = generate();
    let path: PathBuf =
        std::env::temp_dir().join(format!("vouch-large-{}.json", std::process::id()));
    std::fs::write(&path, &text).expect("temp file is writable");
    println!(
        "generated spec: {:.2} MB, {OPERATIONS} operations, {} component schemas",
        text.len() as f64 / 1e6,
        SCHEMAS + 1
    );
    let exe = std::env::current_exe().expect("own executable");
    for run in 1..=runs {
        let out = Command::new(&exe)
            .arg("--load")
            .arg(&path)
            .output()
            .expect("child runs");
        let report = String::from_utf8_lossy(&out.stdout);
        let fields: Vec<&str> = report.split_whitespace().collect();
        if !out.status.success() || fields.len() != 3 {
            eprintln!("{}", String::from_utf8_lossy(&out.stderr));
            panic!("load failed: {report}");
        }
        println!(
            "run {run}: loaded {} operations in {:.3} s, peak RSS {:.0} MB",
            fields[2],
            fields[0].parse::<f64>().unwrap_or(0.0),
            fields[1].parse::<f64>().unwrap_or(0.0) / 1024.0
        );
    }
    let _ = std::fs::remove_file(&path);
}
