//! Rebuilding the L2 state from L1 alone: the Rollup's events name every committed window
//! (reverted ones dropped), each window's data is fetched (blobs from the node that keeps
//! them, calldata from the commit transaction) and checked against what L1 recorded (the
//! versioned hashes, or the calldata hash), then re-executed from genesis. Every window
//! must reproduce its committed batches digest (so the data is exactly the proven
//! transfers), its committed state root, and the deposit count and withdrawal hash its
//! commit claims (read from the commit transaction's header); anything else is refused.
//!
//! Blobs come from `anvil_getBlobsByTransactionHash` (anvil keeps them). A real network
//! prunes blobs from execution nodes after ~18 days and serves them from the beacon API's
//! `blob_sidecars`; that source is not built yet.

use alloy::eips::eip4844::Blob;
use alloy::network::TransactionBuilder;
use alloy::primitives::{keccak256, Address, B256, U256};
use alloy::providers::{Provider, ProviderBuilder};
use alloy::rpc::types::{Filter, TransactionRequest};
use alloy::sol_types::{SolCall, SolEvent};
use anyhow::{bail, ensure, Context};
use quire_aggregator::public_inputs::{range_digest, BatchDigestFields};
use quire_contracts::rollup::Rollup;
use quire_da::{decode_window, Accounts};
use quire_primitives::field::digest_to_b256;
use quire_primitives::withdrawal::{genesis_withdrawal_hash, withdrawal_hash};
use quire_primitives::{Deposit, DepositChain, TxCommitment, WITHDRAWAL_ADDRESS};
use quire_sequencer::execution::{apply_transfer, credit_deposit};
use quire_sequencer::genesis::genesis_tree;
use quire_sequencer::Genesis;

/// What a reconstruction found.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reconstructed {
    /// State root after the last committed window.
    pub state_root: B256,
    /// Last batch committed on L1.
    pub last_committed_batch: u64,
    /// Last batch finalized on L1.
    pub last_finalized_batch: u64,
    /// The finalized state root (as L1 records it; checked against the rebuilt one).
    pub finalized_root: B256,
    /// Windows re-executed.
    pub windows: u64,
    /// Accounts in the rebuilt state (the sentinel leaf included).
    pub accounts: u64,
}

struct Committed {
    id: u64,
    event: Rollup::WindowCommitted,
    tx: B256,
}

/// Rebuilds the state of the chain `genesis` defines from the Rollup at `rollup`.
pub async fn reconstruct(
    l1_rpc_url: &str,
    rollup: Address,
    genesis: &Genesis,
) -> anyhow::Result<Reconstructed> {
    let provider = ProviderBuilder::default().connect_http(l1_rpc_url.parse()?);
    let view = |input: Vec<u8>| {
        let p = provider.clone();
        async move {
            p.call(
                TransactionRequest::default()
                    .with_to(rollup)
                    .with_input(input),
            )
            .await
            .context("reading the Rollup")
        }
    };
    let logs = provider
        .get_logs(&Filter::new().address(rollup).from_block(0))
        .await
        .context("reading the Rollup's events")?;
    let mut windows: Vec<Committed> = Vec::new();
    for log in &logs {
        match log.topic0() {
            Some(t) if *t == Rollup::WindowCommitted::SIGNATURE_HASH => {
                let event = Rollup::WindowCommitted::decode_log(&log.inner)
                    .context("a malformed WindowCommitted event")?
                    .data;
                let id: u64 = event.window.try_into().context("window id")?;
                ensure!(
                    id == windows.len() as u64 + 1,
                    "window {id} committed out of order"
                );
                windows.push(Committed {
                    id,
                    event,
                    tx: log
                        .transaction_hash
                        .context("a log without its transaction")?,
                });
            }
            Some(t) if *t == Rollup::WindowsReverted::SIGNATURE_HASH => {
                let event = Rollup::WindowsReverted::decode_log(&log.inner)
                    .context("a malformed WindowsReverted event")?
                    .data;
                windows.truncate(event.keptWindows.try_into().context("kept windows")?);
            }
            _ => {}
        }
    }
    let finalized_batch = Rollup::lastFinalizedBatchCall::abi_decode_returns(
        &view(Rollup::lastFinalizedBatchCall {}.abi_encode()).await?,
    )?;
    let finalized_root = Rollup::finalizedStateRootCall::abi_decode_returns(
        &view(Rollup::finalizedStateRootCall {}.abi_encode()).await?,
    )?;

    let mut tree = genesis_tree(genesis).map_err(anyhow::Error::msg)?;
    tree.commit();
    let mut accounts = Accounts::new(tree.leaves().iter().map(|l| (l.key, l.nonce)));
    let mut root = digest_to_b256(&tree.root());
    let mut last_batch = 0;
    let mut finalized_seen = finalized_batch == 0 && finalized_root == root;
    let mut deposit_count = 0u64;
    let mut deposit_chain = DepositChain::empty();
    let mut withdrawals = genesis_withdrawal_hash();
    for w in &windows {
        let e = &w.event;
        let id = w.id;
        let header = commit_header(&provider, w).await?;
        ensure!(
            e.prevRoot == root,
            "window {id} starts from {}, the rebuilt state is {root}",
            e.prevRoot
        );
        let data = window_data(&provider, w).await?;
        let window = decode_window(&data, &mut accounts)
            .with_context(|| format!("window {id}'s data does not decode"))?;
        ensure!(
            window.first_batch == e.firstBatch
                && window.batches.len() as u64 == e.lastBatch - e.firstBatch + 1,
            "window {id}'s data covers other batches than its commit"
        );
        let mut digests = Vec::new();
        for (i, batch) in window.batches.iter().enumerate() {
            let number = e.firstBatch + i as u64;
            let mut commitment = TxCommitment::empty();
            let mut count = 0;
            let deposits_before = (deposit_count, deposit_chain.0);
            for block in &batch.blocks {
                for c in &block.deposits {
                    let d = Deposit {
                        index: deposit_count,
                        recipient: c.recipient,
                        amount: c.amount,
                        l1_block: 0,
                    };
                    credit_deposit(&mut tree, &d, batch.fee_recipient).map_err(|why| {
                        anyhow::anyhow!(
                            "batch {number}: deposit {} cannot be credited ({why})",
                            d.index
                        )
                    })?;
                    deposit_chain.absorb(&d);
                    deposit_count += 1;
                }
                for t in &block.transfers {
                    let upfront = U256::from(t.gas_limit)
                        .saturating_mul(U256::from(t.max_fee_per_gas))
                        .saturating_add(U256::from(t.value));
                    apply_transfer(&mut tree, t, upfront, batch.fee_recipient, batch.base_fee)
                        .map_err(|why| {
                            anyhow::anyhow!("batch {number}: a transfer does not execute ({why})")
                        })?;
                    commitment.absorb(t);
                    count += 1;
                    if t.to == WITHDRAWAL_ADDRESS {
                        withdrawals = withdrawal_hash(withdrawals, &t.sender, t.value);
                    }
                }
            }
            digests.push(
                BatchDigestFields {
                    number,
                    tx_commitment: commitment.0,
                    tx_count: count,
                    base_fee: batch.base_fee,
                    fee_recipient: batch.fee_recipient,
                    chain_id: genesis.chain_id,
                    deposits_before,
                    deposits_after: (deposit_count, deposit_chain.0),
                }
                .digest(),
            );
        }
        tree.commit();
        root = digest_to_b256(&tree.root());
        ensure!(
            digest_to_b256(&range_digest(&digests)) == e.batchesDigest,
            "window {id}'s data is not the transfers its commit's digest names"
        );
        ensure!(
            root == e.newRoot,
            "window {id} rebuilds state root {root}, its commit claims {}",
            e.newRoot
        );
        ensure!(
            (header.depositCountAfter, header.withdrawalHashAfter) == (deposit_count, withdrawals),
            "window {id}'s data credits other deposits or makes other withdrawals than its commit claims"
        );
        last_batch = e.lastBatch;
        if e.lastBatch == finalized_batch {
            ensure!(
                root == finalized_root,
                "the rebuilt state at batch {finalized_batch} is not L1's finalized root"
            );
            finalized_seen = true;
        }
    }
    if !finalized_seen {
        bail!("L1 finalized batch {finalized_batch}, which no committed window ends at");
    }
    Ok(Reconstructed {
        state_root: root,
        last_committed_batch: last_batch,
        last_finalized_batch: finalized_batch,
        finalized_root,
        windows: windows.len() as u64,
        accounts: tree.len(),
    })
}

/// The header window `w`'s commit transaction claimed.
async fn commit_header<P: Provider>(
    provider: &P,
    w: &Committed,
) -> anyhow::Result<Rollup::WindowHeader> {
    let tx = provider
        .get_transaction_by_hash(w.tx)
        .await?
        .with_context(|| format!("commit transaction {} not found", w.tx))?;
    let call = Rollup::commitWindowCall::abi_decode(alloy::consensus::Transaction::input(&tx))
        .with_context(|| format!("transaction {} is not a commit", w.tx))?;
    Ok(call.h)
}

/// A window's published bytes, checked against what its commit recorded.
async fn window_data<P: Provider>(provider: &P, w: &Committed) -> anyhow::Result<Vec<u8>> {
    let e = &w.event;
    if e.blobHashes.is_empty() {
        let tx = provider
            .get_transaction_by_hash(w.tx)
            .await?
            .with_context(|| format!("commit transaction {} not found", w.tx))?;
        let input = alloy::consensus::Transaction::input(&tx);
        let call = Rollup::commitWindowCall::abi_decode(input)
            .with_context(|| format!("transaction {} is not a commit", w.tx))?;
        ensure!(
            keccak256(&call.data) == e.calldataHash,
            "window {}'s calldata does not hash to what L1 recorded",
            w.id
        );
        return Ok(call.data.to_vec());
    }
    let blobs: Vec<Blob> = provider
        .raw_request("anvil_getBlobsByTransactionHash".into(), (w.tx,))
        .await
        .with_context(|| format!("fetching the blobs of {}", w.tx))?;
    let hashes: Vec<B256> = e.blobHashes.clone();
    Ok(quire_da::data_from_blobs(&blobs, &hashes)?)
}
