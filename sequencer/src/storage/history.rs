//! The state as it stood after a past batch or block: leaves, tree nodes and Merkle paths
//! by batch (what the prover replays), and accounts by block (historical RPC queries).

use alloy_primitives::{Address, B256};
use quire_primitives::field::b256_to_digest;
use quire_primitives::tree::empty_subtree;
use quire_primitives::{AccountLeaf, Digest, MerkleProof, TREE_DEPTH};
use rocksdb::IteratorMode;

use super::keys::*;
use super::{Store, StoreError, StoreResult, UNSTORED_LEVELS};

impl Store {
    /// All leaves as they stood at the end of batch `batch`, in index order: the state a
    /// batch proof for `batch + 1` starts from. One scan of the leaf history.
    pub fn leaves_at(&self, batch: u64) -> StoreResult<Vec<AccountLeaf>> {
        let mut leaves: Vec<AccountLeaf> = Vec::new();
        let mut current: Option<(u64, AccountLeaf)> = None;
        for item in self
            .db
            .iterator_cf(self.cf(CF_LEAF_HISTORY), IteratorMode::Start)
        {
            let (k, v) = item?;
            if k.len() != 16 {
                return Err(StoreError::Corrupt("bad leaf history key".into()));
            }
            let index = decode_u64(&k[..8])?;
            let written_in = decode_u64(&k[8..])?;
            if let Some((i, leaf)) = current {
                if i != index {
                    leaves.push(leaf);
                    current = None;
                }
            }
            if written_in <= batch {
                let leaf = AccountLeaf::from_bytes(&v)
                    .ok_or_else(|| StoreError::Corrupt("bad leaf".into()))?;
                if current.is_none() && index != leaves.len() as u64 {
                    return Err(StoreError::Corrupt(
                        "leaf indices are not contiguous".into(),
                    ));
                }
                current = Some((index, leaf));
            }
        }
        if let Some((_, leaf)) = current {
            leaves.push(leaf);
        }
        Ok(leaves)
    }

    /// `(nonce, balance)` of `address` as of the end of block `block`; `None` if it had no
    /// account then.
    pub fn account_at(&self, address: &Address, block: u64) -> StoreResult<Option<(u64, u128)>> {
        let key = account_history_key(address, block);
        let mut it = self.db.raw_iterator_cf(self.cf(CF_ACCOUNT_HISTORY));
        it.seek_for_prev(key);
        match (it.key(), it.value()) {
            (Some(k), Some(v)) if k.starts_with(address.as_slice()) => Ok(Some(decode_account(v)?)),
            _ => {
                it.status()?;
                Ok(None)
            }
        }
    }

    /// Digest of a tree node as of the end of batch `batch`. Nodes up to
    /// [`UNSTORED_LEVELS`] are not stored (they would be a quarter of the keys each block
    /// writes) and are rehashed from the leaf history instead: at most 8 leaves per node.
    pub fn node_at(&self, level: usize, index: u64, batch: u64) -> StoreResult<Digest> {
        if level == 0 {
            return Ok(self
                .leaf_at(index, batch)?
                .map_or(empty_subtree(0), |leaf| leaf.hash()));
        }
        if level <= UNSTORED_LEVELS {
            let left = self.node_at(level - 1, 2 * index, batch)?;
            let right = self.node_at(level - 1, 2 * index + 1, batch)?;
            return Ok(quire_primitives::tree::hash_children(&left, &right));
        }
        let mut it = self.db.raw_iterator_cf(self.cf(CF_NODE_HISTORY));
        it.seek_for_prev(node_history_key(level as u8, index, batch));
        match (it.key(), it.value()) {
            (Some(k), Some(v)) if k[..9] == node_history_key(level as u8, index, 0)[..9] => {
                b256_to_digest(&B256::from_slice(v))
                    .ok_or_else(|| StoreError::Corrupt("bad node digest".into()))
            }
            _ => {
                it.status()?;
                Ok(empty_subtree(level))
            }
        }
    }

    /// Membership path of leaf `index` in the tree as it stood at the end of batch `batch`:
    /// what the prover needs for the batch after it.
    pub fn proof_at(&self, index: u64, batch: u64) -> StoreResult<MerkleProof> {
        let siblings = (0..TREE_DEPTH)
            .map(|level| self.node_at(level, (index >> level) ^ 1, batch))
            .collect::<StoreResult<_>>()?;
        Ok(MerkleProof { index, siblings })
    }

    /// Root of the tree at the end of batch `batch`.
    pub fn root_at(&self, batch: u64) -> StoreResult<Digest> {
        self.node_at(TREE_DEPTH, 0, batch)
    }

    /// Leaf `index` as it stood at the end of batch `batch`.
    pub fn leaf_at(&self, index: u64, batch: u64) -> StoreResult<Option<AccountLeaf>> {
        let mut it = self.db.raw_iterator_cf(self.cf(CF_LEAF_HISTORY));
        it.seek_for_prev(leaf_history_key(index, batch));
        match (it.key(), it.value()) {
            (Some(k), Some(v)) if k[..8] == index.to_be_bytes() => Ok(Some(
                AccountLeaf::from_bytes(v).ok_or_else(|| StoreError::Corrupt("bad leaf".into()))?,
            )),
            _ => {
                it.status()?;
                Ok(None)
            }
        }
    }
}
