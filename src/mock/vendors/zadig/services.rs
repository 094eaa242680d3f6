//! Services of an environment: add (from the project's templates, with the
//! body's variables), update variables, delete, and the workload detail view
//! (`OpenAPIGetServiceResponse`: workloads, pods, endpoints, cron jobs).
//!
//! Every name in a request is checked before anything changes, so a rejected
//! request leaves the environment as it was.

use serde::Deserialize;
use serde_json::{Value, json};

use super::environments::render_container;
use super::model::{Pod, Scope, Service, State, VariableInput, WorkloadKind};
use super::replies::{Business, body, business, no_documents, path, project_key, success};
use crate::mock::random::unix_seconds;
use crate::mock::reply::Reply;
use crate::mock::request::MockRequest;

/// The node every mock pod runs on.
const NODE_IP: &str = "172.16.0.46";

#[derive(Deserialize)]
struct ServiceVariables {
    service_name: String,
    #[serde(default)]
    variable_kvs: Vec<VariableInput>,
}

#[derive(Deserialize)]
struct AddServices {
    env_key: String,
    service_list: Vec<ServiceVariables>,
}

fn fail(description: String) -> Reply {
    business(Business::UpdateService, description)
}

/// `POST /openapi/environments[/production]/service/yaml`: deploys project
/// services (or sets the variables of ones already deployed).
pub fn add(state: &mut State, req: &MockRequest<'_>, scope: Scope) -> Result<Reply, Reply> {
    let args: AddServices = body(req)?;
    let project = state.project_mut(project_key(req)).map_err(fail)?;
    let env = project
        .environments
        .get(&args.env_key)
        .filter(|e| scope.admits(e.production))
        .ok_or_else(|| fail(format!("environment {} not found", args.env_key)))?;
    let mut changed = Vec::new();
    for input in &args.service_list {
        let template = project.services.get(&input.service_name).ok_or_else(|| {
            fail(format!(
                "service {} not found in project",
                input.service_name
            ))
        })?;
        let mut service = env
            .services
            .get(&input.service_name)
            .cloned()
            .unwrap_or_else(|| Service::deploy(&input.service_name, template, unix_seconds()));
        service.set_variables(&input.variable_kvs);
        if let Some(key) = env.dangling_global_reference(&service.variable_kvs) {
            return Err(fail(format!(
                "global variable {key} not found in environment"
            )));
        }
        changed.push((input.service_name.clone(), service));
    }
    let env = project
        .environments
        .get_mut(&args.env_key)
        .ok_or_else(|| fail(format!("environment {} not found", args.env_key)))?;
    env.services.extend(changed);
    env.touch();
    Ok(success())
}

#[derive(Deserialize)]
struct DeleteServices {
    env_key: String,
    service_names: Vec<String>,
}

/// `DELETE /openapi/environments[/production]/service/yaml`.
pub fn delete(state: &mut State, req: &MockRequest<'_>, scope: Scope) -> Result<Reply, Reply> {
    let args: DeleteServices = body(req)?;
    let env = state
        .env_mut(project_key(req), &args.env_key, scope)
        .map_err(fail)?;
    if let Some(unknown) = args
        .service_names
        .iter()
        .find(|n| !env.services.contains_key(*n))
    {
        return Err(fail(format!(
            "service {unknown} not found in environment {}",
            args.env_key
        )));
    }
    for name in &args.service_names {
        env.services.remove(name);
        env.portals.remove(name);
    }
    env.touch();
    Ok(success())
}

#[derive(Deserialize)]
struct UpdateServices {
    service_list: Vec<ServiceVariables>,
}

/// `PUT /openapi/environments[/production]/{envName}/services`: service variables.
pub fn update(state: &mut State, req: &MockRequest<'_>, scope: Scope) -> Result<Reply, Reply> {
    let args: UpdateServices = body(req)?;
    let env = state
        .env_mut(project_key(req), path(req, "envName"), scope)
        .map_err(fail)?;
    let mut changed = Vec::new();
    for input in &args.service_list {
        let mut service = env
            .services
            .get(&input.service_name)
            .cloned()
            .ok_or_else(|| {
                fail(format!(
                    "service {} not found in environment",
                    input.service_name
                ))
            })?;
        service.set_variables(&input.variable_kvs);
        if let Some(key) = env.dangling_global_reference(&service.variable_kvs) {
            return Err(fail(format!(
                "global variable {key} not found in environment"
            )));
        }
        changed.push((input.service_name.clone(), service));
    }
    env.services.extend(changed);
    env.touch();
    Ok(success())
}

/// `GET /openapi/environments[/production]/{envName}/services/{serviceName}`,
/// optionally only the workloads of kind `workLoadtype`.
pub fn detail(state: &State, req: &MockRequest<'_>, scope: Scope) -> Result<Reply, Reply> {
    let (project, env_key, name) = (
        project_key(req),
        path(req, "envName"),
        path(req, "serviceName"),
    );
    let env = state
        .env(project, env_key, scope)
        .map_err(|_| no_documents())?;
    let service = env.services.get(name).ok_or_else(no_documents)?;
    let shown = req
        .query_param("workLoadtype")
        .is_none_or(|kind| kind == service.workload.as_str());
    let workload = shown.then(|| workload(project, name, service));
    let (scales, cron_jobs) = match (workload, service.workload) {
        (None, _) => (vec![], vec![]),
        (Some(w), WorkloadKind::CronJob) => (vec![], vec![w]),
        (Some(w), _) => (vec![w], vec![]),
    };
    Ok(Reply::json(
        200,
        json!({
            "service_name": name,
            "scales": scales,
            "ingress": [],
            "service_endpoints": endpoints(project, name, service),
            "cron_jobs": cron_jobs,
            "namespace": env.namespace,
            "env_name": env_key,
            "product_name": project,
            "group_name": "",
        }),
    ))
}

fn labels(project: &str, service: &str) -> Value {
    json!({"app.kubernetes.io/instance": service, "app.kubernetes.io/name": project, "s-product": project, "s-service": service})
}

fn workload(project: &str, name: &str, service: &Service) -> Value {
    let pods: Vec<Value> = service
        .pods
        .iter()
        .map(|p| pod(project, name, service, p))
        .collect();
    json!({
        "name": name,
        "type": service.workload.as_str(),
        "images": service.containers.iter().map(render_container).collect::<Vec<_>>(),
        "pods": pods,
        "replicas": service.replicas,
        "zadigx_release_type": "",
        "zadigx_release_tag": "",
    })
}

fn pod(project: &str, name: &str, service: &Service, pod: &Pod) -> Value {
    let ports: Vec<Value> = service
        .ports
        .iter()
        .map(|p| json!({"containerPort": p, "protocol": "TCP"}))
        .collect();
    let containers: Vec<Value> = service
        .containers
        .iter()
        .enumerate()
        .map(|(i, c)| {
            json!({
                "name": c.name, "image": c.image, "restart_count": 0, "status": "running", "ready": true,
                "ports": if i == 0 { ports.clone() } else { vec![] },
                "message": "", "reason": "", "started_at": pod.started_at,
            })
        })
        .collect();
    let kind = if service.workload == WorkloadKind::Deployment {
        "ReplicaSet"
    } else {
        service.workload.as_str()
    };
    json!({
        "kind": kind, "name": pod.name, "status": "Running", "age": age(pod.started_at), "createtime": pod.started_at,
        "ip": pod.ip, "labels": labels(project, name), "containers": containers, "node_name": NODE_IP, "host_ip": NODE_IP,
        "enable_debug_container": false, "pod_ready": true, "containers_ready": true, "containers_message": "",
    })
}

/// The Kubernetes Service of the workload, if it has one.
fn endpoints(project: &str, name: &str, service: &Service) -> Vec<Value> {
    if !service.k8s_service {
        return vec![];
    }
    let endpoints: Vec<Value> = service.ports.iter().map(|p| json!({"service_name": name, "service_port": p, "node_port": 30000 + u32::from(*p) % 2768})).collect();
    let started = service
        .pods
        .iter()
        .map(|p| p.started_at)
        .min()
        .unwrap_or_else(unix_seconds);
    vec![
        json!({"name": name, "age": age(started), "labels": labels(project, name), "endpoints": endpoints}),
    ]
}

/// `kubectl`-style age: `34d`, `5h`, `12m` or `40s`.
fn age(since: u64) -> String {
    let seconds = unix_seconds().saturating_sub(since);
    match seconds {
        s if s >= 86_400 => format!("{}d", s / 86_400),
        s if s >= 3_600 => format!("{}h", s / 3_600),
        s if s >= 60 => format!("{}m", s / 60),
        s => format!("{s}s"),
    }
}
