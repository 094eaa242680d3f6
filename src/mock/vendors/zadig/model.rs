//! The Zadig mock's data: the fixture format, the state built from it, and the
//! lookups every handler shares (project, environment, service).
//!
//! A project owns service templates (what "add services" may deploy) and
//! environments keyed by `env_key`. An environment is either a test or a
//! production one; [`Scope`] keeps the two apart, so a test operation never
//! sees a production environment and the other way round.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::mock::random::{hex_id, next_u64, unix_seconds};

/// The user behind the API token: `update_by` of every change made through the mock.
pub const API_USER: &str = "admin";

/// The most pods the mock runs for one workload; a larger replica count is
/// kept and shown as a number only.
pub const MAX_PODS: u32 = 100;

fn api_user() -> String {
    API_USER.to_string()
}

fn one() -> u32 {
    1
}

/// Seed data for Zadig.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixtures {
    /// Kubernetes clusters an environment may be created in.
    #[serde(default)]
    pub clusters: Vec<Cluster>,
    /// Image registries an environment may use.
    #[serde(default)]
    pub registries: Vec<Registry>,
    /// Projects by `projectKey`.
    #[serde(default)]
    pub projects: BTreeMap<String, ProjectFixture>,
}

/// A Kubernetes cluster known to Zadig.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Cluster {
    pub id: String,
    pub name: String,
}

/// An image registry known to Zadig.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Registry {
    pub id: String,
    pub address: String,
}

/// A project as written in the fixtures.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectFixture {
    /// Service templates by name.
    #[serde(default)]
    pub services: BTreeMap<String, ServiceSpec>,
    /// Environments by `env_key`.
    #[serde(default)]
    pub environments: BTreeMap<String, EnvironmentFixture>,
}

/// An environment as written in the fixtures.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnvironmentFixture {
    #[serde(default)]
    pub production: bool,
    /// Display name (`envName` / `env_name` in answers); empty means none.
    #[serde(default)]
    pub alias: String,
    pub cluster_id: String,
    pub namespace: String,
    pub registry_id: String,
    #[serde(default = "api_user")]
    pub update_by: String,
    #[serde(default)]
    pub update_time: u64,
    /// Default gateway address of the portal (sub-environment entry) services.
    #[serde(default)]
    pub gateway_address: String,
    #[serde(default)]
    pub global_variables: Vec<GlobalVariable>,
    /// Deployed services by name.
    #[serde(default)]
    pub services: BTreeMap<String, ServiceSpec>,
    #[serde(default)]
    pub env_configs: Vec<EnvConfig>,
    /// Container logs: pod name -> container name -> text (one log line per line).
    #[serde(default)]
    pub logs: BTreeMap<String, BTreeMap<String, String>>,
}

/// A service: a template of a project or one deployed in an environment.
/// Its workload is named after the service.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSpec {
    #[serde(default)]
    pub workload: WorkloadKind,
    #[serde(default = "one")]
    pub replicas: u32,
    /// Ports of the service's Kubernetes Service.
    #[serde(default)]
    pub ports: Vec<u16>,
    /// Whether the workload has a Kubernetes Service (default: whether it has `ports`).
    #[serde(default)]
    pub k8s_service: Option<bool>,
    pub containers: Vec<Container>,
    #[serde(default)]
    pub variable_kvs: Vec<ServiceVariable>,
    /// Names of running pods (more are generated up to `replicas`).
    #[serde(default)]
    pub pods: Vec<String>,
}

/// The kind of a service's workload.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
pub enum WorkloadKind {
    #[default]
    Deployment,
    StatefulSet,
    CloneSet,
    CronJob,
}

impl WorkloadKind {
    pub fn as_str(self) -> &'static str {
        match self {
            WorkloadKind::Deployment => "Deployment",
            WorkloadKind::StatefulSet => "StatefulSet",
            WorkloadKind::CloneSet => "CloneSet",
            WorkloadKind::CronJob => "CronJob",
        }
    }
}

/// A container of a service and its image.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Container {
    pub name: String,
    pub image: String,
}

/// A variable type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum VariableType {
    #[default]
    String,
    Bool,
    Enum,
    Yaml,
}

impl VariableType {
    /// The type a value sent without one gets.
    pub fn of(value: &Value) -> VariableType {
        match value {
            Value::Bool(_) => VariableType::Bool,
            Value::String(_) => VariableType::String,
            _ => VariableType::Yaml,
        }
    }
}

/// An environment global variable.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GlobalVariable {
    pub key: String,
    pub value: Value,
    #[serde(default, rename = "type")]
    pub kind: VariableType,
    #[serde(default)]
    pub options: Vec<String>,
    #[serde(default)]
    pub desc: String,
}

/// A variable of a service; with `use_global_variable` its value is the
/// environment's global variable of the same key.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceVariable {
    pub key: String,
    #[serde(default = "empty_value")]
    pub value: Value,
    #[serde(default, rename = "type")]
    pub kind: VariableType,
    #[serde(default)]
    pub use_global_variable: bool,
}

fn empty_value() -> Value {
    Value::String(String::new())
}

/// An environment configuration type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
pub enum EnvCfgType {
    Ingress,
    ConfigMap,
    Secret,
    #[serde(rename = "PVC")]
    Pvc,
}

impl EnvCfgType {
    pub fn as_str(self) -> &'static str {
        match self {
            EnvCfgType::Ingress => "Ingress",
            EnvCfgType::ConfigMap => "ConfigMap",
            EnvCfgType::Secret => "Secret",
            EnvCfgType::Pvc => "PVC",
        }
    }

    /// Parses the `type` query value.
    pub fn parse(text: &str) -> Option<EnvCfgType> {
        [
            EnvCfgType::Ingress,
            EnvCfgType::ConfigMap,
            EnvCfgType::Secret,
            EnvCfgType::Pvc,
        ]
        .into_iter()
        .find(|t| t.as_str() == text)
    }
}

/// An environment configuration (a Kubernetes object kept by Zadig).
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EnvConfig {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: EnvCfgType,
    pub yaml_data: String,
    /// Unix seconds; 0 in the fixtures means "when the mock started".
    #[serde(default)]
    pub created_time: u64,
    /// Unix seconds of the last update; 0 means never updated.
    #[serde(default)]
    pub update_time: u64,
    #[serde(default = "api_user")]
    pub update_by: String,
}

/// A host routed to a portal service.
#[derive(Debug, Clone, Deserialize, Serialize)]
pub struct PortalServer {
    pub host: String,
    pub port_number: u32,
    pub port_protocol: String,
}

/// What the Zadig mock remembers.
#[derive(Debug, Clone, Default, Serialize)]
pub struct State {
    /// Clusters environments may be created in, from the fixtures.
    pub clusters: Vec<Cluster>,
    /// Image registries environments may use, from the fixtures.
    pub registries: Vec<Registry>,
    /// Projects by project key.
    pub projects: BTreeMap<String, Project>,
}

/// A project: service templates and environments.
#[derive(Debug, Clone, Serialize)]
pub struct Project {
    pub services: BTreeMap<String, ServiceSpec>,
    pub environments: BTreeMap<String, Environment>,
}

/// An environment and everything running in it.
#[derive(Debug, Clone, Serialize)]
pub struct Environment {
    pub production: bool,
    pub alias: String,
    pub cluster_id: String,
    pub namespace: String,
    pub registry_id: String,
    pub update_by: String,
    pub update_time: u64,
    pub gateway_address: String,
    pub global_variables: Vec<GlobalVariable>,
    pub services: BTreeMap<String, Service>,
    pub env_configs: Vec<EnvConfig>,
    pub logs: BTreeMap<String, BTreeMap<String, String>>,
    /// Whether sub-environments are on (the environment is a base environment).
    pub share_enabled: bool,
    /// Portal hosts by service name.
    pub portals: BTreeMap<String, Vec<PortalServer>>,
    /// Kubernetes events, oldest first.
    pub events: Vec<Event>,
}

/// A service deployed in an environment.
#[derive(Debug, Clone, Serialize)]
pub struct Service {
    pub workload: WorkloadKind,
    pub replicas: u32,
    pub ports: Vec<u16>,
    /// Whether the workload has a Kubernetes Service.
    pub k8s_service: bool,
    pub containers: Vec<Container>,
    pub variable_kvs: Vec<ServiceVariable>,
    pub pods: Vec<Pod>,
}

/// A running pod.
#[derive(Debug, Clone, Serialize)]
pub struct Pod {
    pub name: String,
    pub ip: String,
    /// Unix seconds.
    pub started_at: u64,
}

/// A Kubernetes event about a workload.
#[derive(Debug, Clone, Serialize)]
pub struct Event {
    pub object_name: String,
    pub object_kind: String,
    pub reason: String,
    pub message: String,
    pub at: u64,
}

/// Which environments an operation sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    Test,
    Production,
    /// Operations that name the environment in the body or a query (scale,
    /// images, events, logs) reach both kinds.
    Any,
}

impl Scope {
    /// Whether an operation of this scope sees an environment of this kind.
    pub fn admits(self, production: bool) -> bool {
        match self {
            Scope::Test => !production,
            Scope::Production => production,
            Scope::Any => true,
        }
    }
}

impl State {
    /// State holding exactly the fixtures.
    pub fn new(fixtures: &Fixtures) -> State {
        let now = unix_seconds();
        let projects = fixtures
            .projects
            .iter()
            .map(|(key, p)| {
                let environments = p
                    .environments
                    .iter()
                    .map(|(k, e)| (k.clone(), Environment::from_fixture(e, now)))
                    .collect();
                (
                    key.clone(),
                    Project {
                        services: p.services.clone(),
                        environments,
                    },
                )
            })
            .collect();
        State {
            clusters: fixtures.clusters.clone(),
            registries: fixtures.registries.clone(),
            projects,
        }
    }

    /// The project with key `key`, or Zadig's not-found message.
    pub fn project(&self, key: &str) -> Result<&Project, String> {
        self.projects
            .get(key)
            .ok_or_else(|| format!("project {key} not found"))
    }

    /// The project with key `key`, mutably, or Zadig's not-found message.
    pub fn project_mut(&mut self, key: &str) -> Result<&mut Project, String> {
        self.projects
            .get_mut(key)
            .ok_or_else(|| format!("project {key} not found"))
    }

    /// The environment `env` of `project` if `scope` sees it.
    pub fn env(&self, project: &str, env: &str, scope: Scope) -> Result<&Environment, String> {
        self.project(project)?
            .environments
            .get(env)
            .filter(|e| scope.admits(e.production))
            .ok_or_else(|| missing_env(project, env))
    }

    /// The environment `env` of `project` if `scope` sees it, mutably.
    pub fn env_mut(
        &mut self,
        project: &str,
        env: &str,
        scope: Scope,
    ) -> Result<&mut Environment, String> {
        self.project_mut(project)?
            .environments
            .get_mut(env)
            .filter(|e| scope.admits(e.production))
            .ok_or_else(|| missing_env(project, env))
    }

    /// Whether a cluster with id `id` exists.
    pub fn has_cluster(&self, id: &str) -> bool {
        self.clusters.iter().any(|c| c.id == id)
    }

    /// Whether a registry with id `id` exists.
    pub fn has_registry(&self, id: &str) -> bool {
        self.registries.iter().any(|r| r.id == id)
    }
}

fn missing_env(project: &str, env: &str) -> String {
    format!("environment {env} not found in project {project}")
}

impl Project {
    /// The environments an operation of `scope` sees.
    pub fn environments_in(&self, scope: Scope) -> impl Iterator<Item = (&String, &Environment)> {
        self.environments
            .iter()
            .filter(move |(_, e)| scope.admits(e.production))
    }
}

impl Environment {
    fn from_fixture(f: &EnvironmentFixture, now: u64) -> Environment {
        let services = f
            .services
            .iter()
            .map(|(name, spec)| (name.clone(), Service::deploy(name, spec, now)))
            .collect();
        let env_configs = f
            .env_configs
            .iter()
            .map(|c| EnvConfig {
                created_time: if c.created_time == 0 {
                    now
                } else {
                    c.created_time
                },
                ..c.clone()
            })
            .collect();
        Environment {
            production: f.production,
            alias: f.alias.clone(),
            cluster_id: f.cluster_id.clone(),
            namespace: f.namespace.clone(),
            registry_id: f.registry_id.clone(),
            update_by: f.update_by.clone(),
            update_time: if f.update_time == 0 {
                now
            } else {
                f.update_time
            },
            gateway_address: f.gateway_address.clone(),
            global_variables: f.global_variables.clone(),
            services,
            env_configs,
            logs: f.logs.clone(),
            share_enabled: false,
            portals: BTreeMap::new(),
            events: Vec::new(),
        }
    }

    /// Marks the environment changed by the API user now.
    pub fn touch(&mut self) {
        self.update_by = API_USER.to_string();
        self.update_time = unix_seconds();
    }

    pub fn global(&self, key: &str) -> Option<&GlobalVariable> {
        self.global_variables.iter().find(|g| g.key == key)
    }

    /// Records a Kubernetes event about a workload.
    pub fn record_event(&mut self, kind: WorkloadKind, name: &str, reason: &str, message: String) {
        let event = Event {
            object_name: name.to_string(),
            object_kind: kind.as_str().to_string(),
            reason: reason.to_string(),
            message,
            at: unix_seconds(),
        };
        self.events.push(event);
    }

    /// The first service variable that uses a global variable the environment lacks.
    pub fn dangling_global_reference<'a>(
        &self,
        variables: &'a [ServiceVariable],
    ) -> Option<&'a str> {
        variables
            .iter()
            .find(|v| v.use_global_variable && self.global(&v.key).is_none())
            .map(|v| v.key.as_str())
    }
}

impl Service {
    /// A service deployed from `spec`: its pods are the named ones, then
    /// generated ones up to `replicas`.
    pub fn deploy(name: &str, spec: &ServiceSpec, now: u64) -> Service {
        let pods = spec.pods.iter().map(|p| Pod::new(p.clone(), now)).collect();
        let mut service = Service {
            workload: spec.workload,
            replicas: spec.replicas,
            ports: spec.ports.clone(),
            k8s_service: spec.k8s_service.unwrap_or(!spec.ports.is_empty()),
            containers: spec.containers.clone(),
            variable_kvs: spec.variable_kvs.clone(),
            pods,
        };
        service.fit_pods(name, now);
        service
    }

    /// Adds or removes pods until there are `replicas` of them, at most
    /// [`MAX_PODS`] (CronJobs run none).
    pub fn fit_pods(&mut self, name: &str, now: u64) {
        let wanted = if self.workload == WorkloadKind::CronJob {
            0
        } else {
            self.replicas.min(MAX_PODS) as usize
        };
        self.pods.truncate(wanted);
        while self.pods.len() < wanted {
            let pod_name = match self.workload {
                WorkloadKind::StatefulSet => format!("{name}-{}", self.pods.len()),
                _ => format!("{name}-{}-{}", hex_id(10), hex_id(5)),
            };
            self.pods.push(Pod::new(pod_name, now));
        }
    }

    /// Sets the service's own variables from `inputs` (by key; new keys are added).
    pub fn set_variables(&mut self, inputs: &[VariableInput]) {
        for input in inputs {
            let index = match self.variable_kvs.iter().position(|v| v.key == input.key) {
                Some(i) => i,
                None => {
                    self.variable_kvs.push(ServiceVariable {
                        key: input.key.clone(),
                        value: empty_value(),
                        kind: VariableType::String,
                        use_global_variable: false,
                    });
                    self.variable_kvs.len() - 1
                }
            };
            let Some(variable) = self.variable_kvs.get_mut(index) else {
                continue;
            };
            if let Some(value) = &input.value {
                variable.kind = VariableType::of(value);
                variable.value = value.clone();
            }
            if let Some(use_global) = input.use_global_variable {
                variable.use_global_variable = use_global;
            }
        }
    }
}

impl Pod {
    fn new(name: String, now: u64) -> Pod {
        let n = next_u64();
        Pod {
            name,
            ip: format!("10.200.{}.{}", (n >> 8) % 250 + 1, n % 250 + 1),
            started_at: now,
        }
    }
}

/// A variable as requests carry it (global or service variable).
#[derive(Debug, Clone, Deserialize)]
pub struct VariableInput {
    pub key: String,
    #[serde(default)]
    pub value: Option<Value>,
    #[serde(default)]
    pub use_global_variable: Option<bool>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(workload: WorkloadKind, replicas: u32, pods: &[&str]) -> ServiceSpec {
        ServiceSpec {
            workload,
            replicas,
            ports: vec![],
            k8s_service: None,
            containers: vec![],
            variable_kvs: vec![],
            pods: pods.iter().map(|p| p.to_string()).collect(),
        }
    }

    #[test]
    fn deployed_services_run_as_many_pods_as_replicas_keeping_named_ones_first() {
        let service = Service::deploy("web", &spec(WorkloadKind::Deployment, 3, &["web-abc-1"]), 0);
        assert_eq!(service.pods.len(), 3);
        assert_eq!(service.pods[0].name, "web-abc-1");
    }

    #[test]
    fn statefulset_pods_are_numbered_and_cronjobs_run_none() {
        let set = Service::deploy("db", &spec(WorkloadKind::StatefulSet, 2, &[]), 0);
        assert_eq!(
            set.pods.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
            ["db-0", "db-1"]
        );
        assert!(
            Service::deploy("job", &spec(WorkloadKind::CronJob, 1, &[]), 0)
                .pods
                .is_empty()
        );
    }

    #[test]
    fn setting_variables_updates_known_keys_and_adds_new_ones() {
        let mut service = Service::deploy("web", &spec(WorkloadKind::Deployment, 0, &[]), 0);
        let input = |key: &str, value: Value| VariableInput {
            key: key.into(),
            value: Some(value),
            use_global_variable: None,
        };
        service.set_variables(&[input("a", Value::from("1"))]);
        service.set_variables(&[input("a", Value::from(true)), input("b", Value::from("2"))]);
        assert_eq!(service.variable_kvs.len(), 2);
        assert_eq!(service.variable_kvs[0].value, Value::from(true));
        assert_eq!(service.variable_kvs[0].kind, VariableType::Bool);
    }
}
