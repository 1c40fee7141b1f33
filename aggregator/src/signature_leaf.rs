//! Signature leaf circuits: one per signature-circuit capacity. A signature leaf verifies a
//! signature proof (`quire_prover::signature::circuit`) and restates its public inputs
//! (transaction commitment, transfer count, chain id) in the common aggregation shape, so
//! that the bind circuit can verify it beside a batch leaf.

use anyhow::{ensure, Context};
use plonky2::iop::witness::{PartialWitness, WitnessWrite};
use plonky2::plonk::circuit_data::{CircuitData, CommonCircuitData};
use plonky2::plonk::proof::ProofWithPublicInputsTarget;
use quire_prover::signature::circuit::verifier::SignatureVerifier;
use quire_prover::signature::circuit::{SignatureProof, SIGNATURE_INPUTS};

use crate::common::{num_public_inputs, pad_to_common};
use crate::{AggregateProof, Builder, C, EXT, F};

/// A signature leaf circuit for one capacity.
pub struct SignatureLeafCircuit {
    /// Transfers the signature circuit holds.
    pub capacity: usize,
    /// Circuit data (common data equals the aggregation common data).
    pub data: CircuitData<F, C, EXT>,
    proof: ProofWithPublicInputsTarget<EXT>,
}

impl SignatureLeafCircuit {
    /// Builds the leaf for proofs of `signatures`.
    pub fn build(
        signatures: &SignatureVerifier,
        common: &CommonCircuitData<F, EXT>,
    ) -> anyhow::Result<Self> {
        let mut b = Builder::new(crate::common::config());
        let proof = b.add_virtual_proof_with_pis(&signatures.data.common);
        let vd = b.constant_verifier_data(&signatures.data.verifier_only);
        b.verify_proof::<C>(&proof, &vd, &signatures.data.common);
        b.register_public_inputs(&proof.public_inputs[..SIGNATURE_INPUTS]);
        let zero = b.zero();
        for _ in SIGNATURE_INPUTS..num_public_inputs() {
            b.register_public_input(zero);
        }
        pad_to_common(&mut b, common);
        let data = b.build::<C>();
        ensure!(
            &data.common == common,
            "the signature leaf for capacity {} does not match the aggregation shape ({} rows)",
            signatures.capacity,
            data.common.degree()
        );
        Ok(Self {
            capacity: signatures.capacity,
            data,
            proof,
        })
    }

    /// Restates a signature proof (which must verify against the signature circuit).
    pub fn prove(&self, proof: &SignatureProof) -> anyhow::Result<AggregateProof> {
        let mut pw = PartialWitness::new();
        pw.set_proof_with_pis_target(&self.proof, proof)?;
        crate::common::prove_catching("wrapping a signature proof", || {
            self.data.prove(pw).context("wrapping a signature proof")
        })
    }
}
