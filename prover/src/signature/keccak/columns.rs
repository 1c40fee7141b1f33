//! Where each value of a round lives in a row of the Keccak table.
//!
//! A lane (x, y) is 64 bits; the field holds less than 2^64, so lanes that other tables will
//! look up (input, state, output) are stored as two 32-bit limbs, low first. The values
//! that θ and χ need bit by bit (C, C', A') are stored as bits.

/// Lanes of the state.
pub const LANES: usize = 25;
/// 32-bit limbs per lane.
pub const LIMBS: usize = 2;

/// Index of lane (x, y): x + 5y, as in FIPS 202.
pub const fn lane(x: usize, y: usize) -> usize {
    x + 5 * y
}

/// One-hot round flags: flag `r` is 1 on the row of round `r`; padding rows have none.
pub const fn round_flag(r: usize) -> usize {
    r
}
const FLAGS_END: usize = 24;

/// The permutation's input, repeated on each of its 24 rows (for lookups).
pub const fn input_limb(lane: usize, limb: usize) -> usize {
    FLAGS_END + lane * LIMBS + limb
}
const INPUT_END: usize = FLAGS_END + LANES * LIMBS;

/// A: the state when this row's round begins.
pub const fn a_limb(lane: usize, limb: usize) -> usize {
    INPUT_END + lane * LIMBS + limb
}
const A_END: usize = INPUT_END + LANES * LIMBS;

/// C\[x\]\[z\] = xor over y of A\[x\]\[y\]\[z\] (θ's column parities).
pub const fn c_bit(x: usize, z: usize) -> usize {
    A_END + x * 64 + z
}
const C_END: usize = A_END + 5 * 64;

/// C'\[x\]\[z\] = C\[x\]\[z\] xor C\[x-1\]\[z\] xor C\[x+1\]\[z-1\].
pub const fn c_prime_bit(x: usize, z: usize) -> usize {
    C_END + x * 64 + z
}
const C_PRIME_END: usize = C_END + 5 * 64;

/// A' = θ(A), bit by bit.
pub const fn a_prime_bit(x: usize, y: usize, z: usize) -> usize {
    C_PRIME_END + lane(x, y) * 64 + z
}
const A_PRIME_END: usize = C_PRIME_END + LANES * 64;

/// A'' = χ(π(ρ(A'))) for lanes other than (0, 0), as limbs (lane index ≥ 1).
pub const fn a_chi_limb(lane: usize, limb: usize) -> usize {
    A_PRIME_END + (lane - 1) * LIMBS + limb
}
const A_CHI_END: usize = A_PRIME_END + (LANES - 1) * LIMBS;

/// Lane (0, 0) of A'' as bits: ι xors the round constant into it.
pub const fn a_chi_00_bit(z: usize) -> usize {
    A_CHI_END + z
}
const A_CHI_00_END: usize = A_CHI_END + 64;

/// Lane (0, 0) after ι, as limbs.
pub const fn a_iota_00_limb(limb: usize) -> usize {
    A_CHI_00_END + limb
}

/// Columns of the table.
pub const NUM_COLUMNS: usize = A_CHI_00_END + LIMBS;

/// The round's output lane: what the next round starts from, and on a permutation's last
/// row, the permutation's output.
pub const fn output_limb(lane: usize, limb: usize) -> usize {
    if lane == 0 {
        a_iota_00_limb(limb)
    } else {
        a_chi_limb(lane, limb)
    }
}

/// The A' bit that ρ and π move to position (x, y, z) of B, the input of χ.
/// π sends lane (x, y) to (y, 2x + 3y); ρ rotates it left by its offset first.
pub fn b_bit(x: usize, y: usize, z: usize) -> usize {
    // Invert π: the source lane is (x0, y0) with y0 = x and 2·x0 + 3·y0 = y (mod 5);
    // 2⁻¹ = 3 (mod 5).
    let y0 = x;
    let x0 = ((y + 5 * 3 - 3 * y0 % 5) * 3) % 5;
    let rot = super::constants::RHO_OFFSETS[x0][y0] as usize;
    a_prime_bit(x0, y0, (z + 64 - rot) % 64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_are_disjoint_and_cover_the_row() {
        let mut used = vec![0u32; NUM_COLUMNS];
        let mut mark = |c: usize| used[c] += 1;
        (0..24).for_each(|r| mark(round_flag(r)));
        for l in 0..LANES {
            for j in 0..LIMBS {
                mark(input_limb(l, j));
                mark(a_limb(l, j));
                if l > 0 {
                    mark(a_chi_limb(l, j));
                }
            }
        }
        for x in 0..5 {
            for z in 0..64 {
                mark(c_bit(x, z));
                mark(c_prime_bit(x, z));
                (0..5).for_each(|y| mark(a_prime_bit(x, y, z)));
            }
        }
        (0..64).for_each(|z| mark(a_chi_00_bit(z)));
        (0..LIMBS).for_each(|j| mark(a_iota_00_limb(j)));
        assert!(
            used.iter().all(|&n| n == 1),
            "every column used exactly once"
        );
    }

    #[test]
    fn rho_pi_is_a_permutation_of_a_prime() {
        let mut seen = std::collections::HashSet::new();
        for x in 0..5 {
            for y in 0..5 {
                for z in 0..64 {
                    assert!(seen.insert(b_bit(x, y, z)));
                }
            }
        }
        assert_eq!(seen.len(), 1600);
    }
}
