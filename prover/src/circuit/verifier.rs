//! A batch circuit's verifier side alone: what checking a submitted proof and building the
//! aggregator need. It is kilobytes, where the whole circuit (prover data included) is
//! hundreds of megabytes, so a node can hold one for every standard shape.

use anyhow::{anyhow, Context};
use plonky2::plonk::circuit_data::VerifierCircuitData;
use plonky2::util::serialization::DefaultGateSerializer;

use super::batch::{BatchCircuit, BatchProof, BatchShape};
use crate::public_inputs::{BatchPublicInputs, PUBLIC_INPUTS};
use crate::{C, EXT, F};

/// Verifier data of one batch circuit.
pub struct BatchVerifier {
    /// Its shape.
    pub shape: BatchShape,
    /// Common and verifier-only data.
    pub data: VerifierCircuitData<F, C, EXT>,
}

impl BatchVerifier {
    /// The verifier side of a built circuit.
    pub fn of(circuit: &BatchCircuit) -> Self {
        Self {
            shape: circuit.shape,
            data: circuit.data.verifier_data(),
        }
    }

    /// Checks a proof and decodes its public inputs.
    pub fn verify(&self, proof: &BatchProof) -> anyhow::Result<BatchPublicInputs> {
        self.data
            .verify(proof.clone())
            .context("batch proof does not verify")?;
        Ok(BatchPublicInputs::from_elements(&proof.public_inputs)?)
    }

    /// Serialises the shape and verifier data.
    pub fn to_bytes(&self) -> anyhow::Result<Vec<u8>> {
        let data = self
            .data
            .to_bytes(&DefaultGateSerializer)
            .map_err(|e| anyhow!("serialising verifier data: {e:?}"))?;
        let mut out = Vec::with_capacity(data.len() + 16);
        out.extend_from_slice(&(self.shape.slots as u64).to_le_bytes());
        out.extend_from_slice(&(self.shape.depth as u64).to_le_bytes());
        out.extend_from_slice(&data);
        Ok(out)
    }

    /// Reads what [`Self::to_bytes`] wrote.
    pub fn from_bytes(bytes: &[u8]) -> anyhow::Result<Self> {
        if bytes.len() < 16 {
            return Err(anyhow!("truncated verifier file"));
        }
        let word = |at: usize| u64::from_le_bytes(bytes[at..at + 8].try_into().expect("8 bytes"));
        let shape = BatchShape {
            slots: word(0) as usize,
            depth: word(8) as usize,
        };
        let data = VerifierCircuitData::from_bytes(bytes[16..].to_vec(), &DefaultGateSerializer)
            .map_err(|e| anyhow!("reading verifier data: {e:?}"))?;
        if data.common.num_public_inputs != PUBLIC_INPUTS {
            return Err(anyhow!("verifier file is not a batch circuit's"));
        }
        Ok(Self { shape, data })
    }
}
