//! A starky table of products modulo secp256k1's base field prime p = 2^256 − 2^32 − 977:
//! each row proves a·b = q·p + r over the integers, for 256-bit a, b, q, r in sixteen
//! 16-bit limbs.
//!
//! Why this shape: the curve operations of an ECDSA check are almost all field products
//! (about 4 per affine doubling and 3 per addition when the prover supplies the slopes), so
//! the cost of a signature is the cost of a row here. Written by hand because no maintained
//! crate offers non-native arithmetic for starky 1.x.
//!
//! The identity is checked as polynomials in x = 2^16: A(x)·B(x) − Q(x)·P(x) − R(x) =
//! (x − 2^16)·C(x), one degree-2 constraint per coefficient, with the 31 carries of C
//! stored offset by 2^31 as two 16-bit halves. Every limb and carry half is looked up in a
//! range column 0..2^16, which is why a table has at least 2^16 rows. Each coefficient is
//! below 2^48 in absolute value, far from the field's order, so the field identity is the
//! integer one. r is below 2^256 but not necessarily below p: callers that compare values
//! must reduce first.

use std::marker::PhantomData;

use alloy_primitives::{U256, U512};
use plonky2::field::extension::{Extendable, FieldExtension};
use plonky2::field::packed::PackedField;
use plonky2::field::polynomial::PolynomialValues;
use plonky2::field::types::Field;
use plonky2::hash::hash_types::RichField;
use plonky2::iop::ext_target::ExtensionTarget;
use plonky2::plonk::circuit_builder::CircuitBuilder;
use plonky2::util::transpose;
use starky::constraint_consumer::{ConstraintConsumer, RecursiveConstraintConsumer};
use starky::evaluation_frame::{StarkEvaluationFrame, StarkFrame};
use starky::lookup::{Column, Filter, Lookup};
use starky::stark::Stark;

/// Limbs of a 256-bit number.
pub const LIMBS: usize = 16;
/// Bits per limb.
pub const LIMB_BITS: usize = 16;
const CARRIES: usize = 2 * LIMBS - 1;
const CARRY_OFFSET: u64 = 1 << 31;

/// First factor's limbs.
pub const A: usize = 0;
/// Second factor's limbs.
pub const B: usize = A + LIMBS;
/// Quotient's limbs.
pub const Q: usize = B + LIMBS;
/// Remainder's limbs.
pub const R: usize = Q + LIMBS;
/// Carries + 2^31, low halves.
pub const CARRY_LO: usize = R + LIMBS;
/// Carries + 2^31, high halves.
pub const CARRY_HI: usize = CARRY_LO + CARRIES;
/// The range 0..2^16 (then its last value repeated).
pub const RANGE: usize = CARRY_HI + CARRIES;
/// How often each range value is looked up.
pub const FREQUENCIES: usize = RANGE + 1;
/// Columns of the table.
pub const NUM_COLUMNS: usize = FREQUENCIES + 1;
/// The smallest table: the range column needs 2^16 rows.
pub const MIN_TRACE_BITS: usize = LIMB_BITS;

/// secp256k1's base field prime.
pub const P: U256 = U256::from_limbs([
    0xFFFF_FFFE_FFFF_FC2F,
    0xFFFF_FFFF_FFFF_FFFF,
    0xFFFF_FFFF_FFFF_FFFF,
    0xFFFF_FFFF_FFFF_FFFF,
]);

fn limbs(value: U256) -> [u64; LIMBS] {
    std::array::from_fn(|i| {
        let word = value.as_limbs()[i / 4];
        (word >> (16 * (i % 4))) & 0xffff
    })
}

/// The product table.
#[derive(Clone, Copy, Default)]
pub struct FieldMulStark<F, const D: usize> {
    _field: PhantomData<F>,
}

impl<F, const D: usize> FieldMulStark<F, D> {
    /// The table (its size is the trace's).
    pub const fn new() -> Self {
        Self {
            _field: PhantomData,
        }
    }
}

/// One row's values: a, b, and the quotient and remainder of a·b by p.
pub fn mul_row(a: U256, b: U256) -> (U256, U256, Vec<u64>) {
    let product: U512 = a.widening_mul(b);
    let (q, r) = product.div_rem(U512::from(P));
    let q = U256::from_limbs(q.as_limbs()[..4].try_into().expect("four words"));
    let r = U256::from_limbs(r.as_limbs()[..4].try_into().expect("four words"));
    let (la, lb, lq, lr) = (limbs(a), limbs(b), limbs(q), limbs(r));
    let lp = limbs(P);
    let mut row = vec![0u64; RANGE];
    row[A..A + LIMBS].copy_from_slice(&la);
    row[B..B + LIMBS].copy_from_slice(&lb);
    row[Q..Q + LIMBS].copy_from_slice(&lq);
    row[R..R + LIMBS].copy_from_slice(&lr);
    // e_k = c_{k-1} − 2^16·c_k, so c_k = (c_{k-1} − e_k) / 2^16, exactly.
    let mut carry: i128 = 0;
    for k in 0..CARRIES {
        let mut e: i128 = 0;
        for i in 0..LIMBS {
            if k >= i && k - i < LIMBS {
                e += la[i] as i128 * lb[k - i] as i128 - lq[i] as i128 * lp[k - i] as i128;
            }
        }
        if k < LIMBS {
            e -= lr[k] as i128;
        }
        let next = (carry - e) >> LIMB_BITS;
        debug_assert_eq!((carry - e) & 0xffff, 0);
        carry = next;
        let stored = (carry + CARRY_OFFSET as i128) as u64;
        row[CARRY_LO + k] = stored & 0xffff;
        row[CARRY_HI + k] = stored >> 16;
    }
    (q, r, row)
}

/// The trace of the products `pairs` (padded with 0·0 rows), and each remainder.
pub fn generate_trace<F: Field>(pairs: &[(U256, U256)]) -> (Vec<PolynomialValues<F>>, Vec<U256>) {
    let n = pairs.len().next_power_of_two().max(1 << MIN_TRACE_BITS);
    let mut rows: Vec<Vec<u64>> = Vec::with_capacity(n);
    let mut remainders = Vec::with_capacity(pairs.len());
    for &(a, b) in pairs {
        let (_, r, row) = mul_row(a, b);
        rows.push(row);
        remainders.push(r);
    }
    let (_, _, zero_row) = mul_row(U256::ZERO, U256::ZERO);
    rows.resize(n, zero_row);
    let mut frequencies = vec![0u64; n];
    for (i, row) in rows.iter_mut().enumerate() {
        for &v in &row[..RANGE] {
            frequencies[v as usize] += 1;
        }
        row.push((i as u64).min((1 << LIMB_BITS) - 1));
    }
    for (row, f) in rows.iter_mut().zip(frequencies) {
        row.push(f);
    }
    let columns = transpose(&rows)
        .into_iter()
        .map(|c| PolynomialValues::new(c.into_iter().map(F::from_canonical_u64).collect()))
        .collect();
    (columns, remainders)
}

/// Coefficient k of A·B − Q·P − R, over packed values.
fn coefficient_packed<P: PackedField>(lv: &[P], k: usize) -> P {
    let lp = limbs(self::P);
    let mut e = P::ZEROS;
    for i in 0..LIMBS {
        if k >= i && k - i < LIMBS {
            e += lv[A + i] * lv[B + k - i];
            e -= lv[Q + i] * P::Scalar::from_canonical_u64(lp[k - i]);
        }
    }
    if k < LIMBS {
        e -= lv[R + k];
    }
    e
}

impl<F: RichField + Extendable<D>, const D: usize> Stark<F, D> for FieldMulStark<F, D> {
    type EvaluationFrame<FE, P, const D2: usize>
        = StarkFrame<P, P::Scalar, NUM_COLUMNS, 0>
    where
        FE: FieldExtension<D2, BaseField = F>,
        P: PackedField<Scalar = FE>;

    type EvaluationFrameTarget = StarkFrame<ExtensionTarget<D>, ExtensionTarget<D>, NUM_COLUMNS, 0>;

    fn eval_packed_generic<FE, P, const D2: usize>(
        &self,
        vars: &Self::EvaluationFrame<FE, P, D2>,
        yc: &mut ConstraintConsumer<P>,
    ) where
        FE: FieldExtension<D2, BaseField = F>,
        P: PackedField<Scalar = FE>,
    {
        let lv = vars.get_local_values();
        let nv = vars.get_next_values();
        let base = P::Scalar::from_canonical_u64(1 << LIMB_BITS);
        let offset = P::Scalar::from_canonical_u64(CARRY_OFFSET);
        let carry = |k: usize| lv[CARRY_LO + k] + lv[CARRY_HI + k] * base - offset;
        let mut previous = P::ZEROS;
        for k in 0..CARRIES {
            let c = carry(k);
            yc.constraint(coefficient_packed(lv, k) - previous + c * base);
            previous = c;
        }
        yc.constraint(coefficient_packed(lv, CARRIES) - previous);

        let step = nv[RANGE] - lv[RANGE];
        yc.constraint_first_row(lv[RANGE]);
        yc.constraint_transition(step * step - step);
        yc.constraint_last_row(lv[RANGE] - P::Scalar::from_canonical_u64((1 << LIMB_BITS) - 1));
    }

    fn eval_ext_circuit(
        &self,
        builder: &mut CircuitBuilder<F, D>,
        vars: &Self::EvaluationFrameTarget,
        yc: &mut RecursiveConstraintConsumer<F, D>,
    ) {
        let lv = vars.get_local_values();
        let nv = vars.get_next_values();
        let lp = limbs(P);
        let base = F::from_canonical_u64(1 << LIMB_BITS);
        let offset = builder.constant_extension(F::Extension::from_canonical_u64(CARRY_OFFSET));
        let one = builder.one_extension();
        let coefficient = |builder: &mut CircuitBuilder<F, D>, k: usize| {
            let mut e = builder.zero_extension();
            for i in 0..LIMBS {
                if k >= i && k - i < LIMBS {
                    e = builder.mul_add_extension(lv[A + i], lv[B + k - i], e);
                    e = builder.arithmetic_extension(
                        -F::from_canonical_u64(lp[k - i]),
                        F::ONE,
                        lv[Q + i],
                        one,
                        e,
                    );
                }
            }
            if k < LIMBS {
                e = builder.sub_extension(e, lv[R + k]);
            }
            e
        };
        let mut previous = builder.zero_extension();
        for k in 0..CARRIES {
            let c =
                builder.arithmetic_extension(base, F::ONE, lv[CARRY_HI + k], one, lv[CARRY_LO + k]);
            let c = builder.sub_extension(c, offset);
            let e = coefficient(builder, k);
            let t = builder.sub_extension(e, previous);
            let t = builder.arithmetic_extension(base, F::ONE, c, one, t);
            yc.constraint(builder, t);
            previous = c;
        }
        let e = coefficient(builder, CARRIES);
        let t = builder.sub_extension(e, previous);
        yc.constraint(builder, t);

        let step = builder.sub_extension(nv[RANGE], lv[RANGE]);
        yc.constraint_first_row(builder, lv[RANGE]);
        let t = builder.mul_sub_extension(step, step, step);
        yc.constraint_transition(builder, t);
        let last =
            builder.constant_extension(F::Extension::from_canonical_u64((1 << LIMB_BITS) - 1));
        let t = builder.sub_extension(lv[RANGE], last);
        yc.constraint_last_row(builder, t);
    }

    fn constraint_degree(&self) -> usize {
        3
    }

    fn lookups(&self) -> Vec<Lookup<F>> {
        vec![Lookup {
            columns: Column::singles(0..RANGE).collect(),
            table_column: Column::single(RANGE),
            frequencies_column: Column::single(FREQUENCIES),
            filter_columns: vec![Filter::default(); RANGE],
        }]
    }
}
