//! One block's writes, collected and committed as one atomic, synced RocksDB batch.

use alloy_primitives::{Address, Bytes, B256};
use quire_primitives::{AccountLeaf, BatchHeader};
use rocksdb::WriteBatch;

use super::keys::*;
use super::records::{StoredBlock, TxRecord};
use super::{Store, StoreResult};

/// Collects everything one block changes; [`BlockWrite::commit`] writes it atomically.
pub struct BlockWrite<'a> {
    pub(crate) store: &'a Store,
    pub(crate) batch: WriteBatch,
}

impl BlockWrite<'_> {
    /// Records the block, its hash index, and the new head.
    pub fn block(&mut self, block: &StoredBlock) {
        let s = self.store;
        let n = block.header.number;
        self.batch
            .put_cf(s.cf(CF_BLOCKS), n.to_be_bytes(), alloy_rlp::encode(block));
        self.batch
            .put_cf(s.cf(CF_BLOCK_HASHES), block.header.hash(), n.to_be_bytes());
        self.batch.put_cf(s.cf(CF_META), META_HEAD, n.to_be_bytes());
    }

    /// Records an included transaction.
    pub fn tx(&mut self, hash: &B256, record: &TxRecord) {
        self.batch
            .put_cf(self.store.cf(CF_TXS), hash, alloy_rlp::encode(record));
    }

    /// Records a leaf's new value, current and as of `batch`.
    pub fn leaf(&mut self, index: u64, leaf: &AccountLeaf, batch: u64) {
        let s = self.store;
        let bytes = leaf.to_bytes();
        self.batch
            .put_cf(s.cf(CF_LEAVES), index.to_be_bytes(), bytes);
        self.batch
            .put_cf(s.cf(CF_LEAF_HISTORY), leaf_history_key(index, batch), bytes);
    }

    /// Records an account's state as of `block`, for historical queries.
    pub fn account(&mut self, address: &Address, block: u64, nonce: u64, balance: u128) {
        self.batch.put_cf(
            self.store.cf(CF_ACCOUNT_HISTORY),
            account_history_key(address, block),
            encode_account(nonce, balance),
        );
    }

    /// Records that L1 deposit `index` was credited in `block`.
    pub fn credited_deposit(&mut self, index: u64, block: u64) {
        self.batch.put_cf(
            self.store.cf(CF_CREDITED_DEPOSITS),
            index.to_be_bytes(),
            block.to_be_bytes(),
        );
    }

    /// Records a batch header.
    pub fn batch(&mut self, header: &BatchHeader) {
        self.batch.put_cf(
            self.store.cf(CF_BATCHES),
            header.number.to_be_bytes(),
            alloy_rlp::encode(header),
        );
    }

    /// Forgets a journal entry (its transaction is included or dropped).
    pub fn forget_journal(&mut self, seq: u64) {
        self.batch
            .delete_cf(self.store.cf(CF_JOURNAL), seq.to_be_bytes());
    }

    /// Adds a journal entry.
    pub fn journal_put(&mut self, seq: u64, raw: &Bytes) {
        self.batch
            .put_cf(self.store.cf(CF_JOURNAL), seq.to_be_bytes(), raw);
    }

    /// Records the genesis fingerprint.
    pub fn genesis_fingerprint(&mut self, fingerprint: &B256) {
        self.batch
            .put_cf(self.store.cf(CF_META), META_GENESIS, fingerprint);
    }

    /// Writes everything atomically and durably.
    pub fn commit(self) -> StoreResult<()> {
        self.store.write(self.batch, true, "block")
    }

    /// The collected writes, to commit later (possibly on another thread) with
    /// [`Store::write`].
    pub fn into_batch(self) -> WriteBatch {
        self.batch
    }
}
