//! `prover_*`: the API remote provers (`quire prover --node URL`) lease jobs and hand in
//! proofs through: batch jobs (`lease`/`submit`) and aggregation steps
//! (`leaseStep`/`submitStep`). Served only when the node has a prover token; every call
//! carries it. All methods run on blocking threads: a lease replays the batch into a
//! witness or reads a step's inputs, and a submission verifies a proof.

use std::sync::Arc;

use alloy_primitives::U64;
use jsonrpsee::core::RpcResult;
use jsonrpsee::proc_macros::rpc;
use jsonrpsee::types::ErrorObjectOwned;
use quire_aggregator::jobs::{AggregationPool, Step, StepJob, StepResult};
use quire_prover::pool::{ProverPool, SubmitError, Submitted};
use quire_prover::proof_file::BatchProofFile;
use quire_prover::witness::BatchWitness;
use serde::{Deserialize, Serialize};

use crate::errors::{internal_error, store_error};

/// Error code of a wrong or missing token.
pub const UNAUTHORIZED: i32 = -32001;
/// Error code of a refused proof.
pub const PROOF_REFUSED: i32 = -32002;

/// A leased job: prove this batch from this witness.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeasedJob {
    /// Batch number.
    pub batch: U64,
    /// Everything the batch circuit needs.
    pub witness: BatchWitness,
}

/// The `prover` namespace.
#[rpc(server, namespace = "prover")]
pub trait ProverApi {
    /// Leases the oldest unproven sealed batch to `worker`; `null` when there is none.
    #[method(name = "lease", blocking)]
    fn lease(&self, token: String, worker: String) -> RpcResult<Option<LeasedJob>>;
    /// Hands in a proof: `"accepted"`, or `"duplicate"` if the batch was already proven.
    #[method(name = "submit", blocking)]
    fn submit(&self, token: String, worker: String, proof: BatchProofFile) -> RpcResult<String>;
    /// Leases a ready aggregation step with its inputs; `null` when there is none (or the
    /// node does not aggregate, or its circuits are still being built).
    #[method(name = "leaseStep", blocking)]
    fn lease_step(&self, token: String, worker: String) -> RpcResult<Option<StepJob>>;
    /// Hands in a step's output: `"accepted"` or `"duplicate"`.
    #[method(name = "submitStep", blocking)]
    fn submit_step(
        &self,
        token: String,
        worker: String,
        step: Step,
        result: StepResult,
    ) -> RpcResult<String>;
}

/// Implementation of [`ProverApiServer`].
pub struct ProverRpc {
    pool: Arc<ProverPool>,
    aggregation: Option<Arc<AggregationPool>>,
    token: String,
}

impl ProverRpc {
    /// Serves the pools to callers that present the token.
    pub fn new(access: crate::ProverAccess) -> Self {
        Self {
            pool: access.pool,
            aggregation: access.aggregation,
            token: access.token,
        }
    }

    fn authorize(&self, token: &str) -> Result<(), ErrorObjectOwned> {
        // Constant time in the token's content, so timing does not leak a prefix.
        let (a, b) = (token.as_bytes(), self.token.as_bytes());
        let differs =
            a.len() != b.len() || a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) != 0;
        if differs {
            return Err(ErrorObjectOwned::owned(
                UNAUTHORIZED,
                "invalid prover token",
                None::<()>,
            ));
        }
        Ok(())
    }
}

impl ProverApiServer for ProverRpc {
    fn lease(&self, token: String, worker: String) -> RpcResult<Option<LeasedJob>> {
        self.authorize(&token)?;
        let Some(batch) = self.pool.lease(&worker).map_err(store_error)? else {
            return Ok(None);
        };
        match self.pool.witness(batch) {
            Ok(witness) => Ok(Some(LeasedJob {
                batch: U64::from(batch),
                witness,
            })),
            Err(e) => {
                let _ = self.pool.release(&worker, batch);
                Err(internal_error(
                    &format!("building the witness of batch {batch}"),
                    &e,
                ))
            }
        }
    }

    fn submit(&self, token: String, worker: String, proof: BatchProofFile) -> RpcResult<String> {
        self.authorize(&token)?;
        answer(self.pool.submit(&worker, &proof))
    }

    fn lease_step(&self, token: String, worker: String) -> RpcResult<Option<StepJob>> {
        self.authorize(&token)?;
        let Some(aggregation) = &self.aggregation else {
            return Ok(None);
        };
        aggregation
            .lease_job(&worker)
            .map_err(|e| internal_error("leasing an aggregation step", &e))
    }

    fn submit_step(
        &self,
        token: String,
        worker: String,
        step: Step,
        result: StepResult,
    ) -> RpcResult<String> {
        self.authorize(&token)?;
        let Some(aggregation) = &self.aggregation else {
            return Err(ErrorObjectOwned::owned(
                PROOF_REFUSED,
                "this node does not aggregate",
                None::<()>,
            ));
        };
        answer(aggregation.submit_result(&worker, &step, &result))
    }
}

fn answer(outcome: Result<Submitted, SubmitError>) -> RpcResult<String> {
    match outcome {
        Ok(Submitted::Accepted) => Ok("accepted".into()),
        Ok(Submitted::Duplicate) => Ok("duplicate".into()),
        Err(e) => Err(ErrorObjectOwned::owned(
            PROOF_REFUSED,
            e.to_string(),
            None::<()>,
        )),
    }
}
