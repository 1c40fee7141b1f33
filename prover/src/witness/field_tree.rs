//! The state tree at the field level, as the circuit sees it: leaves are nine field
//! elements, not [`quire_primitives::AccountLeaf`]s, so a witness can describe any leaf the
//! circuit could compute, including the non-canonical ones a cheating prover would need
//! (which is how the negative tests build witnesses that break exactly one rule).

use std::collections::HashMap;

use plonky2::hash::poseidon::PoseidonHash;
use plonky2::plonk::config::Hasher;
use quire_primitives::account::LEAF_ELEMENTS;
use quire_primitives::tree::{empty_subtree, hash_children};
use quire_primitives::Digest;

use crate::F;

/// Leaf fields.
pub type LeafFields = [F; LEAF_ELEMENTS];

/// A sparse Merkle tree of height `depth` over field-level leaves.
#[derive(Clone, Debug)]
pub struct FieldTree {
    depth: usize,
    leaves: HashMap<u64, LeafFields>,
    /// Non-empty internal nodes by (level, index); level 0 holds leaf digests.
    nodes: HashMap<(usize, u64), Digest>,
}

impl FieldTree {
    /// A tree holding `leaves` at indices 0, 1, 2, ….
    pub fn new(depth: usize, leaves: impl IntoIterator<Item = LeafFields>) -> Self {
        let mut t = Self {
            depth,
            leaves: HashMap::new(),
            nodes: HashMap::new(),
        };
        let mut level: Vec<Digest> = Vec::new();
        for (i, leaf) in leaves.into_iter().enumerate() {
            let h = PoseidonHash::hash_no_pad(&leaf);
            t.leaves.insert(i as u64, leaf);
            t.nodes.insert((0, i as u64), h);
            level.push(h);
        }
        for l in 0..depth {
            let next: Vec<Digest> = level
                .chunks(2)
                .map(|pair| {
                    let right = pair.get(1).copied().unwrap_or_else(|| empty_subtree(l));
                    hash_children(&pair[0], &right)
                })
                .collect();
            for (i, h) in next.iter().enumerate() {
                t.nodes.insert((l + 1, i as u64), *h);
            }
            level = next;
        }
        t
    }

    /// Root of the height-`depth` subtree.
    pub fn root(&self) -> Digest {
        self.node(self.depth, 0)
    }

    /// A node's digest.
    pub fn node(&self, level: usize, index: u64) -> Digest {
        self.nodes
            .get(&(level, index))
            .copied()
            .unwrap_or_else(|| empty_subtree(level))
    }

    /// The leaf at `index`, if the slot is filled.
    pub fn leaf(&self, index: u64) -> Option<&LeafFields> {
        self.leaves.get(&index)
    }

    /// Siblings of `index`'s path, bottom-up.
    pub fn siblings(&self, index: u64) -> Vec<Digest> {
        (0..self.depth)
            .map(|l| self.node(l, (index >> l) ^ 1))
            .collect()
    }

    /// Writes a leaf and rehashes its path.
    pub fn set(&mut self, index: u64, leaf: LeafFields) {
        let mut h = PoseidonHash::hash_no_pad(&leaf);
        self.leaves.insert(index, leaf);
        self.nodes.insert((0, index), h);
        for l in 0..self.depth {
            let i = index >> l;
            let sibling = self.node(l, i ^ 1);
            h = if i & 1 == 0 {
                hash_children(&h, &sibling)
            } else {
                hash_children(&sibling, &h)
            };
            self.nodes.insert((l + 1, i >> 1), h);
        }
    }
}
