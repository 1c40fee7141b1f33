//! Wiring L1 settlement into the node: where the Rollup is (configured, remembered, or
//! deployed on a devnet), the L1 sender's task, and the view the RPC reads.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use alloy::primitives::Address;
use alloy::providers::ProviderBuilder;
use alloy::signers::local::PrivateKeySigner;
use anyhow::Context;
use quire_coordinator::Coordinator;
use quire_primitives::ChainReader;
use quire_sequencer::Sequencer;
use quire_settlement::l1_sender::SettlementStatus;
use quire_settlement::store::settlement_db_path;
use quire_settlement::{L1Sender, SenderConfig, SettlementStore};
use tokio::task::JoinHandle;

use crate::config::NodeConfig;

/// The environment variable that holds the operator key (overrides the config file).
pub const OPERATOR_KEY_ENV: &str = "QUIRE_L1_OPERATOR_KEY";

/// A running L1 sender.
pub struct Settlement {
    /// The Rollup it settles on.
    pub rollup: Address,
    /// What the RPC serves.
    pub status: Arc<RwLock<SettlementStatus>>,
    task: JoinHandle<()>,
}

/// Settlement ready to start: the Rollup is known (deployed if it had to be), the sender
/// built but not yet sending, so that other deployments from the operator's account (the
/// Bridge) can go first without racing the sender's nonces.
pub struct PreparedSettlement {
    /// The Rollup it settles on.
    pub rollup: Address,
    status: Arc<RwLock<SettlementStatus>>,
    sender: L1Sender,
}

impl PreparedSettlement {
    /// Starts sending; `deposits` (the deposit watcher's) serves commits that must hash
    /// forward past deposits the Bridge has forgotten.
    pub fn spawn(self, deposits: Option<Arc<dyn quire_sequencer::DepositQueue>>) -> Settlement {
        let sender = match deposits {
            Some(d) => self.sender.with_deposits(d),
            None => self.sender,
        };
        let task = tokio::spawn(async move {
            // The KZG setup takes seconds of CPU to load: load it now, on a blocking
            // thread, rather than on the first window's commit under load.
            let _ = tokio::task::spawn_blocking(quire_settlement::load_kzg_settings).await;
            sender.run().await;
        });
        tracing::info!(rollup = %self.rollup, "settling on L1");
        Settlement {
            rollup: self.rollup,
            status: self.status,
            task,
        }
    }
}

impl Settlement {
    /// Stops the sender (its records are durable; a restart resumes).
    pub fn stop(self) {
        self.task.abort();
    }
}

/// [`quire_rpc::L1View`] over the sender's status.
pub struct StatusView(pub Arc<RwLock<SettlementStatus>>);

impl quire_rpc::L1View for StatusView {
    fn window_of(&self, n: u64) -> Option<quire_rpc::L1Window> {
        let w = self.0.read().ok()?.window_of(n)?;
        Some(quire_rpc::L1Window {
            start: w.start,
            end: w.end,
            id: w.l1_window,
            committed: w.committed,
            finalized: w.finalized,
        })
    }
    fn committed_batch(&self) -> u64 {
        self.0.read().map_or(0, |s| s.committed_batch())
    }
    fn finalized_batch(&self) -> u64 {
        self.0.read().map_or(0, |s| s.finalized_batch())
    }
}

pub(crate) fn operator_key(config: &NodeConfig) -> anyhow::Result<Option<PrivateKeySigner>> {
    let key = std::env::var(OPERATOR_KEY_ENV)
        .ok()
        .or_else(|| config.l1.operator_key.clone());
    key.map(|k| {
        k.trim().parse::<PrivateKeySigner>().with_context(|| {
            format!(
                "the L1 operator key ({OPERATOR_KEY_ENV} or l1.operator_key) is not a private key"
            )
        })
    })
    .transpose()
}

/// Prepares settlement when the config names an L1 and an operator key; `None` otherwise.
pub async fn prepare(
    config: &NodeConfig,
    sequencer: &Arc<Sequencer>,
    coordinator: &Arc<Coordinator>,
) -> anyhow::Result<Option<PreparedSettlement>> {
    let (Some(url), Some(operator)) = (config.l1.rpc_url.clone(), operator_key(config)?) else {
        return Ok(None);
    };
    anyhow::ensure!(
        coordinator.aggregates(),
        "L1 settlement needs aggregation (aggregation.enabled): the L1 unit is an aggregation window"
    );
    let store = Arc::new(
        SettlementStore::open(&settlement_db_path(&config.data_dir))
            .context("opening the settlement store")?,
    );
    let rollup = match (config.l1.rollup, store.rollup()?) {
        (Some(configured), Some(remembered)) if configured != remembered => anyhow::bail!(
            "l1.rollup is {configured}, but this data directory settled on {remembered}"
        ),
        (Some(a), _) | (None, Some(a)) => a,
        (None, None) if config.l1.deploy => {
            let a = deploy(&url, &operator, sequencer, config.l1.deposit_deadline).await?;
            store.set_rollup(a)?;
            a
        }
        (None, None) => anyhow::bail!("no l1.rollup configured (or l1.deploy to deploy one)"),
    };
    store.set_rollup(rollup)?;
    let status = Arc::new(RwLock::new(SettlementStatus::default()));
    let sender = L1Sender::new(
        SenderConfig {
            l1_rpc_url: url,
            l1_chain_id: config.l1.chain_id,
            rollup,
            operator,
            chain_id: config.genesis.chain_id,
            confirmations: config.l1.confirmations.max(1),
            stuck_blocks: config.l1.stuck_blocks.max(1),
            data_mode: config.l1.data_mode,
            poll: Duration::from_millis(config.l1.poll_ms.unwrap_or(2_000)),
        },
        store,
        sequencer.store().clone() as Arc<dyn ChainReader>,
        coordinator.clone(),
        status.clone(),
    )?;
    Ok(Some(PreparedSettlement {
        rollup,
        status,
        sender,
    }))
}

/// Deploys the Verifier and a Rollup for this chain's genesis, from the operator's account
/// (which stays the Rollup's admin and operator; the deposit watcher's start names the
/// Bridge in it).
async fn deploy(
    url: &str,
    operator: &PrivateKeySigner,
    sequencer: &Arc<Sequencer>,
    deposit_deadline: u64,
) -> anyhow::Result<Address> {
    let provider = ProviderBuilder::new()
        .wallet(alloy::network::EthereumWallet::from(operator.clone()))
        .connect_http(url.parse()?);
    let genesis = sequencer
        .batch(0)?
        .context("the chain has no genesis batch")?;
    let leaves = sequencer.store().leaves_at(0)?.len() as u64;
    let verifier = quire_contracts::verifier::deploy_verifier(&provider)
        .await
        .context("deploying the Verifier")?;
    // The config refuses a chain id of 2^32 or more: the final proof carries it in 32 bits.
    let l2_chain_id = u32::try_from(sequencer.chain_id())
        .context("the L2 chain id does not fit the Rollup's 32 bits")?;
    let rollup = quire_contracts::rollup::deploy_rollup(
        &provider,
        verifier,
        l2_chain_id,
        operator.address(),
        genesis.state_root,
        leaves,
        deposit_deadline,
    )
    .await
    .context("deploying the Rollup")?;
    tracing::info!(%verifier, %rollup, "deployed the Verifier and the Rollup on L1");
    Ok(rollup)
}
