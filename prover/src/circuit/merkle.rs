//! Leaves and paths of the state tree inside the circuit.
//!
//! The circuit works on the subtree of height `depth` that holds every leaf (indices below
//! 2^depth) and lifts its root to the full depth-32 root only at the batch's two ends: above
//! `depth` every sibling is a known empty subtree, so the lift is a constant chain of hashes
//! and each update pays `depth` levels instead of 32.

use plonky2::field::types::Field;
use plonky2::hash::hash_types::{HashOut, HashOutTarget, NUM_HASH_OUT_ELTS};
use plonky2::hash::hashing::PlonkyPermutation;
use plonky2::hash::poseidon::{PoseidonHash, PoseidonPermutation};
use plonky2::iop::target::{BoolTarget, Target};
use plonky2::plonk::config::AlgebraicHasher;
use quire_primitives::tree::{empty_subtree, TREE_DEPTH};

use super::address::AddressTarget;
use super::u96::U96Target;
use crate::{Builder, F};

/// A leaf's fields, in [`quire_primitives::AccountLeaf::to_fields`] order.
#[derive(Clone, Copy, Debug)]
pub struct LeafTarget {
    /// Account address.
    pub key: AddressTarget,
    /// Next-larger address (zero at the end of the list).
    pub next: AddressTarget,
    /// Nonce.
    pub nonce: Target,
    /// Balance.
    pub balance: U96Target,
}

impl LeafTarget {
    /// Builds a leaf from its 9 field elements.
    pub fn from_fields(f: &[Target]) -> Self {
        Self {
            key: [f[0], f[1], f[2]],
            next: [f[3], f[4], f[5]],
            nonce: f[6],
            balance: U96Target::new(f[7], f[8]),
        }
    }

    /// The 9 field elements.
    pub fn fields(&self) -> Vec<Target> {
        let mut v = Vec::with_capacity(9);
        v.extend_from_slice(&self.key);
        v.extend_from_slice(&self.next);
        v.push(self.nonce);
        v.extend_from_slice(&self.balance.limbs());
        v
    }

    /// Poseidon hash of the fields (two permutations: 9 elements, rate 8).
    pub fn hash(&self, b: &mut Builder) -> HashOutTarget {
        b.hash_n_to_hash_no_pad::<PoseidonHash>(self.fields())
    }
}

/// Root of the height-`bits.len()` subtree from a node hash, its index bits (LSB first) and
/// the siblings on its path. One Poseidon row per level: the gate's swap wire orders the
/// two children.
pub fn root_from_path(
    b: &mut Builder,
    leaf: HashOutTarget,
    bits: &[BoolTarget],
    siblings: &[HashOutTarget],
) -> HashOutTarget {
    let zero = b.zero();
    let mut state = leaf;
    for (bit, sibling) in bits.iter().zip(siblings) {
        let mut perm = PoseidonPermutation::new(core::iter::repeat(zero));
        perm.set_from_slice(&state.elements, 0);
        perm.set_from_slice(&sibling.elements, NUM_HASH_OUT_ELTS);
        let out = <PoseidonHash as AlgebraicHasher<F>>::permute_swapped(perm, *bit, b);
        state = HashOutTarget::from_vec(out.squeeze()[..NUM_HASH_OUT_ELTS].to_vec());
    }
    state
}

/// The full depth-32 root of a tree whose leaves all lie in the first 2^`depth` slots,
/// from the root of that subtree.
pub fn lift_root(b: &mut Builder, sub_root: HashOutTarget, depth: usize) -> HashOutTarget {
    let mut state = sub_root;
    for level in depth..TREE_DEPTH {
        let empty = b.constant_hash(empty_subtree(level));
        let mut input = state.elements.to_vec();
        input.extend_from_slice(&empty.elements);
        state = b.hash_n_to_hash_no_pad::<PoseidonHash>(input);
    }
    state
}

/// Elementwise `cond ? x : y` for digests.
pub fn select_hash(
    b: &mut Builder,
    cond: BoolTarget,
    x: HashOutTarget,
    y: HashOutTarget,
) -> HashOutTarget {
    HashOutTarget::from_vec(
        (0..NUM_HASH_OUT_ELTS)
            .map(|i| b.select(cond, x.elements[i], y.elements[i]))
            .collect(),
    )
}

/// Asserts `cond ⇒ x == y` for digests.
pub fn assert_hash_eq_if(b: &mut Builder, cond: BoolTarget, x: HashOutTarget, y: HashOutTarget) {
    for i in 0..NUM_HASH_OUT_ELTS {
        super::address::assert_zero_if(b, cond, x.elements[i], y.elements[i]);
    }
}

/// The digest of an empty slot.
pub fn empty_leaf_hash() -> HashOut<F> {
    HashOut {
        elements: [F::ZERO; NUM_HASH_OUT_ELTS],
    }
}
