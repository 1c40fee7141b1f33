//! The public inputs of a batch proof: what a verifier learns and must check.

use alloy_primitives::Address;
use plonky2::field::types::{Field, PrimeField64};
use plonky2::hash::hash_types::HashOut;
use quire_primitives::field::{address_from_limbs, address_limbs, amount_from_limbs, amount_limbs};
use quire_primitives::Digest;

use crate::F;

/// Number of field elements in a batch proof's public inputs.
pub const PUBLIC_INPUTS: usize = 31;

/// What a batch proof attests: applying the transfers committed to by `tx_commitment`, in
/// order, under `base_fee` with fees to `fee_recipient`, takes the state tree from
/// `prev_root` (with `leaf_count_before` accounts) to `new_root` (`leaf_count_after`),
/// crediting L1 deposits `deposit_count_before..deposit_count_after` of the Bridge's queue,
/// whose recipients and amounts extend `deposit_chain_before` to `deposit_chain_after`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct BatchPublicInputs {
    /// State root before the batch.
    pub prev_root: Digest,
    /// State root after the batch.
    pub new_root: Digest,
    /// Batch number.
    pub batch_number: u64,
    /// [`quire_primitives::TxCommitment`] of the batch's transfers.
    pub tx_commitment: Digest,
    /// Transfers executed.
    pub tx_count: u64,
    /// Base fee per gas every transfer paid.
    pub base_fee: u64,
    /// Receiver of the fees.
    pub fee_recipient: Address,
    /// Accounts before the batch.
    pub leaf_count_before: u64,
    /// Accounts after the batch.
    pub leaf_count_after: u64,
    /// Deposits credited before the batch.
    pub deposit_count_before: u64,
    /// Deposits credited after it.
    pub deposit_count_after: u64,
    /// [`quire_primitives::DepositChain`] before the batch.
    pub deposit_chain_before: Digest,
    /// [`quire_primitives::DepositChain`] after it.
    pub deposit_chain_after: Digest,
}

/// Public inputs that do not decode.
#[derive(Debug, thiserror::Error)]
#[error("malformed public inputs: {0}")]
pub struct MalformedPublicInputs(pub &'static str);

impl BatchPublicInputs {
    /// The field elements, in the order the circuit registers them.
    pub fn to_elements(&self) -> Vec<F> {
        let mut v = Vec::with_capacity(PUBLIC_INPUTS);
        v.extend_from_slice(&self.prev_root.elements);
        v.extend_from_slice(&self.new_root.elements);
        v.push(F::from_canonical_u64(self.batch_number));
        v.extend_from_slice(&self.tx_commitment.elements);
        v.push(F::from_canonical_u64(self.tx_count));
        v.extend_from_slice(&amount_limbs(u128::from(self.base_fee)));
        v.extend_from_slice(&address_limbs(&self.fee_recipient));
        v.push(F::from_canonical_u64(self.leaf_count_before));
        v.push(F::from_canonical_u64(self.leaf_count_after));
        v.push(F::from_canonical_u64(self.deposit_count_before));
        v.push(F::from_canonical_u64(self.deposit_count_after));
        v.extend_from_slice(&self.deposit_chain_before.elements);
        v.extend_from_slice(&self.deposit_chain_after.elements);
        v
    }

    /// Decodes the elements of a proof.
    pub fn from_elements(e: &[F]) -> Result<Self, MalformedPublicInputs> {
        if e.len() != PUBLIC_INPUTS {
            return Err(MalformedPublicInputs("wrong number of elements"));
        }
        let digest = |at: usize| HashOut {
            elements: [e[at], e[at + 1], e[at + 2], e[at + 3]],
        };
        let base_fee = amount_from_limbs(&[e[14], e[15]])
            .and_then(|v| u64::try_from(v).ok())
            .ok_or(MalformedPublicInputs("base fee"))?;
        let fee_recipient = address_from_limbs(&[e[16], e[17], e[18]])
            .ok_or(MalformedPublicInputs("fee recipient"))?;
        Ok(Self {
            prev_root: digest(0),
            new_root: digest(4),
            batch_number: e[8].to_canonical_u64(),
            tx_commitment: digest(9),
            tx_count: e[13].to_canonical_u64(),
            base_fee,
            fee_recipient,
            leaf_count_before: e[19].to_canonical_u64(),
            leaf_count_after: e[20].to_canonical_u64(),
            deposit_count_before: e[21].to_canonical_u64(),
            deposit_count_after: e[22].to_canonical_u64(),
            deposit_chain_before: digest(23),
            deposit_chain_after: digest(27),
        })
    }
}
