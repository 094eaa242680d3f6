//! Environment configurations (Ingress, ConfigMap, Secret, PVC): create, list
//! by type, detail, update and delete. A configuration is identified by its
//! name and type; deleting needs the `type` query ("type is empty" without it,
//! answered by the core's parameter check).

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::model::{API_USER, EnvCfgType, EnvConfig, Environment, Scope, State};
use super::replies::{Business, body, business, no_documents, path, project_key, success};
use crate::mock::random::unix_seconds;
use crate::mock::reply::Reply;
use crate::mock::request::MockRequest;

#[derive(Deserialize)]
struct CreateConfig {
    name: String,
    common_env_cfg_type: EnvCfgType,
    yaml_data: String,
}

/// `POST /openapi/environments[/production]/{envName}/envcfgs`.
pub fn create(state: &mut State, req: &MockRequest<'_>, scope: Scope) -> Result<Reply, Reply> {
    let args: CreateConfig = body(req)?;
    let fail = |d: String| business(Business::UpdateEnvCfg, d);
    let env = state
        .env_mut(project_key(req), path(req, "envName"), scope)
        .map_err(fail)?;
    if find(env, &args.name, Some(args.common_env_cfg_type)).is_some() {
        return Err(fail(format!(
            "{} {} already exists",
            args.common_env_cfg_type.as_str(),
            args.name
        )));
    }
    env.env_configs.push(EnvConfig {
        name: args.name,
        kind: args.common_env_cfg_type,
        yaml_data: args.yaml_data,
        created_time: unix_seconds(),
        update_time: 0,
        update_by: API_USER.into(),
    });
    Ok(success())
}

fn find<'e>(env: &'e Environment, name: &str, kind: Option<EnvCfgType>) -> Option<&'e EnvConfig> {
    env.env_configs
        .iter()
        .find(|c| c.name == name && kind.is_none_or(|k| k == c.kind))
}

/// The optional `type` query (the core has checked it is one of the four).
fn type_query(req: &MockRequest<'_>) -> Option<EnvCfgType> {
    req.query_param("type").and_then(EnvCfgType::parse)
}

/// `GET /openapi/environments[/production]/{envName}/envcfgs[?type=]`.
pub fn list(state: &State, req: &MockRequest<'_>, scope: Scope) -> Result<Reply, Reply> {
    let (project, env_key) = (project_key(req), path(req, "envName"));
    let env = state
        .env(project, env_key, scope)
        .map_err(|_| no_documents())?;
    let kind = type_query(req);
    let items: Vec<Value> = env
        .env_configs
        .iter()
        .filter(|c| kind.is_none_or(|k| k == c.kind))
        .map(|c| {
            let mut item = Map::new();
            item.insert("name".into(), json!(c.name));
            item.insert("env_name".into(), json!(env_key));
            item.insert("project_name".into(), json!(project));
            item.insert("common_env_cfg_type".into(), json!(c.kind.as_str()));
            item.insert("update_by".into(), json!(c.update_by));
            if c.update_time > 0 {
                item.insert("update_time".into(), json!(c.update_time));
            }
            Value::Object(item)
        })
        .collect();
    Ok(Reply::json(200, Value::Array(items)))
}

/// `GET /openapi/environments[/production]/{envName}/envcfg/{cfgName}[?type=]`:
/// the configuration under the key of its type.
pub fn detail(state: &State, req: &MockRequest<'_>, scope: Scope) -> Result<Reply, Reply> {
    let (project, env_key) = (project_key(req), path(req, "envName"));
    let env = state
        .env(project, env_key, scope)
        .map_err(|_| no_documents())?;
    let config = find(env, path(req, "cfgName"), type_query(req)).ok_or_else(no_documents)?;
    let key = match config.kind {
        EnvCfgType::ConfigMap => "configMap_detail",
        EnvCfgType::Ingress => "ingress_detail",
        EnvCfgType::Secret => "secret_detail",
        EnvCfgType::Pvc => "pvc_detail",
    };
    let resource = json!({
        "name": config.name,
        "common_env_cfg_type": config.kind.as_str(),
        "created_time": config.created_time,
        "update_by": config.update_by,
        "update_time": config.update_time,
        "env_key": env_key,
        "product_key": project,
        "yaml_data": config.yaml_data,
        "services": [],
        "source_detail": null,
    });
    Ok(Reply::json(
        200,
        Value::Object(Map::from_iter([(key.to_string(), resource)])),
    ))
}

#[derive(Deserialize)]
struct UpdateConfig {
    name: String,
    env_key: String,
    common_env_cfg_type: EnvCfgType,
    yaml_data: String,
}

/// `PUT /openapi/environments/envcfgs`: replaces the YAML of a test environment's configuration.
pub fn update(state: &mut State, req: &MockRequest<'_>) -> Result<Reply, Reply> {
    let args: UpdateConfig = body(req)?;
    let fail = |d: String| business(Business::UpdateEnvCfg, d);
    let env = state
        .env_mut(project_key(req), &args.env_key, Scope::Test)
        .map_err(fail)?;
    let kind = args.common_env_cfg_type;
    let config = env
        .env_configs
        .iter_mut()
        .find(|c| c.name == args.name && c.kind == kind)
        .ok_or_else(|| fail(format!("{} {} not found", kind.as_str(), args.name)))?;
    config.yaml_data = args.yaml_data;
    config.update_time = unix_seconds();
    config.update_by = API_USER.into();
    Ok(success())
}

/// `DELETE /openapi/environments[/production]/{envName}/envcfg/{cfgName}?type=`.
pub fn delete(state: &mut State, req: &MockRequest<'_>, scope: Scope) -> Result<Reply, Reply> {
    let fail = |d: String| business(Business::DeleteResource, d);
    let env = state
        .env_mut(project_key(req), path(req, "envName"), scope)
        .map_err(fail)?;
    let (name, kind) = (path(req, "cfgName"), type_query(req));
    let before = env.env_configs.len();
    env.env_configs
        .retain(|c| !(c.name == name && kind == Some(c.kind)));
    if env.env_configs.len() == before {
        return Err(fail(format!(
            "{} {name} not found",
            kind.map_or("", EnvCfgType::as_str)
        )));
    }
    Ok(success())
}
