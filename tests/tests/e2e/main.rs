//! End-to-end tests: the real node, anvil, cast and alloy, in one test binary (one link of
//! the whole node instead of ten); `cargo test -p quire-tests --test e2e -- settlement::`
//! runs one module. Tests that aggregate take `one_aggregating_test_at_a_time`: a final wrap
//! needs ~13 GB. Here the wraps run in child processes (nodes started with `spawn_node`);
//! the tests that wrap inside the test process (`aggregation.rs`, `prover_pool.rs`) are
//! binaries of their own: after its in-process wrap the test process still held 9.9 GB
//! (memory the allocator keeps, or still alive: not investigated), and beside a node's
//! wrap in a child process (13.1 GB) that ran this 24 GB machine out of memory (2026-12-08).

mod bad_input;
mod batch_proofs;
mod bridge_contract;
mod crash_recovery;
mod deposit_watcher;
mod devnet;
mod prover_faults;
mod settlement;
mod verifier_contract;
mod wallets;
