//! Proven signatures: the tables that will let a batch proof attest that every transaction
//! was signed by its sender, exactly as Ethereum defines it.
//!
//! Built so far: [`keccak`], a starky table of Keccak-f\[1600\] permutations (one round per
//! row), proven on its own and verified inside a plonky2 circuit. Signing hashes and
//! addresses are Keccak-256 digests, so every later piece (the signing-hash sponge, the
//! secp256k1 table, the binding to the batch's transaction commitment) looks permutations
//! up in this table. Those pieces are not built yet: the README's status section says what
//! is still trusted.

pub mod keccak;
pub mod secp256k1;
