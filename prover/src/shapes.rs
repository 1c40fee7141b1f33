//! The standard circuit shapes and how a batch picks one.
//!
//! Slot counts are chosen so that each circuit's row count lands just under a power of
//! two (plonky2 pads to the next one, so one slot too many doubles the proving time).
//! Heights: the smallest that holds the tree after the batch; 32 is the full tree.

use crate::circuit::BatchShape;

/// Subtree heights with standard circuits.
pub const DEPTHS: [usize; 3] = [16, 24, 32];

/// Slot counts with standard circuits, smallest first.
pub const SLOTS: [usize; 3] = [14, 60, 240];

/// The largest slot count: the sequencer seals a batch before it needs more.
pub const MAX_SLOTS: usize = SLOTS[SLOTS.len() - 1];

/// The smallest standard height that holds `accounts` leaves.
pub fn depth_for(accounts: u64) -> Option<usize> {
    DEPTHS
        .into_iter()
        .find(|d| accounts <= 1u64 << d)
}

/// The smallest standard shape for a witness with `slots` slots at height `depth`.
pub fn shape_for(slots: usize, depth: usize) -> Option<BatchShape> {
    SLOTS
        .into_iter()
        .find(|s| slots <= *s)
        .map(|slots| BatchShape { slots, depth })
}
