//! Addresses as three big-endian limbs (48, 56, 56 bits): equality and order, for the
//! indexed tree's membership and absence checks.

use plonky2::field::types::Field;
use plonky2::iop::target::{BoolTarget, Target};

use crate::{Builder, F};

/// An address as `[bits 159..112, bits 111..56, bits 55..0]`.
pub type AddressTarget = [Target; 3];

/// Largest limb width: every limb is below 2^56.
const LIMB_BITS: usize = 56;

/// `x < y` for two limbs below 2^56: bit 56 of `x - y + 2^56` is clear.
fn limb_lt(b: &mut Builder, x: Target, y: Target) -> BoolTarget {
    let diff = b.sub(x, y);
    let shift = b.constant(F::from_canonical_u64(1 << LIMB_BITS));
    let shifted = b.add(diff, shift);
    let ge = b.split_le(shifted, LIMB_BITS + 1)[LIMB_BITS];
    b.not(ge)
}

/// `x == y`.
pub fn eq(b: &mut Builder, x: &AddressTarget, y: &AddressTarget) -> BoolTarget {
    let e0 = b.is_equal(x[0], y[0]);
    let e1 = b.is_equal(x[1], y[1]);
    let e2 = b.is_equal(x[2], y[2]);
    let e01 = b.and(e0, e1);
    b.and(e01, e2)
}

/// `x == 0` (the end of the sorted list).
pub fn is_zero(b: &mut Builder, x: &AddressTarget) -> BoolTarget {
    let zero = b.zero();
    eq(b, x, &[zero; 3])
}

/// `x < y` in address order (lexicographic over big-endian limbs).
pub fn lt(b: &mut Builder, x: &AddressTarget, y: &AddressTarget) -> BoolTarget {
    let lt0 = limb_lt(b, x[0], y[0]);
    let eq0 = b.is_equal(x[0], y[0]);
    let lt1 = limb_lt(b, x[1], y[1]);
    let eq1 = b.is_equal(x[1], y[1]);
    let lt2 = limb_lt(b, x[2], y[2]);
    // lt0 + eq0·(lt1 + eq1·lt2): the terms exclude each other, so the sum is a bit.
    let tail = b.mul_add(eq1.target, lt2.target, lt1.target);
    let all = b.mul_add(eq0.target, tail, lt0.target);
    BoolTarget::new_unsafe(all)
}

/// Asserts `cond ⇒ x == y`, limb by limb.
pub fn assert_eq_if(b: &mut Builder, cond: BoolTarget, x: &AddressTarget, y: &AddressTarget) {
    for i in 0..3 {
        assert_zero_if(b, cond, x[i], y[i]);
    }
}

/// Asserts `cond ⇒ x == y` for one element: `cond · (x - y) = 0`.
pub fn assert_zero_if(b: &mut Builder, cond: BoolTarget, x: Target, y: Target) {
    let d = b.sub(x, y);
    let p = b.mul(cond.target, d);
    b.assert_zero(p);
}
