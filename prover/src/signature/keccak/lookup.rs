//! What the Keccak table offers to the signature circuit: per permutation, on its last
//! row, its input state and the first four lanes of its output (a Keccak-256 digest of a
//! one-block message), all as 32-bit limbs.

use plonky2::field::types::Field;
use starky::lookup::{Column, Filter};

use super::columns::{input_limb, output_limb, round_flag, LANES, LIMBS};
use super::constants::ROUNDS;
use super::trace::KeccakState;

/// Output lanes a Keccak-256 digest takes.
pub const DIGEST_LANES: usize = 4;

/// The exported columns: 50 input limbs, then 8 output limbs.
pub fn exported_columns<F: Field>() -> Vec<Column<F>> {
    let input = (0..LANES).flat_map(|l| (0..LIMBS).map(move |j| input_limb(l, j)));
    let output = (0..DIGEST_LANES).flat_map(|l| (0..LIMBS).map(move |j| output_limb(l, j)));
    input.chain(output).map(Column::single).collect()
}

/// The rows that export: a permutation's last round (padding rows have no round flag).
pub fn export_filter<F: Field>() -> Filter<F> {
    Filter::new_simple(Column::single(round_flag(ROUNDS - 1)))
}

/// The values [`exported_columns`] hold for a permutation of `input` with output `output`.
pub fn exported_values(input: &KeccakState, output: &KeccakState) -> Vec<u64> {
    let limbs = |lane: u64| [lane & 0xffff_ffff, lane >> 32];
    input
        .iter()
        .flat_map(|&l| limbs(l))
        .chain(output[..DIGEST_LANES].iter().flat_map(|&l| limbs(l)))
        .collect()
}
