//! The in-memory state tree used by the sequencer: all leaves and the populated prefix of
//! every level, updated in bulk once per block.

use std::collections::BTreeMap;

use alloy_primitives::Address;
use rayon::prelude::*;
use thiserror::Error;

use super::{empty_subtree, hash_children, AbsenceProof, MerkleProof, MAX_LEAVES, TREE_DEPTH};
use crate::account::{AccountLeaf, MAX_BALANCE};
use crate::field::Digest;

/// Errors from tree mutations; each leaves the tree unchanged.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum TreeError {
    /// All 2^32 leaf slots are used.
    #[error("state tree is full")]
    Full,
    /// A balance would exceed [`MAX_BALANCE`].
    #[error("balance of {0} would exceed the 96-bit limit")]
    BalanceOverflow(Address),
    /// The leaves handed to [`StateTree::from_leaves`] do not form a valid sorted list.
    #[error("corrupt leaf list: {0}")]
    Corrupt(String),
}

/// A node whose digest changed, for persisting history the prover reads paths from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodeUpdate {
    /// 0 for leaves, [`TREE_DEPTH`] for the root.
    pub level: u8,
    /// Position within the level.
    pub index: u64,
    /// New digest.
    pub digest: Digest,
}

/// A level with at least this many changed nodes is hashed on rayon's pool (the caller's,
/// see [`StateTree::commit`]): nodes of a level are independent, and below it the
/// fork-join costs more than the ~2 µs Poseidon hashes it would share out.
const PARALLEL_MIN_NODES: usize = 64;

/// Accounts and their Poseidon tree.
///
/// Mutations mark leaves dirty; [`StateTree::commit`] rehashes each dirty path once, so a
/// block touching many accounts shares the upper-level work (one rehash per distinct node,
/// not per update).
#[derive(Clone, Debug)]
pub struct StateTree {
    leaves: Vec<AccountLeaf>,
    index_of: BTreeMap<Address, u64>,
    /// `levels[l][i]`: digest of node `i` at level `l` for the populated prefix.
    levels: Vec<Vec<Digest>>,
    dirty: Vec<u64>,
}

impl Default for StateTree {
    fn default() -> Self {
        Self::new()
    }
}

impl StateTree {
    /// A tree holding only the sentinel leaf (the zero address) at index 0.
    pub fn new() -> Self {
        Self::from_leaves(vec![AccountLeaf::default()]).expect("sentinel-only tree is valid")
    }

    /// Rebuilds a tree from its leaves in index order (e.g. loaded from disk), checking that
    /// they form the sorted linked list an indexed tree requires.
    pub fn from_leaves(leaves: Vec<AccountLeaf>) -> Result<Self, TreeError> {
        if leaves.first().map(|l| l.key) != Some(Address::ZERO) {
            return Err(TreeError::Corrupt(
                "leaf 0 must be the zero-address sentinel".into(),
            ));
        }
        let mut index_of = BTreeMap::new();
        for (i, leaf) in leaves.iter().enumerate() {
            if index_of.insert(leaf.key, i as u64).is_some() {
                return Err(TreeError::Corrupt(format!("duplicate key {}", leaf.key)));
            }
        }
        // The list must visit every key in increasing order, starting at the sentinel.
        let keys: Vec<&Address> = index_of.keys().collect();
        for (pos, key) in keys.iter().enumerate() {
            let expected_next = keys.get(pos + 1).map_or(Address::ZERO, |k| **k);
            let leaf = &leaves[index_of[*key] as usize];
            if leaf.next_key != expected_next {
                return Err(TreeError::Corrupt(format!(
                    "leaf {key} has a wrong next_key"
                )));
            }
        }
        let mut tree = Self {
            leaves,
            index_of,
            levels: vec![Vec::new(); TREE_DEPTH + 1],
            dirty: Vec::new(),
        };
        tree.dirty = (0..tree.leaves.len() as u64).collect();
        tree.commit();
        Ok(tree)
    }

    /// Number of leaves, including the sentinel.
    pub fn len(&self) -> u64 {
        self.leaves.len() as u64
    }

    /// Always false: the sentinel is always present.
    pub fn is_empty(&self) -> bool {
        false
    }

    /// Root as of the last [`Self::commit`].
    pub fn root(&self) -> Digest {
        self.levels[TREE_DEPTH][0]
    }

    /// The account of `address`, if it has one.
    pub fn get(&self, address: &Address) -> Option<&AccountLeaf> {
        self.index_of
            .get(address)
            .map(|i| &self.leaves[*i as usize])
    }

    /// Leaf index of `address`, if it has an account.
    pub fn index_of(&self, address: &Address) -> Option<u64> {
        self.index_of.get(address).copied()
    }

    /// The leaf at `index`.
    pub fn leaf(&self, index: u64) -> Option<&AccountLeaf> {
        self.leaves.get(index as usize)
    }

    /// All leaves in index order.
    pub fn leaves(&self) -> &[AccountLeaf] {
        &self.leaves
    }

    /// Index of the leaf with the largest key below `address` (the sentinel at worst).
    pub fn low_leaf_index(&self, address: &Address) -> u64 {
        *self
            .index_of
            .range(..*address)
            .next_back()
            .map(|(_, i)| i)
            .expect("the zero-address sentinel is below every other address")
    }

    /// Index of `address`'s account, inserting an empty account first if it has none.
    /// Returns `(index, created)`.
    pub fn get_or_insert(&mut self, address: Address) -> Result<(u64, bool), TreeError> {
        if let Some(i) = self.index_of.get(&address) {
            return Ok((*i, false));
        }
        if self.len() >= MAX_LEAVES {
            return Err(TreeError::Full);
        }
        let low = self.low_leaf_index(&address);
        let new_index = self.len();
        let next = self.leaves[low as usize].next_key;
        self.leaves[low as usize].next_key = address;
        self.leaves.push(AccountLeaf::new(address, next));
        self.index_of.insert(address, new_index);
        self.dirty.push(low);
        self.dirty.push(new_index);
        Ok((new_index, true))
    }

    /// Sets nonce and balance of the account at `index`.
    pub fn set_account(&mut self, index: u64, nonce: u64, balance: u128) -> Result<(), TreeError> {
        let leaf = &mut self.leaves[index as usize];
        if balance > MAX_BALANCE {
            return Err(TreeError::BalanceOverflow(leaf.key));
        }
        leaf.nonce = nonce;
        leaf.balance = balance;
        self.dirty.push(index);
        Ok(())
    }

    /// Rehashes every path touched since the last commit; returns the changed nodes (leaf
    /// level included), bottom-up, and leaves the new root in [`Self::root`]. Each level's
    /// changed nodes are hashed in parallel on the current rayon pool (run it inside
    /// `ThreadPool::install` to choose which); the result does not depend on the pool.
    pub fn commit(&mut self) -> Vec<NodeUpdate> {
        self.rehash(PARALLEL_MIN_NODES)
    }

    /// [`Self::commit`], hashing levels with at least `parallel_min` changed nodes in
    /// parallel.
    fn rehash(&mut self, parallel_min: usize) -> Vec<NodeUpdate> {
        let mut indices = std::mem::take(&mut self.dirty);
        indices.sort_unstable();
        indices.dedup();
        let mut updates = Vec::with_capacity(indices.len() * 4);
        let n = self.leaves.len() as u64;
        for level in 0..=TREE_DEPTH {
            let width = n.div_ceil(1 << level).max(1) as usize;
            self.levels[level].resize(width, empty_subtree(level));
            let digests: Vec<Digest> = {
                let leaves = &self.leaves;
                let below = level.checked_sub(1).map(|l| &self.levels[l]);
                let digest_of = |i: u64| match below {
                    None => leaves[i as usize].hash(),
                    Some(below) => {
                        let child = |j: u64| {
                            below
                                .get(j as usize)
                                .copied()
                                .unwrap_or(empty_subtree(level - 1))
                        };
                        hash_children(&child(2 * i), &child(2 * i + 1))
                    }
                };
                if indices.len() >= parallel_min {
                    indices
                        .par_iter()
                        .with_min_len((parallel_min / 2).max(1))
                        .map(|&i| digest_of(i))
                        .collect()
                } else {
                    indices.iter().map(|&i| digest_of(i)).collect()
                }
            };
            for (&i, digest) in indices.iter().zip(digests) {
                self.levels[level][i as usize] = digest;
                updates.push(NodeUpdate {
                    level: level as u8,
                    index: i,
                    digest,
                });
            }
            // Parents of this level's dirty nodes are the next level's dirty nodes.
            for i in indices.iter_mut() {
                *i >>= 1;
            }
            indices.dedup();
        }
        updates
    }

    /// Digest of node `index` at `level` as of the last commit.
    pub fn node(&self, level: usize, index: u64) -> Digest {
        self.levels[level]
            .get(index as usize)
            .copied()
            .unwrap_or(empty_subtree(level))
    }

    /// Membership path of leaf `index` as of the last commit.
    pub fn proof(&self, index: u64) -> MerkleProof {
        let siblings = (0..TREE_DEPTH)
            .map(|level| self.node(level, (index >> level) ^ 1))
            .collect();
        MerkleProof { index, siblings }
    }

    /// Absence proof for `address`, or `None` if it has an account.
    pub fn absence_proof(&self, address: &Address) -> Option<AbsenceProof> {
        if self.index_of.contains_key(address) {
            return None;
        }
        let low = self.low_leaf_index(address);
        Some(AbsenceProof {
            low_leaf: self.leaves[low as usize],
            proof: self.proof(low),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tree::ProofError;
    use proptest::prelude::*;

    fn addr(b: u8) -> Address {
        Address::repeat_byte(b)
    }

    #[test]
    fn empty_tree_root_is_the_sentinel_path() {
        let tree = StateTree::new();
        let proof = tree.proof(0);
        assert!(proof
            .siblings
            .iter()
            .enumerate()
            .all(|(l, s)| *s == empty_subtree(l)));
        proof.verify(&AccountLeaf::default(), &tree.root()).unwrap();
    }

    #[test]
    fn insert_links_leaves_in_address_order() {
        let mut tree = StateTree::new();
        for b in [5u8, 2, 9, 7] {
            tree.get_or_insert(addr(b)).unwrap();
        }
        tree.commit();
        let mut key = Address::ZERO;
        let mut seen = vec![];
        loop {
            let next = tree.get(&key).unwrap().next_key;
            if next == Address::ZERO {
                break;
            }
            seen.push(next);
            key = next;
        }
        assert_eq!(seen, vec![addr(2), addr(5), addr(7), addr(9)]);
        assert_eq!(tree.index_of(&addr(9)), Some(3));
    }

    #[test]
    fn absence_proof_rejects_wrong_address_and_root() {
        let mut tree = StateTree::new();
        tree.get_or_insert(addr(2)).unwrap();
        tree.get_or_insert(addr(9)).unwrap();
        tree.commit();
        let proof = tree.absence_proof(&addr(5)).unwrap();
        assert_eq!(proof.low_leaf.key, addr(2));
        proof.verify(&addr(5), &tree.root()).unwrap();
        // The same low leaf does not bracket an address beyond its successor.
        assert!(matches!(
            proof.verify(&addr(10), &tree.root()),
            Err(ProofError::NotBracketed { .. })
        ));
        // Nor does it hold under another root.
        assert_eq!(
            proof.verify(&addr(5), &StateTree::new().root()),
            Err(ProofError::RootMismatch)
        );
        assert!(tree.absence_proof(&addr(9)).is_none());
        // Above the largest key the last leaf, which ends the list, is the low leaf.
        tree.absence_proof(&addr(0xff))
            .unwrap()
            .verify(&addr(0xff), &tree.root())
            .unwrap();
    }

    #[test]
    fn membership_proof_rejects_changed_leaf() {
        let mut tree = StateTree::new();
        let (i, _) = tree.get_or_insert(addr(3)).unwrap();
        tree.set_account(i, 1, 100).unwrap();
        tree.commit();
        let proof = tree.proof(i);
        let leaf = *tree.leaf(i).unwrap();
        proof.verify(&leaf, &tree.root()).unwrap();
        let forged = AccountLeaf {
            balance: 101,
            ..leaf
        };
        assert_eq!(
            proof.verify(&forged, &tree.root()),
            Err(ProofError::RootMismatch)
        );
    }

    #[test]
    fn balance_overflow_is_refused() {
        let mut tree = StateTree::new();
        let (i, _) = tree.get_or_insert(addr(3)).unwrap();
        assert!(tree.set_account(i, 0, MAX_BALANCE + 1).is_err());
    }

    #[test]
    fn from_leaves_rejects_broken_lists() {
        let mut tree = StateTree::new();
        tree.get_or_insert(addr(3)).unwrap();
        tree.get_or_insert(addr(4)).unwrap();
        let mut leaves = tree.leaves().to_vec();
        leaves[1].next_key = Address::ZERO;
        assert!(StateTree::from_leaves(leaves).is_err());
        assert!(StateTree::from_leaves(vec![AccountLeaf::new(addr(1), Address::ZERO)]).is_err());
    }

    /// Hashing levels in parallel (on a pool of several threads, every level however
    /// small) gives exactly the updates and root of hashing them one by one.
    #[test]
    fn parallel_rehash_matches_sequential() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap();
        let mut sequential = StateTree::new();
        let mut parallel = StateTree::new();
        for block in 0..6u64 {
            for k in 0..(40 + 90 * block) {
                let mut raw = [0u8; 20];
                raw[..8].copy_from_slice(&(k * 7919 % 1000).to_be_bytes());
                raw[19] = block as u8;
                for tree in [&mut sequential, &mut parallel] {
                    let (i, _) = tree.get_or_insert(Address::from(raw)).unwrap();
                    tree.set_account(i, block, u128::from(k + block)).unwrap();
                }
            }
            let want = sequential.rehash(usize::MAX);
            let got = pool.install(|| parallel.rehash(1));
            assert_eq!(got, want, "block {block}");
            assert_eq!(parallel.root(), sequential.root());
        }
        // The default threshold agrees too (some levels parallel, some not).
        let (i, _) = parallel.get_or_insert(addr(0xee)).unwrap();
        parallel.set_account(i, 1, 1).unwrap();
        let (i, _) = sequential.get_or_insert(addr(0xee)).unwrap();
        sequential.set_account(i, 1, 1).unwrap();
        assert_eq!(
            pool.install(|| parallel.commit()),
            sequential.rehash(usize::MAX)
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(24))]
        /// Incremental commits, one per block, agree with a rebuild from the leaves, and every
        /// leaf's proof and every absent address's proof verify against the root.
        #[test]
        fn incremental_updates_match_rebuild(
            blocks in prop::collection::vec(prop::collection::vec((any::<u8>(), any::<u8>(), 0u64..5, 0u128..1_000_000), 1..8), 1..5),
            probes in prop::collection::vec(any::<[u8; 20]>(), 4),
        ) {
            let mut tree = StateTree::new();
            for block in &blocks {
                for (a, b, nonce, bal) in block {
                    let mut raw = [0u8; 20];
                    raw[0] = *a;
                    raw[19] = *b;
                    let (i, _) = tree.get_or_insert(Address::from(raw)).unwrap();
                    tree.set_account(i, *nonce, *bal).unwrap();
                }
                let updates = tree.commit();
                prop_assert_eq!(updates.last().map(|u| u.digest), Some(tree.root()));
            }
            let rebuilt = StateTree::from_leaves(tree.leaves().to_vec()).unwrap();
            prop_assert_eq!(rebuilt.root(), tree.root());
            for i in 0..tree.len() {
                tree.proof(i).verify(tree.leaf(i).unwrap(), &tree.root()).unwrap();
            }
            for p in probes {
                let a = Address::from(p);
                if let Some(proof) = tree.absence_proof(&a) {
                    proof.verify(&a, &tree.root()).unwrap();
                }
            }
        }
    }
}
