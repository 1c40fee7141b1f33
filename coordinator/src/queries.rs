//! What RPC and tools read of the proving state.

use quire_aggregator::{FinalProofFile, Step};
use quire_primitives::{BatchHeader, BatchStatus};

use crate::coordinator::Coordinator;
use crate::errors::CoordinatorError;
use crate::job::JobId;
use crate::lease::JobState;
use crate::store::AcceptedBatchProof;

/// Where a batch is in proving, as RPC shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ProvingStatus {
    /// Still taking blocks.
    Open,
    /// Sealed, waiting for a worker.
    Sealed,
    /// A worker holds its proof job.
    Proving,
    /// Its proof is accepted.
    Proven,
    /// A final proof covering it is accepted.
    Aggregated,
}

impl Coordinator {
    /// Where batch `header` is in proving.
    pub fn status(&self, header: &BatchHeader) -> Result<ProvingStatus, CoordinatorError> {
        let n = header.number;
        if header.status() == BatchStatus::Open {
            return Ok(ProvingStatus::Open);
        }
        // Batch 0 is genesis: the agreed starting state, with nothing to prove.
        if n == 0 {
            return Ok(ProvingStatus::Sealed);
        }
        if self.store.has_batch_proof(n)? {
            // Existence only: the window's final proof covers it (no need to decode it).
            let aggregated = match self.store.window_of(n)? {
                Some(w) => self.store.has_output(&Step::Wrap(w))?,
                None => false,
            };
            return Ok(if aggregated {
                ProvingStatus::Aggregated
            } else {
                ProvingStatus::Proven
            });
        }
        Ok(
            if self.store.job_state(&JobId::Batch(n))?.is_held(self.now()) {
                ProvingStatus::Proving
            } else {
                ProvingStatus::Sealed
            },
        )
    }

    /// The accepted proof of batch `n`.
    pub fn batch_proof(&self, n: u64) -> Result<Option<AcceptedBatchProof>, CoordinatorError> {
        Ok(self.store.batch_proof(n)?)
    }

    /// The accepted final proof covering batch `n`.
    pub fn final_proof_covering(&self, n: u64) -> Result<Option<FinalProofFile>, CoordinatorError> {
        let Some(w) = self.store.window_of(n)? else {
            return Ok(None);
        };
        Ok(self
            .store
            .final_proof(w.start)?
            .filter(|f| f.first_batch <= n && n <= f.last_batch))
    }

    /// The newest accepted final proof.
    pub fn latest_final_proof(&self) -> Result<Option<FinalProofFile>, CoordinatorError> {
        Ok(self.store.latest_final_proof()?)
    }

    /// A job's lease and retry state.
    pub fn job_state(&self, id: &JobId) -> Result<JobState, CoordinatorError> {
        Ok(self.store.job_state(id)?)
    }
}
