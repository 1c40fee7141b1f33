//! The one worker loop: lease a job, run it, hand the output in; report a failure so the
//! coordinator's retry rule applies. The same loop runs in the node's in-process threads
//! (against the [`Coordinator`] itself) and in `quire prover` (against the node's RPC,
//! through a [`JobSource`] the RPC crate implements).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use quire_aggregator::circuits::AggregationCircuits;
use quire_aggregator::prove_step;
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
    runner: &JobRunner,
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
                Err(e) => tracing::error!(job = %job.id, error = %e, "output not accepted"),
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
