//! The secp256k1 field-product table: products agree with big-integer arithmetic, proofs
//! verify, and a wrong remainder or an out-of-range limb is refused.

use alloy_primitives::U256;
use plonky2::field::goldilocks_field::GoldilocksField;
use plonky2::field::polynomial::PolynomialValues;
use plonky2::field::types::{Field, PrimeField64};
use plonky2::plonk::config::PoseidonGoldilocksConfig;
use plonky2::util::timing::TimingTree;
use quire_prover::signature::secp256k1::field_mul::*;
use starky::config::StarkConfig;
use starky::prover::prove;
use starky::stark_testing::{test_stark_circuit_constraints, test_stark_low_degree};
use starky::verifier::verify_stark_proof;

type F = GoldilocksField;
type C = PoseidonGoldilocksConfig;
const D: usize = 2;

fn pairs(n: usize) -> Vec<(U256, U256)> {
    let mut x = U256::from(0x1234_5678_9abc_def0u64);
    let mut out = vec![
        (P - U256::from(1), P - U256::from(1)),
        (U256::ZERO, P - U256::from(2)),
    ];
    while out.len() < n {
        x = x.wrapping_mul(U256::from(6_364_136_223_846_793_005u64))
            + U256::from(1_442_695_040_888_963_407u64);
        let y = x.rotate_left(97);
        out.push((x % P, y % P));
    }
    out
}

fn prove_and_verify(trace: Vec<PolynomialValues<F>>) -> anyhow::Result<()> {
    let config = StarkConfig::standard_fast_config();
    let stark = FieldMulStark::<F, D>::new();
    let proof = prove::<F, C, _, D>(
        stark.clone(),
        &config,
        trace,
        &[],
        None,
        &mut TimingTree::default(),
    )?;
    verify_stark_proof(stark, proof, &config, None)
}

#[test]
fn constraints_have_the_declared_degree() {
    test_stark_low_degree::<F, _, D>(FieldMulStark::<F, D>::new()).unwrap();
}

#[test]
fn recursive_constraints_agree_with_native_ones() {
    test_stark_circuit_constraints::<F, C, _, D>(FieldMulStark::<F, D>::new()).unwrap();
}

#[test]
fn products_are_proven_and_match_big_integers() {
    let pairs = pairs(1000);
    let (trace, remainders) = generate_trace::<F>(&pairs);
    for (&(a, b), r) in pairs.iter().zip(&remainders) {
        assert_eq!(*r, a.mul_mod(b, P));
    }
    prove_and_verify(trace).unwrap();
}

#[test]
fn a_wrong_remainder_is_refused() {
    let (mut trace, _) = generate_trace::<F>(&pairs(4));
    trace[R].values[2] += F::ONE;
    assert!(prove_and_verify(trace).is_err());
}

/// Writes `value` at (`col`, `row`) and keeps the frequency column consistent wherever the
/// values are in range, so that only the rule under test can catch the change.
fn replace(trace: &mut [PolynomialValues<F>], col: usize, row: usize, value: u64) {
    let old = trace[col].values[row].to_canonical_u64();
    trace[FREQUENCIES].values[old as usize] -= F::ONE;
    if value < 1 << 16 {
        trace[FREQUENCIES].values[value as usize] += F::ONE;
    }
    trace[col].values[row] = F::from_canonical_u64(value);
}

fn value(trace: &[PolynomialValues<F>], col: usize, row: usize) -> u64 {
    trace[col].values[row].to_canonical_u64()
}

#[test]
fn a_limb_out_of_range_is_refused() {
    // Limb 0 of r raised by 2^16 and limb 1 lowered by 1: the pair (limb 0, limb 1) keeps
    // its value, so every coefficient constraint still holds; only the range lookup can
    // see it.
    let (mut trace, _) = generate_trace::<F>(&pairs(4));
    let row = 2;
    let (r0, r1) = (value(&trace, R, row), value(&trace, R + 1, row));
    assert!(r1 > 0, "pick a row where the change fits");
    replace(&mut trace, R, row, r0 + (1 << 16));
    replace(&mut trace, R + 1, row, r1 - 1);
    assert!(prove_and_verify(trace).is_err());
}
