//! A starky table of products modulo secp256k1's base field prime: each row proves
//! a·b ≡ r (mod p) for 256-bit a, b, r in sixteen 16-bit limbs, as one [`Identity`].
//!
//! Why it exists beside the curve tables: it is the smallest table that exercises the
//! limb arithmetic and the 16-bit range lookup on their own, so its tests isolate those
//! two rules, and its benchmark gives the cost of one identity. r is below 2^256 but not
//! necessarily below p: callers that compare values must reduce first.

use std::marker::PhantomData;

use alloy_primitives::U256;
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
use starky::lookup::Lookup;
use starky::stark::Stark;

pub use super::identity::P;
use super::identity::{limbs_of, Identity, Term, LIMBS, WIDTH};
use super::range::RangeCheck;

/// First factor's limbs.
pub const A: usize = 0;
/// Second factor's limbs.
pub const B: usize = A + LIMBS;
/// Remainder's limbs.
pub const R: usize = B + LIMBS;
/// The identity's quotient and carries.
pub const IDENTITY: usize = R + LIMBS;
/// The range 0..2^16 (then its last value repeated).
pub const RANGE: usize = IDENTITY + WIDTH;
/// How often each range value is looked up.
pub const FREQUENCIES: usize = RANGE + 1;
/// Columns of the table.
pub const NUM_COLUMNS: usize = FREQUENCIES + 1;
/// The smallest table: the range column needs 2^16 rows.
pub const MIN_TRACE_BITS: usize = 16;

/// Every limb and carry half is below 2^16.
fn range_check() -> RangeCheck {
    RangeCheck {
        checked: 0..RANGE,
        range: RANGE,
        frequencies: FREQUENCIES,
    }
}

/// The row's identity: a·b − r ≡ 0.
pub fn identity() -> Identity {
    Identity::new(vec![Term::Product(1, A, B), Term::Value(-1, R)], IDENTITY)
}

/// The product table.
#[derive(Clone)]
pub struct FieldMulStark<F, const D: usize> {
    identity: Identity,
    _field: PhantomData<F>,
}

impl<F, const D: usize> Default for FieldMulStark<F, D> {
    fn default() -> Self {
        Self::new()
    }
}

impl<F, const D: usize> FieldMulStark<F, D> {
    /// The table (its size is the trace's).
    pub fn new() -> Self {
        Self {
            identity: identity(),
            _field: PhantomData,
        }
    }
}

/// The trace of the products `pairs` (padded with 0·0 rows), and each remainder.
pub fn generate_trace<F: Field>(pairs: &[(U256, U256)]) -> (Vec<PolynomialValues<F>>, Vec<U256>) {
    let n = pairs.len().next_power_of_two().max(1 << MIN_TRACE_BITS);
    let identity = identity();
    let row_of = |a: U256, b: U256| {
        let r = a.mul_mod(b, P);
        let mut row = vec![0u64; NUM_COLUMNS];
        row[A..A + LIMBS].copy_from_slice(&limbs_of(a));
        row[B..B + LIMBS].copy_from_slice(&limbs_of(b));
        row[R..R + LIMBS].copy_from_slice(&limbs_of(r));
        identity.fill(&mut row).expect("a·b ≡ a·b mod p");
        (row, r)
    };
    let mut rows = Vec::with_capacity(n);
    let mut remainders = Vec::with_capacity(pairs.len());
    for &(a, b) in pairs {
        let (row, r) = row_of(a, b);
        rows.push(row);
        remainders.push(r);
    }
    rows.resize(n, row_of(U256::ZERO, U256::ZERO).0);
    range_check().fill(&mut rows);
    let columns = transpose(&rows)
        .into_iter()
        .map(|c| PolynomialValues::new(c.into_iter().map(F::from_canonical_u64).collect()))
        .collect();
    (columns, remainders)
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
        self.identity.eval_packed(lv, P::ONES, |c| yc.constraint(c));
        range_check().eval_packed(lv, nv, yc);
    }

    fn eval_ext_circuit(
        &self,
        builder: &mut CircuitBuilder<F, D>,
        vars: &Self::EvaluationFrameTarget,
        yc: &mut RecursiveConstraintConsumer<F, D>,
    ) {
        let lv = vars.get_local_values();
        let nv = vars.get_next_values();
        let one = builder.one_extension();
        self.identity
            .eval_circuit(builder, lv, one, |b, c| yc.constraint(b, c));
        range_check().eval_circuit(builder, lv, nv, yc);
    }

    fn constraint_degree(&self) -> usize {
        3
    }

    fn lookups(&self) -> Vec<Lookup<F>> {
        range_check().lookups()
    }
}
