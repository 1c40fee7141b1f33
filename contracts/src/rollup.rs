//! The Rollup contract from Rust: its alloy bindings, its compiled bytecode and deployment,
//! and the header a window commits to, built from a final proof's public inputs.

use alloy::primitives::{Address, Bytes, B256};
use alloy::providers::Provider;
use alloy::sol_types::SolConstructor;
use quire_aggregator::public_inputs::AggregatePublicInputs;
use quire_primitives::field::digest_to_b256;

/// alloy's generated call, event and error types carry no docs of their own (and the
/// event's generated constructor takes one argument per field). Generated from the compiled
/// ABI, so they cannot drift from `contracts/solidity/Rollup.sol`.
#[allow(missing_docs, clippy::too_many_arguments)]
mod bindings {
    alloy::sol!(
        #[derive(Debug, PartialEq, Eq)]
        Rollup,
        "artifacts/Rollup.json"
    );
}
pub use bindings::Rollup;
pub use bindings::Rollup::WindowHeader;

/// The header a window's final proof attests (and its commit must claim).
pub fn window_header(pi: &AggregatePublicInputs) -> WindowHeader {
    WindowHeader {
        firstBatch: pi.first_batch,
        lastBatch: pi.last_batch,
        prevRoot: digest_to_b256(&pi.prev_root),
        newRoot: digest_to_b256(&pi.new_root),
        leafCountBefore: pi.leaf_count_before,
        leafCountAfter: pi.leaf_count_after,
        batchesDigest: digest_to_b256(&pi.batches_digest),
        txCount: pi.tx_count,
        depositCountBefore: pi.deposit_count_before,
        depositCountAfter: pi.deposit_count_after,
        queueHashBefore: pi.queue_hash_before,
        queueHashAfter: pi.queue_hash_after,
        withdrawalHashBefore: pi.withdrawal_hash_before,
        withdrawalHashAfter: pi.withdrawal_hash_after,
    }
}

/// Deploys the committed Rollup from the provider's default account, for the L2 chain
/// `l2_chain_id` (the chain id its transfers are signed for: the Rollup finalizes no
/// window signed for another) whose state before batch 1 is `genesis_root` with
/// `genesis_leaf_count` accounts, whose commits
/// may leave a deposit waiting at most `deposit_deadline` L1 blocks. Its admin (the
/// deploying account) then names the Bridge ([`crate::bridge::deploy_bridge`]).
pub async fn deploy_rollup<P: Provider>(
    provider: &P,
    verifier: Address,
    l2_chain_id: u32,
    operator: Address,
    genesis_root: B256,
    genesis_leaf_count: u64,
    deposit_deadline: u64,
) -> anyhow::Result<Address> {
    let mut code = Rollup::BYTECODE.to_vec();
    code.extend(
        Rollup::constructorCall {
            verifier_: verifier,
            l2ChainId_: l2_chain_id,
            operator_: operator,
            genesisRoot: genesis_root,
            genesisLeafCount: genesis_leaf_count,
            depositDeadline_: deposit_deadline,
        }
        .abi_encode(),
    );
    crate::deploy::deploy_code(provider, Bytes::from(code), "Rollup").await
}

/// Names `bridge` as the Bridge of the Rollup at `rollup`, from its admin (the provider's
/// default account): once, before the first commit.
pub async fn set_bridge<P: Provider>(
    provider: &P,
    rollup: Address,
    bridge: Address,
) -> anyhow::Result<()> {
    use alloy::network::TransactionBuilder;
    use anyhow::Context;
    let tx = alloy::rpc::types::TransactionRequest::default()
        .with_to(rollup)
        .with_call(&Rollup::setBridgeCall { bridge_: bridge });
    let receipt = provider
        .send_transaction(tx)
        .await
        .context("sending setBridge")?
        .get_receipt()
        .await
        .context("waiting for setBridge")?;
    anyhow::ensure!(receipt.status(), "setBridge reverted");
    Ok(())
}
