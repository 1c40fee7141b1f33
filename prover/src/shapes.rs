//! The standard circuit shapes and how a batch picks one.
//!
//! plonky2 pads a circuit's rows to a power of two, so one slot too many doubles the
//! proving time: each height has slot counts that fill 2^11, 2^13 and 2^15 rows (a slot
//! costs about 116, 148 and 180 rows at heights 16, 24 and 32, the deposit chain's Poseidon
//! included; `standard_shapes_fill_their_rows` checks the fit). The height is the smallest that holds the tree after the batch.

use crate::circuit::BatchShape;

/// Subtree heights with standard circuits, and their slot counts (smallest first).
pub const STANDARD: [(usize, &[usize]); 3] = [
    (16, &[15, 68, 282]),
    (24, &[11, 53, MAX_SLOTS]),
    (32, &[9, 43, 180, MAX_SLOTS]),
];

/// The most slots a batch may need: every height has a circuit this large (at height 32
/// it spills into 2^16 rows), and the sequencer seals batches before they need more.
pub const MAX_SLOTS: usize = 220;

/// The smallest standard height that holds `accounts` leaves.
pub fn depth_for(accounts: u64) -> Option<usize> {
    STANDARD
        .iter()
        .map(|(d, _)| *d)
        .find(|d| accounts <= 1u64 << d)
}

/// The smallest standard shape at height `depth` with at least `slots` slots.
pub fn shape_for(slots: usize, depth: usize) -> Option<BatchShape> {
    let (_, counts) = STANDARD.iter().find(|(d, _)| *d == depth)?;
    counts
        .iter()
        .find(|s| slots <= **s)
        .map(|slots| BatchShape {
            slots: *slots,
            depth,
        })
}

/// Whether `shape` is one of the standard shapes (a proof file naming any other shape is
/// refused before a circuit is built for it).
pub fn is_standard(shape: BatchShape) -> bool {
    all().any(|s| s == shape)
}

/// Every standard shape.
pub fn all() -> impl Iterator<Item = BatchShape> {
    STANDARD.iter().flat_map(|(depth, counts)| {
        counts.iter().map(move |slots| BatchShape {
            slots: *slots,
            depth: *depth,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::BatchCircuit;

    #[test]
    fn standard_shapes_fill_their_rows() {
        for shape in all() {
            let gates = BatchCircuit::gate_count(shape);
            let rows = gates.next_power_of_two();
            // Leave room for the gates plonky2 adds when building (public-input hashing,
            // constants), and waste at most 15 % of the rows.
            let spill = shape.depth == 32 && shape.slots == MAX_SLOTS;
            assert!(
                gates + 64 <= rows,
                "{shape}: {gates} gates too close to {rows}"
            );
            assert!(
                spill || gates * 100 >= rows * 85,
                "{shape}: {gates} gates waste {rows} rows"
            );
        }
    }

    #[test]
    fn every_height_takes_the_largest_batch() {
        for (depth, _) in STANDARD {
            assert_eq!(
                shape_for(MAX_SLOTS, depth).map(|s| s.slots >= MAX_SLOTS),
                Some(true)
            );
        }
        assert_eq!(depth_for(1 << 16), Some(16));
        assert_eq!(depth_for((1 << 16) + 1), Some(24));
        assert_eq!(depth_for(1 << 33), None);
    }
}
