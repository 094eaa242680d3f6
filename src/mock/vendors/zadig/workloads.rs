//! Workloads: scale, restart, image updates and the Kubernetes events they
//! leave behind (`kube/events` lists them as a bare array).
//!
//! Scale names the project and environment in its body (`project_key`,
//! `env_key`); the image updates read `product_name`/`env_name` from the body
//! and ignore the environment in the path, as the server does. A workload is
//! named after its service.

use serde::Deserialize;
use serde_json::{Value, json};

use super::model::{Environment, Scope, State, WorkloadKind};
use super::replies::{Business, body, business, no_documents, path, project_key, success};
use crate::mock::random::unix_seconds;
use crate::mock::reply::Reply;
use crate::mock::request::MockRequest;

/// Kubernetes keeps replica counts in an int32.
const MAX_REPLICAS: u32 = i32::MAX as u32;

#[derive(Deserialize)]
struct Scale {
    project_key: String,
    env_key: String,
    workload_name: String,
    workload_type: WorkloadKind,
    target_replicas: u32,
}

/// `POST /openapi/environments/scale`.
pub fn scale(state: &mut State, req: &MockRequest<'_>) -> Result<Reply, Reply> {
    let args: Scale = body(req)?;
    let fail = |d: String| business(Business::ScaleService, d);
    if args.target_replicas > MAX_REPLICAS {
        return Err(fail(format!(
            "target_replicas {} is out of range",
            args.target_replicas
        )));
    }
    let env = state
        .env_mut(&args.project_key, &args.env_key, Scope::Any)
        .map_err(fail)?;
    let kind = args.workload_type;
    let service = env
        .services
        .get_mut(&args.workload_name)
        .filter(|s| s.workload == kind)
        .ok_or_else(|| {
            fail(format!(
                "{} {} not found",
                kind.as_str(),
                args.workload_name
            ))
        })?;
    let before = service.replicas;
    service.replicas = args.target_replicas;
    service.fit_pods(&args.workload_name, unix_seconds());
    let direction = if args.target_replicas >= before {
        "up"
    } else {
        "down"
    };
    let message = format!(
        "Scaled {direction} {} {} from {before} to {}",
        kind.as_str(),
        args.workload_name,
        args.target_replicas
    );
    env.record_event(kind, &args.workload_name, "ScalingReplicaSet", message);
    Ok(success())
}

/// `POST /openapi/environments[/production]/{envName}/service/{serviceName}/restart`: new pod start times.
pub fn restart(state: &mut State, req: &MockRequest<'_>, scope: Scope) -> Result<Reply, Reply> {
    let fail = |d: String| business(Business::RestartService, d);
    let env = state
        .env_mut(project_key(req), path(req, "envName"), scope)
        .map_err(fail)?;
    let name = path(req, "serviceName");
    let service = env
        .services
        .get_mut(name)
        .ok_or_else(|| fail(format!("service {name} not found")))?;
    let now = unix_seconds();
    service.pods.iter_mut().for_each(|p| p.started_at = now);
    let kind = service.workload;
    env.record_event(
        kind,
        name,
        "Restarted",
        format!("Restarted {} {name}", kind.as_str()),
    );
    Ok(success())
}

#[derive(Deserialize)]
struct UpdateImage {
    product_name: String,
    env_name: String,
    service_name: String,
    name: String,
    container_name: String,
    image: String,
}

/// `POST /openapi/environments/image/{deployment|statefulset|cronjob}/{envName}`.
pub fn update_image(
    state: &mut State,
    req: &MockRequest<'_>,
    kind: WorkloadKind,
) -> Result<Reply, Reply> {
    let args: UpdateImage = body(req)?;
    let fail = |d: String| business(Business::UpdateContainerImage, d);
    let env = state
        .env_mut(&args.product_name, &args.env_name, Scope::Any)
        .map_err(fail)?;
    let service = env
        .services
        .get_mut(&args.service_name)
        .filter(|s| s.workload == kind && args.name == args.service_name)
        .ok_or_else(|| {
            fail(format!(
                "{} {} of service {} not found",
                kind.as_str(),
                args.name,
                args.service_name
            ))
        })?;
    let container = service
        .containers
        .iter_mut()
        .find(|c| c.name == args.container_name)
        .ok_or_else(|| {
            fail(format!(
                "container {} not found in {} {}",
                args.container_name,
                kind.as_str(),
                args.name
            ))
        })?;
    container.image = args.image.clone();
    let message = format!(
        "Updated container {} image to {}",
        args.container_name, args.image
    );
    env.record_event(kind, &args.name, "ImageUpdated", message);
    Ok(success())
}

/// `GET /openapi/environments/kube/events?envName=&name=&type=`: events of one object, oldest first.
pub fn events(state: &State, req: &MockRequest<'_>) -> Result<Reply, Reply> {
    let env = state
        .env(
            project_key(req),
            req.query_param("envName").unwrap_or_default(),
            Scope::Any,
        )
        .map_err(|_| no_documents())?;
    let (name, kind) = (
        req.query_param("name").unwrap_or_default(),
        req.query_param("type").unwrap_or_default(),
    );
    Ok(Reply::json(200, Value::Array(events_of(env, name, kind))))
}

fn events_of(env: &Environment, name: &str, kind: &str) -> Vec<Value> {
    env.events
        .iter()
        .filter(|e| e.object_name == name && e.object_kind == kind)
        .map(|e| json!({"reason": e.reason, "message": e.message, "first_seen": e.at, "last_seen": e.at, "count": 1, "type": "Normal"}))
        .collect()
}
