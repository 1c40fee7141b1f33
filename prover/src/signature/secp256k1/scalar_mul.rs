//! A starky table of secp256k1 scalar multiplications, one bit per row (256 rows per
//! multiplication, most significant bit first): each row doubles the accumulator, adds the
//! base point, and keeps the sum if the bit is set. A multiplication starts from
//! [`offset_point`] H, so its last row outputs 2^256·H + k·T, never the point at infinity.
//!
//! Every field operation is a modular [`Identity`] over witnessed values: the prover
//! supplies the slopes and 1/(x_T − x_D), so the table never divides. The addition's
//! inverse also proves x_T ≠ x_D, which is what makes the incomplete affine formulas
//! sound; doubling needs no such check, as secp256k1 has no point with y = 0. The base
//! point is checked to be on the curve on every row. The ECDSA check will combine three
//! such multiplications (s·R, z·G, r·Q) through cross-table lookups on the base point, the
//! bits and the output; those are not built yet, so the table has no public inputs.

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
use starky::lookup::{Column, Filter, Lookup};
use starky::stark::Stark;

use super::curve::{add_points, double, offset_point, on_curve, Point, GENERATOR};
use super::identity::{limbs_of, Identity, Term, LIMBS, WIDTH};

/// Bits of a scalar: rows per multiplication.
pub const STEPS: usize = 256;

/// Step of the row within its multiplication (0 = most significant bit).
pub const STEP: usize = 0;
/// 1 on a multiplication's last row.
pub const LAST: usize = 1;
/// The scalar's bit of this row.
pub const BIT: usize = 2;
const VALUES: usize = 3;
/// The accumulator when the row begins: x, then y (16 limbs each).
pub const ACC: usize = VALUES;
/// The base point T.
pub const T: usize = ACC + 2 * LIMBS;
/// x_T².
pub const T_XX: usize = T + 2 * LIMBS;
/// Doubling: slope, then the doubled point's x and y.
pub const DOUBLE: usize = T_XX + LIMBS;
/// Addition of T: slope, the sum's x and y, then 1/(x_T − x_D).
pub const ADD: usize = DOUBLE + 3 * LIMBS;
const VALUES_END: usize = ADD + 4 * LIMBS;
const IDENTITIES: usize = 9;
const RANGE: usize = VALUES_END + IDENTITIES * WIDTH;
const FREQUENCIES: usize = RANGE + 1;
/// The row's output: the sum if the bit is set, else the doubled point.
pub const OUT: usize = FREQUENCIES + 1;
/// Columns of the table.
pub const NUM_COLUMNS: usize = OUT + 2 * LIMBS;
/// The smallest table: the 16-bit range column needs 2^16 rows (256 multiplications).
pub const MIN_TRACE_BITS: usize = 16;

const X: usize = 0;
const Y: usize = LIMBS;

/// The row's identities, in the order of their column blocks.
fn identities() -> Vec<Identity> {
    use Term::*;
    let (ax, ay, tx, ty) = (ACC + X, ACC + Y, T + X, T + Y);
    let (ld, xd, yd) = (DOUBLE, DOUBLE + LIMBS, DOUBLE + 2 * LIMBS);
    let (la, xs, ys, inv) = (ADD, ADD + LIMBS, ADD + 2 * LIMBS, ADD + 3 * LIMBS);
    let at = |i: usize| VALUES_END + i * WIDTH;
    vec![
        // T on the curve: x_T² = T_XX, y_T² = T_XX·x_T + 7.
        Identity::new(vec![Product(1, tx, tx), Value(-1, T_XX)], at(0)),
        Identity::new(
            vec![Product(1, ty, ty), Product(-1, T_XX, tx), Constant(-7)],
            at(1),
        ),
        // Doubling: 2λ·y = 3x², x_D = λ² − 2x, y_D = λ(x − x_D) − y.
        Identity::new(vec![Product(2, ld, ay), Product(-3, ax, ax)], at(2)),
        Identity::new(
            vec![Product(1, ld, ld), Value(-2, ax), Value(-1, xd)],
            at(3),
        ),
        Identity::new(
            vec![
                Product(1, ld, ax),
                Product(-1, ld, xd),
                Value(-1, ay),
                Value(-1, yd),
            ],
            at(4),
        ),
        // Addition: λ'(x_T − x_D) = y_T − y_D, x_S = λ'² − x_D − x_T, y_S = λ'(x_D − x_S) − y_D,
        // and inv·(x_T − x_D) = 1.
        Identity::new(
            vec![
                Product(1, la, tx),
                Product(-1, la, xd),
                Value(-1, ty),
                Value(1, yd),
            ],
            at(5),
        ),
        Identity::new(
            vec![
                Product(1, la, la),
                Value(-1, xd),
                Value(-1, tx),
                Value(-1, xs),
            ],
            at(6),
        ),
        Identity::new(
            vec![
                Product(1, la, xd),
                Product(-1, la, xs),
                Value(-1, yd),
                Value(-1, ys),
            ],
            at(7),
        ),
        Identity::new(
            vec![Product(1, inv, tx), Product(-1, inv, xd), Constant(-1)],
            at(8),
        ),
    ]
}

/// The scalar multiplication table.
#[derive(Clone, Default)]
pub struct ScalarMulStark<F, const D: usize> {
    identities: Vec<Identity>,
    _field: PhantomData<F>,
}

impl<F, const D: usize> ScalarMulStark<F, D> {
    /// The table (its size is the trace's).
    pub fn new() -> Self {
        Self {
            identities: identities(),
            _field: PhantomData,
        }
    }
}

fn set_point(row: &mut [u64], at: usize, (x, y): Point) {
    row[at..at + LIMBS].copy_from_slice(&limbs_of(x));
    row[at + LIMBS..at + 2 * LIMBS].copy_from_slice(&limbs_of(y));
}

/// The 256 rows of k·T from H, and the output 2^256·H + k·T.
/// Fails for a base point off the curve or a step the incomplete formulas cannot take.
fn multiplication_rows(
    identities: &[Identity],
    k: U256,
    t: Point,
) -> Result<(Vec<Vec<u64>>, Point), String> {
    if !on_curve(t) {
        return Err("the base point is not on the curve".into());
    }
    let mut acc = offset_point();
    let mut rows = Vec::with_capacity(STEPS);
    for step in 0..STEPS {
        let mut row = vec![0u64; NUM_COLUMNS];
        let bit = k.bit(STEPS - 1 - step);
        row[STEP] = step as u64;
        row[LAST] = u64::from(step == STEPS - 1);
        row[BIT] = u64::from(bit);
        set_point(&mut row, ACC, acc);
        set_point(&mut row, T, t);
        row[T_XX..T_XX + LIMBS].copy_from_slice(&limbs_of(t.0.mul_mod(t.0, super::identity::P)));
        let (d, ld) = double(acc);
        row[DOUBLE..DOUBLE + LIMBS].copy_from_slice(&limbs_of(ld));
        set_point(&mut row, DOUBLE + LIMBS, d);
        let (s, la, inv) = add_points(d, t).ok_or("a step met equal x coordinates")?;
        row[ADD..ADD + LIMBS].copy_from_slice(&limbs_of(la));
        set_point(&mut row, ADD + LIMBS, s);
        row[ADD + 3 * LIMBS..ADD + 4 * LIMBS].copy_from_slice(&limbs_of(inv));
        for identity in identities {
            identity.fill(&mut row)?;
        }
        acc = if bit { s } else { d };
        set_point(&mut row, OUT, acc);
        rows.push(row);
    }
    Ok((rows, acc))
}

/// The trace of the multiplications `(k, T)` (padded with multiplications 0·G), and
/// each output 2^256·H + k·T.
pub fn generate_trace<F: Field>(
    multiplications: &[(U256, Point)],
) -> Result<(Vec<PolynomialValues<F>>, Vec<Point>), String> {
    let identities = identities();
    let n = (multiplications.len() * STEPS)
        .next_power_of_two()
        .max(1 << MIN_TRACE_BITS);
    let mut rows = Vec::with_capacity(n);
    let mut outputs = Vec::with_capacity(multiplications.len());
    for &(k, t) in multiplications {
        let (r, out) = multiplication_rows(&identities, k, t)?;
        rows.extend(r);
        outputs.push(out);
    }
    if rows.len() < n {
        // Padding: copies of one real multiplication (0·G).
        let (padding, _) = multiplication_rows(&identities, U256::ZERO, GENERATOR)?;
        while rows.len() < n {
            rows.extend(padding.iter().cloned());
        }
    }
    let mut frequencies = vec![0u64; n];
    for row in &rows {
        for &v in &row[ACC..VALUES_END + IDENTITIES * WIDTH] {
            frequencies[v as usize] += 1;
        }
    }
    for (i, row) in rows.iter_mut().enumerate() {
        row[RANGE] = (i as u64).min(0xffff);
        row[FREQUENCIES] = frequencies[i];
    }
    let columns = transpose(&rows)
        .into_iter()
        .map(|c| PolynomialValues::new(c.into_iter().map(F::from_canonical_u64).collect()))
        .collect();
    Ok((columns, outputs))
}

impl<F: RichField + Extendable<D>, const D: usize> Stark<F, D> for ScalarMulStark<F, D> {
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
        let one = P::ONES;
        let (last, bit) = (lv[LAST], lv[BIT]);
        let h = offset_point();
        let h_limbs: Vec<u64> = limbs_of(h.0).into_iter().chain(limbs_of(h.1)).collect();

        yc.constraint(bit * bit - bit);
        yc.constraint(last * last - last);
        yc.constraint_first_row(lv[STEP]);
        yc.constraint_transition((one - last) * (nv[STEP] - lv[STEP] - one));
        yc.constraint_transition(last * nv[STEP]);
        yc.constraint(last * (lv[STEP] - P::Scalar::from_canonical_u64(STEPS as u64 - 1)));
        for i in 0..2 * LIMBS {
            let h = P::Scalar::from_canonical_u64(h_limbs[i]);
            yc.constraint_first_row(lv[ACC + i] - h);
            yc.constraint_transition(last * (nv[ACC + i] - h));
            yc.constraint_transition((one - last) * (nv[ACC + i] - lv[OUT + i]));
            yc.constraint_transition((one - last) * (nv[T + i] - lv[T + i]));
            let doubled = lv[DOUBLE + LIMBS + i];
            let sum = lv[ADD + LIMBS + i];
            yc.constraint(lv[OUT + i] - doubled - bit * (sum - doubled));
        }
        for identity in &self.identities {
            identity.eval_packed(lv, one, |c| yc.constraint(c));
        }

        let step = nv[RANGE] - lv[RANGE];
        yc.constraint_first_row(lv[RANGE]);
        yc.constraint_transition(step * step - step);
        yc.constraint_last_row(lv[RANGE] - P::Scalar::from_canonical_u64(0xffff));
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
        let (last, bit) = (lv[LAST], lv[BIT]);
        let h = offset_point();
        let h_limbs: Vec<u64> = limbs_of(h.0).into_iter().chain(limbs_of(h.1)).collect();
        let not_last = builder.sub_extension(one, last);

        let t = builder.mul_sub_extension(bit, bit, bit);
        yc.constraint(builder, t);
        let t = builder.mul_sub_extension(last, last, last);
        yc.constraint(builder, t);
        yc.constraint_first_row(builder, lv[STEP]);
        let t = builder.sub_extension(nv[STEP], lv[STEP]);
        let t = builder.sub_extension(t, one);
        let t = builder.mul_extension(not_last, t);
        yc.constraint_transition(builder, t);
        let t = builder.mul_extension(last, nv[STEP]);
        yc.constraint_transition(builder, t);
        let t = builder.add_const_extension(lv[STEP], -F::from_canonical_u64(STEPS as u64 - 1));
        let t = builder.mul_extension(last, t);
        yc.constraint(builder, t);
        for i in 0..2 * LIMBS {
            let h = F::from_canonical_u64(h_limbs[i]);
            let t = builder.add_const_extension(lv[ACC + i], -h);
            yc.constraint_first_row(builder, t);
            let t = builder.add_const_extension(nv[ACC + i], -h);
            let t = builder.mul_extension(last, t);
            yc.constraint_transition(builder, t);
            let t = builder.sub_extension(nv[ACC + i], lv[OUT + i]);
            let t = builder.mul_extension(not_last, t);
            yc.constraint_transition(builder, t);
            let t = builder.sub_extension(nv[T + i], lv[T + i]);
            let t = builder.mul_extension(not_last, t);
            yc.constraint_transition(builder, t);
            let doubled = lv[DOUBLE + LIMBS + i];
            let sum = lv[ADD + LIMBS + i];
            let difference = builder.sub_extension(sum, doubled);
            let t = builder.sub_extension(lv[OUT + i], doubled);
            let t = builder.arithmetic_extension(-F::ONE, F::ONE, bit, difference, t);
            yc.constraint(builder, t);
        }
        for identity in &self.identities {
            identity.eval_circuit(builder, lv, one, |b, c| yc.constraint(b, c));
        }

        let step = builder.sub_extension(nv[RANGE], lv[RANGE]);
        yc.constraint_first_row(builder, lv[RANGE]);
        let t = builder.mul_sub_extension(step, step, step);
        yc.constraint_transition(builder, t);
        let t = builder.add_const_extension(lv[RANGE], -F::from_canonical_u64(0xffff));
        yc.constraint_last_row(builder, t);
    }

    fn constraint_degree(&self) -> usize {
        3
    }

    fn lookups(&self) -> Vec<Lookup<F>> {
        let looked = ACC..VALUES_END + IDENTITIES * WIDTH;
        vec![Lookup {
            columns: Column::singles(looked.clone()).collect(),
            table_column: Column::single(RANGE),
            frequencies_column: Column::single(FREQUENCIES),
            filter_columns: vec![Filter::default(); looked.len()],
        }]
    }
}

#[cfg(test)]
mod tests {
    use k256::elliptic_curve::sec1::{FromEncodedPoint, ToEncodedPoint};
    use k256::elliptic_curve::PrimeField;
    use k256::{AffinePoint, EncodedPoint, ProjectivePoint, Scalar};
    use plonky2::field::goldilocks_field::GoldilocksField;
    use starky::constraint_consumer::ConstraintConsumer;

    use super::*;

    type F = GoldilocksField;
    const D: usize = 2;

    fn to_k256((x, y): Point) -> ProjectivePoint {
        let encoded = EncodedPoint::from_affine_coordinates(
            &x.to_be_bytes::<32>().into(),
            &y.to_be_bytes::<32>().into(),
            false,
        );
        ProjectivePoint::from(AffinePoint::from_encoded_point(&encoded).expect("on the curve"))
    }

    fn from_k256(p: ProjectivePoint) -> Point {
        let e = p.to_affine().to_encoded_point(false);
        (
            U256::from_be_slice(e.x().expect("finite")),
            U256::from_be_slice(e.y().expect("finite")),
        )
    }

    fn scalar(k: U256) -> Scalar {
        Scalar::from_repr(k.to_be_bytes::<32>().into()).expect("below n")
    }

    fn sample(i: u64) -> (U256, Point) {
        let k = U256::from(i + 7).pow(U256::from(37)) >> 3;
        let t = from_k256(ProjectivePoint::GENERATOR * scalar(U256::from(i * 1_000_003 + 11)));
        (k, t)
    }

    #[test]
    fn outputs_match_k256() {
        let mut h = to_k256(offset_point());
        for _ in 0..STEPS {
            h = h.double();
        }
        let identities = identities();
        for i in 0..4 {
            let (k, t) = sample(i);
            let (_, out) = multiplication_rows(&identities, k, t).unwrap();
            let expected = h + to_k256(t) * scalar(k);
            assert_eq!(out, from_k256(expected), "sample {i}");
        }
    }

    /// The rows of `rows` (a whole multiplication, range column all zero) whose
    /// constraints fail, evaluated directly (no proof) as a table of just these rows. The
    /// one last-row rule (the range column ends at 0xffff) needs 2^16 rows and is left out.
    fn failing_rows(rows: &[Vec<u64>]) -> Vec<usize> {
        let stark = ScalarMulStark::<F, D>::new();
        let n = rows.len();
        let as_field =
            |r: &Vec<u64>| -> Vec<F> { r.iter().map(|&v| F::from_canonical_u64(v)).collect() };
        let mut failing = Vec::new();
        for i in 0..n {
            let frame = StarkFrame::<F, F, NUM_COLUMNS, 0>::from_values(
                &as_field(&rows[i]),
                &as_field(&rows[(i + 1) % n]),
                &[],
            );
            let mut consumer = ConstraintConsumer::<F>::new(
                vec![F::from_canonical_u64(0x1234_5678_9abc)],
                if i == n - 1 { F::ZERO } else { F::ONE },
                if i == 0 { F::ONE } else { F::ZERO },
                F::ZERO,
            );
            stark.eval_packed_generic(&frame, &mut consumer);
            if consumer.accumulators()[0] != F::ZERO {
                failing.push(i);
            }
        }
        failing
    }

    fn honest(k: U256, t: Point) -> Vec<Vec<u64>> {
        multiplication_rows(&identities(), k, t).unwrap().0
    }

    #[test]
    fn honest_rows_satisfy_every_constraint() {
        let (k, t) = sample(1);
        assert_eq!(failing_rows(&honest(k, t)), Vec::<usize>::new());
    }

    #[test]
    fn a_set_bit_whose_addition_is_dropped_is_refused() {
        // The rows of k with one set bit cleared, then that row's bit set again: every row
        // is consistent except that the set bit's row keeps the doubled point.
        let (k, t) = sample(2);
        let step = (0..STEPS).find(|&s| k.bit(STEPS - 1 - s)).unwrap();
        let cleared = k ^ (U256::from(1) << (STEPS - 1 - step));
        let mut rows = honest(cleared, t);
        rows[step][BIT] = 1;
        assert_eq!(failing_rows(&rows), vec![step]);
    }

    #[test]
    fn a_multiplication_cut_short_is_refused() {
        // A consistent 101-step multiplication (its last flag set at step 100), followed by
        // a full one: only the rule that the last step is step 255 can see it.
        let (k, t) = sample(3);
        let mut rows = honest(k, t);
        rows.truncate(101);
        rows[100][LAST] = 1;
        rows.extend(honest(k, t));
        assert_eq!(failing_rows(&rows), vec![100]);
    }

    #[test]
    fn a_base_point_off_the_curve_is_refused() {
        // A cheater's rows for T off the curve: every identity filled except T's curve
        // equation, which no values satisfy.
        let (k, t) = sample(4);
        let off = (t.0, t.1.add_mod(U256::from(1), super::super::identity::P));
        let mut ids = identities();
        let curve_check = ids.remove(1);
        let mut acc = offset_point();
        let mut rows = honest(k, t);
        for (step, row) in rows.iter_mut().enumerate() {
            let bit = k.bit(STEPS - 1 - step);
            set_point(row, ACC, acc);
            set_point(row, T, off);
            let (d, ld) = double(acc);
            row[DOUBLE..DOUBLE + LIMBS].copy_from_slice(&limbs_of(ld));
            set_point(row, DOUBLE + LIMBS, d);
            let (s, la, inv) = add_points(d, off).unwrap();
            row[ADD..ADD + LIMBS].copy_from_slice(&limbs_of(la));
            set_point(row, ADD + LIMBS, s);
            row[ADD + 3 * LIMBS..ADD + 4 * LIMBS].copy_from_slice(&limbs_of(inv));
            for identity in &ids {
                identity.fill(row).unwrap();
            }
            assert!(curve_check.fill(row).is_err());
            acc = if bit { s } else { d };
            set_point(row, OUT, acc);
        }
        assert_eq!(failing_rows(&rows).len(), STEPS);
    }

    #[test]
    fn an_addition_of_equal_x_coordinates_is_refused() {
        // T = 2H: the first step doubles H to T and must add T to itself, where the
        // affine formula's slope is unconstrained. A cheater picks any slope; only the
        // inverse of x_T − x_D (zero) stops it.
        let t = double(offset_point()).0;
        let k = U256::from(1) << 255;
        let rows = honest_with_free_slope(k, t);
        assert_eq!(failing_rows(&rows), vec![0]);
    }

    fn honest_with_free_slope(k: U256, t: Point) -> Vec<Vec<u64>> {
        let p = super::super::identity::P;
        let ids = identities();
        let mut acc = offset_point();
        let mut rows = Vec::new();
        for step in 0..STEPS {
            let mut row = vec![0u64; NUM_COLUMNS];
            let bit = k.bit(STEPS - 1 - step);
            row[STEP] = step as u64;
            row[LAST] = u64::from(step == STEPS - 1);
            row[BIT] = u64::from(bit);
            set_point(&mut row, ACC, acc);
            set_point(&mut row, T, t);
            row[T_XX..T_XX + LIMBS].copy_from_slice(&limbs_of(t.0.mul_mod(t.0, p)));
            let (d, ld) = double(acc);
            row[DOUBLE..DOUBLE + LIMBS].copy_from_slice(&limbs_of(ld));
            set_point(&mut row, DOUBLE + LIMBS, d);
            let (s, la, inv) = match add_points(d, t) {
                Some(v) => v,
                None => {
                    let la = U256::from(5);
                    let xs = la.mul_mod(la, p).add_mod(p - d.0, p).add_mod(p - t.0, p);
                    let ys = la.mul_mod(d.0.add_mod(p - xs, p), p).add_mod(p - d.1, p);
                    ((xs, ys), la, U256::ZERO)
                }
            };
            row[ADD..ADD + LIMBS].copy_from_slice(&limbs_of(la));
            set_point(&mut row, ADD + LIMBS, s);
            row[ADD + 3 * LIMBS..ADD + 4 * LIMBS].copy_from_slice(&limbs_of(inv));
            for (i, identity) in ids.iter().enumerate() {
                let filled = identity.fill(&mut row);
                if i != 8 || step != 0 {
                    filled.unwrap();
                }
            }
            acc = if bit { s } else { d };
            set_point(&mut row, OUT, acc);
            rows.push(row);
        }
        rows
    }
}
