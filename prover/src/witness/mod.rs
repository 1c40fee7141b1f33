//! Everything the batch circuit needs, built by replaying a batch natively.
//!
//! [`WitnessBuilder`] mirrors the circuit's arithmetic exactly (field-level leaves, the same
//! limb arithmetic, fees pending until the fee recipient's leaf is touched), so a witness
//! describes precisely the state transition the circuit computes. The sequencer's own
//! execution is independent code; tests check the two agree.

mod amounts;
mod builder;
mod field_tree;
mod replay;

pub use builder::{WitnessBuilder, WitnessError};
pub use field_tree::FieldTree;
pub use replay::{replay_batch, ReplayError};

use plonky2::field::types::Field;
use quire_primitives::account::LEAF_ELEMENTS;
use quire_primitives::transfer::TRANSFER_ELEMENTS;
use quire_primitives::Digest;

use serde::{Deserialize, Serialize};

use crate::public_inputs::BatchPublicInputs;
use crate::F;

/// What a slot does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum SlotKind {
    /// Executes a transfer.
    Tx,
    /// Inserts an account.
    Insert,
    /// Padding.
    Noop,
    /// Credits an L1 deposit.
    Deposit,
}

/// One Merkle update as the circuit consumes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UpdateWitness {
    /// Leaf fields before the update (zero for an empty slot).
    pub old_leaf: [F; LEAF_ELEMENTS],
    /// Leaf index.
    pub index: u64,
    /// Siblings from the leaf level up to the subtree root.
    pub siblings: Vec<Digest>,
}

impl UpdateWitness {
    /// The filler of an unused update.
    pub fn empty(depth: usize) -> Self {
        Self {
            old_leaf: [F::ZERO; LEAF_ELEMENTS],
            index: 0,
            siblings: vec![Digest::ZERO; depth],
        }
    }
}

/// One slot's witness.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlotWitness {
    /// Kind.
    pub kind: SlotKind,
    /// Transfer fields (for an insert, only the receiver limbs are set).
    pub tx: [F; TRANSFER_ELEMENTS],
    /// Sender debit or predecessor link.
    pub first: UpdateWitness,
    /// Receiver credit or new leaf.
    pub second: UpdateWitness,
}

impl SlotWitness {
    /// A padding slot.
    pub fn noop(depth: usize) -> Self {
        Self {
            kind: SlotKind::Noop,
            tx: [F::ZERO; TRANSFER_ELEMENTS],
            first: UpdateWitness::empty(depth),
            second: UpdateWitness::empty(depth),
        }
    }
}

/// A whole batch's witness plus the public inputs the native replay expects. Serialisable:
/// the node sends it to remote provers, which have no access to its store.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct BatchWitness {
    /// Subtree height.
    pub depth: usize,
    /// Batch number.
    pub batch_number: u64,
    /// Base fee.
    pub base_fee: u64,
    /// Fee recipient.
    pub fee_recipient: alloy_primitives::Address,
    /// Subtree root before the batch.
    pub prev_sub_root: Digest,
    /// Accounts before the batch.
    pub leaf_count_before: u64,
    /// Deposits credited before the batch.
    pub deposit_count_before: u64,
    /// [`quire_primitives::DepositChain`] before the batch.
    pub deposit_chain_before: Digest,
    /// Path of the last leaf before the batch (proves the account count).
    pub last_leaf: UpdateWitness,
    /// Path of the first empty slot before the batch.
    pub first_empty: UpdateWitness,
    /// The fee recipient's slot (insert or noop).
    pub fee_slot: SlotWitness,
    /// Ordinary slots, without padding.
    pub slots: Vec<SlotWitness>,
    /// The final fee credit.
    pub flush: UpdateWitness,
    /// Public inputs the proof should carry.
    pub expected: BatchPublicInputs,
}
