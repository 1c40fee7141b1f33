//! `quire_getWithdrawalProof`: what a bridge user needs to claim an L2 withdrawal on L1 —
//! its number, recipient and amount, the window whose withdrawal root the Bridge records,
//! and the Merkle path to that root — by the L2 transaction that withdrew.

use std::sync::Arc;

use alloy_consensus::Transaction;
use alloy_primitives::{keccak256, Address, B256, U256, U64};
use jsonrpsee::core::RpcResult;
use jsonrpsee::proc_macros::rpc;
use quire_primitives::{ChainReader, Operation, Withdrawal, WithdrawalTree, WITHDRAWAL_ADDRESS};
use quire_sequencer::{Sequencer, TxLookup};
use serde::{Deserialize, Serialize};

use crate::errors::{server_error, store_error};
use crate::L1View;

/// Where a withdrawal is on its way to L1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WithdrawalState {
    /// Included on L2; its window is not closed yet, so its path is not known (nor its
    /// number while its batch is open).
    Pending,
    /// Its window is closed (and its path known); L1 has not finalized it yet.
    Proving,
    /// L1 finalized its window: claimable on the Bridge.
    Finalized,
}

/// A withdrawal with its claim.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WithdrawalProof {
    /// The L2 transaction that withdrew.
    pub transaction_hash: B256,
    /// The L2 block that holds it.
    pub l2_block: U64,
    /// Its batch.
    pub batch: U64,
    /// Its number among every withdrawal of the chain (what the Bridge marks claimed), once
    /// its batch is sealed.
    pub index: Option<U64>,
    /// Who L1 pays: the L2 sender.
    pub recipient: Address,
    /// Wei.
    pub amount: U256,
    /// Where it is.
    pub status: WithdrawalState,
    /// The Rollup's id of its window (the Bridge's `withdrawalRoot(window)`), once closed.
    pub window: Option<U64>,
    /// Its leaf's position in the window's tree, once closed.
    pub position: Option<U64>,
    /// The path from its leaf to the root, bottom first, once closed.
    pub siblings: Option<Vec<B256>>,
    /// The window's withdrawal root, once closed.
    pub root: Option<B256>,
    /// The L1 transaction that finalized its window, once it counts.
    pub finalized: Option<B256>,
}

/// The withdrawal methods.
#[rpc(server, client, namespace = "quire")]
pub trait WithdrawalApi {
    /// A withdrawal's claim, by the L2 transaction that made it; `null` for an unknown
    /// transaction.
    #[method(name = "getWithdrawalProof")]
    fn withdrawal_proof(&self, transaction_hash: B256) -> RpcResult<Option<WithdrawalProof>>;
}

/// Implementation of [`WithdrawalApiServer`].
pub struct WithdrawalRpc {
    seq: Arc<Sequencer>,
    l1: Option<Arc<dyn L1View>>,
}

impl WithdrawalRpc {
    /// Serves `seq`'s withdrawals, with the windows `l1` settles.
    pub fn new(seq: Arc<Sequencer>, l1: Option<Arc<dyn L1View>>) -> Self {
        Self { seq, l1 }
    }

    /// The withdrawals of batches `start..=end` in order, each with its transaction hash.
    fn withdrawals_of(&self, start: u64, end: u64) -> RpcResult<Vec<(B256, Address, u128)>> {
        let chain = self.seq.store().as_ref();
        let mut out = Vec::new();
        for n in start..=end {
            let transfers = chain
                .sealed_batch(n)
                .map_err(|e| server_error(format!("internal error: {e}")))?
                .operations
                .into_iter()
                .filter_map(|op| match op {
                    Operation::Transfer(t) => Some(t),
                    Operation::Deposit(_) => None,
                });
            let raw = chain
                .signed_transactions(n)
                .map_err(|e| server_error(format!("internal error: {e}")))?;
            for (t, raw) in transfers.zip(raw) {
                if t.to == WITHDRAWAL_ADDRESS {
                    out.push((keccak256(&raw), t.sender, t.value));
                }
            }
        }
        Ok(out)
    }
}

impl WithdrawalApiServer for WithdrawalRpc {
    fn withdrawal_proof(&self, transaction_hash: B256) -> RpcResult<Option<WithdrawalProof>> {
        let Some(TxLookup::Included { record, header }) =
            self.seq.tx(&transaction_hash).map_err(store_error)?
        else {
            return Ok(None);
        };
        let mut raw = record.raw.as_ref();
        let envelope =
            <alloy_consensus::TxEnvelope as alloy_eips::Decodable2718>::decode_2718(&mut raw)
                .map_err(|e| server_error(format!("internal error: stored transaction: {e}")))?;
        if envelope.to() != Some(WITHDRAWAL_ADDRESS) {
            return Err(server_error(format!(
                "transaction {transaction_hash} is not a withdrawal (a transfer to {WITHDRAWAL_ADDRESS})"
            )));
        }
        let batch = header.batch_number;
        let amount = u128::try_from(envelope.value())
            .map_err(|_| server_error("internal error: a withdrawal above 2^128 wei"))?;
        let mut proof = WithdrawalProof {
            transaction_hash,
            l2_block: U64::from(header.number),
            batch: U64::from(batch),
            index: None,
            recipient: record.sender,
            amount: U256::from(amount),
            status: WithdrawalState::Pending,
            window: None,
            position: None,
            siblings: None,
            root: None,
            finalized: None,
        };
        let window = self.l1.as_ref().and_then(|l| l.window_of(batch));
        let (start, end) = window.map_or((batch, batch), |w| (w.start, w.end));
        let sealed = self
            .seq
            .batch(batch)
            .map_err(store_error)?
            .is_some_and(|h| h.status() == quire_primitives::BatchStatus::Sealed);
        if !sealed {
            // Its number is known once its batch is sealed (the batch's order is final).
            return Ok(Some(proof));
        }
        let first_index = self
            .seq
            .batch(start - 1)
            .map_err(store_error)?
            .ok_or_else(|| server_error(format!("internal error: batch {} missing", start - 1)))?
            .withdrawal_count;
        let listed = self.withdrawals_of(start, end)?;
        let position = listed
            .iter()
            .position(|(hash, _, _)| *hash == transaction_hash)
            .ok_or_else(|| server_error("internal error: the withdrawal is not in its batch"))?;
        proof.index = Some(U64::from(first_index + position as u64));
        let Some(w) = window else {
            return Ok(Some(proof));
        };
        let leaves: Vec<B256> = listed
            .iter()
            .enumerate()
            .map(|(i, (_, recipient, amount))| {
                Withdrawal {
                    index: first_index + i as u64,
                    recipient: *recipient,
                    amount: *amount,
                }
                .leaf()
            })
            .collect();
        let tree = WithdrawalTree::new(&leaves);
        let path = tree
            .path(position)
            .ok_or_else(|| server_error("internal error: no path to the withdrawal"))?;
        proof.window = Some(U64::from(w.id));
        proof.position = Some(U64::from(path.position));
        proof.siblings = Some(path.siblings);
        proof.root = Some(tree.root());
        proof.finalized = w.finalized;
        proof.status = if w.finalized.is_some() {
            WithdrawalState::Finalized
        } else {
            WithdrawalState::Proving
        };
        Ok(Some(proof))
    }
}
