//! The prover pool: hands out batch-proving jobs to workers (threads in the node, or other
//! processes), takes their proofs back, and accepts only proofs that verify and match the
//! stored batch.
//!
//! The job list is the sealed batches without an accepted proof, so it survives restarts
//! by construction; leases are stored too (fsynced), so a remote worker that keeps working
//! while the node restarts can still hand its proof in. A lease runs out after the
//! configured time: a worker that died or stalled loses the job to the next one.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use parking_lot::Mutex;
use quire_primitives::{BatchHeader, BatchStatus};
use quire_sequencer::storage::{ProvingLease, Store, StoreError};

use crate::cache::CircuitCache;
use crate::proof_file::BatchProofFile;
use crate::{shapes, witness};

/// Worker ids of in-process workers start with this; their leases die with the process.
pub const LOCAL_WORKER_PREFIX: &str = "local-";

/// Other work the in-process workers take before batch proofs: aggregation steps. It
/// lives in a crate above this one (it needs the batch proofs), so the pool sees only this.
pub trait JobSource: Send + Sync {
    /// Leases, runs and submits one job if one is ready; `Ok(false)` when there is none.
    fn run_one(&self, worker: &str) -> anyhow::Result<bool>;
}

/// Pool settings.
#[derive(Clone, Copy, Debug)]
pub struct PoolConfig {
    /// How long a worker may hold a job.
    pub lease: Duration,
    /// How often an idle in-process worker looks for work.
    pub poll: Duration,
}

/// What became of a submitted proof.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Submitted {
    /// Verified and stored.
    Accepted,
    /// The batch already had an accepted proof; nothing changed.
    Duplicate,
}

/// Why a submitted proof was refused (nothing is stored).
#[derive(Debug, thiserror::Error)]
pub enum SubmitError {
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The proof is malformed, does not verify, or proves something else.
    #[error("proof refused: {0:#}")]
    Invalid(anyhow::Error),
}

/// An accepted proof as stored: the proof file and the worker that made it.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct AcceptedProof {
    /// Worker id.
    pub worker: String,
    /// The proof.
    pub file: BatchProofFile,
}

/// Proving state of a batch, as RPC shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProvingStatus {
    /// Still open.
    Open,
    /// Sealed, waiting for a worker.
    Sealed,
    /// A worker holds it.
    Proving,
    /// Its proof is accepted.
    Proven,
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// The pool.
pub struct ProverPool {
    store: Arc<Store>,
    cache: Arc<CircuitCache>,
    config: PoolConfig,
    /// Serialises lease decisions.
    lock: Mutex<()>,
    /// Every batch below this has an accepted proof.
    proven_below: AtomicU64,
    stopping: AtomicBool,
    workers: Mutex<Vec<JoinHandle<()>>>,
}

impl ProverPool {
    /// A pool over `store`. Leases of in-process workers from before a restart are dropped:
    /// those workers are gone.
    pub fn new(
        store: Arc<Store>,
        cache: Arc<CircuitCache>,
        config: PoolConfig,
    ) -> Result<Arc<Self>, StoreError> {
        for (n, lease) in store.proving_leases()? {
            if lease.worker.starts_with(LOCAL_WORKER_PREFIX) {
                store.delete_proving_lease(n)?;
            }
        }
        Ok(Arc::new(Self {
            store,
            cache,
            config,
            lock: Mutex::new(()),
            proven_below: AtomicU64::new(1),
            stopping: AtomicBool::new(false),
            workers: Mutex::new(Vec::new()),
        }))
    }

    /// The accepted proof of batch `number`.
    pub fn accepted(&self, number: u64) -> anyhow::Result<Option<AcceptedProof>> {
        match self.store.batch_proof(number)? {
            Some(bytes) => Ok(Some(serde_json::from_slice(&bytes)?)),
            None => Ok(None),
        }
    }

    /// Sealed batches without an accepted proof.
    pub fn queue_depth(&self) -> Result<u64, StoreError> {
        let mut depth = 0;
        let mut n = self.proven_below.load(Ordering::SeqCst);
        while let Some(b) = self.store.batch(n)? {
            if b.status() != BatchStatus::Sealed {
                break;
            }
            if self.store.batch_proof(n)?.is_none() {
                depth += 1;
            }
            n += 1;
        }
        Ok(depth)
    }

    /// Leases the oldest sealed batch that has no accepted proof and no live lease.
    pub fn lease(&self, worker: &str) -> Result<Option<u64>, StoreError> {
        let _guard = self.lock.lock();
        let now = now_ms();
        let mut n = self.proven_below.load(Ordering::SeqCst);
        let mut contiguous = true;
        while let Some(b) = self.store.batch(n)? {
            if b.status() != BatchStatus::Sealed {
                break;
            }
            if self.store.batch_proof(n)?.is_some() {
                if contiguous {
                    self.proven_below.store(n + 1, Ordering::SeqCst);
                }
                n += 1;
                continue;
            }
            contiguous = false;
            match self.store.proving_lease(n)? {
                Some(l) if l.deadline_ms > now => n += 1,
                _ => {
                    self.store.put_proving_lease(
                        n,
                        &ProvingLease {
                            worker: worker.to_string(),
                            deadline_ms: now + self.config.lease.as_millis() as u64,
                        },
                    )?;
                    metrics::counter!("quire_proving_jobs_leased_total").increment(1);
                    return Ok(Some(n));
                }
            }
        }
        Ok(None)
    }

    /// Gives a job back (a worker that cannot finish it).
    pub fn release(&self, worker: &str, number: u64) -> Result<(), StoreError> {
        let _guard = self.lock.lock();
        if let Some(l) = self.store.proving_lease(number)? {
            if l.worker == worker {
                self.store.delete_proving_lease(number)?;
            }
        }
        Ok(())
    }

    /// Checks a submitted proof and stores it if it verifies and its public inputs match
    /// the stored batch. A refused proof changes nothing except releasing the submitter's
    /// lease, so another worker gets the job at once.
    pub fn submit(&self, worker: &str, file: &BatchProofFile) -> Result<Submitted, SubmitError> {
        let number = file.batch_number;
        if self.store.batch_proof(number)?.is_some() {
            return Ok(Submitted::Duplicate);
        }
        match self.check(file) {
            Ok(()) => {}
            Err(e) => {
                metrics::counter!("quire_proofs_rejected_total").increment(1);
                tracing::warn!(worker, batch = number, error = %format!("{e:#}"), "refused a batch proof");
                self.release(worker, number)?;
                return Err(SubmitError::Invalid(e));
            }
        }
        let record = AcceptedProof {
            worker: worker.to_string(),
            file: file.clone(),
        };
        let bytes = serde_json::to_vec(&record).map_err(|e| SubmitError::Invalid(e.into()))?;
        let _guard = self.lock.lock();
        if self.store.batch_proof(number)?.is_some() {
            return Ok(Submitted::Duplicate);
        }
        self.store.put_batch_proof(number, &bytes)?;
        metrics::counter!("quire_batches_proven_total").increment(1);
        tracing::info!(worker, batch = number, "batch proof accepted");
        Ok(Submitted::Accepted)
    }

    fn check(&self, file: &BatchProofFile) -> anyhow::Result<()> {
        anyhow::ensure!(
            shapes::is_standard(file.shape),
            "not a standard circuit shape: {}",
            file.shape
        );
        let verifier = self.cache.verifier(file.shape)?;
        let proof = file.decode(&verifier.data.common)?;
        let pi = verifier.verify(&proof)?;
        anyhow::ensure!(
            pi.batch_number == file.batch_number,
            "proof is for batch {}, submitted as {}",
            pi.batch_number,
            file.batch_number
        );
        crate::check_against_store(&pi, &self.store)
    }

    /// The witness of batch `number`, replayed from the store (what a remote worker is
    /// sent with its lease).
    pub fn witness(&self, number: u64) -> anyhow::Result<witness::BatchWitness> {
        Ok(witness::batch_witness(&self.store, number)?)
    }

    /// Proves one leased batch from the store: what an in-process worker does.
    pub fn prove(&self, number: u64) -> anyhow::Result<BatchProofFile> {
        prove_witness(&self.cache, &self.witness(number)?)
    }

    /// Starts `count` in-process workers. Each first asks `first` for a job (aggregation
    /// steps unblock finality for batches already proven), then proves a batch.
    pub fn start_workers(self: &Arc<Self>, count: usize, first: Option<Arc<dyn JobSource>>) {
        metrics::gauge!("quire_prover_workers", "kind" => "local").set(count as f64);
        let mut workers = self.workers.lock();
        for i in 0..count {
            let pool = self.clone();
            let first = first.clone();
            let name = format!("{LOCAL_WORKER_PREFIX}{i}");
            workers.push(
                std::thread::Builder::new()
                    .name(format!("prover-{i}"))
                    .spawn(move || pool.work(&name, first.as_deref()))
                    .expect("spawning a prover thread"),
            );
        }
    }

    fn work(&self, name: &str, first: Option<&dyn JobSource>) {
        // After a failure, wait longer each time (up to a minute) instead of retrying the
        // same job every poll.
        let mut backoff = self.config.poll;
        let mut other_backoff = self.config.poll;
        let mut other_retry = Instant::now();
        while !self.stopping.load(Ordering::SeqCst) {
            if let Ok(depth) = self.queue_depth() {
                metrics::gauge!("quire_proving_queue_depth").set(depth as f64);
            }
            if let Some(source) = first.filter(|_| Instant::now() >= other_retry) {
                match source.run_one(name) {
                    Ok(true) => {
                        other_backoff = self.config.poll;
                        continue;
                    }
                    Ok(false) => {}
                    Err(e) => {
                        tracing::error!(error = %format!("{e:#}"), retry_in = ?other_backoff, "aggregation step failed");
                        other_retry = Instant::now() + other_backoff;
                        other_backoff = (other_backoff * 2).min(Duration::from_secs(60));
                    }
                }
            }
            let job = match self.lease(name) {
                Ok(Some(n)) => n,
                Ok(None) => {
                    std::thread::sleep(self.config.poll);
                    continue;
                }
                Err(e) => {
                    tracing::error!(error = %e, "prover pool storage failure");
                    std::thread::sleep(self.config.poll);
                    continue;
                }
            };
            let outcome = self
                .prove(job)
                .map_err(|e| format!("{e:#}"))
                .and_then(|file| self.submit(name, &file).map_err(|e| e.to_string()));
            match outcome {
                Ok(_) => backoff = self.config.poll,
                Err(e) => {
                    tracing::error!(batch = job, error = %e, retry_in = ?backoff, "proving failed");
                    let _ = self.release(name, job);
                    self.sleep_unless_stopping(backoff);
                    backoff = (backoff * 2).min(Duration::from_secs(60));
                }
            }
        }
    }

    fn sleep_unless_stopping(&self, d: Duration) {
        let until = Instant::now() + d;
        while !self.stopping.load(Ordering::SeqCst) && Instant::now() < until {
            std::thread::sleep(self.config.poll.min(until - Instant::now()));
        }
    }

    /// Stops the in-process workers (each finishes the proof it is making).
    pub fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
        for w in self.workers.lock().drain(..) {
            let _ = w.join();
        }
    }
}

/// Proves a witness into a proof file: what every worker does, in the node or in
/// `quire prover`.
pub fn prove_witness(
    cache: &CircuitCache,
    w: &witness::BatchWitness,
) -> anyhow::Result<BatchProofFile> {
    let started = Instant::now();
    let (circuit, proof) = crate::prove_witness(cache, w)?;
    metrics::histogram!("quire_batch_proving_seconds").record(started.elapsed().as_secs_f64());
    Ok(BatchProofFile::new(circuit.shape, w.batch_number, &proof))
}

/// Proving status of a stored batch (what RPC serves).
pub fn proving_status(store: &Store, header: &BatchHeader) -> Result<ProvingStatus, StoreError> {
    let number = header.number;
    if header.status() == BatchStatus::Open {
        return Ok(ProvingStatus::Open);
    }
    // Batch 0 is genesis: the agreed starting state, with nothing to prove.
    if number == 0 {
        return Ok(ProvingStatus::Sealed);
    }
    if store.batch_proof(number)?.is_some() {
        return Ok(ProvingStatus::Proven);
    }
    Ok(match store.proving_lease(number)? {
        Some(l) if l.deadline_ms > now_ms() => ProvingStatus::Proving,
        _ => ProvingStatus::Sealed,
    })
}
