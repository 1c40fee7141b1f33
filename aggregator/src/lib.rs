//! Recursive aggregation, a library of circuits with no job logic: batch proofs and
//! signature proofs are proven again in a common shape ([`leaf`], [`signature_leaf`]), each
//! batch is bound to the signature proof of its transfers ([`bind`]), bound batches are
//! folded two at a time ([`fold`]) into one proof covering batches `a..=b`, and the root is
//! wrapped for L1 ([`wrap`]: Keccak hashing, a high-rate FRI configuration, only the
//! aggregate values public). [`plan`] says which
//! steps a window of batches needs; [`step::prove_step`] runs one from its inputs. Which
//! steps run when, and which outputs are accepted, is the proof coordinator's job.

pub mod aggregator;
pub mod bind;
mod child;
pub mod circuits;
pub mod common;
pub mod files;
pub mod fold;
pub mod leaf;
pub mod plan;
pub mod public_inputs;
pub mod signature_leaf;
pub mod step;
pub mod wrap;
pub mod wrap_hash;

use plonky2::field::goldilocks_field::GoldilocksField;
use plonky2::plonk::circuit_builder::CircuitBuilder;
use plonky2::plonk::config::PoseidonGoldilocksConfig;
use plonky2::plonk::proof::ProofWithPublicInputs;

pub use aggregator::{Aggregate, Aggregator, SignatureAggregate};
pub use files::{FinalProofFile, PartRecord, SignatureProofFile};
pub use plan::{Step, Window};
pub use public_inputs::AggregatePublicInputs;
pub use step::{prove_signatures, prove_step, StepInputs, StepOutput, StepResult};

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
