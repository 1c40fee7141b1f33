//! What the RPC reads of L1 settlement, as a small trait the node implements over its L1
//! sender's status (the RPC does not depend on how settlement works).

use alloy_primitives::B256;

/// A window on L1 as the RPC serves it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct L1Window {
    /// First batch.
    pub start: u64,
    /// Last batch.
    pub end: u64,
    /// Its id in the Rollup, which also names its withdrawal root in the Bridge.
    pub id: u64,
    /// The commit transaction, once it counts (mined and deep enough).
    pub committed: Option<B256>,
    /// The prove transaction, once it counts.
    pub finalized: Option<B256>,
}

/// Settlement as the RPC serves it.
pub trait L1View: Send + Sync {
    /// The window holding batch `n`; `None` when no window holds it yet.
    fn window_of(&self, n: u64) -> Option<L1Window>;
    /// The last batch whose commit counts on L1 (0: none).
    fn committed_batch(&self) -> u64;
    /// The last batch L1 finalized (0: none).
    fn finalized_batch(&self) -> u64;
}
