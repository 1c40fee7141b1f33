//! The watcher's own store (RocksDB, beside the chain's, the coordinator's and the
//! settlement sender's): every deposit seen at the confirmation depth, in queue order, with
//! where L1 put it, and the cursor of the last L1 block scanned. A scan's deposits and its
//! cursor are one fsynced write, so that a crash leaves either both or neither.

use std::path::{Path, PathBuf};

use alloy_primitives::{Address, B256};
use quire_primitives::deposit::{genesis_queue_hash, QueueHash};
use quire_primitives::Deposit;
use rocksdb::{Direction, IteratorMode, WriteBatch, WriteOptions, DB};
use serde::{Deserialize, Serialize};

/// Where the watcher keeps its records under a node's data directory.
pub fn deposits_db_path(data_dir: &Path) -> PathBuf {
    data_dir.join("deposits")
}

const BINDING: &[u8] = b"binding";
const CURSOR: &[u8] = b"cursor";
const DEPOSIT: u8 = b'd';
const BY_L1_TX: u8 = b't';

/// Storage failed, or was asked to break the queue's order.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// RocksDB failed.
    #[error("deposit store: {0}")]
    Db(#[from] rocksdb::Error),
    /// A record does not decode.
    #[error("deposit store holds a malformed record: {0}")]
    Corrupt(String),
    /// The data directory follows another Bridge (or the same from another block).
    #[error("this data directory follows the Bridge at {stored} from L1 block {stored_from}, not {asked} from {asked_from}")]
    OtherBridge {
        /// The Bridge it follows.
        stored: Address,
        /// From where.
        stored_from: u64,
        /// The Bridge asked for.
        asked: Address,
        /// From where.
        asked_from: u64,
    },
    /// A scan's deposits do not continue the queue.
    #[error("deposit {got} does not continue the queue (next is {expected})")]
    OutOfOrder {
        /// The index the queue needs next.
        expected: u64,
        /// The index offered.
        got: u64,
    },
}

/// The last L1 block scanned: every deposit in it and before it is in the store.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ScanCursor {
    /// Its number.
    pub block: u64,
    /// Its hash when scanned (a reorg that replaces it changes it).
    pub hash: B256,
}

/// A deposit as the watcher saw it on L1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SeenDeposit {
    /// What the Bridge queued.
    pub deposit: Deposit,
    /// The queue hash after it (checked against the event's).
    pub queue_hash: QueueHash,
    /// The L1 block's hash.
    pub l1_block_hash: B256,
    /// The L1 transaction that made it.
    pub l1_tx: B256,
    /// Its log's index in the block.
    pub log_index: u64,
}

/// Which Bridge a store follows, from which L1 block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Binding {
    bridge: Address,
    from_block: u64,
}

/// The store.
pub struct DepositStore {
    db: DB,
}

fn deposit_key(index: u64) -> [u8; 9] {
    let mut k = [DEPOSIT; 9];
    k[1..].copy_from_slice(&index.to_be_bytes());
    k
}

fn by_tx_key(tx: &B256, index: u64) -> [u8; 41] {
    let mut k = [BY_L1_TX; 41];
    k[1..33].copy_from_slice(tx.as_slice());
    k[33..].copy_from_slice(&index.to_be_bytes());
    k
}

fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8], what: &str) -> Result<T, StoreError> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

fn encode<T: Serialize>(v: &T) -> Vec<u8> {
    serde_json::to_vec(v).expect("store records serialise")
}

impl DepositStore {
    /// Opens (or creates) the store at `path`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        let mut opts = rocksdb::Options::default();
        opts.create_if_missing(true);
        Ok(Self {
            db: DB::open(&opts, path)?,
        })
    }

    fn write(&self, batch: WriteBatch) -> Result<(), StoreError> {
        let mut opts = WriteOptions::default();
        opts.set_sync(true);
        Ok(self.db.write_opt(batch, &opts)?)
    }

    /// Binds the store to the Bridge at `bridge`, followed from L1 block `from_block` (its
    /// deployment), or checks that it is the one already bound: one data directory follows
    /// one queue.
    pub fn bind(&self, bridge: Address, from_block: u64) -> Result<(), StoreError> {
        let asked = Binding { bridge, from_block };
        match self.db.get(BINDING)? {
            Some(bytes) => {
                let stored: Binding = decode(&bytes, "binding")?;
                if stored != asked {
                    return Err(StoreError::OtherBridge {
                        stored: stored.bridge,
                        stored_from: stored.from_block,
                        asked: bridge,
                        asked_from: from_block,
                    });
                }
                Ok(())
            }
            None => {
                let mut batch = WriteBatch::default();
                batch.put(BINDING, encode(&asked));
                self.write(batch)
            }
        }
    }

    /// The Bridge this store follows and from which L1 block, once bound.
    pub fn binding(&self) -> Result<Option<(Address, u64)>, StoreError> {
        Ok(self
            .db
            .get(BINDING)?
            .map(|b| decode::<Binding>(&b, "binding"))
            .transpose()?
            .map(|b| (b.bridge, b.from_block)))
    }

    /// The last block scanned (`None` before the first scan).
    pub fn cursor(&self) -> Result<Option<ScanCursor>, StoreError> {
        self.db
            .get(CURSOR)?
            .map(|b| decode(&b, "cursor"))
            .transpose()
    }

    /// The newest deposit seen.
    pub fn last(&self) -> Result<Option<SeenDeposit>, StoreError> {
        let end = deposit_key(u64::MAX);
        let mut it = self
            .db
            .iterator(IteratorMode::From(&end, Direction::Reverse));
        match it.next() {
            Some(item) => {
                let (k, v) = item?;
                if k.first() != Some(&DEPOSIT) {
                    return Ok(None);
                }
                decode(&v, "deposit").map(Some)
            }
            None => Ok(None),
        }
    }

    /// How many deposits have been seen: the index of the next.
    pub fn next_index(&self) -> Result<u64, StoreError> {
        Ok(self.last()?.map_or(0, |d| d.deposit.index + 1))
    }

    /// The queue hash after the newest deposit seen (the genesis hash before any).
    pub fn queue_head(&self) -> Result<QueueHash, StoreError> {
        Ok(self
            .last()?
            .map_or_else(genesis_queue_hash, |d| d.queue_hash))
    }

    /// Deposit `index`, if seen.
    pub fn deposit(&self, index: u64) -> Result<Option<SeenDeposit>, StoreError> {
        self.db
            .get(deposit_key(index))?
            .map(|b| decode(&b, "deposit"))
            .transpose()
    }

    /// Up to `limit` deposits from `index` on, in queue order.
    pub fn deposits_from(&self, index: u64, limit: usize) -> Result<Vec<SeenDeposit>, StoreError> {
        let start = deposit_key(index);
        let mut out = Vec::new();
        for item in self
            .db
            .iterator(IteratorMode::From(&start, Direction::Forward))
        {
            let (k, v) = item?;
            if k.first() != Some(&DEPOSIT) || out.len() == limit {
                break;
            }
            out.push(decode(&v, "deposit")?);
        }
        Ok(out)
    }

    /// The deposits an L1 transaction made (a contract may make several in one).
    pub fn by_l1_tx(&self, tx: &B256) -> Result<Vec<SeenDeposit>, StoreError> {
        let prefix = by_tx_key(tx, 0);
        let mut out = Vec::new();
        for item in self
            .db
            .iterator(IteratorMode::From(&prefix, Direction::Forward))
        {
            let (k, _) = item?;
            if k.len() != prefix.len() || k[..33] != prefix[..33] {
                break;
            }
            let index = u64::from_be_bytes(k[33..].try_into().expect("8 bytes"));
            if let Some(d) = self.deposit(index)? {
                out.push(d);
            }
        }
        Ok(out)
    }

    /// Records one scan: the deposits it found (continuing the queue, in order) and the
    /// block it reached, in one write.
    pub fn record_scan(&self, found: &[SeenDeposit], cursor: ScanCursor) -> Result<(), StoreError> {
        let mut batch = WriteBatch::default();
        for (expected, d) in (self.next_index()?..).zip(found) {
            if d.deposit.index != expected {
                return Err(StoreError::OutOfOrder {
                    expected,
                    got: d.deposit.index,
                });
            }
            batch.put(deposit_key(d.deposit.index), encode(d));
            batch.put(by_tx_key(&d.l1_tx, d.deposit.index), []);
        }
        batch.put(CURSOR, encode(&cursor));
        self.write(batch)
    }

    /// Forgets every deposit from `index` on and moves the cursor back to `cursor` (`None`:
    /// nothing scanned), in one write: what an L1 reorg below the cursor undoes.
    pub fn roll_back(&self, index: u64, cursor: Option<ScanCursor>) -> Result<(), StoreError> {
        let mut batch = WriteBatch::default();
        for d in self.deposits_from(index, usize::MAX)? {
            batch.delete(deposit_key(d.deposit.index));
            batch.delete(by_tx_key(&d.l1_tx, d.deposit.index));
        }
        match cursor {
            Some(c) => batch.put(CURSOR, encode(&c)),
            None => batch.delete(CURSOR),
        }
        self.write(batch)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seen(index: u64, block: u64, prev: QueueHash) -> SeenDeposit {
        let deposit = Deposit {
            index,
            recipient: Address::repeat_byte(index as u8 + 1),
            amount: 1_000 + u128::from(index),
            l1_block: block,
        };
        SeenDeposit {
            deposit,
            queue_hash: deposit.queue_hash(prev),
            l1_block_hash: B256::repeat_byte(block as u8),
            l1_tx: B256::repeat_byte(0xa0 + index as u8),
            log_index: 0,
        }
    }

    fn chain(n: u64) -> Vec<SeenDeposit> {
        let mut prev = genesis_queue_hash();
        (0..n)
            .map(|i| {
                let d = seen(i, 10 + i, prev);
                prev = d.queue_hash;
                d
            })
            .collect()
    }

    fn cursor(block: u64) -> ScanCursor {
        ScanCursor {
            block,
            hash: B256::repeat_byte(block as u8),
        }
    }

    #[test]
    fn scans_persist_across_reopening() {
        let dir = tempfile::tempdir().unwrap();
        let ds = chain(3);
        {
            let store = DepositStore::open(dir.path()).unwrap();
            assert_eq!(store.next_index().unwrap(), 0);
            assert_eq!(store.queue_head().unwrap(), genesis_queue_hash());
            assert_eq!(store.cursor().unwrap(), None);
            store.record_scan(&ds[..2], cursor(11)).unwrap();
            store.record_scan(&[], cursor(11)).unwrap();
            store.record_scan(&ds[2..], cursor(15)).unwrap();
        }
        let store = DepositStore::open(dir.path()).unwrap();
        assert_eq!(store.cursor().unwrap(), Some(cursor(15)));
        assert_eq!(store.next_index().unwrap(), 3);
        assert_eq!(store.queue_head().unwrap(), ds[2].queue_hash);
        assert_eq!(store.deposit(1).unwrap(), Some(ds[1]));
        assert_eq!(store.deposits_from(1, 10).unwrap(), ds[1..].to_vec());
        assert_eq!(store.deposits_from(0, 2).unwrap(), ds[..2].to_vec());
        assert_eq!(store.by_l1_tx(&ds[2].l1_tx).unwrap(), vec![ds[2]]);
        assert_eq!(store.by_l1_tx(&B256::ZERO).unwrap(), vec![]);
    }

    #[test]
    fn a_scan_that_skips_or_repeats_a_deposit_is_refused_and_changes_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let store = DepositStore::open(dir.path()).unwrap();
        let ds = chain(3);
        store.record_scan(&ds[..1], cursor(10)).unwrap();
        for (bad, expected) in [(vec![ds[2]], 1), (vec![ds[0]], 1), (vec![ds[1], ds[1]], 2)] {
            let err = store.record_scan(&bad, cursor(20)).unwrap_err();
            assert!(
                matches!(err, StoreError::OutOfOrder { expected: e, .. } if e == expected),
                "{err}"
            );
            assert_eq!(store.cursor().unwrap(), Some(cursor(10)));
            assert_eq!(store.next_index().unwrap(), 1);
        }
    }

    #[test]
    fn rolling_back_forgets_later_deposits_and_their_transactions() {
        let dir = tempfile::tempdir().unwrap();
        let store = DepositStore::open(dir.path()).unwrap();
        let ds = chain(4);
        store.record_scan(&ds, cursor(13)).unwrap();
        store.roll_back(2, Some(cursor(11))).unwrap();
        assert_eq!(store.next_index().unwrap(), 2);
        assert_eq!(store.queue_head().unwrap(), ds[1].queue_hash);
        assert_eq!(store.cursor().unwrap(), Some(cursor(11)));
        assert_eq!(store.by_l1_tx(&ds[3].l1_tx).unwrap(), vec![]);
        // The queue continues from the deposit kept.
        store.record_scan(&ds[2..3], cursor(12)).unwrap();
        assert_eq!(store.next_index().unwrap(), 3);
        store.roll_back(0, None).unwrap();
        assert_eq!(store.next_index().unwrap(), 0);
        assert_eq!(store.cursor().unwrap(), None);
    }

    #[test]
    fn a_store_follows_one_bridge() {
        let dir = tempfile::tempdir().unwrap();
        let store = DepositStore::open(dir.path()).unwrap();
        let bridge = Address::repeat_byte(7);
        assert_eq!(store.binding().unwrap(), None);
        store.bind(bridge, 5).unwrap();
        store.bind(bridge, 5).unwrap();
        assert_eq!(store.binding().unwrap(), Some((bridge, 5)));
        assert!(matches!(
            store.bind(Address::repeat_byte(8), 5),
            Err(StoreError::OtherBridge { .. })
        ));
        assert!(matches!(
            store.bind(bridge, 6),
            Err(StoreError::OtherBridge { .. })
        ));
    }
}
