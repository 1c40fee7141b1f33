//! `quire wallet`: the bridge for users who do not want to write calldata by hand. It
//! deposits ETH on L1 to an L2 address, withdraws from L2 (a transfer to the withdrawal
//! address), and claims a finalized withdrawal on L1 with the path the node serves — each
//! with alloy, signing with the user's key, talking to the L1 and L2 JSON-RPC endpoints.

use std::time::{Duration, Instant};

use alloy::network::{EthereumWallet, TransactionBuilder};
use alloy::primitives::utils::{format_ether, parse_ether};
use alloy::primitives::{Address, B256, U256};
use alloy::providers::{Provider, ProviderBuilder};
use alloy::rpc::types::TransactionRequest;
use alloy::signers::local::PrivateKeySigner;
use anyhow::{bail, ensure, Context};
use quire_contracts::bridge::{claim_call, Bridge};
use quire_primitives::{Withdrawal, WithdrawalPath, WITHDRAWAL_ADDRESS};
use quire_rpc::{DepositApiClient, WithdrawalApiClient, WithdrawalState};

/// Options shared by every wallet command.
#[derive(Clone, Debug, clap::Args)]
pub struct WalletArgs {
    /// The user's private key (hex); prefer the environment variable.
    #[arg(long, env = "QUIRE_WALLET_KEY", hide_env_values = true)]
    pub key: String,
    /// L1 JSON-RPC URL.
    #[arg(long, env = "QUIRE_L1_RPC", default_value = "http://127.0.0.1:8545")]
    pub l1_rpc: String,
    /// L2 (quire node) JSON-RPC URL.
    #[arg(long, env = "QUIRE_L2_RPC", default_value = "http://127.0.0.1:8547")]
    pub l2_rpc: String,
    /// The Bridge on L1 (the devnet prints it).
    #[arg(long, env = "QUIRE_BRIDGE")]
    pub bridge: Address,
    /// What to do.
    #[command(subcommand)]
    pub command: WalletCommand,
}

/// The wallet's commands.
#[derive(Clone, Debug, clap::Subcommand)]
pub enum WalletCommand {
    /// Deposit ETH on L1 to an L2 address (by default the key's own), and wait until L2
    /// credits it.
    Deposit {
        /// Amount in ETH (e.g. 1.5).
        #[arg(long)]
        amount: String,
        /// The L2 recipient (default: the key's address).
        #[arg(long)]
        to: Option<Address>,
        /// Seconds to wait for L2 to credit it (0: do not wait).
        #[arg(long, default_value_t = 120)]
        wait: u64,
    },
    /// Withdraw ETH from L2 to the key's own address on L1 (claimable once the window that
    /// holds it is finalized on L1).
    Withdraw {
        /// Amount in ETH.
        #[arg(long)]
        amount: String,
    },
    /// Claim a withdrawal on L1 once it is finalized (anyone may send the claim; the ETH
    /// goes to the withdrawal's recipient).
    Claim {
        /// The L2 transaction that withdrew.
        #[arg(long)]
        tx: B256,
        /// Seconds to wait for its window to be finalized on L1 (0: do not wait).
        #[arg(long, default_value_t = 0)]
        wait: u64,
    },
}

/// Runs a wallet command and prints what happened.
pub async fn run(args: WalletArgs) -> anyhow::Result<()> {
    let key: PrivateKeySigner = args
        .key
        .trim()
        .parse()
        .context("the wallet key is not a private key")?;
    match &args.command {
        WalletCommand::Deposit { amount, to, wait } => {
            deposit(
                &args,
                &key,
                parse_amount(amount)?,
                to.unwrap_or(key.address()),
                *wait,
            )
            .await
        }
        WalletCommand::Withdraw { amount } => withdraw(&args, &key, parse_amount(amount)?).await,
        WalletCommand::Claim { tx, wait } => claim(&args, &key, *tx, *wait).await,
    }
}

fn l2_client(url: &str) -> anyhow::Result<jsonrpsee::http_client::HttpClient> {
    jsonrpsee::http_client::HttpClientBuilder::default()
        .build(url)
        .with_context(|| format!("the L2 RPC URL {url:?}"))
}

fn parse_amount(eth: &str) -> anyhow::Result<U256> {
    let wei = parse_ether(eth).with_context(|| format!("{eth:?} is not an amount of ETH"))?;
    ensure!(!wei.is_zero(), "the amount must be positive");
    ensure!(
        wei < U256::from(1u128 << 96),
        "the amount must be below 2^96 wei"
    );
    Ok(wei)
}

async fn deposit(
    args: &WalletArgs,
    key: &PrivateKeySigner,
    amount: U256,
    to: Address,
    wait: u64,
) -> anyhow::Result<()> {
    let l1 = ProviderBuilder::new()
        .wallet(EthereumWallet::from(key.clone()))
        .connect_http(args.l1_rpc.parse()?);
    let tx = TransactionRequest::default()
        .with_to(args.bridge)
        .with_value(amount)
        .with_call(&Bridge::depositCall { l2Recipient: to });
    let receipt = l1
        .send_transaction(tx)
        .await
        .context("sending the deposit on L1")?
        .get_receipt()
        .await
        .context("waiting for the deposit on L1")?;
    ensure!(
        receipt.status(),
        "the deposit reverted on L1 (transaction {})",
        receipt.transaction_hash
    );
    println!(
        "deposited {} ETH to {to} on L1: transaction {} (block {})",
        format_ether(amount),
        receipt.transaction_hash,
        receipt.block_number.unwrap_or_default()
    );
    if wait == 0 {
        return Ok(());
    }
    let l2 = l2_client(&args.l2_rpc)?;
    let until = Instant::now() + Duration::from_secs(wait);
    loop {
        let status = l2
            .deposit_status(receipt.transaction_hash)
            .await
            .context("asking the L2 node for the deposit's status")?;
        if let Some(d) = status.deposits.first() {
            if let Some(block) = d.l2_block {
                println!("credited on L2 in block {block} (deposit {})", d.index);
                return Ok(());
            }
        }
        if Instant::now() > until {
            bail!(
                "not credited on L2 after {wait} s (status: {})",
                serde_json::to_string(&status)?
            );
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
}

async fn withdraw(args: &WalletArgs, key: &PrivateKeySigner, amount: U256) -> anyhow::Result<()> {
    let l2 = ProviderBuilder::new()
        .wallet(EthereumWallet::from(key.clone()))
        .connect_http(args.l2_rpc.parse()?);
    let tx = TransactionRequest::default()
        .with_to(WITHDRAWAL_ADDRESS)
        .with_value(amount);
    let receipt = l2
        .send_transaction(tx)
        .await
        .context("sending the withdrawal on L2")?
        .get_receipt()
        .await
        .context("waiting for the withdrawal on L2")?;
    ensure!(receipt.status(), "the withdrawal failed on L2");
    println!(
        "withdrew {} ETH on L2: transaction {} (block {}); claim it on L1 with `quire wallet claim --tx {}` once its window is finalized",
        format_ether(amount),
        receipt.transaction_hash,
        receipt.block_number.unwrap_or_default(),
        receipt.transaction_hash
    );
    Ok(())
}

async fn claim(
    args: &WalletArgs,
    key: &PrivateKeySigner,
    tx: B256,
    wait: u64,
) -> anyhow::Result<()> {
    let l2 = l2_client(&args.l2_rpc)?;
    let until = Instant::now() + Duration::from_secs(wait);
    let proof = loop {
        let proof = l2
            .withdrawal_proof(tx)
            .await
            .context("asking the L2 node for the withdrawal's proof")?
            .with_context(|| format!("the L2 node knows no included transaction {tx}"))?;
        if proof.status == WithdrawalState::Finalized {
            break proof;
        }
        if Instant::now() >= until {
            bail!(
                "withdrawal {tx} is not finalized on L1 yet (status {:?}); try again later or pass --wait",
                proof.status
            );
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    };
    let (Some(index), Some(window), Some(position), Some(siblings)) =
        (proof.index, proof.window, proof.position, proof.siblings)
    else {
        bail!("the node served a finalized withdrawal without its path");
    };
    let amount = u128::try_from(proof.amount)
        .ok()
        .filter(|a| *a < 1 << 96)
        .context("the node served a withdrawal amount above 2^96 wei")?;
    let withdrawal = Withdrawal {
        index: index.to(),
        recipient: proof.recipient,
        amount,
    };
    let path = WithdrawalPath {
        position: position.to(),
        siblings,
    };
    let l1 = ProviderBuilder::new()
        .wallet(EthereumWallet::from(key.clone()))
        .connect_http(args.l1_rpc.parse()?);
    let call = claim_call(window.to(), &withdrawal, path);
    let receipt = l1
        .send_transaction(
            TransactionRequest::default()
                .with_to(args.bridge)
                .with_call(&call),
        )
        .await
        .context("sending the claim on L1 (a second claim, or a forged path, reverts)")?
        .get_receipt()
        .await
        .context("waiting for the claim on L1")?;
    ensure!(
        receipt.status(),
        "the claim reverted on L1 (transaction {})",
        receipt.transaction_hash
    );
    println!(
        "claimed withdrawal {} ({} ETH to {}) on L1: transaction {}",
        withdrawal.index,
        format_ether(proof.amount),
        withdrawal.recipient,
        receipt.transaction_hash
    );
    Ok(())
}
