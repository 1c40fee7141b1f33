//! L1 gas of the Bridge on anvil, from transaction receipts (so the 21,000 base and the
//! calldata are counted): deposits, the Rollup's recording of a window's withdrawals, and
//! claims against trees of several sizes, by recipients that already hold ETH (the usual
//! case: they pay the claim's gas) and to fresh addresses (25,000 gas more for the new
//! account). Prints medians.
//!
//! `cargo run --release -p quire-benchmarks --bin quire-bridge-gas`

use alloy::network::{EthereumWallet, TransactionBuilder};
use alloy::primitives::{Address, U256};
use alloy::providers::{Provider, ProviderBuilder};
use alloy::rpc::types::TransactionRequest;
use alloy::signers::local::PrivateKeySigner;
use alloy::sol_types::SolCall;
use anyhow::Context;
use clap::Parser;
use quire_contracts::bridge::{claim_call, deploy_bridge, Bridge};
use quire_node::devnet::dev_signers;
use quire_primitives::{Withdrawal, WithdrawalTree};

#[path = "../anvil.rs"]
mod anvil;
use anvil::Anvil;

#[derive(Parser)]
struct Args {
    /// Deposits measured (256: the last is a checkpoint, index 255).
    #[arg(long, default_value_t = 256)]
    deposits: usize,
    /// Where anvil is (npm-installed on first use).
    #[arg(long, default_value = ".quire/tools")]
    tools: std::path::PathBuf,
}

fn median(mut v: Vec<u64>) -> u64 {
    v.sort_unstable();
    v[v.len() / 2]
}

async fn send(
    url: &str,
    key: &PrivateKeySigner,
    to: Address,
    input: Vec<u8>,
    value: U256,
) -> anyhow::Result<u64> {
    let provider = ProviderBuilder::new()
        .wallet(EthereumWallet::from(key.clone()))
        .connect_http(url.parse()?);
    let tx = TransactionRequest::default()
        .with_to(to)
        .with_input(input)
        .with_value(value);
    let r = provider.send_transaction(tx).await?.get_receipt().await?;
    anyhow::ensure!(r.status(), "transaction reverted");
    Ok(r.gas_used)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let l1 = Anvil::start(&args.tools).await?;
    let keys = dev_signers()?;
    let (deployer, rollup) = (&keys[0], &keys[1]);
    let provider = ProviderBuilder::new()
        .wallet(EthereumWallet::from(deployer.clone()))
        .connect_http(l1.url.parse()?);
    let bridge = deploy_bridge(&provider, rollup.address()).await?;
    let deploy_gas = provider
        .get_block_by_number(alloy::eips::BlockNumberOrTag::Latest)
        .await?
        .context("a block")?
        .header
        .gas_used;

    let mut deposits = Vec::new();
    for i in 0..args.deposits {
        let call = Bridge::depositCall {
            l2Recipient: Address::with_last_byte((i % 255) as u8 + 1),
        };
        let value = U256::from(10u64).pow(U256::from(18));
        deposits.push(send(&l1.url, deployer, bridge, call.abi_encode(), value).await?);
    }
    println!(
        "Bridge deployment: {deploy_gas} gas (the deposit history is written once)\n\
         deposit: median {} gas over {} deposits (min {}, max {}; every 256th writes a checkpoint: {})",
        median(deposits.clone()),
        deposits.len(),
        deposits.iter().min().context("deposits")?,
        deposits.iter().max().context("deposits")?,
        deposits
            .get(255)
            .map_or("not reached".to_string(), |g| format!("{g} gas")),
    );

    // Signers 2..10 claim their own withdrawals; four more go to fresh addresses.
    let claimers = &keys[2..10];
    let mut first_index = 0u64;
    for (window, size) in [16usize, 256, 4096].into_iter().enumerate() {
        let window = window as u64 + 1;
        let withdrawals: Vec<Withdrawal> = (0..size)
            .map(|i| Withdrawal {
                index: first_index + i as u64,
                recipient: match claimers.get(i) {
                    Some(k) => k.address(),
                    None => Address::from_word(alloy::primitives::keccak256(
                        (first_index + i as u64).to_be_bytes(),
                    )),
                },
                amount: 10_000_000_000_000_000,
            })
            .collect();
        let leaves: Vec<_> = withdrawals.iter().map(Withdrawal::leaf).collect();
        let tree = WithdrawalTree::new(&leaves);
        let record = Bridge::recordWithdrawalsCall {
            window: U256::from(window),
            firstIndex: first_index,
            count: size as u64,
            root: tree.root(),
        };
        let record_gas = send(&l1.url, rollup, bridge, record.abi_encode(), U256::ZERO).await?;
        let claim = |i: usize| -> anyhow::Result<Vec<u8>> {
            let path = tree.path(i).context("a path")?;
            Ok(claim_call(window, &withdrawals[i], path).abi_encode())
        };
        let mut own = Vec::new();
        for (i, key) in claimers.iter().enumerate() {
            own.push(send(&l1.url, key, bridge, claim(i)?, U256::ZERO).await?);
        }
        let mut fresh = Vec::new();
        for i in claimers.len()..claimers.len() + 4 {
            fresh.push(send(&l1.url, &keys[2], bridge, claim(i)?, U256::ZERO).await?);
        }
        println!(
            "window of {size} withdrawals (path of {} siblings): record {record_gas} gas; \
             claim by its recipient: median {} gas ({} claims); claim to a fresh address: median {} gas",
            size.trailing_zeros(),
            median(own.clone()),
            own.len(),
            median(fresh),
        );
        first_index += size as u64;
    }
    Ok(())
}
