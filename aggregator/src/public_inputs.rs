//! What an aggregate proof attests, and the digest that folds batch commitments.

use plonky2::field::types::{Field, PrimeField64};
use plonky2::hash::hash_types::HashOut;
use plonky2::hash::poseidon::PoseidonHash;
use plonky2::plonk::config::Hasher;
use quire_primitives::field::{address_limbs, amount_limbs};
use quire_primitives::Digest;
use quire_prover::BatchPublicInputs;

use crate::F;

/// Field elements of an aggregate's own public inputs (the circuit's verifier data follows
/// them in a fold proof).
pub const AGGREGATE_INPUTS: usize = 17;

/// Field elements of a final (wrap) proof's public inputs: the aggregate's, with the first
/// and last batch numbers packed into one element, `first + last·2^32` (the leaves keep
/// batch numbers below 2^32 and the wrap `last` below 2^31, so the packing is injective).
/// Sixteen elements take two Poseidon permutations to hash where seventeen take three:
/// ~58k gas less for the L1 verifier.
pub const FINAL_INPUTS: usize = AGGREGATE_INPUTS - 1;

/// An aggregate proof covers batches `first_batch..=last_batch`: applied in order, their
/// transfers, each signed by its sender for the chain the digest names, take the state
/// from `prev_root` to `new_root`. `batches_digest` commits to each batch's number,
/// transaction commitment and count, base fee, fee recipient, chain id and the L1 deposits
/// it credited (the deposit count and chain before and after it) ([`batch_digest`]), folded
/// along the canonical tree ([`range_digest`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AggregatePublicInputs {
    /// First batch covered.
    pub first_batch: u64,
    /// Last batch covered.
    pub last_batch: u64,
    /// State root before the first batch.
    pub prev_root: Digest,
    /// State root after the last batch.
    pub new_root: Digest,
    /// Accounts before the first batch.
    pub leaf_count_before: u64,
    /// Accounts after the last batch.
    pub leaf_count_after: u64,
    /// Commitment to the covered batches.
    pub batches_digest: Digest,
    /// Transfers in all covered batches.
    pub tx_count: u64,
}

/// Public inputs that do not decode.
#[derive(Debug, thiserror::Error)]
#[error("malformed aggregate public inputs")]
pub struct MalformedAggregate;

impl AggregatePublicInputs {
    /// Elements in circuit order.
    pub fn to_elements(&self) -> Vec<F> {
        let mut v = Vec::with_capacity(AGGREGATE_INPUTS);
        v.push(F::from_canonical_u64(self.first_batch));
        v.push(F::from_canonical_u64(self.last_batch));
        v.extend_from_slice(&self.prev_root.elements);
        v.extend_from_slice(&self.new_root.elements);
        v.push(F::from_canonical_u64(self.leaf_count_before));
        v.push(F::from_canonical_u64(self.leaf_count_after));
        v.extend_from_slice(&self.batches_digest.elements);
        v.push(F::from_canonical_u64(self.tx_count));
        v
    }

    /// Decodes the first [`AGGREGATE_INPUTS`] elements of a proof's public inputs.
    pub fn from_elements(e: &[F]) -> Result<Self, MalformedAggregate> {
        if e.len() < AGGREGATE_INPUTS {
            return Err(MalformedAggregate);
        }
        let digest = |at: usize| HashOut {
            elements: [e[at], e[at + 1], e[at + 2], e[at + 3]],
        };
        Ok(Self {
            first_batch: e[0].to_canonical_u64(),
            last_batch: e[1].to_canonical_u64(),
            prev_root: digest(2),
            new_root: digest(6),
            leaf_count_before: e[10].to_canonical_u64(),
            leaf_count_after: e[11].to_canonical_u64(),
            batches_digest: digest(12),
            tx_count: e[16].to_canonical_u64(),
        })
    }

    /// Elements of a final proof's public inputs ([`FINAL_INPUTS`]).
    pub fn to_final_elements(&self) -> Vec<F> {
        let mut v = self.to_elements();
        let packed = v[0] + v[1] * F::from_canonical_u64(1 << 32);
        v.splice(0..2, [packed]);
        v
    }

    /// Decodes a final proof's public inputs ([`FINAL_INPUTS`] elements).
    pub fn from_final_elements(e: &[F]) -> Result<Self, MalformedAggregate> {
        if e.len() != FINAL_INPUTS {
            return Err(MalformedAggregate);
        }
        let packed = e[0].to_canonical_u64();
        let (first, last) = (packed & 0xffff_ffff, packed >> 32);
        if last >= 1 << 31 {
            return Err(MalformedAggregate);
        }
        let mut v = vec![F::from_canonical_u64(first), F::from_canonical_u64(last)];
        v.extend_from_slice(&e[1..]);
        Self::from_elements(&v)
    }

    /// The aggregate form of one batch proof's public inputs, bound to its signatures on
    /// chain `chain_id`.
    pub fn of_batch(b: &BatchPublicInputs, chain_id: u64) -> Self {
        Self {
            first_batch: b.batch_number,
            last_batch: b.batch_number,
            prev_root: b.prev_root,
            new_root: b.new_root,
            leaf_count_before: b.leaf_count_before,
            leaf_count_after: b.leaf_count_after,
            batches_digest: batch_digest(b, chain_id),
            tx_count: b.tx_count,
        }
    }
}

/// What a batch's digest covers: the fields a light client reads from a node's batch
/// headers to recompute an aggregate's `batches_digest`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatchDigestFields {
    /// Batch number.
    pub number: u64,
    /// Transaction commitment.
    pub tx_commitment: Digest,
    /// Transfer count.
    pub tx_count: u64,
    /// Base fee, wei.
    pub base_fee: u64,
    /// Fee recipient.
    pub fee_recipient: alloy_primitives::Address,
    /// The chain every transfer's signature covers.
    pub chain_id: u64,
    /// Deposits credited before the batch, and their [`quire_primitives::DepositChain`]
    /// (the previous batch's values after it).
    pub deposits_before: (u64, Digest),
    /// Deposits credited after it, and their chain.
    pub deposits_after: (u64, Digest),
}

impl BatchDigestFields {
    /// The fields of a batch proof's public inputs, on chain `chain_id`.
    pub fn of(b: &BatchPublicInputs, chain_id: u64) -> Self {
        Self {
            number: b.batch_number,
            tx_commitment: b.tx_commitment,
            tx_count: b.tx_count,
            base_fee: b.base_fee,
            fee_recipient: b.fee_recipient,
            chain_id,
            deposits_before: (b.deposit_count_before, b.deposit_chain_before),
            deposits_after: (b.deposit_count_after, b.deposit_chain_after),
        }
    }

    /// Elements in circuit order: number, transaction commitment, transfer count, base
    /// fee limbs, fee recipient limbs, deposit counts before and after, deposit chains
    /// before and after (the batch proof's public inputs 21..31).
    pub fn elements(&self) -> Vec<F> {
        let mut v = vec![F::from_canonical_u64(self.number)];
        v.extend_from_slice(&self.tx_commitment.elements);
        v.push(F::from_canonical_u64(self.tx_count));
        v.extend_from_slice(&amount_limbs(u128::from(self.base_fee)));
        v.extend_from_slice(&address_limbs(&self.fee_recipient));
        v.push(F::from_canonical_u64(self.deposits_before.0));
        v.push(F::from_canonical_u64(self.deposits_after.0));
        v.extend_from_slice(&self.deposits_before.1.elements);
        v.extend_from_slice(&self.deposits_after.1.elements);
        v
    }

    /// The batch's digest: Poseidon of the elements (what the batch leaf hashes), then of
    /// that and the chain id (what the bind circuit adds, from the signature proof).
    pub fn digest(&self) -> Digest {
        let inner = PoseidonHash::hash_no_pad(&self.elements());
        let mut input = inner.elements.to_vec();
        input.push(F::from_canonical_u64(self.chain_id));
        PoseidonHash::hash_no_pad(&input)
    }
}

/// One batch's digest, on chain `chain_id`.
pub fn batch_digest(b: &BatchPublicInputs, chain_id: u64) -> Digest {
    BatchDigestFields::of(b, chain_id).digest()
}

/// Two adjacent ranges' digest.
pub fn fold_digest(left: &Digest, right: &Digest) -> Digest {
    PoseidonHash::two_to_one(*left, *right)
}

/// Where a range of `n ≥ 2` batches splits: the left part is the largest power of two
/// below `n`. Folding along this tree is what [`range_digest`] expects.
pub fn split_point(n: usize) -> usize {
    debug_assert!(n >= 2);
    1 << (usize::BITS - 1 - (n - 1).leading_zeros())
}

/// The digest of consecutive batches, folded along the canonical tree.
pub fn range_digest(batch_digests: &[Digest]) -> Digest {
    match batch_digests.len() {
        0 => Digest::ZERO,
        1 => batch_digests[0],
        n => {
            let m = split_point(n);
            fold_digest(
                &range_digest(&batch_digests[..m]),
                &range_digest(&batch_digests[m..]),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn split_points_are_the_largest_power_of_two_below() {
        assert_eq!(split_point(2), 1);
        assert_eq!(split_point(3), 2);
        assert_eq!(split_point(4), 2);
        assert_eq!(split_point(5), 4);
        assert_eq!(split_point(8), 4);
        assert_eq!(split_point(9), 8);
    }

    #[test]
    fn final_public_inputs_pack_the_batch_range_and_decode_back() {
        let digest = |k: u64| Digest {
            elements: [1, 2, 3, 4].map(|e| F::from_canonical_u64(e * k)),
        };
        let pi = AggregatePublicInputs {
            first_batch: 7,
            last_batch: (1 << 31) - 1,
            prev_root: digest(10),
            new_root: digest(20),
            leaf_count_before: 5,
            leaf_count_after: 9,
            batches_digest: digest(30),
            tx_count: 12,
        };
        let e = pi.to_final_elements();
        assert_eq!(e.len(), FINAL_INPUTS);
        assert_eq!(e[0].to_canonical_u64(), 7 + (((1 << 31) - 1) << 32));
        assert_eq!(AggregatePublicInputs::from_final_elements(&e).unwrap(), pi);
        // A last batch of 2^31 or more is not a packing the wrap can prove.
        let mut high = e.clone();
        high[0] = F::from_canonical_u64(7 + (1 << 63));
        assert!(AggregatePublicInputs::from_final_elements(&high).is_err());
        // Unpacked (aggregate) inputs are not final ones.
        assert!(AggregatePublicInputs::from_final_elements(&pi.to_elements()).is_err());
    }
}
