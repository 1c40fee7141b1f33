//! Fills the Keccak table: 24 rows per permutation, then all-zero padding rows up to a
//! power of two (a zero state run through rounds without round constants stays zero, so
//! padding satisfies every constraint without being a permutation anyone can look up).

use plonky2::field::polynomial::PolynomialValues;
use plonky2::field::types::Field;
use plonky2::util::transpose;

use super::columns::*;
use super::constants::{RHO_OFFSETS, ROUNDS, ROUND_CONSTANTS};

/// A Keccak-f\[1600\] state: lane (x, y) at index x + 5y.
pub type KeccakState = [u64; LANES];

/// The smallest trace (log2 rows) the table is proven at: starky's FRI needs a few rounds
/// of folding.
pub const MIN_TRACE_BITS: usize = 5;

/// Rows a table of `permutations` permutations is padded to.
pub fn trace_rows(permutations: usize) -> usize {
    (permutations * ROUNDS)
        .next_power_of_two()
        .max(1 << MIN_TRACE_BITS)
}

/// Runs Keccak-f\[1600\] on `state` natively (the reference the table's rows follow).
pub fn keccak_f(state: &mut KeccakState) {
    for round in 0..ROUNDS {
        *state = round_values(state, round).output;
    }
}

/// Every intermediate value of one round, as the table stores it.
struct RoundValues {
    c: [u64; 5],
    c_prime: [u64; 5],
    a_prime: KeccakState,
    output: KeccakState,
    chi_00: u64,
}

fn round_values(a: &KeccakState, round: usize) -> RoundValues {
    let mut c = [0u64; 5];
    for (x, cx) in c.iter_mut().enumerate() {
        *cx = (0..5).fold(0, |acc, y| acc ^ a[lane(x, y)]);
    }
    let d: [u64; 5] = std::array::from_fn(|x| c[(x + 4) % 5] ^ c[(x + 1) % 5].rotate_left(1));
    let c_prime: [u64; 5] = std::array::from_fn(|x| c[x] ^ d[x]);
    let a_prime: KeccakState = std::array::from_fn(|i| a[i] ^ d[i % 5]);
    let mut b = [0u64; LANES];
    for x in 0..5 {
        for y in 0..5 {
            b[lane(y, (2 * x + 3 * y) % 5)] = a_prime[lane(x, y)].rotate_left(RHO_OFFSETS[x][y]);
        }
    }
    let mut output: KeccakState = std::array::from_fn(|i| {
        let (x, y) = (i % 5, i / 5);
        b[i] ^ (!b[lane((x + 1) % 5, y)] & b[lane((x + 2) % 5, y)])
    });
    let chi_00 = output[0];
    output[0] ^= ROUND_CONSTANTS[round];
    RoundValues {
        c,
        c_prime,
        a_prime,
        output,
        chi_00,
    }
}

fn set_limbs<F: Field>(row: &mut [F], col: impl Fn(usize) -> usize, value: u64) {
    row[col(0)] = F::from_canonical_u64(value & 0xffff_ffff);
    row[col(1)] = F::from_canonical_u64(value >> 32);
}

fn set_bits<F: Field>(row: &mut [F], col: impl Fn(usize) -> usize, value: u64) {
    for z in 0..64 {
        row[col(z)] = F::from_bool((value >> z) & 1 == 1);
    }
}

/// The 24 rows of one permutation of `input`, and its output.
fn permutation_rows<F: Field>(input: &KeccakState) -> (Vec<Vec<F>>, KeccakState) {
    let mut rows = Vec::with_capacity(ROUNDS);
    let mut a = *input;
    for round in 0..ROUNDS {
        let mut row = vec![F::ZERO; NUM_COLUMNS];
        row[round_flag(round)] = F::ONE;
        let v = round_values(&a, round);
        for l in 0..LANES {
            set_limbs(&mut row, |j| input_limb(l, j), input[l]);
            set_limbs(&mut row, |j| a_limb(l, j), a[l]);
            if l > 0 {
                set_limbs(&mut row, |j| a_chi_limb(l, j), v.output[l]);
            }
        }
        for x in 0..5 {
            set_bits(&mut row, |z| c_bit(x, z), v.c[x]);
            set_bits(&mut row, |z| c_prime_bit(x, z), v.c_prime[x]);
            for y in 0..5 {
                set_bits(&mut row, |z| a_prime_bit(x, y, z), v.a_prime[lane(x, y)]);
            }
        }
        set_bits(&mut row, a_chi_00_bit, v.chi_00);
        set_limbs(&mut row, a_iota_00_limb, v.output[0]);
        rows.push(row);
        a = v.output;
    }
    (rows, a)
}

/// The table's trace (as columns) for `inputs`, and each permutation's output.
pub fn generate_trace<F: Field>(
    inputs: &[KeccakState],
) -> (Vec<PolynomialValues<F>>, Vec<KeccakState>) {
    generate_trace_with_rows(inputs, trace_rows(inputs.len()))
}

/// [`generate_trace`] padded to `rows_total` rows (a power of two that holds them).
pub fn generate_trace_with_rows<F: Field>(
    inputs: &[KeccakState],
    rows_total: usize,
) -> (Vec<PolynomialValues<F>>, Vec<KeccakState>) {
    assert!(rows_total.is_power_of_two() && rows_total >= trace_rows(inputs.len()));
    let mut rows = Vec::with_capacity(rows_total);
    let mut outputs = Vec::with_capacity(inputs.len());
    for input in inputs {
        let (r, out) = permutation_rows(input);
        rows.extend(r);
        outputs.push(out);
    }
    rows.resize(rows_total, vec![F::ZERO; NUM_COLUMNS]);
    let columns = transpose(&rows)
        .into_iter()
        .map(PolynomialValues::new)
        .collect();
    (columns, outputs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn native_rounds_match_the_reference_permutation() {
        let mut state: KeccakState =
            std::array::from_fn(|i| (i as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15));
        for _ in 0..3 {
            let mut reference = state;
            keccak::f1600(&mut reference);
            keccak_f(&mut state);
            assert_eq!(state, reference);
        }
    }
}
