//! The console's reply shapes: the `general_message` envelope
//! (`{"code","msg","msg_show","data":{"bean","list"}}`) for successes and
//! business failures, the DRF serializer error and the authentication failure.

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::model::PortView;
use crate::mock::reply::Reply;

/// The `detail` of Django REST framework's 404.
pub const NOT_FOUND: &str = "Not found.";

/// DRF's key for errors that concern no single field.
pub const NON_FIELD_ERRORS: &str = "non_field_errors";

/// `general_message(code, msg, msg_show, bean, list)`, serialised as the
/// console writes it: `{"code","msg","msg_show","data":{"bean","list"}}`.
#[derive(Serialize)]
struct General<'a, B, L> {
    code: i64,
    msg: &'a str,
    msg_show: &'a str,
    data: Data<B, L>,
    /// DRF's `detail`, on the 404 and 405 the framework words itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    detail: Option<&'a str>,
}

/// The `data` of [`General`].
#[derive(Serialize)]
struct Data<B, L> {
    bean: B,
    list: L,
}

/// The empty `bean` (`{}`).
#[derive(Serialize)]
struct NoBean {}

/// The envelope around `bean` and `list`.
fn general_message<B: Serialize, L: Serialize>(
    status: u16,
    code: i64,
    msg: &str,
    msg_show: &str,
    bean: B,
    list: L,
) -> Reply {
    Reply::json_of(
        status,
        &General {
            code,
            msg,
            msg_show,
            data: Data { bean, list },
            detail: None,
        },
    )
}

/// 200 with one port in `data.bean`.
pub fn bean(msg_show: &str, port: PortView<'_>) -> Reply {
    general_message(200, 200, "success", msg_show, port, [(); 0])
}

/// 200 with the ports in `data.list`.
pub fn list(ports: Vec<PortView<'_>>) -> Reply {
    general_message(200, 200, "success", "查询成功", NoBean {}, ports)
}

/// A business failure whose business code is its HTTP status.
pub fn failure(status: u16, msg: &str, msg_show: &str) -> Reply {
    failure_with_code(status, i64::from(status), msg, msg_show)
}

/// A business failure with its own business code.
pub fn failure_with_code(status: u16, code: i64, msg: &str, msg_show: &str) -> Reply {
    general_message(status, code, msg, msg_show, NoBean {}, [(); 0])
}

/// A failure of `PUT .../ports/{port}` returned by `manage_port`.
pub fn change_port_fail(status: u16, msg_show: &str) -> Reply {
    failure(status, "change port fail", msg_show)
}

/// An answer in the envelope that also carries DRF's `detail` (404, 405).
pub fn drf_error(status: u16, detail: &str) -> Reply {
    let body = General {
        code: i64::from(status),
        msg: detail,
        msg_show: detail,
        data: Data {
            bean: NoBean {},
            list: [(); 0],
        },
        detail: Some(detail),
    };
    Reply::json_of(status, &body)
}

/// The serializer's 400: each field with its messages, in order.
pub fn validation_error(errors: &[(&str, String)]) -> Reply {
    let detail: Vec<String> = errors
        .iter()
        .map(|(field, message)| format!("{field}: {message}"))
        .collect();
    let err: Map<String, Value> = errors
        .iter()
        .map(|(field, message)| (field.to_string(), json!([message])))
        .collect();
    Reply::json(
        400,
        json!({"detail": detail.join(" "), "err": err, "code": 20400, "error_type": "ValidationError"}),
    )
}

/// The authentication failure (401) with `detail` as every message.
pub fn authentication_failed(detail: &str) -> Reply {
    Reply::json(
        401,
        json!({"detail": detail, "code": 401, "msg": detail, "msg_show": detail, "error_type": "AuthenticationFailed"}),
    )
}
