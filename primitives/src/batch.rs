//! Batch headers: the unit of proving and of data availability.

use alloy_primitives::B256;

use crate::deposit::{DepositChain, QueueHash};
use crate::field::b256_to_digest;
use crate::withdrawal::WithdrawalHash;
use crate::BridgeState;
use alloy_rlp::{RlpDecodable, RlpEncodable};
use serde::{Deserialize, Serialize};

/// Where a batch is in its life. Later stages (proving, committed on L1, proven, finalized)
/// arrive with the prover and L1 issues; today a batch is open or sealed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum BatchStatus {
    /// Still receiving blocks.
    Open,
    /// Closed: its blocks, roots and transaction commitment are final.
    Sealed,
}

impl BatchStatus {
    /// Stable code used in storage.
    pub fn code(self) -> u8 {
        match self {
            Self::Open => 0,
            Self::Sealed => 1,
        }
    }

    /// Inverse of [`Self::code`].
    pub fn from_code(code: u8) -> Option<Self> {
        match code {
            0 => Some(Self::Open),
            1 => Some(Self::Sealed),
            _ => None,
        }
    }
}

/// A batch of consecutive blocks and the public facts a batch proof will attest to.
#[derive(Clone, Debug, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct BatchHeader {
    /// Batch number; batch 0 holds only the genesis block.
    pub number: u64,
    /// First block of the batch.
    pub first_block: u64,
    /// Last block so far (final once sealed).
    pub last_block: u64,
    /// Transfers in the batch.
    pub tx_count: u64,
    /// Slots the batch proof needs: one per transfer plus one per account a transfer
    /// creates. Bounded by the largest batch circuit.
    pub proof_slots: u64,
    /// Size of the batch's data-availability encoding.
    pub data_bytes: u64,
    /// State root before the batch's first block.
    pub prev_state_root: B256,
    /// State root after its last block.
    pub state_root: B256,
    /// Poseidon commitment to all its transfers in execution order.
    pub tx_commitment: B256,
    /// Unix milliseconds when the batch was opened.
    pub opened_at_ms: u64,
    /// Unix milliseconds when it was sealed (0 while open).
    pub sealed_at_ms: u64,
    /// [`BatchStatus::code`].
    pub status: u8,
    /// L1 deposits credited from genesis to the end of the batch: the queue index of the
    /// next deposit to credit.
    pub deposit_count: u64,
    /// [`crate::DepositChain`] of those deposits, as 32 bytes.
    pub deposit_chain: B256,
    /// The Bridge's queue hash after the last of those deposits.
    pub queue_hash: QueueHash,
    /// Withdrawals made from genesis to the end of the batch.
    pub withdrawal_count: u64,
    /// [`crate::withdrawal::withdrawal_hash`] chain of those withdrawals.
    pub withdrawal_hash: WithdrawalHash,
    /// Deposits credited and withdrawals made in this batch: its signature proof hashes
    /// each with the Keccak table, which has room for a bounded number.
    pub bridge_ops: u64,
}

impl BatchHeader {
    /// Decoded status; storage only ever writes valid codes.
    pub fn status(&self) -> BatchStatus {
        BatchStatus::from_code(self.status).unwrap_or(BatchStatus::Open)
    }

    /// Where L2 stands with the bridge at the end of the batch; `None` if the stored
    /// deposit chain is not a digest (a corrupt record).
    pub fn bridge_state(&self) -> Option<BridgeState> {
        Some(BridgeState {
            deposit_count: self.deposit_count,
            deposit_chain: DepositChain(b256_to_digest(&self.deposit_chain)?),
            queue_hash: self.queue_hash,
            withdrawal_count: self.withdrawal_count,
            withdrawal_hash: self.withdrawal_hash,
        })
    }

    /// Records `state` as the bridge state at the end of the batch.
    pub fn set_bridge_state(&mut self, state: &BridgeState) {
        self.deposit_count = state.deposit_count;
        self.deposit_chain = crate::field::digest_to_b256(&state.deposit_chain.0);
        self.queue_hash = state.queue_hash;
        self.withdrawal_count = state.withdrawal_count;
        self.withdrawal_hash = state.withdrawal_hash;
    }
}
