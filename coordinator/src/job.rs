//! What a job is: its identity (a batch proof or an aggregation step), the inputs a worker
//! is sent, and the output it hands back. These are also the wire types of the prover API.

use alloy_primitives::B256;
use quire_aggregator::{SignatureProofFile, Step, StepInputs, StepResult};
use quire_primitives::field::{b256_to_digest, digest_to_b256};
use quire_primitives::{BridgeState, Deposit, DepositChain, QueueHash, WithdrawalHash};
use quire_prover::proof_file::BatchProofFile;
use quire_prover::witness::BatchWitness;
use serde::{Deserialize, Serialize};

/// Worker ids of in-process workers start with this; their leases die with the process.
pub const LOCAL_WORKER_PREFIX: &str = "local-";

/// One proving job.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum JobId {
    /// The state-transition proof of a sealed batch.
    Batch(u64),
    /// The signature proof of a sealed batch's transfers.
    Signatures(u64),
    /// A leaf, fold or final wrap of an aggregation window.
    Step(Step),
}

impl JobId {
    /// Metric label and short kind name.
    pub fn label(&self) -> &'static str {
        match self {
            JobId::Batch(_) => "batch",
            JobId::Signatures(_) => "signatures",
            JobId::Step(s) => s.label(),
        }
    }

    /// Key in the job table. Integers are big-endian so key order is numeric order.
    pub(crate) fn key(&self) -> Vec<u8> {
        let mut k = Vec::with_capacity(17);
        match *self {
            JobId::Batch(n) => {
                k.push(b'B');
                k.extend_from_slice(&n.to_be_bytes());
            }
            JobId::Signatures(n) => {
                k.push(b'S');
                k.extend_from_slice(&n.to_be_bytes());
            }
            JobId::Step(Step::Wrap(w)) => {
                k.push(b'W');
                k.extend_from_slice(&w.start.to_be_bytes());
                k.extend_from_slice(&w.end.to_be_bytes());
            }
            JobId::Step(s) => {
                let (lo, hi) = s.range();
                k.push(b'A');
                k.extend_from_slice(&lo.to_be_bytes());
                k.extend_from_slice(&hi.to_be_bytes());
            }
        }
        k
    }
}

impl std::fmt::Display for JobId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            JobId::Batch(n) => write!(f, "proof of batch {n}"),
            JobId::Signatures(n) => write!(f, "signature proof of batch {n}"),
            JobId::Step(s) => s.fmt(f),
        }
    }
}

/// Which kinds of job a worker takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WorkKinds {
    /// Batch proofs.
    pub batches: bool,
    /// Aggregation steps and signature proofs (the worker has the aggregation circuits,
    /// which restate a signature proof for binding).
    pub aggregation: bool,
}

/// A leased job with everything needed to run it: a remote worker needs no copy of the
/// chain or of earlier proofs.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Job {
    /// Which job.
    pub id: JobId,
    /// Its inputs.
    pub input: JobInput,
}

/// A job's inputs.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum JobInput {
    /// The batch's witness, replayed from the chain.
    Batch(Box<BatchWitness>),
    /// The step's inputs: a batch proof, or child aggregates.
    Step(Box<StepInputs>),
    /// A batch's signed transactions (EIP-2718 bytes, hex) and the chain id they must be
    /// signed for, with the deposits it credited and the bridge state before it.
    Signatures(SignatureInput),
}

/// What a signature job proves.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignatureInput {
    /// The batch.
    pub batch: u64,
    /// Its chain.
    pub chain_id: u64,
    /// Its signed transactions in execution order, hex.
    pub transactions: Vec<String>,
    /// The bridge state before the batch.
    pub bridge_before: BridgeInput,
    /// The deposits it credited, in queue order.
    pub deposits: Vec<Deposit>,
}

/// A bridge state on the wire ([`BridgeState`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BridgeInput {
    /// Deposits credited.
    pub deposit_count: u64,
    /// Their Poseidon chain, as 32 bytes.
    pub deposit_chain: B256,
    /// The Bridge's queue hash after the last of them.
    pub queue_hash: QueueHash,
    /// Withdrawals made.
    pub withdrawal_count: u64,
    /// Their hash.
    pub withdrawal_hash: WithdrawalHash,
}

impl From<&BridgeState> for BridgeInput {
    fn from(s: &BridgeState) -> Self {
        Self {
            deposit_count: s.deposit_count,
            deposit_chain: digest_to_b256(&s.deposit_chain.0),
            queue_hash: s.queue_hash,
            withdrawal_count: s.withdrawal_count,
            withdrawal_hash: s.withdrawal_hash,
        }
    }
}

impl BridgeInput {
    /// The state; `None` if the deposit chain is not a digest.
    pub fn state(&self) -> Option<BridgeState> {
        Some(BridgeState {
            deposit_count: self.deposit_count,
            deposit_chain: DepositChain(b256_to_digest(&self.deposit_chain)?),
            queue_hash: self.queue_hash,
            withdrawal_count: self.withdrawal_count,
            withdrawal_hash: self.withdrawal_hash,
        })
    }
}

/// What a worker hands back.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum JobOutput {
    /// A batch proof.
    BatchProof(BatchProofFile),
    /// An aggregation step's output.
    Step(StepResult),
    /// A batch's signature proof, restated for binding.
    SignatureProof(SignatureProofFile),
}

#[cfg(test)]
mod tests {
    use super::*;
    use quire_aggregator::Window;

    #[test]
    fn job_keys_are_distinct_per_job() {
        let w = Window { start: 3, end: 4 };
        let ids = [
            JobId::Batch(3),
            JobId::Signatures(3),
            JobId::Step(Step::Leaf(3)),
            JobId::Step(Step::Fold {
                lo: 3,
                mid: 3,
                hi: 4,
            }),
            JobId::Step(Step::Wrap(w)),
        ];
        for (i, a) in ids.iter().enumerate() {
            for b in &ids[i + 1..] {
                assert_ne!(a.key(), b.key(), "{a} and {b}");
            }
        }
    }

    #[test]
    fn job_ids_round_trip_as_json() {
        let id = JobId::Step(Step::Fold {
            lo: 1,
            mid: 2,
            hi: 3,
        });
        let json = serde_json::to_string(&id).unwrap();
        assert_eq!(serde_json::from_str::<JobId>(&json).unwrap(), id);
        assert_eq!(
            serde_json::to_string(&JobId::Batch(7)).unwrap(),
            r#"{"batch":7}"#
        );
    }
}
