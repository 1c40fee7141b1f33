//! The Keccak table's constraints, once over packed field values (proving, native
//! verification) and once over recursion targets (verification inside plonky2); starky
//! needs both, and `stark_testing` checks that they agree.
//!
//! Per row, with all stored bits constrained boolean:
//! - θ: C' = xor3(C\[x\], C\[x-1\], C\[x+1\] rotated by one); Σ_y A'\[x\]\[y\] − C' ∈ {0, 2, 4}
//!   (so C' is the parity of A'); and A's limbs recompose from A' xor C xor C'. Together
//!   these force C = parity of A and A' = θ(A).
//! - ρ, π: no columns; χ reads A' bits at moved positions ([`b_bit`]).
//! - χ: each lane other than (0, 0) recomposes from B xor (¬B\[x+1\] ∧ B\[x+2\]); lane
//!   (0, 0)'s bits equal that expression; ι xors the selected round constant into them.
//! - Rounds: flags shift by one row; a permutation starts only on the first row or right
//!   after one ends; its first round starts from its input; inside a permutation the next
//!   row starts from this row's output and repeats the input.

use std::marker::PhantomData;

use plonky2::field::extension::{Extendable, FieldExtension};
use plonky2::field::packed::PackedField;
use plonky2::field::types::Field;
use plonky2::hash::hash_types::RichField;
use plonky2::iop::ext_target::ExtensionTarget;
use plonky2::plonk::circuit_builder::CircuitBuilder;
use starky::constraint_consumer::{ConstraintConsumer, RecursiveConstraintConsumer};
use starky::evaluation_frame::{StarkEvaluationFrame, StarkFrame};
use starky::stark::Stark;

use super::columns::*;
use super::constants::{round_constant_bit, ROUNDS};

/// The Keccak-f\[1600\] table: one round per row.
#[derive(Clone, Copy, Default)]
pub struct KeccakStark<F, const D: usize> {
    looked_up: bool,
    _field: PhantomData<F>,
}

impl<F, const D: usize> KeccakStark<F, D> {
    /// The table (it has no parameters: its size is the trace's).
    pub const fn new() -> Self {
        Self {
            looked_up: false,
            _field: PhantomData,
        }
    }

    /// The table as part of the signature tables, where the signature circuit looks up its
    /// permutations (its proof then carries cross-table lookup columns).
    pub const fn looked_up() -> Self {
        Self {
            looked_up: true,
            _field: PhantomData,
        }
    }
}

fn xor_packed<P: PackedField>(a: P, b: P) -> P {
    a + b - a * b.doubles()
}

fn xor_circuit<F: RichField + Extendable<D>, const D: usize>(
    builder: &mut CircuitBuilder<F, D>,
    a: ExtensionTarget<D>,
    b: ExtensionTarget<D>,
) -> ExtensionTarget<D> {
    let sum = builder.add_extension(a, b);
    builder.arithmetic_extension(-F::TWO, F::ONE, a, b, sum)
}

/// χ's bit: b xor (¬b1 ∧ b2) = b + b2 − b1·b2 − 2·b·(b2 − b1·b2).
fn chi_packed<P: PackedField>(b: P, b1: P, b2: P) -> P {
    let and_not = b2 - b1 * b2;
    b + and_not - b * and_not.doubles()
}

fn chi_circuit<F: RichField + Extendable<D>, const D: usize>(
    builder: &mut CircuitBuilder<F, D>,
    b: ExtensionTarget<D>,
    b1: ExtensionTarget<D>,
    b2: ExtensionTarget<D>,
) -> ExtensionTarget<D> {
    // n = b1·b2 − b2 = −(¬b1 ∧ b2), so the bit is b − n + 2·b·n.
    let n = builder.mul_sub_extension(b1, b2, b2);
    let difference = builder.sub_extension(b, n);
    builder.arithmetic_extension(F::TWO, F::ONE, b, n, difference)
}

/// Σ 2^k · bits\[k\] over 32 bits.
fn limb_packed<P: PackedField>(bits: impl Iterator<Item = P>) -> P {
    bits.enumerate().fold(P::ZEROS, |acc, (k, bit)| {
        acc + bit * P::Scalar::from_canonical_u64(1 << k)
    })
}

fn limb_circuit<F: RichField + Extendable<D>, const D: usize>(
    builder: &mut CircuitBuilder<F, D>,
    bits: impl Iterator<Item = ExtensionTarget<D>>,
) -> ExtensionTarget<D> {
    let one = builder.one_extension();
    let mut acc = builder.zero_extension();
    for (k, bit) in bits.enumerate() {
        acc = builder.arithmetic_extension(F::from_canonical_u64(1 << k), F::ONE, one, bit, acc);
    }
    acc
}

impl<F: RichField + Extendable<D>, const D: usize> Stark<F, D> for KeccakStark<F, D> {
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

        // Rounds.
        for r in 0..ROUNDS {
            let f = lv[round_flag(r)];
            yc.constraint(f * f - f);
            if r > 0 {
                yc.constraint_first_row(f);
                yc.constraint_transition(nv[round_flag(r)] - lv[round_flag(r - 1)]);
            }
        }
        let last_round = lv[round_flag(ROUNDS - 1)];
        let in_permutation = one - last_round;
        yc.constraint_transition(nv[round_flag(0)] * in_permutation);
        for l in 0..LANES {
            for j in 0..LIMBS {
                yc.constraint(lv[round_flag(0)] * (lv[a_limb(l, j)] - lv[input_limb(l, j)]));
                yc.constraint_transition(
                    in_permutation * (nv[input_limb(l, j)] - lv[input_limb(l, j)]),
                );
                yc.constraint_transition(
                    in_permutation * (nv[a_limb(l, j)] - lv[output_limb(l, j)]),
                );
            }
        }

        // θ.
        for x in 0..5 {
            for z in 0..64 {
                let c = lv[c_bit(x, z)];
                let c_prime = lv[c_prime_bit(x, z)];
                yc.constraint(c * c - c);
                yc.constraint(c_prime * c_prime - c_prime);
                let expected = xor_packed(
                    xor_packed(c, lv[c_bit((x + 4) % 5, z)]),
                    lv[c_bit((x + 1) % 5, (z + 63) % 64)],
                );
                yc.constraint(c_prime - expected);
                let mut sum = P::ZEROS;
                for y in 0..5 {
                    let bit = lv[a_prime_bit(x, y, z)];
                    yc.constraint(bit * bit - bit);
                    sum += bit;
                }
                let diff = sum - c_prime;
                let two = P::Scalar::TWO;
                let four = P::Scalar::from_canonical_u64(4);
                yc.constraint(diff * (diff - two) * (diff - four));
            }
        }
        for x in 0..5 {
            let c_xor_c_prime: [P; 64] =
                std::array::from_fn(|z| xor_packed(lv[c_bit(x, z)], lv[c_prime_bit(x, z)]));
            for y in 0..5 {
                for j in 0..LIMBS {
                    let bits = (32 * j..32 * j + 32)
                        .map(|z| xor_packed(lv[a_prime_bit(x, y, z)], c_xor_c_prime[z]));
                    yc.constraint(limb_packed(bits) - lv[a_limb(lane(x, y), j)]);
                }
            }
        }

        // ρ, π, χ.
        let chi = |x: usize, y: usize, z: usize| {
            chi_packed(
                lv[b_bit(x, y, z)],
                lv[b_bit((x + 1) % 5, y, z)],
                lv[b_bit((x + 2) % 5, y, z)],
            )
        };
        for y in 0..5 {
            for x in 0..5 {
                if (x, y) == (0, 0) {
                    continue;
                }
                for j in 0..LIMBS {
                    let bits = (32 * j..32 * j + 32).map(|z| chi(x, y, z));
                    yc.constraint(limb_packed(bits) - lv[a_chi_limb(lane(x, y), j)]);
                }
            }
        }
        for z in 0..64 {
            yc.constraint(chi(0, 0, z) - lv[a_chi_00_bit(z)]);
        }

        // ι.
        for j in 0..LIMBS {
            let bits = (32 * j..32 * j + 32).map(|z| {
                let rc = (0..ROUNDS)
                    .filter(|&r| round_constant_bit(r, z))
                    .fold(P::ZEROS, |acc, r| acc + lv[round_flag(r)]);
                xor_packed(lv[a_chi_00_bit(z)], rc)
            });
            yc.constraint(limb_packed(bits) - lv[a_iota_00_limb(j)]);
        }
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

        // Rounds.
        for r in 0..ROUNDS {
            let f = lv[round_flag(r)];
            let t = builder.mul_sub_extension(f, f, f);
            yc.constraint(builder, t);
            if r > 0 {
                yc.constraint_first_row(builder, f);
                let t = builder.sub_extension(nv[round_flag(r)], lv[round_flag(r - 1)]);
                yc.constraint_transition(builder, t);
            }
        }
        let in_permutation = builder.sub_extension(one, lv[round_flag(ROUNDS - 1)]);
        let t = builder.mul_extension(nv[round_flag(0)], in_permutation);
        yc.constraint_transition(builder, t);
        for l in 0..LANES {
            for j in 0..LIMBS {
                let d = builder.sub_extension(lv[a_limb(l, j)], lv[input_limb(l, j)]);
                let t = builder.mul_extension(lv[round_flag(0)], d);
                yc.constraint(builder, t);
                let d = builder.sub_extension(nv[input_limb(l, j)], lv[input_limb(l, j)]);
                let t = builder.mul_extension(in_permutation, d);
                yc.constraint_transition(builder, t);
                let d = builder.sub_extension(nv[a_limb(l, j)], lv[output_limb(l, j)]);
                let t = builder.mul_extension(in_permutation, d);
                yc.constraint_transition(builder, t);
            }
        }

        // θ.
        let two = builder.constant_extension(F::Extension::TWO);
        let four = builder.constant_extension(F::Extension::from_canonical_u64(4));
        for x in 0..5 {
            for z in 0..64 {
                let c = lv[c_bit(x, z)];
                let c_prime = lv[c_prime_bit(x, z)];
                let t = builder.mul_sub_extension(c, c, c);
                yc.constraint(builder, t);
                let t = builder.mul_sub_extension(c_prime, c_prime, c_prime);
                yc.constraint(builder, t);
                let e = xor_circuit(builder, c, lv[c_bit((x + 4) % 5, z)]);
                let e = xor_circuit(builder, e, lv[c_bit((x + 1) % 5, (z + 63) % 64)]);
                let t = builder.sub_extension(c_prime, e);
                yc.constraint(builder, t);
                let mut sum = builder.zero_extension();
                for y in 0..5 {
                    let bit = lv[a_prime_bit(x, y, z)];
                    let t = builder.mul_sub_extension(bit, bit, bit);
                    yc.constraint(builder, t);
                    sum = builder.add_extension(sum, bit);
                }
                let diff = builder.sub_extension(sum, c_prime);
                let d2 = builder.sub_extension(diff, two);
                let d4 = builder.sub_extension(diff, four);
                let t = builder.mul_many_extension([diff, d2, d4]);
                yc.constraint(builder, t);
            }
        }
        for x in 0..5 {
            let c_xor_c_prime: Vec<_> = (0..64)
                .map(|z| xor_circuit(builder, lv[c_bit(x, z)], lv[c_prime_bit(x, z)]))
                .collect();
            for y in 0..5 {
                for j in 0..LIMBS {
                    let bits: Vec<_> = (32 * j..32 * j + 32)
                        .map(|z| xor_circuit(builder, lv[a_prime_bit(x, y, z)], c_xor_c_prime[z]))
                        .collect();
                    let limb = limb_circuit(builder, bits.into_iter());
                    let t = builder.sub_extension(limb, lv[a_limb(lane(x, y), j)]);
                    yc.constraint(builder, t);
                }
            }
        }

        // ρ, π, χ.
        let chi = |builder: &mut CircuitBuilder<F, D>, x: usize, y: usize, z: usize| {
            chi_circuit(
                builder,
                lv[b_bit(x, y, z)],
                lv[b_bit((x + 1) % 5, y, z)],
                lv[b_bit((x + 2) % 5, y, z)],
            )
        };
        for y in 0..5 {
            for x in 0..5 {
                if (x, y) == (0, 0) {
                    continue;
                }
                for j in 0..LIMBS {
                    let bits: Vec<_> = (32 * j..32 * j + 32)
                        .map(|z| chi(builder, x, y, z))
                        .collect();
                    let limb = limb_circuit(builder, bits.into_iter());
                    let t = builder.sub_extension(limb, lv[a_chi_limb(lane(x, y), j)]);
                    yc.constraint(builder, t);
                }
            }
        }
        for z in 0..64 {
            let bit = chi(builder, 0, 0, z);
            let t = builder.sub_extension(bit, lv[a_chi_00_bit(z)]);
            yc.constraint(builder, t);
        }

        // ι.
        for j in 0..LIMBS {
            let bits: Vec<_> = (32 * j..32 * j + 32)
                .map(|z| {
                    let flags: Vec<_> = (0..ROUNDS)
                        .filter(|&r| round_constant_bit(r, z))
                        .map(|r| lv[round_flag(r)])
                        .collect();
                    let rc = builder.add_many_extension(flags);
                    xor_circuit(builder, lv[a_chi_00_bit(z)], rc)
                })
                .collect();
            let limb = limb_circuit(builder, bits.into_iter());
            let t = builder.sub_extension(limb, lv[a_iota_00_limb(j)]);
            yc.constraint(builder, t);
        }
    }

    fn constraint_degree(&self) -> usize {
        3
    }

    fn requires_ctls(&self) -> bool {
        self.looked_up
    }
}
