//! The four port operations and their rules, in the order the console checks
//! them (`ComponentPortsShowView`, `ComponentPortsChangeView` and
//! `port_service`). Every check runs before the state changes, so a refused
//! request leaves the state as it was.

use std::num::NonZeroU16;

use serde::Deserialize;
use serde_json::Value;

use super::envelope::{bean, change_port_fail, failure, failure_with_code, list, validation_error};
use super::model::{Component, Port, Protocol, State};
use crate::mock::reply::Reply;
use crate::mock::request::MockRequest;

/// The longest `k8s_service_name` the console accepts.
const MAX_K8S_SERVICE_NAME: usize = 63;

/// `GET .../ports`: the component's ports in `data.list`.
pub fn list_ports(state: &State, req: &MockRequest<'_>) -> Result<Reply, Reply> {
    let component = state.component(state.locate(req)?);
    Ok(list(
        component
            .ports
            .iter()
            .map(|p| component.port_view(p))
            .collect(),
    ))
}

/// `POST .../ports`: adds a port, answers it in `data.bean`.
pub fn add_port(state: &mut State, req: &MockRequest<'_>) -> Result<Reply, Reply> {
    let at = state.locate(req)?;
    let component = state.component(at);
    let port = new_port(component, req)?;
    let added = bean("添加成功", component.port_view(&port));
    state.component_mut(at).ports.push(port);
    Ok(added)
}

/// `PUT .../ports/{port}`: applies one action, answers the port in `data.bean`.
pub fn update_port(state: &mut State, req: &MockRequest<'_>) -> Result<Reply, Reply> {
    let at = state.locate(req)?;
    let change = Change::read(req)?;
    let number = path_port(req);
    let component = state.component(at);
    change.check_params(component, number)?;
    let index = number
        .and_then(|n| component.port_index(n))
        .ok_or_else(|| failure(404, "component port does not exist", "组件端口不存在"))?;
    let (port, k8s_service_name) =
        change.apply(&component.ports[index], || state.free_gateway_port(at))?;
    let component = state.component_mut(at);
    if let Some(name) = k8s_service_name {
        component.k8s_service_name = name;
    }
    let updated = bean("操作成功", component.port_view(&port));
    component.ports[index] = port;
    Ok(updated)
}

/// `DELETE .../ports/{port}`: removes a closed port, answers it in `data.bean`.
pub fn delete_port(state: &mut State, req: &MockRequest<'_>) -> Result<Reply, Reply> {
    let at = state.locate(req)?;
    let number = path_port(req);
    let component = state.component(at);
    let not_found = || {
        failure(
            404,
            "port not found",
            &format!("端口{}不存在", number.unwrap_or_default()),
        )
    };
    let index = number
        .and_then(|n| component.port_index(n))
        .ok_or_else(not_found)?;
    let port = &component.ports[index];
    if port.is_inner_service {
        return Err(failure(409, "can not delete inner port", "请关闭对内服务"));
    }
    if port.is_outer_service {
        return Err(failure(409, "can not delete outer port", "请关闭对外服务"));
    }
    let removed = bean("删除成功", component.port_view(port));
    state.component_mut(at).ports.remove(index);
    Ok(removed)
}

/// The port of the path (the core has checked that it is an integer).
fn path_port(req: &MockRequest<'_>) -> Option<i64> {
    req.path_param("port").and_then(|p| p.parse().ok())
}

/// The port a valid `POST` body describes, checked as the console does:
/// port 0, null protocol, duplicate, range, then the alias.
fn new_port(component: &Component, req: &MockRequest<'_>) -> Result<Port, Reply> {
    let alias = text_field(req, "port_alias")?;
    let number = req
        .body_field("port")
        .map_or(PortNumber::Zero, PortNumber::of);
    if number == PortNumber::Zero {
        return Err(failure(400, "params error", "缺少端口参数"));
    }
    let protocol =
        requested_protocol(req).ok_or_else(|| failure(400, "params error", "缺少协议参数"))?;
    let PortNumber::Valid(container_port) = number else {
        return Err(failure(
            412,
            "component port out of range",
            "端口必须为1到65535的整数",
        ));
    };
    if component
        .port_index(i64::from(container_port.get()))
        .is_some()
    {
        return Err(failure_with_code(
            409,
            20501,
            "component port already exists",
            "端口已存在",
        ));
    }
    let port_alias = alias.unwrap_or_else(|| component.default_alias(container_port));
    if !is_port_alias(&port_alias) {
        return Err(failure(400, "add port error", "端口别名不合法"));
    }
    Ok(Port {
        container_port,
        protocol,
        port_alias,
        is_inner_service: req
            .body_field("is_inner_service")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        is_outer_service: false,
        lb_mapping_port: 0,
    })
}

/// A `port` of a `POST` body (any JSON number: it may be huge or fractional).
#[derive(Debug, Clone, Copy, PartialEq)]
enum PortNumber {
    Zero,
    Valid(NonZeroU16),
    OutOfRange,
}

impl PortNumber {
    fn of(value: &Value) -> PortNumber {
        let number = value.as_f64().unwrap_or(f64::NAN);
        if number == 0.0 {
            return PortNumber::Zero;
        }
        let whole = value
            .as_u64()
            .or_else(|| (number.fract() == 0.0).then_some(number as u64));
        let valid = whole
            .filter(|_| number > 0.0)
            .and_then(|n| u16::try_from(n).ok())
            .and_then(NonZeroU16::new);
        valid.map_or(PortNumber::OutOfRange, PortNumber::Valid)
    }
}

/// The `protocol` of the body: omitted is http (the serializer's default), null is `None`.
fn requested_protocol(req: &MockRequest<'_>) -> Option<Protocol> {
    req.body_field("protocol")
        .map_or(Some(Protocol::Http), Protocol::from_json)
}

/// A text field as the serializer hands it on: trimmed, omitted or null as
/// `None`, blank refused.
fn text_field(req: &MockRequest<'_>, name: &'static str) -> Result<Option<String>, Reply> {
    let Some(text) = req.body_field(name).and_then(Value::as_str) else {
        return Ok(None);
    };
    match text.trim() {
        "" => Err(validation_error(&[(
            name,
            "This field may not be blank.".into(),
        )])),
        trimmed => Ok(Some(trimmed.to_string())),
    }
}

/// `^[A-Z][A-Z0-9_]*$`.
fn is_port_alias(alias: &str) -> bool {
    let mut chars = alias.chars();
    chars.next().is_some_and(|c| c.is_ascii_uppercase())
        && chars.all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// `[a-z]([-a-z0-9]*[a-z0-9])?`, matched whole.
fn is_k8s_service_name(name: &str) -> bool {
    let inner = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit();
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name.ends_with(inner)
        && name.chars().all(|c| inner(c) || c == '-')
}

/// The `action` of a `PUT` body.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Action {
    OpenOuter,
    OnlyOpenOuter,
    CloseOuter,
    OpenInner,
    CloseInner,
    ChangeProtocol,
    ChangePortAlias,
}

/// A `PUT` body as the serializer hands it on.
struct Change {
    action: Action,
    /// `None` when sent as null.
    protocol: Option<Protocol>,
    port_alias: Option<String>,
    k8s_service_name: Option<String>,
}

impl Change {
    fn read(req: &MockRequest<'_>) -> Result<Change, Reply> {
        let action = req
            .body_field("action")
            .and_then(|a| Action::deserialize(a).ok());
        let Some(action) = action else {
            return Err(validation_error(&[(
                "action",
                "This field is required.".into(),
            )]));
        };
        Ok(Change {
            action,
            protocol: requested_protocol(req),
            port_alias: text_field(req, "port_alias")?,
            k8s_service_name: text_field(req, "k8s_service_name")?,
        })
    }

    /// `port_service.__check_params`: runs before the port is looked up.
    fn check_params(&self, component: &Component, number: Option<i64>) -> Result<(), Reply> {
        if self.action == Action::ChangePortAlias {
            let Some(alias) = &self.port_alias else {
                return Err(change_port_fail(400, "端口别名不能为空"));
            };
            let holder = component.ports.iter().find(|p| p.port_alias == *alias);
            if holder.is_some_and(|p| Some(i64::from(p.container_port.get())) != number) {
                return Err(change_port_fail(400, "别名已存在"));
            }
        }
        if self.action == Action::ChangeProtocol && self.protocol.is_none() {
            return Err(change_port_fail(400, "端口协议不能为空"));
        }
        if self
            .port_alias
            .as_deref()
            .is_some_and(|a| !is_port_alias(a))
        {
            return Err(change_port_fail(400, "端口别名不合法"));
        }
        Ok(())
    }

    /// The port after the action, and the component's new `k8s_service_name`
    /// if the action sets one. `gateway_port` is asked only when the outer
    /// service opens for the first time.
    fn apply(
        &self,
        port: &Port,
        gateway_port: impl FnOnce() -> u16,
    ) -> Result<(Port, Option<String>), Reply> {
        let mut port = port.clone();
        match self.action {
            Action::OpenOuter if !port.is_inner_service => {
                return Err(failure(
                    404,
                    "inner port is not open",
                    "对内服务未开启，需先开启对内服务",
                ));
            }
            Action::OpenOuter | Action::OnlyOpenOuter => {
                port.is_outer_service = true;
                if port.lb_mapping_port == 0 {
                    port.lb_mapping_port = gateway_port();
                }
            }
            Action::CloseOuter => port.is_outer_service = false,
            Action::OpenInner if port.port_alias.is_empty() => {
                return Err(change_port_fail(409, "请先为端口设置别名"));
            }
            Action::OpenInner => port.is_inner_service = true,
            Action::CloseInner if port.is_outer_service => {
                return Err(failure(
                    404,
                    "inner port is not open",
                    "对外服务开启中，需先关闭对外服务",
                ));
            }
            Action::CloseInner => port.is_inner_service = false,
            Action::ChangeProtocol => {
                port.protocol = changed_protocol(&port, self.protocol.unwrap_or_default())?
            }
            Action::ChangePortAlias => {
                port.port_alias = self.port_alias.clone().unwrap_or_default();
                return Ok((port, self.checked_k8s_service_name()?));
            }
        }
        Ok((port, None))
    }

    /// `check_k8s_service_name`: length, then the pattern.
    fn checked_k8s_service_name(&self) -> Result<Option<String>, Reply> {
        let Some(name) = &self.k8s_service_name else {
            return Ok(None);
        };
        if name.chars().count() > MAX_K8S_SERVICE_NAME {
            let message = "k8s_service_name must be no more than 63 characters";
            return Err(failure(400, message, message));
        }
        if !is_k8s_service_name(name) {
            let message = "regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?'";
            return Err(failure(400, message, "内部域名格式正确"));
        }
        Ok(Some(name.clone()))
    }
}

/// `__change_protocol`: the same protocol is a no-op; leaving http is refused
/// while the outer service is open.
fn changed_protocol(port: &Port, protocol: Protocol) -> Result<Protocol, Reply> {
    if protocol != port.protocol && protocol != Protocol::Http && port.is_outer_service {
        return Err(change_port_fail(400, "请关闭外部访问"));
    }
    Ok(protocol)
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn port_numbers_are_classified_without_overflow() {
        let valid = |n: u16| PortNumber::Valid(NonZeroU16::new(n).unwrap());
        assert_eq!(PortNumber::of(&json!(80)), valid(80));
        assert_eq!(PortNumber::of(&json!(80.0)), valid(80));
        assert_eq!(PortNumber::of(&json!(65535)), valid(65535));
        assert_eq!(PortNumber::of(&json!(0)), PortNumber::Zero);
        assert_eq!(PortNumber::of(&json!(0.0)), PortNumber::Zero);
        for out in [
            json!(65536),
            json!(-1),
            json!(80.5),
            json!(1e300),
            json!(u64::MAX),
            json!(i64::MIN),
        ] {
            assert_eq!(PortNumber::of(&out), PortNumber::OutOfRange, "{out}");
        }
    }

    #[test]
    fn port_aliases_must_start_upper_case_and_hold_upper_digits_or_underscores() {
        assert!(is_port_alias("NGINX_PORT"));
        assert!(is_port_alias("A1"));
        for bad in ["", "nginx", "1ABC", "_ABC", "AB-C", "ABÇ"] {
            assert!(!is_port_alias(bad), "{bad}");
        }
    }

    #[test]
    fn k8s_service_names_follow_the_dns_label_pattern() {
        assert!(is_k8s_service_name("a"));
        assert!(is_k8s_service_name("nginx-port-2"));
        for bad in ["", "nginx_port", "-a", "a-", "1abc", "Nginx"] {
            assert!(!is_k8s_service_name(bad), "{bad}");
        }
    }
}
