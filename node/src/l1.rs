//! Following the L1 head. This is the L1 connection's health signal today; deposits and
//! batch posting build on it in the L1 issue.

use std::time::Duration;

use alloy::providers::{Provider, ProviderBuilder};

/// Polls the L1 head forever, exporting it as `quire_l1_head_block` and logging changes
/// in reachability.
pub async fn follow_head(url: String, every: Duration) {
    let provider = match url.parse() {
        Ok(u) => ProviderBuilder::new().connect_http(u),
        Err(e) => {
            tracing::error!(%url, error = %e, "invalid L1 RPC URL; not following L1");
            return;
        }
    };
    let mut reachable = None;
    loop {
        match provider.get_block_number().await {
            Ok(n) => {
                metrics::gauge!("quire_l1_head_block").set(n as f64);
                if reachable != Some(true) {
                    let chain = provider.get_chain_id().await.unwrap_or_default();
                    tracing::info!(%url, l1_chain_id = chain, head = n, "L1 reachable");
                }
                reachable = Some(true);
            }
            Err(e) => {
                if reachable != Some(false) {
                    tracing::warn!(%url, error = %e, "L1 unreachable");
                }
                reachable = Some(false);
            }
        }
        metrics::gauge!("quire_l1_reachable").set(if reachable == Some(true) { 1.0 } else { 0.0 });
        tokio::time::sleep(every).await;
    }
}
