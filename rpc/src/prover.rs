//! `prover_*`: the API remote provers (`quire prover --node URL`) lease jobs and hand in
//! outputs through, declared once: jsonrpsee generates the server trait the node
//! implements and the client `quire prover` calls. Served only when the node has a prover
//! token; every call carries it. The methods run on blocking threads: a lease replays a
//! batch into its witness or reads a step's inputs, and a submission verifies a proof.
//!
//! Error codes (each a distinct answer a prover acts on):
//! [`UNAUTHORIZED`] stop, the token is wrong; [`PROOF_REFUSED`] the output is bad (the job
//! went back to the queue); [`DUPLICATE`] someone else's output was accepted first;
//! [`NOT_READY`] try again later; `-32603` the node failed.

use std::sync::Arc;

use jsonrpsee::core::RpcResult;
use jsonrpsee::proc_macros::rpc;
use jsonrpsee::types::ErrorObjectOwned;
use quire_coordinator::{Coordinator, Job, JobId, JobOutput, SubmitError, WorkKinds};

use crate::errors::INTERNAL;

/// A wrong or missing token.
pub const UNAUTHORIZED: i32 = -32001;
/// The output was refused (malformed, does not verify, proves something else).
pub const PROOF_REFUSED: i32 = -32002;
/// The job already has an accepted output.
pub const DUPLICATE: i32 = -32003;
/// The node cannot check this output yet.
pub const NOT_READY: i32 = -32004;

/// The `prover` namespace.
#[rpc(server, client, namespace = "prover")]
pub trait ProverApi {
    /// Leases the next job of the given kinds (aggregation steps first, then the oldest
    /// unproven sealed batch) with its inputs; `null` when there is none.
    #[method(name = "lease", blocking)]
    fn lease(&self, token: String, worker: String, kinds: WorkKinds) -> RpcResult<Option<Job>>;
    /// Hands in a job's output; `"accepted"`, or an error with one of the codes above.
    #[method(name = "submit", blocking)]
    fn submit(
        &self,
        token: String,
        worker: String,
        job: JobId,
        output: JobOutput,
    ) -> RpcResult<String>;
    /// Reports that the worker could not run its job (it waits its retry delay).
    #[method(name = "fail", blocking)]
    fn fail(&self, token: String, worker: String, job: JobId, reason: String) -> RpcResult<()>;
}

/// Implementation of [`ProverApiServer`].
pub struct ProverRpc {
    coordinator: Arc<Coordinator>,
    token: String,
}

impl ProverRpc {
    /// Serves `coordinator` to callers that present `token`.
    pub fn new(coordinator: Arc<Coordinator>, token: String) -> Self {
        Self { coordinator, token }
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

fn internal(e: impl std::fmt::Display) -> ErrorObjectOwned {
    tracing::error!(error = %e, "proof coordinator failed while serving RPC");
    ErrorObjectOwned::owned(INTERNAL, format!("internal error: {e}"), None::<()>)
}

/// The JSON-RPC error of a submission error.
pub fn submit_error(e: &SubmitError) -> ErrorObjectOwned {
    let code = match e {
        SubmitError::Refused(_) => PROOF_REFUSED,
        SubmitError::Duplicate(_) => DUPLICATE,
        SubmitError::NotReady(_) => NOT_READY,
        SubmitError::Internal(_) => INTERNAL,
    };
    ErrorObjectOwned::owned(code, e.to_string(), None::<()>)
}

impl ProverApiServer for ProverRpc {
    fn lease(&self, token: String, worker: String, kinds: WorkKinds) -> RpcResult<Option<Job>> {
        self.authorize(&token)?;
        self.coordinator.lease(&worker, kinds).map_err(internal)
    }

    fn submit(
        &self,
        token: String,
        worker: String,
        job: JobId,
        output: JobOutput,
    ) -> RpcResult<String> {
        self.authorize(&token)?;
        match self.coordinator.submit(&worker, &job, &output) {
            Ok(()) => Ok("accepted".into()),
            Err(e) => Err(submit_error(&e)),
        }
    }

    fn fail(&self, token: String, worker: String, job: JobId, reason: String) -> RpcResult<()> {
        self.authorize(&token)?;
        self.coordinator
            .fail(&worker, &job, &reason)
            .map_err(internal)
    }
}
