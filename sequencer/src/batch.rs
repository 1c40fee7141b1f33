//! Batch accounting and the sealing rule: what an open batch can still take, how a block
//! adds to it, and when it seals. Pure functions of the batch header, the limits and the
//! clock, so the rule is tested on its own; the producer only applies them.

use alloy_primitives::B256;
use quire_da::{BATCH_HEADER_BYTES, BLOCK_HEADER_BYTES, TX_HEADER_BYTES};
use quire_primitives::bridge::MAX_BATCH_BRIDGE_OPS;
use quire_primitives::{BatchHeader, BatchStatus, BridgeState};

use crate::config::ProductionConfig;

/// The limits a batch is sealed by.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchLimits {
    /// Transfers.
    pub max_txs: u64,
    /// Proof slots (one per transfer, one more per account a transfer creates).
    pub max_slots: u64,
    /// Bytes of the batch's data-availability encoding.
    pub max_bytes: u64,
    /// Milliseconds after the batch opened.
    pub max_age_ms: u64,
    /// Largest transaction the mempool admits (the next one must still fit).
    pub max_tx_bytes: u64,
}

impl BatchLimits {
    /// The limits of a production config with a mempool admitting `max_tx_bytes`.
    pub fn new(production: &ProductionConfig, max_tx_bytes: usize) -> Self {
        Self {
            max_txs: production.batch_max_txs,
            max_slots: production.batch_max_slots,
            max_bytes: production.batch_max_bytes,
            max_age_ms: production.batch_max_age_ms,
            max_tx_bytes: max_tx_bytes as u64,
        }
    }
}

/// What the batch the next block goes into can still take.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchRoom {
    /// Transfers.
    pub txs: usize,
    /// Proof slots.
    pub slots: u64,
    /// Bytes of block data (block header excluded).
    pub bytes: usize,
    /// Deposits and withdrawals ([`MAX_BATCH_BRIDGE_OPS`] per batch).
    pub bridge_ops: u64,
}

/// Room for the next block: in `current` if it is open, else in a new batch.
pub fn room(current: &BatchHeader, limits: &BatchLimits) -> BatchRoom {
    let (txs, slots, bytes, ops) = match current.status() {
        BatchStatus::Open => (
            current.tx_count,
            current.proof_slots,
            current.data_bytes,
            current.bridge_ops,
        ),
        BatchStatus::Sealed => (0, 0, BATCH_HEADER_BYTES as u64, 0),
    };
    // Every transfer needs at least one proof slot (two if it creates an account).
    let slots = limits.max_slots.saturating_sub(slots);
    BatchRoom {
        txs: limits.max_txs.saturating_sub(txs).min(slots) as usize,
        slots,
        bytes: limits
            .max_bytes
            .saturating_sub(bytes + BLOCK_HEADER_BYTES as u64) as usize,
        bridge_ops: MAX_BATCH_BRIDGE_OPS.saturating_sub(ops),
    }
}

/// A new open batch `number` whose first block is `first_block`, starting from `prev_root`
/// and, with the bridge, from `bridge` (the previous batch's end).
pub fn open(
    number: u64,
    first_block: u64,
    prev_root: B256,
    bridge: &BridgeState,
    now_ms: u64,
) -> BatchHeader {
    let mut header = BatchHeader {
        number,
        first_block,
        last_block: first_block,
        tx_count: 0,
        proof_slots: 0,
        data_bytes: BATCH_HEADER_BYTES as u64,
        prev_state_root: prev_root,
        state_root: prev_root,
        tx_commitment: B256::ZERO,
        opened_at_ms: now_ms,
        sealed_at_ms: 0,
        status: BatchStatus::Open.code(),
        deposit_count: 0,
        deposit_chain: B256::ZERO,
        queue_hash: Default::default(),
        withdrawal_count: 0,
        withdrawal_hash: Default::default(),
        bridge_ops: 0,
    };
    header.set_bridge_state(bridge);
    header
}

/// What one block adds to its batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockAddition {
    /// Block number.
    pub number: u64,
    /// Transfers included.
    pub txs: u64,
    /// L1 deposits credited.
    pub deposits: u64,
    /// Withdrawals included.
    pub withdrawals: u64,
    /// The bridge state after the block.
    pub bridge: BridgeState,
    /// Accounts they created.
    pub created: u64,
    /// Bytes of block data (header and transactions).
    pub bytes: u64,
    /// State root after the block.
    pub state_root: B256,
    /// The batch's running transaction commitment after the block.
    pub tx_commitment: B256,
}

/// Adds a block to `batch`.
pub fn add_block(batch: &mut BatchHeader, block: &BlockAddition) {
    batch.last_block = block.number;
    batch.tx_count += block.txs;
    batch.proof_slots += block.txs + block.deposits + block.created;
    batch.bridge_ops += block.deposits + block.withdrawals;
    batch.set_bridge_state(&block.bridge);
    batch.data_bytes += block.bytes;
    batch.state_root = block.state_root;
    batch.tx_commitment = block.tx_commitment;
}

/// Whether `batch` must seal after its latest block: full by transfers, too close to the
/// slot limit for another transfer that creates an account, too close to the byte limit
/// for another largest transaction, full of deposits and withdrawals, or old.
pub fn is_full_or_old(batch: &BatchHeader, limits: &BatchLimits, now_ms: u64) -> bool {
    let largest_next = limits.max_tx_bytes + (TX_HEADER_BYTES + BLOCK_HEADER_BYTES) as u64;
    batch.tx_count >= limits.max_txs
        || batch.bridge_ops >= MAX_BATCH_BRIDGE_OPS
        || batch.proof_slots + 2 > limits.max_slots
        || batch.data_bytes + largest_next > limits.max_bytes
        || is_old(batch, limits, now_ms)
}

/// Whether `batch` has been open at least the age limit.
pub fn is_old(batch: &BatchHeader, limits: &BatchLimits, now_ms: u64) -> bool {
    now_ms.saturating_sub(batch.opened_at_ms) >= limits.max_age_ms
}

/// Seals `batch` at `now_ms`.
pub fn seal(batch: &mut BatchHeader, now_ms: u64) {
    batch.status = BatchStatus::Sealed.code();
    batch.sealed_at_ms = now_ms;
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: BatchLimits = BatchLimits {
        max_txs: 10,
        max_slots: 12,
        max_bytes: 10_000,
        max_age_ms: 1_000,
        max_tx_bytes: 200,
    };

    fn block(txs: u64, created: u64, bytes: u64) -> BlockAddition {
        BlockAddition {
            number: 5,
            txs,
            deposits: 0,
            withdrawals: 0,
            bridge: BridgeState::genesis(),
            created,
            bytes,
            state_root: B256::repeat_byte(1),
            tx_commitment: B256::repeat_byte(2),
        }
    }

    #[test]
    fn deposits_take_slots_and_advance_the_bridge_state() {
        let mut before = BridgeState::genesis();
        before.deposit_count = 7;
        let mut b = open(3, 4, B256::ZERO, &before, 100);
        assert_eq!(b.bridge_state(), Some(before));
        let mut after = before;
        after.deposit_count = 9;
        after.withdrawal_count = 1;
        add_block(
            &mut b,
            &BlockAddition {
                deposits: 2,
                withdrawals: 1,
                bridge: after,
                ..block(1, 1, 0)
            },
        );
        assert_eq!((b.tx_count, b.proof_slots), (1, 4));
        assert_eq!(b.bridge_state(), Some(after));
        assert_eq!(b.bridge_ops, 3);
        assert_eq!(room(&b, &LIMITS).bridge_ops, MAX_BATCH_BRIDGE_OPS - 3);
    }

    #[test]
    fn a_batch_seals_once_full_of_deposits_and_withdrawals() {
        let limits = BatchLimits {
            max_slots: 1_000,
            ..LIMITS
        };
        let mut b = open(1, 1, B256::ZERO, &BridgeState::genesis(), 0);
        add_block(
            &mut b,
            &BlockAddition {
                deposits: MAX_BATCH_BRIDGE_OPS - 1,
                ..block(0, 0, 0)
            },
        );
        assert!(!is_full_or_old(&b, &limits, 0));
        add_block(
            &mut b,
            &BlockAddition {
                withdrawals: 1,
                ..block(1, 0, 0)
            },
        );
        assert!(is_full_or_old(&b, &limits, 0));
        assert_eq!(room(&b, &limits).bridge_ops, 0);
    }

    #[test]
    fn an_open_batch_accounts_for_each_block() {
        let mut b = open(3, 4, B256::repeat_byte(9), &BridgeState::genesis(), 100);
        assert_eq!(b.data_bytes, BATCH_HEADER_BYTES as u64);
        add_block(&mut b, &block(2, 1, 300));
        assert_eq!(
            (b.last_block, b.tx_count, b.proof_slots),
            (5, 2, 3),
            "a created account takes a second slot"
        );
        assert_eq!(b.data_bytes, BATCH_HEADER_BYTES as u64 + 300);
        assert_eq!(b.prev_state_root, B256::repeat_byte(9));
        assert_eq!(b.state_root, B256::repeat_byte(1));
        let r = room(&b, &LIMITS);
        assert_eq!((r.txs, r.slots), (8, 9));
        assert_eq!(
            r.bytes as u64,
            10_000 - (BATCH_HEADER_BYTES as u64 + 300) - BLOCK_HEADER_BYTES as u64
        );
    }

    #[test]
    fn after_a_sealed_batch_the_next_block_has_a_whole_batch_of_room() {
        let mut b = open(3, 4, B256::ZERO, &BridgeState::genesis(), 100);
        add_block(&mut b, &block(9, 0, 300));
        seal(&mut b, 150);
        assert_eq!((b.status(), b.sealed_at_ms), (BatchStatus::Sealed, 150));
        let r = room(&b, &LIMITS);
        assert_eq!((r.txs, r.slots), (10, 12));
    }

    #[test]
    fn transfers_are_limited_by_slots_too() {
        let mut b = open(1, 1, B256::ZERO, &BridgeState::genesis(), 0);
        add_block(&mut b, &block(2, 8, 0));
        assert_eq!(room(&b, &LIMITS).txs, 2, "12 - 10 slots left");
    }

    #[test]
    fn a_batch_seals_when_full_by_any_limit_or_old() {
        let fresh = open(1, 1, B256::ZERO, &BridgeState::genesis(), 0);
        assert!(!is_full_or_old(&fresh, &LIMITS, 999));
        assert!(is_full_or_old(&fresh, &LIMITS, 1_000), "old");

        let mut by_txs = fresh.clone();
        add_block(&mut by_txs, &block(9, 0, 0));
        assert!(!is_full_or_old(&by_txs, &LIMITS, 0));
        add_block(&mut by_txs, &block(1, 0, 0));
        assert!(is_full_or_old(&by_txs, &LIMITS, 0), "10 transfers");

        let mut by_slots = fresh.clone();
        add_block(&mut by_slots, &block(5, 5, 0));
        assert!(
            !is_full_or_old(&by_slots, &LIMITS, 0),
            "10 + 2 slots still fit"
        );
        add_block(&mut by_slots, &block(1, 0, 0));
        assert!(is_full_or_old(&by_slots, &LIMITS, 0), "11 + 2 > 12");

        let mut by_bytes = fresh.clone();
        let largest = 200 + (TX_HEADER_BYTES + BLOCK_HEADER_BYTES) as u64;
        let fits = 10_000 - largest - by_bytes.data_bytes;
        add_block(&mut by_bytes, &block(1, 0, fits));
        assert!(!is_full_or_old(&by_bytes, &LIMITS, 0));
        add_block(&mut by_bytes, &block(0, 0, 1));
        assert!(
            is_full_or_old(&by_bytes, &LIMITS, 0),
            "the largest transaction no longer fits"
        );
    }
}
