//! quire's L1 contracts seen from Rust: the Verifier contract generated from the final
//! circuit, the calldata layout it reads, the Rollup that settles windows, and the alloy
//! bindings the node calls them with.

pub mod calldata;
pub mod deploy;
pub mod generate;
pub mod rollup;
pub mod verifier;

/// Where the generated Verifier lives in the repository, relative to `contracts/`.
pub const VERIFIER_SOURCE: &str = "solidity/Verifier.sol";
