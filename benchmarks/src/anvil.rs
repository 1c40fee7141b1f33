//! A throwaway anvil L1 for the bench binaries (the tests have their own in `tests/`, which
//! the benchmarks crate cannot depend on): started on a free port, killed on drop.

use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::Context;

/// A running anvil with the Prague hardfork (blob transactions).
pub struct Anvil {
    child: std::process::Child,
    /// Its JSON-RPC address.
    pub url: String,
}

impl Anvil {
    /// Starts anvil from `tools` (npm-installed on first use) and waits until it answers.
    pub async fn start(tools: &Path) -> anyhow::Result<Self> {
        let bin = quire_node::tools::ensure(tools, &["anvil"])?.remove(0);
        let port = std::net::TcpListener::bind("127.0.0.1:0")?
            .local_addr()?
            .port();
        let child = std::process::Command::new(&bin)
            .args([
                "--port",
                &port.to_string(),
                "--hardfork",
                "prague",
                "--silent",
            ])
            .spawn()
            .context("starting anvil")?;
        let anvil = Self {
            child,
            url: format!("http://127.0.0.1:{port}"),
        };
        let client = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        let ask =
            serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []});
        while client.post(&anvil.url).json(&ask).send().await.is_err() {
            anyhow::ensure!(Instant::now() < deadline, "anvil did not answer");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Ok(anvil)
    }
}

impl Drop for Anvil {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
