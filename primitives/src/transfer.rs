//! The fields of a transfer that proofs commit to, and the running commitment over them.

use alloy_consensus::{Transaction, TxEnvelope};
use alloy_eips::eip2718::Decodable2718;
use alloy_primitives::Address;
use plonky2::field::types::Field;
use plonky2::hash::poseidon::PoseidonHash;
use plonky2::plonk::config::Hasher;
use serde::{Deserialize, Serialize};

use crate::field::{address_limbs, amount_limbs, Digest, F};

/// Gas every transfer uses.
pub const TRANSFER_GAS: u64 = 21_000;

/// A validated, sender-recovered transfer: everything the state transition depends on, and
/// everything (with the chain id) that the sender's signature covers, so a later signature
/// proof can bind itself to the same [`TxCommitment`].
///
/// Amounts are bounded by validation: `value` ≤ balance < 2^96, and because
/// `gas_limit × max_fee_per_gas` ≤ balance with `gas_limit` ≥ 21,000, both fee caps are
/// below 2^82. Legacy and EIP-2930 transactions carry their gas price in both fee fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    /// EIP-2718 type: 0 legacy, 1 EIP-2930, 2 EIP-1559.
    pub tx_type: u8,
    /// Recovered signer.
    pub sender: Address,
    /// Recipient.
    pub to: Address,
    /// Wei moved to `to`.
    pub value: u128,
    /// Sender nonce.
    pub nonce: u64,
    /// Gas limit the sender signed.
    pub gas_limit: u64,
    /// Fee cap per gas (legacy: gas price).
    pub max_fee_per_gas: u128,
    /// Tip cap per gas (legacy: gas price).
    pub max_priority_fee_per_gas: u128,
}

/// Field elements per transfer in the commitment.
pub const TRANSFER_ELEMENTS: usize = 15;

/// Why stored transaction bytes do not describe a transfer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TransferDecodeError {
    /// Not a signed EIP-2718 transaction.
    #[error("not a signed transaction: {0}")]
    Decode(String),
    /// A blob or EIP-7702 transaction.
    #[error("transaction type {0} is not a transfer")]
    UnsupportedType(u8),
    /// No recipient.
    #[error("a contract creation is not a transfer")]
    ContractCreation,
}

impl Transfer {
    /// The transfer a decoded legacy, EIP-2930 or EIP-1559 transaction performs, given its
    /// recovered sender (`None` for other types or a contract creation). Amounts above
    /// `u128` saturate; validation refuses such transactions before they are used.
    pub fn from_envelope(
        envelope: &TxEnvelope,
        sender: Address,
    ) -> Result<Self, TransferDecodeError> {
        let tx_type = match envelope {
            TxEnvelope::Legacy(_) => 0,
            TxEnvelope::Eip2930(_) => 1,
            TxEnvelope::Eip1559(_) => 2,
            other => return Err(TransferDecodeError::UnsupportedType(other.tx_type() as u8)),
        };
        let to = envelope.to().ok_or(TransferDecodeError::ContractCreation)?;
        let max_fee = envelope.max_fee_per_gas();
        Ok(Transfer {
            tx_type,
            sender,
            to,
            value: envelope.value().saturating_to::<u128>(),
            nonce: envelope.nonce(),
            gas_limit: envelope.gas_limit(),
            max_fee_per_gas: max_fee,
            max_priority_fee_per_gas: envelope.max_priority_fee_per_gas().unwrap_or(max_fee),
        })
    }

    /// The transfer stored transaction bytes perform, given the sender recovered when the
    /// sequencer accepted them: how provers read blocks without recovering every signature
    /// again (signatures are not yet proven; see the README).
    pub fn from_raw(raw: &[u8], sender: Address) -> Result<Self, TransferDecodeError> {
        let mut buf = raw;
        let envelope = TxEnvelope::decode_2718(&mut buf)
            .map_err(|e| TransferDecodeError::Decode(e.to_string()))?;
        Self::from_envelope(&envelope, sender)
    }

    /// Price per gas actually paid under `base_fee`: `min(max_fee, base_fee + tip)`.
    pub fn effective_gas_price(&self, base_fee: u64) -> u128 {
        self.max_fee_per_gas
            .min(u128::from(base_fee).saturating_add(self.max_priority_fee_per_gas))
    }

    /// Fee charged for the transfer's 21,000 gas under `base_fee`.
    pub fn fee(&self, base_fee: u64) -> u128 {
        self.effective_gas_price(base_fee) * u128::from(TRANSFER_GAS)
    }

    /// The field encoding hashed into [`TxCommitment`]:
    /// `[type, nonce, gas_limit, sender(3), to(3), value(2), max_fee(2), max_priority(2)]`.
    pub fn to_fields(&self) -> [F; TRANSFER_ELEMENTS] {
        let s = address_limbs(&self.sender);
        let t = address_limbs(&self.to);
        let v = amount_limbs(self.value);
        let fee = amount_limbs(self.max_fee_per_gas);
        let tip = amount_limbs(self.max_priority_fee_per_gas);
        [
            F::from_canonical_u8(self.tx_type),
            F::from_canonical_u64(self.nonce),
            F::from_canonical_u64(self.gas_limit),
            s[0],
            s[1],
            s[2],
            t[0],
            t[1],
            t[2],
            v[0],
            v[1],
            fee[0],
            fee[1],
            tip[0],
            tip[1],
        ]
    }
}

/// Running commitment to an ordered list of transfers:
/// `c_0 = 0`, `c_{i+1} = Poseidon(c_i ‖ fields(tx_i))`.
///
/// A chain rather than a Merkle root because circuits consume transactions in execution
/// order anyway, and a chain absorbs each one in two permutations with no padding to a
/// power of two.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TxCommitment(pub Digest);

impl TxCommitment {
    /// Commitment to no transactions.
    pub fn empty() -> Self {
        Self(Digest::ZERO)
    }

    /// Absorbs one more transfer.
    pub fn absorb(&mut self, transfer: &Transfer) {
        let mut input = [F::ZERO; 4 + TRANSFER_ELEMENTS];
        input[..4].copy_from_slice(&self.0.elements);
        input[4..].copy_from_slice(&transfer.to_fields());
        self.0 = PoseidonHash::hash_no_pad(&input);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transfer() -> Transfer {
        Transfer {
            tx_type: 2,
            sender: Address::repeat_byte(1),
            to: Address::repeat_byte(2),
            value: 10,
            nonce: 0,
            gas_limit: 21_000,
            max_fee_per_gas: 3_000,
            max_priority_fee_per_gas: 500,
        }
    }

    #[test]
    fn effective_price_is_capped_by_max_fee() {
        let t = transfer();
        assert_eq!(t.effective_gas_price(1_000), 1_500);
        assert_eq!(t.effective_gas_price(2_800), 3_000);
        assert_eq!(t.fee(1_000), 1_500 * 21_000);
    }

    #[test]
    fn commitment_depends_on_order_and_content() {
        let a = transfer();
        let b = Transfer { nonce: 1, ..a };
        let (mut ab, mut ba) = (TxCommitment::empty(), TxCommitment::empty());
        ab.absorb(&a);
        ab.absorb(&b);
        ba.absorb(&b);
        ba.absorb(&a);
        assert_ne!(ab, ba);
        let mut one = TxCommitment::empty();
        one.absorb(&a);
        assert_ne!(one, TxCommitment::empty());
    }
}
