//! Native twins of the circuit's limb arithmetic ([`crate::circuit::u96`]), on the same
//! field elements. For canonical inputs they equal u128 arithmetic; for anything else they
//! compute what the circuit's formulas would, so cheating witnesses stay self-consistent.

use plonky2::field::types::{Field, PrimeField64};

use crate::F;

const LIMB: u64 = 1 << 48;

/// `[lo, hi]`.
pub type Amount = [F; 2];

pub fn add(x: Amount, y: Amount) -> Amount {
    let s = x[0]
        .to_canonical_u64()
        .wrapping_add(y[0].to_canonical_u64());
    let carry = s / LIMB;
    [
        F::from_canonical_u64(s % LIMB),
        x[1] + y[1] + F::from_canonical_u64(carry),
    ]
}

pub fn ge(x: Amount, y: Amount) -> bool {
    let (xh, yh) = (x[1].to_canonical_u64(), y[1].to_canonical_u64());
    if xh == yh {
        x[0].to_canonical_u64() >= y[0].to_canonical_u64()
    } else {
        xh > yh
    }
}

pub fn sub(x: Amount, y: Amount) -> Amount {
    let borrow = x[0].to_canonical_u64() < y[0].to_canonical_u64();
    let b = F::from_bool(borrow);
    [
        x[0] - y[0] + b * F::from_canonical_u64(LIMB),
        x[1] - y[1] - b,
    ]
}

pub fn min(x: Amount, y: Amount) -> Amount {
    if ge(x, y) {
        y
    } else {
        x
    }
}

pub fn mul_small(x: Amount, k: u64) -> Amount {
    let p = u128::from(x[0].to_canonical_u64()) * u128::from(k);
    let limb = u128::from(LIMB);
    [
        F::from_canonical_u64((p % limb) as u64),
        x[1] * F::from_canonical_u64(k) + F::from_canonical_u64((p / limb) as u64),
    ]
}

pub fn zero() -> Amount {
    [F::ZERO; 2]
}
