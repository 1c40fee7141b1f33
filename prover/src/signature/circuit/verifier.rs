//! A signature circuit's verifier side alone: what checking a submitted signature proof
//! and building the aggregator need (kilobytes, where the circuit with its prover data is
//! gigabytes).

use anyhow::{anyhow, Context};
use plonky2::plonk::circuit_data::VerifierCircuitData;
use plonky2::util::serialization::DefaultGateSerializer;

use super::{SignatureCircuit, SignatureProof, SignaturePublicInputs, SIGNATURE_INPUTS};
use crate::{C, EXT, F};

/// Verifier data of one signature circuit.
pub struct SignatureVerifier {
    /// Transfers the circuit holds.
    pub capacity: usize,
    /// Common and verifier-only data.
    pub data: VerifierCircuitData<F, C, EXT>,
}

impl SignatureVerifier {
    /// The verifier side of a built circuit.
    pub fn of(circuit: &SignatureCircuit) -> Self {
        Self {
            capacity: circuit.capacity,
            data: circuit.data.verifier_data(),
        }
    }

    /// Checks a proof and decodes its public inputs.
    pub fn verify(&self, proof: &SignatureProof) -> anyhow::Result<SignaturePublicInputs> {
        self.data
            .verify(proof.clone())
            .context("signature proof does not verify")?;
        SignaturePublicInputs::from_elements(&proof.public_inputs)
    }

    /// Serialises the capacity and verifier data.
    pub fn to_bytes(&self) -> anyhow::Result<Vec<u8>> {
        let data = self
            .data
            .to_bytes(&DefaultGateSerializer)
            .map_err(|e| anyhow!("serialising verifier data: {e:?}"))?;
        let mut out = (self.capacity as u64).to_le_bytes().to_vec();
        out.extend_from_slice(&data);
        Ok(out)
    }

    /// Reads what [`Self::to_bytes`] wrote.
    pub fn from_bytes(bytes: &[u8]) -> anyhow::Result<Self> {
        if bytes.len() < 8 {
            return Err(anyhow!("truncated verifier file"));
        }
        let capacity = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")) as usize;
        let data = VerifierCircuitData::from_bytes(bytes[8..].to_vec(), &DefaultGateSerializer)
            .map_err(|e| anyhow!("reading verifier data: {e:?}"))?;
        if data.common.num_public_inputs != SIGNATURE_INPUTS {
            return Err(anyhow!("verifier file is not a signature circuit's"));
        }
        Ok(Self { capacity, data })
    }
}
