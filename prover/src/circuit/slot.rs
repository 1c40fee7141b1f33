//! One proving slot: two Merkle updates that either execute a transfer, insert a new
//! account, credit an L1 deposit, or do nothing.
//!
//! A transfer slot debits the sender (first update) and credits the receiver (second
//! update). A receiver without an account first gets an insert slot: the first update
//! links the predecessor leaf to the new address (the absence proof), the second fills the
//! next empty leaf with a zero-balance account. The insert must be followed by the transfer
//! that credits it, so every account the circuit creates is one a transaction paid into, in
//! the order the sequencer created it.
//!
//! A deposit slot uses only the second update: it credits the recipient (in the transfer's
//! `to` limbs) with the amount (in its `value` limbs), like a transfer's receiver, and
//! absorbs both into the [`quire_primitives::DepositChain`] register. The chain and the
//! count of deposits are public, so the deposits a batch credits are exactly those it
//! claims, in that order.
//!
//! Fees do not take a Merkle update per transfer: they accumulate in a `pending` register
//! and reach the fee recipient's leaf whenever a slot touches that leaf anyway (so its
//! balance checks see the same amount the sequencer saw) and once at the end of the batch.

use plonky2::hash::hash_types::HashOutTarget;
use plonky2::hash::poseidon::PoseidonHash;
use plonky2::iop::target::{BoolTarget, Target};
use quire_primitives::transfer::{TRANSFER_ELEMENTS, TRANSFER_GAS};

use super::address::{self, assert_eq_if, assert_zero_if, AddressTarget};
use super::merkle::{assert_hash_eq_if, root_from_path, select_hash, LeafTarget};
use super::targets::{SlotTargets, UpdateTargets};
use super::u96::{self, U96Target};
use crate::Builder;

/// Batch-wide inputs every slot reads.
#[derive(Clone, Copy, Debug)]
pub struct BatchContext {
    /// Tree height the slots' paths cover.
    pub depth: usize,
    /// Base fee per gas.
    pub base_fee: U96Target,
    /// Receiver of all fees.
    pub fee_recipient: AddressTarget,
}

/// State carried from slot to slot.
#[derive(Clone, Copy, Debug)]
pub struct Registers {
    /// Root of the height-`depth` subtree.
    pub root: HashOutTarget,
    /// Fees collected but not yet in the fee recipient's leaf.
    pub pending: U96Target,
    /// Running transaction commitment.
    pub commitment: HashOutTarget,
    /// Transfers executed.
    pub tx_count: Target,
    /// Leaves in the tree: the index the next insert must use.
    pub leaf_count: Target,
    /// Set by an insert slot: the next slot must be the transfer that pays the new account.
    pub insert_pending: BoolTarget,
    /// The address the last insert created.
    pub inserted: AddressTarget,
    /// The chain of credited deposits.
    pub deposit_chain: HashOutTarget,
    /// Deposits credited since genesis.
    pub deposit_count: Target,
}

/// The transfer fields of a slot, in [`quire_primitives::Transfer::to_fields`] order.
struct TxFields {
    all: [Target; TRANSFER_ELEMENTS],
    nonce: Target,
    sender: AddressTarget,
    to: AddressTarget,
    value: U96Target,
    max_fee: U96Target,
    tip: U96Target,
}

impl TxFields {
    fn new(f: [Target; TRANSFER_ELEMENTS]) -> Self {
        Self {
            all: f,
            nonce: f[1],
            sender: [f[3], f[4], f[5]],
            to: [f[6], f[7], f[8]],
            value: U96Target::new(f[9], f[10]),
            max_fee: U96Target::new(f[11], f[12]),
            tip: U96Target::new(f[13], f[14]),
        }
    }
}

/// The kind flags and inputs of a slot (for the fee recipient's slot, some are constants).
pub struct SlotInputs<'a> {
    /// Executes a transfer.
    pub is_tx: BoolTarget,
    /// Inserts the account `tx.to`.
    pub is_insert: BoolTarget,
    /// Changes nothing.
    pub is_noop: BoolTarget,
    /// Credits a deposit.
    pub is_deposit: BoolTarget,
    /// Transfer fields (for an insert, only `to` matters; for a deposit, `to` and
    /// `value`).
    pub tx: [Target; TRANSFER_ELEMENTS],
    /// Sender debit, or the predecessor link of an insert.
    pub first: &'a UpdateTargets,
    /// Receiver credit, or the new leaf of an insert.
    pub second: &'a UpdateTargets,
    /// Whether this slot may insert the fee recipient's account: only the batch's first
    /// slot may, so that the account's index is the one the sequencer gives it.
    pub may_insert_fee_recipient: bool,
}

impl<'a> SlotInputs<'a> {
    /// Inputs of an ordinary slot.
    pub fn of(t: &'a SlotTargets) -> Self {
        Self {
            is_tx: t.is_tx,
            is_insert: t.is_insert,
            is_noop: t.is_noop,
            is_deposit: t.is_deposit,
            tx: t.tx,
            first: &t.first,
            second: &t.second,
            may_insert_fee_recipient: false,
        }
    }
}

fn select_address(
    b: &mut Builder,
    cond: BoolTarget,
    x: &AddressTarget,
    y: &AddressTarget,
) -> AddressTarget {
    [
        b.select(cond, x[0], y[0]),
        b.select(cond, x[1], y[1]),
        b.select(cond, x[2], y[2]),
    ]
}

fn assert_true_if(b: &mut Builder, cond: BoolTarget, fact: BoolTarget) {
    let one = b.one();
    assert_zero_if(b, cond, fact.target, one);
}

/// Applies one slot to the registers.
pub fn apply_slot(
    b: &mut Builder,
    ctx: &BatchContext,
    regs: Registers,
    s: &SlotInputs<'_>,
) -> Registers {
    let tx = TxFields::new(s.tx);
    let zero96 = U96Target::zero(b);

    // The fee: 21,000 × min(max_fee, base_fee + tip), with max_fee ≥ base_fee.
    let base_plus_tip = u96::add(b, ctx.base_fee, tx.tip);
    let price = u96::min(b, tx.max_fee, base_plus_tip);
    let fee = u96::mul_small(b, price, TRANSFER_GAS);
    let cap_ok = u96::ge(b, tx.max_fee, ctx.base_fee);
    assert_true_if(b, s.is_tx, cap_ok);

    // The transaction commitment absorbs exactly the executed transfers.
    let mut absorb = regs.commitment.elements.to_vec();
    absorb.extend_from_slice(&tx.all);
    let absorbed = b.hash_n_to_hash_no_pad::<PoseidonHash>(absorb);
    let commitment = select_hash(b, s.is_tx, absorbed, regs.commitment);
    let tx_count = b.add(regs.tx_count, s.is_tx.target);

    // The deposit chain absorbs exactly the credited deposits.
    let mut deposit_in = regs.deposit_chain.elements.to_vec();
    deposit_in.extend_from_slice(&tx.to);
    deposit_in.extend_from_slice(&[tx.value.lo, tx.value.hi]);
    let deposited = b.hash_n_to_hash_no_pad::<PoseidonHash>(deposit_in);
    let deposit_chain = select_hash(b, s.is_deposit, deposited, regs.deposit_chain);
    let deposit_count = b.add(regs.deposit_count, s.is_deposit.target);

    // Transfers and deposits credit `to` with `value` (the flags are one-hot, so the sum
    // is a bit).
    let credits = BoolTarget::new_unsafe(b.add(s.is_tx.target, s.is_deposit.target));

    // An insert is followed by the transfer or deposit to the inserted address; nothing
    // else may come between them or follow an insert.
    let not_credit = b.not(credits);
    let stray = b.mul(regs.insert_pending.target, not_credit.target);
    b.assert_zero(stray);
    let paying = b.and(regs.insert_pending, credits);
    assert_eq_if(b, paying, &tx.to, &regs.inserted);

    // The first update is the sender's or the predecessor's: a deposit has neither.
    let first_used = BoolTarget::new_unsafe(b.add(s.is_tx.target, s.is_insert.target));
    let active = b.not(s.is_noop);
    let not_insert = b.not(s.is_insert);

    // First update: the sender's debit, or the predecessor's link to the new address.
    let old1 = LeafTarget::from_fields(&s.first.old_leaf);
    let bits1 = b.split_le(s.first.index, ctx.depth);
    let h_old1 = old1.hash(b);
    let r_old1 = root_from_path(b, h_old1, &bits1, &s.first.siblings);
    assert_hash_eq_if(b, first_used, r_old1, regs.root);

    assert_eq_if(b, s.is_tx, &old1.key, &tx.sender);
    assert_zero_if(b, s.is_tx, old1.nonce, tx.nonce);
    let sender_is_fr = address::eq(b, &old1.key, &ctx.fee_recipient);
    let fr1 = b.and(sender_is_fr, s.is_tx);
    let flushed1 = u96::gate(b, fr1, regs.pending);
    let debit = u96::gate(b, s.is_tx, tx.value);
    let fee_in = u96::gate(b, s.is_tx, fee);
    // Asserts balance (plus fees owed to it, if the sender is the fee recipient) ≥
    // value + fee.
    let balance1 = u96::add_sub(b, old1.balance, flushed1, debit, fee_in);

    if !s.may_insert_fee_recipient {
        let creates_fee_recipient = address::eq(b, &tx.to, &ctx.fee_recipient);
        let forbidden = b.and(s.is_insert, creates_fee_recipient);
        b.assert_zero(forbidden.target);
    }
    let below = address::lt(b, &old1.key, &tx.to);
    let above = address::lt(b, &tx.to, &old1.next);
    let last = address::is_zero(b, &old1.next);
    let above_or_last = b.or(above, last);
    let brackets = b.and(below, above_or_last);
    assert_true_if(b, s.is_insert, brackets);

    let new1 = LeafTarget {
        key: old1.key,
        next: select_address(b, s.is_insert, &tx.to, &old1.next),
        nonce: b.add(old1.nonce, s.is_tx.target),
        balance: balance1,
    };
    let h_new1 = new1.hash(b);
    let r1 = root_from_path(b, h_new1, &bits1, &s.first.siblings);
    let root1 = select_hash(b, first_used, r1, regs.root);
    let kept = u96::select(b, fr1, zero96, regs.pending);
    let pending1 = u96::add(b, kept, fee_in);

    // Second update: the receiver's credit, or the new account in the next empty leaf.
    let old2 = LeafTarget::from_fields(&s.second.old_leaf);
    let bits2 = b.split_le(s.second.index, ctx.depth);
    let h_leaf2 = old2.hash(b);
    // An insert's slot must be empty: its digest is zero whatever fields the witness gives.
    let h_old2 = HashOutTarget::from_vec(
        h_leaf2
            .elements
            .iter()
            .map(|e| b.mul(not_insert.target, *e))
            .collect(),
    );
    let r_old2 = root_from_path(b, h_old2, &bits2, &s.second.siblings);
    assert_hash_eq_if(b, active, r_old2, root1);
    assert_zero_if(b, s.is_insert, s.second.index, regs.leaf_count);

    assert_eq_if(b, credits, &old2.key, &tx.to);
    let receiver_is_fr = address::eq(b, &old2.key, &ctx.fee_recipient);
    let fr2 = b.and(receiver_is_fr, credits);
    let flushed2 = u96::gate(b, fr2, pending1);
    let credit = u96::gate(b, credits, tx.value);
    // Asserts the receiver's balance stays below 2^96 (and bounds the value's low limb,
    // which the sender's debit relies on).
    let gross2 = u96::add3(b, old2.balance, flushed2, credit);
    let pending2 = u96::select(b, fr2, zero96, pending1);

    let new2 = LeafTarget {
        key: select_address(b, s.is_insert, &tx.to, &old2.key),
        next: select_address(b, s.is_insert, &old1.next, &old2.next),
        nonce: b.mul(not_insert.target, old2.nonce),
        balance: u96::gate(b, not_insert, gross2),
    };
    let h_new2 = new2.hash(b);
    let r2 = root_from_path(b, h_new2, &bits2, &s.second.siblings);
    let root2 = select_hash(b, s.is_noop, root1, r2);

    Registers {
        root: root2,
        pending: pending2,
        commitment,
        tx_count,
        leaf_count: b.add(regs.leaf_count, s.is_insert.target),
        insert_pending: s.is_insert,
        inserted: tx.to,
        deposit_chain,
        deposit_count,
    }
}

/// The final update: credits every fee still pending to the fee recipient's leaf.
pub fn apply_flush(
    b: &mut Builder,
    ctx: &BatchContext,
    regs: Registers,
    flush: &UpdateTargets,
) -> HashOutTarget {
    let old = LeafTarget::from_fields(&flush.old_leaf);
    let bits = b.split_le(flush.index, ctx.depth);
    let h_old = old.hash(b);
    let r_old = root_from_path(b, h_old, &bits, &flush.siblings);
    b.connect_hashes(r_old, regs.root);
    for i in 0..3 {
        b.connect(old.key[i], ctx.fee_recipient[i]);
    }
    let new = LeafTarget {
        balance: u96::add(b, old.balance, regs.pending),
        ..old
    };
    let h_new = new.hash(b);
    root_from_path(b, h_new, &bits, &flush.siblings)
}
