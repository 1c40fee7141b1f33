//! The Verifier contract from Rust: its alloy bindings, its compiled bytecode, deployment,
//! and the call that checks a final proof on L1.

use alloy::primitives::{Address, Bytes, U256};
use alloy::providers::Provider;
use alloy::sol_types::SolCall;
use anyhow::Context;
use quire_aggregator::wrap::WrapProof;

use crate::calldata::{encode_proof, public_inputs, ProofShape};

/// alloy's generated call and error types carry no docs of their own.
#[allow(missing_docs)]
mod bindings {
    alloy::sol! {
    /// The generated Verifier (contracts/solidity/Verifier.sol).
    interface IVerifier {
        /// A check of the proof failed; `code` names it (see the contract's `fail` sites).
        error InvalidProof(uint256 code);
        /// Reverts unless `proof` is a valid final proof of `publicInputs`.
        function verify(uint256[] calldata publicInputs, bytes calldata proof) external view returns (bool);
        /// Bytes of a proof.
        function PROOF_BYTES() external view returns (uint256);
        /// Keccak-256 of the verifier key the contract pins.
        function KEY_DIGEST() external view returns (bytes32);
    }
    }
}
pub use bindings::IVerifier;

/// Creation bytecode of the committed Verifier (hex), as `forge build` compiles
/// `solidity/Verifier.sol` (`contracts/build.sh` refreshes it).
pub const VERIFIER_BYTECODE_HEX: &str = include_str!("../artifacts/Verifier.bin");

/// The creation bytecode.
pub fn verifier_bytecode() -> anyhow::Result<Bytes> {
    let hex = VERIFIER_BYTECODE_HEX.trim().trim_start_matches("0x");
    Ok(Bytes::from(
        hex::decode(hex).context("artifacts/Verifier.bin is not hex")?,
    ))
}

/// The calldata of `verify(publicInputs, proof)` for a final proof.
pub fn verify_calldata(shape: &ProofShape, proof: &WrapProof) -> anyhow::Result<Bytes> {
    let call = IVerifier::verifyCall {
        publicInputs: public_inputs(proof)
            .into_iter()
            .map(|x| U256::from_limbs(x.into_limbs()))
            .collect(),
        proof: Bytes::from(encode_proof(shape, proof)?),
    };
    Ok(Bytes::from(call.abi_encode()))
}

/// Deploys the committed Verifier from the provider's default account and returns its
/// address once the deployment is mined.
pub async fn deploy_verifier<P: Provider>(provider: &P) -> anyhow::Result<Address> {
    crate::deploy::deploy_code(provider, verifier_bytecode()?, "Verifier").await
}
