//! Aggregation benchmark: proves batches of signed transfers and their signature proofs,
//! binds each batch to its signatures (batch leaf + bind: a leaf), folds them along the
//! canonical tree, wraps the top for L1, and reports the time of each step, proof sizes
//! and native verification times.
//!
//! `cargo run --release -p quire-benchmarks --bin quire-aggregate-bench -- --batches 8`

use std::time::{Duration, Instant};

use alloy_primitives::{Address, U256};
use clap::Parser;
use quire_aggregator::wrap::WrapCircuit;
use quire_aggregator::{Aggregate, Aggregator, SignatureAggregate};
use quire_primitives::StateTree;
use quire_prover::signature::circuit::verifier::SignatureVerifier;
use quire_prover::signature::circuit::SignatureCircuit;
use quire_prover::signature::witness::{SignatureStatement, SignedTransfer};
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
    /// Worker counts for the measured latency (leaves and folds of 2, 4, ... batches run
    /// by that many threads, each step starting as soon as its inputs exist, as in the
    /// node's pool).
    #[arg(long, value_delimiter = ',', default_value = "1,2")]
    workers: Vec<usize>,
}

/// Runs the leaves and folds of batches `1..=n` (canonical tree) on `workers` threads, each
/// taking the first step whose inputs are done, as the node's aggregation pool hands them
/// out. Returns the wall time.
fn measure_tree(
    agg: &Aggregator,
    shape: BatchShape,
    proofs: &[quire_prover::BatchProof],
    signatures: &[SignatureAggregate],
    n: u64,
    workers: usize,
) -> anyhow::Result<Duration> {
    use quire_aggregator::plan::{steps, Step, Window};
    use std::collections::HashMap;
    use std::sync::Mutex;
    let todo: Vec<Step> = steps(Window { start: 1, end: n })
        .into_iter()
        .filter(|s| !matches!(s, Step::Wrap(_)))
        .collect();
    // Outputs by range, and which steps were taken.
    type Progress = (HashMap<(u64, u64), Aggregate>, Vec<bool>);
    let done: Mutex<Progress> = Mutex::new((HashMap::new(), vec![false; todo.len()]));
    let started = Instant::now();
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let mut handles = Vec::new();
        for _ in 0..workers {
            handles.push(scope.spawn(|| -> anyhow::Result<()> {
                loop {
                    let job = {
                        let mut g = done.lock().expect("lock");
                        if g.0.contains_key(&(1, n)) {
                            return Ok(());
                        }
                        let ready = todo.iter().enumerate().find(|(i, s)| {
                            !g.1[*i]
                                && match **s {
                                    Step::Fold { lo, mid, hi } => {
                                        g.0.contains_key(&(lo, mid))
                                            && g.0.contains_key(&(mid + 1, hi))
                                    }
                                    _ => true,
                                }
                        });
                        match ready {
                            Some((i, s)) => {
                                g.1[i] = true;
                                let inputs = match *s {
                                    Step::Fold { lo, mid, hi } => {
                                        Some((g.0[&(lo, mid)].clone(), g.0[&(mid + 1, hi)].clone()))
                                    }
                                    _ => None,
                                };
                                Some((*s, inputs))
                            }
                            None => None,
                        }
                    };
                    let Some((step, inputs)) = job else {
                        std::thread::sleep(Duration::from_millis(5));
                        continue;
                    };
                    let out = match (step, inputs) {
                        (Step::Leaf(b), _) => agg.prove_leaf(
                            shape,
                            &proofs[(b - 1) as usize],
                            &signatures[(b - 1) as usize],
                        )?,
                        (_, Some((l, r))) => agg.fold(&l, &r)?,
                        _ => anyhow::bail!("unexpected step"),
                    };
                    done.lock().expect("lock").0.insert(step.range(), out);
                }
            }));
        }
        for h in handles {
            h.join().map_err(|_| anyhow::anyhow!("worker panicked"))??;
        }
        Ok(())
    })?;
    Ok(started.elapsed())
}

const BASE_FEE: u64 = 1_000_000_000;
const CHAIN: u64 = 271_828;
const TRANSFERS: u8 = 10;
const SIGNATURE_CAPACITY: usize = 16;

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
    let signature_circuit = SignatureCircuit::build(SIGNATURE_CAPACITY);
    println!(
        "signature circuit ({SIGNATURE_CAPACITY} transfers) built in {:.1} s; rows 2^{}",
        started.elapsed().as_secs_f64(),
        signature_circuit.data.common.degree_bits()
    );
    let started = Instant::now();
    let agg = Aggregator::build(
        &[&BatchVerifier::of(&batch)],
        &[&SignatureVerifier::of(&signature_circuit)],
    )?;
    println!(
        "aggregation circuits (common data, leaves, bind, fold) built in {:.1} s; rows 2^{}",
        started.elapsed().as_secs_f64(),
        agg.common.degree_bits()
    );

    let fr = Address::repeat_byte(0xfe);
    let mut tree = StateTree::new();
    for k in 0..TRANSFERS {
        let (idx, _) = tree.get_or_insert(quire_test_support::key(k).address())?;
        tree.set_account(idx, 0, 10u128.pow(21))?;
        // The receivers exist too: ten transfers fit the 15-slot shape only without inserts.
        tree.get_or_insert(Address::repeat_byte(0x64 + k))?;
    }
    tree.commit();
    let mut leaves: Vec<Aggregate> = Vec::new();
    let mut batch_proofs = Vec::new();
    let mut signatures = Vec::new();
    let mut leaf_times = Vec::new();
    let mut signature_times = Vec::new();
    let batches = quire_test_support::signed_batches(
        args.batches,
        TRANSFERS,
        CHAIN,
        2 * u128::from(BASE_FEE),
    );
    for (n, envelopes) in (1..=args.batches).zip(batches) {
        let mut b = WitnessBuilder::new(tree.leaves(), 16, n, BASE_FEE, fr)?;
        let transfers = envelopes
            .iter()
            .map(SignedTransfer::from_envelope)
            .collect::<Result<Vec<_>, _>>()?;
        for signed in &transfers {
            let t = &signed.transfer;
            b.push_transfer(t)?;
            let upfront =
                U256::from(t.gas_limit) * U256::from(t.max_fee_per_gas) + U256::from(t.value);
            apply_transfer(&mut tree, t, upfront, fr, BASE_FEE).map_err(anyhow::Error::msg)?;
        }
        tree.commit();
        let w = b.finish()?;
        let proof = batch.prove(&w)?;
        let started = Instant::now();
        let statement = SignatureStatement {
            chain_id: CHAIN,
            transfers,
            bridge: Default::default(),
        };
        let signed =
            agg.prove_signature_leaf(SIGNATURE_CAPACITY, &signature_circuit.prove(&statement)?)?;
        signature_times.push(started.elapsed());
        let started = Instant::now();
        leaves.push(agg.prove_leaf(shape, &proof, &signed)?);
        leaf_times.push(started.elapsed());
        batch_proofs.push(proof);
        signatures.push(signed);
    }
    println!(
        "signature proof of {TRANSFERS} transfers, restated: median {:.1} s",
        median(signature_times).as_secs_f64()
    );

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
    let mut sizes = vec![];
    let mut n = 2;
    while n <= args.batches {
        sizes.push(n);
        n *= 2;
    }
    for n in sizes {
        for &w in &args.workers {
            let t = measure_tree(&agg, shape, &batch_proofs, &signatures, n, w)?;
            println!(
                "measured: {n} batches, {w} workers: leaves + folds {:.1} s",
                t.as_secs_f64()
            );
        }
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
