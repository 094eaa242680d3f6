//! The five vendor specs, embedded in the binary so that `vouch` works from
//! any directory with no files beside it.

use std::path::PathBuf;

use super::{Catalog, Problem, Spec};

/// (file name under `specs/`, text) of every built-in spec.
pub const BUILTIN_SPECS: &[(&str, &str)] = &[
    ("alaya-cci.yaml", include_str!("../../specs/alaya-cci.yaml")),
    (
        "huawei-apig.yaml",
        include_str!("../../specs/huawei-apig.yaml"),
    ),
    ("rainbond.yaml", include_str!("../../specs/rainbond.yaml")),
    ("zadig.yaml", include_str!("../../specs/zadig.yaml")),
    ("zstack.yaml", include_str!("../../specs/zstack.yaml")),
];

/// Loads every built-in spec (problems are reported against `specs/<file>`).
pub fn builtin_specs() -> Vec<Result<Spec, Problem>> {
    BUILTIN_SPECS
        .iter()
        .map(|(file, text)| Spec::parse(&PathBuf::from("specs").join(file), text))
        .collect()
}

impl Catalog {
    /// The catalog of the built-in specs.
    pub fn builtin() -> Result<Catalog, Vec<Problem>> {
        Catalog::from_loaded(builtin_specs())
    }
}
