//! Headless Chromium for the tests of report pages (the fidelity and the
//! conform HTML reports): Debian's browser when installed, run off the
//! network and out of the user's profile, giving the page's DOM after its
//! scripts ran and a screenshot. Without a browser a test says so and
//! checks the page as HTML only, except under `CI` (where `.ci/run`
//! installs it), where the absence fails the test.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Duration;

use super::{Finished, wait_bounded};

/// Debian's Chromium, when installed; `None` (saying so) on a developer's
/// machine without it; a failure under `CI`.
pub fn installed_chromium() -> Option<&'static Path> {
    let browser = Path::new("/usr/bin/chromium");
    if browser.exists() {
        return Some(browser);
    }
    let hint =
        "Debian's chromium is not installed (`apt-get install -y chromium`; .ci/run installs it)";
    assert!(
        std::env::var_os("CI").is_none(),
        "under CI this test needs a browser: {hint}"
    );
    eprintln!("note: {hint}: the report was checked as HTML, not rendered in a browser");
    None
}

/// Chromium on `page` with the flags that keep it off the network and out
/// of the user's profile (`profile` is its own), plus `extra`.
pub fn chromium(browser: &Path, profile: &Path, extra: &[String], page: &Path) -> Finished {
    let child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chromium starts");
    wait_bounded(child, Duration::from_secs(90))
}

/// A page as the browser showed it.
pub struct Rendered {
    /// The DOM after the page's scripts ran (`--dump-dom`).
    pub dom: String,
    /// A 1280x1600 screenshot, as PNG.
    pub png: Vec<u8>,
}

/// Renders `page` twice (its DOM, then a screenshot), each with a fresh
/// profile under `scratch`; panics with Chromium's output if either fails.
pub fn render(browser: &Path, page: &Path, scratch: &Path) -> Rendered {
    let dom = chromium(
        browser,
        &scratch.join("profile-dom"),
        &["--dump-dom".into()],
        page,
    );
    assert!(dom.status.success(), "chromium --dump-dom: {}", dom.stderr);
    let shot = scratch.join("page.png");
    let screenshot = chromium(
        browser,
        &scratch.join("profile-shot"),
        &[
            format!("--screenshot={}", shot.display()),
            "--window-size=1280,1600".into(),
        ],
        page,
    );
    assert!(
        screenshot.status.success(),
        "chromium --screenshot: {}",
        screenshot.stderr
    );
    let png = std::fs::read(&shot).expect("chromium wrote the screenshot");
    Rendered {
        dom: dom.stdout,
        png,
    }
}

/// Panics unless the report page may fetch nothing and needs nothing beside it.
pub fn assert_self_contained(html: &str) {
    assert!(
        html.contains("default-src 'none'"),
        "the page may fetch nothing"
    );
    assert!(
        !html.contains("<link") && !html.contains(" src="),
        "self-contained"
    );
}
