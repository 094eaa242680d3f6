//! Environments: list, create, detail, edit and delete, for test and
//! production environments alike (the [`Scope`] keeps them apart).
//!
//! An `env_key` is unique in its project across both kinds: creating one that
//! exists is the server's 500 "环境已存在". An unknown environment on the
//! detail read is the store's 500 "mongo: no documents in result".

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::model::{
    API_USER, Container, EnvCfgType, EnvConfig, Environment, GlobalVariable, Scope, Service,
    ServiceSpec, State, VariableInput, VariableType,
};
use super::replies::{
    Business, body, business, internal, no_documents, path, project_key, success,
};
use super::variables::{render_globals, render_service_variables};
use crate::mock::random::unix_seconds;
use crate::mock::reply::Reply;
use crate::mock::request::MockRequest;

/// What the server answers for a duplicate `env_key`.
const ALREADY_EXISTS: &str = "环境已存在";

/// `GET /openapi/environments[/production]`.
pub fn list(state: &State, req: &MockRequest<'_>, scope: Scope) -> Result<Reply, Reply> {
    let project = state
        .project(project_key(req))
        .map_err(|d| business(Business::ListEnvs, d))?;
    let items: Vec<Value> = project
        .environments_in(scope)
        .map(|(key, env)| brief(key, env))
        .collect();
    Ok(Reply::json(200, Value::Array(items)))
}

/// One list item (`OpenAPIListEnvBrief`): `envName` is the alias, left out when empty.
fn brief(key: &str, env: &Environment) -> Value {
    let mut item = Map::new();
    item.insert("env_key".into(), json!(key));
    if !env.alias.is_empty() {
        item.insert("envName".into(), json!(env.alias));
    }
    item.insert("cluster_id".into(), json!(env.cluster_id));
    item.insert("namespace".into(), json!(env.namespace));
    item.insert("production".into(), json!(env.production));
    item.insert("registry_id".into(), json!(env.registry_id));
    item.insert("status".into(), json!("success"));
    item.insert("update_by".into(), json!(env.update_by));
    item.insert("update_time".into(), json!(env.update_time));
    Value::Object(item)
}

/// The body of both create operations (production ones carry only the first fields).
#[derive(Deserialize)]
struct CreateEnv {
    env_key: String,
    #[serde(default)]
    env_name: String,
    cluster_id: String,
    namespace: String,
    registry_id: String,
    #[serde(default)]
    global_variables: Vec<VariableInput>,
    #[serde(default)]
    services: Vec<ServiceInput>,
    #[serde(default)]
    env_configs: Vec<EnvConfigInput>,
}

#[derive(Deserialize)]
struct ServiceInput {
    service_name: String,
    #[serde(default)]
    containers: Vec<ContainerInput>,
    #[serde(default)]
    variable_kvs: Vec<VariableInput>,
}

#[derive(Deserialize)]
struct ContainerInput {
    name: String,
    image: String,
}

#[derive(Deserialize)]
struct EnvConfigInput {
    #[serde(default)]
    name: String,
    yaml_data: String,
    common_env_cfg_type: EnvCfgType,
}

/// `POST /openapi/environments[/production]`.
pub fn create(state: &mut State, req: &MockRequest<'_>, scope: Scope) -> Result<Reply, Reply> {
    let args: CreateEnv = body(req)?;
    let fail = |d: String| business(Business::CreateEnv, d);
    let project = state.project(project_key(req)).map_err(fail)?;
    if project.environments.contains_key(&args.env_key) {
        return Err(internal(ALREADY_EXISTS));
    }
    if !state.has_cluster(&args.cluster_id) {
        return Err(fail(format!("cluster {} not found", args.cluster_id)));
    }
    if !state.has_registry(&args.registry_id) {
        return Err(fail(format!("registry {} not found", args.registry_id)));
    }
    let mut env = new_environment(&args, scope == Scope::Production);
    for input in &args.services {
        let template = project.services.get(&input.service_name).ok_or_else(|| {
            fail(format!(
                "service {} not found in project",
                input.service_name
            ))
        })?;
        env.services.insert(
            input.service_name.clone(),
            deploy(&input.service_name, template, input),
        );
    }
    for service in env.services.values() {
        if let Some(key) = env.dangling_global_reference(&service.variable_kvs) {
            return Err(fail(format!("global variable {key} not found")));
        }
    }
    env.env_configs = args
        .env_configs
        .iter()
        .map(env_config)
        .collect::<Result<_, _>>()
        .map_err(fail)?;
    state
        .project_mut(project_key(req))
        .map_err(fail)?
        .environments
        .insert(args.env_key.clone(), env);
    Ok(success())
}

fn new_environment(args: &CreateEnv, production: bool) -> Environment {
    let global_variables = args
        .global_variables
        .iter()
        .map(|v| {
            let value = v.value.clone().unwrap_or(Value::String(String::new()));
            GlobalVariable {
                key: v.key.clone(),
                kind: VariableType::of(&value),
                value,
                options: Vec::new(),
                desc: String::new(),
            }
        })
        .collect();
    Environment {
        production,
        alias: args.env_name.clone(),
        cluster_id: args.cluster_id.clone(),
        namespace: args.namespace.clone(),
        registry_id: args.registry_id.clone(),
        update_by: API_USER.to_string(),
        update_time: unix_seconds(),
        gateway_address: String::new(),
        global_variables,
        services: BTreeMap::new(),
        env_configs: Vec::new(),
        logs: BTreeMap::new(),
        share_enabled: false,
        portals: BTreeMap::new(),
        events: Vec::new(),
    }
}

/// A service deployed from its template, with the body's images and variables.
fn deploy(name: &str, template: &ServiceSpec, input: &ServiceInput) -> Service {
    let mut service = Service::deploy(name, template, unix_seconds());
    if !input.containers.is_empty() {
        service.containers = input
            .containers
            .iter()
            .map(|c| Container {
                name: c.name.clone(),
                image: c.image.clone(),
            })
            .collect();
    }
    service.set_variables(&input.variable_kvs);
    service
}

/// An environment configuration of a new environment; its name defaults to the YAML's `metadata.name`.
fn env_config(input: &EnvConfigInput) -> Result<EnvConfig, String> {
    let name = if input.name.is_empty() {
        metadata_name(&input.yaml_data).unwrap_or_default()
    } else {
        input.name.clone()
    };
    if name.is_empty() {
        return Err("env_configs: name is empty and the yaml has no metadata.name".into());
    }
    let now = unix_seconds();
    Ok(EnvConfig {
        name,
        kind: input.common_env_cfg_type,
        yaml_data: input.yaml_data.clone(),
        created_time: now,
        update_time: 0,
        update_by: API_USER.into(),
    })
}

fn metadata_name(yaml: &str) -> Option<String> {
    let doc: Value = serde_saphyr::from_str(yaml).ok()?;
    doc.pointer("/metadata/name")
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// `GET /openapi/environments[/production]/{envName}` (`OpenAPIEnvDetail`).
pub fn detail(state: &State, req: &MockRequest<'_>, scope: Scope) -> Result<Reply, Reply> {
    let (project, key) = (project_key(req), path(req, "envName"));
    let env = state.env(project, key, scope).map_err(|_| no_documents())?;
    let services: Vec<Value> = env
        .services
        .iter()
        .map(|(name, s)| {
            json!({
                "service_name": name,
                "deploy_strategy": "deploy",
                "containers": s.containers.iter().map(render_container).collect::<Vec<_>>(),
                "variable_kvs": render_service_variables(env, s),
                "status": "running",
                "type": "k8s",
            })
        })
        .collect();
    let mut detail = Map::new();
    detail.insert("project_key".into(), json!(project));
    detail.insert("env_key".into(), json!(key));
    if !env.alias.is_empty() {
        detail.insert("env_name".into(), json!(env.alias));
    }
    for (field, value) in [
        ("update_by", json!(env.update_by)),
        ("update_time", json!(env.update_time)),
        ("cluster_id", json!(env.cluster_id)),
        ("namespace", json!(env.namespace)),
        ("registry_id", json!(env.registry_id)),
        ("global_variables", render_globals(env)),
        ("services", Value::Array(services)),
        ("status", json!("success")),
    ] {
        detail.insert(field.into(), value);
    }
    Ok(Reply::json(200, Value::Object(detail)))
}

/// `{name, image, image_name}`; the image name is the repository's last path segment.
pub fn render_container(c: &Container) -> Value {
    json!({"name": c.name, "image": c.image, "image_name": image_name(&c.image)})
}

fn image_name(image: &str) -> &str {
    let repository = image.rsplit('/').next().unwrap_or(image);
    repository.split([':', '@']).next().unwrap_or(repository)
}

#[derive(Deserialize)]
struct UpdateEnv {
    #[serde(default)]
    registry_id: Option<String>,
    #[serde(default)]
    env_name: Option<String>,
}

/// `PUT /openapi/environments[/production]/{envName}`: registry and (production) display name.
pub fn update(state: &mut State, req: &MockRequest<'_>, scope: Scope) -> Result<Reply, Reply> {
    let args: UpdateEnv = body(req)?;
    let fail = |d: String| business(Business::UpdateEnv, d);
    if let Some(registry) = args
        .registry_id
        .as_deref()
        .filter(|r| !state.has_registry(r))
    {
        return Err(fail(format!("registry {registry} not found")));
    }
    let env = state
        .env_mut(project_key(req), path(req, "envName"), scope)
        .map_err(fail)?;
    if let Some(registry) = args.registry_id {
        env.registry_id = registry;
    }
    if let Some(alias) = args.env_name.filter(|_| scope == Scope::Production) {
        env.alias = alias;
    }
    env.touch();
    Ok(success())
}

/// `DELETE /openapi/environments[/production]/{envName}` (the core has checked `isDelete`).
pub fn delete(state: &mut State, req: &MockRequest<'_>, scope: Scope) -> Result<Reply, Reply> {
    let fail = |d: String| business(Business::DeleteEnv, d);
    let (project, key) = (project_key(req), path(req, "envName"));
    state.env(project, key, scope).map_err(fail)?;
    state
        .project_mut(project)
        .map_err(fail)?
        .environments
        .remove(key);
    Ok(success())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_names_are_the_repository_without_registry_tag_or_digest() {
        assert_eq!(
            image_name("koderover.tencentcloudcr.com/test/service1:20231214"),
            "service1"
        );
        assert_eq!(image_name("registry:5000/app@sha256:abc"), "app");
        assert_eq!(image_name("nginx"), "nginx");
    }

    #[test]
    fn config_names_default_to_the_yaml_metadata_name() {
        assert_eq!(
            metadata_name("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: game-demo\n")
                .as_deref(),
            Some("game-demo")
        );
        assert_eq!(metadata_name("not: [valid"), None);
    }
}
