//! One JSON-RPC call over HTTP for the bench binaries (they measure the node through the
//! interface wallets use, not through its Rust API).

use anyhow::bail;
use serde_json::{json, Value};

/// Calls `method` and returns its `result`, or the node's error.
pub async fn call(
    client: &reqwest::Client,
    url: &str,
    method: &str,
    params: Value,
) -> anyhow::Result<Value> {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let resp: Value = client.post(url).json(&body).send().await?.json().await?;
    if let Some(err) = resp.get("error") {
        bail!("{method}: {err}");
    }
    Ok(resp["result"].clone())
}
