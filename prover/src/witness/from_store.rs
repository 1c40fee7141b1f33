//! A batch's witness from what the sequencer stored: the leaves as of the previous batch,
//! and the batch's blocks and transactions.

use quire_primitives::field::{b256_to_digest, digest_to_b256};
use quire_primitives::{BatchHeader, BatchStatus, Transfer};
use quire_sequencer::storage::{Store, StoreError};
use quire_sequencer::validation::transfer_from_raw;

use super::builder::{WitnessBuilder, WitnessError};
use super::BatchWitness;
use crate::shapes;

/// Why a stored batch has no witness.
#[derive(Debug, thiserror::Error)]
pub enum StoreWitnessError {
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// No such batch, or batch 0 (genesis, nothing to prove).
    #[error("batch {0} does not exist or holds only genesis")]
    NoBatch(u64),
    /// The batch is still open.
    #[error("batch {0} is not sealed yet")]
    NotSealed(u64),
    /// Stored data is missing or inconsistent.
    #[error("stored batch data is inconsistent: {0}")]
    Inconsistent(String),
    /// Replay failed.
    #[error(transparent)]
    Witness(#[from] WitnessError),
    /// No standard circuit is large enough.
    #[error("batch needs {slots} slots over {accounts} accounts: larger than every circuit")]
    TooLarge {
        /// Slots needed.
        slots: usize,
        /// Accounts after the batch.
        accounts: u64,
    },
}

/// The stored header of a sealed batch and its transfers in execution order, with the base
/// fee and fee recipient its blocks used.
pub struct StoredBatch {
    /// Header.
    pub header: BatchHeader,
    /// Transfers.
    pub transfers: Vec<Transfer>,
    /// Base fee of every block.
    pub base_fee: u64,
    /// Fee recipient of every block.
    pub fee_recipient: alloy_primitives::Address,
}

/// Reads a sealed batch.
pub fn stored_batch(store: &Store, number: u64) -> Result<StoredBatch, StoreWitnessError> {
    let bad = |s: String| StoreWitnessError::Inconsistent(s);
    let header = match store.batch(number)? {
        Some(h) if number > 0 => h,
        _ => return Err(StoreWitnessError::NoBatch(number)),
    };
    if header.status() != BatchStatus::Sealed {
        return Err(StoreWitnessError::NotSealed(number));
    }
    let mut transfers = Vec::with_capacity(header.tx_count as usize);
    let mut fees = None;
    for n in header.first_block..=header.last_block {
        let block = store
            .block(n)?
            .ok_or_else(|| bad(format!("block {n} missing")))?;
        let here = (block.header.base_fee, block.header.fee_recipient);
        if *fees.get_or_insert(here) != here {
            return Err(bad(format!(
                "block {n} changes the base fee or fee recipient within batch {number}"
            )));
        }
        for hash in &block.tx_hashes {
            let record = store
                .tx(hash)?
                .ok_or_else(|| bad(format!("transaction {hash} missing")))?;
            let t = transfer_from_raw(&record.raw, record.sender)
                .map_err(|e| bad(format!("transaction {hash}: {e}")))?;
            transfers.push(t);
        }
    }
    let (base_fee, fee_recipient) = fees.ok_or_else(|| bad("batch has no blocks".into()))?;
    Ok(StoredBatch {
        header,
        transfers,
        base_fee,
        fee_recipient,
    })
}

/// Replays sealed batch `number` into a witness for the smallest standard tree height that
/// holds its accounts, and checks the replay reaches the roots and commitment the
/// sequencer stored.
pub fn batch_witness(store: &Store, number: u64) -> Result<BatchWitness, StoreWitnessError> {
    let batch = stored_batch(store, number)?;
    let leaves = store.leaves_at(number - 1)?;
    // Every transfer creates at most one account, plus the fee recipient's.
    let bound = leaves.len() as u64 + batch.transfers.len() as u64 + 1;
    let depth = shapes::depth_for(bound).ok_or(StoreWitnessError::TooLarge {
        slots: 0,
        accounts: bound,
    })?;
    let mut builder =
        WitnessBuilder::new(&leaves, depth, number, batch.base_fee, batch.fee_recipient)?;
    for t in &batch.transfers {
        builder.push_transfer(t)?;
    }
    let w = builder.finish()?;
    let h = &batch.header;
    let e = &w.expected;
    let mismatch = |what: &str| {
        StoreWitnessError::Inconsistent(format!(
            "replaying batch {number} does not reproduce the stored {what}"
        ))
    };
    if Some(e.prev_root) != b256_to_digest(&h.prev_state_root) {
        return Err(mismatch("previous state root"));
    }
    if digest_to_b256(&e.new_root) != h.state_root {
        return Err(mismatch("state root"));
    }
    if digest_to_b256(&e.tx_commitment) != h.tx_commitment || e.tx_count != h.tx_count {
        return Err(mismatch("transaction commitment"));
    }
    Ok(w)
}
