//! The coordinator's own database: accepted proofs, aggregation windows and the job table.
//!
//! A RocksDB instance of its own (`<data dir>/proving`) beside the chain's, not column
//! families inside it: proof records are large (hundreds of KB) and would share the
//! chain's write-ahead log and fsyncs with block commits on the sequencer's hot path; the
//! chain never reads them; and proving state can be dropped and rebuilt (after a circuit
//! upgrade) without touching the chain. Nothing needs a write across the two: proving
//! state refers only to sealed batches, which never change.
//!
//! Every write is one fsynced batch, so after a crash a record is fully there or absent.

use std::path::{Path, PathBuf};

use quire_aggregator::{FinalProofFile, PartRecord, SignatureProofFile, Step, Window};
use quire_prover::proof_file::BatchProofFile;
use rocksdb::{
    ColumnFamilyDescriptor, Direction, IteratorMode, Options, WriteBatch, WriteOptions, DB,
};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::job::JobId;
use crate::lease::JobState;

/// Storage failures.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// RocksDB reported an error.
    #[error("proving store: {0}")]
    Db(#[from] rocksdb::Error),
    /// A record failed to decode.
    #[error("corrupt proving store: {0}")]
    Corrupt(String),
}

/// Result alias.
pub type StoreResult<T> = Result<T, StoreError>;

/// `batch ‖` → [`AcceptedBatchProof`].
const BATCH_PROOFS: &str = "batch_proofs";
/// `start` → `end`: closed aggregation windows.
const WINDOWS: &str = "windows";
/// `lo ‖ hi` → [`PartRecord`]: accepted leaf and fold aggregates.
const AGGREGATES: &str = "aggregates";
/// `start` → [`FinalProofFile`]: a window's accepted final proof.
const FINAL_PROOFS: &str = "final_proofs";
/// [`JobId::key`] → [`JobState`]: leases and retry times of jobs without accepted output.
const JOBS: &str = "jobs";
/// `batch` → [`SignatureProofFile`]: a batch's accepted signature proof.
const SIGNATURE_PROOFS: &str = "signature_proofs";
const ALL: [&str; 6] = [
    BATCH_PROOFS,
    WINDOWS,
    AGGREGATES,
    FINAL_PROOFS,
    JOBS,
    SIGNATURE_PROOFS,
];

/// Where a node keeps its proving store inside its data directory.
pub fn proving_db_path(data_dir: &Path) -> PathBuf {
    data_dir.join("proving")
}

/// An accepted batch proof and the worker that made it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct AcceptedBatchProof {
    /// Worker id.
    pub worker: String,
    /// The proof.
    pub file: BatchProofFile,
}

/// The proving store.
pub struct ProofStore {
    db: DB,
}

impl std::fmt::Debug for ProofStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProofStore")
            .field("path", &self.db.path())
            .finish()
    }
}

fn be(n: u64) -> [u8; 8] {
    n.to_be_bytes()
}

fn range_key(lo: u64, hi: u64) -> [u8; 16] {
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&lo.to_be_bytes());
    k[8..].copy_from_slice(&hi.to_be_bytes());
    k
}

fn decode_u64(bytes: &[u8]) -> StoreResult<u64> {
    bytes
        .try_into()
        .map(u64::from_be_bytes)
        .map_err(|_| StoreError::Corrupt("bad integer".into()))
}

fn decode<T: DeserializeOwned>(bytes: &[u8], what: &str) -> StoreResult<T> {
    serde_json::from_slice(bytes).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

fn encode<T: Serialize>(value: &T) -> StoreResult<Vec<u8>> {
    serde_json::to_vec(value).map_err(|e| StoreError::Corrupt(format!("encoding: {e}")))
}

impl ProofStore {
    /// Opens (creating if needed) the store at `path`.
    pub fn open(path: &Path) -> StoreResult<Self> {
        let mut opts = Options::default();
        opts.create_if_missing(true);
        opts.create_missing_column_families(true);
        let cfs = ALL
            .iter()
            .map(|name| ColumnFamilyDescriptor::new(*name, Options::default()));
        Ok(Self {
            db: DB::open_cf_descriptors(&opts, path, cfs)?,
        })
    }

    /// Opens an existing store read-only, beside a node that may be writing it (tools and
    /// tests): it sees everything written before the call.
    pub fn open_read_only(path: &Path) -> StoreResult<Self> {
        Ok(Self {
            db: DB::open_cf_for_read_only(&Options::default(), path, ALL, false)?,
        })
    }

    fn cf(&self, name: &str) -> &rocksdb::ColumnFamily {
        self.db
            .cf_handle(name)
            .expect("column families are created at open")
    }

    fn get(&self, cf: &str, key: &[u8]) -> StoreResult<Option<Vec<u8>>> {
        Ok(self.db.get_cf(self.cf(cf), key)?)
    }

    fn write(&self, batch: WriteBatch) -> StoreResult<()> {
        let mut opts = WriteOptions::default();
        opts.set_sync(true);
        Ok(self.db.write_opt(batch, &opts)?)
    }

    /// The accepted proof of batch `n`.
    pub fn batch_proof(&self, n: u64) -> StoreResult<Option<AcceptedBatchProof>> {
        self.get(BATCH_PROOFS, &be(n))?
            .map(|v| decode(&v, "batch proof"))
            .transpose()
    }

    /// Whether batch `n` has an accepted proof (without decoding it).
    pub fn has_batch_proof(&self, n: u64) -> StoreResult<bool> {
        Ok(self.get(BATCH_PROOFS, &be(n))?.is_some())
    }

    /// The accepted signature proof of batch `n`.
    pub fn signature_proof(&self, n: u64) -> StoreResult<Option<SignatureProofFile>> {
        self.get(SIGNATURE_PROOFS, &be(n))?
            .map(|v| decode(&v, "signature proof"))
            .transpose()
    }

    /// Whether batch `n` has an accepted signature proof (without decoding it).
    pub fn has_signature_proof(&self, n: u64) -> StoreResult<bool> {
        Ok(self.get(SIGNATURE_PROOFS, &be(n))?.is_some())
    }

    /// Stores batch `n`'s accepted signature proof and drops its job state, atomically.
    pub fn accept_signature_proof(&self, n: u64, file: &SignatureProofFile) -> StoreResult<()> {
        let mut b = WriteBatch::default();
        b.put_cf(self.cf(SIGNATURE_PROOFS), be(n), encode(file)?);
        b.delete_cf(self.cf(JOBS), JobId::Signatures(n).key());
        self.write(b)
    }

    /// The accepted aggregate of batches `lo..=hi`.
    pub fn aggregate(&self, lo: u64, hi: u64) -> StoreResult<Option<PartRecord>> {
        self.get(AGGREGATES, &range_key(lo, hi))?
            .map(|v| decode(&v, "aggregate"))
            .transpose()
    }

    /// The accepted final proof of the window starting at `start`.
    pub fn final_proof(&self, start: u64) -> StoreResult<Option<FinalProofFile>> {
        self.get(FINAL_PROOFS, &be(start))?
            .map(|v| decode(&v, "final proof"))
            .transpose()
    }

    /// The newest accepted final proof.
    pub fn latest_final_proof(&self) -> StoreResult<Option<FinalProofFile>> {
        match self
            .db
            .iterator_cf(self.cf(FINAL_PROOFS), IteratorMode::End)
            .next()
        {
            Some(item) => Ok(Some(decode(&item?.1, "final proof")?)),
            None => Ok(None),
        }
    }

    /// Whether a step's output is accepted.
    pub fn has_output(&self, step: &Step) -> StoreResult<bool> {
        Ok(match *step {
            Step::Wrap(w) => self.get(FINAL_PROOFS, &be(w.start))?.is_some(),
            s => {
                let (lo, hi) = s.range();
                self.get(AGGREGATES, &range_key(lo, hi))?.is_some()
            }
        })
    }

    /// Records a closed window (its bounds never change).
    pub fn put_window(&self, w: Window) -> StoreResult<()> {
        let mut b = WriteBatch::default();
        b.put_cf(self.cf(WINDOWS), be(w.start), be(w.end));
        self.write(b)
    }

    /// The closed window holding batch `n`.
    pub fn window_of(&self, n: u64) -> StoreResult<Option<Window>> {
        let mut it = self.db.raw_iterator_cf(self.cf(WINDOWS));
        it.seek_for_prev(be(n));
        match (it.key(), it.value()) {
            (Some(k), Some(v)) => {
                let w = Window {
                    start: decode_u64(k)?,
                    end: decode_u64(v)?,
                };
                Ok((w.end >= n).then_some(w))
            }
            _ => {
                it.status()?;
                Ok(None)
            }
        }
    }

    /// The last closed window.
    pub fn last_window(&self) -> StoreResult<Option<Window>> {
        match self
            .db
            .iterator_cf(self.cf(WINDOWS), IteratorMode::End)
            .next()
        {
            Some(item) => {
                let (k, v) = item?;
                Ok(Some(Window {
                    start: decode_u64(&k)?,
                    end: decode_u64(&v)?,
                }))
            }
            None => Ok(None),
        }
    }

    /// Up to `limit` closed windows starting at or after batch `from`, in order.
    pub fn windows_from(&self, from: u64, limit: usize) -> StoreResult<Vec<Window>> {
        self.db
            .iterator_cf(
                self.cf(WINDOWS),
                IteratorMode::From(&be(from), Direction::Forward),
            )
            .take(limit)
            .map(|item| {
                let (k, v) = item?;
                Ok(Window {
                    start: decode_u64(&k)?,
                    end: decode_u64(&v)?,
                })
            })
            .collect()
    }

    /// A job's lease and retry state (default when it has none).
    pub fn job_state(&self, id: &JobId) -> StoreResult<JobState> {
        Ok(self
            .get(JOBS, &id.key())?
            .map(|v| decode(&v, "job state"))
            .transpose()?
            .unwrap_or_default())
    }

    /// Records a job's state.
    pub fn put_job_state(&self, id: &JobId, state: &JobState) -> StoreResult<()> {
        let mut b = WriteBatch::default();
        b.put_cf(self.cf(JOBS), id.key(), encode(state)?);
        self.write(b)
    }

    /// Every stored job state, by raw key.
    pub fn job_states(&self) -> StoreResult<Vec<(Vec<u8>, JobState)>> {
        self.db
            .iterator_cf(self.cf(JOBS), IteratorMode::Start)
            .map(|item| {
                let (k, v) = item?;
                Ok((k.to_vec(), decode(&v, "job state")?))
            })
            .collect()
    }

    /// Replaces a job state by raw key (start-up clean-up of dead leases).
    pub(crate) fn put_job_state_raw(&self, key: &[u8], state: &JobState) -> StoreResult<()> {
        let mut b = WriteBatch::default();
        b.put_cf(self.cf(JOBS), key, encode(state)?);
        self.write(b)
    }

    /// Stores batch `n`'s accepted proof and drops its job state, atomically.
    pub fn accept_batch_proof(&self, n: u64, proof: &AcceptedBatchProof) -> StoreResult<()> {
        let mut b = WriteBatch::default();
        b.put_cf(self.cf(BATCH_PROOFS), be(n), encode(proof)?);
        b.delete_cf(self.cf(JOBS), JobId::Batch(n).key());
        self.write(b)
    }

    /// Stores a leaf's or fold's accepted aggregate and drops its job state, atomically.
    pub fn accept_aggregate(&self, step: &Step, record: &PartRecord) -> StoreResult<()> {
        let (lo, hi) = step.range();
        let mut b = WriteBatch::default();
        b.put_cf(self.cf(AGGREGATES), range_key(lo, hi), encode(record)?);
        b.delete_cf(self.cf(JOBS), JobId::Step(*step).key());
        self.write(b)
    }

    /// Stores a window's accepted final proof and drops its job state, atomically.
    pub fn accept_final_proof(&self, w: Window, file: &FinalProofFile) -> StoreResult<()> {
        let mut b = WriteBatch::default();
        b.put_cf(self.cf(FINAL_PROOFS), be(w.start), encode(file)?);
        b.delete_cf(self.cf(JOBS), JobId::Step(Step::Wrap(w)).key());
        self.write(b)
    }
}
