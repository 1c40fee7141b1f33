//! An account as a leaf of the indexed state tree.

use alloy_primitives::Address;
use plonky2::field::types::Field;
use plonky2::hash::poseidon::PoseidonHash;
use plonky2::plonk::config::Hasher;
use serde::{Deserialize, Serialize};

use crate::field::{address_limbs, amount_limbs, Digest, F};

/// Largest balance an account may hold: 2^96 - 1 wei (~7.9e10 ETH, far above all ETH in
/// existence). The bound lets balances live in two 48-bit field limbs; the sequencer refuses
/// anything that would exceed it.
pub const MAX_BALANCE: u128 = (1u128 << 96) - 1;

/// A leaf of the indexed Merkle tree: an account plus the next-larger address in the tree.
///
/// `next_key` threads the leaves into a list sorted by address (`Address::ZERO` ends it), so
/// "address X has no account" is proven by one leaf whose key is below X and whose
/// `next_key` is above X — no sparse 160-level tree is needed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountLeaf {
    /// The account's address; leaf 0 holds `Address::ZERO`, the list's sentinel.
    pub key: Address,
    /// The next-larger address that has an account, or `Address::ZERO` if none.
    pub next_key: Address,
    /// Number of transactions sent.
    pub nonce: u64,
    /// Balance in wei, at most [`MAX_BALANCE`].
    pub balance: u128,
}

/// Field elements of one encoded leaf.
pub const LEAF_ELEMENTS: usize = 9;

/// Bytes of [`AccountLeaf::to_bytes`].
pub const LEAF_BYTES: usize = 64;

impl AccountLeaf {
    /// A fresh account with zero nonce and balance.
    pub fn new(key: Address, next_key: Address) -> Self {
        Self {
            key,
            next_key,
            nonce: 0,
            balance: 0,
        }
    }

    /// The leaf's field elements, in the order the circuit hashes them:
    /// key (3), next_key (3), nonce (1), balance (2).
    pub fn to_fields(&self) -> [F; LEAF_ELEMENTS] {
        let k = address_limbs(&self.key);
        let n = address_limbs(&self.next_key);
        let b = amount_limbs(self.balance);
        [
            k[0],
            k[1],
            k[2],
            n[0],
            n[1],
            n[2],
            F::from_canonical_u64(self.nonce),
            b[0],
            b[1],
        ]
    }

    /// Poseidon hash of the leaf (a sponge over [`Self::to_fields`]).
    pub fn hash(&self) -> Digest {
        PoseidonHash::hash_no_pad(&self.to_fields())
    }

    /// Fixed-width storage encoding.
    pub fn to_bytes(&self) -> [u8; LEAF_BYTES] {
        let mut out = [0u8; LEAF_BYTES];
        out[0..20].copy_from_slice(self.key.as_slice());
        out[20..40].copy_from_slice(self.next_key.as_slice());
        out[40..48].copy_from_slice(&self.nonce.to_be_bytes());
        out[48..64].copy_from_slice(&self.balance.to_be_bytes());
        out
    }

    /// Inverse of [`Self::to_bytes`]; `None` on a wrong length.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        if bytes.len() != LEAF_BYTES {
            return None;
        }
        let mut nonce = [0u8; 8];
        nonce.copy_from_slice(&bytes[40..48]);
        let mut balance = [0u8; 16];
        balance.copy_from_slice(&bytes[48..64]);
        Some(Self {
            key: Address::from_slice(&bytes[0..20]),
            next_key: Address::from_slice(&bytes[20..40]),
            nonce: u64::from_be_bytes(nonce),
            balance: u128::from_be_bytes(balance),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_roundtrip() {
        let leaf = AccountLeaf {
            key: Address::repeat_byte(7),
            next_key: Address::repeat_byte(9),
            nonce: 42,
            balance: MAX_BALANCE,
        };
        assert_eq!(AccountLeaf::from_bytes(&leaf.to_bytes()), Some(leaf));
        assert_eq!(AccountLeaf::from_bytes(&[0u8; 3]), None);
    }

    #[test]
    fn every_field_changes_the_hash() {
        let base = AccountLeaf::new(Address::repeat_byte(1), Address::repeat_byte(2));
        let variants = [
            AccountLeaf {
                key: Address::repeat_byte(3),
                ..base
            },
            AccountLeaf {
                next_key: Address::ZERO,
                ..base
            },
            AccountLeaf { nonce: 1, ..base },
            AccountLeaf { balance: 1, ..base },
            AccountLeaf {
                balance: 1 << 48,
                ..base
            },
        ];
        for v in variants {
            assert_ne!(v.hash(), base.hash(), "{v:?}");
        }
    }
}
