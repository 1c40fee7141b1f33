//! Amounts below 2^96 as two 48-bit limbs, the encoding of balances in state-tree leaves.
//!
//! Every result is normalised (each limb < 2^48) and range-checked, so limb arithmetic never
//! wraps the Goldilocks field and a leaf hash has exactly one preimage per amount. Each
//! range check is one `BaseSumGate` row (up to 63 bits), which is why comparisons split a
//! single shifted difference instead of decomposing both operands.

use plonky2::field::types::Field;
use plonky2::iop::target::{BoolTarget, Target};

use crate::{Builder, F};

/// Bits per limb.
pub const LIMB_BITS: usize = 48;

/// A 96-bit unsigned amount `lo + 2^48 · hi`.
#[derive(Clone, Copy, Debug)]
pub struct U96Target {
    /// Low 48 bits.
    pub lo: Target,
    /// High 48 bits.
    pub hi: Target,
}

fn two_48() -> F {
    F::from_canonical_u64(1 << LIMB_BITS)
}

impl U96Target {
    /// Wraps two limbs the caller knows to be canonical (bound by a hash or a range check).
    pub fn new(lo: Target, hi: Target) -> Self {
        Self { lo, hi }
    }

    /// The constant zero.
    pub fn zero(b: &mut Builder) -> Self {
        let z = b.zero();
        Self { lo: z, hi: z }
    }

    /// Limbs in leaf order `[lo, hi]`.
    pub fn limbs(&self) -> [Target; 2] {
        [self.lo, self.hi]
    }
}

/// `x + y`, asserting the sum stays below 2^96.
pub fn add(b: &mut Builder, x: U96Target, y: U96Target) -> U96Target {
    let s = b.add(x.lo, y.lo);
    // s < 2^49: bit 48 is the carry.
    let bits = b.split_le(s, LIMB_BITS + 1);
    let carry = bits[LIMB_BITS].target;
    let one = b.one();
    let lo = b.arithmetic(-two_48(), F::ONE, carry, one, s);
    let hi_sum = b.add(x.hi, y.hi);
    let hi = b.add(hi_sum, carry);
    b.range_check(hi, LIMB_BITS);
    U96Target { lo, hi }
}

/// `Σ 2^i · bits[i]`, as arithmetic operations (`le_sum` would spend a gate row).
fn small_sum(b: &mut Builder, bits: &[BoolTarget]) -> Target {
    let mut acc = b.zero();
    for (i, bit) in bits.iter().enumerate() {
        acc = b.mul_const_add(F::from_canonical_u64(1 << i), bit.target, acc);
    }
    acc
}

/// `x + y + z`, asserting the sum stays below 2^96. One split and one range check, where
/// two [`add`]s would take four rows. `z.lo` may be up to 2^50 (the split bounds it).
pub fn add3(b: &mut Builder, x: U96Target, y: U96Target, z: U96Target) -> U96Target {
    let s = b.add_many([x.lo, y.lo, z.lo]);
    // s < 2^51: bits 48..51 are the carry.
    let bits = b.split_le(s, LIMB_BITS + 3);
    let carry = small_sum(b, &bits[LIMB_BITS..]);
    let one = b.one();
    let lo = b.arithmetic(-two_48(), F::ONE, carry, one, s);
    let hi = b.add_many([x.hi, y.hi, z.hi, carry]);
    b.range_check(hi, LIMB_BITS);
    U96Target { lo, hi }
}

/// `x + y - v - w`, asserting the result lies in [0, 2^96): the sender's debit in one
/// split and one range check. `x`, `y`, `w` are canonical; `v.lo` is below 2^51 (a
/// transfer value, bounded by the receiver's [`add3`] in the same slot).
///
/// The low limbs' difference is offset by 2^52 so that it splits as a non-negative
/// number; its bits above 48 are the (offset) carry into the high limb, and the high limb's
/// range check fails exactly when the true result is negative or too large.
pub fn add_sub(
    b: &mut Builder,
    x: U96Target,
    y: U96Target,
    v: U96Target,
    w: U96Target,
) -> U96Target {
    const OFFSET_BITS: usize = 52;
    let plus = b.add(x.lo, y.lo);
    let minus = b.add(v.lo, w.lo);
    let diff = b.sub(plus, minus);
    let offset = b.constant(F::from_canonical_u64(1 << OFFSET_BITS));
    let t = b.add(diff, offset);
    let bits = b.split_le(t, OFFSET_BITS + 1);
    let q = small_sum(b, &bits[LIMB_BITS..]);
    let one = b.one();
    let lo = b.arithmetic(-two_48(), F::ONE, q, one, t);
    let hi_plus = b.add_many([x.hi, y.hi, q]);
    let hi_minus = b.add_many([v.hi, w.hi]);
    let hi_diff = b.sub(hi_plus, hi_minus);
    let hi = b.add_const(
        hi_diff,
        -F::from_canonical_u64(1 << (OFFSET_BITS - LIMB_BITS)),
    );
    b.range_check(hi, LIMB_BITS);
    U96Target { lo, hi }
}

/// `a ≥ b` for two limbs below 2^48: bit 48 of `a - b + 2^48`.
fn limb_ge(b: &mut Builder, x: Target, y: Target) -> BoolTarget {
    let diff = b.sub(x, y);
    let shift = b.constant(two_48());
    let shifted = b.add(diff, shift);
    b.split_le(shifted, LIMB_BITS + 1)[LIMB_BITS]
}

/// `x ≥ y`.
pub fn ge(b: &mut Builder, x: U96Target, y: U96Target) -> BoolTarget {
    ge_with_low(b, x, y).0
}

/// `x ≥ y`, and whether `x.lo ≥ y.lo` (no borrow in a subtraction).
fn ge_with_low(b: &mut Builder, x: U96Target, y: U96Target) -> (BoolTarget, BoolTarget) {
    let ge_lo = limb_ge(b, x.lo, y.lo);
    let ge_hi = limb_ge(b, x.hi, y.hi);
    let eq_hi = b.is_equal(x.hi, y.hi);
    // Equal high limbs: the low limbs decide; otherwise the high limbs do (and differ).
    let ge = b.select(eq_hi, ge_lo.target, ge_hi.target);
    (BoolTarget::new_unsafe(ge), ge_lo)
}

/// `x - y`, asserting `x ≥ y`.
pub fn sub(b: &mut Builder, x: U96Target, y: U96Target) -> U96Target {
    let (ge, ge_lo) = ge_with_low(b, x, y);
    let one = b.one();
    b.connect(ge.target, one);
    let borrow = b.not(ge_lo);
    // lo = x.lo - y.lo + borrow · 2^48, in [0, 2^48) by the choice of borrow.
    let d = b.sub(x.lo, y.lo);
    let lo = b.arithmetic(two_48(), F::ONE, borrow.target, one, d);
    // hi = x.hi - y.hi - borrow, in [0, 2^48) because x ≥ y.
    let dh = b.sub(x.hi, y.hi);
    let hi = b.sub(dh, borrow.target);
    U96Target { lo, hi }
}

/// `cond ? x : y`.
pub fn select(b: &mut Builder, cond: BoolTarget, x: U96Target, y: U96Target) -> U96Target {
    U96Target {
        lo: b.select(cond, x.lo, y.lo),
        hi: b.select(cond, x.hi, y.hi),
    }
}

/// `cond ? x : 0`.
pub fn gate(b: &mut Builder, cond: BoolTarget, x: U96Target) -> U96Target {
    U96Target {
        lo: b.mul(cond.target, x.lo),
        hi: b.mul(cond.target, x.hi),
    }
}

/// `min(x, y)`.
pub fn min(b: &mut Builder, x: U96Target, y: U96Target) -> U96Target {
    let x_ge_y = ge(b, x, y);
    select(b, x_ge_y, y, x)
}

/// `x · k` for a constant `k < 2^15`, asserting the product stays below 2^96.
pub fn mul_small(b: &mut Builder, x: U96Target, k: u64) -> U96Target {
    assert!(k < 1 << 15, "constant too large for one carry split");
    let k = F::from_canonical_u64(k);
    let p_lo = b.mul_const(k, x.lo);
    // p_lo < 2^63: split into the low limb and a carry below 2^15.
    let (lo, carry) = b.split_low_high(p_lo, LIMB_BITS, 63);
    let p_hi = b.mul_const(k, x.hi);
    let hi = b.add(p_hi, carry);
    b.range_check(hi, LIMB_BITS);
    U96Target { lo, hi }
}
