//! The node's coordinator seen from another process: a [`JobSource`] over the generated
//! `prover_*` client, so `quire prover` runs the same worker loop as in-process workers.

use jsonrpsee::core::client::Error as ClientError;
use jsonrpsee::http_client::{HttpClient, HttpClientBuilder};
use quire_coordinator::{Job, JobId, JobOutput, JobSource, SourceError, SubmitError, WorkKinds};
use tokio::runtime::Handle;

use crate::prover::{ProverApiClient, DUPLICATE, NOT_READY, PROOF_REFUSED, UNAUTHORIZED};

/// Largest answer accepted (a lease carries a batch witness or child aggregates).
const MAX_RESPONSE_BYTES: u32 = 256 << 20;

/// A remote node's prover API. Calls block on `runtime`: call them from a blocking thread.
pub struct RemoteJobSource {
    client: HttpClient,
    token: String,
    runtime: Handle,
}

impl RemoteJobSource {
    /// A source at `url` (the node's JSON-RPC URL) presenting `token`.
    pub fn new(url: &str, token: String, runtime: Handle) -> Result<Self, ClientError> {
        let client = HttpClientBuilder::default()
            .max_response_size(MAX_RESPONSE_BYTES)
            .max_request_size(MAX_RESPONSE_BYTES)
            // A submission is verified before the answer: seconds for a large proof.
            .request_timeout(std::time::Duration::from_secs(600))
            .build(url)?;
        Ok(Self {
            client,
            token,
            runtime,
        })
    }
}

fn source_error(e: ClientError) -> SourceError {
    match &e {
        ClientError::Call(obj) if obj.code() == UNAUTHORIZED => SourceError::Unauthorized,
        _ => SourceError::Unavailable(e.to_string()),
    }
}

impl JobSource for RemoteJobSource {
    fn lease(&self, worker: &str, kinds: WorkKinds) -> Result<Option<Job>, SourceError> {
        self.runtime
            .block_on(self.client.lease(self.token.clone(), worker.into(), kinds))
            .map_err(source_error)
    }

    fn submit(&self, worker: &str, id: &JobId, output: &JobOutput) -> Result<(), SubmitError> {
        let answer = self.runtime.block_on(self.client.submit(
            self.token.clone(),
            worker.into(),
            *id,
            output.clone(),
        ));
        match answer {
            Ok(_) => Ok(()),
            Err(ClientError::Call(obj)) => {
                let message = obj.message().to_string();
                Err(match obj.code() {
                    PROOF_REFUSED => SubmitError::Refused(message),
                    DUPLICATE => SubmitError::Duplicate(id.to_string()),
                    NOT_READY => SubmitError::NotReady(message),
                    // A wrong token (UNAUTHORIZED), INTERNAL, or anything else: not judged.
                    _ => SubmitError::Internal(message),
                })
            }
            Err(e) => Err(SubmitError::Internal(e.to_string())),
        }
    }

    fn fail(&self, worker: &str, id: &JobId, reason: &str) -> Result<(), SourceError> {
        self.runtime
            .block_on(
                self.client
                    .fail(self.token.clone(), worker.into(), *id, reason.into()),
            )
            .map_err(source_error)
    }
}
