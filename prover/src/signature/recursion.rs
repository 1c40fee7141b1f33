//! Verifying a signature table's proof inside plonky2, where the batch proof's aggregation
//! will consume it: one circuit per table and size.

use anyhow::{ensure, Context};
use plonky2::field::extension::Extendable;
use plonky2::hash::hash_types::RichField;
use plonky2::iop::target::Target;
use plonky2::iop::witness::PartialWitness;
use plonky2::plonk::circuit_builder::CircuitBuilder;
use plonky2::plonk::circuit_data::{CircuitConfig, CircuitData};
use plonky2::plonk::config::{AlgebraicHasher, GenericConfig};
use plonky2::plonk::proof::ProofWithPublicInputs;
use starky::config::StarkConfig;
use starky::proof::{StarkProofWithPublicInputs, StarkProofWithPublicInputsTarget};
use starky::recursive_verifier::{
    add_virtual_stark_proof_with_pis, set_stark_proof_with_pis_target, verify_stark_proof_circuit,
};
use starky::stark::Stark;

/// A plonky2 circuit that verifies one proof of table `S` at 2^`degree_bits` rows.
pub struct TableVerifier<F: RichField + Extendable<D>, C: GenericConfig<D, F = F>, const D: usize> {
    /// The circuit.
    pub data: CircuitData<F, C, D>,
    proof: StarkProofWithPublicInputsTarget<D>,
    zero: Target,
    degree_bits: usize,
    config: StarkConfig,
}

impl<F, C, const D: usize> TableVerifier<F, C, D>
where
    F: RichField + Extendable<D>,
    C: GenericConfig<D, F = F>,
    C::Hasher: AlgebraicHasher<F>,
{
    /// Builds the circuit for proofs of `stark` at 2^`degree_bits` rows.
    pub fn new<S: Stark<F, D>>(stark: S, degree_bits: usize, config: &StarkConfig) -> Self {
        let mut builder = CircuitBuilder::<F, D>::new(CircuitConfig::standard_recursion_config());
        let proof =
            add_virtual_stark_proof_with_pis(&mut builder, &stark, config, degree_bits, 0, 0);
        verify_stark_proof_circuit::<F, C, _, D>(&mut builder, stark, proof.clone(), config, None);
        let zero = builder.zero();
        Self {
            data: builder.build::<C>(),
            proof,
            zero,
            degree_bits,
            config: config.clone(),
        }
    }

    /// Proves that `proof` verifies.
    pub fn prove(
        &self,
        proof: &StarkProofWithPublicInputs<F, C, D>,
    ) -> anyhow::Result<ProofWithPublicInputs<F, C, D>> {
        let degree_bits = proof.proof.recover_degree_bits(&self.config);
        ensure!(
            degree_bits == self.degree_bits,
            "a table of 2^{degree_bits} rows given to the verifier circuit of 2^{} rows",
            self.degree_bits
        );
        let mut pw = PartialWitness::new();
        set_stark_proof_with_pis_target(&mut pw, &self.proof, proof, degree_bits, self.zero)
            .context("setting the table proof")?;
        self.data.prove(pw)
    }
}
