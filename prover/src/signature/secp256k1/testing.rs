//! Helpers shared by the tables' unit tests: k256 conversions and direct constraint
//! evaluation of a table's rows.

use alloy_primitives::U256;
use k256::elliptic_curve::sec1::{FromEncodedPoint, ToEncodedPoint};
use k256::elliptic_curve::PrimeField;
use k256::{AffinePoint, EncodedPoint, ProjectivePoint, Scalar};
use plonky2::field::goldilocks_field::GoldilocksField;
use plonky2::field::types::Field;
use starky::constraint_consumer::ConstraintConsumer;
use starky::evaluation_frame::StarkEvaluationFrame;
use starky::stark::Stark;

use super::curve::Point;

type F = GoldilocksField;
const D: usize = 2;

pub(crate) fn to_k256((x, y): Point) -> ProjectivePoint {
    let encoded = EncodedPoint::from_affine_coordinates(
        &x.to_be_bytes::<32>().into(),
        &y.to_be_bytes::<32>().into(),
        false,
    );
    ProjectivePoint::from(AffinePoint::from_encoded_point(&encoded).expect("on the curve"))
}

pub(crate) fn from_k256(p: ProjectivePoint) -> Point {
    let e = p.to_affine().to_encoded_point(false);
    (
        U256::from_be_slice(e.x().expect("finite")),
        U256::from_be_slice(e.y().expect("finite")),
    )
}

pub(crate) fn scalar(k: U256) -> Scalar {
    Scalar::from_repr(k.to_be_bytes::<32>().into()).expect("below n")
}

pub(crate) fn to_u256(s: Scalar) -> U256 {
    U256::from_be_slice(&s.to_bytes())
}

/// The rows of `rows` (whole multiplications, range column all zero) whose
/// constraints fail, evaluated directly (no proof) as a table of just these rows. The
/// one last-row rule (the range column ends at 0xffff) needs 2^16 rows and is left out.
pub(crate) fn failing_rows<S: Stark<F, D>>(stark: &S, rows: &[Vec<u64>]) -> Vec<usize> {
    let n = rows.len();
    let as_field =
        |r: &Vec<u64>| -> Vec<F> { r.iter().map(|&v| F::from_canonical_u64(v)).collect() };
    (0..n)
        .filter(|&i| {
            let frame = S::EvaluationFrame::<F, F, 1>::from_values(
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
            consumer.accumulators()[0] != F::ZERO
        })
        .collect()
}
