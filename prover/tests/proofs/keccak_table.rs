//! The Keccak-f table: its rows follow the reference permutation, its proofs verify
//! natively and inside plonky2, and altered traces fail.

use plonky2::field::goldilocks_field::GoldilocksField;
use plonky2::field::polynomial::PolynomialValues;
use plonky2::field::types::Field;
use plonky2::plonk::config::PoseidonGoldilocksConfig;
use quire_prover::signature::keccak::columns::*;
use quire_prover::signature::keccak::proof::*;
use quire_prover::signature::keccak::{generate_trace, KeccakStark, KeccakState};
use quire_prover::signature::recursion::TableVerifier;
use starky::stark_testing::{test_stark_circuit_constraints, test_stark_low_degree};

type F = GoldilocksField;
type C = PoseidonGoldilocksConfig;
const D: usize = 2;

fn inputs(n: usize, seed: u64) -> Vec<KeccakState> {
    (0..n)
        .map(|i| {
            std::array::from_fn(|l| {
                (seed ^ (i as u64) << 8 ^ l as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15)
            })
        })
        .collect()
}

fn reference(input: &KeccakState) -> KeccakState {
    let mut s = *input;
    keccak::f1600(&mut s);
    s
}

#[test]
fn constraints_are_of_degree_three() {
    test_stark_low_degree::<F, _, D>(KeccakStark::<F, D>::new()).unwrap();
}

#[test]
fn recursive_constraints_agree_with_native_ones() {
    test_stark_circuit_constraints::<F, C, _, D>(KeccakStark::<F, D>::new()).unwrap();
}

#[test]
fn table_proves_permutations_that_match_the_reference() {
    let inputs = inputs(3, 1);
    let config = keccak_stark_config();
    let (proof, outputs) = prove_permutations::<F, C, D>(&inputs, &config).unwrap();
    for (input, output) in inputs.iter().zip(&outputs) {
        assert_eq!(*output, reference(input));
    }
    verify_permutations(&proof, &config).unwrap();
}

/// Proves `trace` and expects the proof (if the prover makes one) not to verify.
fn assert_refused(trace: Vec<PolynomialValues<F>>, what: &str) {
    let config = keccak_stark_config();
    let result = prove_trace::<F, C, D>(trace, &config)
        .and_then(|proof| verify_permutations(&proof, &config));
    assert!(result.is_err(), "{what} was accepted");
}

fn set(trace: &mut [PolynomialValues<F>], row: usize, col: usize, value: u64) {
    trace[col].values[row] = F::from_canonical_u64(value);
}

#[test]
fn a_wrong_output_is_refused() {
    let (mut trace, outputs) = generate_trace::<F>(&inputs(2, 2));
    let last_row = 23;
    let wrong = (outputs[0][3] & 0xffff_ffff) ^ 1;
    set(&mut trace, last_row, output_limb(3, 0), wrong);
    assert_refused(trace, "an output limb changed");
}

#[test]
fn an_input_other_than_the_first_state_is_refused() {
    let (mut trace, _) = generate_trace::<F>(&inputs(2, 3));
    for row in 0..24 {
        set(&mut trace, row, input_limb(7, 1), 12345);
    }
    assert_refused(trace, "an input that the rounds did not start from");
}

#[test]
fn a_permutation_that_skips_its_first_round_is_refused() {
    let (trace, _) = generate_trace::<F>(&inputs(2, 4));
    // Drop the first row: the table now starts at round 1 of the first permutation.
    let shifted = trace
        .into_iter()
        .map(|col| {
            let mut v = col.values[1..].to_vec();
            v.push(F::ZERO);
            PolynomialValues::new(v)
        })
        .collect();
    assert_refused(shifted, "a table starting at round 1");
}

#[test]
fn a_spliced_permutation_is_refused() {
    // Rounds 0..12 of one permutation followed by rounds 12..24 of another: the output
    // would pass off the second permutation's output as the first input's.
    let (mut trace, _) = generate_trace::<F>(&inputs(2, 5));
    for col in trace.iter_mut() {
        for row in 12..24 {
            col.values[row] = col.values[row + 24];
        }
    }
    for row in 12..24 {
        for l in 0..LANES {
            for j in 0..LIMBS {
                let first = trace[input_limb(l, j)].values[0];
                trace[input_limb(l, j)].values[row] = first;
            }
        }
    }
    assert_refused(trace, "a spliced permutation");
}

#[test]
fn plonky2_verifies_a_table_proof() {
    let inputs = inputs(2, 6);
    let config = keccak_stark_config();
    let (proof, _) = prove_permutations::<F, C, D>(&inputs, &config).unwrap();
    let degree_bits = proof.proof.recover_degree_bits(&config);
    let verifier = TableVerifier::<F, C, D>::new(KeccakStark::<F, D>::new(), degree_bits, &config);
    eprintln!(
        "verifier circuit: 2^{} rows",
        verifier.data.common.degree_bits()
    );
    let outer = verifier.prove(&proof).unwrap();
    verifier.data.verify(outer).unwrap();

    // The same circuit refuses a proof of another table (its openings altered).
    let mut bad = proof.clone();
    bad.proof.openings.local_values[0] +=
        plonky2::field::goldilocks_field::GoldilocksField::ONE.into();
    assert!(
        verifier.prove(&bad).is_err(),
        "an altered table proof was verified"
    );
}
