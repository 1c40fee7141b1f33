//! The aggregation pool: closes windows of sealed batches, hands out their leaf, fold and
//! wrap steps to workers as the inputs become ready, and accepts a step's output only if
//! it verifies and proves exactly what the stored inputs say it must.
//!
//! Like batch proving, the job list is derived from what is stored (closed windows,
//! accepted batch proofs, accepted aggregates), so a restart resumes where the node
//! stopped; a half-done step is simply done again.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use anyhow::{anyhow, bail, ensure, Context};
use parking_lot::Mutex;
use quire_primitives::BatchStatus;
use quire_prover::cache::CircuitCache;
use quire_prover::pool::{AcceptedProof, JobSource, SubmitError, Submitted, LOCAL_WORKER_PREFIX};
use quire_prover::proof_file::BatchProofFile;
use quire_prover::{BatchProof, BatchPublicInputs, BatchShape};
use quire_sequencer::storage::{Store, StoreError};
use serde::{Deserialize, Serialize};

use super::plan::{self, Step, Window, WindowRule};
use super::records::{self, FinalProofFile, PartRecord, StepLease};
use crate::aggregator::{Aggregate, AggregateKind};
use crate::circuits::AggregationCircuits;
use crate::public_inputs::{fold_digest, AggregatePublicInputs};
use crate::wrap::WrapProof;

/// Pool settings.
#[derive(Clone, Copy, Debug)]
pub struct AggregationConfig {
    /// When a window closes.
    pub window: WindowRule,
    /// How long a worker may hold a step.
    pub lease: Duration,
}

/// What a step produced.
pub enum StepOutput {
    /// A leaf or fold aggregate.
    Part(Aggregate),
    /// The final proof.
    Final(WrapProof),
}

impl StepOutput {
    /// The wire form a remote worker hands in.
    pub fn encode(&self, worker: &str) -> anyhow::Result<StepResult> {
        Ok(match self {
            StepOutput::Part(a) => StepResult::Part(PartRecord::new(a, worker)),
            StepOutput::Final(p) => StepResult::Final(FinalProofFile::new(
                p,
                &AggregatePublicInputs::from_elements(&p.public_inputs)?,
            )),
        })
    }
}

/// A step with everything needed to run it: what a remote worker is sent.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StepJob {
    /// The step.
    pub step: Step,
    /// For a leaf: the batch's accepted proof.
    pub batch_proof: Option<BatchProofFile>,
    /// For a fold: the left and right aggregates; for the wrap: the window's root.
    pub parts: Vec<PartRecord>,
}

/// A step's output on the wire.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum StepResult {
    /// A leaf or fold aggregate.
    Part(PartRecord),
    /// The final proof.
    Final(FinalProofFile),
}

/// Runs a step from its inputs: what every worker does, in the node or in `quire prover`.
pub fn run_step(
    circuits: &AggregationCircuits,
    cache: &CircuitCache,
    job: &StepJob,
) -> anyhow::Result<StepOutput> {
    let common = &circuits.aggregator.common;
    let part = |i: usize| -> anyhow::Result<Aggregate> {
        job.parts
            .get(i)
            .ok_or_else(|| anyhow!("the {} is missing an input", job.step))?
            .aggregate(common)
    };
    Ok(match job.step {
        Step::Leaf(_) => {
            let file = job
                .batch_proof
                .as_ref()
                .ok_or_else(|| anyhow!("a leaf needs its batch proof"))?;
            let verifier = cache.verifier(file.shape)?;
            let proof = file.decode(&verifier.data.common)?;
            StepOutput::Part(circuits.aggregator.wrap(file.shape, &proof)?)
        }
        Step::Fold { .. } => StepOutput::Part(circuits.aggregator.fold(&part(0)?, &part(1)?)?),
        Step::Wrap(_) => StepOutput::Final(circuits.wrap.prove(&circuits.aggregator, &part(0)?)?),
    })
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Windows read per scan.
const SCAN: usize = 64;

/// How long a step that failed waits before a worker tries it again.
const RETRY_FAILED: Duration = Duration::from_secs(60);

/// The pool.
pub struct AggregationPool {
    store: Arc<Store>,
    cache: Arc<CircuitCache>,
    config: AggregationConfig,
    circuits: OnceLock<Arc<AggregationCircuits>>,
    /// Serialises window and lease decisions.
    lock: Mutex<()>,
    /// First batch of the next window to close.
    next_window: AtomicU64,
    /// Every window starting below this has a final proof.
    done_below: AtomicU64,
}

impl AggregationPool {
    /// A pool over `store`. Leases of in-process workers from before a restart are
    /// dropped: those workers are gone.
    pub fn new(
        store: Arc<Store>,
        cache: Arc<CircuitCache>,
        config: AggregationConfig,
    ) -> anyhow::Result<Arc<Self>> {
        let leases = store.aggregation_from(&[records::LEASE], &[records::LEASE], usize::MAX)?;
        for (key, value) in leases {
            let lease: StepLease = serde_json::from_slice(&value)?;
            if lease.worker.starts_with(LOCAL_WORKER_PREFIX) {
                store.update_aggregation(&[], &[&key])?;
            }
        }
        let next_window = match store
            .aggregation_at_or_before(&records::window_key(u64::MAX), &[records::WINDOW])?
        {
            Some((k, v)) => records::decode_window(&k, &v)?.end + 1,
            None => 1,
        };
        Ok(Arc::new(Self {
            store,
            cache,
            config,
            circuits: OnceLock::new(),
            lock: Mutex::new(()),
            next_window: AtomicU64::new(next_window),
            done_below: AtomicU64::new(1),
        }))
    }

    /// Builds the aggregation circuits on a thread of their own; steps are handed out once
    /// they are ready. Building needs every standard batch circuit's verifier data: about
    /// a minute the first time on a machine, seconds after that (it is cached on disk).
    pub fn start_building(self: &Arc<Self>) {
        let pool = self.clone();
        let spawned = std::thread::Builder::new()
            .name("aggregation-circuits".into())
            .spawn(move || match AggregationCircuits::build_standard(&pool.cache) {
                Ok(c) => {
                    let _ = pool.circuits.set(Arc::new(c));
                }
                Err(e) => {
                    tracing::error!(error = %format!("{e:#}"), "building the aggregation circuits failed: nothing will be aggregated")
                }
            });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "could not start building the aggregation circuits");
        }
    }

    /// Uses circuits built elsewhere (tests and tools that already hold them).
    pub fn set_circuits(&self, circuits: Arc<AggregationCircuits>) {
        let _ = self.circuits.set(circuits);
    }

    /// The circuits, once built.
    pub fn circuits(&self) -> Option<&Arc<AggregationCircuits>> {
        self.circuits.get()
    }

    /// Closes every window that is due, persisting its bounds.
    fn close_windows(&self) -> anyhow::Result<()> {
        loop {
            let start = self.next_window.load(Ordering::SeqCst);
            let mut sealed = Vec::new();
            for n in start..start + self.config.window.batches.max(1) {
                match self.store.batch(n)? {
                    Some(h) if h.status() == BatchStatus::Sealed => {
                        sealed.push((n, h.sealed_at_ms))
                    }
                    _ => break,
                }
            }
            let Some(end) = plan::close(self.config.window, start, &sealed, now_ms()) else {
                return Ok(());
            };
            self.store
                .update_aggregation(&[(&records::window_key(start), &end.to_be_bytes())], &[])?;
            tracing::info!(first = start, last = end, "aggregation window closed");
            self.next_window.store(end + 1, Ordering::SeqCst);
        }
    }

    /// Closed windows without a final proof, oldest first (at most [`SCAN`]).
    fn open_windows(&self) -> anyhow::Result<Vec<Window>> {
        let from = self.done_below.load(Ordering::SeqCst);
        let mut out = Vec::new();
        let mut contiguous = true;
        for (k, v) in
            self.store
                .aggregation_from(&records::window_key(from), &[records::WINDOW], SCAN)?
        {
            let w = records::decode_window(&k, &v)?;
            if self.exists(&records::final_key(w.start))? {
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

    fn exists(&self, key: &[u8]) -> Result<bool, StoreError> {
        Ok(self.store.aggregation(key)?.is_some())
    }

    fn ready(&self, step: &Step) -> anyhow::Result<bool> {
        Ok(match *step {
            Step::Leaf(n) => self.store.batch_proof(n)?.is_some(),
            Step::Fold { lo, mid, hi } => {
                self.exists(&records::part_key(lo, mid))?
                    && self.exists(&records::part_key(mid + 1, hi))?
            }
            Step::Wrap(w) => self.exists(&records::part_key(w.start, w.end))?,
        })
    }

    /// Leases the first ready step of the oldest open window that nobody holds.
    pub fn lease(&self, worker: &str) -> anyhow::Result<Option<Step>> {
        let _guard = self.lock.lock();
        self.close_windows()?;
        let now = now_ms();
        let mut pending = 0u64;
        let mut chosen = None;
        for w in self.open_windows()? {
            for step in plan::steps(w) {
                if self.exists(&records::output_key(&step))? {
                    continue;
                }
                pending += 1;
                if chosen.is_some() || !self.ready(&step)? {
                    continue;
                }
                let key = records::lease_key(&step);
                let held = match self.store.aggregation(&key)? {
                    Some(v) => serde_json::from_slice::<StepLease>(&v)?.deadline_ms > now,
                    None => false,
                };
                if !held {
                    let lease = StepLease {
                        worker: worker.to_string(),
                        deadline_ms: now + self.config.lease.as_millis() as u64,
                    };
                    self.store
                        .update_aggregation(&[(&key, &serde_json::to_vec(&lease)?)], &[])?;
                    chosen = Some(step);
                }
            }
        }
        metrics::gauge!("quire_aggregation_queue_depth").set(pending as f64);
        Ok(chosen)
    }

    /// Keeps a failed step from being leased again for `delay`.
    pub fn defer(&self, worker: &str, step: &Step, delay: Duration) -> anyhow::Result<()> {
        let _guard = self.lock.lock();
        let lease = StepLease {
            worker: format!("{worker} (failed)"),
            deadline_ms: now_ms() + delay.as_millis() as u64,
        };
        self.store.update_aggregation(
            &[(&records::lease_key(step), &serde_json::to_vec(&lease)?)],
            &[],
        )?;
        Ok(())
    }

    /// Gives a step back.
    pub fn release(&self, worker: &str, step: &Step) -> anyhow::Result<()> {
        let _guard = self.lock.lock();
        let key = records::lease_key(step);
        if let Some(v) = self.store.aggregation(&key)? {
            if serde_json::from_slice::<StepLease>(&v)?.worker == worker {
                self.store.update_aggregation(&[], &[&key])?;
            }
        }
        Ok(())
    }

    fn circuits_or_err(&self) -> anyhow::Result<&Arc<AggregationCircuits>> {
        self.circuits
            .get()
            .ok_or_else(|| anyhow!("the aggregation circuits are not built yet"))
    }

    /// The stored aggregate of `lo..=hi`.
    fn part(&self, lo: u64, hi: u64) -> anyhow::Result<Aggregate> {
        self.part_record(lo, hi)?
            .aggregate(&self.circuits_or_err()?.aggregator.common)
    }

    /// Batch `n`'s accepted proof, with its shape and public inputs.
    fn batch_proof(&self, n: u64) -> anyhow::Result<(BatchShape, BatchProof, BatchPublicInputs)> {
        let bytes = self
            .store
            .batch_proof(n)?
            .ok_or_else(|| anyhow!("batch {n} has no accepted proof"))?;
        let accepted: AcceptedProof = serde_json::from_slice(&bytes)?;
        let verifier = self.cache.verifier(accepted.file.shape)?;
        let proof = accepted.file.decode(&verifier.data.common)?;
        let pi = BatchPublicInputs::from_elements(&proof.public_inputs)?;
        Ok((accepted.file.shape, proof, pi))
    }

    /// The stored record of the aggregate of `lo..=hi`.
    fn part_record(&self, lo: u64, hi: u64) -> anyhow::Result<PartRecord> {
        let bytes = self
            .store
            .aggregation(&records::part_key(lo, hi))?
            .ok_or_else(|| anyhow!("no aggregate of batches {lo}..={hi}"))?;
        Ok(serde_json::from_slice(&bytes)?)
    }

    /// A step with its stored inputs.
    pub fn job(&self, step: &Step) -> anyhow::Result<StepJob> {
        let (batch_proof, parts) = match *step {
            Step::Leaf(n) => {
                let bytes = self
                    .store
                    .batch_proof(n)?
                    .ok_or_else(|| anyhow!("batch {n} has no accepted proof"))?;
                let accepted: AcceptedProof = serde_json::from_slice(&bytes)?;
                (Some(accepted.file), Vec::new())
            }
            Step::Fold { lo, mid, hi } => (
                None,
                vec![self.part_record(lo, mid)?, self.part_record(mid + 1, hi)?],
            ),
            Step::Wrap(w) => (None, vec![self.part_record(w.start, w.end)?]),
        };
        Ok(StepJob {
            step: *step,
            batch_proof,
            parts,
        })
    }

    /// Runs a step from the stored inputs: what an in-process worker does.
    pub fn run(&self, step: &Step) -> anyhow::Result<StepOutput> {
        run_step(self.circuits_or_err()?, &self.cache, &self.job(step)?)
    }

    /// Leases a step to a remote worker, with its inputs; none until this node's circuits
    /// are built (it could not check the output before).
    pub fn lease_job(&self, worker: &str) -> anyhow::Result<Option<StepJob>> {
        if self.circuits.get().is_none() {
            return Ok(None);
        }
        let Some(step) = self.lease(worker)? else {
            return Ok(None);
        };
        match self.job(&step) {
            Ok(job) => Ok(Some(job)),
            Err(e) => {
                let _ = self.defer(worker, &step, RETRY_FAILED);
                Err(e)
            }
        }
    }

    /// Decodes a remote worker's output and submits it.
    pub fn submit_result(
        &self,
        worker: &str,
        step: &Step,
        result: &StepResult,
    ) -> Result<Submitted, SubmitError> {
        let circuits = self.circuits_or_err().map_err(SubmitError::Invalid)?;
        let output = match result {
            StepResult::Part(record) => record
                .aggregate(&circuits.aggregator.common)
                .map(StepOutput::Part),
            StepResult::Final(file) => file
                .decode(&circuits.final_verifier())
                .map(StepOutput::Final),
        };
        match output {
            Ok(output) => self.submit(worker, step, &output),
            Err(e) => {
                metrics::counter!("quire_aggregation_rejected_total").increment(1);
                let _ = self.release(worker, step);
                Err(SubmitError::Invalid(e))
            }
        }
    }

    /// What a fold's or the wrap's output must prove, from its stored (already verified)
    /// inputs; a leaf's is its accepted batch proof's (read in `check`).
    fn expected(&self, step: &Step) -> anyhow::Result<AggregatePublicInputs> {
        Ok(match *step {
            Step::Leaf(n) => bail!("batch {n}'s leaf is checked against its batch proof"),
            Step::Fold { lo, mid, hi } => {
                let l = self.part(lo, mid)?.public_inputs()?;
                let r = self.part(mid + 1, hi)?.public_inputs()?;
                AggregatePublicInputs {
                    first_batch: l.first_batch,
                    last_batch: r.last_batch,
                    prev_root: l.prev_root,
                    new_root: r.new_root,
                    leaf_count_before: l.leaf_count_before,
                    leaf_count_after: r.leaf_count_after,
                    batches_digest: fold_digest(&l.batches_digest, &r.batches_digest),
                    tx_count: l.tx_count + r.tx_count,
                }
            }
            Step::Wrap(w) => self.part(w.start, w.end)?.public_inputs()?,
        })
    }

    fn check(&self, step: &Step, output: &StepOutput) -> anyhow::Result<AggregatePublicInputs> {
        let circuits = self.circuits_or_err()?;
        let (proven, expected) = match (step, output) {
            (Step::Leaf(n), StepOutput::Part(a)) => {
                // One read of the accepted batch proof: its shape and what it proves.
                let (shape, _, batch) = self.batch_proof(*n)?;
                ensure!(
                    a.kind == AggregateKind::Leaf(shape),
                    "a leaf of batch {n} must come from the leaf circuit for {shape}"
                );
                (
                    circuits.aggregator.verify(a)?,
                    AggregatePublicInputs::of_batch(&batch),
                )
            }
            (Step::Fold { .. }, StepOutput::Part(a)) => {
                ensure!(
                    a.kind == AggregateKind::Fold,
                    "a fold step must return a fold"
                );
                (circuits.aggregator.verify(a)?, self.expected(step)?)
            }
            (Step::Wrap(_), StepOutput::Final(p)) => {
                (circuits.final_verifier().verify(p)?, self.expected(step)?)
            }
            _ => bail!("the output is not what {step} makes"),
        };
        ensure!(
            proven == expected,
            "the proof attests {proven:?}, {step} must attest {expected:?}"
        );
        Ok(proven)
    }

    /// Checks a step's output and stores it if it verifies and proves what its inputs
    /// say. A refused output changes nothing except releasing the submitter's lease.
    pub fn submit(
        &self,
        worker: &str,
        step: &Step,
        output: &StepOutput,
    ) -> Result<Submitted, SubmitError> {
        // Only the steps of a closed window's canonical tree exist: a wrap of part of a
        // window must not pass for the window's final proof.
        let (first, _) = step.range();
        let canonical = window_of(&self.store, first)
            .map_err(SubmitError::Invalid)?
            .is_some_and(|w| plan::steps(w).contains(step));
        if !canonical {
            return Err(SubmitError::Invalid(anyhow!(
                "{step} is not a step of a closed aggregation window"
            )));
        }
        let key = records::output_key(step);
        if self.exists(&key)? {
            return Ok(Submitted::Duplicate);
        }
        let pi = match self.check(step, output) {
            Ok(pi) => pi,
            Err(e) => {
                metrics::counter!("quire_aggregation_rejected_total").increment(1);
                tracing::warn!(worker, %step, error = %format!("{e:#}"), "refused an aggregation step");
                self.release(worker, step).map_err(SubmitError::Invalid)?;
                return Err(SubmitError::Invalid(e));
            }
        };
        let value = match output {
            StepOutput::Part(a) => serde_json::to_vec(&PartRecord::new(a, worker)),
            StepOutput::Final(p) => serde_json::to_vec(&FinalProofFile::new(p, &pi)),
        }
        .map_err(|e| SubmitError::Invalid(e.into()))?;
        let _guard = self.lock.lock();
        if self.exists(&key)? {
            return Ok(Submitted::Duplicate);
        }
        self.store
            .update_aggregation(&[(&key, &value)], &[&records::lease_key(step)])?;
        metrics::counter!("quire_aggregation_steps_total", "step" => step.label()).increment(1);
        if let Step::Wrap(w) = step {
            metrics::counter!("quire_batches_aggregated_total").increment(w.end - w.start + 1);
            metrics::gauge!("quire_aggregated_batch").set(w.end as f64);
            tracing::info!(first = w.start, last = w.end, "final proof accepted");
        } else {
            tracing::info!(worker, %step, "aggregation step accepted");
        }
        Ok(Submitted::Accepted)
    }
}

impl JobSource for AggregationPool {
    fn run_one(&self, worker: &str) -> anyhow::Result<bool> {
        if self.circuits.get().is_none() {
            return Ok(false);
        }
        let Some(step) = self.lease(worker)? else {
            return Ok(false);
        };
        let started = Instant::now();
        let outcome = self
            .run(&step)
            .with_context(|| format!("running the {step}"))
            .and_then(|out| {
                metrics::histogram!("quire_aggregation_step_seconds", "step" => step.label())
                    .record(started.elapsed().as_secs_f64());
                self.submit(worker, &step, &out)
                    .map_err(anyhow::Error::from)
            });
        if let Err(e) = outcome {
            // Hold the step back for a while rather than releasing it: a step that keeps
            // failing must not stop every other step (and window) behind it.
            let _ = self.defer(worker, &step, RETRY_FAILED);
            return Err(e);
        }
        Ok(true)
    }
}

/// The closed window holding batch `n`, if any.
pub fn window_of(store: &Store, n: u64) -> anyhow::Result<Option<Window>> {
    Ok(
        match store.aggregation_at_or_before(&records::window_key(n), &[records::WINDOW])? {
            Some((k, v)) => Some(records::decode_window(&k, &v)?).filter(|w| w.end >= n),
            None => None,
        },
    )
}

/// The accepted final proof covering batch `n`, if any.
pub fn final_proof(store: &Store, n: u64) -> anyhow::Result<Option<FinalProofFile>> {
    let Some(w) = window_of(store, n)? else {
        return Ok(None);
    };
    let file: Option<FinalProofFile> = store
        .aggregation(&records::final_key(w.start))?
        .map(|v| serde_json::from_slice(&v).context("stored final proof does not decode"))
        .transpose()?;
    Ok(file.filter(|f| f.first_batch <= n && n <= f.last_batch))
}

/// Whether a final proof covering batch `n` is accepted (what RPC's `aggregated` says).
pub fn is_aggregated(store: &Store, n: u64) -> anyhow::Result<bool> {
    Ok(match window_of(store, n)? {
        Some(w) => store.aggregation(&records::final_key(w.start))?.is_some(),
        None => false,
    })
}

/// The newest accepted final proof.
pub fn latest_final_proof(store: &Store) -> anyhow::Result<Option<FinalProofFile>> {
    store
        .aggregation_at_or_before(&records::final_key(u64::MAX), &[records::FINAL])?
        .map(|(_, v)| serde_json::from_slice(&v).context("stored final proof does not decode"))
        .transpose()
}
