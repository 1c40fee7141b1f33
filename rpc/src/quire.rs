//! `quire_*`: rollup data that has no Ethereum equivalent.

use std::sync::Arc;

use alloy_primitives::{Address, FixedBytes, B256, U64};
use jsonrpsee::core::RpcResult;
use jsonrpsee::proc_macros::rpc;
use quire_aggregator::FinalProofFile;
use quire_coordinator::{AcceptedBatchProof, Coordinator, CoordinatorError, ProvingStatus};
use quire_primitives::{BatchHeader, BatchStatus};
use quire_sequencer::Sequencer;
use serde::{Deserialize, Serialize};

use crate::errors::{server_error, store_error};

/// Where a batch is in its life: `open` (taking blocks), `sealed` (waiting for a prover),
/// `proving` (a prover holds the job), `proven` (its proof is accepted), `aggregated` (a
/// final proof covering it is accepted), `committed` (its data is on L1, before it is
/// aggregated), `finalized` (L1 accepted the final proof of its window).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BatchState {
    /// Taking blocks.
    Open,
    /// Sealed, not yet proven.
    Sealed,
    /// A prover holds the job.
    Proving,
    /// Its proof is accepted.
    Proven,
    /// A final (aggregated, wrapped) proof covers it.
    Aggregated,
    /// Its window's data is committed on L1 (its proof is not on L1 yet).
    Committed,
    /// L1 finalized it: the Verifier accepted a final proof of its window.
    Finalized,
}

impl From<ProvingStatus> for BatchState {
    fn from(s: ProvingStatus) -> Self {
        match s {
            ProvingStatus::Open => Self::Open,
            ProvingStatus::Sealed => Self::Sealed,
            ProvingStatus::Proving => Self::Proving,
            ProvingStatus::Proven => Self::Proven,
            ProvingStatus::Aggregated => Self::Aggregated,
        }
    }
}

/// A batch as served over RPC.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchView {
    /// Batch number.
    pub number: U64,
    /// `open`, `sealed`, `proving`, `proven`, `aggregated`, `committed` or `finalized`.
    pub status: BatchState,
    /// First block.
    pub first_block: U64,
    /// Last block.
    pub last_block: U64,
    /// Transfers in the batch.
    pub tx_count: U64,
    /// Slots its batch proof needs (transfers plus accounts they create).
    pub proof_slots: U64,
    /// Size of its data-availability encoding.
    pub data_bytes: U64,
    /// State root before the batch.
    pub prev_state_root: B256,
    /// State root after the batch.
    pub state_root: B256,
    /// Poseidon commitment to its transfers.
    pub tx_commitment: B256,
    /// L1 deposits credited from genesis to the end of the batch (the queue index of the
    /// next one).
    pub deposit_count: U64,
    /// Poseidon chain of those deposits' recipients and amounts.
    pub deposit_chain: B256,
    /// The Bridge's queue hash after the last of those deposits (`depositAt` on L1).
    pub queue_hash: FixedBytes<24>,
    /// Withdrawals to L1 made from genesis to the end of the batch.
    pub withdrawal_count: U64,
    /// The hash of those withdrawals, in order (what the Rollup checks the withdrawals it
    /// records against).
    pub withdrawal_hash: FixedBytes<24>,
    /// Base fee of its blocks (one per batch), wei; absent while it has no block.
    pub base_fee: Option<U64>,
    /// Fee recipient of its blocks (one per batch).
    pub fee_recipient: Option<Address>,
    /// Unix milliseconds when opened.
    pub opened_at: U64,
    /// Unix milliseconds when sealed, if sealed.
    pub sealed_at: Option<U64>,
    /// The L1 transaction that committed its window, once it counts (deep enough).
    pub committed: Option<B256>,
    /// The L1 transaction that finalized its window with a proof, once it counts.
    pub finalized: Option<B256>,
}

impl From<BatchHeader> for BatchView {
    fn from(b: BatchHeader) -> Self {
        Self {
            number: U64::from(b.number),
            status: match b.status() {
                BatchStatus::Open => BatchState::Open,
                BatchStatus::Sealed => BatchState::Sealed,
            },
            first_block: U64::from(b.first_block),
            last_block: U64::from(b.last_block),
            tx_count: U64::from(b.tx_count),
            proof_slots: U64::from(b.proof_slots),
            data_bytes: U64::from(b.data_bytes),
            prev_state_root: b.prev_state_root,
            state_root: b.state_root,
            tx_commitment: b.tx_commitment,
            deposit_count: U64::from(b.deposit_count),
            deposit_chain: b.deposit_chain,
            queue_hash: b.queue_hash,
            withdrawal_count: U64::from(b.withdrawal_count),
            withdrawal_hash: b.withdrawal_hash,
            base_fee: None,
            fee_recipient: None,
            opened_at: U64::from(b.opened_at_ms),
            sealed_at: (b.sealed_at_ms != 0).then(|| U64::from(b.sealed_at_ms)),
            committed: None,
            finalized: None,
        }
    }
}

/// The `quire` namespace.
#[rpc(server, client, namespace = "quire")]
pub trait QuireApi {
    /// Number of the newest batch (open or sealed).
    #[method(name = "batchNumber")]
    fn batch_number(&self) -> RpcResult<U64>;
    /// A batch with its status and roots.
    #[method(name = "getBatchByNumber")]
    fn batch_by_number(&self, number: U64) -> RpcResult<Option<BatchView>>;
    /// The accepted proof of a batch (`{worker, file}`, the file as `quire verify-batch`
    /// reads it), or `null` while it has none.
    #[method(name = "getBatchProof")]
    fn batch_proof(&self, number: U64) -> RpcResult<Option<AcceptedBatchProof>>;
    /// The accepted final proof covering a batch (the newest one without a number), as
    /// `quire verify` reads it, or `null` while there is none.
    #[method(name = "getAggregateProof")]
    fn aggregate_proof(&self, number: Option<U64>) -> RpcResult<Option<FinalProofFile>>;
}

/// Implementation of [`QuireApiServer`].
pub struct QuireRpc {
    seq: Arc<Sequencer>,
    coordinator: Arc<Coordinator>,
    l1: Option<Arc<dyn crate::L1View>>,
}

impl QuireRpc {
    /// Serves `seq`'s batches with `coordinator`'s proving state and `l1`'s settlement.
    pub fn new(
        seq: Arc<Sequencer>,
        coordinator: Arc<Coordinator>,
        l1: Option<Arc<dyn crate::L1View>>,
    ) -> Self {
        Self {
            seq,
            coordinator,
            l1,
        }
    }
}

impl QuireApiServer for QuireRpc {
    fn batch_number(&self) -> RpcResult<U64> {
        let latest = self
            .seq
            .latest_batch()
            .map_err(store_error)?
            .ok_or_else(|| server_error("no batches"))?;
        Ok(U64::from(latest.number))
    }

    fn batch_by_number(&self, number: U64) -> RpcResult<Option<BatchView>> {
        let n: u64 = number.to();
        let Some(header) = self.seq.batch(n).map_err(store_error)? else {
            return Ok(None);
        };
        let status = self.coordinator.status(&header).map_err(internal)?;
        let fees = self
            .seq
            .store()
            .block(header.first_block)
            .map_err(store_error)?;
        let mut view = BatchView::from(header);
        view.status = status.into();
        if let Some(w) = self.l1.as_ref().and_then(|l| l.window_of(n)) {
            view.committed = w.committed;
            view.finalized = w.finalized;
            if w.finalized.is_some() {
                view.status = BatchState::Finalized;
            } else if w.committed.is_some() && view.status != BatchState::Aggregated {
                view.status = BatchState::Committed;
            }
        }
        if let Some(block) = fees {
            view.base_fee = Some(U64::from(block.header.base_fee));
            view.fee_recipient = Some(block.header.fee_recipient);
        }
        Ok(Some(view))
    }

    fn batch_proof(&self, number: U64) -> RpcResult<Option<AcceptedBatchProof>> {
        self.coordinator.batch_proof(number.to()).map_err(internal)
    }

    fn aggregate_proof(&self, number: Option<U64>) -> RpcResult<Option<FinalProofFile>> {
        match number {
            Some(n) => self.coordinator.final_proof_covering(n.to()),
            None => self.coordinator.latest_final_proof(),
        }
        .map_err(internal)
    }
}

fn internal(e: CoordinatorError) -> jsonrpsee::types::ErrorObjectOwned {
    tracing::error!(error = %e, "proving records unreadable while serving RPC");
    server_error(format!("internal error: {e}"))
}
