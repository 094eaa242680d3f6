//! What the Rainbond mock knows: teams, their regions (clusters), the apps of
//! each region, the components of each app and their ports. The fixtures and
//! the state have the same shape, so `GET /__vouch/state` reads like
//! `fixtures/default.yaml`. Also finds the component a request names, the way
//! the console's `TeamAppServiceAPIView` does.

use std::num::NonZeroU16;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::envelope::{failure, failure_with_code};
use crate::mock::reply::Reply;
use crate::mock::request::MockRequest;

/// The first port the mock's gateway hands out when an outer service opens.
const FIRST_GATEWAY_PORT: u16 = 10000;

/// Seed data for Rainbond: the teams that exist, with everything below them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixtures {
    /// The teams that exist; any other team is unknown.
    #[serde(default)]
    pub teams: Vec<Team>,
}

/// What the Rainbond mock remembers.
#[derive(Debug, Clone, Default, Serialize)]
pub struct State {
    /// Every team, with the changes requests have made below it.
    pub teams: Vec<Team>,
}

/// A team (tenant); a path's `team_id` is its id or its name.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Team {
    pub tenant_id: String,
    pub tenant_name: String,
    #[serde(default)]
    pub regions: Vec<Region>,
}

/// A cluster the team uses, with the team's apps on it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Region {
    pub region_name: String,
    #[serde(default)]
    pub apps: Vec<App>,
}

/// An app (application group) and its components.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct App {
    pub app_id: i64,
    #[serde(default)]
    pub components: Vec<Component>,
}

/// A component (service). A path's `service_id` is its id or its alias.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Component {
    pub service_id: String,
    pub service_alias: String,
    /// Shared by all the component's ports; the service alias when left out.
    #[serde(default)]
    pub k8s_service_name: String,
    #[serde(default)]
    pub ports: Vec<Port>,
}

/// A component port. `mapping_port` is always `container_port` (adding a port
/// and opening its inner service both set it so), hence not stored.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Port {
    pub container_port: NonZeroU16,
    #[serde(default)]
    pub protocol: Protocol,
    /// Empty means the port has no alias (its inner service cannot open).
    #[serde(default)]
    pub port_alias: String,
    #[serde(default)]
    pub is_inner_service: bool,
    #[serde(default)]
    pub is_outer_service: bool,
    /// The gateway port, 0 until the outer service first opens.
    #[serde(default)]
    pub lb_mapping_port: u16,
}

/// A port protocol.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    #[default]
    Http,
    Tcp,
    Udp,
    Mysql,
    Grpc,
}

impl Protocol {
    /// The protocol a JSON value names (`None` for null or anything else).
    pub fn from_json(value: &Value) -> Option<Protocol> {
        serde_json::from_value(value.clone()).ok()
    }
}

/// Where a component sits in the state.
#[derive(Debug, Clone, Copy)]
pub struct Location {
    team: usize,
    region: usize,
    app: usize,
    component: usize,
}

impl State {
    /// State holding exactly the fixtures.
    pub fn new(fixtures: &Fixtures) -> State {
        let mut teams = fixtures.teams.clone();
        let components = teams
            .iter_mut()
            .flat_map(|t| &mut t.regions)
            .flat_map(|r| &mut r.apps)
            .flat_map(|a| &mut a.components);
        for component in components.filter(|c| c.k8s_service_name.is_empty()) {
            component.k8s_service_name = component.service_alias.clone();
        }
        State { teams }
    }

    /// The component the path names, or the console's 404 for the first
    /// unknown part (team, region, app, component, then the app/component match).
    pub fn locate(&self, req: &MockRequest<'_>) -> Result<Location, Reply> {
        let param = |name| req.path_param(name).unwrap_or_default();
        let team_id = param("team_id");
        let team = self
            .teams
            .iter()
            .position(|t| t.tenant_id == team_id || t.tenant_name == team_id)
            .ok_or_else(|| failure(404, "no found team", "团队不存在"))?;
        let regions = &self.teams[team].regions;
        let region = regions
            .iter()
            .position(|r| r.region_name == param("region_name"))
            .ok_or_else(|| failure_with_code(404, 3000, "the region is not found", "集群不存在"))?;
        let apps = &regions[region].apps;
        let app_id = param("app_id").parse::<i64>().ok();
        let app = apps
            .iter()
            .position(|a| Some(a.app_id) == app_id)
            .ok_or_else(|| failure(404, "no found app", "应用不存在"))?;
        let service_id = param("service_id");
        let named = |c: &Component| c.service_id == service_id || c.service_alias == service_id;
        if let Some(component) = apps[app].components.iter().position(named) {
            return Ok(Location {
                team,
                region,
                app,
                component,
            });
        }
        if apps.iter().flat_map(|a| &a.components).any(named) {
            return Err(failure(
                404,
                "component not belong to this app",
                "组件不属于指定应用",
            ));
        }
        Err(failure(404, "no found component", "组件不存在"))
    }

    /// The component at `at`.
    pub fn component(&self, at: Location) -> &Component {
        &self.teams[at.team].regions[at.region].apps[at.app].components[at.component]
    }

    /// The component at `at`, to change it.
    pub fn component_mut(&mut self, at: Location) -> &mut Component {
        &mut self.teams[at.team].regions[at.region].apps[at.app].components[at.component]
    }

    /// The lowest gateway port no port of the component's region holds yet.
    pub fn free_gateway_port(&self, at: Location) -> u16 {
        let region = &self.teams[at.team].regions[at.region].region_name;
        let used: Vec<u16> = self
            .teams
            .iter()
            .flat_map(|t| &t.regions)
            .filter(|r| r.region_name == *region)
            .flat_map(|r| &r.apps)
            .flat_map(|a| &a.components)
            .flat_map(|c| &c.ports)
            .map(|p| p.lb_mapping_port)
            .collect();
        (FIRST_GATEWAY_PORT..=u16::MAX)
            .find(|p| !used.contains(p))
            .unwrap_or_default()
    }
}

impl Component {
    /// The index of the port whose container port is `number`.
    pub fn port_index(&self, number: i64) -> Option<usize> {
        self.ports
            .iter()
            .position(|p| i64::from(p.container_port.get()) == number)
    }

    /// The default alias of a new port: the service alias upper-cased with
    /// `-` replaced by `_`, then the port number (`my-db` and 3307: `MY_DB3307`).
    pub fn default_alias(&self, port: NonZeroU16) -> String {
        format!(
            "{}{port}",
            self.service_alias.to_uppercase().replace('-', "_")
        )
    }

    /// A port as the console serializes it.
    pub fn port_view<'a>(&'a self, port: &'a Port) -> PortView<'a> {
        PortView {
            container_port: port.container_port,
            mapping_port: port.container_port,
            lb_mapping_port: port.lb_mapping_port,
            protocol: port.protocol,
            port_alias: &port.port_alias,
            is_inner_service: port.is_inner_service,
            is_outer_service: port.is_outer_service,
            k8s_service_name: &self.k8s_service_name,
        }
    }
}

/// A port as the console serializes it: every model field but the internal
/// ids, `mapping_port` equal to the container port, the component's shared
/// `k8s_service_name`. Serialised straight to bytes, in this field order.
#[derive(Debug, Serialize)]
pub struct PortView<'a> {
    container_port: NonZeroU16,
    mapping_port: NonZeroU16,
    lb_mapping_port: u16,
    protocol: Protocol,
    port_alias: &'a str,
    is_inner_service: bool,
    is_outer_service: bool,
    k8s_service_name: &'a str,
}
