//! Applying deposits and transfers to the state tree: the state transition the batch
//! circuit re-proves.

use std::sync::Arc;

use alloy_primitives::{Address, U256};
use quire_primitives::{
    BridgeState, Deposit, StateTree, Transfer, TxCommitment, MAX_BALANCE, WITHDRAWAL_ADDRESS,
};

use crate::mempool::PoolTx;

/// Result of executing a block's deposits and candidate transactions.
#[derive(Debug, Default)]
pub struct Executed {
    /// Deposits credited, in queue order (a prefix of those offered).
    pub deposits: Vec<Deposit>,
    /// The bridge state after the block's deposits and withdrawals, continuing the one
    /// given.
    pub bridge: BridgeState,
    /// Included transfers that withdraw to L1 (sent to [`WITHDRAWAL_ADDRESS`]).
    pub withdrawals: u64,
    /// Transactions applied, in order.
    pub included: Vec<Arc<PoolTx>>,
    /// Transactions that could not execute (wrong nonce, funds gone, overflow) and their
    /// reason; they are dropped from the pool.
    pub dropped: Vec<(Arc<PoolTx>, &'static str)>,
    /// Accounts whose nonce or balance changed.
    pub touched: Vec<Address>,
    /// Commitment to the included transfers, continuing the batch's running commitment.
    pub commitment: TxCommitment,
    /// Receiver accounts the included transfers and deposits created (each costs the
    /// batch proof an extra slot).
    pub created: u64,
}

/// What a block's execution starts from.
#[derive(Clone, Copy, Debug)]
pub struct Running {
    /// The batch's transaction commitment so far.
    pub commitment: TxCommitment,
    /// The bridge state so far (from genesis).
    pub bridge: BridgeState,
}

/// Credits `deposits` in order (priority operations: before any transfer of the block,
/// stopping at the first that cannot be credited), then applies `txs` in order: debit
/// value + fee and bump the sender's nonce, credit the receiver (creating its account if
/// needed), credit the fee to `fee_recipient`. A transfer to [`WITHDRAWAL_ADDRESS`] is a
/// withdrawal: the value leaves circulation in that address's account (no key controls it)
/// and the sender is owed it on L1, which the bridge state's withdrawal hash records.
///
/// If `fee_recipient` has no account, it is created just before the first deposit or
/// transfer that executes, so that in every batch it exists before anything runs (the
/// batch circuit creates it in a slot of its own at the start of the batch).
///
/// Every check happens before any write, so a transaction that fails leaves the tree as
/// it was. The caller commits the tree (rehashing) once for the whole block.
pub fn execute(
    tree: &mut StateTree,
    deposits: &[Deposit],
    txs: &[Arc<PoolTx>],
    fee_recipient: Address,
    base_fee: u64,
    running: Running,
) -> Executed {
    let mut out = Executed::default();
    let mut touched = std::collections::BTreeSet::new();
    let mut commitment = running.commitment;
    out.bridge = running.bridge;
    for d in deposits {
        if d.index != out.bridge.deposit_count {
            tracing::error!(
                index = d.index,
                want = out.bridge.deposit_count,
                "deposit out of queue order"
            );
            break;
        }
        match credit_deposit(tree, d, fee_recipient) {
            Ok(created) => {
                out.created += u64::from(created);
                touched.extend([d.recipient, fee_recipient]);
                out.bridge.credit(d);
                out.deposits.push(*d);
            }
            Err(reason) => {
                // The queue is consumed in order: a deposit that cannot be credited holds
                // back every later one.
                tracing::error!(index = d.index, reason, "deposit cannot be credited");
                break;
            }
        }
    }
    for tx in txs {
        let t = &tx.tx.transfer;
        match apply_transfer(tree, t, tx.tx.upfront_cost, fee_recipient, base_fee) {
            Ok(created) => {
                if created {
                    out.created += 1;
                }
                touched.extend([t.sender, t.to, fee_recipient]);
                commitment.absorb(t);
                if t.to == WITHDRAWAL_ADDRESS {
                    out.bridge.withdraw(&t.sender, t.value);
                    out.withdrawals += 1;
                }
                out.included.push(tx.clone());
            }
            Err(reason) => out.dropped.push((tx.clone(), reason)),
        }
    }
    out.touched = touched.into_iter().collect();
    out.commitment = commitment;
    out
}

/// Credits one deposit, or explains why it cannot be credited and leaves the tree as it
/// was. Returns whether the recipient's account was created.
pub fn credit_deposit(
    tree: &mut StateTree,
    d: &Deposit,
    fee_recipient: Address,
) -> Result<bool, &'static str> {
    let before = tree.get(&d.recipient).map_or(0, |l| l.balance);
    if d.amount > MAX_BALANCE - before {
        return Err("balance limit");
    }
    if tree.index_of(&fee_recipient).is_none() {
        tree.get_or_insert(fee_recipient)
            .expect("state tree has room for 2^32 accounts");
    }
    let created = tree.index_of(&d.recipient).is_none();
    let (i, _) = tree
        .get_or_insert(d.recipient)
        .expect("state tree has room for 2^32 accounts");
    let leaf = *tree.leaf(i).expect("just inserted");
    tree.set_account(i, leaf.nonce, leaf.balance + d.amount)
        .expect("balance bound checked above");
    Ok(created)
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
