//! Signature table benchmark: proves tables of Keccak-f\[1600\] permutations, secp256k1
//! field products and scalar multiplications, each on its own, verifies each natively
//! and, with `--recursion`, inside plonky2; reports times, columns and the recursive
//! verifier's size. (Whole signature proofs, ECDSA table included: `quire-signature-bench`.)
//!
//! `cargo run --release -p quire-benchmarks --bin quire-signature-tables-bench -- --permutations 42,170,682 --rate-bits 1,2,3 --recursion --field-products 65536 --scalar-multiplications 256`

use std::time::{Duration, Instant};

use alloy_primitives::U256;
use clap::Parser;
use plonky2::field::goldilocks_field::GoldilocksField;
use plonky2::field::polynomial::PolynomialValues;
use plonky2::fri::reduction_strategies::FriReductionStrategy;
use plonky2::fri::FriConfig;
use plonky2::plonk::config::PoseidonGoldilocksConfig;
use plonky2::util::timing::TimingTree;
use quire_prover::signature::keccak::{self, KeccakStark, KeccakState};
use quire_prover::signature::recursion::TableVerifier;
use quire_prover::signature::secp256k1::curve::{double, Point, GENERATOR};
use quire_prover::signature::secp256k1::field_mul::{self, FieldMulStark, P};
use quire_prover::signature::secp256k1::msm::{self, ScalarMulStark};
use starky::config::StarkConfig;
use starky::stark::Stark;

type F = GoldilocksField;
type C = PoseidonGoldilocksConfig;
const D: usize = 2;

#[derive(Parser)]
struct Args {
    /// Permutations per Keccak table (comma-separated); 42, 170, 682 and 2730 fill 2^10,
    /// 2^12, 2^14 and 2^16 rows.
    #[arg(long, value_delimiter = ',')]
    permutations: Vec<usize>,
    /// FRI rate bits of the Keccak tables (comma-separated); queries are chosen for 100
    /// conjectured bits with 16 bits of grinding. The secp256k1 tables use rate 1.
    #[arg(long, value_delimiter = ',', default_value = "1")]
    rate_bits: Vec<usize>,
    /// Also build the plonky2 verifier circuit for each table and prove one verification.
    #[arg(long)]
    recursion: bool,
    /// Field products per product table (comma-separated; at least 2^16 rows each).
    #[arg(long, value_delimiter = ',')]
    field_products: Vec<usize>,
    /// Scalar multiplications per table (comma-separated; 256 fill the minimum 2^16 rows).
    #[arg(long, value_delimiter = ',')]
    scalar_multiplications: Vec<usize>,
}

fn config(rate_bits: usize) -> StarkConfig {
    let pow = 16;
    StarkConfig::new(
        100,
        2,
        FriConfig {
            rate_bits,
            cap_height: 4,
            proof_of_work_bits: pow,
            reduction_strategy: FriReductionStrategy::ConstantArityBits(4, 5),
            num_query_rounds: (100 - pow as usize).div_ceil(rate_bits),
        },
    )
}

/// Proves `trace` of `stark` (made in `trace_time`), verifies it natively and optionally
/// in plonky2, and prints one row of the results table.
fn measure<S: Stark<F, D> + Clone>(
    name: &str,
    items: usize,
    stark: S,
    (trace, trace_time): (Vec<PolynomialValues<F>>, Duration),
    config: &StarkConfig,
    recursion: bool,
) -> anyhow::Result<()> {
    let rows = trace[0].len();
    let columns = trace.len();
    let lookup_columns = stark.num_lookup_helper_columns(config);
    let started = Instant::now();
    let proof = starky::prover::prove::<F, C, _, D>(
        stark.clone(),
        config,
        trace,
        &[],
        None,
        &mut TimingTree::default(),
    )?;
    let prove_time = started.elapsed();
    let started = Instant::now();
    starky::verifier::verify_stark_proof(stark.clone(), proof.clone(), config, None)?;
    let verify_time = started.elapsed();
    let recursion = if recursion {
        let degree_bits = proof.proof.recover_degree_bits(config);
        let started = Instant::now();
        let verifier = TableVerifier::<F, C, D>::new(stark, degree_bits, config);
        let build = started.elapsed();
        let started = Instant::now();
        let outer = verifier.prove(&proof)?;
        let outer_time = started.elapsed();
        verifier.data.verify(outer)?;
        format!(
            "2^{} rows (built in {:.1} s) | {:.1} s",
            verifier.data.common.degree_bits(),
            build.as_secs_f64(),
            outer_time.as_secs_f64()
        )
    } else {
        " | ".to_string()
    };
    println!(
        "| {name} | rate {} | {items} | 2^{} | {columns} (+{lookup_columns}) | {:.2} s | {:.2} s | {:.3} ms | {:.0} ms | {recursion} |",
        config.fri_config.rate_bits,
        rows.trailing_zeros(),
        trace_time.as_secs_f64(),
        prove_time.as_secs_f64(),
        prove_time.as_secs_f64() * 1e3 / items as f64,
        verify_time.as_secs_f64() * 1e3,
    );
    Ok(())
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, Duration) {
    let started = Instant::now();
    let out = f();
    (out, started.elapsed())
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    println!("| table | FRI | items | rows | columns (+ lookup helpers) | trace | prove | per item | verify | plonky2 verifier | its proof |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    let rate_1 = config(1);
    for &n in args.field_products.iter().filter(|&&n| n > 0) {
        let pairs: Vec<(U256, U256)> = (0..n as u64)
            .map(|i| {
                let a = U256::from(i + 1)
                    .wrapping_mul(U256::from(0x9e37_79b9_7f4a_7c15u64))
                    .pow(U256::from(5))
                    % P;
                (a, a.rotate_left(77) % P)
            })
            .collect();
        let (trace, time) = timed(|| field_mul::generate_trace::<F>(&pairs).0);
        let stark = FieldMulStark::<F, D>::new();
        measure(
            "field products",
            n,
            stark,
            (trace, time),
            &rate_1,
            args.recursion,
        )?;
    }
    for &n in args.scalar_multiplications.iter().filter(|&&n| n > 0) {
        // Distinct base points (multiples of G by doubling) and scalars.
        let mut t = GENERATOR;
        let work: Vec<Vec<(U256, Point)>> = (0..n as u64)
            .map(|i| {
                t = double(t).0;
                vec![(U256::from(i + 3).pow(U256::from(40)) >> 4, t)]
            })
            .collect();
        let layout = ScalarMulStark::<F, D>::LAYOUT;
        let (trace, time) = timed(|| msm::generate_trace::<F>(&layout, &work));
        let trace = trace.map_err(anyhow::Error::msg)?.0;
        let stark = ScalarMulStark::<F, D>::new();
        measure(
            "scalar multiplications",
            n,
            stark,
            (trace, time),
            &rate_1,
            args.recursion,
        )?;
    }
    for &rate_bits in &args.rate_bits {
        let config = config(rate_bits);
        for &n in args.permutations.iter().filter(|&&n| n > 0) {
            let inputs: Vec<KeccakState> = (0..n)
                .map(|i| {
                    std::array::from_fn(|l| {
                        ((i * 25 + l) as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
                    })
                })
                .collect();
            let (trace, time) = timed(|| keccak::generate_trace::<F>(&inputs).0);
            let stark = KeccakStark::<F, D>::new();
            measure(
                "Keccak permutations",
                n,
                stark,
                (trace, time),
                &config,
                args.recursion,
            )?;
        }
    }
    Ok(())
}
