//! The ECDSA table: one signature per 256 rows, the multi-scalar multiplication
//! r·Q − s·R + z·G = 0 of [`super::msm`] (bases Q, −R and the constant G), and what ties its
//! bits to a signature Ethereum accepts:
//!
//! - **scalar recomposition**: each scalar's bits, consumed most significant first, are
//!   gathered 16 at a time into a limb that must equal the top of a 16-limb register; the
//!   register rotates by one limb every 16 rows, so after the multiplication it holds the
//!   scalar's limbs (rotated by 15) on the last row, where the other rules read them;
//! - **r = R.x**: R's x coordinate equals the recomposed r, limb by limb;
//! - **ranges**: s ≤ (n − 1)/2 (EIP-2's low s) and r ≤ n − 1, each as `scalar + d = bound`
//!   with d's limbs range-checked and carries in base 2^32; s ≠ 0 and r ≠ 0 (an inverse of
//!   the limb sum);
//! - **exports**: on each real signature's last row, the signer's key Q and the signing
//!   hash z (16-bit limbs) go to the signature circuit through a cross-table lookup; every
//!   limb, quotient and carry goes to the range table through another.
//!
//! Rows past the last real signature repeat a fixed valid signature with `is_real` = 0, so
//! every rule holds on them and no lookup sees them.

use std::marker::PhantomData;
use std::sync::OnceLock;

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
use starky::lookup::{Column, Filter};
use starky::stark::Stark;

use super::curve::{lift_x, Point, GENERATOR};
use super::identity::{limbs_of, Identity, LIMBS};
use super::msm::{self, ecdsa_work, multiplication_rows, zero_output, Layout, STEPS};

/// secp256k1's group order n.
pub const ORDER: U256 = U256::from_limbs([
    0xBFD2_5E8C_D036_4141,
    0xBAAE_DCE6_AF48_A03B,
    0xFFFF_FFFF_FFFF_FFFE,
    0xFFFF_FFFF_FFFF_FFFF,
]);

/// The curve part of a row: three bases (Q, −R, G), the last a constant, summing to zero,
/// ranges checked in the range table.
pub const CURVE: Layout = Layout::new(3, true, true, false);

/// Scalar of base Q: r.
pub const SCALAR_R: usize = 0;
/// Scalar of base −R: s.
pub const SCALAR_S: usize = 1;
/// Scalar of base G: z, the signing hash.
pub const SCALAR_Z: usize = 2;

const START: usize = CURVE.num_columns;
/// 1 on the rows of a signature the circuit looks up; 0 on padding.
pub const IS_REAL: usize = START;
/// The row's position in its 16-bit limb (0..15).
const SUB: usize = START + 1;
/// 1 on the last row of a limb (`SUB` = 15).
const END: usize = START + 2;
/// Bits of scalar `j` gathered since the limb began.
const fn gathered(j: usize) -> usize {
    START + 3 + j
}
/// Limb `i` of scalar `j`'s rotating register.
const fn register(j: usize, i: usize) -> usize {
    START + 6 + LIMBS * j + i
}
const BOUNDS_AT: usize = START + 6 + 3 * LIMBS;
/// The two range rules: `scalar + d = bound`.
const BOUNDS: [(usize, fn() -> U256); 2] = [(SCALAR_S, half_order), (SCALAR_R, order_minus_one)];
/// Limb `i` of rule `k`'s difference d (range-checked).
const fn difference(k: usize, i: usize) -> usize {
    BOUNDS_AT + LIMBS * k + i
}
const CARRIES_AT: usize = BOUNDS_AT + 2 * LIMBS;
/// Pairs of limbs (base 2^32) per 256-bit value.
const PAIRS: usize = LIMBS / 2;
/// Carry `m` (0..7) of rule `k`, between pairs m and m + 1.
const fn carry(k: usize, m: usize) -> usize {
    CARRIES_AT + (PAIRS - 1) * k + m
}
const INVERSES_AT: usize = CARRIES_AT + 2 * (PAIRS - 1);
/// The inverse of the limb sum of rule `k`'s scalar (it is not zero).
const fn inverse(k: usize) -> usize {
    INVERSES_AT + k
}
/// Columns of the table.
pub const NUM_COLUMNS: usize = INVERSES_AT + 2;

fn half_order() -> U256 {
    (ORDER - U256::from(1)) >> 1
}
fn order_minus_one() -> U256 {
    ORDER - U256::from(1)
}

/// Where limb `l` of scalar `j` sits on a multiplication's last row: the register has
/// rotated 15 times.
pub const fn scalar_limb(j: usize, l: usize) -> usize {
    register(j, (l + 15) % LIMBS)
}

/// One signature for the table: the signer's key Q, the nonce point R (x = r), and the
/// scalars r, s and z (the signing hash as an integer below 2^256).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EcdsaInput {
    /// The signer's public key.
    pub q: Point,
    /// The nonce point R.
    pub r_point: Point,
    /// r = R.x.
    pub r: U256,
    /// s, at most (n − 1)/2.
    pub s: U256,
    /// The signing hash.
    pub z: U256,
}

/// A fixed valid signature (key 1, nonce 2, the hash of a fixed string) that fills the
/// rows after the real ones.
pub fn padding_signature() -> EcdsaInput {
    static PADDING: OnceLock<EcdsaInput> = OnceLock::new();
    *PADDING.get_or_init(|| {
        use k256::elliptic_curve::ops::Reduce;
        use k256::elliptic_curve::sec1::ToEncodedPoint;
        use k256::{ProjectivePoint, Scalar};
        let point = |p: ProjectivePoint| {
            let e = p.to_affine().to_encoded_point(false);
            (
                U256::from_be_slice(e.x().expect("finite")),
                U256::from_be_slice(e.y().expect("finite")),
            )
        };
        let z = U256::from_be_bytes(alloy_primitives::keccak256(b"quire padding signature").0);
        let k = Scalar::from(2u64);
        let r_point = point(ProjectivePoint::GENERATOR * k);
        let r = r_point.0 % ORDER;
        let to_scalar =
            |v: U256| <Scalar as Reduce<k256::U256>>::reduce_bytes(&v.to_be_bytes::<32>().into());
        let mut s = U256::from_be_slice(
            &(k.invert().expect("2 ≠ 0") * (to_scalar(z) + to_scalar(r))).to_bytes(),
        );
        let mut r_point = r_point;
        if s > half_order() {
            s = ORDER - s;
            r_point = lift_x(r_point.0, !r_point.1.bit(0)).expect("R is on the curve");
        }
        EcdsaInput {
            q: GENERATOR,
            r_point,
            r,
            s,
            z,
        }
    })
}

/// The rows of one signature, or why it cannot be proven (off the curve, out of range, or
/// an equation that does not hold).
fn signature_rows<F: RichField>(
    identities: &[Identity],
    input: &EcdsaInput,
    is_real: bool,
) -> Result<Vec<Vec<u64>>, String> {
    if input.r_point.0 != input.r {
        return Err("R's x coordinate is not r".into());
    }
    for &(j, bound) in &BOUNDS {
        let k = [input.r, input.s, input.z][j];
        if k > bound() || k.is_zero() {
            return Err("r or s is out of range".into());
        }
    }
    let (rows, out) = rows_unchecked::<F>(identities, input, is_real)?;
    if out != zero_output() {
        return Err("the signature does not satisfy the ECDSA equation".into());
    }
    Ok(rows)
}

/// The rows a prover would write for `input` whether or not it is a valid signature (a
/// cheater's rows, in tests), and the multiplication's output. Differences of a scalar
/// above its bound wrap modulo 2^256; the inverse of a zero sum is zero.
fn rows_unchecked<F: RichField>(
    identities: &[Identity],
    input: &EcdsaInput,
    is_real: bool,
) -> Result<(Vec<Vec<u64>>, Point), String> {
    let scalars = [input.r, input.s, input.z];
    let differences = BOUNDS.map(|(j, bound)| limbs_of(bound().wrapping_sub(scalars[j])));
    let work = ecdsa_work(input.r_point, input.q, input.r, input.s, input.z);
    let (mut rows, out) = multiplication_rows(&CURVE, identities, &work)?;
    let limbs = scalars.map(limbs_of);
    let mut registers = limbs;
    let mut gathered_bits = [0u64; 3];
    for (step, row) in rows.iter_mut().enumerate() {
        row.resize(NUM_COLUMNS, 0);
        row[IS_REAL] = u64::from(is_real);
        let sub = (step % 16) as u64;
        row[SUB] = sub;
        row[END] = u64::from(sub == 15);
        for j in 0..3 {
            let bit = row[CURVE.bit(j)];
            gathered_bits[j] = if sub == 0 {
                bit
            } else {
                2 * gathered_bits[j] + bit
            };
            row[gathered(j)] = gathered_bits[j];
            for i in 0..LIMBS {
                row[register(j, i)] = registers[j][i];
            }
            if sub == 15 {
                registers[j].rotate_right(1);
            }
        }
        for (k, &(j, _)) in BOUNDS.iter().enumerate() {
            row[difference(k, 0)..difference(k, 0) + LIMBS].copy_from_slice(&differences[k]);
            let pair = |v: &[u64; LIMBS], m: usize| v[2 * m] + (v[2 * m + 1] << 16);
            let mut c = 0u64;
            for m in 0..PAIRS - 1 {
                c = (pair(&limbs[j], m) + pair(&differences[k], m) + c) >> 32;
                row[carry(k, m)] = c;
            }
            let sum: u64 = limbs[j].iter().sum();
            row[inverse(k)] = if sum == 0 {
                0
            } else {
                F::from_canonical_u64(sum).inverse().to_canonical_u64()
            };
        }
    }
    Ok((rows, out))
}

/// The ECDSA table's trace, and how often each 16-bit value is looked up in the range table.
pub struct EcdsaTrace<F: Field> {
    /// The columns.
    pub columns: Vec<PolynomialValues<F>>,
    /// Lookups of each value 0..2^16 into the range table.
    pub range_counts: Vec<u64>,
}

/// Rows of a table of `signatures` signatures.
pub fn trace_rows(signatures: usize) -> usize {
    (signatures.max(1) * STEPS).next_power_of_two()
}

/// The columns the range table checks: the curve rows' limbs, quotients and carries, and
/// the range rules' differences.
pub fn range_checked_columns() -> Vec<usize> {
    CURVE
        .checked_columns()
        .chain(BOUNDS_AT..BOUNDS_AT + 2 * LIMBS)
        .collect()
}

/// The table of `inputs` in `n` rows (a power of two that holds them), padded with
/// [`padding_signature`]; fails on a signature the table cannot prove.
pub fn generate_trace<F: RichField>(
    inputs: &[EcdsaInput],
    n: usize,
) -> Result<EcdsaTrace<F>, String> {
    let identities = CURVE.identities();
    if !n.is_power_of_two() || n < inputs.len() * STEPS {
        return Err(format!("{} signatures do not fit {n} rows", inputs.len()));
    }
    let mut rows = Vec::with_capacity(n);
    for (i, input) in inputs.iter().enumerate() {
        rows.extend(
            signature_rows::<F>(&identities, input, true)
                .map_err(|e| format!("signature {i}: {e}"))?,
        );
    }
    pad_rows::<F>(&mut rows, n)?;
    Ok(trace_of_rows(&rows))
}

/// Fills `rows` up to `n` with [`padding_signature`]'s rows.
fn pad_rows<F: RichField>(rows: &mut Vec<Vec<u64>>, n: usize) -> Result<(), String> {
    if rows.len() < n {
        let padding = signature_rows::<F>(&CURVE.identities(), &padding_signature(), false)?;
        while rows.len() < n {
            rows.extend(padding.iter().cloned());
        }
    }
    Ok(())
}

/// The trace of `rows` (each value a canonical field element) and the range table's
/// counts of the values its checked columns hold. A value of 16 bits or more has no entry
/// in the range table: it is not counted, and the lookup fails (only a cheater's rows hold
/// one: tests).
pub(crate) fn trace_of_rows<F: RichField>(rows: &[Vec<u64>]) -> EcdsaTrace<F> {
    let mut range_counts = vec![0u64; 1 << 16];
    let checked = range_checked_columns();
    for row in rows {
        for &c in &checked {
            if let Some(count) = range_counts.get_mut(row[c] as usize) {
                *count += 1;
            }
        }
    }
    let columns = transpose(rows)
        .into_iter()
        .map(|c| PolynomialValues::new(c.into_iter().map(F::from_canonical_u64).collect()))
        .collect();
    EcdsaTrace {
        columns,
        range_counts,
    }
}

/// What the table exports per real signature: Q.x, Q.y and z as 16-bit limbs, least
/// significant first.
pub fn exported_columns<F: Field>() -> Vec<Column<F>> {
    exported_indices().into_iter().map(Column::single).collect()
}

fn exported_indices() -> Vec<usize> {
    let q = CURVE.base(0);
    (q..q + 2 * LIMBS)
        .chain((0..LIMBS).map(|l| scalar_limb(SCALAR_Z, l)))
        .collect()
}

/// The rows that export: a real signature's last row.
pub fn export_filter<F: Field>() -> Filter<F> {
    Filter::new(
        vec![(Column::single(IS_REAL), Column::single(CURVE.last))],
        vec![],
    )
}

/// The values [`exported_columns`] hold for `input`.
pub fn exported_values(input: &EcdsaInput) -> Vec<u64> {
    limbs_of(input.q.0)
        .into_iter()
        .chain(limbs_of(input.q.1))
        .chain(limbs_of(input.z))
        .collect()
}

fn eval_packed<P: PackedField>(lv: &[P], nv: &[P], yc: &mut ConstraintConsumer<P>) {
    let constant = |v: u64| P::Scalar::from_canonical_u64(v);
    let one = P::ONES;
    let last = lv[CURVE.last];
    let not_last = one - last;
    let end = lv[END];

    yc.constraint(lv[IS_REAL] * lv[IS_REAL] - lv[IS_REAL]);
    yc.constraint_transition(not_last * (nv[IS_REAL] - lv[IS_REAL]));

    yc.constraint_first_row(lv[SUB]);
    yc.constraint(end * end - end);
    yc.constraint(end * (lv[SUB] - constant(15)));
    yc.constraint_transition(nv[SUB] - lv[SUB] - one + end * constant(16));
    yc.constraint(last * (one - end));

    for j in 0..3 {
        let (bit, next_bit) = (lv[CURVE.bit(j)], nv[CURVE.bit(j)]);
        let g = lv[gathered(j)];
        yc.constraint_first_row(g - bit);
        yc.constraint_transition(nv[gathered(j)] - (one - end) * g.doubles() - next_bit);
        yc.constraint(end * (g - lv[register(j, LIMBS - 1)]));
        for i in 0..LIMBS {
            let (here, before) = (lv[register(j, i)], lv[register(j, (i + LIMBS - 1) % LIMBS)]);
            yc.constraint_transition(
                not_last * (nv[register(j, i)] - here - end * (before - here)),
            );
        }
    }

    let r_x = CURVE.base(1);
    for l in 0..LIMBS {
        yc.constraint(last * (lv[r_x + l] - lv[scalar_limb(SCALAR_R, l)]));
    }

    let pair = |at: &dyn Fn(usize) -> usize, m: usize| {
        lv[at(2 * m)] + lv[at(2 * m + 1)] * constant(1 << 16)
    };
    for (k, &(j, bound)) in BOUNDS.iter().enumerate() {
        let bound = limbs_of(bound());
        let mut carry_in = P::ZEROS;
        for m in 0..PAIRS {
            let carry_out = if m < PAIRS - 1 {
                let c = lv[carry(k, m)];
                yc.constraint(c * c - c);
                c
            } else {
                P::ZEROS
            };
            let sum = pair(&|l| scalar_limb(j, l), m) + pair(&|i| difference(k, i), m) + carry_in
                - constant(bound[2 * m] + (bound[2 * m + 1] << 16))
                - carry_out * constant(1 << 32);
            yc.constraint(last * sum);
            carry_in = carry_out;
        }
        let limb_sum = (0..LIMBS).fold(P::ZEROS, |acc, l| acc + lv[scalar_limb(j, l)]);
        yc.constraint(last * (lv[inverse(k)] * limb_sum - one));
    }
}

fn eval_circuit<F: RichField + Extendable<D>, const D: usize>(
    builder: &mut CircuitBuilder<F, D>,
    lv: &[ExtensionTarget<D>],
    nv: &[ExtensionTarget<D>],
    yc: &mut RecursiveConstraintConsumer<F, D>,
) {
    let one = builder.one_extension();
    let last = lv[CURVE.last];
    let not_last = builder.sub_extension(one, last);
    let end = lv[END];
    let boolean =
        |b: &mut CircuitBuilder<F, D>, x: ExtensionTarget<D>| b.mul_sub_extension(x, x, x);

    let t = boolean(builder, lv[IS_REAL]);
    yc.constraint(builder, t);
    let t = builder.sub_extension(nv[IS_REAL], lv[IS_REAL]);
    let t = builder.mul_extension(not_last, t);
    yc.constraint_transition(builder, t);

    yc.constraint_first_row(builder, lv[SUB]);
    let t = boolean(builder, end);
    yc.constraint(builder, t);
    let t = builder.add_const_extension(lv[SUB], -F::from_canonical_u64(15));
    let t = builder.mul_extension(end, t);
    yc.constraint(builder, t);
    let t = builder.sub_extension(nv[SUB], lv[SUB]);
    let t = builder.add_const_extension(t, -F::ONE);
    let t = builder.arithmetic_extension(F::from_canonical_u64(16), F::ONE, end, one, t);
    yc.constraint_transition(builder, t);
    let t = builder.sub_extension(one, end);
    let t = builder.mul_extension(last, t);
    yc.constraint(builder, t);

    for j in 0..3 {
        let (bit, next_bit) = (lv[CURVE.bit(j)], nv[CURVE.bit(j)]);
        let g = lv[gathered(j)];
        let t = builder.sub_extension(g, bit);
        yc.constraint_first_row(builder, t);
        // g' − 2g + 2·end·g − bit'
        let t = builder.sub_extension(nv[gathered(j)], next_bit);
        let t = builder.arithmetic_extension(F::TWO, F::ONE, end, g, t);
        let t = builder.arithmetic_extension(-F::TWO, F::ONE, one, g, t);
        yc.constraint_transition(builder, t);
        let t = builder.sub_extension(g, lv[register(j, LIMBS - 1)]);
        let t = builder.mul_extension(end, t);
        yc.constraint(builder, t);
        for i in 0..LIMBS {
            let (here, before) = (lv[register(j, i)], lv[register(j, (i + LIMBS - 1) % LIMBS)]);
            let moved = builder.sub_extension(before, here);
            let t = builder.sub_extension(nv[register(j, i)], here);
            let t = builder.arithmetic_extension(-F::ONE, F::ONE, end, moved, t);
            let t = builder.mul_extension(not_last, t);
            yc.constraint_transition(builder, t);
        }
    }

    let r_x = CURVE.base(1);
    for l in 0..LIMBS {
        let t = builder.sub_extension(lv[r_x + l], lv[scalar_limb(SCALAR_R, l)]);
        let t = builder.mul_extension(last, t);
        yc.constraint(builder, t);
    }

    let shift = F::from_canonical_u64(1 << 16);
    for (k, &(j, bound)) in BOUNDS.iter().enumerate() {
        let bound = limbs_of(bound());
        let mut carry_in = None;
        for m in 0..PAIRS {
            let carry_out = (m < PAIRS - 1).then(|| {
                let c = lv[carry(k, m)];
                let t = boolean(builder, c);
                yc.constraint(builder, t);
                c
            });
            let a = builder.mul_const_add_extension(
                shift,
                lv[scalar_limb(j, 2 * m + 1)],
                lv[scalar_limb(j, 2 * m)],
            );
            let d = builder.mul_const_add_extension(
                shift,
                lv[difference(k, 2 * m + 1)],
                lv[difference(k, 2 * m)],
            );
            let mut sum = builder.add_extension(a, d);
            if let Some(c) = carry_in {
                sum = builder.add_extension(sum, c);
            }
            sum = builder.add_const_extension(
                sum,
                -F::from_canonical_u64(bound[2 * m] + (bound[2 * m + 1] << 16)),
            );
            if let Some(c) = carry_out {
                sum = builder.mul_const_add_extension(-F::from_canonical_u64(1 << 32), c, sum);
            }
            let t = builder.mul_extension(last, sum);
            yc.constraint(builder, t);
            carry_in = carry_out;
        }
        let limbs: Vec<_> = (0..LIMBS).map(|l| lv[scalar_limb(j, l)]).collect();
        let limb_sum = builder.add_many_extension(limbs);
        let t = builder.mul_sub_extension(lv[inverse(k)], limb_sum, one);
        let t = builder.mul_extension(last, t);
        yc.constraint(builder, t);
    }
}

/// The ECDSA table (its size is the trace's).
#[derive(Clone)]
pub struct EcdsaStark<F, const D: usize> {
    identities: Vec<Identity>,
    _field: PhantomData<F>,
}

impl<F, const D: usize> EcdsaStark<F, D> {
    /// The table.
    pub fn new() -> Self {
        Self {
            identities: CURVE.identities(),
            _field: PhantomData,
        }
    }
}

impl<F, const D: usize> Default for EcdsaStark<F, D> {
    fn default() -> Self {
        Self::new()
    }
}

impl<F: RichField + Extendable<D>, const D: usize> Stark<F, D> for EcdsaStark<F, D> {
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
        let (lv, nv) = (vars.get_local_values(), vars.get_next_values());
        msm::eval_packed(&CURVE, &self.identities, lv, nv, yc);
        eval_packed(lv, nv, yc);
    }

    fn eval_ext_circuit(
        &self,
        builder: &mut CircuitBuilder<F, D>,
        vars: &Self::EvaluationFrameTarget,
        yc: &mut RecursiveConstraintConsumer<F, D>,
    ) {
        let (lv, nv) = (vars.get_local_values(), vars.get_next_values());
        msm::eval_circuit(&CURVE, &self.identities, builder, lv, nv, yc);
        eval_circuit(builder, lv, nv, yc);
    }

    fn constraint_degree(&self) -> usize {
        3
    }

    fn requires_ctls(&self) -> bool {
        true
    }
}

#[cfg(test)]
#[path = "ecdsa_routing_tests.rs"]
mod routing_tests;

#[cfg(test)]
#[path = "ecdsa_tests.rs"]
mod tests;
