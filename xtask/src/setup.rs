//! `cargo xtask setup`: installs exactly what is missing, from the package registries only.
//! Versions and pitfalls: see the toolchain notes in ARCHITECTURE.md ("Build").

use crate::process::{TaskResult, cargo, output_of, root, step, tool};

use std::process::Command;

/// Trunk release that builds with rustc 1.95 (0.22 needs 1.96.1).
pub const TRUNK_VERSION: &str = "0.21.14";
/// Debian packages the tests need: the browser for wasm and end-to-end tests, curl, and the
/// real ModSecurity senders for `lab test` (Apache + mod_security2 with mlogc + CRS, nginx +
/// libmodsecurity 3), and faketime (an end-to-end test runs the real server 10 minutes in the
/// past to leave a sensor silent).
pub const APT_PACKAGES: &[&str] =
    &["chromium", "chromium-driver", "curl", "apache2", "libapache2-mod-security2", "modsecurity-crs", "nginx", "libnginx-mod-http-modsecurity", "faketime"];
/// Debian's hook that decides whether package scripts may start services.
const POLICY_RC_D: &str = "/usr/sbin/policy-rc.d";

pub fn run() -> TaskResult {
    lint_components()?;
    wasm_target()?;
    trunk()?;
    wasm_bindgen_cli()?;
    node_tools()?;
    fuzz_tools()?;
    apt_packages(APT_PACKAGES)?;
    step("cargo fetch", cargo().arg("fetch"))
}

/// rustfmt and clippy, which `cargo xtask test` runs first.
fn lint_components() -> TaskResult {
    let installed = output_of(Command::new("rustup").args(["component", "list", "--installed"])).unwrap_or_default();
    let missing: Vec<&str> =
        ["rustfmt", "clippy"].into_iter().filter(|component| !installed.lines().any(|line| line.trim().starts_with(&format!("{component}-")))).collect();
    if missing.is_empty() {
        return Ok(());
    }
    step(&format!("rustup component add {}", missing.join(" ")), Command::new("rustup").args(["component", "add"]).args(&missing))
}

/// The nightly toolchain and cargo-fuzz, for the fuzz targets (`cargo xtask fuzz`).
fn fuzz_tools() -> TaskResult {
    let toolchains = output_of(Command::new("rustup").args(["toolchain", "list"])).unwrap_or_default();
    if !toolchains.lines().any(|line| line.starts_with("nightly")) {
        step("rustup toolchain install nightly --profile minimal", Command::new("rustup").args(["toolchain", "install", "nightly", "--profile", "minimal"]))?;
    }
    if output_of(tool("cargo-fuzz").arg("--version")).is_some() {
        return Ok(());
    }
    step("cargo install cargo-fuzz --locked (about a minute, once)", cargo().args(["install", "cargo-fuzz", "--locked"]))
}

fn wasm_target() -> TaskResult {
    let installed = output_of(Command::new("rustup").args(["target", "list", "--installed"])).unwrap_or_default();
    if installed.lines().any(|line| line.trim() == "wasm32-unknown-unknown") {
        return Ok(());
    }
    step("rustup target add wasm32-unknown-unknown", Command::new("rustup").args(["target", "add", "wasm32-unknown-unknown"]))
}

fn trunk() -> TaskResult {
    let version = output_of(tool("trunk").arg("--version")).unwrap_or_default();
    if version.split_whitespace().any(|word| word == TRUNK_VERSION) {
        return Ok(());
    }
    step(&format!("cargo install trunk {TRUNK_VERSION} (about 7 minutes, once)"), cargo().args(["install", "--locked", "trunk", "--version", TRUNK_VERSION]))
}

/// The CLI must equal the `wasm-bindgen` crate in Cargo.lock.
fn wasm_bindgen_cli() -> TaskResult {
    let wanted = locked_version("wasm-bindgen")?;
    let found = output_of(tool("wasm-bindgen").arg("--version")).unwrap_or_default();
    if found.split_whitespace().any(|word| word == wanted) {
        return Ok(());
    }
    let what = format!("cargo install wasm-bindgen-cli {wanted} (about 2 minutes, once)");
    if step(&what, cargo().args(["install", "--locked", "wasm-bindgen-cli", "--version", &wanted])).is_ok() {
        return Ok(());
    }
    // Its shipped lock file can pin crates the index no longer has: retry unlocked.
    step(&format!("{what}, without --locked"), cargo().args(["install", "wasm-bindgen-cli", "--version", &wanted]))
}

fn node_tools() -> TaskResult {
    if Command::new("npm").arg("--version").output().is_err() {
        apt_packages(&["nodejs", "npm"])?;
    }
    let bin = root().join("node_modules/.bin");
    if bin.join("wasm-opt").exists() && root().join("node_modules/playwright-core/package.json").exists() {
        return Ok(());
    }
    step("npm ci (binaryen wasm-opt, playwright-core)", tool("npm").args(["ci", "--no-audit", "--no-fund"]))
}

/// Installs the Debian packages that are not installed yet (needs root).
pub fn apt_packages(packages: &[&str]) -> TaskResult {
    let missing: Vec<&str> = packages.iter().copied().filter(|package| !dpkg_installed(package)).collect();
    if missing.is_empty() {
        return Ok(());
    }
    let is_root = output_of(Command::new("id").arg("-u")).is_some_and(|uid| uid.trim() == "0");
    if !is_root {
        return Err(format!("missing Debian packages {missing:?}: run `sudo apt-get install -y {}`", missing.join(" ")));
    }
    // apache2 and nginx would both start a system service on port 80 while installing (and the
    // second one's install fail); the lab never uses those services: forbid starting any
    let _no_services = NoServiceStarts::install();
    let install = |missing: &[&str]| {
        let mut command = Command::new("apt-get");
        command.args(["install", "-y", "-q", "--no-install-recommends"]).args(missing).env("DEBIAN_FRONTEND", "noninteractive");
        step(&format!("apt-get install {}", missing.join(" ")), &mut command)
    };
    if install(&missing).is_ok() {
        return Ok(());
    }
    step("apt-get update", Command::new("apt-get").args(["update", "-q"]))?;
    install(&missing)
}

/// A temporary `policy-rc.d` answering 101 ("action forbidden"), removed when dropped; does
/// nothing when the machine already has one.
struct NoServiceStarts(bool);

impl NoServiceStarts {
    fn install() -> NoServiceStarts {
        use std::os::unix::fs::PermissionsExt;
        if std::path::Path::new(POLICY_RC_D).exists() {
            return NoServiceStarts(false);
        }
        let written = std::fs::write(POLICY_RC_D, "#!/bin/sh\n# written by cargo xtask setup while installing packages\nexit 101\n")
            .and_then(|()| std::fs::set_permissions(POLICY_RC_D, std::fs::Permissions::from_mode(0o755)))
            .is_ok();
        NoServiceStarts(written)
    }
}

impl Drop for NoServiceStarts {
    fn drop(&mut self) {
        if self.0 {
            let _ = std::fs::remove_file(POLICY_RC_D);
        }
    }
}

fn dpkg_installed(package: &str) -> bool {
    output_of(Command::new("dpkg-query").args(["-W", "-f=${Status}", package])).is_some_and(|status| status.contains("install ok installed"))
}

/// The version of `package` in Cargo.lock.
pub fn locked_version(package: &str) -> Result<String, String> {
    let lock = std::fs::read_to_string(root().join("Cargo.lock")).map_err(|error| format!("reading Cargo.lock: {error}"))?;
    let mut lines = lock.lines();
    while let Some(line) = lines.next() {
        if line.trim() == format!("name = \"{package}\"")
            && let Some(version) = lines.next().and_then(|next| next.trim().strip_prefix("version = \""))
        {
            return Ok(version.trim_end_matches('"').to_owned());
        }
    }
    Err(format!("{package} is not in Cargo.lock"))
}
