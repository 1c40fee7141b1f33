//! `prover_*`: the API remote provers (`quire prover --node URL`) lease jobs and hand in
//! proofs through. Served only when the node has a prover token; every call carries it.
//! Both methods run on blocking threads: a lease replays the batch into a witness, and a
//! submission verifies a proof (building the circuit on first use).

use std::sync::Arc;

use alloy_primitives::U64;
use jsonrpsee::core::RpcResult;
use jsonrpsee::proc_macros::rpc;
use jsonrpsee::types::ErrorObjectOwned;
use quire_prover::pool::{ProverPool, Submitted};
use quire_prover::proof_file::BatchProofFile;
use quire_prover::witness::BatchWitness;
use serde::{Deserialize, Serialize};

use crate::errors::store_error;

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
}

/// Implementation of [`ProverApiServer`].
pub struct ProverRpc {
    pool: Arc<ProverPool>,
    token: String,
}

impl ProverRpc {
    /// Serves `pool` to callers that present `token`.
    pub fn new(pool: Arc<ProverPool>, token: String) -> Self {
        Self { pool, token }
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
                Err(ErrorObjectOwned::owned(
                    crate::errors::INTERNAL,
                    format!("cannot build the witness of batch {batch}: {e:#}"),
                    None::<()>,
                ))
            }
        }
    }

    fn submit(&self, token: String, worker: String, proof: BatchProofFile) -> RpcResult<String> {
        self.authorize(&token)?;
        match self.pool.submit(&worker, &proof) {
            Ok(Submitted::Accepted) => Ok("accepted".into()),
            Ok(Submitted::Duplicate) => Ok("duplicate".into()),
            Err(e) => Err(ErrorObjectOwned::owned(
                PROOF_REFUSED,
                e.to_string(),
                None::<()>,
            )),
        }
    }
}
