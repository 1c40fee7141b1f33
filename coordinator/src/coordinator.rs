//! The proof coordinator: one job table for every proof the chain needs.
//!
//! The jobs are derived from what is stored, so a restart resumes by construction:
//! - a **batch proof** for every sealed batch without an accepted proof;
//! - a **signature proof** for every sealed batch without one, when aggregating (a leaf
//!   binds each batch to the signature proof of its transfers);
//! - the **aggregation steps** of every closed window without a final proof (a leaf per
//!   batch, a fold per inner node, the final wrap; see `quire_aggregator::plan`), each
//!   handed out once its inputs are accepted, so independent steps run on different
//!   workers at once.
//!
//! Leases and retries follow the one rule in [`crate::lease`]; every output is verified
//! ([`crate::checks`]) before it is stored ([`crate::submit`]); what RPC reads is in
//! [`crate::queries`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use parking_lot::Mutex;
use quire_aggregator::circuits::AggregationCircuits;
use quire_aggregator::{plan, PartRecord, Step, StepInputs, Window};
use quire_primitives::chain::{ChainReader, Operation};
use quire_primitives::BatchStatus;
use quire_prover::cache::CircuitCache;
use quire_prover::witness::replay_batch;

use crate::clock::Clock;
use crate::errors::CoordinatorError;
use crate::job::{
    BridgeInput, Job, JobId, JobInput, SignatureInput, WorkKinds, LOCAL_WORKER_PREFIX,
};
use crate::lease::RetryPolicy;
use crate::store::ProofStore;
use crate::windows::{self, WindowRule};

/// Coordinator settings.
#[derive(Clone, Copy, Debug)]
pub struct CoordinatorConfig {
    /// How long a worker may hold a job.
    pub lease: Duration,
    /// Backoff of jobs that fail.
    pub retry: RetryPolicy,
    /// When aggregation windows close; `None`: batches are proven, not aggregated (and
    /// their signatures are not proven).
    pub aggregation: Option<WindowRule>,
    /// The chain id every transfer's signature must cover.
    pub chain_id: u64,
}

/// Windows read per scan.
const SCAN: usize = 64;

/// The coordinator.
pub struct Coordinator {
    pub(crate) chain: Arc<dyn ChainReader>,
    pub(crate) store: ProofStore,
    pub(crate) cache: Arc<CircuitCache>,
    pub(crate) circuits: Arc<OnceLock<Arc<AggregationCircuits>>>,
    pub(crate) config: CoordinatorConfig,
    pub(crate) clock: Arc<dyn Clock>,
    /// Serialises lease and acceptance decisions.
    pub(crate) lock: Mutex<()>,
    /// Every batch below this has an accepted proof.
    proven_below: AtomicU64,
    /// First batch of the next window to close.
    next_window: AtomicU64,
    /// Every window starting below this has a final proof.
    done_below: AtomicU64,
}

impl std::fmt::Debug for Coordinator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Coordinator")
            .field("store", &self.store)
            .field("config", &self.config)
            .finish()
    }
}

impl Coordinator {
    /// A coordinator over `chain` with its store in `store`. Leases of in-process workers
    /// from before a restart are dropped: those workers are gone.
    pub fn new(
        chain: Arc<dyn ChainReader>,
        store: ProofStore,
        cache: Arc<CircuitCache>,
        config: CoordinatorConfig,
        clock: Arc<dyn Clock>,
    ) -> Result<Arc<Self>, CoordinatorError> {
        for (key, state) in store.job_states()? {
            if state
                .holder
                .as_deref()
                .is_some_and(|w| w.starts_with(LOCAL_WORKER_PREFIX))
            {
                store.put_job_state_raw(&key, &state.released())?;
            }
        }
        let next_window = store.last_window()?.map_or(1, |w| w.end + 1);
        Ok(Arc::new(Self {
            chain,
            store,
            cache,
            circuits: Arc::new(OnceLock::new()),
            config,
            clock,
            lock: Mutex::new(()),
            proven_below: AtomicU64::new(1),
            next_window: AtomicU64::new(next_window),
            done_below: AtomicU64::new(1),
        }))
    }

    /// The proving store (read access for RPC and tools).
    pub fn store(&self) -> &ProofStore {
        &self.store
    }

    /// The batch circuit cache every check and in-process worker uses.
    pub fn cache(&self) -> &Arc<CircuitCache> {
        &self.cache
    }

    /// Whether this coordinator aggregates.
    pub fn aggregates(&self) -> bool {
        self.config.aggregation.is_some()
    }

    /// The aggregation circuits, once built.
    pub fn circuits(&self) -> Option<&Arc<AggregationCircuits>> {
        self.circuits.get()
    }

    /// The cell the circuits land in, shared with in-process workers.
    pub fn circuits_cell(&self) -> Arc<OnceLock<Arc<AggregationCircuits>>> {
        self.circuits.clone()
    }

    /// Uses circuits built elsewhere (tests and tools that already hold them).
    pub fn set_circuits(&self, circuits: Arc<AggregationCircuits>) {
        let _ = self.circuits.set(circuits);
    }

    /// Builds the aggregation circuits on a thread of their own; steps are handed out once
    /// they are ready (the coordinator checks every step, whoever proves it).
    pub fn start_building_circuits(&self) {
        if self.aggregates() {
            crate::worker::build_circuits_in_background(self.cache.clone(), self.circuits.clone());
        }
    }

    pub(crate) fn now(&self) -> u64 {
        self.clock.now_ms()
    }

    // ---- the job table ----

    /// Picks the next job for `worker` and records its lease: aggregation steps first
    /// (they unblock finality for batches already proven), then the oldest sealed batch
    /// without a proof, or (for aggregating workers) without a signature proof. Only the
    /// decision; [`Coordinator::lease`] adds the inputs.
    pub fn lease_next(
        &self,
        worker: &str,
        kinds: WorkKinds,
    ) -> Result<Option<JobId>, CoordinatorError> {
        let _guard = self.lock.lock();
        let now = self.now();
        self.close_windows(now)?;
        if kinds.aggregation && self.circuits.get().is_some() {
            if let Some(id) = self.next_step(now)? {
                return self.take(id, worker, now).map(Some);
            }
        }
        let signatures = kinds.aggregation && self.aggregates() && self.circuits.get().is_some();
        if kinds.batches || signatures {
            if let Some(id) = self.next_batch(now, kinds.batches, signatures)? {
                return self.take(id, worker, now).map(Some);
            }
        }
        Ok(None)
    }

    fn take(&self, id: JobId, worker: &str, now: u64) -> Result<JobId, CoordinatorError> {
        let state = self.store.job_state(&id)?;
        self.store
            .put_job_state(&id, &state.leased(worker, now, self.config.lease))?;
        metrics::counter!("quire_jobs_leased_total", "job" => id.label()).increment(1);
        Ok(id)
    }

    /// The oldest sealed batch's job this worker can take: its proof (`batches`), else its
    /// signature proof (`signatures`).
    fn next_batch(
        &self,
        now: u64,
        batches: bool,
        signatures: bool,
    ) -> Result<Option<JobId>, CoordinatorError> {
        let mut n = self.proven_below.load(Ordering::SeqCst);
        let mut contiguous = true;
        let mut depth = 0u64;
        let mut chosen = None;
        while let Some(b) = self.chain.batch_header(n)? {
            if b.status() != BatchStatus::Sealed {
                break;
            }
            let proven = self.store.has_batch_proof(n)?;
            let signed = !self.aggregates() || self.store.has_signature_proof(n)?;
            if proven && signed {
                if contiguous {
                    self.proven_below.store(n + 1, Ordering::SeqCst);
                }
                n += 1;
                continue;
            }
            contiguous = false;
            if !proven {
                depth += 1;
            }
            if chosen.is_none() {
                let wanted = [
                    (batches && !proven, JobId::Batch(n)),
                    (signatures && !signed, JobId::Signatures(n)),
                ];
                for (want, id) in wanted {
                    if want && self.store.job_state(&id)?.is_available(now) {
                        chosen = Some(id);
                        break;
                    }
                }
            }
            n += 1;
        }
        metrics::gauge!("quire_proving_queue_depth").set(depth as f64);
        Ok(chosen)
    }

    /// Closes every window that is due (by its batches and time rules). Leasing does this
    /// too; the L1 sender calls it so that windows are committed on time even while no
    /// prover asks for work.
    pub fn close_due_windows(&self) -> Result<(), CoordinatorError> {
        let _guard = self.lock.lock();
        self.close_windows(self.now())
    }

    /// Closes every window that is due, persisting its bounds.
    fn close_windows(&self, now: u64) -> Result<(), CoordinatorError> {
        let Some(rule) = self.config.aggregation else {
            return Ok(());
        };
        loop {
            let start = self.next_window.load(Ordering::SeqCst);
            let mut sealed = Vec::new();
            let mut withdrawals = match start.checked_sub(1) {
                Some(prev) => self
                    .chain
                    .batch_header(prev)?
                    .map_or(0, |h| h.withdrawal_count),
                None => 0,
            };
            for n in start..start + rule.batches.max(1) {
                match self.chain.batch_header(n)? {
                    Some(h) if h.status() == BatchStatus::Sealed => {
                        sealed.push(windows::SealedInfo {
                            number: n,
                            sealed_at_ms: h.sealed_at_ms,
                            withdrawals: h.withdrawal_count.saturating_sub(withdrawals),
                        });
                        withdrawals = h.withdrawal_count;
                    }
                    _ => break,
                }
            }
            let Some(end) = windows::close(rule, start, &sealed, now) else {
                return Ok(());
            };
            self.store.put_window(Window { start, end })?;
            tracing::info!(first = start, last = end, "aggregation window closed");
            self.next_window.store(end + 1, Ordering::SeqCst);
        }
    }

    /// Closed windows without a final proof, oldest first (at most [`SCAN`]).
    fn open_windows(&self) -> Result<Vec<Window>, CoordinatorError> {
        let from = self.done_below.load(Ordering::SeqCst);
        let mut out = Vec::new();
        let mut contiguous = true;
        for w in self.store.windows_from(from, SCAN)? {
            if self.store.has_output(&Step::Wrap(w))? {
                if contiguous {
                    self.done_below.store(w.end + 1, Ordering::SeqCst);
                }
                continue;
            }
            contiguous = false;
            out.push(w);
        }
        Ok(out)
    }

    /// Whether a step's inputs are accepted.
    fn inputs_ready(&self, step: &Step) -> Result<bool, CoordinatorError> {
        Ok(match *step {
            Step::Leaf(n) => self.store.has_batch_proof(n)? && self.store.has_signature_proof(n)?,
            Step::Fold { lo, mid, hi } => {
                self.store.has_output(&plan::step_for(lo, mid))?
                    && self.store.has_output(&plan::step_for(mid + 1, hi))?
            }
            Step::Wrap(w) => self.store.has_output(&plan::step_for(w.start, w.end))?,
        })
    }

    fn next_step(&self, now: u64) -> Result<Option<JobId>, CoordinatorError> {
        let mut pending = 0u64;
        let mut chosen = None;
        for w in self.open_windows()? {
            for step in plan::steps(w) {
                if self.store.has_output(&step)? {
                    continue;
                }
                pending += 1;
                let id = JobId::Step(step);
                if chosen.is_none()
                    && self.inputs_ready(&step)?
                    && self.store.job_state(&id)?.is_available(now)
                {
                    chosen = Some(id);
                }
            }
        }
        metrics::gauge!("quire_aggregation_queue_depth").set(pending as f64);
        Ok(chosen)
    }

    /// A job's inputs, from the chain (a batch's witness) or the store (a step's inputs).
    pub fn inputs(&self, id: &JobId) -> Result<JobInput, CoordinatorError> {
        let fail = |reason: String| CoordinatorError::Inputs {
            job: id.to_string(),
            reason,
        };
        Ok(match *id {
            JobId::Batch(n) => JobInput::Batch(Box::new(
                replay_batch(self.chain.as_ref(), n).map_err(|e| fail(e.to_string()))?,
            )),
            JobId::Signatures(n) => {
                let before = self
                    .chain
                    .batch_header(n.saturating_sub(1))
                    .map_err(|e| fail(e.to_string()))?
                    .and_then(|h| h.bridge_state())
                    .ok_or_else(|| fail(format!("batch {} has no bridge state", n - 1)))?;
                let deposits = self
                    .chain
                    .sealed_batch(n)
                    .map_err(|e| fail(e.to_string()))?
                    .operations
                    .into_iter()
                    .filter_map(|op| match op {
                        Operation::Deposit(d) => Some(d),
                        Operation::Transfer(_) => None,
                    })
                    .collect();
                JobInput::Signatures(SignatureInput {
                    batch: n,
                    chain_id: self.config.chain_id,
                    transactions: self
                        .chain
                        .signed_transactions(n)
                        .map_err(|e| fail(e.to_string()))?
                        .iter()
                        .map(hex::encode)
                        .collect(),
                    bridge_before: BridgeInput::from(&before),
                    deposits,
                })
            }
            JobId::Step(step) => {
                let part = |lo: u64, hi: u64| -> Result<PartRecord, CoordinatorError> {
                    self.store
                        .aggregate(lo, hi)?
                        .ok_or_else(|| fail(format!("no aggregate of batches {lo}..={hi}")))
                };
                let (batch_proof, signatures, parts) = match step {
                    Step::Leaf(n) => {
                        let accepted = self
                            .store
                            .batch_proof(n)?
                            .ok_or_else(|| fail(format!("batch {n} has no accepted proof")))?;
                        let signatures = self.store.signature_proof(n)?.ok_or_else(|| {
                            fail(format!("batch {n} has no accepted signature proof"))
                        })?;
                        (Some(accepted.file), Some(signatures), Vec::new())
                    }
                    Step::Fold { lo, mid, hi } => {
                        (None, None, vec![part(lo, mid)?, part(mid + 1, hi)?])
                    }
                    Step::Wrap(w) => (None, None, vec![part(w.start, w.end)?]),
                };
                JobInput::Step(Box::new(StepInputs {
                    step,
                    batch_proof,
                    signatures,
                    parts,
                }))
            }
        })
    }

    /// Leases the next job with its inputs. A job whose inputs cannot be assembled counts
    /// as failed (it waits its retry delay) and the error is returned.
    pub fn lease(&self, worker: &str, kinds: WorkKinds) -> Result<Option<Job>, CoordinatorError> {
        let Some(id) = self.lease_next(worker, kinds)? else {
            return Ok(None);
        };
        match self.inputs(&id) {
            Ok(input) => Ok(Some(Job { id, input })),
            Err(e) => {
                let _ = self.fail(worker, &id, &e.to_string());
                Err(e)
            }
        }
    }

    /// Records that `worker` could not run its job: the job waits its retry delay. A
    /// worker that no longer holds the job changes nothing.
    pub fn fail(&self, worker: &str, id: &JobId, reason: &str) -> Result<(), CoordinatorError> {
        let _guard = self.lock.lock();
        let state = self.store.job_state(id)?;
        if state.holder.as_deref() != Some(worker) {
            return Ok(());
        }
        let failed = state.failed(self.now(), &self.config.retry);
        tracing::warn!(worker, job = %id, failures = failed.failures, retry_in_ms = failed.retry_at_ms.saturating_sub(self.now()), reason, "job failed");
        metrics::counter!("quire_jobs_failed_total", "job" => id.label()).increment(1);
        Ok(self.store.put_job_state(id, &failed)?)
    }
}
