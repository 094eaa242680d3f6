//! Writing a file atomically: a temporary file beside it, renamed over it,
//! so a reader never sees half a report, snapshot or recording.

use std::path::Path;

/// Writes `text` to `path` atomically, creating missing parent folders.
pub fn write(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, path)
}
