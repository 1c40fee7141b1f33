//! `quire node` configuration: a TOML file, overridden by environment variables and flags.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use quire_rpc::RpcConfig;
use quire_sequencer::{Genesis, MempoolConfig, ProductionConfig, SequencerConfig};
use serde::{Deserialize, Serialize};

/// Everything `quire node` reads. See the README's config reference.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct NodeConfig {
    /// Where RocksDB and other node data live.
    pub data_dir: PathBuf,
    /// Chain id, base fee, gas limit, prefunded accounts.
    pub genesis: Genesis,
    /// Mempool limits.
    pub mempool: MempoolConfig,
    /// Block and batch production.
    pub production: ProductionConfig,
    /// JSON-RPC server.
    pub rpc: RpcConfig,
    /// Prometheus exporter.
    pub metrics: MetricsConfig,
    /// L1 connection.
    pub l1: L1Config,
    /// Batch proving.
    pub proving: ProvingConfig,
    /// Recursive aggregation of batch proofs into final proofs.
    pub aggregation: AggregationSettings,
}

/// Aggregation in the node: windows of proven batches are folded into one final proof
/// each, by in-process workers and by `quire prover --aggregate` processes.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AggregationSettings {
    /// Off: batches are proven but never aggregated.
    pub enabled: bool,
    /// A window closes once it has this many sealed batches...
    pub window_batches: u64,
    /// ...or once its first batch has been sealed this many seconds.
    pub window_secs: u64,
}

impl Default for AggregationSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            // About what one blob holds: ≈ 35 full batches (≈ 3.6 KB each) fill one.
            window_batches: 32,
            window_secs: 300,
        }
    }
}

/// Batch proving in the node.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProvingConfig {
    /// In-process prover threads; none sizes it to the machine (half its cores, at least
    /// one: the sequencer needs the rest), 0 turns in-process proving off.
    pub workers: Option<usize>,
    /// Seconds a worker may hold a job before it is handed to another.
    pub lease_secs: u64,
    /// Circuit cache directory (default `<data_dir>/circuits`).
    pub circuits_dir: Option<PathBuf>,
    /// Token remote provers (`quire prover`) present; without one the `prover_*` RPC
    /// methods are off.
    pub token: Option<String>,
}

impl Default for ProvingConfig {
    fn default() -> Self {
        Self {
            workers: None,
            lease_secs: 600,
            circuits_dir: None,
            token: None,
        }
    }
}

impl ProvingConfig {
    /// In-process workers to start.
    pub fn worker_count(&self) -> usize {
        self.workers.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1))
        })
    }
}

impl Default for NodeConfig {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("./quire-data"),
            genesis: Genesis::default(),
            mempool: MempoolConfig::default(),
            production: ProductionConfig::default(),
            rpc: RpcConfig::default(),
            metrics: MetricsConfig::default(),
            l1: L1Config::default(),
            proving: ProvingConfig::default(),
            aggregation: AggregationSettings::default(),
        }
    }
}

/// Prometheus exporter settings.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsConfig {
    /// Address of the `/metrics` endpoint; none disables it.
    pub addr: Option<SocketAddr>,
}

impl Default for MetricsConfig {
    fn default() -> Self {
        Self {
            addr: Some("127.0.0.1:9547".parse().expect("valid address")),
        }
    }
}

/// L1 settings: the head follower, and settlement (commit each aggregation window's data,
/// then its final proof, to the Rollup) when an operator key is set.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct L1Config {
    /// L1 JSON-RPC endpoint; none runs the node without L1.
    pub rpc_url: Option<String>,
    /// How often to poll the L1 head, in milliseconds.
    pub poll_ms: Option<u64>,
    /// The L1 chain id; the sender refuses an L1 that reports another.
    pub chain_id: Option<u64>,
    /// The Rollup contract. Without one (and with `deploy`), the node deploys the Verifier
    /// and a Rollup at first start and remembers them in its data directory.
    pub rollup: Option<alloy_primitives::Address>,
    /// Deploy the contracts when no Rollup is configured or remembered (the devnet does).
    pub deploy: bool,
    /// The operator's private key (hex); settles on L1 when set. Prefer the environment
    /// variable `QUIRE_L1_OPERATOR_KEY` to a file.
    pub operator_key: Option<String>,
    /// L1 blocks a commit or proof transaction must be deep before it counts (and the
    /// `safe`/`finalized` tags move); reorgs shallower than this are followed.
    pub confirmations: u64,
    /// L1 blocks without inclusion before a transaction is replaced with bumped fees.
    pub stuck_blocks: u64,
    /// `blobs` (EIP-4844) or `calldata`.
    pub data_mode: quire_settlement::l1_sender::DataMode,
    /// The Bridge whose deposit queue the node follows. Without one (and with `deploy`),
    /// the node deploys a Bridge for its Rollup at first start and remembers it.
    pub bridge: Option<alloy_primitives::Address>,
    /// The L1 block the Bridge was deployed in: where following its queue starts.
    pub bridge_from_block: u64,
    /// Confirmations an L1 block needs before its deposits count (1: the head itself).
    /// Deposits a reorg deeper than this removes are forgotten again, so keep it above the
    /// deepest reorg the L1 sees (Ethereum: 64 reaches finality; 12 is common).
    pub deposit_confirmations: u64,
    /// Whether the sequencer credits the confirmed deposits (default true). Off is a test
    /// switch: a sequencer that ignores deposits, which forced inclusion exists against.
    pub credit_deposits: bool,
    /// L1 blocks a deposit may wait uncredited: a Rollup the node deploys refuses commits
    /// that leave one waiting longer (forced inclusion). Fixed at deployment.
    pub deposit_deadline: u64,
}

impl Default for L1Config {
    fn default() -> Self {
        Self {
            rpc_url: None,
            poll_ms: None,
            chain_id: None,
            rollup: None,
            deploy: false,
            operator_key: None,
            confirmations: 1,
            stuck_blocks: 3,
            data_mode: quire_settlement::l1_sender::DataMode::Blobs,
            bridge: None,
            bridge_from_block: 0,
            deposit_confirmations: 12,
            credit_deposits: true,
            deposit_deadline: 7_200,
        }
    }
}

impl NodeConfig {
    /// Reads a TOML file.
    pub fn from_file(path: &Path) -> anyhow::Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("reading config {}", path.display()))?;
        toml::from_str(&text).with_context(|| format!("parsing config {}", path.display()))
    }

    /// The sequencer's part.
    pub fn sequencer(&self) -> SequencerConfig {
        SequencerConfig {
            genesis: self.genesis.clone(),
            mempool: self.mempool.clone(),
            production: self.production.clone(),
        }
    }

    /// Checks relations between settings that types alone cannot express.
    pub fn validate(&self) -> anyhow::Result<()> {
        let p = &self.production;
        anyhow::ensure!(
            p.max_block_txs > 0,
            "production.max_block_txs must be positive"
        );
        anyhow::ensure!(
            p.batch_max_txs > 0,
            "production.batch_max_txs must be positive"
        );
        anyhow::ensure!(
            (2..=quire_prover::shapes::MAX_SLOTS as u64).contains(&p.batch_max_slots),
            "production.batch_max_slots must be between 2 and {} (the largest batch circuit)",
            quire_prover::shapes::MAX_SLOTS
        );
        anyhow::ensure!(
            p.batch_max_bytes as usize > self.mempool.max_tx_bytes + 64,
            "production.batch_max_bytes must exceed mempool.max_tx_bytes"
        );
        // The batch circuit refuses a zero base fee (with one, a batch proof could spend from
        // an account created in the same slot pair with nothing in it; see prover/README.md),
        // so such a chain could never be proven; every transfer pays something.
        anyhow::ensure!(
            self.genesis.base_fee > 0,
            "genesis.base_fee must be positive"
        );
        // The final proof carries the chain id in 32 bits (packed with the transfer count),
        // and L1 checks it against the Rollup's: a larger one could never settle.
        anyhow::ensure!(
            (1..=u64::from(u32::MAX)).contains(&self.genesis.chain_id),
            "genesis.chain_id must be between 1 and 2^32 - 1"
        );
        anyhow::ensure!(
            self.genesis.block_gas_limit >= 21_000,
            "genesis.block_gas_limit must fit one transfer"
        );
        anyhow::ensure!(self.mempool.max_txs > 0, "mempool.max_txs must be positive");
        if let Some(t) = &self.proving.token {
            anyhow::ensure!(
                t.len() >= 16,
                "proving.token must be at least 16 characters"
            );
        }
        anyhow::ensure!(
            self.proving.lease_secs > 0,
            "proving.lease_secs must be positive"
        );
        anyhow::ensure!(
            self.l1.deposit_confirmations > 0,
            "l1.deposit_confirmations must be at least 1 (the head itself)"
        );
        anyhow::ensure!(
            self.l1.deposit_deadline > self.l1.deposit_confirmations,
            "l1.deposit_deadline must exceed l1.deposit_confirmations"
        );
        // Fees paid to the withdrawal address would leave circulation without a withdrawal.
        anyhow::ensure!(
            p.fee_recipient != quire_primitives::WITHDRAWAL_ADDRESS,
            "production.fee_recipient must not be the withdrawal address"
        );
        anyhow::ensure!(
            (1..=1 << 20).contains(&self.aggregation.window_batches),
            "aggregation.window_batches must be between 1 and 2^20"
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_full_file() {
        let cfg: NodeConfig = toml::from_str(
            r#"
            data_dir = "/tmp/q"
            [genesis]
            chain_id = 7
            base_fee = 10
            block_gas_limit = 30000000
            alloc = [{ address = "0x00000000000000000000000000000000000000aa", balance = "10000000000000000000000" }]
            [production]
            block_time_ms = 100
            fee_recipient = "0x00000000000000000000000000000000000000bb"
            [rpc]
            addr = "0.0.0.0:9000"
            [metrics]
            addr = "127.0.0.1:9100"
            [l1]
            rpc_url = "http://127.0.0.1:8545"
            "#,
        )
        .unwrap();
        assert_eq!(cfg.genesis.chain_id, 7);
        assert_eq!(cfg.genesis.alloc[0].balance, 10u128.pow(22));
        assert_eq!(cfg.production.block_time_ms, 100);
        assert_eq!(
            cfg.mempool.max_nonce_gap,
            MempoolConfig::default().max_nonce_gap
        );
        cfg.validate().unwrap();
    }

    #[test]
    fn rejects_settings_the_batch_circuit_cannot_prove() {
        let mut cfg = NodeConfig::default();
        cfg.validate().unwrap();
        cfg.genesis.base_fee = 0;
        assert!(cfg.validate().is_err());
        let mut cfg = NodeConfig::default();
        cfg.production.batch_max_slots = quire_prover::shapes::MAX_SLOTS as u64 + 1;
        assert!(cfg.validate().is_err());
        cfg.production.batch_max_slots = 1;
        assert!(cfg.validate().is_err());
    }

    #[test]
    fn rejects_unknown_keys() {
        assert!(toml::from_str::<NodeConfig>("[production]\nblock_tme_ms = 1").is_err());
    }
}
