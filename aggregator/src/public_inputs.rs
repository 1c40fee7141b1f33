//! What an aggregate proof attests, and the digest that folds batch commitments.

use plonky2::field::types::{Field, PrimeField64};
use plonky2::hash::hash_types::HashOut;
use plonky2::hash::poseidon::PoseidonHash;
use plonky2::plonk::config::Hasher;
use quire_primitives::field::{address_limbs, amount_limbs, hash24_from_limbs, hash24_limbs};
use quire_primitives::{AttestedBridge, Digest, QueueHash, WithdrawalHash};
use quire_prover::BatchPublicInputs;

use crate::F;

/// Field elements of an aggregate's own public inputs (the circuit's verifier data follows
/// them in a fold proof): batch range (2), roots (8), account counts (2), batches digest
/// (4), transfer count, deposit counts (2), queue hashes (8), withdrawal hashes (8), chain
/// id.
pub const AGGREGATE_INPUTS: usize = 36;

/// Where the chain id sits in an aggregate's elements: last, so that every other index is
/// the same as before it was added.
pub const CHAIN_ID_AT: usize = 35;

/// Where the transfer count sits in an aggregate's elements.
const TX_COUNT_AT: usize = 16;

/// Field elements of a final (wrap) proof's public inputs: the aggregate's, with four
/// pairs each packed into one element, `low + high·2^32`: the first and last batch, the
/// account counts and the deposit counts (`before + after·2^32`), and the chain id with the
/// transfer count (`chain_id + tx_count·2^32`, where the transfer count was). The wrap
/// keeps `low` below 2^32 and `high` below 2^31, so each packing is injective. Thirty-two
/// elements take four Poseidon permutations to hash where thirty-six take five: ~58k gas
/// less for the L1 verifier. The L1 Rollup writes its own chain id into element 14, so a
/// window signed for another chain does not verify there.
pub const FINAL_INPUTS: usize = AGGREGATE_INPUTS - 4;

/// One element of a final proof's public inputs, by the aggregate elements it holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FinalElement {
    /// An aggregate element as it is.
    Plain(usize),
    /// `low + high·2^32` of two aggregate elements (`low` < 2^32, `high` < 2^31).
    Packed {
        /// Index of the low half.
        low: usize,
        /// Index of the high half.
        high: usize,
    },
}

/// The final proof's public inputs in order, as the wrap circuit registers them and
/// [`AggregatePublicInputs::to_final_elements`] computes them (one description for both).
pub fn final_layout() -> Vec<FinalElement> {
    use FinalElement::{Packed, Plain};
    let mut v = vec![Packed { low: 0, high: 1 }];
    v.extend((2..10).map(Plain));
    v.push(Packed { low: 10, high: 11 });
    v.extend((12..16).map(Plain));
    v.push(Packed {
        low: CHAIN_ID_AT,
        high: TX_COUNT_AT,
    });
    v.push(Packed { low: 17, high: 18 });
    v.extend((19..CHAIN_ID_AT).map(Plain));
    debug_assert_eq!(v.len(), FINAL_INPUTS);
    v
}

/// Packs `before + after·2^32`.
fn pack(before: F, after: F) -> F {
    before + after * F::from_canonical_u64(1 << 32)
}

/// Unpacks a [`pack`]ed pair, `None` unless `after` is below 2^31.
fn unpack(packed: F) -> Option<(F, F)> {
    let v = packed.to_canonical_u64();
    let (before, after) = (v & 0xffff_ffff, v >> 32);
    (after < 1 << 31).then(|| (F::from_canonical_u64(before), F::from_canonical_u64(after)))
}

/// An aggregate proof covers batches `first_batch..=last_batch`: applied in order, their
/// transfers, each signed by its sender for chain `chain_id`, take the state
/// from `prev_root` to `new_root`. `batches_digest` commits to each batch's number,
/// transaction commitment and count, base fee, fee recipient, chain id and the L1 deposits
/// it credited (the deposit count and chain before and after it) ([`batch_digest`]), folded
/// along the canonical tree ([`range_digest`]). The batches credited the deposits
/// `deposit_count_before..deposit_count_after` of the Bridge's queue, whose queue hash
/// went from `queue_hash_before` to `queue_hash_after` (so L1 can check them against its
/// queue), and made the withdrawals that took the withdrawal hash from
/// `withdrawal_hash_before` to `withdrawal_hash_after` (so L1 can check the list it
/// records).
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
    /// Deposits credited before the first batch.
    pub deposit_count_before: u64,
    /// Deposits credited after the last batch.
    pub deposit_count_after: u64,
    /// The Bridge's queue hash before the first batch's deposits.
    pub queue_hash_before: QueueHash,
    /// The queue hash after the last batch's deposits.
    pub queue_hash_after: QueueHash,
    /// The withdrawal hash before the first batch.
    pub withdrawal_hash_before: WithdrawalHash,
    /// The withdrawal hash after the last batch.
    pub withdrawal_hash_after: WithdrawalHash,
    /// The chain every covered transfer was signed for (EIP-155), as the signature proofs
    /// attest: L1 checks it against the Rollup's own, so transfers signed for another
    /// chain cannot finalize here.
    pub chain_id: u64,
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
        v.push(F::from_canonical_u64(self.deposit_count_before));
        v.push(F::from_canonical_u64(self.deposit_count_after));
        for h in [
            &self.queue_hash_before,
            &self.queue_hash_after,
            &self.withdrawal_hash_before,
            &self.withdrawal_hash_after,
        ] {
            v.extend(hash24_limbs(h));
        }
        v.push(F::from_canonical_u64(self.chain_id));
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
        let hash = |at: usize| hash24_from_limbs(&e[at..at + 4]).ok_or(MalformedAggregate);
        Ok(Self {
            first_batch: e[0].to_canonical_u64(),
            last_batch: e[1].to_canonical_u64(),
            prev_root: digest(2),
            new_root: digest(6),
            leaf_count_before: e[10].to_canonical_u64(),
            leaf_count_after: e[11].to_canonical_u64(),
            batches_digest: digest(12),
            tx_count: e[16].to_canonical_u64(),
            deposit_count_before: e[17].to_canonical_u64(),
            deposit_count_after: e[18].to_canonical_u64(),
            queue_hash_before: hash(19)?,
            queue_hash_after: hash(23)?,
            withdrawal_hash_before: hash(27)?,
            withdrawal_hash_after: hash(31)?,
            chain_id: e[CHAIN_ID_AT].to_canonical_u64(),
        })
    }

    /// Elements of a final proof's public inputs ([`FINAL_INPUTS`], [`final_layout`]).
    pub fn to_final_elements(&self) -> Vec<F> {
        let e = self.to_elements();
        final_layout()
            .into_iter()
            .map(|f| match f {
                FinalElement::Plain(i) => e[i],
                FinalElement::Packed { low, high } => pack(e[low], e[high]),
            })
            .collect()
    }

    /// Decodes a final proof's public inputs ([`FINAL_INPUTS`] elements).
    pub fn from_final_elements(e: &[F]) -> Result<Self, MalformedAggregate> {
        if e.len() != FINAL_INPUTS {
            return Err(MalformedAggregate);
        }
        let mut v = vec![F::ZERO; AGGREGATE_INPUTS];
        for (f, x) in final_layout().into_iter().zip(e) {
            match f {
                FinalElement::Plain(i) => v[i] = *x,
                FinalElement::Packed { low, high } => {
                    (v[low], v[high]) = unpack(*x).ok_or(MalformedAggregate)?;
                }
            }
        }
        Self::from_elements(&v)
    }

    /// The aggregate form of one batch proof's public inputs, bound to its signatures on
    /// chain `chain_id`, with the bridge state before and after it that its signature
    /// proof attests.
    pub fn of_batch(
        b: &BatchPublicInputs,
        chain_id: u64,
        before: &AttestedBridge,
        after: &AttestedBridge,
    ) -> Self {
        Self {
            first_batch: b.batch_number,
            last_batch: b.batch_number,
            prev_root: b.prev_root,
            new_root: b.new_root,
            leaf_count_before: b.leaf_count_before,
            leaf_count_after: b.leaf_count_after,
            batches_digest: batch_digest(b, chain_id),
            tx_count: b.tx_count,
            deposit_count_before: before.deposit_count,
            deposit_count_after: after.deposit_count,
            queue_hash_before: before.queue_hash,
            queue_hash_after: after.queue_hash,
            withdrawal_hash_before: before.withdrawal_hash,
            withdrawal_hash_after: after.withdrawal_hash,
            chain_id,
        }
    }

    /// The aggregate of two adjacent ranges of one chain (what a fold proves).
    pub fn fold(l: &Self, r: &Self) -> Self {
        Self {
            first_batch: l.first_batch,
            last_batch: r.last_batch,
            prev_root: l.prev_root,
            new_root: r.new_root,
            leaf_count_before: l.leaf_count_before,
            leaf_count_after: r.leaf_count_after,
            batches_digest: fold_digest(&l.batches_digest, &r.batches_digest),
            tx_count: l.tx_count + r.tx_count,
            deposit_count_before: l.deposit_count_before,
            deposit_count_after: r.deposit_count_after,
            queue_hash_before: l.queue_hash_before,
            queue_hash_after: r.queue_hash_after,
            withdrawal_hash_before: l.withdrawal_hash_before,
            withdrawal_hash_after: r.withdrawal_hash_after,
            chain_id: l.chain_id,
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
    fn final_public_inputs_pack_four_pairs_and_decode_back() {
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
            deposit_count_before: (1 << 32) - 1,
            deposit_count_after: 1 << 30,
            queue_hash_before: QueueHash::repeat_byte(1),
            queue_hash_after: QueueHash::repeat_byte(2),
            withdrawal_hash_before: WithdrawalHash::repeat_byte(3),
            withdrawal_hash_after: WithdrawalHash::repeat_byte(0xff),
            chain_id: (1 << 32) - 1,
        };
        assert_eq!(pi.to_elements().len(), AGGREGATE_INPUTS);
        assert_eq!(
            AggregatePublicInputs::from_elements(&pi.to_elements()).unwrap(),
            pi
        );
        let e = pi.to_final_elements();
        assert_eq!(e.len(), FINAL_INPUTS);
        assert_eq!(e[0].to_canonical_u64(), 7 + (((1 << 31) - 1) << 32));
        assert_eq!(e[9].to_canonical_u64(), 5 + (9 << 32));
        assert_eq!(e[14].to_canonical_u64(), ((1 << 32) - 1) + (12 << 32));
        assert_eq!(e[15].to_canonical_u64(), ((1 << 32) - 1) + (1 << 62));
        assert_eq!(AggregatePublicInputs::from_final_elements(&e).unwrap(), pi);
        // An `after` of 2^31 or more is not a packing the wrap can prove.
        for at in [0, 9, 14, 15] {
            let mut high = e.clone();
            high[at] = F::from_canonical_u64(7 + (1 << 63));
            assert!(AggregatePublicInputs::from_final_elements(&high).is_err());
        }
        // A hash limb of 48 bits or more is not a hash.
        let mut wide = e.clone();
        wide[16] = F::from_canonical_u64(1 << 48);
        assert!(AggregatePublicInputs::from_final_elements(&wide).is_err());
        // Unpacked (aggregate) inputs are not final ones.
        assert!(AggregatePublicInputs::from_final_elements(&pi.to_elements()).is_err());
    }
}
