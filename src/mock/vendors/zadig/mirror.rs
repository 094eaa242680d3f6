//! Mirroring a live Zadig into the mock's fixtures section: the project the
//! variables name and its environments `test_env` and `prod_env`, each with
//! its global variables, services (workload kind, replicas, Kubernetes
//! Service ports, pods, containers, variables), environment configurations
//! and the log of the pod `pod`, read through the spec's read operations.
//!
//! The OpenAPI has no read of a project's service templates: the templates
//! are the services deployed in the mirrored environments (the test
//! environment's first), so a template deployed in neither cannot be
//! mirrored. The clusters and registries are the ones the environments and
//! the variables name; the portal's default gateway address of `test_env` is
//! the one the variable `gateway_address` names (the portal read answers only
//! for a base environment).

use serde_json::{Map, Value, json};

use crate::mock::vendors::mirror::{Reads, Vars, all, number, text, var};

/// How many log lines of the pod `pod` are read (its whole log, in practice).
const LOG_LINES: &str = "100000";

/// The kinds of a global or service variable the mock knows.
const VARIABLE_TYPES: [&str; 4] = ["string", "bool", "enum", "yaml"];

/// The workload kinds a service detail lists under `scales`.
const SCALED_KINDS: [&str; 3] = ["Deployment", "StatefulSet", "CloneSet"];

/// The environment configuration types.
const CONFIG_TYPES: [&str; 4] = ["Ingress", "ConfigMap", "Secret", "PVC"];

/// Which operations read an environment: the test or the production ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Test,
    Production,
}

impl Kind {
    /// The operationId `zadig.<verb><Test|Production><noun>`.
    fn op(self, verb: &str, noun: &str) -> String {
        let kind = match self {
            Kind::Test => "Test",
            Kind::Production => "Production",
        };
        format!("zadig.{verb}{kind}{noun}")
    }
}

/// The variables of the Zadig scenarios that name an existing environment.
const MIRRORED_ENVS: [(&str, Kind); 2] = [("test_env", Kind::Test), ("prod_env", Kind::Production)];

/// The Zadig section mirroring the live project `project`; `None` while a
/// read is pending, or when the variables name no project or environment.
pub fn mirror(vars: &Vars, reads: &mut Reads) -> Option<Value> {
    let project = var(vars, "project")?;
    let named: Vec<(String, Kind)> = MIRRORED_ENVS
        .iter()
        .filter_map(|(name, kind)| Some((var(vars, name)?, *kind)))
        .collect();
    if named.is_empty() {
        return None;
    }
    let mirrored = all(named
        .iter()
        .map(|(env, kind)| environment(&project, env, *kind, vars, reads)))?;
    let mut environments = Map::new();
    let mut templates = Map::new();
    for ((env, _), fixture) in named.iter().zip(mirrored) {
        for (name, service) in fixture["services"].as_object().into_iter().flatten() {
            templates
                .entry(name.clone())
                .or_insert_with(|| template(service));
        }
        environments.insert(env.clone(), fixture);
    }
    let clusters = named_ids(vars, &["cluster_id"], &environments, "cluster_id");
    let registries = named_ids(
        vars,
        &["registry_id", "other_registry_id"],
        &environments,
        "registry_id",
    );
    Some(json!({
        "clusters": clusters.iter().map(|id| json!({"id": id, "name": id})).collect::<Vec<_>>(),
        "registries": registries.iter().map(|id| json!({"id": id, "address": ""})).collect::<Vec<_>>(),
        "projects": {project: {"services": templates, "environments": environments}},
    }))
}

/// A deployed service as a template: the same, without its pods and its
/// replicas (a deployed workload may have been scaled since, and the API
/// shows no template's own count: a new deployment gets the model's default
/// of one, as Kubernetes gives a workload that names none).
fn template(service: &Value) -> Value {
    let mut template = service.clone();
    if let Some(map) = template.as_object_mut() {
        map.remove("pods");
        map.remove("replicas");
    }
    template
}

/// The distinct ids the variables `names` give, then those the environments' `field` gives.
fn named_ids(
    vars: &Vars,
    names: &[&str],
    environments: &Map<String, Value>,
    field: &str,
) -> Vec<String> {
    let mut ids: Vec<String> = Vec::new();
    let from_envs = environments.values().map(|e| text(e, field));
    for id in names.iter().filter_map(|n| var(vars, n)).chain(from_envs) {
        if !id.is_empty() && !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

/// One environment as a fixture, from its detail, its services' details,
/// its configurations and (the test environment) the log of the pod `pod`.
fn environment(
    project: &str,
    env: &str,
    kind: Kind,
    vars: &Vars,
    reads: &mut Reads,
) -> Option<Value> {
    let params = [("envName", env), ("projectKey", project)];
    let detail = reads.get(&kind.op("get", "Environment"), &params);
    let configs = reads.get(&kind.op("list", "EnvironmentConfigs"), &params);
    let log = match kind {
        Kind::Test => pod_log(project, env, vars, reads),
        Kind::Production => Some(None),
    };
    let (detail, configs, log) = (detail?, configs?, log?);
    let listed = detail["services"].as_array().cloned().unwrap_or_default();
    let services = all(listed.iter().map(|s| {
        let name = text(s, "service_name");
        let of_service = [
            ("envName", env),
            ("serviceName", name.as_str()),
            ("projectKey", project),
        ];
        let shown = reads.get(&kind.op("get", "EnvironmentService"), &of_service)?;
        Some((name, service(s, &shown)))
    }));
    let configs = all(configs
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| config(project, env, kind, c, reads)));
    let (mut services, configs) = (services?, configs?);
    let mut logs = Map::new();
    if let Some((pod, container, text)) = log {
        if let Some((_, owner)) = services.iter_mut().find(|(_, s)| runs(s, &container)) {
            let others = owner["pods"].as_array().into_iter().flatten();
            let others: Vec<Value> = others.filter(|p| **p != pod.as_str()).cloned().collect();
            owner["pods"] = json!(
                [pod.clone()]
                    .into_iter()
                    .map(Value::from)
                    .chain(others)
                    .collect::<Vec<_>>()
            );
        }
        logs.insert(pod, json!({ container: text }));
    }
    let mut fixture = json!({
        "production": kind == Kind::Production,
        "alias": text(&detail, "env_name"),
        "cluster_id": text(&detail, "cluster_id"),
        "namespace": text(&detail, "namespace"),
        "registry_id": text(&detail, "registry_id"),
        "global_variables": detail["global_variables"].as_array().into_iter().flatten().map(global).collect::<Vec<_>>(),
        "services": services.into_iter().collect::<Map<String, Value>>(),
        "env_configs": configs.into_iter().flatten().collect::<Vec<_>>(),
        "logs": logs,
    });
    if let Some(by) = detail["update_by"].as_str() {
        fixture["update_by"] = json!(by);
    }
    if let Some(address) = var(vars, "gateway_address").filter(|_| kind == Kind::Test) {
        fixture["gateway_address"] = json!(address);
    }
    if let time @ Value::Number(_) = number(detail.get("update_time")) {
        fixture["update_time"] = time;
    }
    Some(fixture)
}

/// Whether a service fixture has a container named `container`.
fn runs(service: &Value, container: &str) -> bool {
    service["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .any(|c| c["name"] == container)
}

/// The pod `pod`, its container `container` and that container's log
/// (`Some(None)` when the variables name no pod).
fn pod_log(
    project: &str,
    env: &str,
    vars: &Vars,
    reads: &mut Reads,
) -> Option<Option<(String, String, String)>> {
    let (Some(pod), Some(container)) = (var(vars, "pod"), var(vars, "container")) else {
        return Some(None);
    };
    let params = [
        ("podName", pod.as_str()),
        ("containerName", container.as_str()),
        ("projectKey", project),
        ("envName", env),
        ("tails", LOG_LINES),
    ];
    let stream = reads.get("zadig.streamContainerLogs", &params)?;
    let lines: Vec<&str> = stream
        .as_str()
        .unwrap_or_default()
        .lines()
        .filter_map(|l| l.strip_prefix("data:"))
        .collect();
    let log = lines.iter().map(|l| format!("{l}\n")).collect();
    Some(Some((pod, container, log)))
}

/// A global variable as a fixture.
fn global(item: &Value) -> Value {
    let mut fixture =
        json!({"key": text(item, "key"), "value": item.get("value").cloned().unwrap_or(json!(""))});
    if let Some(kind) = variable_type(item) {
        fixture["type"] = json!(kind);
    }
    if let Some(desc) = item["desc"].as_str() {
        fixture["desc"] = json!(desc);
    }
    let options: Vec<&Value> = item["options"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|o| o.is_string())
        .collect();
    fixture["options"] = json!(options);
    fixture
}

/// A service variable as a fixture.
fn service_variable(item: &Value) -> Value {
    let mut fixture = json!({
        "key": text(item, "key"),
        "use_global_variable": item["use_global_variable"].as_bool().unwrap_or(false),
    });
    if let Some(value) = item.get("value").filter(|v| !v.is_null()) {
        fixture["value"] = value.clone();
    }
    if let Some(kind) = variable_type(item) {
        fixture["type"] = json!(kind);
    }
    fixture
}

/// The variable's `type` when the mock knows it.
fn variable_type(item: &Value) -> Option<&str> {
    item["type"].as_str().filter(|t| VARIABLE_TYPES.contains(t))
}

/// A deployed service as a fixture, from its item in the environment detail
/// (containers, variables) and its own detail (workload, replicas, pods, its
/// Kubernetes Service and that Service's ports).
fn service(item: &Value, shown: &Value) -> Value {
    let scaled = &shown["scales"][0];
    let workload = match scaled["type"].as_str() {
        Some(kind) if SCALED_KINDS.contains(&kind) => kind,
        _ if shown["cron_jobs"].as_array().is_some_and(|c| !c.is_empty()) => "CronJob",
        _ => "Deployment",
    };
    let replicas = match number(scaled.get("replicas")) {
        n @ Value::Number(_) => n,
        _ => json!(1),
    };
    let pods: Vec<String> = scaled["pods"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|p| text(p, "name"))
        .filter(|n| !n.is_empty())
        .collect();
    let endpoints = shown["service_endpoints"].as_array();
    let ports: Vec<Value> = endpoints
        .into_iter()
        .flatten()
        .flat_map(|e| e["endpoints"].as_array().into_iter().flatten())
        .map(|e| number(e.get("service_port")))
        .filter(Value::is_number)
        .collect();
    let containers: Vec<Value> = item["containers"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| json!({"name": text(c, "name"), "image": text(c, "image")}))
        .collect();
    json!({
        "workload": workload,
        "replicas": replicas,
        "ports": ports,
        "k8s_service": endpoints.is_some_and(|e| !e.is_empty()),
        "containers": containers,
        "variable_kvs": item["variable_kvs"].as_array().into_iter().flatten().map(service_variable).collect::<Vec<_>>(),
        "pods": pods,
    })
}

/// One listed configuration as a fixture, with the YAML its detail shows
/// (`Some(None)`: a type the mock does not know, left out).
fn config(
    project: &str,
    env: &str,
    kind: Kind,
    listed: &Value,
    reads: &mut Reads,
) -> Option<Option<Value>> {
    let (name, cfg_type) = (text(listed, "name"), text(listed, "common_env_cfg_type"));
    if !CONFIG_TYPES.contains(&cfg_type.as_str()) {
        return Some(None);
    }
    let params = [
        ("envName", env),
        ("cfgName", name.as_str()),
        ("projectKey", project),
        ("type", cfg_type.as_str()),
    ];
    let detail = reads.get(&kind.op("get", "EnvironmentConfig"), &params)?;
    let yaml = detail
        .as_object()
        .into_iter()
        .flat_map(|m| m.values())
        .find_map(|d| d["yaml_data"].as_str())
        .unwrap_or_default();
    Some(Some(
        json!({"name": name, "type": cfg_type, "yaml_data": yaml}),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_service_takes_its_workload_replicas_and_ports_from_its_detail() {
        let item = json!({"service_name": "db", "containers": [{"name": "pg", "image": "r/pg:15", "image_name": "pg"}],
                          "variable_kvs": [{"key": "q", "value": "1", "type": "string", "use_global_variable": false}]});
        let shown = json!({"scales": [{"type": "StatefulSet", "replicas": 3, "pods": [{"name": "db-0"}]}],
                           "service_endpoints": [{"name": "db", "endpoints": [{"service_port": 5432}]}], "cron_jobs": []});
        let fixture = service(&item, &shown);
        assert_eq!(fixture["workload"], "StatefulSet");
        assert_eq!(fixture["replicas"], 3);
        assert_eq!(fixture["ports"], json!([5432]));
        assert_eq!(fixture["k8s_service"], true);
        assert_eq!(fixture["pods"], json!(["db-0"]));
        assert_eq!(
            fixture["containers"],
            json!([{"name": "pg", "image": "r/pg:15"}])
        );
        assert_eq!(fixture["variable_kvs"][0]["value"], "1");
        let cron = service(&item, &json!({"scales": [], "cron_jobs": [{"name": "db"}]}));
        assert_eq!(cron["workload"], "CronJob");
        let portless = json!({"scales": [], "service_endpoints": [{"name": "db"}]});
        assert_eq!(service(&item, &portless)["k8s_service"], true);
        assert_eq!(cron["k8s_service"], false);
    }

    #[test]
    fn each_environment_is_read_then_its_services_and_configurations() {
        let vars: Vars = [("project", "p"), ("test_env", "qa")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), json!(v)))
            .collect();
        let mut reads = Reads::default();
        assert_eq!(mirror(&vars, &mut reads), None);
        let first: Vec<String> = reads
            .take_pending()
            .into_iter()
            .map(|r| r.operation)
            .collect();
        assert_eq!(
            first,
            [
                "zadig.getTestEnvironment",
                "zadig.listTestEnvironmentConfigs"
            ]
        );
    }
}
