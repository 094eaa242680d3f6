//! Reads the built-in specs and fixtures (YAML, written for people) into JSON
//! once, at build time, so that `vouch` parses JSON when it starts (see
//! `src/spec/builtin.rs`); their YAML is embedded too, for the line of any
//! finding. A file that does not read is written empty: vouch then reads its
//! YAML at run time and reports the problem with its line.

use std::path::{Path, PathBuf};

#[allow(dead_code)]
#[path = "src/spec/yaml.rs"]
mod yaml;

fn main() {
    let out = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    for dir in ["specs", "fixtures"] {
        println!("cargo::rerun-if-changed={dir}");
        std::fs::create_dir_all(out.join(dir)).expect("OUT_DIR is writable");
        for file in yaml_files(Path::new(dir)) {
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            let json = yaml::read_yaml::<yaml::Plain>(&text)
                .ok()
                .and_then(|plain| serde_json::to_string(&plain.0).ok())
                .unwrap_or_default();
            let name = file.file_name().expect("a file").to_string_lossy();
            std::fs::write(out.join(dir).join(format!("{name}.json")), json)
                .expect("OUT_DIR is writable");
        }
    }
}

fn yaml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "yaml"))
        .collect();
    files.sort();
    files
}
