//! The Ethereum tools quire runs (anvil, cast), installed from npm into a project-local
//! folder on first use so that a fresh machine needs only Node/npm.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};

/// Foundry version the npm packages are pinned to.
pub const FOUNDRY_VERSION: &str = "1.7.1";

/// Default install folder, relative to the working directory.
pub const DEFAULT_TOOLS_DIR: &str = ".quire/tools";

/// Path of an installed tool's binary inside `dir`, if present. Prefers the platform
/// package's real binary over the Node wrapper so that signals reach the tool itself.
pub fn find(dir: &Path, tool: &str) -> Option<PathBuf> {
    let modules = dir.join("node_modules");
    let platform = modules.join(format!("@foundry-rs/{tool}-linux-amd64/bin/{tool}"));
    if platform.is_file() {
        return Some(platform);
    }
    let wrapper = modules.join(".bin").join(tool);
    wrapper.exists().then_some(wrapper)
}

/// Returns the paths of `tools`, running `npm install` into `dir` for any that are missing.
pub fn ensure(dir: &Path, tools: &[&str]) -> anyhow::Result<Vec<PathBuf>> {
    let missing: Vec<&str> = tools
        .iter()
        .copied()
        .filter(|t| find(dir, t).is_none())
        .collect();
    if !missing.is_empty() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let packages: Vec<String> = missing
            .iter()
            .map(|t| format!("@foundry-rs/{t}@{FOUNDRY_VERSION}"))
            .collect();
        eprintln!(
            "installing {} into {} (npm)...",
            packages.join(" "),
            dir.display()
        );
        let status = Command::new("npm")
            .args([
                "install",
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
                "--prefix",
            ])
            .arg(dir)
            .args(&packages)
            .status()
            .context("running npm (is Node.js/npm installed?)")?;
        if !status.success() {
            bail!("npm install of {} failed with {status}", packages.join(" "));
        }
    }
    tools
        .iter()
        .map(|t| {
            find(dir, t)
                .with_context(|| format!("{t} not found in {} after npm install", dir.display()))
        })
        .collect()
}
