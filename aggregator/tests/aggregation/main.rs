//! The aggregator's tests in one binary: `cargo test --release -p quire-aggregator --test
//! aggregation -- key_pin::` runs one module.

mod aggregate;
mod key_pin;
