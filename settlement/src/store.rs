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
    /// Its withdrawals in order, as `proveWindow` takes them
    /// ([`quire_primitives::withdrawal::withdrawal_word`]).
    #[serde(default)]
    pub withdrawals: Vec<B256>,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn record(start: u64, end: u64) -> WindowRecord {
        WindowRecord {
            start,
            end,
            l1_window: start,
            header: Bytes::from(vec![1, 2, 3]),
            data: Bytes::from(vec![4; 40]),
            blob_hashes: vec![B256::repeat_byte(7)],
            calldata_hash: B256::ZERO,
            withdrawals: vec![B256::repeat_byte(8)],
            commit: Some(StepTx {
                nonce: 3,
                hashes: vec![B256::repeat_byte(1), B256::repeat_byte(2)],
                raw: Bytes::from(vec![9; 10]),
                max_fee_per_gas: 10,
                max_priority_fee_per_gas: 1,
                max_fee_per_blob_gas: 5,
                gas_limit: 100_000,
                sent_at_block: 12,
                included: Some(Included {
                    tx_hash: B256::repeat_byte(2),
                    block: 13,
                    block_hash: B256::repeat_byte(3),
                }),
            }),
            prove: None,
            reverted: vec![],
        }
    }

    #[test]
    fn records_survive_a_reopen_in_window_order() {
        let dir = tempfile::tempdir().unwrap();
        let path = settlement_db_path(dir.path());
        {
            let store = SettlementStore::open(&path).unwrap();
            // Written out of order, and past 255 so a little-endian key would misorder.
            for (s, e) in [(300, 400), (1, 8), (9, 299)] {
                store.put(&record(s, e)).unwrap();
            }
            store.set_rollup(Address::repeat_byte(0x42)).unwrap();
        }
        let store = SettlementStore::open(&path).unwrap();
        let starts: Vec<u64> = store.windows().unwrap().iter().map(|r| r.start).collect();
        assert_eq!(starts, [1, 9, 300]);
        assert_eq!(store.window_of(299).unwrap().unwrap(), record(9, 299));
        assert_eq!(store.window_of(401).unwrap(), None);
        assert_eq!(store.rollup().unwrap(), Some(Address::repeat_byte(0x42)));
        // A step updated in place replaces the record, it does not add one.
        let mut r = record(1, 8);
        r.prove = r.commit.clone();
        store.put(&r).unwrap();
        assert_eq!(store.windows().unwrap().len(), 3);
        assert_eq!(store.window_of(1).unwrap().unwrap(), r);
    }

    #[test]
    fn a_malformed_record_is_an_error_not_a_skip() {
        let dir = tempfile::tempdir().unwrap();
        let store = SettlementStore::open(dir.path()).unwrap();
        assert_eq!(store.rollup().unwrap(), None);
        store.put(&record(1, 8)).unwrap();
        store.db.put(window_key(9), b"{not json").unwrap();
        assert!(matches!(store.windows(), Err(StoreError::Corrupt(_))));
    }
}
