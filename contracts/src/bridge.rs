//! The Bridge contract from Rust: bindings generated from its compiled ABI (so they cannot
//! drift from `contracts/solidity/Bridge.sol`), its creation bytecode, and deployment.

use alloy::primitives::{Address, Bytes};
use alloy::providers::Provider;
use alloy::sol_types::SolConstructor;

/// alloy's generated call, event and error types carry no docs of their own.
#[allow(missing_docs, clippy::too_many_arguments)]
mod bindings {
    alloy::sol!(
        #[derive(Debug, PartialEq, Eq)]
        Bridge,
        "artifacts/Bridge.json"
    );
}
pub use bindings::Bridge;

/// Deploys the committed Bridge from the provider's default account, with `rollup` as the
/// only address that may record withdrawal roots. It costs about 23M gas (the deposit
/// history is written once at deployment).
pub async fn deploy_bridge<P: Provider>(provider: &P, rollup: Address) -> anyhow::Result<Address> {
    let mut code = Bridge::BYTECODE.to_vec();
    code.extend(Bridge::constructorCall { rollup_: rollup }.abi_encode());
    crate::deploy::deploy_code(provider, Bytes::from(code), "Bridge").await
}
