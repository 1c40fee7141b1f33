//! Pending transactions: per-sender nonce queues, fee-bump replacement, bounded size with
//! eviction, and tip-ordered selection for blocks.
//!
//! Hand-written rather than borrowed from reth's pool because quire's rules are narrower
//! (transfers only, one fixed base fee) and the pool must hand back every transaction it
//! drops so the journal can forget it.

use std::cmp::Reverse;
use std::collections::{BTreeMap, BTreeSet, BinaryHeap, HashMap};
use std::sync::Arc;

use alloy_primitives::{Address, B256, U256};

use crate::config::MempoolConfig;
use crate::error::TxError;
use crate::validation::ValidatedTx;

/// A transaction held by the pool.
#[derive(Debug)]
pub struct PoolTx {
    /// The validated transaction.
    pub tx: ValidatedTx,
    /// Key of its journal entry.
    pub journal_seq: u64,
    /// Tip per gas it pays under the chain's base fee: the ordering key.
    pub tip: u128,
}

impl PoolTx {
    fn sender(&self) -> Address {
        self.tx.transfer.sender
    }
    fn nonce(&self) -> u64 {
        self.tx.transfer.nonce
    }
}

/// What an accepted insert displaced; their journal entries must go.
#[derive(Debug, Default)]
pub struct Displaced {
    /// Same-nonce transaction replaced by a better-paying one.
    pub replaced: Option<Arc<PoolTx>>,
    /// Evicted to make room.
    pub evicted: Option<Arc<PoolTx>>,
}

/// Account state the pool checks against: the last committed block's.
#[derive(Clone, Copy, Debug, Default)]
pub struct AccountState {
    /// Next nonce.
    pub nonce: u64,
    /// Balance.
    pub balance: u128,
}

/// Next nonce after the run of consecutive nonces in `txs` starting at `from`.
fn run_end(txs: &BTreeMap<u64, Arc<PoolTx>>, from: u64) -> u64 {
    let mut next = from;
    for nonce in txs.range(from..).map(|(n, _)| *n) {
        if nonce != next {
            break;
        }
        next += 1;
    }
    next
}

#[derive(Debug, Default)]
struct SenderQueue {
    txs: BTreeMap<u64, Arc<PoolTx>>,
    /// Nonce of the sender's next transaction on chain.
    state_nonce: u64,
}

impl SenderQueue {
    fn tail(&self) -> Option<&Arc<PoolTx>> {
        self.txs.values().next_back()
    }
}

type TailKey = (u128, Reverse<u64>, Address);

/// The mempool. Not internally synchronised: the sequencer holds it under one lock together
/// with the state view, so nonce and balance checks see a consistent snapshot.
#[derive(Debug)]
pub struct Mempool {
    config: MempoolConfig,
    by_hash: HashMap<B256, Arc<PoolTx>>,
    senders: HashMap<Address, SenderQueue>,
    /// Each sender's highest-nonce transaction, cheapest first: eviction candidates.
    tails: BTreeSet<TailKey>,
    next_seq: u64,
    /// `(sender, nonce)` of the block being built.
    in_flight: std::collections::HashSet<(Address, u64)>,
}

impl Mempool {
    /// An empty pool; journal sequence numbers continue after `next_seq`.
    pub fn new(config: MempoolConfig, next_seq: u64) -> Self {
        Self {
            config,
            by_hash: HashMap::new(),
            senders: HashMap::new(),
            tails: BTreeSet::new(),
            next_seq,
            in_flight: Default::default(),
        }
    }

    /// Number of transactions held.
    pub fn len(&self) -> usize {
        self.by_hash.len()
    }

    /// Transactions not already going into a block that is being built or written.
    pub fn waiting(&self) -> usize {
        self.by_hash.len().saturating_sub(self.in_flight.len())
    }

    /// True if nothing is pending.
    pub fn is_empty(&self) -> bool {
        self.by_hash.is_empty()
    }

    /// A pending transaction by hash.
    pub fn get(&self, hash: &B256) -> Option<&Arc<PoolTx>> {
        self.by_hash.get(hash)
    }

    /// The nonce a sender's next transaction should use, counting pending ones.
    pub fn pending_nonce(&self, sender: &Address, state: AccountState) -> u64 {
        self.senders
            .get(sender)
            .map_or(state.nonce, |q| run_end(&q.txs, state.nonce))
    }

    /// Admits `tx` after the nonce, balance, replacement and capacity rules; returns the
    /// journal sequence number assigned to it and what it displaced.
    pub fn insert(
        &mut self,
        tx: ValidatedTx,
        state: AccountState,
        base_fee: u64,
    ) -> Result<(Arc<PoolTx>, Displaced), TxError> {
        if self.by_hash.contains_key(&tx.hash) {
            return Err(TxError::AlreadyKnown);
        }
        let sender = tx.transfer.sender;
        let nonce = tx.transfer.nonce;
        if nonce < state.nonce {
            return Err(TxError::NonceTooLow {
                next: state.nonce,
                tx: nonce,
            });
        }
        let queue = self.senders.get(&sender);
        let pending_nonce = queue.map_or(state.nonce, |q| run_end(&q.txs, state.nonce));
        if nonce > pending_nonce + self.config.max_nonce_gap {
            return Err(TxError::NonceTooHigh {
                next: pending_nonce,
                tx: nonce,
                max_gap: self.config.max_nonce_gap,
            });
        }
        let existing = queue.and_then(|q| q.txs.get(&nonce)).cloned();
        if self.in_flight.contains(&(sender, nonce)) {
            // Its block is being written: the nonce is as good as used.
            return Err(TxError::NonceTooLow {
                next: nonce + 1,
                tx: nonce,
            });
        }
        if let Some(old) = &existing {
            let bump = |old: u128| {
                old.saturating_mul(100 + u128::from(self.config.price_bump_percent))
                    .div_ceil(100)
            };
            let t = &tx.transfer;
            if t.max_fee_per_gas < bump(old.tx.transfer.max_fee_per_gas)
                || t.max_priority_fee_per_gas < bump(old.tx.transfer.max_priority_fee_per_gas)
            {
                return Err(TxError::ReplacementUnderpriced);
            }
        } else if queue.is_some_and(|q| q.txs.len() >= self.config.max_txs_per_sender) {
            return Err(TxError::SenderLimit(sender));
        }
        // Every pending transaction of the sender must stay affordable together.
        let others: U256 = queue
            .map(|q| {
                q.txs
                    .values()
                    .filter(|p| p.nonce() != nonce)
                    .map(|p| p.tx.upfront_cost)
                    .sum()
            })
            .unwrap_or_default();
        let want = others + tx.upfront_cost;
        if want > U256::from(state.balance) {
            return Err(TxError::InsufficientFunds {
                address: sender,
                have: state.balance,
                want: want.saturating_to(),
            });
        }
        let tip = tx.transfer.effective_gas_price(base_fee) - u128::from(base_fee);
        // Capacity: a new transaction may push out the cheapest tail of another sender.
        let mut evict = None;
        if existing.is_none() && self.by_hash.len() >= self.config.max_txs {
            // Never a transaction already going into a block: its nonce is as good as used.
            let candidate = self.tails.iter().find(|(_, _, victim)| {
                self.senders[victim]
                    .tail()
                    .is_some_and(|t| !self.in_flight.contains(&(*victim, t.nonce())))
            });
            match candidate {
                Some(&(victim_tip, _, victim)) if victim_tip < tip && victim != sender => {
                    evict = Some(victim)
                }
                _ => return Err(TxError::PoolFull),
            }
        }
        let mut displaced = Displaced::default();
        if let Some(victim) = evict {
            displaced.evicted = self.remove_tail(&victim);
        }
        let seq = self.next_seq;
        self.next_seq += 1;
        let entry = Arc::new(PoolTx {
            tx,
            journal_seq: seq,
            tip,
        });
        self.untrack_tail(&sender);
        let queue = self.senders.entry(sender).or_default();
        queue.state_nonce = state.nonce;
        if let Some(old) = queue.txs.insert(nonce, entry.clone()) {
            self.by_hash.remove(&old.tx.hash);
            displaced.replaced = Some(old);
        }
        self.by_hash.insert(entry.tx.hash, entry.clone());
        self.track_tail(&sender);
        Ok((entry, displaced))
    }

    /// Up to `max_txs` executable transactions, best tip first, each sender's in nonce
    /// order, whose encodings fit `max_bytes` (each counted as `len + per_tx_overhead`).
    /// `next_nonce` gives a sender's next nonce when the caller knows a newer one than the
    /// last published block (blocks executed but not yet published).
    pub fn select(
        &self,
        max_txs: usize,
        max_bytes: usize,
        per_tx_overhead: usize,
        next_nonce: impl Fn(&Address) -> Option<u64>,
    ) -> Vec<Arc<PoolTx>> {
        let mut heap: BinaryHeap<(u128, Reverse<u64>, Address)> = BinaryHeap::new();
        let mut cursor: HashMap<Address, u64> = HashMap::new();
        for (sender, q) in &self.senders {
            let start = next_nonce(sender).map_or(q.state_nonce, |n| n.max(q.state_nonce));
            if let Some(head) = q.txs.get(&start) {
                heap.push((head.tip, Reverse(head.journal_seq), *sender));
                cursor.insert(*sender, start);
            }
        }
        let mut out = Vec::new();
        let mut bytes = 0usize;
        while out.len() < max_txs {
            let Some((_, _, sender)) = heap.pop() else {
                break;
            };
            let q = &self.senders[&sender];
            let nonce = cursor[&sender];
            let tx = &q.txs[&nonce];
            let size = tx.tx.raw.len() + per_tx_overhead;
            if bytes + size > max_bytes {
                // This sender's run stops here; smaller transactions of others may still fit.
                continue;
            }
            bytes += size;
            out.push(tx.clone());
            cursor.insert(sender, nonce + 1);
            if let Some(next) = q.txs.get(&(nonce + 1)) {
                heap.push((next.tip, Reverse(next.journal_seq), sender));
            }
        }
        out
    }

    /// Applies a committed block: records each touched sender's new nonce and drops every
    /// transaction whose nonce is now used (the included ones and any stale replacements).
    /// Returns the dropped transactions that were *not* included, whose journal entries
    /// must be deleted separately.
    pub fn on_block(
        &mut self,
        included: &[B256],
        nonces: impl IntoIterator<Item = (Address, u64)>,
    ) -> Vec<Arc<PoolTx>> {
        let included: std::collections::HashSet<&B256> = included.iter().collect();
        let mut stale = Vec::new();
        for (sender, nonce) in nonces {
            if !self.senders.contains_key(&sender) {
                continue;
            }
            // Untrack the old tail before the queue changes, or its index entry would leak.
            self.untrack_tail(&sender);
            let q = self.senders.get_mut(&sender).expect("checked above");
            q.state_nonce = nonce;
            let keep = q.txs.split_off(&nonce);
            let gone = std::mem::replace(&mut q.txs, keep);
            for tx in gone.into_values() {
                self.by_hash.remove(&tx.tx.hash);
                if !included.contains(&tx.tx.hash) {
                    stale.push(tx);
                }
            }
            self.track_tail(&sender);
        }
        stale
    }

    /// Removes just `hash` (its later nonces stay queued); returns it.
    pub fn remove(&mut self, hash: &B256) -> Option<Arc<PoolTx>> {
        let tx = self.by_hash.get(hash).cloned()?;
        let sender = tx.sender();
        self.untrack_tail(&sender);
        self.senders
            .get_mut(&sender)
            .and_then(|q| q.txs.remove(&tx.nonce()));
        self.by_hash.remove(hash);
        self.track_tail(&sender);
        Some(tx)
    }

    /// Marks transactions as going into a block: until that block is published, a
    /// replacement of one of them is refused rather than acknowledged and then lost.
    pub fn mark_in_flight(&mut self, txs: &[Arc<PoolTx>]) {
        self.in_flight
            .extend(txs.iter().map(|t| (t.sender(), t.nonce())));
    }

    /// Ends [`Self::mark_in_flight`] for transactions whose block is published or abandoned.
    pub fn clear_in_flight(&mut self, keys: &[(Address, u64)]) {
        for k in keys {
            self.in_flight.remove(k);
        }
    }

    /// Removes `hash` and every later transaction of its sender (they can no longer
    /// execute); returns them.
    pub fn remove_with_descendants(&mut self, hash: &B256) -> Vec<Arc<PoolTx>> {
        let Some(tx) = self.by_hash.get(hash).cloned() else {
            return Vec::new();
        };
        let sender = tx.sender();
        self.untrack_tail(&sender);
        let q = self
            .senders
            .get_mut(&sender)
            .expect("indexed tx has a queue");
        let removed: Vec<_> = q.txs.split_off(&tx.nonce()).into_values().collect();
        for r in &removed {
            self.by_hash.remove(&r.tx.hash);
        }
        self.track_tail(&sender);
        removed
    }

    fn remove_tail(&mut self, sender: &Address) -> Option<Arc<PoolTx>> {
        self.untrack_tail(sender);
        let q = self.senders.get_mut(sender)?;
        let (_, tx) = q.txs.pop_last()?;
        self.by_hash.remove(&tx.tx.hash);
        self.track_tail(sender);
        Some(tx)
    }

    fn untrack_tail(&mut self, sender: &Address) {
        if let Some(t) = self.senders.get(sender).and_then(SenderQueue::tail) {
            self.tails.remove(&(t.tip, Reverse(t.journal_seq), *sender));
        }
    }

    fn track_tail(&mut self, sender: &Address) {
        match self.senders.get(sender).and_then(SenderQueue::tail) {
            Some(t) => {
                self.tails.insert((t.tip, Reverse(t.journal_seq), *sender));
            }
            None => {
                self.senders.remove(sender);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validation::tests::{eip1559, rules, sign};
    use crate::validation::validate;
    use alloy::signers::local::PrivateKeySigner;

    const RICH: AccountState = AccountState {
        nonce: 0,
        balance: 10u128.pow(20),
    };
    const BASE: u64 = 1_000;

    fn key(i: u8) -> PrivateKeySigner {
        PrivateKeySigner::from_slice(&[i + 1; 32]).unwrap()
    }

    fn tx(signer: &PrivateKeySigner, nonce: u64, tip: u128) -> ValidatedTx {
        let mut t = eip1559(nonce, Address::repeat_byte(0xaa), 1);
        t.max_priority_fee_per_gas = tip;
        t.max_fee_per_gas = 10_000;
        validate(sign(signer, t), &rules()).unwrap()
    }

    fn pool(max_txs: usize) -> Mempool {
        Mempool::new(
            MempoolConfig {
                max_txs,
                max_nonce_gap: 4,
                ..Default::default()
            },
            0,
        )
    }

    #[test]
    fn nonce_rules() {
        let mut p = pool(100);
        let s = key(0);
        let state = AccountState { nonce: 2, ..RICH };
        assert_eq!(
            p.insert(tx(&s, 1, 1), state, BASE).unwrap_err(),
            TxError::NonceTooLow { next: 2, tx: 1 }
        );
        p.insert(tx(&s, 2, 1), state, BASE).unwrap();
        // Gap of up to 4 beyond the pending nonce (3) is queued; beyond is refused.
        p.insert(tx(&s, 7, 1), state, BASE).unwrap();
        assert!(matches!(
            p.insert(tx(&s, 8, 1), state, BASE),
            Err(TxError::NonceTooHigh { .. })
        ));
        assert_eq!(p.pending_nonce(&s.address(), state), 3);
        // Only the consecutive run is executable.
        assert_eq!(p.select(10, usize::MAX, 0, |_| None).len(), 1);
        // A block executed but not yet published moved the sender to nonce 3.
        assert!(p.select(10, usize::MAX, 0, |_| Some(3)).is_empty());
        assert_eq!(
            p.insert(tx(&s, 2, 1), state, BASE).unwrap_err(),
            TxError::AlreadyKnown
        );
    }

    #[test]
    fn replacement_needs_fee_bump() {
        let mut p = pool(100);
        let s = key(0);
        p.insert(tx(&s, 0, 100), RICH, BASE).unwrap();
        let mut t = eip1559(0, Address::repeat_byte(0xaa), 1);
        t.max_priority_fee_per_gas = 109;
        t.max_fee_per_gas = 11_000;
        assert_eq!(
            p.insert(validate(sign(&s, t.clone()), &rules()).unwrap(), RICH, BASE)
                .unwrap_err(),
            TxError::ReplacementUnderpriced
        );
        t.max_priority_fee_per_gas = 110;
        let (_, displaced) = p
            .insert(validate(sign(&s, t), &rules()).unwrap(), RICH, BASE)
            .unwrap();
        assert!(displaced.replaced.is_some());
        assert_eq!(p.len(), 1);
    }

    #[test]
    fn balance_covers_all_pending() {
        let mut p = pool(100);
        let s = key(0);
        let cost = 21_000 * 10_000 + 1;
        let state = AccountState {
            nonce: 0,
            balance: 2 * cost,
        };
        p.insert(tx(&s, 0, 1), state, BASE).unwrap();
        p.insert(tx(&s, 1, 1), state, BASE).unwrap();
        assert!(matches!(
            p.insert(tx(&s, 2, 1), state, BASE),
            Err(TxError::InsufficientFunds { .. })
        ));
    }

    #[test]
    fn full_pool_evicts_cheapest_tail_or_refuses() {
        let mut p = pool(2);
        p.insert(tx(&key(0), 0, 5), RICH, BASE).unwrap();
        p.insert(tx(&key(1), 0, 7), RICH, BASE).unwrap();
        assert_eq!(
            p.insert(tx(&key(2), 0, 5), RICH, BASE).unwrap_err(),
            TxError::PoolFull
        );
        let (_, displaced) = p.insert(tx(&key(2), 0, 6), RICH, BASE).unwrap();
        assert_eq!(
            displaced.evicted.unwrap().tx.transfer.sender,
            key(0).address()
        );
        assert_eq!(p.len(), 2);
    }

    #[test]
    fn select_orders_by_tip_and_nonce() {
        let mut p = pool(100);
        let (a, b) = (key(0), key(1));
        p.insert(tx(&a, 0, 1), RICH, BASE).unwrap();
        p.insert(tx(&a, 1, 50), RICH, BASE).unwrap();
        p.insert(tx(&b, 0, 10), RICH, BASE).unwrap();
        let picked: Vec<(Address, u64)> = p
            .select(10, usize::MAX, 0, |_| None)
            .iter()
            .map(|t| (t.sender(), t.nonce()))
            .collect();
        assert_eq!(
            picked,
            vec![(b.address(), 0), (a.address(), 0), (a.address(), 1)]
        );
        assert_eq!(p.select(2, usize::MAX, 0, |_| None).len(), 2);
        let one_size = p.select(1, usize::MAX, 0, |_| None)[0].tx.raw.len();
        assert_eq!(p.select(10, one_size * 2, 0, |_| None).len(), 2);
    }

    #[test]
    fn wrapping_costs_cannot_pass_the_balance_check() {
        let mut p = pool(100);
        let s = key(0);
        let mut t = eip1559(0, Address::repeat_byte(0xaa), 0);
        t.max_fee_per_gas = 10_000;
        // gas × fee + value wraps to exactly zero in 256-bit arithmetic.
        t.value = U256::ZERO - U256::from(21_000u64 * 10_000);
        let tx = validate(sign(&s, t), &rules()).unwrap();
        assert_eq!(tx.upfront_cost, U256::MAX);
        assert!(matches!(
            p.insert(tx, RICH, BASE),
            Err(TxError::InsufficientFunds { .. })
        ));
    }

    #[test]
    fn included_senders_leave_no_eviction_candidates_behind() {
        let mut p = pool(2);
        let t = p.insert(tx(&key(0), 0, 1), RICH, BASE).unwrap().0;
        p.on_block(&[t.tx.hash], [(key(0).address(), 1)]);
        assert!(p.tails.is_empty());
        p.insert(tx(&key(1), 0, 5), RICH, BASE).unwrap();
        p.insert(tx(&key(2), 0, 6), RICH, BASE).unwrap();
        let (_, displaced) = p.insert(tx(&key(3), 0, 7), RICH, BASE).unwrap();
        assert_eq!(
            displaced.evicted.unwrap().tx.transfer.sender,
            key(1).address()
        );
        assert_eq!(p.len(), 2, "the size bound holds");
    }

    #[test]
    fn a_transaction_being_included_cannot_be_replaced() {
        let mut p = pool(100);
        let s = key(0);
        let first = p.insert(tx(&s, 0, 1), RICH, BASE).unwrap().0;
        p.mark_in_flight(&[first]);
        assert!(matches!(
            p.insert(tx(&s, 0, 50), RICH, BASE),
            Err(TxError::NonceTooLow { .. })
        ));
        p.clear_in_flight(&[(s.address(), 0)]);
        // Once the block is out, the ordinary replacement rules apply again.
        assert_eq!(
            p.insert(tx(&s, 0, 50), RICH, BASE).unwrap_err(),
            TxError::ReplacementUnderpriced
        );
    }

    #[test]
    fn transactions_going_into_a_block_are_never_evicted() {
        let mut p = pool(2);
        let cheap = p.insert(tx(&key(0), 0, 1), RICH, BASE).unwrap().0;
        p.insert(tx(&key(1), 0, 9), RICH, BASE).unwrap();
        p.mark_in_flight(&[cheap]);
        // The cheapest tail is in flight; the next cheapest pays more than the newcomer.
        assert_eq!(
            p.insert(tx(&key(2), 0, 5), RICH, BASE).unwrap_err(),
            TxError::PoolFull
        );
        assert_eq!(p.len(), 2);
        // Its nonce stays taken even if it were gone from the pool.
        p.remove(&p.select(10, usize::MAX, 0, |_| None)[1].tx.hash.clone());
        assert!(matches!(
            p.insert(tx(&key(0), 0, 50), RICH, BASE),
            Err(TxError::NonceTooLow { .. })
        ));
    }

    #[test]
    fn on_block_drops_included_and_stale() {
        let mut p = pool(100);
        let a = key(0);
        let t0 = p.insert(tx(&a, 0, 1), RICH, BASE).unwrap().0;
        p.insert(tx(&a, 1, 1), RICH, BASE).unwrap();
        let stale = p.on_block(&[], [(a.address(), 2)]);
        assert_eq!(stale.len(), 2);
        assert!(p.is_empty());
        let t = p
            .insert(tx(&a, 2, 1), AccountState { nonce: 2, ..RICH }, BASE)
            .unwrap()
            .0;
        assert!(p.on_block(&[t.tx.hash], [(a.address(), 3)]).is_empty());
        assert!(p.get(&t0.tx.hash).is_none());
    }
}
