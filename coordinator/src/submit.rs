//! The one submit path: every output, from an in-process worker or a remote prover, is
//! checked ([`crate::checks`]) before it is stored; a refused one frees the job at once.

use quire_aggregator::{
    plan, FinalProofFile, PartRecord, SignatureProofFile, Step, StepOutput, StepResult,
};
use quire_prover::proof_file::BatchProofFile;

use crate::checks;
use crate::coordinator::Coordinator;
use crate::errors::{CoordinatorError, SubmitError};
use crate::job::{JobId, JobOutput};
use crate::store::AcceptedBatchProof;

impl Coordinator {
    /// Drops `worker`'s lease on `id` (its output was refused): free at once.
    fn release(&self, worker: &str, id: &JobId) -> Result<(), CoordinatorError> {
        let _guard = self.lock.lock();
        let state = self.store.job_state(id)?;
        if state.holder.as_deref() == Some(worker) {
            self.store.put_job_state(id, &state.released())?;
        }
        Ok(())
    }

    /// The one submit path: checks an output and stores it if it verifies and proves
    /// exactly what the job requires. A refused output changes nothing except dropping
    /// the submitter's lease, so another worker gets the job at once.
    pub fn submit(&self, worker: &str, id: &JobId, output: &JobOutput) -> Result<(), SubmitError> {
        let outcome = match (id, output) {
            (JobId::Batch(n), JobOutput::BatchProof(file)) => self.submit_batch(worker, *n, file),
            (JobId::Step(step), JobOutput::Step(result)) => self.submit_step(worker, step, result),
            (JobId::Signatures(n), JobOutput::SignatureProof(file)) => {
                self.submit_signatures(worker, *n, file)
            }
            _ => Err(SubmitError::Refused(format!(
                "the output is not what the {id} makes"
            ))),
        };
        match &outcome {
            Ok(()) => {
                metrics::counter!("quire_jobs_accepted_total", "job" => id.label()).increment(1);
            }
            Err(SubmitError::Refused(why)) => {
                metrics::counter!("quire_proofs_rejected_total", "job" => id.label()).increment(1);
                tracing::warn!(worker, job = %id, reason = %why, "refused an output");
                self.release(worker, id)?;
            }
            Err(e) => tracing::info!(worker, job = %id, outcome = %e, "output not accepted"),
        }
        outcome
    }

    fn submit_batch(&self, worker: &str, n: u64, file: &BatchProofFile) -> Result<(), SubmitError> {
        let id = JobId::Batch(n);
        if self.store.has_batch_proof(n)? {
            return Err(SubmitError::Duplicate(id.to_string()));
        }
        checks::batch_proof(&self.cache, self.chain.as_ref(), n, file)?;
        let _guard = self.lock.lock();
        if self.store.has_batch_proof(n)? {
            return Err(SubmitError::Duplicate(id.to_string()));
        }
        self.store.accept_batch_proof(
            n,
            &AcceptedBatchProof {
                worker: worker.to_string(),
                file: file.clone(),
            },
        )?;
        metrics::counter!("quire_batches_proven_total").increment(1);
        tracing::info!(worker, batch = n, "batch proof accepted");
        Ok(())
    }

    fn submit_signatures(
        &self,
        worker: &str,
        n: u64,
        file: &SignatureProofFile,
    ) -> Result<(), SubmitError> {
        let id = JobId::Signatures(n);
        let Some(circuits) = self.circuits.get() else {
            return Err(SubmitError::NotReady(
                "the aggregation circuits are still being built".into(),
            ));
        };
        if self.store.has_signature_proof(n)? {
            return Err(SubmitError::Duplicate(id.to_string()));
        }
        checks::signature_proof(circuits, self.chain.as_ref(), self.config.chain_id, n, file)?;
        let _guard = self.lock.lock();
        if self.store.has_signature_proof(n)? {
            return Err(SubmitError::Duplicate(id.to_string()));
        }
        let mut stored = file.clone();
        stored.worker = worker.to_string();
        self.store.accept_signature_proof(n, &stored)?;
        tracing::info!(worker, batch = n, "signature proof accepted");
        Ok(())
    }

    fn submit_step(
        &self,
        worker: &str,
        step: &Step,
        result: &StepResult,
    ) -> Result<(), SubmitError> {
        let Some(circuits) = self.circuits.get() else {
            return Err(SubmitError::NotReady(if self.aggregates() {
                "the aggregation circuits are still being built".into()
            } else {
                "this node does not aggregate".into()
            }));
        };
        // Only the steps of a closed window's canonical tree exist: a wrap of part of a
        // window must not pass for the window's final proof.
        let (first, _) = step.range();
        let window = self.store.window_of(first)?;
        if !window.is_some_and(|w| plan::steps(w).contains(step)) {
            return Err(SubmitError::Refused(format!(
                "the {step} is not a step of a closed aggregation window"
            )));
        }
        if self.store.has_output(step)? {
            return Err(SubmitError::Duplicate(step.to_string()));
        }
        let output = result
            .decode(circuits)
            .map_err(|e| SubmitError::Refused(format!("{e:#}")))?;
        let pi = checks::step_output(
            &self.store,
            &self.cache,
            circuits,
            self.config.chain_id,
            step,
            &output,
        )?;
        let _guard = self.lock.lock();
        if self.store.has_output(step)? {
            return Err(SubmitError::Duplicate(step.to_string()));
        }
        match (&output, step) {
            (StepOutput::Final(proof), Step::Wrap(w)) => {
                self.store
                    .accept_final_proof(*w, &FinalProofFile::new(proof, &pi))?;
                metrics::counter!("quire_batches_aggregated_total").increment(w.end - w.start + 1);
                metrics::gauge!("quire_aggregated_batch").set(w.end as f64);
                tracing::info!(first = w.start, last = w.end, "final proof accepted");
            }
            (StepOutput::Part(a), _) => {
                self.store
                    .accept_aggregate(step, &PartRecord::new(a, worker))?;
                tracing::info!(worker, %step, "aggregation step accepted");
            }
            (StepOutput::Final(_), _) => {
                return Err(SubmitError::Refused(format!(
                    "the output is not what the {step} makes"
                )))
            }
        }
        Ok(())
    }
}
