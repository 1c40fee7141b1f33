//! `quire reconstruct`: rebuild the L2 state from L1 alone and print its root.

use std::path::PathBuf;

use alloy_primitives::Address;
use anyhow::Context;

use crate::config::NodeConfig;

/// Options of `quire reconstruct`.
#[derive(Clone, Debug, clap::Args)]
pub struct ReconstructArgs {
    /// L1 JSON-RPC URL (anvil keeps blobs; see the README for real networks).
    #[arg(long, env = "QUIRE_L1_RPC")]
    pub l1_rpc: String,
    /// The Rollup contract.
    #[arg(long)]
    pub rollup: Address,
    /// The node config whose genesis the chain started from (the devnet's genesis when
    /// neither this nor `--devnet` is given is not assumed).
    #[arg(long, conflicts_with = "devnet")]
    pub config: Option<PathBuf>,
    /// Use the devnet's genesis.
    #[arg(long)]
    pub devnet: bool,
}

/// Rebuilds the state from L1 and prints it as JSON.
pub async fn run(args: ReconstructArgs) -> anyhow::Result<()> {
    let genesis = match (&args.config, args.devnet) {
        (Some(path), _) => NodeConfig::from_file(path)?.genesis,
        (None, true) => {
            crate::devnet::devnet_config(PathBuf::new(), "127.0.0.1:0".parse()?, None)?.genesis
        }
        (None, false) => anyhow::bail!("pass --config (the chain's genesis) or --devnet"),
    };
    let r = quire_settlement::reconstruct(&args.l1_rpc, args.rollup, &genesis)
        .await
        .context("reconstructing from L1")?;
    println!(
        "{}",
        serde_json::json!({
            "stateRoot": r.state_root,
            "lastCommittedBatch": r.last_committed_batch,
            "lastFinalizedBatch": r.last_finalized_batch,
            "finalizedStateRoot": r.finalized_root,
            "windows": r.windows,
            "accounts": r.accounts,
        })
    );
    Ok(())
}
