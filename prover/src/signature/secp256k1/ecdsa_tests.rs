//! The ECDSA table's rules, checked by evaluating its constraints on honest and cheating
//! rows (no proof; lookups are in `ecdsa_routing_tests.rs`).
use k256::elliptic_curve::ops::Reduce;
use k256::{ProjectivePoint, Scalar};
use plonky2::field::goldilocks_field::GoldilocksField;
use plonky2::field::types::PrimeField64;

use super::super::curve::lift_x;
use super::super::testing::{failing_rows, from_k256, to_k256, to_u256};
use super::*;

type F = GoldilocksField;
const D: usize = 2;

pub(super) fn reduce(v: U256) -> Scalar {
    <Scalar as Reduce<k256::U256>>::reduce_bytes(&v.to_be_bytes::<32>().into())
}

/// A valid low-s signature by key `d` over `z` with nonce `k`.
pub(super) fn signed(d: u64, z: U256, k: u64) -> EcdsaInput {
    let g = ProjectivePoint::GENERATOR;
    let mut r_point = from_k256(g * Scalar::from(k));
    let r = r_point.0;
    assert!(r < ORDER);
    let mut s =
        to_u256(Scalar::from(k).invert().unwrap() * (reduce(z) + reduce(r) * Scalar::from(d)));
    if s > half_order() {
        s = ORDER - s;
        r_point = lift_x(r, !r_point.1.bit(0)).unwrap();
    }
    EcdsaInput {
        q: from_k256(g * Scalar::from(d)),
        r_point,
        r,
        s,
        z,
    }
}

pub(super) fn hash() -> U256 {
    U256::from(0xdead_beef_u64).pow(U256::from(7))
}

pub(super) fn cheat(input: &EcdsaInput) -> Vec<Vec<u64>> {
    rows_unchecked::<F>(&CURVE.identities(), input, true)
        .unwrap()
        .0
}

pub(super) fn failures(rows: &[Vec<u64>]) -> Vec<usize> {
    failing_rows(&EcdsaStark::<F, D>::new(), rows)
}

#[test]
fn a_valid_signature_satisfies_every_constraint() {
    let input = signed(0x1234_5678, hash(), 0x9876_5432);
    let rows = signature_rows::<F>(&CURVE.identities(), &input, true).unwrap();
    assert_eq!(failures(&rows), Vec::<usize>::new());
    let last = &rows[STEPS - 1];
    let exported: Vec<u64> = exported_indices().iter().map(|&c| last[c]).collect();
    assert_eq!(exported, exported_values(&input));
    assert_eq!(
        failures(&signature_rows::<F>(&CURVE.identities(), &padding_signature(), false).unwrap()),
        Vec::<usize>::new()
    );
}

#[test]
fn a_wrong_signature_another_key_or_another_hash_is_refused() {
    let input = signed(0x1234_5678, hash(), 0x9876_5432);
    let wrong_s = EcdsaInput {
        s: input.s - U256::from(1),
        ..input
    };
    let other_key = EcdsaInput {
        q: from_k256(ProjectivePoint::GENERATOR * Scalar::from(0x1234_5679u64)),
        ..input
    };
    let other_hash = EcdsaInput {
        z: input.z + U256::from(1),
        ..input
    };
    for cheat_input in [wrong_s, other_key, other_hash] {
        assert!(signature_rows::<F>(&CURVE.identities(), &cheat_input, true).is_err());
        assert_eq!(failures(&cheat(&cheat_input)), vec![STEPS - 1]);
    }
}

/// (r, n − s) with −R: the same signature, valid but for EIP-2's low s.
pub(super) fn high_s() -> EcdsaInput {
    let input = signed(0x1234_5678, hash(), 0x9876_5432);
    EcdsaInput {
        s: ORDER - input.s,
        r_point: (
            input.r_point.0,
            (super::super::identity::P - input.r_point.1),
        ),
        ..input
    }
}

#[test]
fn high_s_is_refused() {
    assert_eq!(failures(&cheat(&high_s())), vec![STEPS - 1]);
}

#[test]
fn a_nonce_point_whose_x_is_not_r_is_refused() {
    // The forgery ECDSA's x check prevents: any r, and R = (z·G + r·Q)/s.
    let input = signed(0x1234_5678, hash(), 0x9876_5432);
    let r = input.r + U256::from(1);
    let q = to_k256(input.q);
    let r_point = (ProjectivePoint::GENERATOR * reduce(input.z) + q * reduce(r))
        * reduce(input.s).invert().unwrap();
    let forged = EcdsaInput {
        r_point: from_k256(r_point),
        r,
        ..input
    };
    assert_eq!(failures(&cheat(&forged)), vec![STEPS - 1]);
}

#[test]
fn s_zero_is_refused() {
    // s = 0 with Q = −(z/r)·G satisfies the equation.
    let input = signed(0x1234_5678, hash(), 0x9876_5432);
    let key = -(ProjectivePoint::GENERATOR * (reduce(input.z) * reduce(input.r).invert().unwrap()));
    let zero_s = EcdsaInput {
        s: U256::ZERO,
        q: from_k256(key),
        ..input
    };
    assert_eq!(failures(&cheat(&zero_s)), vec![STEPS - 1]);
}

/// R with n ≤ x < p, and the key that makes the equation hold for r = R.x.
pub(super) fn big_r() -> EcdsaInput {
    let mut x = ORDER + U256::from(1);
    let r_point = loop {
        if let Some(p) = lift_x(x, false) {
            break p;
        }
        x += U256::from(1);
    };
    let (s, z) = (U256::from(12345), hash());
    let q = (to_k256(r_point) * reduce(s) - ProjectivePoint::GENERATOR * reduce(z))
        * reduce(r_point.0).invert().unwrap();
    EcdsaInput {
        q: from_k256(q),
        r_point,
        r: r_point.0,
        s,
        z,
    }
}

#[test]
fn r_at_or_above_the_order_is_refused() {
    assert_eq!(failures(&cheat(&big_r())), vec![STEPS - 1]);
}

#[test]
fn r_zero_is_refused() {
    // r = 0 would make the key drop out of the equation (−s·R + z·G = 0 holds for
    // R = (z/s)·G and any Q). No point of secp256k1 has x = 0 (7 is not a square mod
    // p), so r = R.x refuses it; the limb sum's inverse refuses it again.
    assert!(lift_x(U256::ZERO, false).is_none() && lift_x(U256::ZERO, true).is_none());
    let input = signed(0x1234_5678, hash(), 0x9876_5432);
    let r_point =
        ProjectivePoint::GENERATOR * (reduce(input.z) * reduce(input.s).invert().unwrap());
    let zero_r = EcdsaInput {
        r_point: from_k256(r_point),
        r: U256::ZERO,
        ..input
    };
    assert!(signature_rows::<F>(&CURVE.identities(), &zero_r, true).is_err());
    assert_eq!(failures(&cheat(&zero_r)), vec![STEPS - 1]);
}

/// `rows` with scalar `j`'s register holding `value` (what the rules after the
/// multiplication read: r = R.x, the bounds, the export) while the bits multiply by another
/// scalar; the range rules' columns are rewritten for `value`, so that only the ties of the
/// register to the gathered bits can refuse it.
fn with_register(mut rows: Vec<Vec<u64>>, j: usize, value: U256) -> Vec<Vec<u64>> {
    let limbs = limbs_of(value);
    let mut register = limbs;
    for (step, row) in rows.iter_mut().enumerate() {
        for i in 0..LIMBS {
            row[register_column(j, i)] = register[i];
        }
        if step % 16 == 15 {
            register.rotate_right(1);
        }
        for (k, &(scalar, bound)) in BOUNDS.iter().enumerate() {
            if scalar != j {
                continue;
            }
            let d = limbs_of(bound().wrapping_sub(value));
            row[difference(k, 0)..difference(k, 0) + LIMBS].copy_from_slice(&d);
            let pair = |v: &[u64; LIMBS], m: usize| v[2 * m] + (v[2 * m + 1] << 16);
            let mut c = 0u64;
            for m in 0..PAIRS - 1 {
                c = (pair(&limbs, m) + pair(&d, m) + c) >> 32;
                row[carry(k, m)] = c;
            }
            let sum: u64 = limbs.iter().sum();
            row[inverse(k)] = F::from_canonical_u64(sum).inverse().to_canonical_u64();
        }
    }
    rows
}

/// Refused by the ties of a register to its gathered bits alone: only limb ends fail,
/// and not only the last row (where the rules that read the register also are).
fn refused_at_limb_ends(rows: &[Vec<u64>]) {
    let failing = failures(rows);
    assert!(failing.iter().any(|&i| i < STEPS - 1), "{failing:?}");
    assert!(failing.iter().all(|&i| i % 16 == 15), "{failing:?}");
}

#[test]
fn an_exported_hash_other_than_the_multiplied_one_is_refused() {
    // Every row multiplies by z, but the register (what the lookup exports) holds another
    // hash: z + 1 (its low limb, gathered last, differs) and z with a high bit flipped (its
    // top limb, gathered first).
    let input = signed(0x1234_5678, hash(), 0x9876_5432);
    let low = failures(&with_register(
        cheat(&input),
        SCALAR_Z,
        input.z + U256::from(1),
    ));
    assert_eq!(low, vec![STEPS - 1]);
    let high = input.z ^ (U256::from(1) << 250);
    refused_at_limb_ends(&with_register(cheat(&input), SCALAR_Z, high));
}

#[test]
fn a_checked_s_other_than_the_multiplied_one_is_refused() {
    // The bits multiply by a high s; the register (what the low-s rule checks) holds
    // the low one.
    let high = high_s();
    refused_at_limb_ends(&with_register(cheat(&high), SCALAR_S, ORDER - high.s));
}

#[test]
fn a_checked_r_other_than_the_multiplied_one_is_refused() {
    // The forgery of `a_nonce_point_whose_x_is_not_r_is_refused` (multiply by any r,
    // R = (z·G + r·Q)/s) with the register (what r = R.x checks) holding R.x.
    let input = signed(0x1234_5678, hash(), 0x9876_5432);
    let r = input.r + U256::from(1);
    let r_point = (ProjectivePoint::GENERATOR * reduce(input.z) + to_k256(input.q) * reduce(r))
        * reduce(input.s).invert().unwrap();
    let forged = EcdsaInput {
        r_point: from_k256(r_point),
        r,
        ..input
    };
    let rows = with_register(cheat(&forged), SCALAR_R, forged.r_point.0);
    refused_at_limb_ends(&rows);
}

fn register_column(j: usize, i: usize) -> usize {
    register(j, i)
}
