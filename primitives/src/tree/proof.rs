//! Membership and absence proofs: what the prover's witness carries per account access.

use alloy_primitives::Address;
use thiserror::Error;

use super::{hash_children, TREE_DEPTH};
use crate::account::AccountLeaf;
use crate::field::Digest;

/// Why a proof did not check out.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum ProofError {
    /// The path does not lead to the claimed root.
    #[error("merkle path does not match the root")]
    RootMismatch,
    /// The low leaf does not bracket the address, so it proves nothing about it.
    #[error("low leaf {low} -> {next} does not bracket {address}")]
    NotBracketed {
        /// The low leaf's address.
        low: Address,
        /// The address its link points to.
        next: Address,
        /// The address whose absence was claimed.
        address: Address,
    },
}

/// A path from leaf `index` to the root: the sibling at each level, bottom up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MerkleProof {
    /// Position of the leaf.
    pub index: u64,
    /// Sibling digests from level 0 (the leaf's sibling) to level `TREE_DEPTH - 1`.
    pub siblings: Vec<Digest>,
}

impl MerkleProof {
    /// The root obtained by hashing `leaf_hash` up this path.
    pub fn compute_root(&self, leaf_hash: Digest) -> Digest {
        debug_assert_eq!(self.siblings.len(), TREE_DEPTH);
        let mut cur = leaf_hash;
        for (level, sibling) in self.siblings.iter().enumerate() {
            cur = if (self.index >> level) & 1 == 0 {
                hash_children(&cur, sibling)
            } else {
                hash_children(sibling, &cur)
            };
        }
        cur
    }

    /// Checks that `leaf` sits at this path's index under `root`.
    pub fn verify(&self, leaf: &AccountLeaf, root: &Digest) -> Result<(), ProofError> {
        self.verify_hash(leaf.hash(), root)
    }

    /// Checks that a leaf with hash `leaf_hash` sits at this path's index under `root`.
    pub fn verify_hash(&self, leaf_hash: Digest, root: &Digest) -> Result<(), ProofError> {
        if self.siblings.len() == TREE_DEPTH && self.compute_root(leaf_hash) == *root {
            Ok(())
        } else {
            Err(ProofError::RootMismatch)
        }
    }
}

/// Proof that `address` has no account: the leaf with the largest smaller key, whose
/// `next_key` is larger than `address` (or ends the list).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AbsenceProof {
    /// The predecessor ("low") leaf.
    pub low_leaf: AccountLeaf,
    /// Its path.
    pub proof: MerkleProof,
}

impl AbsenceProof {
    /// Checks the low leaf is in the tree and brackets `address`.
    pub fn verify(&self, address: &Address, root: &Digest) -> Result<(), ProofError> {
        let low = &self.low_leaf;
        let ends_list = low.next_key == Address::ZERO;
        if !(low.key < *address && (ends_list || *address < low.next_key)) {
            return Err(ProofError::NotBracketed {
                low: low.key,
                next: low.next_key,
                address: *address,
            });
        }
        self.proof.verify(low, root)
    }
}
