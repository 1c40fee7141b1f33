//! Signature proof benchmark: proves the signatures of `n` signed transfers (all three
//! types, distinct keys) with the smallest signature circuit that holds them, and reports
//! the circuit's build time and size, the tables' and the circuit's proving time, the
//! restatement in the aggregation shape (the signature leaf), per-signature figures, and
//! the process's peak memory. Run one size per process for a clean peak:
//!
//! `cargo run --release -p quire-benchmarks --bin quire-signature-bench -- --transfers 16 --runs 3`

use std::time::{Duration, Instant};

use alloy::primitives::{Address, U256};
use clap::Parser;
use quire_aggregator::common::common_data;
use quire_aggregator::signature_leaf::SignatureLeafCircuit;
use quire_prover::signature::circuit::verifier::SignatureVerifier;
use quire_prover::signature::circuit::{capacity_for, SignatureCircuit};
use quire_prover::signature::witness::{SignatureStatement, SignedTransfer};

#[derive(Parser)]
struct Args {
    /// Signed transfers in the batch (at most 256).
    #[arg(long, default_value_t = 16)]
    transfers: usize,
    /// Proofs to time (medians are reported).
    #[arg(long, default_value_t = 3)]
    runs: usize,
}

const CHAIN: u64 = 271_828;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

/// Peak resident memory of this process so far, in GB (Linux `VmHWM`).
fn peak_gb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1e6)
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let n = args.transfers;
    let capacity = capacity_for(n, 0).ok_or_else(|| anyhow::anyhow!("at most 256 transfers"))?;
    let transfers = (0..n)
        .map(|i| {
            let key = alloy::signers::local::PrivateKeySigner::from_slice(
                &alloy::primitives::keccak256(format!("bench key {i}")).0,
            )?;
            let envelope = quire_test_support::typed_transfer(
                &key,
                (i % 3) as u8,
                CHAIN,
                (i / 3) as u64,
                Address::from_word(alloy::primitives::keccak256(format!("to {i}"))),
                U256::from(1_000 + i as u64),
                2_000_000_000,
            );
            Ok(SignedTransfer::from_envelope(&envelope)?)
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let statement = SignatureStatement {
        chain_id: CHAIN,
        transfers,
        bridge: Default::default(),
    };
    let started = Instant::now();
    let circuit = SignatureCircuit::build(capacity);
    let build = started.elapsed();
    let common = common_data();
    let leaf = SignatureLeafCircuit::build(&SignatureVerifier::of(&circuit), &common)?;
    let (mut tables, mut hub, mut restate) = (Vec::new(), Vec::new(), Vec::new());
    let mut proof_bytes = 0;
    for _ in 0..args.runs {
        let (proof, times) = circuit.prove_timed(&statement)?;
        circuit.verify(&proof)?;
        proof_bytes = proof.to_bytes().len();
        tables.push(times.tables);
        hub.push(times.circuit);
        let started = Instant::now();
        let restated = leaf.prove(&proof)?;
        restate.push(started.elapsed());
        leaf.data.verify(restated)?;
    }
    let (t, c, r) = (median(tables), median(hub), median(restate));
    let total = t + c + r;
    let per = |d: Duration| d.as_secs_f64() / n as f64;
    println!(
        "| {n} | {capacity} | 2^{} | {:.1} s | {:.1} s | {:.1} s | {:.1} s | {:.1} s | {:.3} s | {:.3} s | {:.0} KB | {:.1} GB |",
        circuit.data.common.degree_bits(),
        build.as_secs_f64(),
        t.as_secs_f64(),
        c.as_secs_f64(),
        r.as_secs_f64(),
        total.as_secs_f64(),
        per(t + c),
        per(total),
        proof_bytes as f64 / 1e3,
        peak_gb()
    );
    Ok(())
}
