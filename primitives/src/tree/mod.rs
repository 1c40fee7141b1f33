//! The state tree: an indexed (linked-leaf) Merkle tree of depth [`TREE_DEPTH`] over
//! Poseidon/Goldilocks.
//!
//! Why this shape: proving cost is dominated by hashes per account update, one Poseidon
//! permutation per level. A sparse tree keyed by the 160-bit address would need 160 levels;
//! an indexed tree places leaves at consecutive indices, so 32 levels hold 2^32 accounts,
//! and absence is proven by the predecessor leaf, whose `next_key` skips over the missing
//! address. Binary nodes because plonky2's Poseidon compresses exactly two 4-element digests
//! (8 rate elements) in one permutation; wider nodes would cost more permutations per level.
//!
//! Leaves fill from index 0 upward and never move, so the populated part of level `l` is a
//! dense prefix of `ceil(n / 2^l)` nodes and everything to its right is an empty subtree.
//!
//! Written here rather than taken from a crate: the tree must hash exactly as the plonky2
//! circuits will (plonky2's Poseidon, its `two_to_one`, this leaf encoding), and no
//! maintained crate offers an indexed Merkle tree over plonky2's Poseidon.

mod proof;
mod state_tree;

pub use proof::{AbsenceProof, MerkleProof, ProofError};
pub use state_tree::{NodeUpdate, StateTree, TreeError};

use std::sync::OnceLock;

use plonky2::hash::poseidon::PoseidonHash;
use plonky2::plonk::config::Hasher;

use crate::field::Digest;

/// Levels between a leaf and the root.
pub const TREE_DEPTH: usize = 32;

/// Largest number of leaves the tree holds.
pub const MAX_LEAVES: u64 = 1 << TREE_DEPTH;

/// Hash of an internal node from its children.
pub fn hash_children(left: &Digest, right: &Digest) -> Digest {
    PoseidonHash::two_to_one(*left, *right)
}

/// Root of an empty subtree whose top is at `level` (level 0: an empty leaf, the zero digest).
pub fn empty_subtree(level: usize) -> Digest {
    static EMPTY: OnceLock<Vec<Digest>> = OnceLock::new();
    EMPTY.get_or_init(|| {
        let mut v = Vec::with_capacity(TREE_DEPTH + 1);
        v.push(Digest::ZERO);
        for l in 0..TREE_DEPTH {
            v.push(hash_children(&v[l], &v[l]));
        }
        v
    })[level]
}
