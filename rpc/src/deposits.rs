//! `quire_getDepositStatus`: where an L1 deposit is on its way to L2, by the L1 transaction
//! that made it, for bridge users who have only their L1 transaction hash.

use std::sync::Arc;

use alloy_primitives::{Address, FixedBytes, B256, U256, U64};
use jsonrpsee::core::RpcResult;
use jsonrpsee::proc_macros::rpc;
use jsonrpsee::types::ErrorObjectOwned;
use quire_deposits::{DepositStore, SeenDeposit};
use quire_sequencer::Sequencer;
use serde::{Deserialize, Serialize};

use crate::errors::server_error;

/// Where a deposit is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DepositState {
    /// Its L1 block has the node's confirmation depth; it waits for L2 inclusion.
    Confirmed,
    /// Credited on L2 (in a block at the node's head or below).
    Credited,
}

/// One deposit as served.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DepositView {
    /// Its index in the Bridge's queue.
    pub index: U64,
    /// Who it credits on L2.
    pub l2_recipient: Address,
    /// Wei.
    pub amount: U256,
    /// The L1 block that holds it.
    pub l1_block: U64,
    /// That block's hash.
    pub l1_block_hash: B256,
    /// The L1 transaction that made it.
    pub l1_transaction_hash: B256,
    /// Its log's index in the L1 block.
    pub log_index: U64,
    /// The Bridge's queue hash after it (`depositAt(index)` on L1 returns the same).
    pub queue_hash: FixedBytes<24>,
    /// Where it is.
    pub status: DepositState,
    /// The L2 block that credited it, once credited.
    pub l2_block: Option<U64>,
}

impl DepositView {
    /// The view of a recorded deposit, given the L2 block that credited it (if any).
    pub fn new(d: SeenDeposit, l2_block: Option<u64>) -> Self {
        Self {
            index: U64::from(d.deposit.index),
            l2_recipient: d.deposit.recipient,
            amount: U256::from(d.deposit.amount),
            l1_block: U64::from(d.deposit.l1_block),
            l1_block_hash: d.l1_block_hash,
            l1_transaction_hash: d.l1_tx,
            log_index: U64::from(d.log_index),
            queue_hash: d.queue_hash,
            status: if l2_block.is_some() {
                DepositState::Credited
            } else {
                DepositState::Confirmed
            },
            l2_block: l2_block.map(U64::from),
        }
    }
}

/// The answer: the deposits the transaction made (empty while its block is not yet deep
/// enough, or when it made none) and how far the node has read L1, so that an empty answer
/// says whether the transaction's block was read yet.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DepositStatus {
    /// The last L1 block whose deposits the node has read (`null` before the first).
    pub scanned_l1_block: Option<U64>,
    /// Deposits the node has seen in the Bridge's queue.
    pub queued: U64,
    /// Deposits L2 has credited (queue indices below this).
    pub credited: U64,
    /// The transaction's deposits, in queue order.
    pub deposits: Vec<DepositView>,
}

/// The deposit methods.
#[rpc(server, client, namespace = "quire")]
pub trait DepositApi {
    /// The deposits an L1 transaction made and where each is.
    #[method(name = "getDepositStatus")]
    fn deposit_status(&self, l1_transaction_hash: B256) -> RpcResult<DepositStatus>;
}

/// Implementation of [`DepositApiServer`] over the watcher's store.
pub struct DepositRpc {
    store: Option<Arc<DepositStore>>,
    sequencer: Arc<Sequencer>,
}

impl DepositRpc {
    /// Serves `store`, with what `sequencer` has credited; without a store (no Bridge
    /// followed) every call says so.
    pub fn new(store: Option<Arc<DepositStore>>, sequencer: Arc<Sequencer>) -> Self {
        Self { store, sequencer }
    }
}

fn store_error(e: quire_deposits::StoreError) -> ErrorObjectOwned {
    tracing::error!(error = %e, "deposit store unreadable while serving RPC");
    server_error(format!("internal error: {e}"))
}

impl DepositApiServer for DepositRpc {
    fn deposit_status(&self, l1_transaction_hash: B256) -> RpcResult<DepositStatus> {
        let store = self
            .store
            .as_ref()
            .ok_or_else(|| server_error("this node does not follow a Bridge (no l1.bridge)"))?;
        let credited = self.sequencer.deposits_credited();
        Ok(DepositStatus {
            scanned_l1_block: store
                .cursor()
                .map_err(store_error)?
                .map(|c| U64::from(c.block)),
            queued: U64::from(store.next_index().map_err(store_error)?),
            credited: U64::from(credited),
            deposits: store
                .by_l1_tx(&l1_transaction_hash)
                .map_err(store_error)?
                .into_iter()
                .map(|d| {
                    let block = self.sequencer.deposit_block(d.deposit.index).map_err(|e| {
                        tracing::error!(error = %e, "chain store unreadable while serving RPC");
                        server_error(format!("internal error: {e}"))
                    })?;
                    Ok(DepositView::new(d, block))
                })
                .collect::<RpcResult<_>>()?,
        })
    }
}
