//! The one worker loop: lease a job, run it, hand the output in; report a failure so the
//! coordinator's retry rule applies. The same loop runs in the node's in-process threads
//! (against the [`Coordinator`] itself) and in `quire prover` (against the node's RPC,
//! through a [`JobSource`] the RPC crate implements).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use quire_aggregator::circuits::AggregationCircuits;
use quire_aggregator::{prove_signatures, prove_step};
use quire_prover::cache::CircuitCache;

use crate::coordinator::Coordinator;
use crate::errors::SubmitError;
use crate::job::{Job, JobId, JobInput, JobOutput, WorkKinds, LOCAL_WORKER_PREFIX};

/// Why a worker could not talk to its job source.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SourceError {
    /// The source refused this worker's credentials: retrying cannot help.
    #[error("the node refused the prover token")]
    Unauthorized,
    /// The source failed or could not be reached; worth retrying later.
    #[error("job source unavailable: {0}")]
    Unavailable(String),
}

/// Where a worker gets jobs and hands outputs in.
pub trait JobSource: Send + Sync {
    /// Leases the next job of `kinds`, if any.
    fn lease(&self, worker: &str, kinds: WorkKinds) -> Result<Option<Job>, SourceError>;
    /// Hands an output in.
    fn submit(&self, worker: &str, id: &JobId, output: &JobOutput) -> Result<(), SubmitError>;
    /// Reports that the worker could not run its job.
    fn fail(&self, worker: &str, id: &JobId, reason: &str) -> Result<(), SourceError>;
}

impl JobSource for Coordinator {
    fn lease(&self, worker: &str, kinds: WorkKinds) -> Result<Option<Job>, SourceError> {
        Coordinator::lease(self, worker, kinds).map_err(|e| SourceError::Unavailable(e.to_string()))
    }

    fn submit(&self, worker: &str, id: &JobId, output: &JobOutput) -> Result<(), SubmitError> {
        Coordinator::submit(self, worker, id, output)
    }

    fn fail(&self, worker: &str, id: &JobId, reason: &str) -> Result<(), SourceError> {
        Coordinator::fail(self, worker, id, reason)
            .map_err(|e| SourceError::Unavailable(e.to_string()))
    }
}

/// What runs a job: [`JobRunner`] with the real circuits (a seam for tests).
pub trait RunJob: Send + Sync {
    /// The kinds of job this runner can take now.
    fn kinds(&self, aggregate: bool) -> WorkKinds;
    /// Runs a job into its output, recording `worker` as its maker.
    fn run(&self, job: &Job, worker: &str) -> anyhow::Result<JobOutput>;
}

impl RunJob for JobRunner {
    fn kinds(&self, aggregate: bool) -> WorkKinds {
        JobRunner::kinds(self, aggregate)
    }

    fn run(&self, job: &Job, worker: &str) -> anyhow::Result<JobOutput> {
        JobRunner::run(self, job, worker)
    }
}

/// Runs jobs: the circuits a worker proves with.
#[derive(Clone)]
pub struct JobRunner {
    cache: Arc<CircuitCache>,
    circuits: Arc<OnceLock<Arc<AggregationCircuits>>>,
}

impl JobRunner {
    /// A runner proving with `cache`'s batch circuits and, once set, `circuits`.
    pub fn new(
        cache: Arc<CircuitCache>,
        circuits: Arc<OnceLock<Arc<AggregationCircuits>>>,
    ) -> Self {
        Self { cache, circuits }
    }

    /// Builds the aggregation circuits on a thread of their own (a remote prover that
    /// aggregates); until they are ready the worker takes batch jobs only.
    pub fn start_building_circuits(&self) {
        build_circuits_in_background(self.cache.clone(), self.circuits.clone());
    }

    /// What this runner can take now.
    pub fn kinds(&self, aggregate: bool) -> WorkKinds {
        WorkKinds {
            batches: true,
            aggregation: aggregate && self.circuits.get().is_some(),
        }
    }

    /// Runs a job into its output, recording `worker` as its maker.
    pub fn run(&self, job: &Job, worker: &str) -> anyhow::Result<JobOutput> {
        let started = Instant::now();
        let output = match &job.input {
            JobInput::Batch(witness) => {
                anyhow::ensure!(
                    job.id == JobId::Batch(witness.batch_number),
                    "the {} came with the witness of batch {}",
                    job.id,
                    witness.batch_number
                );
                JobOutput::BatchProof(quire_prover::prove_to_file(&self.cache, witness)?)
            }
            JobInput::Step(inputs) => {
                anyhow::ensure!(
                    job.id == JobId::Step(inputs.step),
                    "the {} came with the inputs of the {}",
                    job.id,
                    inputs.step
                );
                let circuits = self
                    .circuits
                    .get()
                    .ok_or_else(|| anyhow::anyhow!("the aggregation circuits are not built"))?;
                JobOutput::Step(prove_step(circuits, &self.cache, inputs)?.encode(worker)?)
            }
            JobInput::Signatures(input) => {
                anyhow::ensure!(
                    job.id == JobId::Signatures(input.batch),
                    "the {} came with the transactions of batch {}",
                    job.id,
                    input.batch
                );
                let circuits = self
                    .circuits
                    .get()
                    .ok_or_else(|| anyhow::anyhow!("the aggregation circuits are not built"))?;
                let raw = input
                    .transactions
                    .iter()
                    .map(hex::decode)
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| anyhow::anyhow!("a transaction is not hex: {e}"))?;
                let before = input.bridge_before.state().ok_or_else(|| {
                    anyhow::anyhow!("the bridge state before the batch is malformed")
                })?;
                let statement = quire_prover::signature::witness::SignatureStatement::from_raw(
                    input.chain_id,
                    raw.iter().map(Vec::as_slice),
                    quire_prover::signature::witness::BridgeStatement {
                        before,
                        deposits: input.deposits.clone(),
                    },
                )?;
                JobOutput::SignatureProof(prove_signatures(
                    circuits,
                    &self.cache,
                    input.batch,
                    &statement,
                    worker,
                )?)
            }
        };
        metrics::histogram!("quire_job_seconds", "job" => job.id.label())
            .record(started.elapsed().as_secs_f64());
        Ok(output)
    }
}

/// Builds every aggregation circuit (about a minute the first time on a machine, seconds
/// once the batch circuits' verifier data is cached on disk) on a thread of its own, and
/// puts them in `cell` when done.
pub fn build_circuits_in_background(
    cache: Arc<CircuitCache>,
    cell: Arc<OnceLock<Arc<AggregationCircuits>>>,
) {
    let spawned = std::thread::Builder::new()
        .name("aggregation-circuits".into())
        .spawn(move || match AggregationCircuits::build_standard(&cache) {
            Ok(c) => {
                let _ = cell.set(Arc::new(c));
            }
            Err(e) => {
                tracing::error!(error = %format!("{e:#}"), "building the aggregation circuits failed: no aggregation steps will be taken")
            }
        });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "could not start building the aggregation circuits");
    }
}

/// How a worker paces itself.
#[derive(Clone, Copy, Debug)]
pub struct WorkerOptions {
    /// How often an idle worker looks for work.
    pub poll: Duration,
    /// Longest wait between tries while the source is unreachable.
    pub max_backoff: Duration,
    /// Whether to take aggregation steps (once the circuits are built).
    pub aggregate: bool,
}

fn sleep_unless(stop: &AtomicBool, d: Duration) {
    let until = Instant::now() + d;
    while !stop.load(Ordering::SeqCst) {
        let now = Instant::now();
        if now >= until {
            return;
        }
        std::thread::sleep((until - now).min(Duration::from_millis(50)));
    }
}

/// Works until `stop` is set; returns early only if the source refuses the worker.
pub fn run_worker(
    source: &dyn JobSource,
    runner: &dyn RunJob,
    worker: &str,
    options: WorkerOptions,
    stop: &AtomicBool,
) -> Result<(), SourceError> {
    let mut backoff = options.poll;
    while !stop.load(Ordering::SeqCst) {
        let job = match source.lease(worker, runner.kinds(options.aggregate)) {
            Ok(Some(job)) => job,
            Ok(None) => {
                backoff = options.poll;
                sleep_unless(stop, options.poll);
                continue;
            }
            Err(SourceError::Unauthorized) => return Err(SourceError::Unauthorized),
            Err(e) => {
                tracing::warn!(error = %e, retry_in = ?backoff, "cannot lease a job");
                sleep_unless(stop, backoff);
                backoff = (backoff * 2).min(options.max_backoff);
                continue;
            }
        };
        backoff = options.poll;
        match runner.run(&job, worker) {
            Ok(output) => match source.submit(worker, &job.id, &output) {
                Ok(()) => tracing::info!(job = %job.id, "accepted"),
                Err(e @ SubmitError::Duplicate(_)) => tracing::info!(job = %job.id, "{e}"),
                // The coordinator already freed the job.
                Err(e @ SubmitError::Refused(_)) => {
                    tracing::error!(job = %job.id, error = %e, "output refused")
                }
                // Not judged: give the job back under the retry rule rather than sit on
                // the lease until it runs out.
                Err(e @ (SubmitError::NotReady(_) | SubmitError::Internal(_))) => {
                    tracing::error!(job = %job.id, error = %e, "output not accepted");
                    if let Err(SourceError::Unauthorized) =
                        source.fail(worker, &job.id, &e.to_string())
                    {
                        return Err(SourceError::Unauthorized);
                    }
                }
            },
            Err(e) => {
                let reason = format!("{e:#}");
                tracing::error!(job = %job.id, error = %reason, "job failed");
                match source.fail(worker, &job.id, &reason) {
                    Err(SourceError::Unauthorized) => return Err(SourceError::Unauthorized),
                    Err(e) => {
                        tracing::warn!(job = %job.id, error = %e, "could not report the failure")
                    }
                    Ok(()) => {}
                }
            }
        }
    }
    Ok(())
}

/// The node's in-process workers: threads running [`run_worker`] against the coordinator.
pub struct LocalWorkers {
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

impl LocalWorkers {
    /// Starts `count` workers named `local-0`, `local-1`, …; they take aggregation steps
    /// whenever the coordinator aggregates and its circuits are built.
    pub fn start(coordinator: &Arc<Coordinator>, count: usize, poll: Duration) -> Self {
        metrics::gauge!("quire_prover_workers", "kind" => "local").set(count as f64);
        let stop = Arc::new(AtomicBool::new(false));
        let runner = JobRunner::new(coordinator.cache().clone(), coordinator.circuits_cell());
        let options = WorkerOptions {
            poll,
            max_backoff: Duration::from_secs(60),
            aggregate: coordinator.aggregates(),
        };
        let threads = (0..count)
            .filter_map(|i| {
                let (coordinator, runner, stop) =
                    (coordinator.clone(), runner.clone(), stop.clone());
                let name = format!("{LOCAL_WORKER_PREFIX}{i}");
                std::thread::Builder::new()
                    .name(format!("prover-{i}"))
                    .spawn(move || {
                        let _ = run_worker(coordinator.as_ref(), &runner, &name, options, &stop);
                    })
                    .map_err(|e| tracing::error!(error = %e, "could not start a prover thread"))
                    .ok()
            })
            .collect();
        Self { stop, threads }
    }

    /// Stops the workers (each finishes the job it is running).
    pub fn stop(self) {
        self.stop.store(true, Ordering::SeqCst);
        for t in self.threads {
            let _ = t.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use parking_lot::Mutex;
    use quire_aggregator::{PartRecord, Step, StepInputs, StepResult};

    /// Hands out the queued jobs, answers submissions as told, and records every call;
    /// stops the worker once the queue is empty.
    struct FakeSource {
        jobs: Mutex<Vec<Job>>,
        lease_error: Option<SourceError>,
        answer: Option<SubmitError>,
        calls: Mutex<Vec<String>>,
        stop: Arc<AtomicBool>,
    }

    impl JobSource for FakeSource {
        fn lease(&self, _: &str, _: WorkKinds) -> Result<Option<Job>, SourceError> {
            if let Some(e) = &self.lease_error {
                return Err(e.clone());
            }
            let job = self.jobs.lock().pop();
            if job.is_none() {
                self.stop.store(true, Ordering::SeqCst);
            }
            Ok(job)
        }
        fn submit(&self, _: &str, id: &JobId, _: &JobOutput) -> Result<(), SubmitError> {
            self.calls.lock().push(format!("submit {id}"));
            self.answer.clone().map_or(Ok(()), Err)
        }
        fn fail(&self, _: &str, id: &JobId, _: &str) -> Result<(), SourceError> {
            self.calls.lock().push(format!("fail {id}"));
            Ok(())
        }
    }

    /// Succeeds or fails every job without proving anything.
    struct FakeRunner(bool);

    impl RunJob for FakeRunner {
        fn kinds(&self, aggregate: bool) -> WorkKinds {
            WorkKinds {
                batches: true,
                aggregation: aggregate,
            }
        }
        fn run(&self, _: &Job, worker: &str) -> anyhow::Result<JobOutput> {
            anyhow::ensure!(self.0, "out of memory");
            Ok(JobOutput::Step(StepResult::Part(PartRecord {
                leaf_shape: None,
                worker: worker.into(),
                proof: "00".into(),
            })))
        }
    }

    fn leaf_job() -> Job {
        Job {
            id: JobId::Step(Step::Leaf(1)),
            input: JobInput::Step(Box::new(StepInputs {
                step: Step::Leaf(1),
                batch_proof: None,
                signatures: None,
                parts: Vec::new(),
            })),
        }
    }

    /// Runs one job through the loop; returns the source's calls.
    fn one_job(
        runs: bool,
        answer: Option<SubmitError>,
        lease_error: Option<SourceError>,
    ) -> (Result<(), SourceError>, Vec<String>) {
        let stop = Arc::new(AtomicBool::new(false));
        let source = FakeSource {
            jobs: Mutex::new(vec![leaf_job()]),
            lease_error,
            answer,
            calls: Mutex::new(Vec::new()),
            stop: stop.clone(),
        };
        let options = WorkerOptions {
            poll: Duration::from_millis(1),
            max_backoff: Duration::from_millis(1),
            aggregate: true,
        };
        let r = run_worker(&source, &FakeRunner(runs), "w", options, &stop);
        let calls = source.calls.lock().clone();
        (r, calls)
    }

    #[test]
    fn a_job_that_cannot_run_is_reported_as_failed() {
        let (r, calls) = one_job(false, None, None);
        assert_eq!(r, Ok(()));
        assert_eq!(calls, ["fail leaf of batch 1"]);
    }

    #[test]
    fn an_output_is_handed_in_once_and_only_unjudged_ones_are_given_back() {
        assert_eq!(one_job(true, None, None).1, ["submit leaf of batch 1"]);
        // Refused: the coordinator freed the job; a duplicate: someone else finished it.
        for answer in [
            SubmitError::Refused("bad".into()),
            SubmitError::Duplicate("leaf".into()),
        ] {
            assert_eq!(
                one_job(true, Some(answer), None).1,
                ["submit leaf of batch 1"]
            );
        }
        // Not judged: the job goes back under the retry rule instead of waiting out the lease.
        for answer in [
            SubmitError::NotReady("building".into()),
            SubmitError::Internal("disk".into()),
        ] {
            assert_eq!(
                one_job(true, Some(answer), None).1,
                ["submit leaf of batch 1", "fail leaf of batch 1"]
            );
        }
    }

    #[test]
    fn a_refused_token_stops_the_worker() {
        let (r, calls) = one_job(true, None, Some(SourceError::Unauthorized));
        assert_eq!(r, Err(SourceError::Unauthorized));
        assert!(calls.is_empty());
    }
}
