//! The circuit's witness inputs, allocated once per shape and serialised with the circuit
//! so that a cached circuit can be filled without rebuilding it.

use plonky2::hash::hash_types::HashOutTarget;
use plonky2::iop::target::{BoolTarget, Target};
use plonky2::util::serialization::{Buffer, IoResult, Read, Write};
use quire_primitives::account::LEAF_ELEMENTS;
use quire_primitives::transfer::TRANSFER_ELEMENTS;

use crate::Builder;

/// One Merkle update: the leaf before it, its index and the siblings on its path.
#[derive(Clone, Debug)]
pub struct UpdateTargets {
    /// Leaf fields before the update (ignored for an insert's empty slot).
    pub old_leaf: [Target; LEAF_ELEMENTS],
    /// Leaf index (range-checked to the tree height).
    pub index: Target,
    /// Siblings from the leaf level up.
    pub siblings: Vec<HashOutTarget>,
}

impl UpdateTargets {
    fn new(b: &mut Builder, depth: usize) -> Self {
        Self {
            old_leaf: b.add_virtual_target_arr(),
            index: b.add_virtual_target(),
            siblings: (0..depth).map(|_| b.add_virtual_hash()).collect(),
        }
    }

    fn write(&self, w: &mut Vec<u8>) -> IoResult<()> {
        w.write_target_array(&self.old_leaf)?;
        w.write_target(self.index)?;
        w.write_usize(self.siblings.len())?;
        for s in &self.siblings {
            w.write_target_hash(s)?;
        }
        Ok(())
    }

    fn read(r: &mut Buffer<'_>) -> IoResult<Self> {
        let old_leaf = r.read_target_array()?;
        let index = r.read_target()?;
        let n = r.read_usize()?;
        let siblings = (0..n)
            .map(|_| r.read_target_hash())
            .collect::<IoResult<_>>()?;
        Ok(Self {
            old_leaf,
            index,
            siblings,
        })
    }
}

/// An ordinary slot: one-hot kind flags, transfer fields, two updates.
#[derive(Clone, Debug)]
pub struct SlotTargets {
    /// Executes a transfer.
    pub is_tx: BoolTarget,
    /// Inserts an account.
    pub is_insert: BoolTarget,
    /// Padding.
    pub is_noop: BoolTarget,
    /// Credits an L1 deposit (recipient in the `to` limbs, amount in the `value` limbs).
    pub is_deposit: BoolTarget,
    /// Transfer fields.
    pub tx: [Target; TRANSFER_ELEMENTS],
    /// First update.
    pub first: UpdateTargets,
    /// Second update.
    pub second: UpdateTargets,
}

impl SlotTargets {
    /// Allocates a slot; the kind flags are constrained to be bits summing to one.
    pub fn new(b: &mut Builder, depth: usize) -> Self {
        let is_tx = b.add_virtual_bool_target_safe();
        let is_insert = b.add_virtual_bool_target_safe();
        let is_noop = b.add_virtual_bool_target_safe();
        let is_deposit = b.add_virtual_bool_target_safe();
        let sum = b.add_many([
            is_tx.target,
            is_insert.target,
            is_noop.target,
            is_deposit.target,
        ]);
        let one = b.one();
        b.connect(sum, one);
        Self {
            is_tx,
            is_insert,
            is_noop,
            is_deposit,
            tx: b.add_virtual_target_arr(),
            first: UpdateTargets::new(b, depth),
            second: UpdateTargets::new(b, depth),
        }
    }

    fn write(&self, w: &mut Vec<u8>) -> IoResult<()> {
        w.write_target_bool(self.is_tx)?;
        w.write_target_bool(self.is_insert)?;
        w.write_target_bool(self.is_noop)?;
        w.write_target_bool(self.is_deposit)?;
        w.write_target_array(&self.tx)?;
        self.first.write(w)?;
        self.second.write(w)
    }

    fn read(r: &mut Buffer<'_>) -> IoResult<Self> {
        Ok(Self {
            is_tx: r.read_target_bool()?,
            is_insert: r.read_target_bool()?,
            is_noop: r.read_target_bool()?,
            is_deposit: r.read_target_bool()?,
            tx: r.read_target_array()?,
            first: UpdateTargets::read(r)?,
            second: UpdateTargets::read(r)?,
        })
    }
}

/// The fee recipient's slot at the start of the batch: creates its account if missing.
#[derive(Clone, Debug)]
pub struct FeeSlotTargets {
    /// Whether the fee recipient's account is created.
    pub create: BoolTarget,
    /// Predecessor link.
    pub first: UpdateTargets,
    /// New leaf.
    pub second: UpdateTargets,
}

impl FeeSlotTargets {
    /// Allocates the slot.
    pub fn new(b: &mut Builder, depth: usize) -> Self {
        Self {
            create: b.add_virtual_bool_target_safe(),
            first: UpdateTargets::new(b, depth),
            second: UpdateTargets::new(b, depth),
        }
    }
}

/// Every witness input of a batch circuit.
#[derive(Clone, Debug)]
pub struct BatchTargets {
    /// Root of the height-`depth` subtree before the batch.
    pub prev_sub_root: HashOutTarget,
    /// Leaves before the batch (public).
    pub leaf_count_before: Target,
    /// Batch number (public).
    pub batch_number: Target,
    /// Base fee as `[lo48, hi48]` (public).
    pub base_fee: [Target; 2],
    /// Inverse of `lo + hi` of the base fee: proves the base fee is not zero.
    pub base_fee_inv: Target,
    /// Fee recipient limbs (public).
    pub fee_recipient: [Target; 3],
    /// Deposits L2 had credited before the batch (public): the queue index of its first.
    pub deposit_count_before: Target,
    /// The [`quire_primitives::DepositChain`] before the batch (public).
    pub deposit_chain_before: HashOutTarget,
    /// The last leaf before the batch (index `leaf_count_before - 1`), which must exist.
    pub last_leaf: UpdateTargets,
    /// The first empty slot before the batch (index `leaf_count_before`).
    pub first_empty: UpdateTargets,
    /// The fee recipient's slot.
    pub fee_slot: FeeSlotTargets,
    /// Ordinary slots.
    pub slots: Vec<SlotTargets>,
    /// The final fee credit.
    pub flush: UpdateTargets,
}

impl BatchTargets {
    /// Allocates the inputs of a batch circuit with `slots` slots over height `depth`.
    pub fn new(b: &mut Builder, slots: usize, depth: usize) -> Self {
        Self {
            prev_sub_root: b.add_virtual_hash(),
            leaf_count_before: b.add_virtual_target(),
            batch_number: b.add_virtual_target(),
            base_fee: b.add_virtual_target_arr(),
            base_fee_inv: b.add_virtual_target(),
            fee_recipient: b.add_virtual_target_arr(),
            deposit_count_before: b.add_virtual_target(),
            deposit_chain_before: b.add_virtual_hash(),
            last_leaf: UpdateTargets::new(b, depth),
            first_empty: UpdateTargets::new(b, depth),
            fee_slot: FeeSlotTargets::new(b, depth),
            slots: (0..slots).map(|_| SlotTargets::new(b, depth)).collect(),
            flush: UpdateTargets::new(b, depth),
        }
    }

    /// Serialises the targets.
    pub fn to_bytes(&self) -> IoResult<Vec<u8>> {
        let mut w = Vec::new();
        w.write_target_hash(&self.prev_sub_root)?;
        w.write_target(self.leaf_count_before)?;
        w.write_target(self.batch_number)?;
        w.write_target_array(&self.base_fee)?;
        w.write_target(self.base_fee_inv)?;
        w.write_target_array(&self.fee_recipient)?;
        w.write_target(self.deposit_count_before)?;
        w.write_target_hash(&self.deposit_chain_before)?;
        self.last_leaf.write(&mut w)?;
        self.first_empty.write(&mut w)?;
        w.write_target_bool(self.fee_slot.create)?;
        self.fee_slot.first.write(&mut w)?;
        self.fee_slot.second.write(&mut w)?;
        w.write_usize(self.slots.len())?;
        for s in &self.slots {
            s.write(&mut w)?;
        }
        self.flush.write(&mut w)?;
        Ok(w)
    }

    /// Reads targets written by [`Self::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> IoResult<Self> {
        let mut r = Buffer::new(bytes);
        let prev_sub_root = r.read_target_hash()?;
        let leaf_count_before = r.read_target()?;
        let batch_number = r.read_target()?;
        let base_fee = r.read_target_array()?;
        let base_fee_inv = r.read_target()?;
        let fee_recipient = r.read_target_array()?;
        let deposit_count_before = r.read_target()?;
        let deposit_chain_before = r.read_target_hash()?;
        let last_leaf = UpdateTargets::read(&mut r)?;
        let first_empty = UpdateTargets::read(&mut r)?;
        let fee_slot = FeeSlotTargets {
            create: r.read_target_bool()?,
            first: UpdateTargets::read(&mut r)?,
            second: UpdateTargets::read(&mut r)?,
        };
        let n = r.read_usize()?;
        let slots = (0..n)
            .map(|_| SlotTargets::read(&mut r))
            .collect::<IoResult<_>>()?;
        let flush = UpdateTargets::read(&mut r)?;
        Ok(Self {
            prev_sub_root,
            leaf_count_before,
            batch_number,
            base_fee,
            base_fee_inv,
            fee_recipient,
            deposit_count_before,
            deposit_chain_before,
            last_leaf,
            first_empty,
            fee_slot,
            slots,
            flush,
        })
    }
}
