//! Replays a batch slot by slot, recording what the circuit needs.

use std::collections::BTreeMap;

use alloy_primitives::Address;
use plonky2::field::types::{Field, PrimeField64};
use plonky2::hash::poseidon::PoseidonHash;
use plonky2::plonk::config::Hasher;
use quire_primitives::field::{address_limbs, amount_limbs};
use quire_primitives::transfer::{TRANSFER_ELEMENTS, TRANSFER_GAS};
use quire_primitives::tree::{empty_subtree, hash_children, TREE_DEPTH};
use quire_primitives::{AccountLeaf, Deposit, DepositChain, Digest, Transfer, MAX_BALANCE};

use super::amounts::{self, Amount};
use super::field_tree::{FieldTree, LeafFields};
use super::{BatchWitness, SlotKind, SlotWitness, UpdateWitness};
use crate::public_inputs::BatchPublicInputs;
use crate::F;

/// Why a batch cannot be replayed into a witness.
#[derive(Debug, thiserror::Error)]
pub enum WitnessError {
    /// The tree does not fit the subtree height.
    #[error("{accounts} accounts do not fit a tree of height {depth}")]
    TooManyAccounts {
        /// Accounts needed.
        accounts: u64,
        /// Height.
        depth: usize,
    },
    /// A transfer breaks a rule the circuit enforces.
    #[error("transfer {index} is invalid: {reason}")]
    InvalidTransfer {
        /// Position in the batch.
        index: usize,
        /// Which rule.
        reason: &'static str,
    },
    /// A leaf the replay needs is missing.
    #[error("no leaf at index {0}")]
    MissingLeaf(u64),
    /// Batches hold at least one transfer or deposit (blocks are only built around them).
    #[error("a batch holds at least one transfer or deposit")]
    EmptyBatch,
    /// The fee recipient has no account at the end of the batch.
    #[error("the fee recipient has no account")]
    NoFeeRecipient,
    /// A deposit is not the next in the queue, or would overflow its recipient's balance.
    #[error("deposit {index} cannot be credited: {reason}")]
    InvalidDeposit {
        /// Queue index.
        index: u64,
        /// Which rule.
        reason: &'static str,
    },
}

fn key_of(leaf: &LeafFields) -> [F; 3] {
    [leaf[0], leaf[1], leaf[2]]
}

fn next_of(leaf: &LeafFields) -> [F; 3] {
    [leaf[3], leaf[4], leaf[5]]
}

fn balance_of(leaf: &LeafFields) -> Amount {
    [leaf[7], leaf[8]]
}

/// The full depth-32 root from the root of the height-`depth` subtree.
pub fn lift(sub_root: Digest, depth: usize) -> Digest {
    (depth..TREE_DEPTH).fold(sub_root, |h, l| hash_children(&h, &empty_subtree(l)))
}

/// Builds a [`BatchWitness`] by executing slots natively, exactly as the circuit will.
///
/// [`Self::push_transfer`] is the honest path: it checks the transfer against every rule
/// the circuit enforces (so a bad batch fails here with a reason rather than as an
/// unverifiable proof) and adds the insert slot a new receiver needs. The raw
/// `push_*` methods skip the checks; the negative tests use them to build cheating
/// witnesses.
#[derive(Clone, Debug)]
pub struct WitnessBuilder {
    depth: usize,
    batch_number: u64,
    base_fee: u64,
    fee_recipient: Address,
    tree: FieldTree,
    index_of: BTreeMap<Address, u64>,
    leaf_count_before: u64,
    leaf_count: u64,
    prev_sub_root: Digest,
    last_leaf: UpdateWitness,
    first_empty: UpdateWitness,
    pending: Amount,
    commitment: Digest,
    tx_count: u64,
    deposit_count_before: u64,
    deposit_chain_before: DepositChain,
    deposit_count: u64,
    deposit_chain: DepositChain,
    fee_slot: SlotWitness,
    slots: Vec<SlotWitness>,
}

impl WitnessBuilder {
    /// Starts from `leaves` (the state after the previous batch). Creates the fee
    /// recipient's account first if it has none, as the sequencer does.
    pub fn new(
        leaves: &[AccountLeaf],
        depth: usize,
        batch_number: u64,
        base_fee: u64,
        fee_recipient: Address,
    ) -> Result<Self, WitnessError> {
        Self::with_fee_account(leaves, depth, batch_number, base_fee, fee_recipient, true)
    }

    /// [`Self::new`], choosing whether a missing fee-recipient account is created in the
    /// batch's first slot (tests build witnesses that postpone it).
    pub fn with_fee_account(
        leaves: &[AccountLeaf],
        depth: usize,
        batch_number: u64,
        base_fee: u64,
        fee_recipient: Address,
        create_fee_account: bool,
    ) -> Result<Self, WitnessError> {
        let count = leaves.len() as u64;
        if depth >= 64 || count > 1u64 << depth {
            return Err(WitnessError::TooManyAccounts {
                accounts: count,
                depth,
            });
        }
        if count == 0 || count >= 1u64 << depth {
            return Err(WitnessError::TooManyAccounts {
                accounts: count + 1,
                depth,
            });
        }
        let tree = FieldTree::new(depth, leaves.iter().map(AccountLeaf::to_fields));
        let prev_sub_root = tree.root();
        let last_leaf = UpdateWitness {
            old_leaf: leaves[count as usize - 1].to_fields(),
            index: count - 1,
            siblings: tree.siblings(count - 1),
        };
        let first_empty = UpdateWitness {
            old_leaf: [F::ZERO; 9],
            index: count,
            siblings: tree.siblings(count),
        };
        let mut b = Self {
            depth,
            batch_number,
            base_fee,
            fee_recipient,
            tree,
            index_of: leaves
                .iter()
                .enumerate()
                .map(|(i, l)| (l.key, i as u64))
                .collect(),
            leaf_count_before: count,
            leaf_count: count,
            prev_sub_root,
            last_leaf,
            first_empty,
            pending: amounts::zero(),
            commitment: Digest::ZERO,
            tx_count: 0,
            deposit_count_before: 0,
            deposit_chain_before: DepositChain::empty(),
            deposit_count: 0,
            deposit_chain: DepositChain::empty(),
            fee_slot: SlotWitness::noop(depth),
            slots: Vec::new(),
        };
        if create_fee_account && !b.index_of.contains_key(&fee_recipient) {
            b.check_room()?;
            let low = b.low_leaf(&fee_recipient);
            b.fee_slot = b.raw_insert(fee_recipient, low, b.leaf_count)?;
        }
        Ok(b)
    }

    /// Sets where the batch starts in the deposit queue: deposits credited so far and
    /// their chain. Call before pushing any deposit (the default is genesis: none).
    pub fn with_deposits_before(mut self, count: u64, chain: DepositChain) -> Self {
        debug_assert_eq!(self.deposit_count, self.deposit_count_before);
        self.deposit_count_before = count;
        self.deposit_chain_before = chain;
        self.deposit_count = count;
        self.deposit_chain = chain;
        self
    }

    /// The field-level tree as replayed so far.
    pub fn tree(&self) -> &FieldTree {
        &self.tree
    }

    /// Index of an account, if it has one.
    pub fn index_of(&self, address: &Address) -> Option<u64> {
        self.index_of.get(address).copied()
    }

    /// Index of the account with the largest address below `address`.
    pub fn low_leaf(&self, address: &Address) -> u64 {
        self.index_of
            .range(..*address)
            .next_back()
            .map_or(0, |(_, i)| *i)
    }

    /// Accounts so far: the index the next insert uses.
    pub fn leaf_count(&self) -> u64 {
        self.leaf_count
    }

    /// Slots so far.
    pub fn slots(&self) -> &[SlotWitness] {
        &self.slots
    }

    fn check_room(&self) -> Result<(), WitnessError> {
        if self.leaf_count >= 1u64 << self.depth {
            return Err(WitnessError::TooManyAccounts {
                accounts: self.leaf_count + 1,
                depth: self.depth,
            });
        }
        Ok(())
    }

    fn leaf(&self, index: u64) -> Result<LeafFields, WitnessError> {
        self.tree
            .leaf(index)
            .copied()
            .ok_or(WitnessError::MissingLeaf(index))
    }

    /// Writes a leaf and returns the update as the circuit sees it. `old` is what the
    /// witness claims was there (the real leaf, or zeros for an empty slot).
    pub fn raw_update(&mut self, index: u64, old: LeafFields, new: LeafFields) -> UpdateWitness {
        self.tree.set(index, new);
        UpdateWitness {
            old_leaf: old,
            index,
            // A leaf's own write does not change its siblings.
            siblings: self.tree.siblings(index),
        }
    }

    /// Appends an insert slot creating `target` at `new_index`, linked from the leaf at
    /// `low`. No checks.
    pub fn push_insert(
        &mut self,
        target: Address,
        low: u64,
        new_index: u64,
    ) -> Result<(), WitnessError> {
        let slot = self.raw_insert(target, low, new_index)?;
        self.slots.push(slot);
        Ok(())
    }

    fn raw_insert(
        &mut self,
        target: Address,
        low: u64,
        new_index: u64,
    ) -> Result<SlotWitness, WitnessError> {
        let t = address_limbs(&target);
        let old1 = self.leaf(low)?;
        let mut new1 = old1;
        new1[3..6].copy_from_slice(&t);
        let first = self.raw_update(low, old1, new1);
        let mut new2 = [F::ZERO; 9];
        new2[0..3].copy_from_slice(&t);
        new2[3..6].copy_from_slice(&next_of(&old1));
        let second = self.raw_update(new_index, [F::ZERO; 9], new2);
        self.index_of.insert(target, new_index);
        self.leaf_count += 1;
        let mut tx = [F::ZERO; TRANSFER_ELEMENTS];
        tx[6..9].copy_from_slice(&t);
        Ok(SlotWitness {
            kind: SlotKind::Insert,
            tx,
            first,
            second,
        })
    }

    /// The fee of a transfer with these fields, as the circuit computes it.
    fn fee(&self, tx: &[F; TRANSFER_ELEMENTS]) -> Amount {
        let base = amount_limbs(u128::from(self.base_fee));
        let price = amounts::min([tx[11], tx[12]], amounts::add(base, [tx[13], tx[14]]));
        amounts::mul_small(price, TRANSFER_GAS)
    }

    /// A slot's second update: credits `value` to the leaf at `receiver`, with the pending
    /// fees when it is the fee recipient's (as the circuit does for transfers and
    /// deposits alike).
    fn credit(&mut self, receiver: u64, value: Amount) -> Result<UpdateWitness, WitnessError> {
        let old = self.leaf(receiver)?;
        let is_fr = key_of(&old) == address_limbs(&self.fee_recipient);
        let owed = if is_fr { self.pending } else { amounts::zero() };
        let gross = amounts::add(amounts::add(balance_of(&old), owed), value);
        let mut new = old;
        new[7..9].copy_from_slice(&gross);
        let update = self.raw_update(receiver, old, new);
        if is_fr {
            self.pending = amounts::zero();
        }
        Ok(update)
    }

    /// The index of `address`'s account, appending the insert slot that creates it when it
    /// has none (the honest path of transfers and deposits to a new account).
    fn index_or_insert(&mut self, address: Address) -> Result<u64, WitnessError> {
        if let Some(i) = self.index_of(&address) {
            return Ok(i);
        }
        self.check_room()?;
        let low = self.low_leaf(&address);
        let at = self.leaf_count;
        self.push_insert(address, low, at)?;
        Ok(at)
    }

    /// Appends a transfer slot with these fields, debiting the leaf at `sender` and
    /// crediting the leaf at `receiver`. No checks: the circuit's arithmetic is applied
    /// as is.
    pub fn push_tx(
        &mut self,
        tx: [F; TRANSFER_ELEMENTS],
        sender: u64,
        receiver: u64,
    ) -> Result<(), WitnessError> {
        self.push_tx_with_nonce_step(tx, sender, receiver, F::ONE)
    }

    /// [`Self::push_tx`] with the sender's nonce raised by `step` instead of one: the state
    /// a prover that skips the nonce increment would claim (soundness tests).
    pub fn push_tx_with_nonce_step(
        &mut self,
        tx: [F; TRANSFER_ELEMENTS],
        sender: u64,
        receiver: u64,
        step: F,
    ) -> Result<(), WitnessError> {
        let fr = address_limbs(&self.fee_recipient);
        let value = [tx[9], tx[10]];
        let fee = self.fee(&tx);

        let old1 = self.leaf(sender)?;
        let fr1 = key_of(&old1) == fr;
        let owed1 = if fr1 { self.pending } else { amounts::zero() };
        let gross1 = amounts::add(balance_of(&old1), owed1);
        let balance1 = amounts::sub(gross1, amounts::add(value, fee));
        let mut new1 = old1;
        new1[6] += step;
        new1[7..9].copy_from_slice(&balance1);
        let first = self.raw_update(sender, old1, new1);
        let kept = if fr1 { amounts::zero() } else { self.pending };
        self.pending = amounts::add(kept, fee);

        let second = self.credit(receiver, value)?;

        let mut input = self.commitment.elements.to_vec();
        input.extend_from_slice(&tx);
        self.commitment = PoseidonHash::hash_no_pad(&input);
        self.tx_count += 1;
        self.slots.push(SlotWitness {
            kind: SlotKind::Tx,
            tx,
            first,
            second,
        });
        Ok(())
    }

    /// Appends a deposit slot crediting `amount` to the leaf at `receiver`, absorbing
    /// `recipient` and `amount` into the chain. No checks: the circuit's arithmetic is
    /// applied as is.
    pub fn push_deposit_slot(
        &mut self,
        recipient: Address,
        amount: u128,
        receiver: u64,
    ) -> Result<(), WitnessError> {
        let fields = DepositChain::fields(&recipient, amount);
        let value = [fields[3], fields[4]];
        let second = self.credit(receiver, value)?;
        self.deposit_chain.absorb(&Deposit {
            index: self.deposit_count,
            recipient,
            amount,
            l1_block: 0,
        });
        self.deposit_count += 1;
        let mut tx = [F::ZERO; TRANSFER_ELEMENTS];
        tx[6..9].copy_from_slice(&fields[..3]);
        tx[9..11].copy_from_slice(&value);
        self.slots.push(SlotWitness {
            kind: SlotKind::Deposit,
            tx,
            first: UpdateWitness::empty(self.depth),
            second,
        });
        Ok(())
    }

    /// Credits the next deposit of the queue the honest way: checks its index and the
    /// recipient's balance limit, inserts the recipient's account if it has none, then
    /// credits it.
    pub fn push_deposit(&mut self, d: &Deposit) -> Result<(), WitnessError> {
        let bad = |reason| WitnessError::InvalidDeposit {
            index: d.index,
            reason,
        };
        if d.index != self.deposit_count {
            return Err(bad("not the next deposit of the queue"));
        }
        let before = match self.index_of(&d.recipient) {
            Some(r) => {
                let leaf = self.leaf(r)?;
                let owed = if d.recipient == self.fee_recipient {
                    self.pending
                } else {
                    amounts::zero()
                };
                amounts::add(balance_of(&leaf), owed)
            }
            None => amounts::zero(),
        };
        let after = amounts::add(before, amount_limbs(d.amount.min(MAX_BALANCE)));
        if d.amount > MAX_BALANCE || after[1].to_canonical_u64() >= 1 << 48 {
            return Err(bad("the recipient's balance would exceed 2^96 - 1"));
        }
        let receiver = self.index_or_insert(d.recipient)?;
        self.push_deposit_slot(d.recipient, d.amount, receiver)
    }

    /// Appends a slot exactly as given (tests).
    pub fn push_slot(&mut self, slot: SlotWitness) {
        self.slots.push(slot);
    }

    /// Appends a transfer the honest way: checks it against the circuit's rules, inserts
    /// the receiver's account if it has none, then executes it.
    pub fn push_transfer(&mut self, t: &Transfer) -> Result<(), WitnessError> {
        let index = self.tx_count as usize;
        let bad = |reason| WitnessError::InvalidTransfer { index, reason };
        let sender = self
            .index_of(&t.sender)
            .ok_or_else(|| bad("sender has no account"))?;
        let leaf = self.leaf(sender)?;
        if leaf[6] != F::from_canonical_u64(t.nonce) {
            return Err(bad("nonce does not match the sender's"));
        }
        if t.max_fee_per_gas < u128::from(self.base_fee) {
            return Err(bad("fee cap below the base fee"));
        }
        let fields = t.to_fields();
        let owed = if t.sender == self.fee_recipient {
            self.pending
        } else {
            amounts::zero()
        };
        let cost = amounts::add([fields[9], fields[10]], self.fee(&fields));
        if !amounts::ge(amounts::add(balance_of(&leaf), owed), cost) {
            return Err(bad("value plus fee exceeds the balance"));
        }
        let credited = match self.index_of(&t.to) {
            Some(r) if r == sender => amounts::sub(amounts::add(balance_of(&leaf), owed), cost),
            Some(r) => balance_of(&self.leaf(r)?),
            None => amounts::zero(),
        };
        let owed_to_receiver = if t.to == self.fee_recipient && t.sender != t.to {
            amounts::add(self.pending, self.fee(&fields))
        } else {
            amounts::zero()
        };
        let after = amounts::add(
            amounts::add(credited, owed_to_receiver),
            [fields[9], fields[10]],
        );
        if after[1].to_canonical_u64() >= 1 << 48 {
            return Err(bad("the receiver's balance would exceed 2^96 - 1"));
        }
        let receiver = self.index_or_insert(t.to)?;
        self.push_tx(fields, sender, receiver)
    }

    /// Credits the pending fees to the fee recipient and returns the witness.
    pub fn finish(self) -> Result<BatchWitness, WitnessError> {
        if self.tx_count == 0 && self.deposit_count == self.deposit_count_before {
            return Err(WitnessError::EmptyBatch);
        }
        self.finish_any()
    }

    /// [`Self::finish`] without the at-least-one-transfer check, for tests of witnesses the
    /// circuit must refuse.
    pub fn finish_any(self) -> Result<BatchWitness, WitnessError> {
        let index = self
            .index_of(&self.fee_recipient)
            .ok_or(WitnessError::NoFeeRecipient)?;
        self.finish_flushing_to(index)
    }

    /// [`Self::finish_any`], crediting the pending fees to the leaf at `index` whoever it
    /// belongs to (tests of witnesses that redirect the fees).
    pub fn finish_flushing_to(mut self, index: u64) -> Result<BatchWitness, WitnessError> {
        let old = self.leaf(index)?;
        let mut new = old;
        new[7..9].copy_from_slice(&amounts::add(balance_of(&old), self.pending));
        let flush = self.raw_update(index, old, new);
        let expected = BatchPublicInputs {
            prev_root: lift(self.prev_sub_root, self.depth),
            new_root: lift(self.tree.root(), self.depth),
            batch_number: self.batch_number,
            tx_commitment: self.commitment,
            tx_count: self.tx_count,
            base_fee: self.base_fee,
            fee_recipient: self.fee_recipient,
            leaf_count_before: self.leaf_count_before,
            leaf_count_after: self.leaf_count,
            deposit_count_before: self.deposit_count_before,
            deposit_count_after: self.deposit_count,
            deposit_chain_before: self.deposit_chain_before.0,
            deposit_chain_after: self.deposit_chain.0,
        };
        Ok(BatchWitness {
            depth: self.depth,
            batch_number: self.batch_number,
            base_fee: self.base_fee,
            fee_recipient: self.fee_recipient,
            prev_sub_root: self.prev_sub_root,
            leaf_count_before: self.leaf_count_before,
            deposit_count_before: self.deposit_count_before,
            deposit_chain_before: self.deposit_chain_before.0,
            last_leaf: self.last_leaf,
            first_empty: self.first_empty,
            fee_slot: self.fee_slot,
            slots: self.slots,
            flush,
            expected,
        })
    }
}
