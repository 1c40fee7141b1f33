//! The secp256k1 multi-scalar-multiplication tables as a whole: their constraints have the
//! declared degree, their recursive evaluators agree with the native ones, and (ignored:
//! 2^16 rows each, 50–110 s and up to 8 GB) full tables prove and verify.
//!
//! The rule-by-rule negative tests are unit tests in `msm.rs`; the ignored proofs:
//! `cargo test --release -p quire-prover --test msm_tables -- --ignored`.

use alloy_primitives::U256;
use plonky2::field::goldilocks_field::GoldilocksField;
use plonky2::plonk::config::PoseidonGoldilocksConfig;
use plonky2::util::timing::TimingTree;
use quire_prover::signature::secp256k1::curve::{double, Point, GENERATOR};
use quire_prover::signature::secp256k1::msm::{
    ecdsa_work, generate_trace, zero_output, EcdsaMsmStark, ScalarMulStark,
};
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
    test_stark_low_degree::<F, _, D>(EcdsaMsmStark::<F, D>::new()).unwrap();
}

#[test]
fn recursive_constraints_agree_with_native_ones() {
    test_stark_circuit_constraints::<F, C, _, D>(ScalarMulStark::<F, D>::new()).unwrap();
    test_stark_circuit_constraints::<F, C, _, D>(EcdsaMsmStark::<F, D>::new()).unwrap();
}

/// An ECDSA signature by key `d` over hash `z` with nonce `k`, as the table's work.
fn signed(d: u64, z: U256, k: u64) -> Vec<(U256, Point)> {
    use k256::elliptic_curve::sec1::ToEncodedPoint;
    use k256::elliptic_curve::PrimeField;
    use k256::{ProjectivePoint, Scalar};
    let point = |p: ProjectivePoint| {
        let e = p.to_affine().to_encoded_point(false);
        (
            U256::from_be_slice(e.x().unwrap()),
            U256::from_be_slice(e.y().unwrap()),
        )
    };
    let scalar = |v: U256| Scalar::from_repr(v.to_be_bytes::<32>().into()).unwrap();
    let g = ProjectivePoint::GENERATOR;
    let r_point = g * Scalar::from(k);
    let n = U256::from_be_slice(&(-Scalar::ONE).to_bytes()) + U256::from(1);
    let r = point(r_point).0 % n;
    let s = Scalar::from(k).invert().unwrap() * (scalar(z) + scalar(r) * Scalar::from(d));
    ecdsa_work(
        point(r_point),
        point(g * Scalar::from(d)),
        r,
        U256::from_be_slice(&s.to_bytes()),
        z,
    )
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

#[test]
#[ignore = "2^16 rows: about 110 s and 8 GB"]
fn a_full_ecdsa_table_proves_and_verifies() {
    let work = vec![
        signed(7, U256::from(123_456_789u64), 11),
        signed(8, U256::MAX >> 3, 13),
    ];
    let (trace, outputs) = generate_trace::<F>(&EcdsaMsmStark::<F, D>::LAYOUT, &work).unwrap();
    assert!(outputs.iter().all(|&o| o == zero_output()));
    prove_and_verify(EcdsaMsmStark::<F, D>::new(), trace);
}
