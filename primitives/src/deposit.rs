//! Deposits from L1: what the Bridge queues, and the running hash that fixes their order.
//!
//! The hash is the Bridge's (`Bridge.queueHash`): Keccak-256 over the previous hash (24
//! bytes), the index (8 bytes, big-endian), the L2 recipient (20), the amount (12) and the
//! L1 block of the deposit (8), truncated to 24 bytes so that the hash and the deposit's L1 block share one storage word
//! of the Bridge's history. Whoever follows L1 recomputes it from the `DepositQueued`
//! events to check that none was missed or reordered.

use alloy_primitives::{keccak256, Address, FixedBytes, U256};
use plonky2::field::types::Field;
use plonky2::hash::poseidon::PoseidonHash;
use plonky2::plonk::config::Hasher;

use crate::field::{address_limbs, amount_limbs};
use crate::{Digest, F};

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

/// Field elements a deposit adds to the [`DepositChain`]: the recipient's three limbs and
/// the amount's two.
pub const DEPOSIT_ELEMENTS: usize = 5;

/// The Poseidon chain of the deposits L2 has credited, in queue order, from
/// [`DepositChain::empty`] at genesis: what batch proofs attest next to the count of
/// deposits consumed. Poseidon because the batch circuit absorbs it per deposit; whoever
/// checks it against the Bridge's Keccak queue recomputes it from the same deposits.
///
/// Only what L2 credits (recipient, amount) enters: the queue index is the chain's length,
/// which proofs expose as a count.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct DepositChain(pub Digest);

impl DepositChain {
    /// The chain before any deposit.
    pub fn empty() -> Self {
        Self(Digest::ZERO)
    }

    /// A deposit's fields as the chain absorbs them.
    pub fn fields(recipient: &Address, amount: u128) -> [F; DEPOSIT_ELEMENTS] {
        let a = address_limbs(recipient);
        let v = amount_limbs(amount);
        [a[0], a[1], a[2], v[0], v[1]]
    }

    /// Absorbs one more credited deposit.
    pub fn absorb(&mut self, d: &Deposit) {
        let mut input = [F::ZERO; 4 + DEPOSIT_ELEMENTS];
        input[..4].copy_from_slice(&self.0.elements);
        input[4..].copy_from_slice(&Self::fields(&d.recipient, d.amount));
        self.0 = PoseidonHash::hash_no_pad(&input);
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

    #[test]
    fn the_credit_chain_depends_on_order_recipient_and_amount() {
        let a = Deposit::new(0, Address::repeat_byte(1), U256::from(5), 9).unwrap();
        let b = Deposit::new(1, Address::repeat_byte(2), U256::from(7), 9).unwrap();
        let chain = |ds: &[Deposit]| {
            let mut c = DepositChain::empty();
            ds.iter().for_each(|d| c.absorb(d));
            c
        };
        let ab = chain(&[a, b]);
        assert_ne!(ab, chain(&[b, a]), "order");
        assert_ne!(ab, chain(&[a, Deposit { amount: 8, ..b }]), "amount");
        assert_ne!(
            ab,
            chain(&[
                a,
                Deposit {
                    recipient: Address::repeat_byte(3),
                    ..b
                }
            ]),
            "recipient"
        );
        assert_ne!(chain(&[a]), DepositChain::empty());
    }
}
