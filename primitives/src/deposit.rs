//! Deposits from L1: what the Bridge queues, and the running hash that fixes their order.
//!
//! The hash is the Bridge's (`Bridge.queueHash`): Keccak-256 over the previous hash (24
//! bytes), the index (8 bytes, big-endian), the L2 recipient (20), the amount (12) and the
//! L1 block of the deposit (8), truncated to 24 bytes so that the hash and the deposit's L1 block share one storage word
//! of the Bridge's history. Whoever follows L1 recomputes it from the `DepositQueued`
//! events to check that none was missed or reordered.

use alloy_primitives::{keccak256, Address, FixedBytes, U256};

/// The running hash of the deposit queue ([`genesis_queue_hash`] before the first deposit).
pub type QueueHash = FixedBytes<24>;

/// The queue hash before any deposit, the Bridge's `GENESIS_QUEUE_HASH`.
pub fn genesis_queue_hash() -> QueueHash {
    QueueHash::from_slice(&keccak256(b"quire bridge deposit queue")[..24])
}

/// Deposit amounts are below 2^96 wei, like L2 balances.
pub const MAX_DEPOSIT: u128 = (1 << 96) - 1;

/// One deposit, as the Bridge queued it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Deposit {
    /// Its place in the queue, from 0.
    pub index: u64,
    /// Who is credited on L2.
    pub recipient: Address,
    /// Wei credited (1 ..= [`MAX_DEPOSIT`]).
    pub amount: u128,
    /// The L1 block it was made in (forced inclusion counts from it).
    pub l1_block: u64,
}

/// A deposit the Bridge would never have queued.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum BadDeposit {
    /// Zero, or at least 2^96 wei.
    #[error("deposit amount {0} is out of range")]
    Amount(U256),
}

impl Deposit {
    /// Builds a deposit from an event's fields and block, checking the amount's range.
    pub fn new(
        index: u64,
        recipient: Address,
        amount: U256,
        l1_block: u64,
    ) -> Result<Self, BadDeposit> {
        let small = u128::try_from(amount).map_err(|_| BadDeposit::Amount(amount))?;
        if small == 0 || small > MAX_DEPOSIT {
            return Err(BadDeposit::Amount(amount));
        }
        Ok(Self {
            index,
            recipient,
            amount: small,
            l1_block,
        })
    }

    /// The queue hash after this deposit, given the hash before it. The amount must be
    /// below 2^96 ([`Deposit::new`] checks it): only its low 12 bytes are hashed.
    pub fn queue_hash(&self, prev: QueueHash) -> QueueHash {
        debug_assert!(self.amount <= MAX_DEPOSIT, "deposit amount above 2^96");
        let mut pre = [0u8; 24 + 8 + 20 + 12 + 8];
        pre[..24].copy_from_slice(prev.as_slice());
        pre[24..32].copy_from_slice(&self.index.to_be_bytes());
        pre[32..52].copy_from_slice(self.recipient.as_slice());
        pre[52..64].copy_from_slice(&self.amount.to_be_bytes()[4..]);
        pre[64..].copy_from_slice(&self.l1_block.to_be_bytes());
        QueueHash::from_slice(&keccak256(pre)[..24])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_outside_the_bridge_range_are_refused() {
        let to = Address::repeat_byte(1);
        assert!(Deposit::new(0, to, U256::ZERO, 1).is_err());
        assert!(Deposit::new(0, to, U256::from(1u128 << 96), 1).is_err());
        assert!(Deposit::new(0, to, U256::MAX, 1).is_err());
        assert_eq!(
            Deposit::new(3, to, U256::from(MAX_DEPOSIT), 1)
                .unwrap()
                .amount,
            MAX_DEPOSIT
        );
    }

    #[test]
    fn the_hash_chains_and_depends_on_every_field() {
        let d = Deposit::new(0, Address::repeat_byte(1), U256::from(5), 9).unwrap();
        let h = d.queue_hash(QueueHash::ZERO);
        let others = [
            Deposit { index: 1, ..d },
            Deposit {
                recipient: Address::repeat_byte(2),
                ..d
            },
            Deposit { amount: 6, ..d },
            Deposit { l1_block: 10, ..d },
        ];
        for o in others {
            assert_ne!(o.queue_hash(QueueHash::ZERO), h);
        }
        assert_ne!(d.queue_hash(h), h, "the previous hash enters");
    }
}
