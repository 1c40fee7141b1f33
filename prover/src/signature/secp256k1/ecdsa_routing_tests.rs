//! The range rules (low s, r below n) hold only because every limb of their differences
//! is looked up in the range table. A cheater who writes field elements instead of 16-bit
//! limbs satisfies every constraint of the ECDSA table (the direct evaluation the other
//! tests use skips lookups), so these tests prove the three tables for real and check that
//! the proof is refused: they fail if a difference column is dropped from
//! [`range_checked_columns`].

use plonky2::field::goldilocks_field::GoldilocksField;
use plonky2::field::types::{Field, PrimeField64};

use super::tests::{big_r, cheat, failures, hash, high_s, signed};
use super::*;
use crate::signature::tables::{
    prove_with_ecdsa_trace, verify_tables, LookedUp, TableConfigs, TableSizes,
};

type F = GoldilocksField;

/// Rows for `input` whose rule `k` (`scalar + d = bound`) holds in the field with no
/// carries: each pair of d's limbs is `bound − scalar` as a field element in its low limb,
/// 16 bits or more wherever the scalar is above the bound.
fn field_differences(input: &EcdsaInput, k: usize) -> Vec<Vec<u64>> {
    let mut rows = cheat(input);
    let (j, bound) = BOUNDS[k];
    let scalar = limbs_of([input.r, input.s, input.z][j]);
    let bound = limbs_of(bound());
    let pair = |v: &[u64; LIMBS], m: usize| v[2 * m] + (v[2 * m + 1] << 16);
    for row in &mut rows {
        for m in 0..PAIRS {
            let d =
                F::from_canonical_u64(pair(&bound, m)) - F::from_canonical_u64(pair(&scalar, m));
            row[difference(k, 2 * m)] = d.to_canonical_u64();
            row[difference(k, 2 * m + 1)] = 0;
            if m < PAIRS - 1 {
                row[carry(k, m)] = 0;
            }
        }
    }
    rows
}

/// Proves the three tables with `rows` as the ECDSA table's (one signature, then padding)
/// and verifies them with `input` as the circuit's only looked-up signature.
fn tables_accept(rows: Vec<Vec<u64>>, input: &EcdsaInput) -> bool {
    type C = crate::C;
    let sizes = TableSizes::for_counts(1, 0);
    let mut rows = rows;
    pad_rows::<F>(&mut rows, 1 << sizes.ecdsa).unwrap();
    let trace = trace_of_rows::<F>(&rows);
    let configs = TableConfigs::for_capacity(1);
    let prefix = [F::from_canonical_u64(7)];
    let proven = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        prove_with_ecdsa_trace::<F, C, 2>(trace, &[], sizes, &prefix, &configs)
    }));
    let Ok(Ok(proofs)) = proven else {
        return false;
    };
    let looked_up = LookedUp {
        ecdsa: vec![exported_values(input)],
        keccak: vec![],
    };
    verify_tables(&proofs, &looked_up, &prefix, &configs).is_ok()
}

#[test]
fn difference_limbs_out_of_range_fail_the_table_proof() {
    // The harness accepts an honest signature.
    let honest = signed(0x1234_5678, hash(), 0x9876_5432);
    assert!(tables_accept(cheat(&honest), &honest));
    // High s (rule 0) and r at or above n (rule 1), with field-element differences: no
    // constraint of the table fails; the range lookup refuses them.
    for (input, k, what) in [(high_s(), 0, "high s"), (big_r(), 1, "r ≥ n")] {
        let rows = field_differences(&input, k);
        assert_eq!(failures(&rows[..STEPS]), Vec::<usize>::new(), "{what}");
        assert!(
            rows[STEPS - 1][difference(k, 0)..difference(k, 0) + LIMBS]
                .iter()
                .any(|&v| v >= 1 << 16),
            "{what}: some limb is out of range"
        );
        assert!(!tables_accept(rows, &input), "{what} is refused");
    }
    // The cheats were above their bounds.
    assert!(high_s().s > half_order() && big_r().r > order_minus_one());
}
