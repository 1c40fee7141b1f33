//! The state as it stood after a past batch or block: leaves by batch (what the prover
//! replays, rebuilding the tree from them) and accounts by block (historical RPC queries).

use alloy_primitives::Address;
use quire_primitives::AccountLeaf;
use rocksdb::IteratorMode;

use super::keys::*;
use super::{Store, StoreError, StoreResult};

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
