//! Where L2 stands with the L1 bridge: how many deposits it has credited and withdrawals it
//! has made, and the hashes that fix their order. Every batch header records it as of the
//! batch's end; a batch's signature proof attests it before and after the batch, and the
//! Rollup checks it against the Bridge's deposit queue and the withdrawal list it records.

use alloy_primitives::Address;

use crate::deposit::{genesis_queue_hash, Deposit, DepositChain, QueueHash};
use crate::withdrawal::{genesis_withdrawal_hash, withdrawal_hash, WithdrawalHash};

/// Deposits credited plus withdrawals made in one batch, at most: its signature proof
/// hashes each with the Keccak table, which at the largest signature circuit (256
/// transfers) has room for 128 more permutations than the transfers need.
pub const MAX_BATCH_BRIDGE_OPS: u64 = 128;

/// The bridge counters and hashes after some prefix of the chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BridgeState {
    /// Deposits credited: the queue index of the next one.
    pub deposit_count: u64,
    /// Poseidon chain of the credited deposits (what batch proofs attest).
    pub deposit_chain: DepositChain,
    /// The Bridge's Keccak queue hash after the last credited deposit.
    pub queue_hash: QueueHash,
    /// Withdrawals made.
    pub withdrawal_count: u64,
    /// Keccak hash of every withdrawal made, in order.
    pub withdrawal_hash: WithdrawalHash,
}

impl BridgeState {
    /// Before any deposit or withdrawal.
    pub fn genesis() -> Self {
        Self {
            deposit_count: 0,
            deposit_chain: DepositChain::empty(),
            queue_hash: genesis_queue_hash(),
            withdrawal_count: 0,
            withdrawal_hash: genesis_withdrawal_hash(),
        }
    }

    /// After crediting `d`, the next deposit of the queue.
    pub fn credit(&mut self, d: &Deposit) {
        debug_assert_eq!(
            d.index, self.deposit_count,
            "deposits credit in queue order"
        );
        self.deposit_count += 1;
        self.deposit_chain.absorb(d);
        self.queue_hash = d.queue_hash(self.queue_hash);
    }

    /// After a withdrawal of `amount` paid on L1 to `recipient`.
    pub fn withdraw(&mut self, recipient: &Address, amount: u128) {
        self.withdrawal_count += 1;
        self.withdrawal_hash = withdrawal_hash(self.withdrawal_hash, recipient, amount);
    }
}

impl BridgeState {
    /// What proofs attest of it.
    pub fn attested(&self) -> AttestedBridge {
        AttestedBridge {
            deposit_count: self.deposit_count,
            deposit_chain: self.deposit_chain,
            queue_hash: self.queue_hash,
            withdrawal_hash: self.withdrawal_hash,
        }
    }
}

/// What proofs attest of a [`BridgeState`]: all of it but the withdrawal count (the Rollup
/// numbers the withdrawals it records itself, and the hash fixes how many there were).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttestedBridge {
    /// Deposits credited.
    pub deposit_count: u64,
    /// Poseidon chain of the credited deposits.
    pub deposit_chain: DepositChain,
    /// The Bridge's queue hash after the last credited deposit.
    pub queue_hash: QueueHash,
    /// Keccak hash of every withdrawal made.
    pub withdrawal_hash: WithdrawalHash,
}

impl Default for BridgeState {
    fn default() -> Self {
        Self::genesis()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::U256;

    #[test]
    fn credits_and_withdrawals_advance_their_own_counters_and_hashes() {
        let mut s = BridgeState::genesis();
        let d = Deposit::new(0, Address::repeat_byte(1), U256::from(5), 3).unwrap();
        s.credit(&d);
        assert_eq!(s.deposit_count, 1);
        assert_eq!(s.queue_hash, d.queue_hash(genesis_queue_hash()));
        assert_ne!(s.deposit_chain, DepositChain::empty());
        assert_eq!(s.withdrawal_hash, genesis_withdrawal_hash());
        s.withdraw(&Address::repeat_byte(2), 4);
        assert_eq!(s.withdrawal_count, 1);
        assert_eq!(
            s.withdrawal_hash,
            withdrawal_hash(genesis_withdrawal_hash(), &Address::repeat_byte(2), 4)
        );
        assert_eq!(s.deposit_count, 1);
    }
}
