//! Aggregation benchmark: wraps batch proofs into leaves, folds them along the canonical
//! tree, wraps the top for L1, and reports the time of each step, proof sizes and native
//! verification times.
//!
//! `cargo run --release -p quire-benchmarks --bin quire-aggregate-bench -- --batches 8`

use std::time::{Duration, Instant};

use alloy_primitives::{Address, U256};
use clap::Parser;
use quire_aggregator::wrap::WrapCircuit;
use quire_aggregator::{Aggregate, Aggregator};
use quire_primitives::{StateTree, Transfer};
use quire_prover::witness::WitnessBuilder;
use quire_prover::{BatchCircuit, BatchShape, BatchVerifier};
use quire_sequencer::execution::apply_transfer;

#[derive(Parser)]
struct Args {
    /// Consecutive batches to aggregate.
    #[arg(long, default_value_t = 8)]
    batches: u64,
    /// FRI rate bits of the final wrap (comma-separated to compare).
    #[arg(long, value_delimiter = ',', default_value = "7")]
    wrap_rate_bits: Vec<usize>,
}

const BASE_FEE: u64 = 1_000_000_000;

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .init();
    let shape = BatchShape {
        slots: 15,
        depth: 16,
    };
    let batch = BatchCircuit::build(shape);
    let started = Instant::now();
    let agg = Aggregator::build(&[&BatchVerifier::of(&batch)])?;
    println!(
        "aggregation circuits (common data, leaf, fold) built in {:.1} s; rows 2^{}",
        started.elapsed().as_secs_f64(),
        agg.common.degree_bits()
    );

    let fr = Address::repeat_byte(0xfe);
    let mut tree = StateTree::new();
    for i in 1..=20u8 {
        let (idx, _) = tree.get_or_insert(Address::repeat_byte(i))?;
        tree.set_account(idx, 0, 10u128.pow(21))?;
    }
    tree.commit();
    let mut leaves: Vec<Aggregate> = Vec::new();
    let mut leaf_times = Vec::new();
    for n in 1..=args.batches {
        let mut b = WitnessBuilder::new(tree.leaves(), 16, n, BASE_FEE, fr)?;
        for k in 0..10u8 {
            let t = Transfer {
                tx_type: 2,
                sender: Address::repeat_byte(k + 1),
                to: Address::repeat_byte(k + 2),
                value: 1000,
                nonce: n - 1,
                gas_limit: 21_000,
                max_fee_per_gas: 2 * u128::from(BASE_FEE),
                max_priority_fee_per_gas: 1,
            };
            b.push_transfer(&t)?;
            let upfront =
                U256::from(21_000u64) * U256::from(t.max_fee_per_gas) + U256::from(t.value);
            apply_transfer(&mut tree, &t, upfront, fr, BASE_FEE).map_err(anyhow::Error::msg)?;
        }
        tree.commit();
        let w = b.finish()?;
        let proof = batch.prove(&w)?;
        let started = Instant::now();
        leaves.push(agg.wrap(shape, &proof)?);
        leaf_times.push(started.elapsed());
    }

    // Fold along the canonical tree, level by level, timing every fold.
    let mut fold_times = Vec::new();
    let mut level = leaves.clone();
    let mut levels = 0;
    let started = Instant::now();
    let top = loop {
        if level.len() == 1 {
            break level.pop().expect("one");
        }
        // Pair left to right; an odd last one moves up unchanged (the canonical tree for a
        // power of two; for other counts, Aggregator::aggregate builds the canonical tree).
        let mut next = Vec::new();
        for pair in level.chunks(2) {
            if pair.len() == 2 {
                let t = Instant::now();
                next.push(agg.fold(&pair[0], &pair[1])?);
                fold_times.push(t.elapsed());
            } else {
                next.push(pair[0].clone());
            }
        }
        level = next;
        levels += 1;
    };
    let fold_total = started.elapsed();
    let t = Instant::now();
    let pi = agg.verify(&top)?;
    let fold_verify = t.elapsed();
    anyhow::ensure!(pi.first_batch == 1 && pi.last_batch == args.batches);
    let fold = median(fold_times.clone());
    println!(
        "leaf wrap: median {:.0} ms over {} batches",
        ms(median(leaf_times.clone())),
        args.batches
    );
    println!(
        "2→1 fold: median {:.0} ms over {} folds ({} levels); all folds on one machine {:.1} s",
        ms(fold),
        fold_times.len(),
        levels,
        fold_total.as_secs_f64()
    );
    println!(
        "fold proof: {} bytes; native verification {:.1} ms",
        top.proof.to_bytes().len(),
        ms(fold_verify)
    );
    for w in [1u64, 2, 4, 8] {
        // Each level's folds spread over w workers; leaves likewise.
        let mut n = args.batches;
        let mut latency = median(leaf_times.clone()).as_secs_f64() * n.div_ceil(w) as f64;
        while n > 1 {
            latency += fold.as_secs_f64() * (n / 2).div_ceil(w) as f64;
            n = n.div_ceil(2);
        }
        println!(
            "model: {} batches, {} workers: leaves + folds {:.1} s",
            args.batches, w, latency
        );
    }
    for rate_bits in &args.wrap_rate_bits {
        let t = Instant::now();
        let wrap = WrapCircuit::build(&agg, *rate_bits)?;
        let build = t.elapsed();
        let t = Instant::now();
        let final_proof = wrap.prove(&agg, &top)?;
        let prove = t.elapsed();
        let t = Instant::now();
        let final_pi = wrap.verify(&final_proof)?;
        let verify = t.elapsed();
        anyhow::ensure!(final_pi == pi, "wrap changed the public inputs");
        println!(
            "final wrap (Keccak, rate 2^-{rate_bits}, {} queries, rows 2^{}): build {:.1} s, prove {:.1} s, proof {} bytes, verify {:.1} ms",
            wrap.data.common.config.fri_config.num_query_rounds,
            wrap.data.common.degree_bits(),
            build.as_secs_f64(),
            prove.as_secs_f64(),
            final_proof.to_bytes().len(),
            ms(verify)
        );
    }
    Ok(())
}
