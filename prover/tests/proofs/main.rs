//! The prover's tests in one binary (one link, and one batch circuit built for all of
//! them through `common::circuit()`): `cargo test --release -p quire-prover --test proofs --
//! soundness::` runs one module.

mod batch_proof;
mod common;
mod field_mul_table;
mod keccak_table;
mod largest_circuit;
mod msm_tables;
mod native_agreement;
mod signature_proof;
mod signature_witness;
mod soundness;
