//! The secp256k1 tables as a whole (scalar multiplication, the ECDSA table, the range
//! table): their constraints have the declared degree, their recursive evaluators agree
//! with the native ones, and (ignored: 2^16 rows, about 50 s and 4 GB) a full scalar
//! multiplication table proves and verifies. The ECDSA table is proven with the other
//! signature tables in `tests/signature_proof.rs`.
//!
//! The rule-by-rule negative tests are unit tests in `msm.rs` and `ecdsa.rs`; the ignored
//! proof: `cargo test --release -p quire-prover --test proofs -- msm_tables:: --ignored`.

use alloy_primitives::U256;
use plonky2::field::goldilocks_field::GoldilocksField;
use plonky2::plonk::config::PoseidonGoldilocksConfig;
use plonky2::util::timing::TimingTree;
use quire_prover::signature::secp256k1::curve::{double, GENERATOR};
use quire_prover::signature::secp256k1::ecdsa::EcdsaStark;
use quire_prover::signature::secp256k1::msm::{generate_trace, ScalarMulStark};
use quire_prover::signature::secp256k1::range::RangeStark;
use starky::config::StarkConfig;
use starky::prover::prove;
use starky::stark::Stark;
use starky::stark_testing::{test_stark_circuit_constraints, test_stark_low_degree};
use starky::verifier::verify_stark_proof;

type F = GoldilocksField;
type C = PoseidonGoldilocksConfig;
const D: usize = 2;

#[test]
fn constraints_have_the_declared_degree() {
    test_stark_low_degree::<F, _, D>(ScalarMulStark::<F, D>::new()).unwrap();
    test_stark_low_degree::<F, _, D>(EcdsaStark::<F, D>::new()).unwrap();
    test_stark_low_degree::<F, _, D>(RangeStark::<F, D>::new()).unwrap();
}

#[test]
fn recursive_constraints_agree_with_native_ones() {
    test_stark_circuit_constraints::<F, C, _, D>(ScalarMulStark::<F, D>::new()).unwrap();
    test_stark_circuit_constraints::<F, C, _, D>(EcdsaStark::<F, D>::new()).unwrap();
    test_stark_circuit_constraints::<F, C, _, D>(RangeStark::<F, D>::new()).unwrap();
}

fn prove_and_verify<S: Stark<F, D> + Clone>(
    stark: S,
    trace: Vec<plonky2::field::polynomial::PolynomialValues<F>>,
) {
    let config = StarkConfig::standard_fast_config();
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

#[test]
#[ignore = "2^16 rows: about 50 s and 4 GB"]
fn a_full_scalar_multiplication_table_proves_and_verifies() {
    let t = double(GENERATOR).0;
    let work = vec![
        vec![(U256::from(12345), t)],
        vec![(U256::MAX >> 1, GENERATOR)],
    ];
    let (trace, _) = generate_trace::<F>(&ScalarMulStark::<F, D>::LAYOUT, &work).unwrap();
    prove_and_verify(ScalarMulStark::<F, D>::new(), trace);
}
