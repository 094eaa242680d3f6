//! The five vendor specs, embedded in the binary so that `vouch` works from
//! any directory with no files beside it. Each is embedded twice: its YAML,
//! and that YAML read into JSON at build time (`build.rs`), which is what
//! `vouch` parses when it starts.

use std::path::PathBuf;

use super::{Catalog, Checks, Problem, Spec};

/// (file name under `specs/`, YAML text, the same read into JSON at build time).
macro_rules! builtin {
    ($file:literal) => {
        (
            $file,
            include_str!(concat!("../../specs/", $file)),
            include_str!(concat!(env!("OUT_DIR"), "/specs/", $file, ".json")),
        )
    };
}

/// Every built-in spec: (file name under `specs/`, YAML, JSON).
const BUILTIN_SPECS: &[(&str, &str, &str)] = &[
    builtin!("alaya-cci.yaml"),
    builtin!("huawei-apig.yaml"),
    builtin!("rainbond.yaml"),
    builtin!("zadig.yaml"),
    builtin!("zstack.yaml"),
];

/// Loads every built-in spec (problems are reported against `specs/<file>`)
/// with the `checks` asked for: all of them for `vouch lint`, only what
/// serving needs to start a mock or a run.
pub fn builtin_specs(checks: Checks) -> Vec<Result<Spec, Problem>> {
    BUILTIN_SPECS
        .iter()
        .map(|(file, yaml, json)| {
            Spec::prepared(&PathBuf::from("specs").join(file), yaml, json, checks)
        })
        .collect()
}

impl Catalog {
    /// The catalog of the built-in specs, loaded to serve (see [`Checks::Serving`]).
    pub fn builtin() -> Result<Catalog, Vec<Problem>> {
        Catalog::from_loaded(builtin_specs(Checks::Serving))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a start skips is checked here: every built-in spec passes every
    /// check, and loads the same operations either way.
    #[test]
    fn the_built_in_specs_pass_every_check_and_serve_the_same_operations() {
        let checked = builtin_specs(Checks::All);
        let served = builtin_specs(Checks::Serving);
        for (checked, served) in checked.into_iter().zip(served) {
            let checked = checked.expect("a built-in spec loads");
            let served = served.expect("a built-in spec loads");
            assert!(
                checked.problems.is_empty() && checked.warnings.is_empty(),
                "{}: {:#?} {:#?}",
                checked.name,
                checked.problems,
                checked.warnings
            );
            let ids = |spec: &Spec| {
                spec.operations
                    .iter()
                    .map(|o| o.id.clone())
                    .collect::<Vec<_>>()
            };
            assert_eq!(ids(&checked), ids(&served), "{}", checked.name);
            assert_eq!(
                checked.document.value, served.document.value,
                "{}",
                checked.name
            );
        }
    }

    #[test]
    fn the_json_read_at_build_time_is_what_the_yaml_reads_at_run_time() {
        for (file, yaml, json) in BUILTIN_SPECS {
            let prepared = crate::spec::Document::prepared(yaml, json).expect(file);
            let read = crate::spec::Document::parse(yaml).expect(file);
            assert!(!json.is_empty(), "{file}: build.rs could not read it");
            assert_eq!(prepared.value, read.value, "{file}");
            assert_eq!(prepared.line_of("/paths"), read.line_of("/paths"), "{file}");
        }
    }
}
