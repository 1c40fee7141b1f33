//! End-to-end tests: the real node, anvil, cast and alloy. One test binary (one link of
//! the whole node instead of twelve); `cargo test -p quire-tests --test e2e -- settlement::`
//! runs one module. Tests that aggregate take `one_aggregating_test_at_a_time`: a final wrap
//! needs ~13 GB.

mod aggregation;
mod bad_input;
mod batch_proofs;
mod bridge_contract;
mod crash_recovery;
mod deposit_watcher;
mod devnet;
mod prover_faults;
mod prover_pool;
mod settlement;
mod verifier_contract;
mod wallets;
