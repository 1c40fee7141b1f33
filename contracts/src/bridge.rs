//! The Bridge contract from Rust: bindings generated from its compiled ABI (so they cannot
//! drift from `contracts/solidity/Bridge.sol`), its creation bytecode, and deployment.

use alloy::primitives::{Address, Bytes, U256};
use alloy::providers::Provider;
use alloy::sol_types::SolConstructor;
use quire_primitives::{Withdrawal, WithdrawalPath};

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
/// only address that may record withdrawal roots. It costs about 12.4M gas (the deposit
/// history is written once at deployment).
pub async fn deploy_bridge<P: Provider>(provider: &P, rollup: Address) -> anyhow::Result<Address> {
    let mut code = Bridge::BYTECODE.to_vec();
    code.extend(Bridge::constructorCall { rollup_: rollup }.abi_encode());
    crate::deploy::deploy_code(provider, Bytes::from(code), "Bridge").await
}

/// The claim of withdrawal `w` of window `window` along `path` (from
/// [`quire_primitives::WithdrawalTree::path`]): what a wallet sends to the Bridge.
pub fn claim_call(
    window: u64,
    w: &Withdrawal,
    path: WithdrawalPath,
) -> Bridge::claimWithdrawalCall {
    Bridge::claimWithdrawalCall {
        window: U256::from(window),
        index: w.index,
        recipient: w.recipient,
        amount: alloy::primitives::Uint::from(w.amount),
        position: U256::from(path.position),
        siblings: path.siblings,
    }
}
