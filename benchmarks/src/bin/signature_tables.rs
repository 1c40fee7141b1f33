//! Signature table benchmark: proves tables of Keccak-f\[1600\] permutations and of
//! secp256k1 field products (the tables signature proofs are built from), verifies them
//! natively, and optionally verifies a Keccak table inside plonky2, at several FRI rates,
//! reporting times, proof sizes and the recursive verifier's size.
//!
//! `cargo run --release -p quire-benchmarks --bin quire-signature-tables-bench -- --permutations 42,170,682 --rate-bits 1,2,3 --recursion --field-products 65536,262144 --scalar-multiplications 256 --ecdsa 256`

use std::time::Instant;

use clap::Parser;
use plonky2::field::goldilocks_field::GoldilocksField;
use plonky2::fri::reduction_strategies::FriReductionStrategy;
use plonky2::fri::FriConfig;
use plonky2::plonk::config::PoseidonGoldilocksConfig;
use quire_prover::signature::keccak::proof::{prove_trace, verify_permutations};
use quire_prover::signature::keccak::{generate_trace, KeccakStark, KeccakState};
use quire_prover::signature::recursion::TableVerifier;
use starky::config::StarkConfig;

type F = GoldilocksField;
type C = PoseidonGoldilocksConfig;
const D: usize = 2;

#[derive(Parser)]
struct Args {
    /// Permutations per table (comma-separated); 42, 170, 682 and 2730 fill 2^10, 2^12,
    /// 2^14 and 2^16 rows.
    #[arg(long, value_delimiter = ',')]
    permutations: Vec<usize>,
    /// FRI rate bits (comma-separated); queries are chosen for 100 conjectured bits with
    /// 16 bits of grinding.
    #[arg(long, value_delimiter = ',', default_value = "1")]
    rate_bits: Vec<usize>,
    /// Also build the plonky2 verifier circuit for each size and prove one verification.
    #[arg(long)]
    recursion: bool,
    /// Field products per product table (comma-separated; at least 2^16 rows each).
    #[arg(long, value_delimiter = ',')]
    field_products: Vec<usize>,
    /// Scalar multiplications per table (comma-separated; 256 fill the minimum 2^16 rows).
    #[arg(long, value_delimiter = ',')]
    scalar_multiplications: Vec<usize>,
    /// ECDSA equations per table (comma-separated; 256 fill the minimum 2^16 rows).
    #[arg(long, value_delimiter = ',')]
    ecdsa: Vec<usize>,
}

/// ECDSA equations of `n` signatures (keys, hashes and nonces derived from the index).
fn ecdsa_equations(
    n: usize,
) -> Vec<
    Vec<(
        alloy_primitives::U256,
        (alloy_primitives::U256, alloy_primitives::U256),
    )>,
> {
    use alloy_primitives::U256;
    use k256::elliptic_curve::sec1::ToEncodedPoint;
    use k256::elliptic_curve::PrimeField;
    use k256::{ProjectivePoint, Scalar};
    use quire_prover::signature::secp256k1::msm::ecdsa_work;
    let point = |p: ProjectivePoint| {
        let e = p.to_affine().to_encoded_point(false);
        (
            U256::from_be_slice(e.x().expect("finite")),
            U256::from_be_slice(e.y().expect("finite")),
        )
    };
    let n_order = U256::from_be_slice(&(-Scalar::ONE).to_bytes()) + U256::from(1);
    let g = ProjectivePoint::GENERATOR;
    (0..n as u64)
        .map(|i| {
            let d = Scalar::from(i * 7919 + 17);
            let k = Scalar::from(i * 104_729 + 31);
            let z = U256::from(i + 99).pow(U256::from(29)) % n_order;
            let r_point = g * k;
            let r = point(r_point).0 % n_order;
            let as_scalar =
                |v: U256| Scalar::from_repr(v.to_be_bytes::<32>().into()).expect("below n");
            let s = k.invert().expect("non-zero nonce") * (as_scalar(z) + as_scalar(r) * d);
            ecdsa_work(
                point(r_point),
                point(g * d),
                r,
                U256::from_be_slice(&s.to_bytes()),
                z,
            )
        })
        .collect()
}

fn ecdsa_tables(counts: &[usize], config: &StarkConfig, recursion: bool) -> anyhow::Result<()> {
    use quire_prover::signature::secp256k1::msm::{generate_trace, EcdsaMsmStark};
    println!();
    println!(
        "| ECDSA equations | rows | columns (+ lookup) | trace | prove | per signature | verify | plonky2 verifier | its proof |"
    );
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for &n in counts {
        let work = ecdsa_equations(n);
        let started = Instant::now();
        let (trace, _) = generate_trace::<F>(&EcdsaMsmStark::<F, D>::LAYOUT, &work)
            .map_err(anyhow::Error::msg)?;
        let rows = trace[0].len();
        let columns = trace.len();
        let trace_time = started.elapsed();
        let stark = EcdsaMsmStark::<F, D>::new();
        let lookup_columns =
            starky::stark::Stark::<F, D>::num_lookup_helper_columns(&stark, config);
        let started = Instant::now();
        let proof = starky::prover::prove::<F, C, _, D>(
            stark.clone(),
            config,
            trace,
            &[],
            None,
            &mut plonky2::util::timing::TimingTree::default(),
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
            "| ".to_string()
        };
        println!(
            "| {n} | 2^{} | {columns} (+{lookup_columns}) | {:.2} s | {:.2} s | {:.1} ms | {:.0} ms | {recursion} |",
            rows.trailing_zeros(),
            trace_time.as_secs_f64(),
            prove_time.as_secs_f64(),
            prove_time.as_secs_f64() * 1e3 / n as f64,
            verify_time.as_secs_f64() * 1e3
        );
    }
    Ok(())
}

fn scalar_multiplications(counts: &[usize], config: &StarkConfig) -> anyhow::Result<()> {
    use alloy_primitives::U256;
    use quire_prover::signature::secp256k1::curve::{double, GENERATOR};
    use quire_prover::signature::secp256k1::msm::{generate_trace, ScalarMulStark};
    println!();
    println!("| multiplications | rows | columns (+ lookup) | trace | prove | per multiplication | verify |");
    println!("| --- | --- | --- | --- | --- | --- | --- |");
    for &n in counts {
        // Distinct base points (multiples of G by doubling) and scalars.
        let mut t = GENERATOR;
        let work: Vec<Vec<(U256, _)>> = (0..n as u64)
            .map(|i| {
                t = double(t).0;
                vec![(U256::from(i + 3).pow(U256::from(40)) >> 4, t)]
            })
            .collect();
        let started = Instant::now();
        let (trace, _) = generate_trace::<F>(&ScalarMulStark::<F, D>::LAYOUT, &work)
            .map_err(anyhow::Error::msg)?;
        let rows = trace[0].len();
        let columns = trace.len();
        let trace_time = started.elapsed();
        let stark = ScalarMulStark::<F, D>::new();
        let lookup_columns =
            starky::stark::Stark::<F, D>::num_lookup_helper_columns(&stark, config);
        let started = Instant::now();
        let proof = starky::prover::prove::<F, C, _, D>(
            stark.clone(),
            config,
            trace,
            &[],
            None,
            &mut plonky2::util::timing::TimingTree::default(),
        )?;
        let prove_time = started.elapsed();
        let started = Instant::now();
        starky::verifier::verify_stark_proof(stark, proof, config, None)?;
        println!(
            "| {n} | 2^{} | {columns} (+{lookup_columns}) | {:.2} s | {:.2} s | {:.1} ms | {:.0} ms |",
            rows.trailing_zeros(),
            trace_time.as_secs_f64(),
            prove_time.as_secs_f64(),
            prove_time.as_secs_f64() * 1e3 / n as f64,
            started.elapsed().as_secs_f64() * 1e3
        );
    }
    Ok(())
}

fn field_products(counts: &[usize], config: &StarkConfig) -> anyhow::Result<()> {
    use alloy_primitives::U256;
    use quire_prover::signature::secp256k1::field_mul::{generate_trace, FieldMulStark, P};
    println!();
    println!("| products | rows | trace | prove | per product | verify |");
    println!("| --- | --- | --- | --- | --- | --- |");
    for &n in counts {
        let pairs: Vec<(U256, U256)> = (0..n as u64)
            .map(|i| {
                let a = U256::from(i + 1)
                    .wrapping_mul(U256::from(0x9e37_79b9_7f4a_7c15u64))
                    .pow(U256::from(5))
                    % P;
                (a, a.rotate_left(77) % P)
            })
            .collect();
        let t = Instant::now();
        let (trace, _) = generate_trace::<F>(&pairs);
        let rows = trace[0].len();
        let trace_time = t.elapsed();
        let stark = FieldMulStark::<F, D>::new();
        let t = Instant::now();
        let proof = starky::prover::prove::<F, C, _, D>(
            stark.clone(),
            config,
            trace,
            &[],
            None,
            &mut plonky2::util::timing::TimingTree::default(),
        )?;
        let prove_time = t.elapsed();
        let t = Instant::now();
        starky::verifier::verify_stark_proof(stark, proof, config, None)?;
        println!(
            "| {n} | 2^{} | {:.2} s | {:.2} s | {:.1} µs | {:.0} ms |",
            rows.trailing_zeros(),
            trace_time.as_secs_f64(),
            prove_time.as_secs_f64(),
            prove_time.as_secs_f64() * 1e6 / n as f64,
            t.elapsed().as_secs_f64() * 1e3
        );
    }
    Ok(())
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

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let products: Vec<usize> = args
        .field_products
        .iter()
        .copied()
        .filter(|&n| n > 0)
        .collect();
    if !products.is_empty() {
        field_products(&products, &config(1))?;
    }
    let multiplications: Vec<usize> = args
        .scalar_multiplications
        .iter()
        .copied()
        .filter(|&n| n > 0)
        .collect();
    if !multiplications.is_empty() {
        scalar_multiplications(&multiplications, &config(1))?;
    }
    let equations: Vec<usize> = args.ecdsa.iter().copied().filter(|&n| n > 0).collect();
    if !equations.is_empty() {
        ecdsa_tables(&equations, &config(1), args.recursion)?;
    }
    if args.permutations.is_empty() {
        return Ok(());
    }
    println!("| rate bits | permutations | rows | trace | prove | per permutation | proof | verify | plonky2 verifier | its proof |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for &rate_bits in &args.rate_bits {
        let config = config(rate_bits);
        for &n in &args.permutations {
            let inputs: Vec<KeccakState> = (0..n)
                .map(|i| {
                    std::array::from_fn(|l| {
                        ((i * 25 + l) as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
                    })
                })
                .collect();
            let t = Instant::now();
            let (trace, _) = generate_trace::<F>(&inputs);
            let rows = trace[0].len();
            let trace_time = t.elapsed();
            let t = Instant::now();
            let proof = prove_trace::<F, C, D>(trace, &config)?;
            let prove_time = t.elapsed();
            let size = serde_json::to_vec(&proof.proof)?.len();
            let t = Instant::now();
            verify_permutations(&proof, &config)?;
            let verify_time = t.elapsed();
            let recursion = if args.recursion {
                let degree_bits = proof.proof.recover_degree_bits(&config);
                let t = Instant::now();
                let verifier =
                    TableVerifier::<F, C, D>::new(KeccakStark::<F, D>::new(), degree_bits, &config);
                let build = t.elapsed();
                let t = Instant::now();
                let outer = verifier.prove(&proof)?;
                let outer_time = t.elapsed();
                verifier.data.verify(outer)?;
                format!(
                    "2^{} rows (built in {:.1} s) | {:.1} s",
                    verifier.data.common.degree_bits(),
                    build.as_secs_f64(),
                    outer_time.as_secs_f64()
                )
            } else {
                "| ".to_string()
            };
            println!(
                "| {rate_bits} | {n} | 2^{} | {:.2} s | {:.2} s | {:.1} ms | {} KB (JSON) | {:.0} ms | {recursion} |",
                rows.trailing_zeros(),
                trace_time.as_secs_f64(),
                prove_time.as_secs_f64(),
                prove_time.as_secs_f64() * 1e3 / n as f64,
                size / 1000,
                verify_time.as_secs_f64() * 1e3,
            );
        }
    }
    Ok(())
}
