//! Batch proofs: a plonky2 circuit that proves a batch's state transition.
//!
//! Data flow: [`witness::batch_witness`] replays a sealed batch from the sequencer's store
//! into a [`witness::BatchWitness`]; [`shapes`] picks the smallest standard circuit that
//! fits it; [`cache::CircuitCache`] supplies that circuit (built once, then read from
//! disk); [`circuit::BatchCircuit::prove`] proves it; [`check_against_store`] compares a
//! verified proof's public inputs with what the sequencer recorded.
//!
//! What the circuit proves and what it does not is listed in the README's status section:
//! transaction signatures are trusted, not proven.

pub mod cache;
pub mod circuit;
pub mod pool;
pub mod proof_file;
pub mod public_inputs;
pub mod shapes;
pub mod witness;

use anyhow::{anyhow, Context};
use plonky2::field::goldilocks_field::GoldilocksField;
use plonky2::plonk::circuit_builder::CircuitBuilder;
use plonky2::plonk::config::PoseidonGoldilocksConfig;
use quire_primitives::field::digest_to_b256;
use quire_sequencer::storage::Store;

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

/// Proves sealed batch `number` from the store, verifies the proof, and checks its public
/// inputs against the stored batch.
pub fn prove_stored_batch(
    store: &Store,
    cache: &cache::CircuitCache,
    number: u64,
) -> anyhow::Result<ProvenBatch> {
    let w = witness::batch_witness(store, number)?;
    let (circuit, proof) = prove_witness(cache, &w)?;
    let shape = circuit.shape;
    let public_inputs = circuit.verify(&proof)?;
    if public_inputs != w.expected {
        return Err(anyhow!("proof's public inputs differ from the replay's"));
    }
    check_against_store(&public_inputs, store)?;
    Ok(ProvenBatch {
        shape,
        proof,
        public_inputs,
    })
}

/// Proves a witness with the smallest standard circuit that fits it; returns the circuit
/// with the proof.
pub fn prove_witness(
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

/// Checks a verified proof's public inputs against the sealed batch the sequencer stored:
/// roots, number, transaction commitment and count, base fee, fee recipient, account
/// counts.
pub fn check_against_store(pi: &BatchPublicInputs, store: &Store) -> anyhow::Result<()> {
    let n = pi.batch_number;
    let batch = witness::stored_batch(store, n)?;
    let h = &batch.header;
    let fail = |what: &str| Err(anyhow!("proof's {what} differs from stored batch {n}"));
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
    let before = store.leaves_at(n - 1).context("reading accounts")?.len() as u64;
    let after = store.leaves_at(n).context("reading accounts")?.len() as u64;
    if pi.leaf_count_before != before || pi.leaf_count_after != after {
        return fail("account count");
    }
    Ok(())
}
