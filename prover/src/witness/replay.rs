//! A batch's witness from the chain: the leaves as of the previous batch, and the batch's
//! transfers, read through [`ChainReader`].

use quire_primitives::chain::{ChainReadError, ChainReader, Operation};
use quire_primitives::field::{b256_to_digest, digest_to_b256};
use quire_primitives::DepositChain;

use super::builder::{WitnessBuilder, WitnessError};
use super::BatchWitness;
use crate::shapes;

/// Why a sealed batch has no witness.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// The chain could not be read (or the batch is not sealed).
    #[error(transparent)]
    Chain(#[from] ChainReadError),
    /// The replay does not reach what the sequencer recorded.
    #[error("replaying batch {batch} does not reproduce the stored {what}")]
    Mismatch {
        /// Batch.
        batch: u64,
        /// What differs.
        what: &'static str,
    },
    /// Replay failed.
    #[error(transparent)]
    Witness(#[from] WitnessError),
    /// No standard circuit is large enough.
    #[error("batch needs a tree for {accounts} accounts: larger than every circuit")]
    TooLarge {
        /// Accounts after the batch (bound).
        accounts: u64,
    },
}

/// Replays sealed batch `number` into a witness for the smallest standard tree height that
/// holds its accounts, and checks the replay reaches the roots and commitment the
/// sequencer stored.
pub fn replay_batch(chain: &dyn ChainReader, number: u64) -> Result<BatchWitness, ReplayError> {
    let batch = chain.sealed_batch(number)?;
    let leaves = chain.leaves_at(number - 1)?;
    let mismatch = |what: &'static str| ReplayError::Mismatch {
        batch: number,
        what,
    };
    let before = chain
        .batch_header(number - 1)?
        .ok_or(ChainReadError::NoBatch(number - 1))?;
    let chain_before =
        b256_to_digest(&before.deposit_chain).ok_or(mismatch("previous deposit chain"))?;
    // Every operation creates at most one account, plus the fee recipient's.
    let bound = leaves.len() as u64 + batch.operations.len() as u64 + 1;
    let depth = shapes::depth_for(bound).ok_or(ReplayError::TooLarge { accounts: bound })?;
    let mut builder =
        WitnessBuilder::new(&leaves, depth, number, batch.base_fee, batch.fee_recipient)?
            .with_deposits_before(before.deposit_count, DepositChain(chain_before));
    for op in &batch.operations {
        match op {
            Operation::Deposit(d) => builder.push_deposit(d)?,
            Operation::Transfer(t) => builder.push_transfer(t)?,
        }
    }
    let w = builder.finish()?;
    let h = &batch.header;
    let e = &w.expected;
    if Some(e.prev_root) != b256_to_digest(&h.prev_state_root) {
        return Err(mismatch("previous state root"));
    }
    if digest_to_b256(&e.new_root) != h.state_root {
        return Err(mismatch("state root"));
    }
    if digest_to_b256(&e.tx_commitment) != h.tx_commitment || e.tx_count != h.tx_count {
        return Err(mismatch("transaction commitment"));
    }
    if e.deposit_count_after != h.deposit_count
        || digest_to_b256(&e.deposit_chain_after) != h.deposit_chain
    {
        return Err(mismatch("deposit chain"));
    }
    Ok(w)
}
