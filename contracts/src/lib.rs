//! quire's L1 contracts seen from Rust: the Verifier contract generated from the final
//! circuit, the calldata layout it reads, the Rollup that settles windows, the Bridge that
//! holds deposits and pays withdrawals, and the alloy bindings the node calls them with.

pub mod bridge;
pub mod calldata;
pub mod deploy;
pub mod generate;
pub mod rollup;
pub mod verifier;

/// Where the generated Verifier lives in the repository, relative to `contracts/`.
pub const VERIFIER_SOURCE: &str = "solidity/Verifier.sol";
