//! Read access to the sealed chain, as provers and the proof coordinator need it.
//!
//! In the style of reth's provider traits: a small trait here, implemented by the
//! sequencer's storage, so that the crates that prove batches read the chain without
//! depending on how (or by which crate) it is stored.

use alloy_primitives::Address;

use crate::{AccountLeaf, BatchHeader, Deposit, Transfer};

/// One state change of a batch, in execution order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Operation {
    /// An L1 deposit credited (a priority operation: each block credits its deposits
    /// before its transfers).
    Deposit(Deposit),
    /// A signed L2 transfer.
    Transfer(Transfer),
}

/// A sealed batch with what its proof needs: the header, its operations in execution
/// order, and the base fee and fee recipient its blocks used (one of each per batch).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SealedBatch {
    /// Header.
    pub header: BatchHeader,
    /// Deposits and transfers in execution order.
    pub operations: Vec<Operation>,
    /// Base fee of every block of the batch.
    pub base_fee: u64,
    /// Fee recipient of every block of the batch.
    pub fee_recipient: Address,
}

/// Why the chain could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ChainReadError {
    /// The storage below failed.
    #[error("chain storage: {0}")]
    Storage(String),
    /// No such batch, or batch 0 (genesis, nothing to prove).
    #[error("batch {0} does not exist or holds only genesis")]
    NoBatch(u64),
    /// The batch is still open.
    #[error("batch {0} is not sealed yet")]
    NotSealed(u64),
    /// Stored records are missing or contradict each other.
    #[error("stored chain data is inconsistent: {0}")]
    Inconsistent(String),
}

/// What a prover or the proof coordinator reads of the chain.
pub trait ChainReader: Send + Sync {
    /// A batch's header, open or sealed.
    fn batch_header(&self, number: u64) -> Result<Option<BatchHeader>, ChainReadError>;

    /// Sealed batch `number` (never batch 0) with its transfers.
    fn sealed_batch(&self, number: u64) -> Result<SealedBatch, ChainReadError>;

    /// Every account leaf, in index order, as it stood at the end of batch `batch`: the
    /// state the proof of batch `batch + 1` starts from.
    fn leaves_at(&self, batch: u64) -> Result<Vec<AccountLeaf>, ChainReadError>;

    /// Sealed batch `number`'s signed transactions (EIP-2718 bytes) in execution order:
    /// what its signature proof covers.
    fn signed_transactions(&self, number: u64) -> Result<Vec<Vec<u8>>, ChainReadError>;
}
