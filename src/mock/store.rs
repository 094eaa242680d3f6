//! The mock's state: one part per vendor plus the generic resources, all
//! behind one lock in [`super::MockState`], built from [`Fixtures`].

use std::path::Path;

use serde::{Deserialize, Serialize};

use super::generic;
use super::vendors::{alaya_cci, huawei_apig, rainbond, zadig, zstack};

/// The built-in fixture file.
pub const DEFAULT_FIXTURES: &str = include_str!("../../fixtures/default.yaml");

/// Seed data: which teams, apps, gateways, VIPs, instances and projects exist.
/// Identifiers that are not here do not exist, and the mock answers the
/// vendor's not-found for them.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixtures {
    /// Rainbond teams, apps and components (`rainbond:`).
    #[serde(default)]
    pub rainbond: rainbond::Fixtures,
    /// Alaya CCI instances (`alaya-cci:`).
    #[serde(default, rename = "alaya-cci")]
    pub alaya_cci: alaya_cci::Fixtures,
    /// Huawei Cloud APIG project and gateway instances (`huawei-apig:`).
    #[serde(default, rename = "huawei-apig")]
    pub huawei_apig: huawei_apig::Fixtures,
    /// ZStack VIPs (`zstack:`).
    #[serde(default)]
    pub zstack: zstack::Fixtures,
    /// Zadig clusters, registries and projects (`zadig:`).
    #[serde(default)]
    pub zadig: zadig::Fixtures,
}

impl Fixtures {
    /// The fixtures shipped in `fixtures/default.yaml`.
    pub fn builtin() -> Result<Fixtures, String> {
        Fixtures::parse(DEFAULT_FIXTURES, Path::new("fixtures/default.yaml"))
    }

    /// Reads a fixture file; the error names the file, line and field.
    pub fn load(path: &Path) -> Result<Fixtures, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("{}: cannot read fixtures: {e}", path.display()))?;
        Fixtures::parse(&text, path)
    }

    fn parse(text: &str, path: &Path) -> Result<Fixtures, String> {
        serde_saphyr::from_str(text).map_err(|e| {
            let line = e
                .location()
                .map(|l| format!(":{}", l.line()))
                .unwrap_or_default();
            format!(
                "{}{line}: invalid fixtures: {}",
                path.display(),
                e.to_string().lines().next().unwrap_or_default()
            )
        })
    }
}

/// Everything the mock remembers.
#[derive(Debug, Serialize)]
pub struct Store {
    /// Rainbond teams and what is below them, as changed by requests.
    pub rainbond: rainbond::State,
    /// Alaya CCI instances and their open ports.
    #[serde(rename = "alaya-cci")]
    pub alaya_cci: alaya_cci::State,
    /// Huawei Cloud APIG gateways and their inbound ports.
    #[serde(rename = "huawei-apig")]
    pub huawei_apig: huawei_apig::State,
    /// ZStack VIPs and their used ports.
    pub zstack: zstack::State,
    /// Zadig clusters, registries, projects and environments.
    pub zadig: zadig::State,
    /// Resources of operations no vendor module claims.
    pub generic: generic::State,
}

impl Store {
    /// A fresh store holding exactly the fixtures.
    pub fn new(fixtures: &Fixtures) -> Store {
        Store {
            rainbond: rainbond::State::new(&fixtures.rainbond),
            alaya_cci: alaya_cci::State::new(&fixtures.alaya_cci),
            huawei_apig: huawei_apig::State::new(&fixtures.huawei_apig),
            zstack: zstack::State::new(&fixtures.zstack),
            zadig: zadig::State::new(&fixtures.zadig),
            generic: generic::State::default(),
        }
    }
}
