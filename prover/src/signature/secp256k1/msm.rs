//! Starky tables of secp256k1 multi-scalar multiplications, one bit per row (256 rows per
//! multiplication, most significant bit first): each row doubles the accumulator, then for
//! each base point adds it and keeps the sum if that base's bit is set. A multiplication
//! starts from [`offset_point`] H, so its last row outputs 2^256·H + Σ kᵢ·Tᵢ and no step
//! meets the point at infinity.
//!
//! Two tables share this code: [`ScalarMulStark`] (one base: k·T) and
//! [`super::ecdsa::EcdsaStark`] (three bases, with the last row held to 2^256·H): with
//! bases (Q, −R, G) and scalars (r, s, z) it proves r·Q − s·R + z·G = 0, the ECDSA equation
//! s·R = z·G + r·Q in the form that needs no inverse modulo the group order.
//!
//! Every field operation is a modular [`Identity`] over witnessed values: the prover
//! supplies the slopes and 1/(x_T − x_P), so the tables never divide. That inverse also
//! proves x_T ≠ x_P, which is what makes the incomplete affine addition sound; doubling
//! needs no such check, as secp256k1 has no point with y = 0. Base points are checked to
//! be on the curve on every row.
//!
//! The ECDSA table adds what ties the bits to a signature (scalar recomposition, r = R.x,
//! the ranges of r and s) and what it exports to the other tables (`ecdsa.rs`).

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

use super::curve::{add_points, double, offset_point, on_curve, Point, GENERATOR};
use super::identity::{limbs_of, Identity, Term, LIMBS, P, WIDTH};
use super::range::RangeCheck;

/// Bits of a scalar: rows per multiplication.
pub const STEPS: usize = 256;
/// The smallest table: the 16-bit range column needs 2^16 rows.
pub const MIN_TRACE_BITS: usize = 16;

/// Where each value of a row lives, for a table of `bases` base points. Points are x then
/// y, 16 limbs each.
#[derive(Clone, Copy, Debug)]
pub struct Layout {
    /// Base points.
    pub bases: usize,
    /// Whether the last row must output 2^256·H (the multiplication sums to zero).
    pub sums_to_zero: bool,
    /// Whether the last base is the constant G (no columns, no curve check).
    pub generator_last: bool,
    /// Whether the 16-bit range column lives in this table (else the checked columns are
    /// looked up in a range table of their own: `range::RangeStark`).
    pub range_in_table: bool,
    /// Step of the row within its multiplication (0 = most significant bit).
    pub step: usize,
    /// 1 on a multiplication's last row.
    pub last: usize,
    bits: usize,
    /// The accumulator when the row begins.
    pub acc: usize,
    bases_at: usize,
    bases_xx: usize,
    /// Doubling: slope, then the doubled point.
    pub double: usize,
    adds: usize,
    identities: usize,
    checked_end: usize,
    range: usize,
    frequencies: usize,
    stages: usize,
    /// Columns of the table.
    pub num_columns: usize,
}

impl Layout {
    /// The layout for `bases` base points; with `generator_last`, the last of them is the
    /// constant G; with `range_in_table`, the table holds its own 16-bit range column.
    pub const fn new(
        bases: usize,
        sums_to_zero: bool,
        generator_last: bool,
        range_in_table: bool,
    ) -> Self {
        let variable = bases - generator_last as usize;
        let bits = 2;
        let acc = bits + bases;
        let bases_at = acc + 2 * LIMBS;
        let bases_xx = bases_at + variable * 2 * LIMBS;
        let double = bases_xx + variable * LIMBS;
        let adds = double + 3 * LIMBS;
        let identities = adds + bases * 4 * LIMBS;
        let checked_end = identities + (3 + 6 * variable + 4 * (bases - variable)) * WIDTH;
        let range = checked_end;
        let frequencies = range + 1;
        let stages = if range_in_table {
            frequencies + 1
        } else {
            checked_end
        };
        Self {
            bases,
            sums_to_zero,
            generator_last,
            range_in_table,
            step: 0,
            last: 1,
            bits,
            acc,
            bases_at,
            bases_xx,
            double,
            adds,
            identities,
            checked_end,
            range,
            frequencies,
            stages,
            num_columns: stages + bases * 2 * LIMBS,
        }
    }
    /// Bases whose coordinates are columns (all but a constant −G).
    pub const fn variable_bases(&self) -> usize {
        self.bases - self.generator_last as usize
    }
    /// Base `i`'s bit of this row.
    pub const fn bit(&self, i: usize) -> usize {
        self.bits + i
    }
    /// Base point `i`.
    pub const fn base(&self, i: usize) -> usize {
        self.bases_at + i * 2 * LIMBS
    }
    /// x² of base point `i`.
    pub const fn base_xx(&self, i: usize) -> usize {
        self.bases_xx + i * LIMBS
    }
    /// Addition of base `i`: slope, sum, then 1/(x_T − x_P).
    pub const fn add(&self, i: usize) -> usize {
        self.adds + i * 4 * LIMBS
    }
    /// The point after base `i`: the sum if its bit is set, else the point before.
    pub const fn stage(&self, i: usize) -> usize {
        self.stages + i * 2 * LIMBS
    }
    /// The row's output.
    pub const fn out(&self) -> usize {
        self.stage(self.bases - 1)
    }
    /// The point base `i` is added to.
    const fn before(&self, i: usize) -> usize {
        if i == 0 {
            self.double + LIMBS
        } else {
            self.stage(i - 1)
        }
    }
    /// The columns whose values must be below 2^16: every limb, quotient limb and carry
    /// half (the stages are selections of checked values and need no check of their own).
    pub fn checked_columns(&self) -> std::ops::Range<usize> {
        self.acc..self.checked_end
    }

    /// The in-table range check (`range_in_table` layouts only).
    pub fn range_check(&self) -> RangeCheck {
        assert!(
            self.range_in_table,
            "this layout checks ranges in a range table"
        );
        RangeCheck {
            checked: self.checked_columns(),
            range: self.range,
            frequencies: self.frequencies,
        }
    }

    /// The row's identities, in the order of their column blocks.
    pub fn identities(&self) -> Vec<Identity> {
        use Term::*;
        let mut next = self.identities;
        let mut at = || {
            let a = next;
            next += WIDTH;
            a
        };
        let (ax, ay) = (self.acc, self.acc + LIMBS);
        let (ld, xd, yd) = (self.double, self.double + LIMBS, self.double + 2 * LIMBS);
        let mut ids = vec![
            // Doubling: 2λ·y = 3x², x_D = λ² − 2x, y_D = λ(x − x_D) − y.
            Identity::new(vec![Product(2, ld, ay), Product(-3, ax, ax)], at()),
            Identity::new(vec![Product(1, ld, ld), Value(-2, ax), Value(-1, xd)], at()),
            Identity::new(
                vec![
                    Product(1, ld, ax),
                    Product(-1, ld, xd),
                    Value(-1, ay),
                    Value(-1, yd),
                ],
                at(),
            ),
        ];
        for i in 0..self.bases {
            let (px, py) = (self.before(i), self.before(i) + LIMBS);
            let a = self.add(i);
            let (la, xs, ys, inv) = (a, a + LIMBS, a + 2 * LIMBS, a + 3 * LIMBS);
            // T's coordinates: columns, or the constant G.
            let (tx, ty) = if i < self.variable_bases() {
                let (tx, ty, txx) = (self.base(i), self.base(i) + LIMBS, self.base_xx(i));
                // T on the curve: x_T² = T_XX, y_T² = T_XX·x_T + 7.
                ids.push(Identity::new(
                    vec![Product(1, tx, tx), Value(-1, txx)],
                    at(),
                ));
                ids.push(Identity::new(
                    vec![Product(1, ty, ty), Product(-1, txx, tx), Constant(-7)],
                    at(),
                ));
                (Coordinate::Column(tx), Coordinate::Column(ty))
            } else {
                (
                    Coordinate::Constant(GENERATOR.0),
                    Coordinate::Constant(GENERATOR.1),
                )
            };
            // λ(x_T − x_P) = y_T − y_P, x_S = λ² − x_P − x_T, y_S = λ(x_P − x_S) − y_P,
            // inv·(x_T − x_P) = 1.
            ids.extend([
                Identity::new(
                    vec![
                        tx.times(1, la),
                        Product(-1, la, px),
                        ty.plus(-1),
                        Value(1, py),
                    ],
                    at(),
                ),
                Identity::new(
                    vec![
                        Product(1, la, la),
                        Value(-1, px),
                        tx.plus(-1),
                        Value(-1, xs),
                    ],
                    at(),
                ),
                Identity::new(
                    vec![
                        Product(1, la, px),
                        Product(-1, la, xs),
                        Value(-1, py),
                        Value(-1, ys),
                    ],
                    at(),
                ),
                Identity::new(
                    vec![tx.times(1, inv), Product(-1, inv, px), Constant(-1)],
                    at(),
                ),
            ]);
        }
        ids
    }
}

/// The work of one ECDSA equation for the ECDSA table: bases (Q, −R, G) with scalars
/// (r, s, z), where Q is the signer's public key, R the signature's nonce point (x = r, y of
/// the recovery parity) and z the signing hash, all as integers below 2^256.
pub fn ecdsa_work(r_point: Point, q: Point, r: U256, s: U256, z: U256) -> Vec<(U256, Point)> {
    let negate = |(x, y): Point| (x, (P - y) % P);
    vec![(r, q), (s, negate(r_point)), (z, GENERATOR)]
}

/// A base point's coordinate in an identity: a column, or a constant (for −G).
#[derive(Clone, Copy)]
enum Coordinate {
    Column(usize),
    Constant(U256),
}

impl Coordinate {
    /// coeff · (column `a`) · self.
    fn times(self, coeff: i64, a: usize) -> Term {
        match self {
            Coordinate::Column(c) => Term::Product(coeff, a, c),
            Coordinate::Constant(v) => Term::ProductFixed(coeff, a, v),
        }
    }

    /// coeff · self.
    fn plus(self, coeff: i64) -> Term {
        match self {
            Coordinate::Column(c) => Term::Value(coeff, c),
            Coordinate::Constant(v) => Term::Fixed(coeff, v),
        }
    }
}

/// 2^256·H: what a multiplication that sums to zero outputs.
pub fn zero_output() -> Point {
    (0..STEPS).fold(offset_point(), |p, _| double(p).0)
}

pub(crate) fn set_point(row: &mut [u64], at: usize, (x, y): Point) {
    row[at..at + LIMBS].copy_from_slice(&limbs_of(x));
    row[at + LIMBS..at + 2 * LIMBS].copy_from_slice(&limbs_of(y));
}

pub(crate) fn set_value(row: &mut [u64], at: usize, v: U256) {
    row[at..at + LIMBS].copy_from_slice(&limbs_of(v));
}

/// The 256 rows of Σ kᵢ·Tᵢ from H, and the output 2^256·H + Σ kᵢ·Tᵢ. Fails for a base
/// point off the curve or a step the incomplete formulas cannot take.
pub(crate) fn multiplication_rows(
    layout: &Layout,
    identities: &[Identity],
    work: &[(U256, Point)],
) -> Result<(Vec<Vec<u64>>, Point), String> {
    if work.len() != layout.bases {
        return Err(format!(
            "{} bases given to a table of {}",
            work.len(),
            layout.bases
        ));
    }
    if work.iter().any(|&(_, t)| !on_curve(t)) {
        return Err("a base point is not on the curve".into());
    }
    if layout.generator_last && work[layout.bases - 1].1 != GENERATOR {
        return Err("the last base of this table is G".into());
    }
    let mut acc = offset_point();
    let mut rows = Vec::with_capacity(STEPS);
    for step in 0..STEPS {
        let mut row = vec![0u64; layout.num_columns];
        row[layout.step] = step as u64;
        row[layout.last] = u64::from(step == STEPS - 1);
        set_point(&mut row, layout.acc, acc);
        let (d, ld) = double(acc);
        set_value(&mut row, layout.double, ld);
        set_point(&mut row, layout.double + LIMBS, d);
        let mut point = d;
        for (i, &(k, t)) in work.iter().enumerate() {
            let bit = k.bit(STEPS - 1 - step);
            row[layout.bit(i)] = u64::from(bit);
            if i < layout.variable_bases() {
                set_point(&mut row, layout.base(i), t);
                set_value(&mut row, layout.base_xx(i), t.0.mul_mod(t.0, P));
            }
            let (s, la, inv) = add_points(point, t).ok_or("a step met equal x coordinates")?;
            set_value(&mut row, layout.add(i), la);
            set_point(&mut row, layout.add(i) + LIMBS, s);
            set_value(&mut row, layout.add(i) + 3 * LIMBS, inv);
            if bit {
                point = s;
            }
            set_point(&mut row, layout.stage(i), point);
        }
        for identity in identities {
            identity.fill(&mut row)?;
        }
        acc = point;
        rows.push(row);
    }
    Ok((rows, acc))
}

/// What a multiplication's last row outputs, computed natively with the table's own row
/// generation: 2^256·H + Σ kᵢ·Tᵢ (2^256·H exactly when the multiplication sums to zero).
pub fn native_output(layout: &Layout, work: &[(U256, Point)]) -> Result<Point, String> {
    Ok(multiplication_rows(layout, &layout.identities(), work)?.1)
}

/// The trace of `multiplications` (each a list of (scalar, base) pairs, one per base),
/// padded with copies of a multiplication that sums to zero, and each output.
pub fn generate_trace<F: Field>(
    layout: &Layout,
    multiplications: &[Vec<(U256, Point)>],
) -> Result<(Vec<PolynomialValues<F>>, Vec<Point>), String> {
    let identities = layout.identities();
    let n = (multiplications.len() * STEPS)
        .next_power_of_two()
        .max(1 << MIN_TRACE_BITS);
    let mut rows = Vec::with_capacity(n);
    let mut outputs = Vec::with_capacity(multiplications.len());
    for work in multiplications {
        let (r, out) = multiplication_rows(layout, &identities, work)?;
        rows.extend(r);
        outputs.push(out);
    }
    if rows.len() < n {
        let zero = vec![(U256::ZERO, GENERATOR); layout.bases];
        let (padding, _) = multiplication_rows(layout, &identities, &zero)?;
        while rows.len() < n {
            rows.extend(padding.iter().cloned());
        }
    }
    layout.range_check().fill(&mut rows);
    let columns = transpose(&rows)
        .into_iter()
        .map(|c| PolynomialValues::new(c.into_iter().map(F::from_canonical_u64).collect()))
        .collect();
    Ok((columns, outputs))
}

pub(crate) fn eval_packed<P: PackedField>(
    layout: &Layout,
    identities: &[Identity],
    lv: &[P],
    nv: &[P],
    yc: &mut ConstraintConsumer<P>,
) {
    let one = P::ONES;
    let last = lv[layout.last];
    let h = offset_point();
    let h: Vec<u64> = limbs_of(h.0).into_iter().chain(limbs_of(h.1)).collect();
    let z = zero_output();
    let z: Vec<u64> = limbs_of(z.0).into_iter().chain(limbs_of(z.1)).collect();
    let constant = |v: u64| P::Scalar::from_canonical_u64(v);

    yc.constraint(last * last - last);
    yc.constraint_first_row(lv[layout.step]);
    yc.constraint_transition((one - last) * (nv[layout.step] - lv[layout.step] - one));
    yc.constraint_transition(last * nv[layout.step]);
    yc.constraint(last * (lv[layout.step] - constant(STEPS as u64 - 1)));
    for i in 0..2 * LIMBS {
        yc.constraint_first_row(lv[layout.acc + i] - constant(h[i]));
        yc.constraint_transition(last * (nv[layout.acc + i] - constant(h[i])));
        yc.constraint_transition((one - last) * (nv[layout.acc + i] - lv[layout.out() + i]));
        if layout.sums_to_zero {
            yc.constraint(last * (lv[layout.out() + i] - constant(z[i])));
        }
    }
    for b in 0..layout.bases {
        let bit = lv[layout.bit(b)];
        yc.constraint(bit * bit - bit);
        for i in 0..2 * LIMBS {
            if b < layout.variable_bases() {
                let t = layout.base(b) + i;
                yc.constraint_transition((one - last) * (nv[t] - lv[t]));
            }
            let before = lv[layout.before(b) + i];
            let sum = lv[layout.add(b) + LIMBS + i];
            yc.constraint(lv[layout.stage(b) + i] - before - bit * (sum - before));
        }
    }
    for identity in identities {
        identity.eval_packed(lv, one, |c| yc.constraint(c));
    }

    if layout.range_in_table {
        layout.range_check().eval_packed(lv, nv, yc);
    }
}

pub(crate) fn eval_circuit<F: RichField + Extendable<D>, const D: usize>(
    layout: &Layout,
    identities: &[Identity],
    builder: &mut CircuitBuilder<F, D>,
    lv: &[ExtensionTarget<D>],
    nv: &[ExtensionTarget<D>],
    yc: &mut RecursiveConstraintConsumer<F, D>,
) {
    let one = builder.one_extension();
    let last = lv[layout.last];
    let h = offset_point();
    let h: Vec<u64> = limbs_of(h.0).into_iter().chain(limbs_of(h.1)).collect();
    let z = zero_output();
    let z: Vec<u64> = limbs_of(z.0).into_iter().chain(limbs_of(z.1)).collect();
    let not_last = builder.sub_extension(one, last);

    let t = builder.mul_sub_extension(last, last, last);
    yc.constraint(builder, t);
    yc.constraint_first_row(builder, lv[layout.step]);
    let t = builder.sub_extension(nv[layout.step], lv[layout.step]);
    let t = builder.sub_extension(t, one);
    let t = builder.mul_extension(not_last, t);
    yc.constraint_transition(builder, t);
    let t = builder.mul_extension(last, nv[layout.step]);
    yc.constraint_transition(builder, t);
    let t = builder.add_const_extension(lv[layout.step], -F::from_canonical_u64(STEPS as u64 - 1));
    let t = builder.mul_extension(last, t);
    yc.constraint(builder, t);
    for i in 0..2 * LIMBS {
        let hi = F::from_canonical_u64(h[i]);
        let t = builder.add_const_extension(lv[layout.acc + i], -hi);
        yc.constraint_first_row(builder, t);
        let t = builder.add_const_extension(nv[layout.acc + i], -hi);
        let t = builder.mul_extension(last, t);
        yc.constraint_transition(builder, t);
        let t = builder.sub_extension(nv[layout.acc + i], lv[layout.out() + i]);
        let t = builder.mul_extension(not_last, t);
        yc.constraint_transition(builder, t);
        if layout.sums_to_zero {
            let t = builder.add_const_extension(lv[layout.out() + i], -F::from_canonical_u64(z[i]));
            let t = builder.mul_extension(last, t);
            yc.constraint(builder, t);
        }
    }
    for b in 0..layout.bases {
        let bit = lv[layout.bit(b)];
        let t = builder.mul_sub_extension(bit, bit, bit);
        yc.constraint(builder, t);
        for i in 0..2 * LIMBS {
            if b < layout.variable_bases() {
                let c = layout.base(b) + i;
                let t = builder.sub_extension(nv[c], lv[c]);
                let t = builder.mul_extension(not_last, t);
                yc.constraint_transition(builder, t);
            }
            let before = lv[layout.before(b) + i];
            let sum = lv[layout.add(b) + LIMBS + i];
            let difference = builder.sub_extension(sum, before);
            let t = builder.sub_extension(lv[layout.stage(b) + i], before);
            let t = builder.arithmetic_extension(-F::ONE, F::ONE, bit, difference, t);
            yc.constraint(builder, t);
        }
    }
    for identity in identities {
        identity.eval_circuit(builder, lv, one, |b, c| yc.constraint(b, c));
    }

    if layout.range_in_table {
        layout.range_check().eval_circuit(builder, lv, nv, yc);
    }
}

/// Defines a table type for one layout (starky needs the column count as a constant).
macro_rules! msm_table {
    ($(#[$doc:meta])* $name:ident, $bases:expr, $sums_to_zero:expr, $fixed:expr) => {
        $(#[$doc])*
        #[derive(Clone)]
        pub struct $name<F, const D: usize> {
            identities: Vec<Identity>,
            _field: PhantomData<F>,
        }

        impl<F, const D: usize> $name<F, D> {
            /// Where each value of a row lives.
            pub const LAYOUT: Layout = Layout::new($bases, $sums_to_zero, $fixed, true);

            /// The table (its size is the trace's).
            pub fn new() -> Self {
                Self {
                    identities: Self::LAYOUT.identities(),
                    _field: PhantomData,
                }
            }
        }

        impl<F, const D: usize> Default for $name<F, D> {
            fn default() -> Self {
                Self::new()
            }
        }

        impl<F: RichField + Extendable<D>, const D: usize> Stark<F, D> for $name<F, D> {
            type EvaluationFrame<FE, P, const D2: usize>
                = StarkFrame<P, P::Scalar, { Layout::new($bases, $sums_to_zero, $fixed, true).num_columns }, 0>
            where
                FE: FieldExtension<D2, BaseField = F>,
                P: PackedField<Scalar = FE>;

            type EvaluationFrameTarget = StarkFrame<
                ExtensionTarget<D>,
                ExtensionTarget<D>,
                { Layout::new($bases, $sums_to_zero, $fixed, true).num_columns },
                0,
            >;

            fn eval_packed_generic<FE, P, const D2: usize>(
                &self,
                vars: &Self::EvaluationFrame<FE, P, D2>,
                yc: &mut ConstraintConsumer<P>,
            ) where
                FE: FieldExtension<D2, BaseField = F>,
                P: PackedField<Scalar = FE>,
            {
                let (lv, nv) = (vars.get_local_values(), vars.get_next_values());
                eval_packed(&Self::LAYOUT, &self.identities, lv, nv, yc);
            }

            fn eval_ext_circuit(
                &self,
                builder: &mut CircuitBuilder<F, D>,
                vars: &Self::EvaluationFrameTarget,
                yc: &mut RecursiveConstraintConsumer<F, D>,
            ) {
                let (lv, nv) = (vars.get_local_values(), vars.get_next_values());
                eval_circuit(&Self::LAYOUT, &self.identities, builder, lv, nv, yc);
            }

            fn constraint_degree(&self) -> usize {
                3
            }

            fn lookups(&self) -> Vec<Lookup<F>> {
                Self::LAYOUT.range_check().lookups()
            }
        }
    };
}

msm_table!(
    /// Scalar multiplications k·T (one base), outputs exported for later lookups.
    ScalarMulStark,
    1,
    false,
    false
);

#[cfg(test)]
mod tests {
    use k256::ProjectivePoint;
    use plonky2::field::goldilocks_field::GoldilocksField;

    use super::super::testing::{failing_rows, from_k256, scalar, to_k256};
    use super::*;

    type F = GoldilocksField;
    const D: usize = 2;
    const ONE_BASE: Layout = ScalarMulStark::<F, D>::LAYOUT;
    /// Identity indices of base 0 (after the three of doubling).
    const CURVE_Y: usize = 4;
    const INVERSE: usize = 8;

    fn sample(i: u64) -> (U256, Point) {
        let k = U256::from(i + 7).pow(U256::from(37)) >> 3;
        let t = from_k256(ProjectivePoint::GENERATOR * scalar(U256::from(i * 1_000_003 + 11)));
        (k, t)
    }

    fn rows(layout: &Layout, work: &[(U256, Point)]) -> Vec<Vec<u64>> {
        multiplication_rows(layout, &layout.identities(), work)
            .unwrap()
            .0
    }

    fn one_base_failures(rows: &[Vec<u64>]) -> Vec<usize> {
        failing_rows(&ScalarMulStark::<F, D>::new(), rows)
    }

    /// A cheater's rows for k·T: as honest rows, but T is not checked to be on the curve,
    /// an addition of equal x takes the slope 5, and identities `unfilled` are left empty
    /// on rows whose values cannot satisfy them.
    fn cheat_rows(k: U256, t: Point, unfilled: &[usize]) -> Vec<Vec<u64>> {
        let l = ONE_BASE;
        let ids = l.identities();
        let mut acc = offset_point();
        let mut rows = Vec::new();
        for step in 0..STEPS {
            let mut row = vec![0u64; l.num_columns];
            let bit = k.bit(STEPS - 1 - step);
            row[l.step] = step as u64;
            row[l.last] = u64::from(step == STEPS - 1);
            row[l.bit(0)] = u64::from(bit);
            set_point(&mut row, l.acc, acc);
            set_point(&mut row, l.base(0), t);
            set_value(&mut row, l.base_xx(0), t.0.mul_mod(t.0, P));
            let (d, ld) = double(acc);
            set_value(&mut row, l.double, ld);
            set_point(&mut row, l.double + LIMBS, d);
            let (s, la, inv) = add_points(d, t).unwrap_or_else(|| {
                let la = U256::from(5);
                let xs = la.mul_mod(la, P).add_mod(P - d.0, P).add_mod(P - t.0, P);
                let ys = la.mul_mod(d.0.add_mod(P - xs, P), P).add_mod(P - d.1, P);
                ((xs, ys), la, U256::ZERO)
            });
            set_value(&mut row, l.add(0), la);
            set_point(&mut row, l.add(0) + LIMBS, s);
            set_value(&mut row, l.add(0) + 3 * LIMBS, inv);
            acc = if bit { s } else { d };
            set_point(&mut row, l.stage(0), acc);
            for (i, identity) in ids.iter().enumerate() {
                let filled = identity.fill(&mut row);
                if !unfilled.contains(&i) {
                    filled.unwrap();
                }
            }
            rows.push(row);
        }
        rows
    }

    #[test]
    fn outputs_match_k256() {
        let h = to_k256(zero_output());
        for i in 0..4 {
            let (k, t) = sample(i);
            let (_, out) =
                multiplication_rows(&ONE_BASE, &ONE_BASE.identities(), &[(k, t)]).unwrap();
            assert_eq!(out, from_k256(h + to_k256(t) * scalar(k)), "sample {i}");
        }
    }

    #[test]
    fn honest_rows_satisfy_every_constraint() {
        let (k, t) = sample(1);
        assert_eq!(
            one_base_failures(&rows(&ONE_BASE, &[(k, t)])),
            Vec::<usize>::new()
        );
        assert_eq!(
            one_base_failures(&cheat_rows(k, t, &[])),
            Vec::<usize>::new()
        );
    }

    #[test]
    fn a_set_bit_whose_addition_is_dropped_is_refused() {
        // The rows of k with one set bit cleared, then that row's bit set again: every row
        // is consistent except that the set bit's row keeps the doubled point.
        let (k, t) = sample(2);
        let step = (0..STEPS).find(|&s| k.bit(STEPS - 1 - s)).unwrap();
        let cleared = k ^ (U256::from(1) << (STEPS - 1 - step));
        let mut rows = rows(&ONE_BASE, &[(cleared, t)]);
        rows[step][ONE_BASE.bit(0)] = 1;
        assert_eq!(one_base_failures(&rows), vec![step]);
    }

    #[test]
    fn a_multiplication_cut_short_is_refused() {
        // A consistent 101-step multiplication (its last flag set at step 100), followed by
        // a full one: only the rule that the last step is step 255 can see it.
        let (k, t) = sample(3);
        let mut cut = rows(&ONE_BASE, &[(k, t)]);
        cut.truncate(101);
        cut[100][ONE_BASE.last] = 1;
        cut.extend(rows(&ONE_BASE, &[(k, t)]));
        assert_eq!(one_base_failures(&cut), vec![100]);
    }

    #[test]
    fn a_base_point_off_the_curve_is_refused() {
        // Every identity filled except T's curve equation, which no values satisfy.
        let (k, t) = sample(4);
        let off = (t.0, t.1.add_mod(U256::from(1), P));
        let rows = cheat_rows(k, off, &[CURVE_Y]);
        assert!(ONE_BASE.identities()[CURVE_Y]
            .fill(&mut rows[0].clone())
            .is_err());
        assert_eq!(one_base_failures(&rows).len(), STEPS);
    }

    #[test]
    fn an_addition_of_equal_x_coordinates_is_refused() {
        // T = 2H: the first step doubles H to T and must add T to itself, where the affine
        // formula's slope is unconstrained. A cheater picks any slope; only the inverse of
        // x_T − x_D (zero) stops it.
        let t = double(offset_point()).0;
        let rows = cheat_rows(U256::from(1) << 255, t, &[INVERSE]);
        assert_eq!(one_base_failures(&rows), vec![0]);
    }
}
