//! The admin API under the reserved prefix `/__vouch/`: reset, state,
//! journal, health and fault injection. It needs no credential.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get, post};
use serde_json::json;

use super::faults::FaultRequest;
use super::reply::Reply;
use super::{MockState, lock};

/// The reserved prefix: no spec's operation is served under it.
pub(super) const ADMIN_PREFIX: &str = "/__vouch/";

pub(super) fn routes() -> Router<Arc<MockState>> {
    Router::new()
        .route("/__vouch/health", get(health))
        .route("/__vouch/reset", post(reset))
        .route("/__vouch/state", get(state))
        .route("/__vouch/journal", get(journal))
        .route(
            "/__vouch/faults",
            get(list_faults).post(add_fault).delete(clear_faults),
        )
        .route("/__vouch/faults/{id}", delete(remove_fault))
}

fn json(status: u16, value: serde_json::Value) -> Response {
    Reply::json(status, value).into_response()
}

async fn health(State(mock): State<Arc<MockState>>) -> Response {
    let specs = mock.catalog.specs().len();
    let operations = mock.catalog.operations().count();
    json(
        200,
        json!({"status": "ok", "specs": specs, "operations": operations}),
    )
}

async fn reset(State(mock): State<Arc<MockState>>) -> Response {
    mock.reset();
    json(200, json!({"status": "reset"}))
}

async fn state(State(mock): State<Arc<MockState>>) -> Response {
    json(200, mock.state_json())
}

async fn journal(State(mock): State<Arc<MockState>>) -> Response {
    json(
        200,
        serde_json::to_value(mock.journal()).unwrap_or_default(),
    )
}

async fn list_faults(State(mock): State<Arc<MockState>>) -> Response {
    json(
        200,
        serde_json::to_value(lock(&mock.faults).list()).unwrap_or_default(),
    )
}

async fn add_fault(State(mock): State<Arc<MockState>>, body: Bytes) -> Response {
    let request: FaultRequest = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return json(400, json!({"error": format!("invalid fault: {e}")})),
    };
    if let Some(op) = &request.operation
        && mock.catalog.operation(op).is_none()
    {
        return json(
            400,
            json!({"error": format!("no operation `{op}` in the loaded specs")}),
        );
    }
    match lock(&mock.faults).add(request) {
        Ok(fault) => json(201, serde_json::to_value(fault).unwrap_or_default()),
        Err(e) => json(400, json!({"error": e})),
    }
}

async fn clear_faults(State(mock): State<Arc<MockState>>) -> Response {
    lock(&mock.faults).clear();
    Reply::empty(204).into_response()
}

async fn remove_fault(State(mock): State<Arc<MockState>>, Path(id): Path<String>) -> Response {
    match id.parse::<u64>().map(|id| lock(&mock.faults).remove(id)) {
        Ok(true) => Reply::empty(204).into_response(),
        _ => json(404, json!({"error": format!("no fault {id}")})),
    }
}
