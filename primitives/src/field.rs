//! Goldilocks field encodings of Ethereum values.
//!
//! Circuits work over the Goldilocks field (p = 2^64 - 2^32 + 1), so every value that enters
//! a hash is split into limbs that are each far below p. Limb widths leave headroom so that
//! the circuit can add two limbs, or compare them through a range check, without wrapping.

use alloy_primitives::{Address, FixedBytes, B256};
use plonky2::field::goldilocks_field::GoldilocksField;
use plonky2::field::types::{Field, Field64, PrimeField64};
use plonky2::hash::hash_types::HashOut;

/// The base field of every quire proof and of the state tree.
pub type F = GoldilocksField;

/// A Poseidon digest: four field elements (~256 bits).
pub type Digest = HashOut<F>;

/// Number of field elements an address occupies.
pub const ADDRESS_LIMBS: usize = 3;

/// Splits an address into `[bits 159..112 (48), bits 111..56 (56), bits 55..0 (56)]`.
///
/// Big-endian limb order keeps the numeric order of addresses: comparing limbs
/// lexicographically compares addresses, which the indexed tree's absence proofs rely on.
pub fn address_limbs(address: &Address) -> [F; ADDRESS_LIMBS] {
    let b = address.as_slice();
    let take = |range: std::ops::Range<usize>| {
        b[range]
            .iter()
            .fold(0u64, |acc, byte| (acc << 8) | u64::from(*byte))
    };
    [
        F::from_canonical_u64(take(0..6)),
        F::from_canonical_u64(take(6..13)),
        F::from_canonical_u64(take(13..20)),
    ]
}

/// Inverse of [`address_limbs`]; `None` if a limb is out of range.
pub fn address_from_limbs(limbs: &[F; ADDRESS_LIMBS]) -> Option<Address> {
    let widths = [6usize, 7, 7];
    let mut out = [0u8; 20];
    let mut at = 0;
    for (limb, width) in limbs.iter().zip(widths) {
        let v = limb.to_canonical_u64();
        if width < 8 && v >> (8 * width) != 0 {
            return None;
        }
        out[at..at + width].copy_from_slice(&v.to_be_bytes()[8 - width..]);
        at += width;
    }
    Some(Address::from(out))
}

/// Inverse of [`amount_limbs`]; `None` if a limb is 48 bits or wider.
pub fn amount_from_limbs(limbs: &[F; 2]) -> Option<u128> {
    let (lo, hi) = (limbs[0].to_canonical_u64(), limbs[1].to_canonical_u64());
    if lo >> 48 != 0 || hi >> 48 != 0 {
        return None;
    }
    Some(u128::from(lo) | (u128::from(hi) << 48))
}

/// Splits an amount below 2^96 into `[low 48 bits, high 48 bits]`.
///
/// Two 48-bit limbs sum to less than 2^49, so circuit additions and borrows never wrap the
/// field. Callers guarantee the bound (see [`crate::MAX_BALANCE`]).
pub fn amount_limbs(amount: u128) -> [F; 2] {
    debug_assert!(amount <= crate::MAX_BALANCE, "amount exceeds 96 bits");
    let mask = (1u128 << 48) - 1;
    [
        F::from_canonical_u64((amount & mask) as u64),
        F::from_canonical_u64(((amount >> 48) & mask) as u64),
    ]
}

/// Elements a 24-byte Keccak hash (the deposit queue's, the withdrawals') takes in public
/// inputs: four 48-bit limbs, most significant first.
pub const HASH24_LIMBS: usize = 4;

/// Splits a 24-byte hash into [`HASH24_LIMBS`] 48-bit limbs, most significant first (what
/// the Rollup computes as `uint48(uint192(h) >> (144 - 48 k))`).
pub fn hash24_limbs(h: &FixedBytes<24>) -> [F; HASH24_LIMBS] {
    std::array::from_fn(|k| {
        let v = h[6 * k..6 * k + 6]
            .iter()
            .fold(0u64, |acc, byte| (acc << 8) | u64::from(*byte));
        F::from_canonical_u64(v)
    })
}

/// Inverse of [`hash24_limbs`]; `None` unless there are four limbs below 2^48.
pub fn hash24_from_limbs(limbs: &[F]) -> Option<FixedBytes<24>> {
    if limbs.len() != HASH24_LIMBS {
        return None;
    }
    let mut out = [0u8; 24];
    for (k, limb) in limbs.iter().enumerate() {
        let v = limb.to_canonical_u64();
        if v >> 48 != 0 {
            return None;
        }
        out[6 * k..6 * k + 6].copy_from_slice(&v.to_be_bytes()[2..]);
    }
    Some(FixedBytes(out))
}

/// A digest as 32 bytes: each element big-endian, in element order.
pub fn digest_to_b256(digest: &Digest) -> B256 {
    let mut out = [0u8; 32];
    for (i, e) in digest.elements.iter().enumerate() {
        out[i * 8..(i + 1) * 8].copy_from_slice(&e.to_canonical_u64().to_be_bytes());
    }
    B256::from(out)
}

/// Inverse of [`digest_to_b256`]; `None` if an element is not a canonical field element.
pub fn b256_to_digest(bytes: &B256) -> Option<Digest> {
    let mut elements = [F::ZERO; 4];
    for (i, e) in elements.iter_mut().enumerate() {
        let mut word = [0u8; 8];
        word.copy_from_slice(&bytes[i * 8..(i + 1) * 8]);
        let v = u64::from_be_bytes(word);
        if v >= F::ORDER {
            return None;
        }
        *e = F::from_canonical_u64(v);
    }
    Some(HashOut { elements })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn address_limbs_preserve_order(a in any::<[u8; 20]>(), b in any::<[u8; 20]>()) {
            let (a, b) = (Address::from(a), Address::from(b));
            let la: Vec<u64> = address_limbs(&a).iter().map(|x| x.to_canonical_u64()).collect();
            let lb: Vec<u64> = address_limbs(&b).iter().map(|x| x.to_canonical_u64()).collect();
            prop_assert_eq!(a.cmp(&b), la.cmp(&lb));
        }

        #[test]
        fn hash24_limbs_roundtrip(h in any::<[u8; 24]>()) {
            let h = FixedBytes(h);
            prop_assert_eq!(hash24_from_limbs(&hash24_limbs(&h)), Some(h));
        }

        #[test]
        fn digest_bytes_roundtrip(e in any::<[u64; 4]>()) {
            let d = HashOut { elements: e.map(F::from_noncanonical_u64) };
            prop_assert_eq!(b256_to_digest(&digest_to_b256(&d)), Some(d));
        }
    }

    #[test]
    fn non_canonical_bytes_are_rejected() {
        assert_eq!(b256_to_digest(&B256::repeat_byte(0xff)), None);
    }
}
