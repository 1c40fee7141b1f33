//! Recursive aggregation: batch proofs are wrapped into a common shape ([`leaf`]) and
//! folded two at a time ([`fold`]) into one proof covering batches `a..=b`.

pub mod aggregator;
mod child;
pub mod circuits;
pub mod common;
pub mod fold;
pub mod jobs;
pub mod leaf;
pub mod public_inputs;
pub mod wrap;

use plonky2::field::goldilocks_field::GoldilocksField;
use plonky2::plonk::circuit_builder::CircuitBuilder;
use plonky2::plonk::config::PoseidonGoldilocksConfig;
use plonky2::plonk::proof::ProofWithPublicInputs;

pub use aggregator::{Aggregate, Aggregator};
pub use public_inputs::AggregatePublicInputs;

/// The field.
pub type F = GoldilocksField;
/// Configuration of batch, leaf and fold proofs.
pub type C = PoseidonGoldilocksConfig;
/// Extension degree.
pub const EXT: usize = 2;
/// A circuit builder.
pub type Builder = CircuitBuilder<F, EXT>;
/// A leaf or fold proof.
pub type AggregateProof = ProofWithPublicInputs<F, C, EXT>;
