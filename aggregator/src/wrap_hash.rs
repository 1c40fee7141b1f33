//! Keccak-256 for the final wrap's Merkle trees and Fiat–Shamir transcript, with field
//! elements serialised big-endian.
//!
//! plonky2's `KeccakHash` writes each element as 8 little-endian bytes. The EVM reads
//! big-endian words, so an L1 verifier of that format reverses the bytes of every Merkle
//! leaf value and transcript element it computes with (~90k gas a proof). This is the same
//! construction with the byte order turned: `hash_no_pad` hashes the elements' 8-byte
//! big-endian encodings; the transcript permutation is plonky2's Keccak hash onion over
//! the big-endian state, words >= p rejected; a digest enters the transcript as four
//! elements holding its bytes 7, 7, 7 and 4 at a time, each chunk read big-endian.
//! Written here because plonky2 fixes the byte order of its Keccak hasher.

use alloy_primitives::keccak256 as keccak;
use plonky2::field::types::{Field, Field64, PrimeField64};
use plonky2::hash::hashing::PlonkyPermutation;
use plonky2::plonk::config::{GenericHashOut, Hasher};
use serde::de::{Deserialize, Deserializer, Error as _};
use serde::ser::{Serialize, Serializer};

use crate::F;

/// Elements in the transcript sponge's state.
const WIDTH: usize = 12;
/// Elements the sponge absorbs or squeezes per permutation.
const RATE: usize = 8;

/// Keccak-256 over big-endian element encodings, the digest truncated to `N` bytes.
#[derive(Copy, Clone, Debug, Eq, PartialEq)]
pub struct KeccakBeHash<const N: usize>;

/// A digest of [`KeccakBeHash`].
#[derive(Copy, Clone, Debug, Eq, PartialEq)]
pub struct KeccakBeDigest<const N: usize>(pub [u8; N]);

impl<const N: usize> GenericHashOut<F> for KeccakBeDigest<N> {
    fn to_bytes(&self) -> Vec<u8> {
        self.0.to_vec()
    }

    fn from_bytes(bytes: &[u8]) -> Self {
        // plonky2's readers call this with exactly HASH_SIZE bytes.
        let mut d = [0u8; N];
        d.copy_from_slice(bytes);
        Self(d)
    }

    /// Chunks of 7 bytes (8 could exceed p), each read as a big-endian integer.
    fn to_vec(&self) -> Vec<F> {
        self.0
            .chunks(7)
            .map(|chunk| {
                F::from_canonical_u64(chunk.iter().fold(0u64, |a, &b| (a << 8) | u64::from(b)))
            })
            .collect()
    }
}

impl<const N: usize> Serialize for KeccakBeDigest<N> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_bytes(&self.0)
    }
}

impl<'de, const N: usize> Deserialize<'de> for KeccakBeDigest<N> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let bytes = Vec::<u8>::deserialize(d)?;
        let arr: [u8; N] = bytes
            .try_into()
            .map_err(|_| D::Error::custom(format!("a digest has {N} bytes")))?;
        Ok(Self(arr))
    }
}

/// Keccak-256 hash onion as a sponge permutation (as plonky2's `KeccakPermutation`):
/// the state's big-endian bytes are hashed, then the hash again, and so on; the outputs,
/// read as big-endian 64-bit words, fill the new state, words >= p skipped.
#[derive(Copy, Clone, Default, Debug, PartialEq, Eq)]
pub struct KeccakBePermutation {
    state: [F; WIDTH],
}

impl AsRef<[F]> for KeccakBePermutation {
    fn as_ref(&self) -> &[F] {
        &self.state
    }
}

impl PlonkyPermutation<F> for KeccakBePermutation {
    const RATE: usize = RATE;
    const WIDTH: usize = WIDTH;

    fn new<I: IntoIterator<Item = F>>(elts: I) -> Self {
        let mut perm = Self::default();
        perm.set_from_iter(elts, 0);
        perm
    }

    fn set_elt(&mut self, elt: F, idx: usize) {
        self.state[idx] = elt;
    }

    fn set_from_slice(&mut self, elts: &[F], start_idx: usize) {
        self.state[start_idx..start_idx + elts.len()].copy_from_slice(elts);
    }

    fn set_from_iter<I: IntoIterator<Item = F>>(&mut self, elts: I, start_idx: usize) {
        for (s, e) in self.state[start_idx..].iter_mut().zip(elts) {
            *s = e;
        }
    }

    fn permute(&mut self) {
        let mut input: Vec<u8> = self
            .state
            .iter()
            .flat_map(|x| x.to_canonical_u64().to_be_bytes())
            .collect();
        let mut filled = 0;
        while filled < WIDTH {
            let out = keccak(&input).0;
            for word in out.chunks_exact(8) {
                let mut w = [0u8; 8];
                w.copy_from_slice(word);
                let v = u64::from_be_bytes(w);
                if v < F::ORDER && filled < WIDTH {
                    self.state[filled] = F::from_canonical_u64(v);
                    filled += 1;
                }
            }
            input = out.to_vec();
        }
    }

    fn squeeze(&self) -> &[F] {
        &self.state[..RATE]
    }
}

impl<const N: usize> Hasher<F> for KeccakBeHash<N> {
    const HASH_SIZE: usize = N;
    type Hash = KeccakBeDigest<N>;
    type Permutation = KeccakBePermutation;

    fn hash_no_pad(input: &[F]) -> Self::Hash {
        let bytes: Vec<u8> = input
            .iter()
            .flat_map(|x| x.to_canonical_u64().to_be_bytes())
            .collect();
        let mut d = [0u8; N];
        d.copy_from_slice(&keccak(&bytes).0[..N]);
        KeccakBeDigest(d)
    }

    /// Inputs that fit a digest are not hashed (plonky2's rule), their big-endian bytes
    /// padded with zeros.
    fn hash_or_noop(inputs: &[F]) -> Self::Hash {
        if inputs.len() * 8 <= N {
            let mut d = [0u8; N];
            for (i, x) in inputs.iter().enumerate() {
                d[i * 8..(i + 1) * 8].copy_from_slice(&x.to_canonical_u64().to_be_bytes());
            }
            KeccakBeDigest(d)
        } else {
            Self::hash_no_pad(inputs)
        }
    }

    fn two_to_one(left: Self::Hash, right: Self::Hash) -> Self::Hash {
        let mut v = [0u8; 64];
        v[..N].copy_from_slice(&left.0);
        v[N..2 * N].copy_from_slice(&right.0);
        let mut d = [0u8; N];
        d.copy_from_slice(&keccak(&v[..2 * N]).0[..N]);
        KeccakBeDigest(d)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use plonky2::field::types::Sample;
    use plonky2::hash::keccak::KeccakHash;

    /// The same construction as plonky2's, byte order aside: hashing the byte-reversed
    /// elements with plonky2's hasher gives the same digest.
    #[test]
    fn hashes_as_plonky2_keccak_of_the_reversed_encodings() {
        // Elements whose byte-reversed encodings are canonical too.
        let mut xs = Vec::new();
        while xs.len() < 11 {
            let x = F::rand().to_canonical_u64();
            if x.swap_bytes() < F::ORDER {
                xs.push(x);
            }
        }
        let ours: Vec<F> = xs.iter().map(|&x| F::from_canonical_u64(x)).collect();
        let swapped: Vec<F> = xs
            .iter()
            .map(|&x| F::from_canonical_u64(x.swap_bytes()))
            .collect();
        assert_eq!(
            KeccakBeHash::<25>::hash_no_pad(&ours).0,
            <KeccakHash<25> as Hasher<F>>::hash_no_pad(&swapped).0
        );
        assert_ne!(
            KeccakBeHash::<25>::hash_no_pad(&ours).0,
            <KeccakHash<25> as Hasher<F>>::hash_no_pad(&ours).0
        );
        let d = KeccakBeDigest::<25>(core::array::from_fn(|i| i as u8));
        let v: Vec<u64> = d.to_vec().iter().map(|x| x.to_canonical_u64()).collect();
        assert_eq!(
            v,
            [
                0x00010203040506,
                0x0708090a0b0c0d,
                0x0e0f1011121314,
                0x15161718
            ]
        );
    }

    /// plonky2's permutation over the byte-reversed state hashes the same bytes, so its
    /// outputs are ours byte-reversed (no word of this fixed state's onion is rejected).
    #[test]
    fn the_permutation_is_plonky2_keccak_over_the_reversed_encodings() {
        use plonky2::hash::keccak::KeccakPermutation;
        let xs: Vec<u64> = (1..=12).collect();
        let mut ours = KeccakBePermutation::new(xs.iter().map(|&x| F::from_canonical_u64(x)));
        let mut theirs =
            KeccakPermutation::<F>::new(xs.iter().map(|&x| F::from_canonical_u64(x.swap_bytes())));
        ours.permute();
        theirs.permute();
        let ours: Vec<u64> = ours.as_ref().iter().map(|x| x.to_canonical_u64()).collect();
        let theirs: Vec<u64> = theirs
            .as_ref()
            .iter()
            .map(|x| x.to_canonical_u64().swap_bytes())
            .collect();
        assert_eq!(ours, theirs);
        assert_ne!(ours, xs);
    }
}
