//! Typed errors: what went wrong with a submission, and whose fault it is.

use quire_primitives::chain::ChainReadError;

use crate::store::StoreError;

/// Failures of the coordinator itself (not of a worker's output).
#[derive(Debug, thiserror::Error)]
pub enum CoordinatorError {
    /// The proving store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The chain could not be read.
    #[error(transparent)]
    Chain(#[from] ChainReadError),
    /// A job's inputs could not be assembled (replay or stored inputs failed).
    #[error("assembling the inputs of the {job}: {reason}")]
    Inputs {
        /// Which job.
        job: String,
        /// Why.
        reason: String,
    },
}

/// Why a submitted output was not accepted. Nothing is stored in any case.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SubmitError {
    /// The output is malformed, does not verify, proves something other than the job
    /// requires, or names no job. The submitter's lease is dropped: another worker gets
    /// the job at once.
    #[error("proof refused: {0}")]
    Refused(String),
    /// The job already has an accepted output; this one is ignored.
    #[error("the {0} is already accepted")]
    Duplicate(String),
    /// The coordinator cannot check this output yet (its circuits are still being built,
    /// or it does not aggregate); submit again later.
    #[error("not ready: {0}")]
    NotReady(String),
    /// The coordinator failed (storage, chain reads); the output was not judged.
    #[error("internal error: {0}")]
    Internal(String),
}

impl From<CoordinatorError> for SubmitError {
    fn from(e: CoordinatorError) -> Self {
        SubmitError::Internal(e.to_string())
    }
}

impl From<StoreError> for SubmitError {
    fn from(e: StoreError) -> Self {
        SubmitError::Internal(e.to_string())
    }
}
