//! RocksDB storage: state leaves and their history, tree nodes by batch, blocks,
//! transactions, batches, and the journal of acknowledged transactions.
//!
//! Every block is one atomic, synced write batch ([`BlockWrite`]), so after any crash the
//! database holds a whole number of blocks, and the state tree rebuilt from its leaves
//! must match the head block's state root (checked at start-up).

mod journal;
mod keys;
mod records;

pub use journal::{JournalOp, JournalWriter};
pub use records::{ProvingLease, StoredBlock, TxRecord};

use std::path::Path;
use std::time::Instant;

use alloy_primitives::{Address, Bytes, B256};
use quire_primitives::field::{b256_to_digest, digest_to_b256};
use quire_primitives::tree::{empty_subtree, NodeUpdate};
use quire_primitives::{AccountLeaf, BatchHeader, Digest, MerkleProof, TREE_DEPTH};
use rocksdb::{
    ColumnFamilyDescriptor, Direction, IteratorMode, Options, WriteBatch, WriteOptions, DB,
};
use thiserror::Error;

use keys::*;

/// Storage failures. Corruption means the data directory cannot be trusted.
#[derive(Debug, Error)]
pub enum StoreError {
    /// RocksDB reported an error.
    #[error("rocksdb: {0}")]
    Db(#[from] rocksdb::Error),
    /// A record failed to decode or contradicts another.
    #[error("corrupt database: {0}")]
    Corrupt(String),
}

/// Internal tree levels whose history is derived from the leaf history rather than stored.
pub const UNSTORED_LEVELS: usize = 3;

/// Where a node keeps its database inside its data directory.
pub fn db_path(data_dir: &Path) -> std::path::PathBuf {
    data_dir.join("db")
}

/// Result alias for storage calls.
pub type StoreResult<T> = Result<T, StoreError>;

/// The node's database.
pub struct Store {
    db: DB,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store")
            .field("path", &self.db.path())
            .finish()
    }
}

impl Store {
    /// Opens (creating if needed) the database at `path`.
    pub fn open(path: &Path) -> StoreResult<Self> {
        let mut opts = Options::default();
        opts.create_if_missing(true);
        opts.create_missing_column_families(true);
        opts.increase_parallelism(2);
        // One writer at a time (producer or journal): sequential memtable inserts reuse the
        // skiplist splice, and block writes arrive mostly in key order.
        opts.set_allow_concurrent_memtable_write(false);
        opts.set_enable_write_thread_adaptive_yield(false);
        // Digests, signatures and addresses are random bytes: compressing them costs CPU
        // on every flush and compaction and saves almost nothing.
        let cf_opts = || {
            let mut o = Options::default();
            o.set_compression_type(rocksdb::DBCompressionType::None);
            o.set_write_buffer_size(128 << 20);
            o
        };
        let cfs = ALL_CFS
            .iter()
            .map(|name| ColumnFamilyDescriptor::new(*name, cf_opts()));
        let db = DB::open_cf_descriptors(&opts, path, cfs)?;
        Ok(Self { db })
    }

    /// Opens an existing database read-only, beside a node that may be writing it (the
    /// prover's view): it sees everything written before the call.
    pub fn open_read_only(path: &Path) -> StoreResult<Self> {
        let opts = Options::default();
        let db = DB::open_cf_for_read_only(&opts, path, ALL_CFS, false)?;
        Ok(Self { db })
    }

    fn cf(&self, name: &str) -> &rocksdb::ColumnFamily {
        self.db
            .cf_handle(name)
            .expect("column families are created at open")
    }

    fn get(&self, cf: &str, key: &[u8]) -> StoreResult<Option<Vec<u8>>> {
        Ok(self.db.get_cf(self.cf(cf), key)?)
    }

    /// Writes `batch` atomically; `sync` waits for the WAL to reach the disk.
    pub fn write(&self, batch: WriteBatch, sync: bool, kind: &'static str) -> StoreResult<()> {
        let mut opts = WriteOptions::default();
        opts.set_sync(sync);
        let started = Instant::now();
        self.db.write_opt(batch, &opts)?;
        metrics::histogram!("quire_rocksdb_write_seconds", "kind" => kind)
            .record(started.elapsed().as_secs_f64());
        Ok(())
    }

    /// Number of the last committed block, or `None` for a new database.
    pub fn head(&self) -> StoreResult<Option<u64>> {
        self.get(CF_META, META_HEAD)?
            .map(|v| decode_u64(&v))
            .transpose()
    }

    /// Fingerprint of the genesis the database was created with.
    pub fn genesis_fingerprint(&self) -> StoreResult<Option<B256>> {
        Ok(self
            .get(CF_META, META_GENESIS)?
            .map(|v| B256::from_slice(&v)))
    }

    /// A block by number.
    pub fn block(&self, number: u64) -> StoreResult<Option<StoredBlock>> {
        self.get(CF_BLOCKS, &number.to_be_bytes())?
            .map(|v| records::decode(&v, "block"))
            .transpose()
    }

    /// A block number by block hash.
    pub fn block_number(&self, hash: &B256) -> StoreResult<Option<u64>> {
        self.get(CF_BLOCK_HASHES, hash.as_slice())?
            .map(|v| decode_u64(&v))
            .transpose()
    }

    /// An included transaction by hash.
    pub fn tx(&self, hash: &B256) -> StoreResult<Option<TxRecord>> {
        self.get(CF_TXS, hash.as_slice())?
            .map(|v| records::decode(&v, "tx"))
            .transpose()
    }

    /// A batch by number.
    pub fn batch(&self, number: u64) -> StoreResult<Option<BatchHeader>> {
        self.get(CF_BATCHES, &number.to_be_bytes())?
            .map(|v| records::decode(&v, "batch"))
            .transpose()
    }

    /// The highest-numbered batch.
    pub fn latest_batch(&self) -> StoreResult<Option<BatchHeader>> {
        match self
            .db
            .iterator_cf(self.cf(CF_BATCHES), IteratorMode::End)
            .next()
        {
            Some(item) => Ok(Some(records::decode(&item?.1, "batch")?)),
            None => Ok(None),
        }
    }

    /// All current leaves in index order.
    pub fn load_leaves(&self) -> StoreResult<Vec<AccountLeaf>> {
        let mut leaves = Vec::new();
        for item in self.db.iterator_cf(self.cf(CF_LEAVES), IteratorMode::Start) {
            let (k, v) = item?;
            if decode_u64(&k)? != leaves.len() as u64 {
                return Err(StoreError::Corrupt(
                    "leaf indices are not contiguous".into(),
                ));
            }
            leaves.push(
                AccountLeaf::from_bytes(&v)
                    .ok_or_else(|| StoreError::Corrupt("bad leaf".into()))?,
            );
        }
        Ok(leaves)
    }

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

    /// The accepted proof of batch `number` (a prover's proof file), if any.
    pub fn batch_proof(&self, number: u64) -> StoreResult<Option<Vec<u8>>> {
        self.get(CF_BATCH_PROOFS, &number.to_be_bytes())
    }

    /// The lease on batch `number`'s proving job, if any.
    pub fn proving_lease(&self, number: u64) -> StoreResult<Option<ProvingLease>> {
        self.get(CF_PROVING, &number.to_be_bytes())?
            .map(|v| records::decode(&v, "proving lease"))
            .transpose()
    }

    /// Every proving lease, by batch number.
    pub fn proving_leases(&self) -> StoreResult<Vec<(u64, ProvingLease)>> {
        self.db
            .iterator_cf(self.cf(CF_PROVING), IteratorMode::Start)
            .map(|item| {
                let (k, v) = item?;
                Ok((decode_u64(&k)?, records::decode(&v, "proving lease")?))
            })
            .collect()
    }

    /// Records a lease (fsynced: a restarted node still knows who works on what).
    pub fn put_proving_lease(&self, number: u64, lease: &ProvingLease) -> StoreResult<()> {
        let mut b = WriteBatch::default();
        b.put_cf(
            self.cf(CF_PROVING),
            number.to_be_bytes(),
            alloy_rlp::encode(lease),
        );
        self.write(b, true, "proving")
    }

    /// Drops a lease.
    pub fn delete_proving_lease(&self, number: u64) -> StoreResult<()> {
        let mut b = WriteBatch::default();
        b.delete_cf(self.cf(CF_PROVING), number.to_be_bytes());
        self.write(b, true, "proving")
    }

    /// Stores batch `number`'s accepted proof and drops its lease, atomically.
    pub fn put_batch_proof(&self, number: u64, proof: &[u8]) -> StoreResult<()> {
        let mut b = WriteBatch::default();
        b.put_cf(self.cf(CF_BATCH_PROOFS), number.to_be_bytes(), proof);
        b.delete_cf(self.cf(CF_PROVING), number.to_be_bytes());
        self.write(b, true, "proving")
    }

    /// An aggregation record (windows, partial and final aggregates, leases). The
    /// aggregator owns the key layout; the store only keeps the bytes, in key order.
    pub fn aggregation(&self, key: &[u8]) -> StoreResult<Option<Vec<u8>>> {
        self.get(CF_AGGREGATION, key)
    }

    /// Up to `limit` aggregation records from key `from` on whose keys start with
    /// `prefix`, in key order.
    pub fn aggregation_from(
        &self,
        from: &[u8],
        prefix: &[u8],
        limit: usize,
    ) -> StoreResult<Vec<(Vec<u8>, Vec<u8>)>> {
        let mut out = Vec::new();
        for item in self.db.iterator_cf(
            self.cf(CF_AGGREGATION),
            IteratorMode::From(from, Direction::Forward),
        ) {
            let (k, v) = item?;
            if !k.starts_with(prefix) || out.len() >= limit {
                break;
            }
            out.push((k.to_vec(), v.to_vec()));
        }
        Ok(out)
    }

    /// The aggregation record with the greatest key `≤ key` that starts with `prefix`.
    pub fn aggregation_at_or_before(
        &self,
        key: &[u8],
        prefix: &[u8],
    ) -> StoreResult<Option<(Vec<u8>, Vec<u8>)>> {
        let mut it = self.db.raw_iterator_cf(self.cf(CF_AGGREGATION));
        it.seek_for_prev(key);
        match (it.key(), it.value()) {
            (Some(k), Some(v)) if k.starts_with(prefix) => Ok(Some((k.to_vec(), v.to_vec()))),
            _ => {
                it.status()?;
                Ok(None)
            }
        }
    }

    /// Writes and deletes aggregation records in one fsynced batch: a record is either
    /// fully there after a crash or not at all.
    pub fn update_aggregation(
        &self,
        puts: &[(&[u8], &[u8])],
        deletes: &[&[u8]],
    ) -> StoreResult<()> {
        let mut b = WriteBatch::default();
        let cf = self.cf(CF_AGGREGATION);
        for (k, v) in puts {
            b.put_cf(cf, k, v);
        }
        for k in deletes {
            b.delete_cf(cf, k);
        }
        self.write(b, true, "aggregation")
    }

    /// Journaled transactions not yet known to be included, in arrival order.
    pub fn journal(&self) -> StoreResult<Vec<(u64, Bytes)>> {
        self.db
            .iterator_cf(
                self.cf(CF_JOURNAL),
                IteratorMode::From(&[], Direction::Forward),
            )
            .map(|item| {
                let (k, v) = item?;
                Ok((decode_u64(&k)?, Bytes::from(v.to_vec())))
            })
            .collect()
    }

    /// Starts the atomic write of one block (or of genesis).
    pub fn block_write(&self) -> BlockWrite<'_> {
        BlockWrite {
            store: self,
            batch: WriteBatch::default(),
        }
    }

    /// Flushes memtables so a restart replays little WAL.
    pub fn flush(&self) -> StoreResult<()> {
        self.db.flush_wal(true)?;
        for cf in ALL_CFS {
            self.db.flush_cf(self.cf(cf))?;
        }
        Ok(())
    }
}

/// Collects everything one block changes; [`BlockWrite::commit`] writes it atomically.
pub struct BlockWrite<'a> {
    store: &'a Store,
    batch: WriteBatch,
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

    /// Records changed tree nodes above [`UNSTORED_LEVELS`] as of `batch` (the ones below
    /// follow from the leaf history).
    pub fn nodes(&mut self, updates: &[NodeUpdate], batch: u64) {
        let cf = self.store.cf(CF_NODE_HISTORY);
        for u in updates
            .iter()
            .filter(|u| usize::from(u.level) > UNSTORED_LEVELS)
        {
            self.batch.put_cf(
                cf,
                node_history_key(u.level, u.index, batch),
                digest_to_b256(&u.digest),
            );
        }
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
