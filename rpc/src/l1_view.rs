//! What the RPC reads of L1 settlement, as a small trait the node implements over its L1
//! sender's status (the RPC does not depend on how settlement works).

use alloy_primitives::B256;

/// Settlement as the RPC serves it.
pub trait L1View: Send + Sync {
    /// The L1 transactions of the window holding batch `n` that count (mined and deep
    /// enough): `(commit, prove)`; `None` when no window holds it yet.
    fn batch_l1(&self, n: u64) -> Option<(Option<B256>, Option<B256>)>;
    /// The last batch whose commit counts on L1 (0: none).
    fn committed_batch(&self) -> u64;
    /// The last batch L1 finalized (0: none).
    fn finalized_batch(&self) -> u64;
}
