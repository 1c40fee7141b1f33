//! Batch-proof benchmark: for each circuit shape, builds the circuit, fills a batch to
//! capacity, and reports rows, build time, proving time (median of `--runs`), time per
//! transfer, verification time, proof size and peak memory.
//!
//! `cargo run --release -p quire-benchmarks --bin quire-prove-bench -- --depth 24 --slots 224`

use std::time::{Duration, Instant};

use alloy_primitives::Address;
use clap::Parser;
use quire_primitives::{StateTree, Transfer};
use quire_prover::witness::WitnessBuilder;
use quire_prover::{BatchCircuit, BatchShape};

#[derive(Parser)]
struct Args {
    /// Tree height of the circuit.
    #[arg(long, default_value_t = 24)]
    depth: usize,
    /// Slots (comma-separated).
    #[arg(long, value_delimiter = ',', default_value = "11,54,224")]
    slots: Vec<usize>,
    /// Proofs per shape.
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Accounts in the tree before the batch.
    #[arg(long, default_value_t = 1000)]
    accounts: u64,
    /// Send every transfer to a new account (two slots per transfer).
    #[arg(long)]
    new_receivers: bool,
}

const ETH: u128 = 1_000_000_000_000_000_000;
const BASE_FEE: u64 = 1_000_000_000;

fn account(i: u64) -> Address {
    let mut b = [0u8; 20];
    b[..8].copy_from_slice(&(i.wrapping_mul(0x9e37_79b9_7f4a_7c15)).to_be_bytes());
    b[12..].copy_from_slice(&i.to_be_bytes());
    Address::from(b)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kib| kib / 1024.0)
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let mut tree = StateTree::new();
    for i in 1..=args.accounts {
        let (idx, _) = tree.get_or_insert(account(i))?;
        tree.set_account(idx, 0, 1_000 * ETH)?;
    }
    let fee_recipient = account(1);
    tree.commit();
    println!(
        "| shape | rows | build s | cached circuit MiB | prove s (median of {}) | transfers | ms / transfer | verify ms | proof KiB | peak RSS MiB |",
        args.runs
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for slots in &args.slots {
        let shape = BatchShape {
            slots: *slots,
            depth: args.depth,
        };
        let started = Instant::now();
        let circuit = BatchCircuit::build(shape);
        let build = started.elapsed();
        let circuit_mib = circuit.to_bytes()?.len() as f64 / (1024.0 * 1024.0);

        let mut b = WitnessBuilder::new(tree.leaves(), args.depth, 1, BASE_FEE, fee_recipient)?;
        let mut nonces = vec![0u64; args.accounts as usize + 1];
        let mut transfers = 0usize;
        let mut i = 0u64;
        loop {
            let per = if args.new_receivers { 2 } else { 1 };
            if b.slots().len() + per > shape.slots {
                break;
            }
            let from = 2 + i % (args.accounts - 1);
            let to = if args.new_receivers {
                account(1_000_000 + i)
            } else {
                account(2 + (i * 7 + 3) % (args.accounts - 1))
            };
            b.push_transfer(&Transfer {
                tx_type: 2,
                sender: account(from),
                to,
                value: 1_000 + u128::from(i),
                nonce: nonces[from as usize],
                gas_limit: 21_000,
                max_fee_per_gas: 2 * u128::from(BASE_FEE),
                max_priority_fee_per_gas: 1_000_000,
            })?;
            nonces[from as usize] += 1;
            transfers += 1;
            i += 1;
        }
        let w = b.finish()?;

        let mut prove_times = Vec::new();
        let mut proof = None;
        for _ in 0..args.runs {
            let started = Instant::now();
            proof = Some(circuit.prove(&w)?);
            prove_times.push(started.elapsed());
        }
        let proof = proof.expect("at least one run");
        let mut verify_times = Vec::new();
        for _ in 0..5 {
            let started = Instant::now();
            let public = circuit.verify(&proof)?;
            verify_times.push(started.elapsed());
            anyhow::ensure!(public == w.expected, "public inputs differ from the replay");
        }
        let prove = median(prove_times);
        println!(
            "| {} slots, depth {} | 2^{} | {:.1} | {:.0} | {:.2} | {} | {:.1} | {:.1} | {:.0} | {:.0} |",
            shape.slots,
            shape.depth,
            circuit.rows().trailing_zeros(),
            build.as_secs_f64(),
            circuit_mib,
            prove.as_secs_f64(),
            transfers,
            prove.as_secs_f64() * 1000.0 / transfers as f64,
            median(verify_times).as_secs_f64() * 1000.0,
            proof.to_bytes().len() as f64 / 1024.0,
            peak_rss_mib(),
        );
    }
    Ok(())
}
