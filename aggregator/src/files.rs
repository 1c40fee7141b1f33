//! Aggregation proofs as files and wire records: a leaf or fold aggregate
//! ([`PartRecord`]) and a final proof ([`FinalProofFile`], what `quire verify` reads).

use anyhow::{anyhow, Context};
use plonky2::plonk::proof::ProofWithPublicInputs;
use quire_prover::BatchShape;
use serde::{Deserialize, Serialize};

use crate::aggregator::{Aggregate, AggregateKind, SignatureAggregate};
use crate::circuits::FinalVerifier;
use crate::public_inputs::AggregatePublicInputs;
use crate::wrap::WrapProof;

/// A leaf or fold aggregate with the worker that made it.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct PartRecord {
    /// The leaf circuit's batch shape, or `None` for a fold.
    pub leaf_shape: Option<BatchShape>,
    /// Worker that made it.
    pub worker: String,
    /// plonky2 proof bytes (public inputs included), hex.
    pub proof: String,
}

impl PartRecord {
    /// Records an aggregate.
    pub fn new(a: &Aggregate, worker: &str) -> Self {
        Self {
            leaf_shape: match a.kind {
                AggregateKind::Leaf(shape) => Some(shape),
                AggregateKind::Fold => None,
            },
            worker: worker.to_string(),
            proof: hex::encode(a.proof.to_bytes()),
        }
    }

    /// The aggregate, decoded against the aggregation circuits' common data.
    pub fn aggregate(
        &self,
        common: &plonky2::plonk::circuit_data::CommonCircuitData<crate::F, { crate::EXT }>,
    ) -> anyhow::Result<Aggregate> {
        let bytes = hex::decode(&self.proof).context("aggregate proof is not hex")?;
        let proof = ProofWithPublicInputs::from_bytes(bytes, common)
            .map_err(|e| anyhow!("aggregate proof does not decode: {e:?}"))?;
        Ok(Aggregate {
            proof,
            kind: match self.leaf_shape {
                Some(shape) => AggregateKind::Leaf(shape),
                None => AggregateKind::Fold,
            },
        })
    }
}

/// A batch's signature proof, restated in the aggregation shape (a signature leaf), with
/// the worker that made it: what a signature job hands in and a leaf step takes.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SignatureProofFile {
    /// The batch.
    pub batch: u64,
    /// Capacity of the signature circuit.
    pub capacity: usize,
    /// Worker that made it.
    pub worker: String,
    /// plonky2 proof bytes of the signature leaf (public inputs included), hex.
    pub proof: String,
}

impl SignatureProofFile {
    /// Records a restated signature proof of batch `batch`.
    pub fn new(batch: u64, s: &SignatureAggregate, worker: &str) -> Self {
        Self {
            batch,
            capacity: s.capacity,
            worker: worker.to_string(),
            proof: hex::encode(s.proof.to_bytes()),
        }
    }

    /// The proof, decoded against the aggregation circuits' common data.
    pub fn decode(
        &self,
        common: &plonky2::plonk::circuit_data::CommonCircuitData<crate::F, { crate::EXT }>,
    ) -> anyhow::Result<SignatureAggregate> {
        let bytes = hex::decode(&self.proof).context("signature proof is not hex")?;
        let proof = ProofWithPublicInputs::from_bytes(bytes, common)
            .map_err(|e| anyhow!("signature proof does not decode: {e:?}"))?;
        Ok(SignatureAggregate {
            proof,
            capacity: self.capacity,
        })
    }
}

/// A final proof as the node stores and serves it, and as `quire verify` reads it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FinalProofFile {
    /// [`crate::circuits::aggregation_fingerprint`] of the circuits that made it.
    pub circuits: String,
    /// First batch covered.
    pub first_batch: u64,
    /// Last batch covered.
    pub last_batch: u64,
    /// plonky2 proof bytes (Keccak configuration, public inputs included), hex.
    pub proof: String,
}

impl FinalProofFile {
    /// Records a final proof.
    pub fn new(proof: &WrapProof, pi: &AggregatePublicInputs) -> Self {
        Self {
            circuits: crate::circuits::aggregation_fingerprint(),
            first_batch: pi.first_batch,
            last_batch: pi.last_batch,
            proof: hex::encode(proof.to_bytes()),
        }
    }

    /// Decodes the proof (without verifying it).
    pub fn decode(&self, key: &FinalVerifier) -> anyhow::Result<WrapProof> {
        let bytes = hex::decode(&self.proof).context("final proof is not hex")?;
        ProofWithPublicInputs::from_bytes(bytes, &key.data.common)
            .map_err(|e| anyhow!("final proof does not decode: {e:?}"))
    }

    /// Decodes and verifies the proof against a pinned key, and checks it covers the
    /// batches the file names.
    pub fn verify(&self, key: &FinalVerifier) -> anyhow::Result<AggregatePublicInputs> {
        let proof = self.decode(key)?;
        let pi = key.verify(&proof)?;
        anyhow::ensure!(
            (pi.first_batch, pi.last_batch) == (self.first_batch, self.last_batch),
            "the proof covers batches {}..={}, the file says {}..={}",
            pi.first_batch,
            pi.last_batch,
            self.first_batch,
            self.last_batch
        );
        Ok(pi)
    }

    /// Reads a file.
    pub fn read(path: &std::path::Path) -> anyhow::Result<Self> {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        serde_json::from_slice(&bytes)
            .with_context(|| format!("{} is not a final proof file", path.display()))
    }

    /// Writes the file.
    pub fn write(&self, path: &std::path::Path) -> anyhow::Result<()> {
        std::fs::write(path, serde_json::to_vec_pretty(self)?)
            .with_context(|| format!("writing {}", path.display()))
    }
}
