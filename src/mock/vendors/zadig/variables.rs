//! Environment global variables: read and update. A service variable with
//! `use_global_variable` shows the global variable's value, so an update
//! reaches every related service; `related_services` is derived from them.

use serde::Deserialize;
use serde_json::{Value, json};

use super::model::{Environment, Scope, Service, State, VariableInput};
use super::replies::{Business, body, business, no_documents, path, project_key, success};
use crate::mock::reply::Reply;
use crate::mock::request::MockRequest;

/// The environment's global variables with the services that use each.
pub fn render_globals(env: &Environment) -> Value {
    let items = env
        .global_variables
        .iter()
        .map(|g| {
            let related: Vec<&String> = env.services.iter().filter(|(_, s)| s.variable_kvs.iter().any(|v| v.use_global_variable && v.key == g.key)).map(|(name, _)| name).collect();
            json!({"key": g.key, "value": g.value, "type": g.kind, "options": g.options, "desc": g.desc, "related_services": related})
        })
        .collect();
    Value::Array(items)
}

/// A service's variables, global ones resolved to the environment's value.
pub fn render_service_variables(env: &Environment, service: &Service) -> Value {
    let items = service
        .variable_kvs
        .iter()
        .map(|v| {
            let global = env.global(&v.key).filter(|_| v.use_global_variable);
            let (value, kind) = global.map_or((&v.value, v.kind), |g| (&g.value, g.kind));
            json!({"key": v.key, "value": value, "type": kind, "use_global_variable": v.use_global_variable})
        })
        .collect();
    Value::Array(items)
}

/// `GET /openapi/environments[/production]/{envName}/variable`.
pub fn get(state: &State, req: &MockRequest<'_>, scope: Scope) -> Result<Reply, Reply> {
    let env = state
        .env(project_key(req), path(req, "envName"), scope)
        .map_err(|_| no_documents())?;
    Ok(Reply::json(200, render_globals(env)))
}

#[derive(Deserialize)]
struct UpdateGlobals {
    global_variables: Vec<VariableInput>,
}

/// `PUT /openapi/environments[/production]/{envName}/variable`: new values for existing keys.
pub fn update(state: &mut State, req: &MockRequest<'_>, scope: Scope) -> Result<Reply, Reply> {
    let args: UpdateGlobals = body(req)?;
    let fail = |d: String| business(Business::UpdateEnv, d);
    let env = state
        .env_mut(project_key(req), path(req, "envName"), scope)
        .map_err(fail)?;
    if let Some(unknown) = args
        .global_variables
        .iter()
        .find(|v| env.global(&v.key).is_none())
    {
        return Err(fail(format!(
            "global variable {} not found in environment",
            unknown.key
        )));
    }
    for input in &args.global_variables {
        let (Some(global), Some(value)) = (
            env.global_variables.iter_mut().find(|g| g.key == input.key),
            &input.value,
        ) else {
            continue;
        };
        global.value = value.clone();
    }
    env.touch();
    Ok(success())
}
