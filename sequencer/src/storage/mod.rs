//! RocksDB storage: state leaves and their history by batch, account states by block,
//! blocks, transactions, batches, and the journal of acknowledged transactions. Proving
//! state is not kept here: the proof coordinator has its own database.
//!
//! Every block is one atomic, synced write batch ([`BlockWrite`]), so after any crash the
//! database holds a whole number of blocks, and the state tree rebuilt from its leaves
//! must match the head block's state root (checked at start-up).

mod block_write;
mod chain_reader;
mod history;
mod journal;
mod keys;
mod records;

pub use block_write::BlockWrite;
pub use journal::{JournalOp, JournalWriter};
pub use records::{CreditedDeposit, StoredBlock, TxRecord};

use std::path::Path;
use std::time::Instant;

use alloy_primitives::{Bytes, B256};
use quire_primitives::{AccountLeaf, BatchHeader};
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

/// Where a node keeps its database inside its data directory.
pub fn db_path(data_dir: &Path) -> std::path::PathBuf {
    data_dir.join("db")
}

/// Result alias for storage calls.
pub type StoreResult<T> = Result<T, StoreError>;

/// The node's database.
pub struct Store {
    pub(crate) db: DB,
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
        // Older databases kept column families nothing reads any more (proving state, tree
        // nodes by batch): open them (RocksDB must open every one), then drop them.
        let legacy: Vec<String> = DB::list_cf(&opts, path)
            .unwrap_or_default()
            .into_iter()
            .filter(|name| LEGACY_CFS.contains(&name.as_str()))
            .collect();
        let cfs = ALL_CFS
            .iter()
            .map(|name| ColumnFamilyDescriptor::new(*name, cf_opts()))
            .chain(
                legacy
                    .iter()
                    .map(|name| ColumnFamilyDescriptor::new(name, cf_opts())),
            );
        let mut db = DB::open_cf_descriptors(&opts, path, cfs)?;
        for name in &legacy {
            db.drop_cf(name)?;
            tracing::info!(column_family = %name, "dropped a column family an older version kept and nothing reads");
        }
        Ok(Self { db })
    }

    /// Opens an existing database read-only, beside a node that may be writing it (the
    /// prover's view): it sees everything written before the call.
    pub fn open_read_only(path: &Path) -> StoreResult<Self> {
        let opts = Options::default();
        let mut cfs: Vec<String> = ALL_CFS.iter().map(|s| s.to_string()).collect();
        cfs.extend(
            DB::list_cf(&opts, path)
                .unwrap_or_default()
                .into_iter()
                .filter(|name| LEGACY_CFS.contains(&name.as_str())),
        );
        let db = DB::open_cf_for_read_only(&opts, path, cfs, false)?;
        Ok(Self { db })
    }

    pub(crate) fn cf(&self, name: &str) -> &rocksdb::ColumnFamily {
        self.db
            .cf_handle(name)
            .expect("column families are created at open")
    }

    pub(crate) fn get(&self, cf: &str, key: &[u8]) -> StoreResult<Option<Vec<u8>>> {
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

    /// The block that credited L1 deposit `index`, if one has.
    pub fn deposit_block(&self, index: u64) -> StoreResult<Option<u64>> {
        self.get(CF_CREDITED_DEPOSITS, &index.to_be_bytes())?
            .map(|v| decode_u64(&v))
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A database written by an older version, with its tree-node history, opens: the
    /// column family is dropped, and a read-only open beside it still works.
    #[test]
    fn older_column_families_are_dropped_at_open() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("db");
        {
            let mut opts = Options::default();
            opts.create_if_missing(true);
            opts.create_missing_column_families(true);
            let names = ALL_CFS.iter().copied().chain(["node_history"]);
            let db = DB::open_cf(&opts, &path, names).unwrap();
            db.put_cf(db.cf_handle("node_history").unwrap(), b"k", b"v")
                .unwrap();
        }
        let listed = |path: &Path| DB::list_cf(&Options::default(), path).unwrap();
        assert!(listed(&path).contains(&"node_history".to_string()));
        Store::open_read_only(&path).unwrap();
        let store = Store::open(&path).unwrap();
        drop(store);
        assert!(!listed(&path).contains(&"node_history".to_string()));
        Store::open(&path).unwrap();
    }
}
