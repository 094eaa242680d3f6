//! Sub-environments (environment sharing) of test environments: the check
//! for workloads without a Kubernetes Service, enable and disable, the
//! readiness check, and the portal (entry) services of a base environment.
//!
//! Readiness after `enable` means the Istio pieces are in place and every
//! workload has a Service; after any other `op` (treated as `disable`, as the
//! server does) it means the Istio pieces are gone.

use serde_json::{Value, json};

use super::model::{Environment, PortalServer, Scope, State, WorkloadKind};
use super::replies::{Business, body, business, no_documents, path, project_key, success};
use crate::mock::reply::Reply;
use crate::mock::request::MockRequest;

fn test_env<'s>(state: &'s State, req: &MockRequest<'_>) -> Result<&'s Environment, Reply> {
    state
        .env(project_key(req), path(req, "envName"), Scope::Test)
        .map_err(|_| no_documents())
}

/// Workloads that have no Kubernetes Service, as `<name>.<kind>`.
fn without_k8s_service(env: &Environment) -> Vec<String> {
    env.services
        .iter()
        .filter(|(_, s)| s.workload != WorkloadKind::CronJob && !s.k8s_service)
        .map(|(name, s)| format!("{name}.{}", s.workload.as_str()))
        .collect()
}

/// `GET /openapi/environments/{envName}/check/workloads/k8services`.
pub fn check_k8s_services(state: &State, req: &MockRequest<'_>) -> Result<Reply, Reply> {
    Ok(Reply::json(
        200,
        json!(without_k8s_service(test_env(state, req)?)),
    ))
}

/// `POST` (on) and `DELETE` (off) `/openapi/environments/{envName}/share/enable`.
pub fn set_enabled(
    state: &mut State,
    req: &MockRequest<'_>,
    enabled: bool,
) -> Result<Reply, Reply> {
    let env = state
        .env_mut(project_key(req), path(req, "envName"), Scope::Test)
        .map_err(|d| business(Business::UpdateEnv, d))?;
    env.share_enabled = enabled;
    if !enabled {
        env.portals.clear();
    }
    Ok(success())
}

/// `GET /openapi/environments/{envName}/check/sharenv/{op}/ready`.
pub fn ready(state: &State, req: &MockRequest<'_>) -> Result<Reply, Reply> {
    let env = test_env(state, req)?;
    let istio = env.share_enabled;
    let have_services = without_k8s_service(env).is_empty();
    let is_ready = if path(req, "op") == "enable" {
        istio && have_services
    } else {
        !istio
    };
    Ok(Reply::json(
        200,
        json!({
            "is_ready": is_ready,
            "checks": {
                "namespace_has_istio_label": istio,
                "virtualservice_deployed": istio,
                "pods_have_istio_proxy": istio,
                "workloads_ready": true,
                "workloads_have_k8s_service": have_services,
            },
        }),
    ))
}

/// `GET /openapi/environments/{envName}/share/portal/{serviceName}`.
pub fn portal(state: &State, req: &MockRequest<'_>) -> Result<Reply, Reply> {
    let env = test_env(state, req)?;
    let name = path(req, "serviceName");
    if !env.services.contains_key(name) {
        return Err(no_documents());
    }
    if !env.share_enabled {
        return Err(business(Business::GetPortalService, not_base(req)));
    }
    let servers = env
        .portals
        .get(name)
        .map_or(Value::Array(vec![]), |s| json!(s));
    Ok(Reply::json(
        200,
        json!({"default_gateway_address": env.gateway_address, "servers": servers}),
    ))
}

fn not_base(req: &MockRequest<'_>) -> String {
    format!(
        "environment {} is not a base environment: sub-environments are off",
        path(req, "envName")
    )
}

/// `POST /openapi/environments/{envName}/share/portal/{serviceName}`: the hosts routed to the service.
pub fn set_portal(state: &mut State, req: &MockRequest<'_>) -> Result<Reply, Reply> {
    let servers: Vec<PortalServer> = body(req)?;
    let fail = |d: String| business(Business::SetupPortalService, d);
    let env = state
        .env_mut(project_key(req), path(req, "envName"), Scope::Test)
        .map_err(fail)?;
    let name = path(req, "serviceName");
    if !env.services.contains_key(name) {
        return Err(fail(format!("service {name} not found in environment")));
    }
    if !env.share_enabled {
        return Err(fail(not_base(req)));
    }
    env.portals.insert(name.to_string(), servers);
    Ok(success())
}
