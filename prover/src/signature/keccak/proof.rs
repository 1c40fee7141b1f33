//! Proving and verifying the Keccak table on its own (its verification inside plonky2 is
//! [`crate::signature::recursion::TableVerifier`]).

use plonky2::field::extension::Extendable;
use plonky2::hash::hash_types::RichField;
use plonky2::plonk::config::GenericConfig;
use plonky2::util::timing::TimingTree;
use starky::config::StarkConfig;
use starky::proof::StarkProofWithPublicInputs;
use starky::prover::prove;
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
