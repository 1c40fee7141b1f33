//! Proven signatures: the tables that will let a batch proof attest that every transaction
//! was signed by its sender, exactly as Ethereum defines it.
//!
//! Built so far, each proven on its own: [`keccak`], a starky table of Keccak-f\[1600\]
//! permutations (one round per row; signing hashes and addresses are Keccak-256 digests),
//! verified inside a plonky2 circuit; and [`secp256k1`], limb arithmetic, scalar
//! multiplication and the ECDSA equation s·R − r·Q − z·G = 0. Not built yet: what ties
//! the tables' values to each other and to a transaction (cross-table lookups, scalar
//! recomposition, the signing-hash and address construction) and the binding to the
//! batch's transaction commitment; the README's status section says what is still
//! trusted.

pub mod keccak;
pub mod recursion;
pub mod secp256k1;
pub mod witness;
