//! Proving and verifying the Keccak table on its own, and verifying its proof inside a
//! plonky2 circuit (where the batch proof's aggregation will consume it).

use anyhow::{ensure, Context};
use plonky2::field::extension::Extendable;
use plonky2::hash::hash_types::RichField;
use plonky2::iop::target::Target;
use plonky2::iop::witness::PartialWitness;
use plonky2::plonk::circuit_builder::CircuitBuilder;
use plonky2::plonk::circuit_data::{CircuitConfig, CircuitData};
use plonky2::plonk::config::{AlgebraicHasher, GenericConfig};
use plonky2::plonk::proof::ProofWithPublicInputs;
use plonky2::util::timing::TimingTree;
use starky::config::StarkConfig;
use starky::proof::{StarkProofWithPublicInputs, StarkProofWithPublicInputsTarget};
use starky::prover::prove;
use starky::recursive_verifier::{
    add_virtual_stark_proof_with_pis, set_stark_proof_with_pis_target, verify_stark_proof_circuit,
};
use starky::verifier::verify_stark_proof;

use super::stark::KeccakStark;
use super::trace::{generate_trace, KeccakState};

/// The FRI settings the Keccak table is proven with: rate 1/2 (constraints of degree 3),
/// 84 queries and 16 bits of grinding, 100 conjectured bits (starky's standard config).
pub fn keccak_stark_config() -> StarkConfig {
    StarkConfig::standard_fast_config()
}

/// Proves a table of the permutations of `inputs`; returns the proof and the outputs.
pub fn prove_permutations<F, C, const D: usize>(
    inputs: &[KeccakState],
    config: &StarkConfig,
) -> anyhow::Result<(StarkProofWithPublicInputs<F, C, D>, Vec<KeccakState>)>
where
    F: RichField + Extendable<D>,
    C: GenericConfig<D, F = F>,
{
    let (trace, outputs) = generate_trace::<F>(inputs);
    let proof = prove_trace::<F, C, D>(trace, config)?;
    Ok((proof, outputs))
}

/// Proves a table from its columns (tests use it to try altered traces).
pub fn prove_trace<F, C, const D: usize>(
    trace: Vec<plonky2::field::polynomial::PolynomialValues<F>>,
    config: &StarkConfig,
) -> anyhow::Result<StarkProofWithPublicInputs<F, C, D>>
where
    F: RichField + Extendable<D>,
    C: GenericConfig<D, F = F>,
{
    prove::<F, C, _, D>(
        KeccakStark::<F, D>::new(),
        config,
        trace,
        &[],
        None,
        &mut TimingTree::default(),
    )
}

/// Verifies a table proof natively.
pub fn verify_permutations<F, C, const D: usize>(
    proof: &StarkProofWithPublicInputs<F, C, D>,
    config: &StarkConfig,
) -> anyhow::Result<()>
where
    F: RichField + Extendable<D>,
    C: GenericConfig<D, F = F>,
{
    verify_stark_proof(KeccakStark::<F, D>::new(), proof.clone(), config, None)
}

/// A plonky2 circuit that verifies one Keccak table proof of a fixed size.
pub struct KeccakTableVerifier<
    F: RichField + Extendable<D>,
    C: GenericConfig<D, F = F>,
    const D: usize,
> {
    /// The circuit.
    pub data: CircuitData<F, C, D>,
    proof: StarkProofWithPublicInputsTarget<D>,
    zero: Target,
    degree_bits: usize,
    config: StarkConfig,
}

impl<F, C, const D: usize> KeccakTableVerifier<F, C, D>
where
    F: RichField + Extendable<D>,
    C: GenericConfig<D, F = F>,
    C::Hasher: AlgebraicHasher<F>,
{
    /// Builds the circuit for tables of 2^`degree_bits` rows.
    pub fn new(degree_bits: usize, config: &StarkConfig) -> Self {
        let mut builder = CircuitBuilder::<F, D>::new(CircuitConfig::standard_recursion_config());
        let stark = KeccakStark::<F, D>::new();
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
