//! The proof coordinator: all proving work as persisted jobs.
//!
//! Follow a batch from sealed to aggregated:
//! 1. [`coordinator::Coordinator::lease`] hands the oldest sealed batch without a proof to a
//!    worker, with its witness replayed from the chain ([`job::JobInput::Batch`]);
//! 2. the worker proves it ([`worker::JobRunner`]) and hands the proof in through
//!    [`coordinator::Coordinator::submit`], which verifies it against the chain
//!    ([`checks`]) before storing it ([`store::ProofStore`]);
//! 3. once batches are sealed, [`windows`] closes aggregation windows; each window's leaf,
//!    fold and final-wrap steps become jobs as their inputs are accepted, and go through
//!    the same lease → run → submit → check path;
//! 4. [`worker::run_worker`] is the one loop every worker runs: the node's in-process
//!    threads ([`worker::LocalWorkers`]) against the coordinator itself, and `quire prover`
//!    on other machines against the node's `prover_*` RPC.
//!
//! Leases, expiry, retries and restarts follow one rule ([`lease`]) on an injectable
//! [`clock`], and submissions fail with typed errors ([`errors::SubmitError`]).

pub mod checks;
pub mod clock;
pub mod coordinator;
pub mod errors;
pub mod job;
pub mod lease;
pub mod queries;
pub mod store;
pub mod submit;
pub mod windows;
pub mod worker;

pub use clock::{Clock, ManualClock, SystemClock};
pub use coordinator::{Coordinator, CoordinatorConfig};
pub use errors::{CoordinatorError, SubmitError};
pub use job::{Job, JobId, JobInput, JobOutput, WorkKinds, LOCAL_WORKER_PREFIX};
pub use lease::{JobState, RetryPolicy};
pub use queries::ProvingStatus;
pub use store::{proving_db_path, AcceptedBatchProof, ProofStore};
pub use windows::WindowRule;
pub use worker::{
    run_worker, JobRunner, JobSource, LocalWorkers, RunJob, SourceError, WorkerOptions,
};
