//! The sender's own store (RocksDB, beside the chain's and the coordinator's): one record
//! per window with every step it took on L1, written before and after each transaction is
//! broadcast, so that a restart neither repeats nor skips a step.

use std::path::{Path, PathBuf};

use alloy_primitives::{Address, Bytes, B256};
use serde::{Deserialize, Serialize};

/// Where the sender keeps its records under a node's data directory.
pub fn settlement_db_path(data_dir: &Path) -> PathBuf {
    data_dir.join("settlement")
}

/// Storage failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// RocksDB failed.
    #[error("settlement store: {0}")]
    Db(#[from] rocksdb::Error),
    /// A record does not decode.
    #[error("settlement store holds a malformed record: {0}")]
    Corrupt(String),
}

/// Where an L1 transaction of a step stands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StepTx {
    /// Its nonce (replacements reuse it).
    pub nonce: u64,
    /// Hashes of every version broadcast, the newest last: any of them may be mined.
    pub hashes: Vec<B256>,
    /// The newest version, signed, in network form (with its blobs), for rebroadcasting.
    pub raw: Bytes,
    /// Its fee caps, wei.
    pub max_fee_per_gas: u128,
    /// Its tip, wei.
    pub max_priority_fee_per_gas: u128,
    /// Its blob fee cap (0 without blobs), wei.
    pub max_fee_per_blob_gas: u128,
    /// Its gas limit (replacements reuse it: re-estimating could race the mining of an
    /// earlier version and fail).
    #[serde(default)]
    pub gas_limit: u64,
    /// L1 head when the newest version was broadcast.
    pub sent_at_block: u64,
    /// Where it was mined, once seen in a block.
    pub included: Option<Included>,
}

/// A mined transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Included {
    /// Which version was mined.
    pub tx_hash: B256,
    /// Its block.
    pub block: u64,
    /// That block's hash (a reorg changes it).
    pub block_hash: B256,
}

/// One window's life on L1.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WindowRecord {
    /// First batch.
    pub start: u64,
    /// Last batch.
    pub end: u64,
    /// Its id in the Rollup (1 for the first window).
    pub l1_window: u64,
    /// The ABI encoding of the header it commits to.
    pub header: Bytes,
    /// Its data (format [`quire_da::encode_window`]).
    pub data: Bytes,
    /// Versioned hashes of its blobs (empty in calldata mode).
    pub blob_hashes: Vec<B256>,
    /// Keccak-256 of the data in calldata mode (zero with blobs).
    pub calldata_hash: B256,
    /// The commit transaction, once broadcast.
    pub commit: Option<StepTx>,
    /// The prove transaction, once broadcast.
    pub prove: Option<StepTx>,
    /// Transactions of this window that L1 mined as reverted (the step they were for is
    /// sent afresh, at a new nonce, after the operator restarts the node).
    #[serde(default)]
    pub reverted: Vec<B256>,
}

/// The store.
pub struct SettlementStore {
    db: rocksdb::DB,
}

const ROLLUP_KEY: &[u8] = b"rollup";

fn window_key(start: u64) -> Vec<u8> {
    let mut k = b"w".to_vec();
    k.extend_from_slice(&start.to_be_bytes());
    k
}

impl SettlementStore {
    /// Opens (creating) the store at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let mut opts = rocksdb::Options::default();
        opts.create_if_missing(true);
        Ok(Self {
            db: rocksdb::DB::open(&opts, path)?,
        })
    }

    /// Writes a record durably (fsync'd WAL): it is what a restart resumes from.
    pub fn put(&self, r: &WindowRecord) -> Result<(), StoreError> {
        let mut w = rocksdb::WriteOptions::default();
        w.set_sync(true);
        let value = serde_json::to_vec(r).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        Ok(self.db.put_opt(window_key(r.start), value, &w)?)
    }

    /// Every record, in window order.
    pub fn windows(&self) -> Result<Vec<WindowRecord>, StoreError> {
        self.db
            .prefix_iterator(b"w")
            .take_while(|item| item.as_ref().map_or(true, |(k, _)| k.starts_with(b"w")))
            .map(|item| {
                let (_, v) = item?;
                serde_json::from_slice(&v).map_err(|e| StoreError::Corrupt(e.to_string()))
            })
            .collect()
    }

    /// The record of the window holding batch `n`.
    pub fn window_of(&self, n: u64) -> Result<Option<WindowRecord>, StoreError> {
        Ok(self
            .windows()?
            .into_iter()
            .find(|r| r.start <= n && n <= r.end))
    }

    /// The Rollup this node settles on, once deployed or configured.
    pub fn rollup(&self) -> Result<Option<Address>, StoreError> {
        Ok(self
            .db
            .get(ROLLUP_KEY)?
            .map(|v| Address::from_slice(&v[..20.min(v.len())])))
    }

    /// Records the Rollup.
    pub fn set_rollup(&self, a: Address) -> Result<(), StoreError> {
        let mut w = rocksdb::WriteOptions::default();
        w.set_sync(true);
        Ok(self.db.put_opt(ROLLUP_KEY, a.as_slice(), &w)?)
    }
}
