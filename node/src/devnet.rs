//! `quire devnet`: the whole local stack from a fresh clone — anvil as L1, a quire node with
//! prefunded accounts — stopped cleanly on Ctrl-C.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use alloy::providers::{Provider, ProviderBuilder};
use alloy::signers::local::coins_bip39::English;
use alloy::signers::local::{MnemonicBuilder, PrivateKeySigner};
use anyhow::{bail, Context};
use quire_sequencer::GenesisAccount;

use crate::config::NodeConfig;
use crate::node::NodeHandle;
use crate::tools;

/// The well-known development mnemonic (the same as anvil's and hardhat's): its keys are
/// public, so the accounts are for local use only.
pub const DEV_MNEMONIC: &str = "test test test test test test test test test test test junk";

/// Number of prefunded accounts.
pub const DEV_ACCOUNTS: u32 = 10;

/// Balance of each: 10,000 ETH.
pub const DEV_BALANCE: u128 = 10_000 * 10u128.pow(18);

/// L2 chain id of the devnet.
pub const DEVNET_CHAIN_ID: u64 = 271_828;

/// Options of `quire devnet`.
#[derive(Clone, Debug, clap::Args)]
pub struct DevnetArgs {
    /// Folder for the devnet's chain data and installed tools.
    #[arg(long, default_value = ".quire", env = "QUIRE_DEVNET_DIR")]
    pub dir: PathBuf,
    /// Where anvil and cast are installed from npm (default: <dir>/tools).
    #[arg(long, env = "QUIRE_TOOLS_DIR")]
    pub tools_dir: Option<PathBuf>,
    /// Start from genesis instead of continuing the previous devnet chain.
    #[arg(long)]
    pub reset: bool,
    /// Port of the anvil L1 node.
    #[arg(long, default_value_t = 8545)]
    pub l1_port: u16,
    /// Address of the quire JSON-RPC server.
    #[arg(long, default_value = "127.0.0.1:8547")]
    pub http_addr: SocketAddr,
    /// Address of the Prometheus endpoint.
    #[arg(long, default_value = "127.0.0.1:9547")]
    pub metrics_addr: SocketAddr,
    /// Milliseconds between blocks.
    #[arg(long, default_value_t = 50)]
    pub block_time_ms: u64,
    /// In-process prover threads (default: half the cores, at least one; 0: none).
    #[arg(long, env = "QUIRE_PROVER_WORKERS")]
    pub prover_workers: Option<usize>,
}

/// The prefunded development keys (mnemonic indices 0..10).
pub fn dev_signers() -> anyhow::Result<Vec<PrivateKeySigner>> {
    (0..DEV_ACCOUNTS)
        .map(|i| {
            MnemonicBuilder::<English>::default()
                .phrase(DEV_MNEMONIC)
                .index(i)
                .context("mnemonic index")?
                .build()
                .context("deriving a development key")
        })
        .collect()
}

/// Node configuration of the devnet (also used by tests).
pub fn devnet_config(
    data_dir: PathBuf,
    http_addr: SocketAddr,
    metrics_addr: Option<SocketAddr>,
) -> anyhow::Result<NodeConfig> {
    let signers = dev_signers()?;
    let mut cfg = NodeConfig {
        data_dir,
        ..Default::default()
    };
    cfg.genesis.chain_id = DEVNET_CHAIN_ID;
    cfg.genesis.alloc = signers
        .iter()
        .map(|s| GenesisAccount {
            address: s.address(),
            balance: DEV_BALANCE,
        })
        .collect();
    // Fees go to mnemonic index 10, which is not prefunded, so fee income is easy to see.
    cfg.production.fee_recipient = MnemonicBuilder::<English>::default()
        .phrase(DEV_MNEMONIC)
        .index(10)?
        .build()?
        .address();
    cfg.rpc.addr = http_addr;
    cfg.metrics.addr = metrics_addr;
    // A devnet sees few batches: aggregate whatever is sealed within half a minute.
    cfg.aggregation.window_secs = 30;
    Ok(cfg)
}

struct Anvil(Child);

impl Drop for Anvil {
    fn drop(&mut self) {
        // SIGTERM first so anvil exits cleanly; then make sure it is gone.
        let _ = Command::new("kill").arg(self.0.id().to_string()).status();
        let deadline = Instant::now() + Duration::from_secs(3);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.0.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn start_anvil(
    binary: &std::path::Path,
    port: u16,
    log: PathBuf,
    state: PathBuf,
) -> anyhow::Result<(Anvil, String)> {
    let url = format!("http://127.0.0.1:{port}");
    let provider = ProviderBuilder::new().connect_http(url.parse()?);
    if provider.get_chain_id().await.is_ok() {
        bail!("something already answers on {url}; stop it or pass --l1-port");
    }
    let log_file =
        std::fs::File::create(&log).with_context(|| format!("creating {}", log.display()))?;
    let child = Command::new(binary)
        .args([
            "--port",
            &port.to_string(),
            "--hardfork",
            "prague",
            "--host",
            "127.0.0.1",
            // L1 survives devnet restarts (the node's Rollup stays deployed).
            "--state",
        ])
        .arg(&state)
        .stdout(Stdio::from(log_file.try_clone()?))
        .stderr(Stdio::from(log_file))
        .spawn()
        .with_context(|| format!("starting {}", binary.display()))?;
    let mut anvil = Anvil(child);
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if provider.get_chain_id().await.is_ok() {
            return Ok((anvil, url));
        }
        if let Ok(Some(status)) = anvil.0.try_wait() {
            bail!("anvil exited with {status}; see {}", log.display());
        }
        if Instant::now() > deadline {
            bail!(
                "anvil did not answer on {url} within 30 s; see {}",
                log.display()
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Runs the devnet until Ctrl-C or SIGTERM.
pub async fn run(args: DevnetArgs) -> anyhow::Result<()> {
    let tools_dir = args
        .tools_dir
        .clone()
        .unwrap_or_else(|| args.dir.join("tools"));
    let paths = tools::ensure(&tools_dir, &["anvil", "cast"])?;
    let data_dir = args.dir.join("devnet");
    if args.reset && data_dir.exists() {
        std::fs::remove_dir_all(&data_dir)
            .with_context(|| format!("removing {}", data_dir.display()))?;
    }
    std::fs::create_dir_all(&data_dir)?;
    let (anvil, l1_url) = start_anvil(
        &paths[0],
        args.l1_port,
        args.dir.join("anvil.log"),
        data_dir.join("anvil-state.json"),
    )
    .await?;
    let mut cfg = devnet_config(
        data_dir.join("node"),
        args.http_addr,
        Some(args.metrics_addr),
    )?;
    settle_on(&mut cfg, &l1_url)?;
    cfg.production.block_time_ms = args.block_time_ms;
    if args.prover_workers.is_some() {
        cfg.proving.workers = args.prover_workers;
    }
    let node = NodeHandle::start(cfg).await?;
    print_banner(
        &node,
        &l1_url,
        &paths[1],
        args.metrics_addr,
        &data_dir.join("node"),
    )?;
    let outcome = tokio::select! {
        r = crate::signals::shutdown_signal() => r,
        why = node.failed() => Err(anyhow::anyhow!("node failed: {why}")),
    };
    eprintln!("stopping devnet...");
    node.shutdown().await?;
    drop(anvil);
    outcome
}

/// Settles the devnet on anvil: the first dev account (which anvil funds on L1 from the
/// same mnemonic) deploys the Verifier, the Rollup and the Bridge at first start and
/// operates them; one confirmation (anvil mines only when a transaction arrives, and does
/// not reorg unless asked), anvil's chain id.
pub fn settle_on(cfg: &mut NodeConfig, l1_url: &str) -> anyhow::Result<()> {
    cfg.l1.rpc_url = Some(l1_url.to_string());
    cfg.l1.chain_id = Some(31_337);
    cfg.l1.deploy = true;
    cfg.l1.poll_ms = Some(500);
    cfg.l1.deposit_confirmations = 1;
    cfg.l1.operator_key = Some(format!(
        "0x{}",
        alloy::hex::encode(dev_signers()?[0].to_bytes())
    ));
    Ok(())
}

fn print_banner(
    node: &NodeHandle,
    l1_url: &str,
    cast: &std::path::Path,
    metrics: SocketAddr,
    data_dir: &std::path::Path,
) -> anyhow::Result<()> {
    let signers = dev_signers()?;
    let url = node.http_url();
    let mut out = String::new();
    out.push_str("\nquire devnet is running\n");
    out.push_str(&format!(
        "  L2 JSON-RPC (HTTP + WS) {url}   chain id {DEVNET_CHAIN_ID}\n"
    ));
    out.push_str(&format!(
        "  L1 (anvil)              {l1_url}   chain id 31337\n"
    ));
    if let Some(s) = &node.settlement {
        out.push_str(&format!(
            "  Rollup (settlement)     {} on L1 (contracts/solidity/Rollup.sol)\n",
            s.rollup
        ));
    }
    if let Some(d) = &node.deposits {
        out.push_str(&format!(
            "  Bridge (deposits)       {} on L1 (contracts/solidity/Bridge.sol)\n",
            d.bridge
        ));
    }
    out.push_str(&format!(
        "  metrics                 http://{metrics}/metrics\n\n"
    ));
    out.push_str("Prefunded L2 accounts (10,000 ETH each; mnemonic \"test test ... junk\", public keys: local use only):\n");
    for (i, s) in signers.iter().enumerate() {
        out.push_str(&format!(
            "  ({i}) {}  0x{}\n",
            s.address(),
            alloy::hex::encode(s.to_bytes())
        ));
    }
    let key = format!("0x{}", alloy::hex::encode(signers[0].to_bytes()));
    // Not the operator's account: the L1 sender manages its nonces.
    let depositor = format!("0x{}", alloy::hex::encode(signers[1].to_bytes()));
    let cast = cast.display();
    out.push_str(&format!(
        "\nTry it with cast:\n  {cast} balance {} --rpc-url {url}\n  {cast} send 0x000000000000000000000000000000000000dEaD --value 1ether --private-key {key} --rpc-url {url}\n  {cast} receipt <tx hash> --rpc-url {url}\n  {cast} block latest --rpc-url {url}\n  {cast} rpc quire_getBatchByNumber 0x1 --rpc-url {url}\n\nProve a sealed batch (beside the running node):\n  {quire} prove-batch 1 --data-dir {dir}\n\nCheck the newest final (aggregated) proof as a light client, once a window of batches\nis aggregated (`{cast} rpc quire_getBatchByNumber 0x1 --rpc-url {url}` says \"aggregated\"):\n  {quire} verify --rpc {url} --circuits {dir}/circuits\n\nOnce a window is settled (quire_getBatchByNumber says \"finalized\"), L1 holds its root\nand the finalized tag moves:\n  {cast} block finalized --rpc-url {url}\n  {quire} reconstruct --devnet --l1-rpc {l1_url} --rollup <Rollup above>\n\nDeposit on L1 and follow it by its L1 transaction hash (once its block is confirmed the\nsequencer credits it on L2; the status turns from \"confirmed\" to \"credited\"):\n  {cast} send <Bridge above> 'deposit(address)' {} --value 1ether --private-key {depositor} --rpc-url {l1_url}\n  {cast} rpc quire_getDepositStatus <L1 tx hash> --rpc-url {url}\n  {cast} balance {} --rpc-url {url}\n\nWithdraw on L2 (a transfer to the withdrawal address; paid on L1 to the sender once its\nwindow is finalized), then claim it on L1 with the path the node serves:\n  {cast} send {withdrawal} --value 0.5ether --private-key {depositor} --rpc-url {url}\n  {cast} rpc quire_getWithdrawalProof <L2 tx hash> --rpc-url {url}\n  {cast} send <Bridge above> 'claimWithdrawal(uint256,uint64,address,uint96,uint256,bytes32[])' <window> <index> {} <amount> <position> '[<siblings>]' --private-key {depositor} --rpc-url {l1_url}\nor, without writing calldata, with the wallet (QUIRE_WALLET_KEY={depositor}):\n  {quire} wallet --bridge <Bridge above> deposit --amount 1\n  {quire} wallet --bridge <Bridge above> withdraw --amount 0.5\n  {quire} wallet --bridge <Bridge above> claim --tx <L2 tx hash> --wait 600\n\nCtrl-C stops everything.\n",
        signers[0].address(),
        signers[1].address(),
        signers[1].address(),
        signers[1].address(),
        withdrawal = quire_primitives::WITHDRAWAL_ADDRESS,
        quire = std::env::current_exe()
            .map(|p| p.display().to_string())
            .unwrap_or_else(|_| "quire".into()),
        dir = data_dir.display(),
    ));
    println!("{out}");
    Ok(())
}
