//! The secp256k1 scalar-multiplication table as a whole: its constraints have the declared
//! degree, its recursive evaluator agrees with the native one, and (ignored: 2^16 rows,
//! about 80 s and 4.4 GB) a full table proves and verifies.
//!
//! The rule-by-rule negative tests are unit tests in `scalar_mul.rs`; the ignored proof:
//! `cargo test --release -p quire-prover --test scalar_mul_table -- --ignored`.

use alloy_primitives::U256;
use plonky2::field::goldilocks_field::GoldilocksField;
use plonky2::plonk::config::PoseidonGoldilocksConfig;
use plonky2::util::timing::TimingTree;
use quire_prover::signature::secp256k1::curve::{double, GENERATOR};
use quire_prover::signature::secp256k1::scalar_mul::{generate_trace, ScalarMulStark};
use starky::config::StarkConfig;
use starky::prover::prove;
use starky::stark_testing::{test_stark_circuit_constraints, test_stark_low_degree};
use starky::verifier::verify_stark_proof;

type F = GoldilocksField;
type C = PoseidonGoldilocksConfig;
const D: usize = 2;

#[test]
fn constraints_have_the_declared_degree() {
    test_stark_low_degree::<F, _, D>(ScalarMulStark::<F, D>::new()).unwrap();
}

#[test]
fn recursive_constraints_agree_with_native_ones() {
    test_stark_circuit_constraints::<F, C, _, D>(ScalarMulStark::<F, D>::new()).unwrap();
}

#[test]
#[ignore = "2^16 rows: about 80 s and 4.4 GB"]
fn a_full_table_proves_and_verifies() {
    let t = double(GENERATOR).0;
    let work = vec![(U256::from(12345), t), (U256::MAX >> 1, GENERATOR)];
    let (trace, _) = generate_trace::<F>(&work).unwrap();
    let config = StarkConfig::standard_fast_config();
    let stark = ScalarMulStark::<F, D>::new();
    let proof = prove::<F, C, _, D>(
        stark.clone(),
        &config,
        trace,
        &[],
        None,
        &mut TimingTree::default(),
    )
    .unwrap();
    verify_stark_proof(stark, proof, &config, None).unwrap();
}
