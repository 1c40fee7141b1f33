//! Batch proofs: a plonky2 circuit that proves a batch's state transition.
//!
//! A library of circuits and witnesses, with no job logic: the proof coordinator decides
//! what is proven when. Data flow: [`witness::replay_batch`] replays a sealed batch, read
//! through [`ChainReader`], into a [`witness::BatchWitness`]; [`shapes`] picks the
//! smallest standard circuit that fits it; [`cache::CircuitCache`] supplies that circuit
//! (built once, then read from disk); [`circuit::BatchCircuit::prove`] proves it;
//! [`check_against_chain`] compares a verified proof's public inputs with what the
//! sequencer recorded.
//!
//! What the circuit proves and what it does not is listed in the README's status section:
//! transaction signatures are trusted, not proven.

pub mod cache;
pub mod circuit;
pub mod proof_file;
pub mod public_inputs;
pub mod shapes;
pub mod signature;
pub mod witness;

use anyhow::anyhow;
use plonky2::field::goldilocks_field::GoldilocksField;
use plonky2::plonk::circuit_builder::CircuitBuilder;
use plonky2::plonk::config::PoseidonGoldilocksConfig;
use quire_primitives::chain::{ChainReadError, ChainReader};
use quire_primitives::field::digest_to_b256;

pub use circuit::{BatchCircuit, BatchProof, BatchShape, BatchVerifier};
pub use public_inputs::BatchPublicInputs;

/// The field.
pub type F = GoldilocksField;
/// The plonky2 configuration (Poseidon hashing, quadratic extension).
pub type C = PoseidonGoldilocksConfig;
/// Extension degree.
pub const EXT: usize = 2;
/// A circuit builder.
pub type Builder = CircuitBuilder<F, EXT>;

/// A proven and self-checked batch.
pub struct ProvenBatch {
    /// Circuit shape used.
    pub shape: BatchShape,
    /// The proof.
    pub proof: BatchProof,
    /// Its public inputs.
    pub public_inputs: BatchPublicInputs,
}

/// Proves sealed batch `number` of `chain`, verifies the proof, and checks its public
/// inputs against the stored batch.
pub fn prove_sealed_batch(
    chain: &dyn ChainReader,
    cache: &cache::CircuitCache,
    number: u64,
) -> anyhow::Result<ProvenBatch> {
    let w = witness::replay_batch(chain, number)?;
    let (circuit, proof) = prove_with_smallest_circuit(cache, &w)?;
    let shape = circuit.shape;
    let public_inputs = circuit.verify(&proof)?;
    if public_inputs != w.expected {
        return Err(anyhow!("proof's public inputs differ from the replay's"));
    }
    check_against_chain(&public_inputs, chain)?;
    Ok(ProvenBatch {
        shape,
        proof,
        public_inputs,
    })
}

/// Proves a witness with the smallest standard circuit that fits it; returns the circuit
/// with the proof.
pub fn prove_with_smallest_circuit(
    cache: &cache::CircuitCache,
    w: &witness::BatchWitness,
) -> anyhow::Result<(std::sync::Arc<BatchCircuit>, BatchProof)> {
    let shape = shapes::shape_for(w.slots.len(), w.depth).ok_or_else(|| {
        anyhow!(
            "batch {} needs {} slots; the largest circuit has {}",
            w.batch_number,
            w.slots.len(),
            shapes::MAX_SLOTS
        )
    })?;
    let circuit = cache.get(shape)?;
    let proof = circuit.prove(w)?;
    Ok((circuit, proof))
}

/// Proves a witness into a proof file: what every worker hands in, in the node or in
/// `quire prover`.
pub fn prove_to_file(
    cache: &cache::CircuitCache,
    w: &witness::BatchWitness,
) -> anyhow::Result<proof_file::BatchProofFile> {
    let (circuit, proof) = prove_with_smallest_circuit(cache, w)?;
    Ok(proof_file::BatchProofFile::new(
        circuit.shape,
        w.batch_number,
        &proof,
    ))
}

/// Why a proof's public inputs do not match the chain.
#[derive(Debug, thiserror::Error)]
pub enum ChainCheckError {
    /// The chain could not be read (or holds no such sealed batch).
    #[error(transparent)]
    Chain(#[from] ChainReadError),
    /// The proof attests something the sequencer did not record.
    #[error("proof's {what} differs from stored batch {batch}")]
    Differs {
        /// What differs.
        what: &'static str,
        /// Batch.
        batch: u64,
    },
}

/// Checks a verified proof's public inputs against the sealed batch the sequencer stored:
/// roots, number, transaction commitment and count, base fee, fee recipient, account
/// counts, and the deposits credited (count and chain before and after, from the previous
/// batch's header and this one's).
pub fn check_against_chain(
    pi: &BatchPublicInputs,
    chain: &dyn ChainReader,
) -> Result<(), ChainCheckError> {
    let n = pi.batch_number;
    let batch = chain.sealed_batch(n)?;
    let h = &batch.header;
    let fail = |what: &'static str| Err(ChainCheckError::Differs { what, batch: n });
    if digest_to_b256(&pi.prev_root) != h.prev_state_root {
        return fail("previous state root");
    }
    if digest_to_b256(&pi.new_root) != h.state_root {
        return fail("state root");
    }
    if digest_to_b256(&pi.tx_commitment) != h.tx_commitment {
        return fail("transaction commitment");
    }
    if pi.tx_count != h.tx_count {
        return fail("transaction count");
    }
    if pi.base_fee != batch.base_fee {
        return fail("base fee");
    }
    if pi.fee_recipient != batch.fee_recipient {
        return fail("fee recipient");
    }
    let before = chain.leaves_at(n - 1)?.len() as u64;
    let after = chain.leaves_at(n)?.len() as u64;
    if pi.leaf_count_before != before || pi.leaf_count_after != after {
        return fail("account count");
    }
    let prev = chain
        .batch_header(n - 1)?
        .ok_or(ChainReadError::NoBatch(n - 1))?;
    if pi.deposit_count_before != prev.deposit_count
        || digest_to_b256(&pi.deposit_chain_before) != prev.deposit_chain
    {
        return fail("deposits before the batch");
    }
    if pi.deposit_count_after != h.deposit_count
        || digest_to_b256(&pi.deposit_chain_after) != h.deposit_chain
    {
        return fail("deposits credited");
    }
    Ok(())
}
