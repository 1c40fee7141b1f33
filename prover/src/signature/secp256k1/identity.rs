//! One modular identity over 256-bit numbers in 16-bit limbs, as a block of columns of a
//! starky table: Σ cᵢ·(product or value) ≡ 0 (mod p), proven as the integer identity
//! Σ cᵢ·(…) + K = q·p, where K is a fixed multiple of p that keeps the left side
//! non-negative.
//!
//! Curve operations are a handful of such identities per row (a slope, a new x, a new y),
//! so this is the one place the limb arithmetic is written. The integer identity is
//! checked as polynomials in y = 2^32, pairing E's coefficients in x = 2^16:
//! E_m = e_2m + 2^16·e_2m+1 = c_m−1 − 2^32·c_m, one constraint per pair, with the 16
//! carries stored offset by 2^31 as two 16-bit halves that the table range-checks along
//! with q's limbs. |e_k| < 2^40, so |E_m| < 2^56, and a range-checked carry is below 2^31:
//! each constraint's value stays below 2^63 + 2^57 in absolute value, less than half the
//! field's order, so the field identity is the integer one whatever carries a prover
//! picks.
//! Written by hand: no maintained crate offers non-native arithmetic for starky 1.x.

use alloy_primitives::ruint::Uint;
use alloy_primitives::U256;
use plonky2::field::extension::Extendable;
use plonky2::field::packed::PackedField;
use plonky2::field::types::Field;
use plonky2::hash::hash_types::RichField;
use plonky2::iop::ext_target::ExtensionTarget;
use plonky2::plonk::circuit_builder::CircuitBuilder;

/// secp256k1's base field prime p = 2^256 − 2^32 − 977, the modulus of every identity.
pub const P: U256 = U256::from_limbs([
    0xFFFF_FFFE_FFFF_FC2F,
    0xFFFF_FFFF_FFFF_FFFF,
    0xFFFF_FFFF_FFFF_FFFF,
    0xFFFF_FFFF_FFFF_FFFF,
]);

/// p as a polynomial in x = 2^16 with few terms, x^16 − x^2 − 977 (its value at 2^16 is
/// 2^256 − 2^32 − 977): q·p costs three products per limb of q instead of sixteen.
/// (shift, factor) pairs.
const P_POLYNOMIAL: [(usize, i64); 3] = [(16, 1), (2, -1), (0, -977)];

/// Limbs of a 256-bit value.
pub const LIMBS: usize = 16;
/// Limbs of a quotient (values are below 2^256 but not reduced, so q may exceed p).
pub const Q_LIMBS: usize = 17;
/// Coefficients of E (the offset K reaches 2^528).
const COEFFICIENTS: usize = 33;
/// Coefficients of E taken in pairs, e_2m + 2^16·e_2m+1: one constraint and one carry
/// per pair halves the carry columns (see the module doc for why nothing wraps).
const PAIRS: usize = COEFFICIENTS.div_ceil(2);
/// Carries of C (in base 2^32).
const CARRIES: usize = PAIRS - 1;
const CARRY_OFFSET: i128 = 1 << 31;
/// Columns an identity adds to a row (its quotient and carries).
pub const WIDTH: usize = Q_LIMBS + 2 * CARRIES;

type Wide = Uint<640, 10>;

/// The limbs of a 256-bit value.
pub fn limbs_of(value: U256) -> [u64; LIMBS] {
    std::array::from_fn(|i| (value.as_limbs()[i / 4] >> (16 * (i % 4))) & 0xffff)
}

fn wide_limbs(value: Wide) -> [i128; COEFFICIENTS] {
    std::array::from_fn(|i| ((value >> (16 * i)).as_limbs()[0] & 0xffff) as i128)
}

/// A term of an identity: `coeff` times the product of two 16-limb values, or times one.
#[derive(Clone, Copy, Debug)]
pub enum Term {
    /// coeff · a · b (a, b: first columns of 16-limb values).
    Product(i64, usize, usize),
    /// coeff · a.
    Value(i64, usize),
    /// coeff (a small constant).
    Constant(i64),
    /// coeff · (a constant 256-bit value).
    Fixed(i64, U256),
    /// coeff · a · (a constant 256-bit value).
    ProductFixed(i64, usize, U256),
}

/// An identity Σ terms ≡ 0 (mod p) whose quotient and carries start at column `at`.
#[derive(Clone, Debug)]
pub struct Identity {
    terms: Vec<Term>,
    offset: [i128; COEFFICIENTS],
    at: usize,
}

impl Identity {
    /// The identity Σ `terms` ≡ 0 (mod p), with its quotient and carries at `at`.
    pub fn new(terms: Vec<Term>, at: usize) -> Self {
        // The most negative the sum can be, with every value below 2^256.
        let max = Wide::from(1) << 256;
        let mut negative = Wide::ZERO;
        for t in &terms {
            let (c, size) = match *t {
                Term::Product(c, _, _) => (c, max * max),
                Term::Value(c, _) => (c, max),
                Term::Constant(c) => (c, Wide::from(1)),
                Term::Fixed(c, v) => (c, Wide::from(v)),
                Term::ProductFixed(c, _, v) => (c, max * Wide::from(v)),
            };
            if c < 0 {
                negative += Wide::from(c.unsigned_abs()) * size;
            }
        }
        let p = Wide::from(P);
        let k = negative.div_ceil(p) * p;
        Self {
            terms,
            offset: wide_limbs(k),
            at,
        }
    }

    /// First column of q.
    pub fn q(&self) -> usize {
        self.at
    }

    /// Column of the low half of carry `k` (offset by 2^31).
    pub fn carry_lo(&self, k: usize) -> usize {
        self.at + Q_LIMBS + k
    }

    fn carry_hi(&self, k: usize) -> usize {
        self.at + Q_LIMBS + CARRIES + k
    }

    /// Fills this identity's quotient and carries into `row`, whose values are set.
    /// Fails if the values do not satisfy the identity (a wrong witness).
    pub fn fill(&self, row: &mut [u64]) -> Result<(), String> {
        let mut e = self.offset;
        for t in &self.terms {
            match *t {
                Term::Product(c, a, b) => {
                    for i in 0..LIMBS {
                        for j in 0..LIMBS {
                            e[i + j] += c as i128 * (row[a + i] * row[b + j]) as i128;
                        }
                    }
                }
                Term::Value(c, a) => {
                    (0..LIMBS).for_each(|i| e[i] += c as i128 * row[a + i] as i128)
                }
                Term::Constant(c) => e[0] += c as i128,
                Term::Fixed(c, v) => {
                    for (i, l) in limbs_of(v).into_iter().enumerate() {
                        e[i] += c as i128 * l as i128;
                    }
                }
                Term::ProductFixed(c, a, v) => {
                    let k = limbs_of(v);
                    for i in 0..LIMBS {
                        for (j, &kj) in k.iter().enumerate() {
                            e[i + j] += c as i128 * (row[a + i] * kj) as i128;
                        }
                    }
                }
            }
        }
        let (mut positive, mut negative) = (Wide::ZERO, Wide::ZERO);
        for (k, &ek) in e.iter().enumerate() {
            let part = Wide::from(ek.unsigned_abs()) << (16 * k);
            if ek >= 0 {
                positive += part;
            } else {
                negative += part;
            }
        }
        let total = positive
            .checked_sub(negative)
            .ok_or("the identity's offset is too small")?;
        let (q, rest) = total.div_rem(Wide::from(P));
        if rest != Wide::ZERO {
            return Err("the values do not satisfy the identity".into());
        }
        if q >= Wide::from(1) << (16 * Q_LIMBS) {
            return Err("the quotient does not fit".into());
        }
        let q_limbs = wide_limbs(q);
        for (i, &qi) in q_limbs.iter().enumerate().take(Q_LIMBS) {
            row[self.q() + i] = qi as u64;
            for (shift, factor) in P_POLYNOMIAL {
                e[i + shift] -= factor as i128 * qi;
            }
        }
        // E_m = c_{m−1} − 2^32·c_m.
        let paired = |m: usize| {
            e[2 * m]
                + if 2 * m + 1 < COEFFICIENTS {
                    e[2 * m + 1] << 16
                } else {
                    0
                }
        };
        let mut carry = 0i128;
        for m in 0..CARRIES {
            let numerator = carry - paired(m);
            debug_assert_eq!(numerator & 0xffff_ffff, 0);
            carry = numerator >> 32;
            let stored = carry + CARRY_OFFSET;
            if !(0..1i128 << 32).contains(&stored) {
                return Err("a carry does not fit".into());
            }
            row[self.carry_lo(m)] = (stored & 0xffff) as u64;
            row[self.carry_hi(m)] = (stored >> 16) as u64;
        }
        if paired(CARRIES) != carry {
            return Err("the top coefficient does not match".into());
        }
        Ok(())
    }

    /// Columns this identity range-checks (its quotient limbs and carry halves).
    pub fn range_checked(&self) -> std::ops::Range<usize> {
        self.at..self.at + WIDTH
    }

    /// The identity's constraints, each multiplied by `filter`, over packed values.
    pub fn eval_packed<P: PackedField>(&self, lv: &[P], filter: P, mut constrain: impl FnMut(P)) {
        let scalar = |v: i128| {
            let f = P::Scalar::from_canonical_u64(v.unsigned_abs() as u64);
            if v < 0 {
                -f
            } else {
                f
            }
        };
        let mut e: [P; COEFFICIENTS] = std::array::from_fn(|k| P::ZEROS + scalar(self.offset[k]));
        for t in &self.terms {
            match *t {
                Term::Product(c, a, b) => {
                    let c = scalar(c as i128);
                    for i in 0..LIMBS {
                        let ca = lv[a + i] * c;
                        for j in 0..LIMBS {
                            e[i + j] += ca * lv[b + j];
                        }
                    }
                }
                Term::Value(c, a) => {
                    let c = scalar(c as i128);
                    (0..LIMBS).for_each(|i| e[i] += lv[a + i] * c);
                }
                Term::Constant(c) => e[0] += scalar(c as i128),
                Term::Fixed(c, v) => {
                    for (i, l) in limbs_of(v).into_iter().enumerate() {
                        e[i] += scalar(c as i128 * l as i128);
                    }
                }
                Term::ProductFixed(c, a, v) => {
                    let k = limbs_of(v);
                    for i in 0..LIMBS {
                        for (j, &kj) in k.iter().enumerate() {
                            e[i + j] += lv[a + i] * scalar(c as i128 * kj as i128);
                        }
                    }
                }
            }
        }
        for i in 0..Q_LIMBS {
            for (shift, factor) in P_POLYNOMIAL {
                e[i + shift] -= lv[self.q() + i] * scalar(factor as i128);
            }
        }
        let limb = P::Scalar::from_canonical_u64(1 << 16);
        let base = P::Scalar::from_canonical_u64(1 << 32);
        let offset = P::Scalar::from_canonical_u64(CARRY_OFFSET as u64);
        let paired = |m: usize| {
            if 2 * m + 1 < COEFFICIENTS {
                e[2 * m] + e[2 * m + 1] * limb
            } else {
                e[2 * m]
            }
        };
        let mut previous = P::ZEROS;
        for m in 0..CARRIES {
            let c = lv[self.carry_lo(m)] + lv[self.carry_hi(m)] * limb - offset;
            constrain(filter * (paired(m) - previous + c * base));
            previous = c;
        }
        constrain(filter * (paired(CARRIES) - previous));
    }

    /// The same constraints inside a recursive verifier.
    pub fn eval_circuit<F: RichField + Extendable<D>, const D: usize>(
        &self,
        builder: &mut CircuitBuilder<F, D>,
        lv: &[ExtensionTarget<D>],
        filter: ExtensionTarget<D>,
        mut constrain: impl FnMut(&mut CircuitBuilder<F, D>, ExtensionTarget<D>),
    ) {
        let scalar = |v: i128| {
            let f = F::from_canonical_u64(v.unsigned_abs() as u64);
            if v < 0 {
                -f
            } else {
                f
            }
        };
        let one = builder.one_extension();
        let mut e: Vec<ExtensionTarget<D>> = (0..COEFFICIENTS)
            .map(|k| builder.constant_extension(scalar(self.offset[k]).into()))
            .collect();
        for t in &self.terms {
            match *t {
                Term::Product(c, a, b) => {
                    let c = scalar(c as i128);
                    for i in 0..LIMBS {
                        for j in 0..LIMBS {
                            e[i + j] = builder.arithmetic_extension(
                                c,
                                F::ONE,
                                lv[a + i],
                                lv[b + j],
                                e[i + j],
                            );
                        }
                    }
                }
                Term::Value(c, a) => {
                    let c = scalar(c as i128);
                    for i in 0..LIMBS {
                        e[i] = builder.arithmetic_extension(c, F::ONE, lv[a + i], one, e[i]);
                    }
                }
                Term::Constant(c) => {
                    e[0] = builder.add_const_extension(e[0], scalar(c as i128));
                }
                Term::Fixed(c, v) => {
                    for (i, l) in limbs_of(v).into_iter().enumerate() {
                        e[i] = builder.add_const_extension(e[i], scalar(c as i128 * l as i128));
                    }
                }
                Term::ProductFixed(c, a, v) => {
                    let k = limbs_of(v);
                    for i in 0..LIMBS {
                        for (j, &kj) in k.iter().enumerate() {
                            let factor = scalar(c as i128 * kj as i128);
                            e[i + j] = builder.arithmetic_extension(
                                factor,
                                F::ONE,
                                lv[a + i],
                                one,
                                e[i + j],
                            );
                        }
                    }
                }
            }
        }
        for i in 0..Q_LIMBS {
            for (shift, factor) in P_POLYNOMIAL {
                e[i + shift] = builder.arithmetic_extension(
                    -scalar(factor as i128),
                    F::ONE,
                    lv[self.q() + i],
                    one,
                    e[i + shift],
                );
            }
        }
        let limb = F::from_canonical_u64(1 << 16);
        let base = F::from_canonical_u64(1 << 32);
        let offset = F::from_canonical_u64(CARRY_OFFSET as u64);
        let paired: Vec<ExtensionTarget<D>> = (0..PAIRS)
            .map(|m| {
                if 2 * m + 1 < COEFFICIENTS {
                    builder.arithmetic_extension(limb, F::ONE, e[2 * m + 1], one, e[2 * m])
                } else {
                    e[2 * m]
                }
            })
            .collect();
        let mut previous = builder.zero_extension();
        for (m, &em) in paired.iter().enumerate().take(CARRIES) {
            let c = builder.arithmetic_extension(
                limb,
                F::ONE,
                lv[self.carry_hi(m)],
                one,
                lv[self.carry_lo(m)],
            );
            let c = builder.add_const_extension(c, -offset);
            let t = builder.sub_extension(em, previous);
            let t = builder.arithmetic_extension(base, F::ONE, c, one, t);
            let t = builder.mul_extension(filter, t);
            constrain(builder, t);
            previous = c;
        }
        let t = builder.sub_extension(paired[CARRIES], previous);
        let t = builder.mul_extension(filter, t);
        constrain(builder, t);
    }
}
