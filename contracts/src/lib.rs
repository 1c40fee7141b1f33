//! quire's L1 contracts seen from Rust: the Verifier contract generated from the final
//! circuit, the calldata layout it reads, and the alloy bindings the node calls it with.

pub mod calldata;
pub mod generate;
pub mod verifier;

/// Where the generated Verifier lives in the repository, relative to `contracts/`.
pub const VERIFIER_SOURCE: &str = "solidity/Verifier.sol";
