//! The batch circuit: gadgets, the slot logic, and the whole-batch circuit.

pub mod address;
mod batch;
pub mod merkle;
pub mod slot;
pub mod targets;
pub mod u96;
mod verifier;

pub use batch::{BatchCircuit, BatchProof, BatchShape};
pub use verifier::BatchVerifier;
