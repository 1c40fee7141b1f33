//! Wiring the L1 deposit watcher into the node: which Bridge it follows (configured,
//! remembered in its store, or deployed for the Rollup on a devnet) and its task.

use std::sync::Arc;
use std::time::Duration;

use alloy::primitives::Address;
use alloy::providers::{Provider, ProviderBuilder};
use anyhow::Context;
use quire_deposits::{deposits_db_path, DepositStore, DepositWatcher, WatcherConfig};
use tokio::task::JoinHandle;

use crate::config::NodeConfig;
use crate::settle::operator_key;

/// Most L1 blocks one `eth_getLogs` of the watcher covers (public RPCs cap ranges near this).
const MAX_LOG_RANGE: u64 = 2_000;

/// The watcher's store as the sequencer's [`quire_sequencer::DepositQueue`]: it records
/// only deposits at the confirmation depth, so what it holds is what L2 may credit.
pub struct ConfirmedQueue(pub Arc<DepositStore>);

impl quire_sequencer::DepositQueue for ConfirmedQueue {
    fn confirmed(&self) -> Result<u64, String> {
        self.0.next_index().map_err(|e| e.to_string())
    }

    fn deposits_from(
        &self,
        from: u64,
        max: usize,
    ) -> Result<Vec<quire_primitives::Deposit>, String> {
        let seen = self.0.deposits_from(from, max).map_err(|e| e.to_string())?;
        Ok(seen.into_iter().map(|s| s.deposit).collect())
    }
}

/// A running deposit watcher.
pub struct Deposits {
    /// The Bridge it follows.
    pub bridge: Address,
    /// What it has recorded (the RPC reads it).
    pub store: Arc<DepositStore>,
    task: JoinHandle<()>,
}

impl Deposits {
    /// Stops the watcher (its records are durable; a restart resumes from its cursor).
    pub fn stop(self) {
        self.task.abort();
    }
}

/// Starts the watcher when the config names an L1 and a Bridge is configured, remembered,
/// or deployable (`l1.deploy` and the node settles on `rollup`); `None` otherwise.
pub async fn start(
    config: &NodeConfig,
    rollup: Option<Address>,
) -> anyhow::Result<Option<Deposits>> {
    let Some(url) = config.l1.rpc_url.clone() else {
        return Ok(None);
    };
    let store = Arc::new(
        DepositStore::open(&deposits_db_path(&config.data_dir))
            .context("opening the deposit store")?,
    );
    let (bridge, from_block) = match (config.l1.bridge, store.binding()?) {
        (Some(configured), _) => (configured, config.l1.bridge_from_block),
        (None, Some(remembered)) => remembered,
        (None, None) => match rollup {
            Some(rollup) if config.l1.deploy => deploy(config, &url, rollup).await?,
            _ => {
                tracing::info!("no l1.bridge configured: not following deposits");
                return Ok(None);
            }
        },
    };
    let watcher = DepositWatcher::new(
        WatcherConfig {
            l1_rpc_url: url,
            bridge,
            from_block,
            l1_chain_id: config.l1.chain_id,
            confirmations: config.l1.deposit_confirmations,
            poll: Duration::from_millis(config.l1.poll_ms.unwrap_or(2_000)),
            max_range: MAX_LOG_RANGE,
        },
        store.clone(),
    )
    .context("starting the deposit watcher")?;
    let task = tokio::spawn(async move {
        let e = watcher.run().await;
        tracing::error!(error = %e, "the deposit watcher stopped; deposits are no longer followed");
    });
    Ok(Some(Deposits {
        bridge,
        store,
        task,
    }))
}

/// Deploys a Bridge for `rollup` from the operator's account (the Rollup's admin, which
/// then names it in the Rollup); returns it with the L1 block to follow it from (the head
/// before deployment, so that no deposit can precede it).
async fn deploy(config: &NodeConfig, url: &str, rollup: Address) -> anyhow::Result<(Address, u64)> {
    let operator = operator_key(config)?.context("deploying a Bridge needs the operator key")?;
    let provider = ProviderBuilder::new()
        .wallet(alloy::network::EthereumWallet::from(operator))
        .connect_http(url.parse()?);
    let from_block = provider
        .get_block_number()
        .await
        .context("reading the L1 head")?;
    let bridge = quire_contracts::bridge::deploy_bridge(&provider, rollup)
        .await
        .context("deploying the Bridge")?;
    quire_contracts::rollup::set_bridge(&provider, rollup, bridge)
        .await
        .context("naming the Bridge in the Rollup")?;
    tracing::info!(%bridge, %rollup, "deployed the Bridge on L1 and named it in the Rollup");
    Ok((bridge, from_block))
}
