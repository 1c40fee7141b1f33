//! The on-disk form of a batch proof: the shape that verifies it and the proof bytes.

use std::path::Path;

use anyhow::{anyhow, Context};
use plonky2::plonk::circuit_data::CommonCircuitData;
use plonky2::plonk::proof::ProofWithPublicInputs;
use serde::{Deserialize, Serialize};

use crate::circuit::BatchProof;
use crate::circuit::{BatchCircuit, BatchShape};

/// A batch proof as written by `quire prove-batch`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BatchProofFile {
    /// [`crate::cache::CIRCUIT_VERSION`] of the circuit that made it.
    pub circuit_version: u32,
    /// Shape of that circuit.
    pub shape: BatchShape,
    /// Batch it proves (also inside the public inputs).
    pub batch_number: u64,
    /// Proof bytes (plonky2 serialisation, public inputs included), hex.
    pub proof: String,
}

impl BatchProofFile {
    /// Wraps a proof.
    pub fn new(shape: BatchShape, batch_number: u64, proof: &BatchProof) -> Self {
        Self {
            circuit_version: crate::cache::CIRCUIT_VERSION,
            shape,
            batch_number,
            proof: hex::encode(proof.to_bytes()),
        }
    }

    /// Decodes the proof for `circuit`.
    pub fn proof(&self, circuit: &BatchCircuit) -> anyhow::Result<BatchProof> {
        self.decode(&circuit.data.common)
    }

    /// Decodes the proof for a circuit with `common` data.
    pub fn decode(
        &self,
        common: &CommonCircuitData<crate::F, { crate::EXT }>,
    ) -> anyhow::Result<BatchProof> {
        if self.circuit_version != crate::cache::CIRCUIT_VERSION {
            return Err(anyhow!(
                "proof is from circuit version {}, this build has {}",
                self.circuit_version,
                crate::cache::CIRCUIT_VERSION
            ));
        }
        let bytes = hex::decode(&self.proof).context("proof is not hex")?;
        ProofWithPublicInputs::from_bytes(bytes, common)
            .map_err(|e| anyhow!("proof does not decode: {e:?}"))
    }

    /// Writes the file.
    pub fn write(&self, path: &Path) -> anyhow::Result<()> {
        let json = serde_json::to_vec_pretty(self)?;
        std::fs::write(path, json).with_context(|| format!("writing {}", path.display()))
    }

    /// Reads a file.
    pub fn read(path: &Path) -> anyhow::Result<Self> {
        let bytes = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
        serde_json::from_slice(&bytes)
            .with_context(|| format!("{} is not a proof file", path.display()))
    }
}
