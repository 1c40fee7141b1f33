//! Settlement latency benchmark: on a devnet (anvil L1, the node with the devnet's
//! settings and its in-process provers), the time from a transfer's receipt to the moment
//! the L2 `finalized` tag covers its block, i.e. its window's final proof was accepted by
//! the Verifier on L1 and the prove transaction is `confirmations` deep. One transfer per
//! run, runs one after another; the first run also builds the circuits unless `--circuits`
//! holds them already (its figure is printed apart).
//!
//! `cargo run --release -p quire-benchmarks --bin quire-settle-bench -- --runs 3 --circuits /tmp/quire-bench-circuits`

use std::time::{Duration, Instant};

use alloy::primitives::{Address, U256};
use anyhow::{bail, Context};
use clap::Parser;
use quire_node::devnet::{dev_signers, devnet_config, settle_on, DEVNET_CHAIN_ID};
use quire_node::node::NodeHandle;
use serde_json::{json, Value};

#[derive(Parser)]
struct Args {
    /// Transfers measured, one after another.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Circuit cache kept across invocations (built on first use).
    #[arg(long)]
    circuits: Option<std::path::PathBuf>,
    /// Where anvil is (npm-installed on first use).
    #[arg(long, default_value = ".quire/tools")]
    tools: std::path::PathBuf,
    /// Longest wait for one finalization.
    #[arg(long, default_value_t = 1200)]
    timeout_secs: u64,
}

#[path = "../anvil.rs"]
mod anvil;
#[path = "../json_rpc.rs"]
mod json_rpc;
use anvil::Anvil;
use json_rpc::call as rpc;

fn number(v: &Value) -> anyhow::Result<u64> {
    let s = v.as_str().context("a hex number")?;
    Ok(u64::from_str_radix(s.trim_start_matches("0x"), 16)?)
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(std::env::var("QUIRE_LOG").unwrap_or_else(|_| "warn".into()))
        .init();
    let anvil = Anvil::start(&args.tools).await?;
    let l1 = anvil.url.clone();
    let client = reqwest::Client::new();
    let dir = tempfile::tempdir()?;
    let mut cfg = devnet_config(dir.path().join("node"), "127.0.0.1:0".parse()?, None)?;
    settle_on(&mut cfg, &l1)?;
    if let Some(c) = &args.circuits {
        cfg.proving.circuits_dir = Some(c.clone());
    }
    let node = NodeHandle::start(cfg).await?;
    let url = node.http_url();
    let signer = dev_signers()?.remove(1);
    let mut figures = Vec::new();
    for run in 0..args.runs {
        let tx = quire_test_support::transfer(
            DEVNET_CHAIN_ID,
            run as u64,
            Address::repeat_byte(0x5e),
            U256::from(1_000),
            2_000_000_000,
            1_000_000,
        );
        let raw = quire_test_support::sign_hex(&signer, tx);
        let hash = rpc(&client, &url, "eth_sendRawTransaction", json!([raw])).await?;
        let receipt = loop {
            let r = rpc(&client, &url, "eth_getTransactionReceipt", json!([hash])).await?;
            if !r.is_null() {
                break r;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        };
        let receipt_at = Instant::now();
        let block = number(&receipt["blockNumber"])?;
        loop {
            let fin = rpc(
                &client,
                &url,
                "eth_getBlockByNumber",
                json!(["finalized", false]),
            )
            .await?;
            if number(&fin["number"])? >= block {
                break;
            }
            if receipt_at.elapsed() > Duration::from_secs(args.timeout_secs) {
                bail!(
                    "block {block} not finalized on L1 after {} s",
                    args.timeout_secs
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let secs = receipt_at.elapsed().as_secs_f64();
        println!(
            "run {}: receipt (L2 block {block}) → L1 finalized in {secs:.1} s",
            run + 1
        );
        figures.push(secs);
    }
    node.shutdown().await?;
    drop(anvil);
    let steady = if figures.len() > 1 {
        figures[1..].to_vec()
    } else {
        figures.clone()
    };
    println!(
        "receipt → L1 finalization: first run {:.1} s; median of the other {} runs {:.1} s",
        figures[0],
        steady.len(),
        median(steady.clone())
    );
    Ok(())
}
