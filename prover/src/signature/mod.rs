//! Proven signatures: a proof that every transfer of a batch was signed by its sender,
//! exactly as Ethereum defines it, bound to the batch by its transaction commitment.
//!
//! - [`witness`]: from a batch's signed transactions, everything the proof holds;
//! - [`keccak`] and [`secp256k1`]: the starky tables (Keccak-f\[1600\] permutations; the
//!   ECDSA equation with its scalars tied to r, s and z; the 16-bit range table) and the
//!   limb arithmetic they share;
//! - [`tables`]: the three tables proven together, joined by cross-table lookups;
//! - [`circuit`]: the plonky2 circuit that verifies the tables' proofs and ties their rows
//!   to the transfers' fields, their RLP signing payloads and their senders, and exposes
//!   the transaction commitment;
//! - [`recursion`]: a plonky2 verifier of one table on its own (benchmarks, tests).

pub mod circuit;
pub mod keccak;
pub mod recursion;
pub mod secp256k1;
pub mod tables;
pub mod witness;

/// Runs a plonky2 prover, turning its panics (it panics on a witness that does not fit
/// the circuit, such as a cheating one) into errors.
pub fn prove_catching<T>(prove: impl FnOnce() -> anyhow::Result<T>) -> anyhow::Result<T> {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(prove)) {
        Ok(result) => result,
        Err(_) => Err(anyhow::anyhow!("the prover panicked: witness inconsistent")),
    }
}
