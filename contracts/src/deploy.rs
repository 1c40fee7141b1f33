//! Sending a contract's creation code and waiting for its address: one path for every
//! contract the node deploys.

use alloy::network::TransactionBuilder;
use alloy::primitives::{Address, Bytes};
use alloy::providers::Provider;
use alloy::rpc::types::TransactionRequest;
use anyhow::Context;

/// Deploys `code` (creation code, constructor arguments appended) from the provider's
/// default account; `what` names the contract in errors.
pub async fn deploy_code<P: Provider>(
    provider: &P,
    code: Bytes,
    what: &str,
) -> anyhow::Result<Address> {
    let tx = TransactionRequest::default().with_deploy_code(code);
    let receipt = provider
        .send_transaction(tx)
        .await
        .with_context(|| format!("sending the {what}'s deployment"))?
        .get_receipt()
        .await
        .with_context(|| format!("waiting for the {what}'s deployment"))?;
    anyhow::ensure!(receipt.status(), "the {what}'s deployment reverted");
    receipt
        .contract_address
        .context("the deployment receipt names no contract")
}
