//! `quire`: run a node, or the whole local stack.

use std::net::SocketAddr;
use std::path::PathBuf;

use alloy_primitives::Address;
use anyhow::Context;
use clap::{Parser, Subcommand};
use quire_node::config::NodeConfig;
use quire_node::devnet::{self, DevnetArgs};
use quire_node::{prove, reconstruct, remote_prover, signals, verify, wallet, NodeHandle};
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(name = "quire", version, about = "quire: a ZK rollup for ETH payments")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a node: sequencer, JSON-RPC, metrics, L1 follower.
    Node(NodeArgs),
    /// Run the whole local stack: anvil (L1) and a node with prefunded accounts.
    Devnet(DevnetArgs),
    /// Prove a sealed batch from a node's data directory (beside a running node or not),
    /// verify it against the stored batch, and write the proof.
    ProveBatch(prove::ProveBatchArgs),
    /// Verify a batch proof file and check it against the batch the node stored.
    VerifyBatch(prove::VerifyBatchArgs),
    /// Run a prover that leases batch jobs from a node over RPC (this or another machine).
    Prover(remote_prover::ProverArgs),
    /// Light-client check of a final (aggregated) proof, from a file or a node's RPC,
    /// against a pinned verifier key.
    Verify(verify::VerifyArgs),
    /// Write the final proof's verifier key (what a light client or L1 pins).
    VerifierKey(verify::VerifierKeyArgs),
    /// Write the Solidity Verifier generated from the final circuit's verifier key.
    VerifierContract(verify::VerifierContractArgs),
    /// Rebuild the L2 state from L1 alone (the Rollup's events and the blob data) and print
    /// the state root and the last finalized batch.
    Reconstruct(reconstruct::ReconstructArgs),
    /// Bridge ETH: deposit on L1 to L2, withdraw from L2, claim a finalized withdrawal on L1.
    Wallet(wallet::WalletArgs),
}

/// Flags override environment variables, which override the config file.
#[derive(clap::Args)]
struct NodeArgs {
    /// TOML config file.
    #[arg(long, env = "QUIRE_CONFIG")]
    config: Option<PathBuf>,
    /// Data directory.
    #[arg(long, env = "QUIRE_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Chain id (genesis; fixed once the data directory exists).
    #[arg(long, env = "QUIRE_CHAIN_ID")]
    chain_id: Option<u64>,
    /// JSON-RPC listen address (HTTP and WebSocket).
    #[arg(long, env = "QUIRE_HTTP_ADDR")]
    http_addr: Option<SocketAddr>,
    /// Prometheus listen address.
    #[arg(long, env = "QUIRE_METRICS_ADDR")]
    metrics_addr: Option<SocketAddr>,
    /// Disable the Prometheus endpoint.
    #[arg(long)]
    no_metrics: bool,
    /// L1 JSON-RPC URL.
    #[arg(long, env = "QUIRE_L1_RPC")]
    l1_rpc: Option<String>,
    /// The Rollup contract on L1 (settlement also needs QUIRE_L1_OPERATOR_KEY).
    #[arg(long, env = "QUIRE_L1_ROLLUP")]
    l1_rollup: Option<Address>,
    /// Milliseconds between blocks.
    #[arg(long, env = "QUIRE_BLOCK_TIME_MS")]
    block_time_ms: Option<u64>,
    /// Receiver of transaction fees.
    #[arg(long, env = "QUIRE_FEE_RECIPIENT")]
    fee_recipient: Option<Address>,
    /// In-process prover threads (0: none).
    #[arg(long, env = "QUIRE_PROVER_WORKERS")]
    prover_workers: Option<usize>,
    /// Token remote provers must present (enables the prover_* RPC methods).
    #[arg(long, env = "QUIRE_PROVER_TOKEN")]
    prover_token: Option<String>,
}

impl NodeArgs {
    fn into_config(self) -> anyhow::Result<NodeConfig> {
        let mut cfg = match &self.config {
            Some(path) => NodeConfig::from_file(path)?,
            None => NodeConfig::default(),
        };
        if let Some(v) = self.data_dir {
            cfg.data_dir = v;
        }
        if let Some(v) = self.chain_id {
            cfg.genesis.chain_id = v;
        }
        if let Some(v) = self.http_addr {
            cfg.rpc.addr = v;
        }
        if let Some(v) = self.metrics_addr {
            cfg.metrics.addr = Some(v);
        }
        if self.no_metrics {
            cfg.metrics.addr = None;
        }
        if let Some(v) = self.l1_rpc {
            cfg.l1.rpc_url = Some(v);
        }
        if let Some(v) = self.l1_rollup {
            cfg.l1.rollup = Some(v);
        }
        if let Some(v) = self.block_time_ms {
            cfg.production.block_time_ms = v;
        }
        if let Some(v) = self.fee_recipient {
            cfg.production.fee_recipient = v;
        }
        if let Some(v) = self.prover_workers {
            cfg.proving.workers = Some(v);
        }
        if let Some(v) = self.prover_token {
            cfg.proving.token = Some(v);
        }
        Ok(cfg)
    }
}

async fn run_node(args: NodeArgs) -> anyhow::Result<()> {
    let cfg = args.into_config()?;
    let node = NodeHandle::start(cfg).await?;
    let outcome = tokio::select! {
        r = signals::shutdown_signal() => r,
        why = node.failed() => Err(anyhow::anyhow!("node failed: {why}")),
    };
    node.shutdown().await.context("shutting down")?;
    outcome
}

fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("QUIRE_LOG").unwrap_or_else(|_| EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    // Proving is CPU-bound and needs no async runtime.
    match cli.command {
        Command::ProveBatch(args) => return prove::prove_batch(args),
        Command::VerifyBatch(args) => return prove::verify_batch(args),
        Command::VerifierKey(args) => return verify::verifier_key(args),
        Command::VerifierContract(args) => return verify::verifier_contract(args),
        _ => {}
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting tokio")?;
    runtime.block_on(async move {
        match cli.command {
            Command::Node(args) => run_node(args).await,
            Command::Devnet(args) => devnet::run(args).await,
            Command::Prover(args) => remote_prover::run(args).await,
            Command::Verify(args) => verify::verify(args).await,
            Command::Reconstruct(args) => reconstruct::run(args).await,
            Command::Wallet(args) => wallet::run(args).await,
            Command::ProveBatch(_)
            | Command::VerifyBatch(_)
            | Command::VerifierKey(_)
            | Command::VerifierContract(_) => {
                unreachable!("handled above")
            }
        }
    })
}
