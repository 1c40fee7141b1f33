//! Applying transfers to the state tree: the state transition the batch circuit re-proves.

use std::sync::Arc;

use alloy_primitives::{Address, U256};
use quire_primitives::{StateTree, Transfer, TxCommitment, MAX_BALANCE};

use crate::mempool::PoolTx;

/// Result of executing a block's candidate transactions.
#[derive(Debug, Default)]
pub struct Executed {
    /// Transactions applied, in order.
    pub included: Vec<Arc<PoolTx>>,
    /// Transactions that could not execute (wrong nonce, funds gone, overflow) and their
    /// reason; they are dropped from the pool.
    pub dropped: Vec<(Arc<PoolTx>, &'static str)>,
    /// Accounts whose nonce or balance changed.
    pub touched: Vec<Address>,
    /// Commitment to the included transfers, continuing the batch's running commitment.
    pub commitment: TxCommitment,
    /// Receiver accounts the included transfers created (each costs the batch proof an
    /// extra slot).
    pub created: u64,
}

/// Applies `txs` in order: debit value + fee and bump the sender's nonce, credit the
/// receiver (creating its account if needed), credit the fee to `fee_recipient`.
///
/// If `fee_recipient` has no account, it is created just before the first transfer that
/// executes, so that in every batch it exists before any transfer runs (the batch circuit
/// creates it in a slot of its own at the start of the batch).
///
/// Every check happens before any write, so a transaction that fails leaves the tree as
/// it was. The caller commits the tree (rehashing) once for the whole block.
pub fn execute(
    tree: &mut StateTree,
    txs: &[Arc<PoolTx>],
    fee_recipient: Address,
    base_fee: u64,
    mut commitment: TxCommitment,
) -> Executed {
    let mut out = Executed::default();
    let mut touched = std::collections::BTreeSet::new();
    for tx in txs {
        let t = &tx.tx.transfer;
        match apply_transfer(tree, t, tx.tx.upfront_cost, fee_recipient, base_fee) {
            Ok(created) => {
                if created {
                    out.created += 1;
                }
                touched.extend([t.sender, t.to, fee_recipient]);
                commitment.absorb(t);
                out.included.push(tx.clone());
            }
            Err(reason) => out.dropped.push((tx.clone(), reason)),
        }
    }
    out.touched = touched.into_iter().collect();
    out.commitment = commitment;
    out
}

/// Applies one transfer, or explains why it cannot run and leaves the tree as it was.
/// `upfront_cost` is `gas_limit × max_fee_per_gas + value`, what the sender must hold.
/// Returns whether the receiver's account was created.
pub fn apply_transfer(
    tree: &mut StateTree,
    t: &Transfer,
    upfront_cost: U256,
    fee_recipient: Address,
    base_fee: u64,
) -> Result<bool, &'static str> {
    let sender_index = tree.index_of(&t.sender).ok_or("sender has no account")?;
    let sender = *tree.leaf(sender_index).expect("indexed leaf exists");
    if sender.nonce != t.nonce {
        return Err("nonce mismatch");
    }
    if upfront_cost > U256::from(sender.balance) {
        return Err("insufficient funds");
    }
    // Bounded by the upfront-cost check: value + fee ≤ balance ≤ MAX_BALANCE.
    let fee = t.fee(base_fee);
    let after_debit = sender.balance - t.value - fee;
    let balance_of = |tree: &StateTree, a: &Address, own: u128| {
        if *a == t.sender {
            own
        } else {
            tree.get(a).map_or(0, |l| l.balance)
        }
    };
    let receiver_after = balance_of(tree, &t.to, after_debit) + t.value;
    let recipient_before = if fee_recipient == t.to {
        receiver_after
    } else {
        balance_of(tree, &fee_recipient, after_debit)
    };
    if receiver_after > MAX_BALANCE || recipient_before + fee > MAX_BALANCE {
        return Err("balance limit");
    }
    if tree.index_of(&fee_recipient).is_none() {
        tree.get_or_insert(fee_recipient)
            .expect("state tree has room for 2^32 accounts");
    }
    let created = tree.index_of(&t.to).is_none();
    let apply = |tree: &mut StateTree, a: Address, f: &dyn Fn(u64, u128) -> (u64, u128)| {
        let (i, _) = tree
            .get_or_insert(a)
            .expect("state tree has room for 2^32 accounts");
        let leaf = *tree.leaf(i).expect("just inserted");
        let (nonce, balance) = f(leaf.nonce, leaf.balance);
        tree.set_account(i, nonce, balance)
            .expect("balance bounds checked above");
    };
    apply(tree, t.sender, &|nonce, _| (nonce + 1, after_debit));
    apply(tree, t.to, &|nonce, balance| (nonce, balance + t.value));
    apply(tree, fee_recipient, &|nonce, balance| {
        (nonce, balance + fee)
    });
    Ok(created)
}
