//! Batch data benchmark: the bytes a batch publishes per transfer, in format version 1
//! (signed transactions) and version 2 (no signatures, accounts by index), on the load
//! generator's traffic: `--senders` funded accounts each sending `--txs-per-sender`
//! EIP-1559 transfers of 1,000 wei, half to another sender and half to a fresh account
//! (exactly `quire-load`'s rule), sealed into batches of `--batch-txs` transfers.
//!
//! `cargo run --release -p quire-benchmarks --bin quire-da-bench -- --senders 500 --txs-per-sender 40`

use alloy::primitives::{keccak256, Address, U256};
use clap::Parser;
use quire_da::{encode, encode_transfers, Accounts, BatchData, BlockData, TransferBlock};
use quire_primitives::Transfer;

#[derive(Parser)]
struct Args {
    /// Senders (funded accounts).
    #[arg(long, default_value_t = 500)]
    senders: usize,
    /// Transfers per sender.
    #[arg(long, default_value_t = 40)]
    txs_per_sender: usize,
    /// Transfers per batch (the node's `batch_max_txs`).
    #[arg(long, default_value_t = 224)]
    batch_txs: usize,
    /// Transfers per block (the node's `max_block_txs`).
    #[arg(long, default_value_t = 256)]
    block_txs: usize,
    /// Share of transfers to fresh accounts, in percent (the load generator's is 50).
    #[arg(long, default_value_t = 50)]
    fresh_percent: usize,
}

const CHAIN: u64 = 271_828;
/// The devnet's gas price (1 gwei base fee + 0.001 gwei tip); the load generator signs
/// twice that as its fee cap, with a 1-wei tip.
const MAX_FEE: u128 = 2 * 1_001_000_000;

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let keys: Vec<_> = (0..args.senders)
        .map(|i| {
            alloy::signers::local::PrivateKeySigner::from_slice(
                &keccak256(format!("da bench {i}")).0,
            )
        })
        .collect::<Result<_, _>>()?;
    // Transfers in the load generator's order (nonce-major), with their signed bytes.
    let mut all = Vec::new();
    for n in 0..args.txs_per_sender {
        for (i, k) in keys.iter().enumerate() {
            // The load generator's rule at 50 %; other shares spread over senders and nonces.
            let fresh = if args.fresh_percent == 50 {
                (i + n) % 2 == 1
            } else {
                (i * 31 + n * 17) % 100 < args.fresh_percent
            };
            let to = if fresh {
                Address::from_word(keccak256(format!("seed/{i}/{n}")))
            } else {
                keys[(i * 7 + n + 1) % keys.len()].address()
            };
            let tx =
                quire_test_support::transfer(CHAIN, n as u64, to, U256::from(1_000), MAX_FEE, 1);
            let raw = quire_test_support::sign(k, tx);
            let transfer = Transfer {
                tx_type: 2,
                sender: k.address(),
                to,
                value: 1_000,
                nonce: n as u64,
                gas_limit: 21_000,
                max_fee_per_gas: MAX_FEE,
                max_priority_fee_per_gas: 1,
            };
            all.push((raw, transfer, fresh));
        }
    }
    let mut accounts = Accounts::new(keys.iter().map(|k| (k.address(), 0)));
    let (mut v1, mut v2, mut batches) = (0usize, 0usize, 0usize);
    let mut fresh_count = 0usize;
    for batch in all.chunks(args.batch_txs) {
        let blocks: Vec<_> = batch.chunks(args.block_txs).collect();
        let data = BatchData {
            blocks: blocks
                .iter()
                .map(|b| BlockData {
                    timestamp: 1_800_000_000,
                    txs: b.iter().map(|(raw, _, _)| raw.clone()).collect(),
                })
                .collect(),
        };
        v1 += encode(&data).len();
        let transfer_blocks: Vec<_> = blocks
            .iter()
            .map(|b| TransferBlock {
                timestamp: 1_800_000_000,
                deposits: Vec::new(),
                transfers: b.iter().map(|(_, t, _)| *t).collect(),
            })
            .collect();
        v2 += encode_transfers(&transfer_blocks, &mut accounts)?.len();
        fresh_count += batch.iter().filter(|(_, _, f)| *f).count();
        batches += 1;
    }
    let n = all.len() as f64;
    println!(
        "| {} senders × {} | {} batches of ≤ {} | {:.0} % fresh | {:.1} B | {:.1} B | {:.0} |",
        args.senders,
        args.txs_per_sender,
        batches,
        args.batch_txs,
        100.0 * fresh_count as f64 / n,
        v1 as f64 / n,
        v2 as f64 / n,
        126_976.0 / (v2 as f64 / n),
    );
    Ok(())
}
