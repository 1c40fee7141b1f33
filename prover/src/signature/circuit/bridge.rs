//! The bridge in the signature circuit: the deposits a batch credited, hashed into the
//! Bridge's Keccak queue hash exactly as L1 hashes them (and into the Poseidon deposit
//! chain the batch proof attests, which binds the two proofs), and the withdrawals among
//! its transfers, hashed into the withdrawal hash the Rollup recomputes from the list it
//! records. Every Keccak step is one permutation of the Keccak table, looked up like the
//! signing payloads.

use plonky2::field::types::Field;
use plonky2::hash::hash_types::HashOutTarget;
use plonky2::hash::poseidon::PoseidonHash;
use plonky2::iop::target::{BoolTarget, Target};
use plonky2::iop::witness::{PartialWitness, WitnessWrite};
use quire_primitives::field::HASH24_LIMBS;

use super::bytes::{be_value, le_limbs, le_value, values, Byte, ByteTables};
use crate::signature::witness::{DepositEntry, BLOCK_BYTES, DEPOSIT_STEP_BYTES};
use crate::{Builder, F};

/// Capacity limbs of a Keccak state (lanes 17..25): zero when one block is absorbed.
const CAPACITY_LIMBS: usize = 16;

/// Bytes of the running hashes (the queue's and the withdrawals').
pub const HASH24_BYTES: usize = 24;

/// A one-block Keccak step: the block limbs of `preimage` padded as Keccak pads one block,
/// and the row the Keccak table exports for it with output `digest` (32 bytes).
pub fn step_row(
    b: &mut Builder,
    preimage: &[Target],
    digest: &[Target],
) -> (Vec<Target>, Vec<Target>) {
    debug_assert!(preimage.len() < BLOCK_BYTES && digest.len() == 32);
    let zero = b.zero();
    let mut block = preimage.to_vec();
    block.push(b.one());
    block.resize(BLOCK_BYTES - 1, zero);
    block.push(b.constant(F::from_canonical_u64(0x80)));
    let block_limbs = le_limbs(b, &block);
    let mut row = block_limbs.clone();
    row.extend(std::iter::repeat_n(zero, CAPACITY_LIMBS));
    row.extend(le_limbs(b, digest));
    (block_limbs, row)
}

/// A 24-byte hash as its public form: four 48-bit limbs, most significant first
/// (`quire_primitives::field::hash24_limbs`).
pub fn hash24_public(b: &mut Builder, bytes: &[Target]) -> [Target; HASH24_LIMBS] {
    debug_assert_eq!(bytes.len(), HASH24_BYTES);
    std::array::from_fn(|k| be_value(b, &bytes[6 * k..6 * k + 6]))
}

/// One deposit entry: the deposit's bytes, the digest of its queue-hash step, and what it
/// adds to the Poseidon deposit chain.
#[derive(Clone, Debug)]
pub struct DepositEntryTargets {
    /// A credited deposit (real entries come first).
    pub real: BoolTarget,
    index: Vec<Byte>,
    recipient: Vec<Byte>,
    amount: Vec<Byte>,
    l1_block: Vec<Byte>,
    /// Keccak-256 of the step; its first 24 bytes are the queue hash after the deposit.
    pub digest: Vec<Byte>,
    /// What the deposit chain absorbs: the recipient's three limbs, the amount's two
    /// (`DepositChain::fields`).
    pub fields: [Target; 5],
    /// What the circuit observes before its challenges: the block's limbs, the digest's.
    pub observed: Vec<Target>,
    /// The row it looks up in the Keccak table.
    pub keccak_row: Vec<Target>,
}

impl DepositEntryTargets {
    /// An entry after queue hash `prev` (24 byte values) at queue index `index`.
    pub fn new(b: &mut Builder, tables: &ByteTables, prev: &[Target], index: Target) -> Self {
        let real = b.add_virtual_bool_target_safe();
        let mut bytes = |n| tables.bytes(b, n);
        let (index_bytes, recipient, amount, l1_block, digest) =
            (bytes(8), bytes(20), bytes(12), bytes(8), bytes(32));
        // The index is big-endian below 2^63, so its value is the integer it encodes.
        let high = tables.high_bit(b, index_bytes[0].value);
        b.assert_zero(high);
        let le: Vec<Target> = values(&index_bytes).into_iter().rev().collect();
        let encoded = le_value(b, &le);
        b.connect(encoded, index);

        let r = values(&recipient);
        let a = values(&amount);
        let fields = [
            be_value(b, &r[..6]),
            be_value(b, &r[6..13]),
            be_value(b, &r[13..]),
            be_value(b, &a[6..]),
            be_value(b, &a[..6]),
        ];
        let mut pre = prev.to_vec();
        pre.extend(values(&index_bytes));
        pre.extend(r);
        pre.extend(a);
        pre.extend(values(&l1_block));
        debug_assert_eq!(pre.len(), DEPOSIT_STEP_BYTES);
        let digest_values = values(&digest);
        let (block_limbs, keccak_row) = step_row(b, &pre, &digest_values);
        let mut observed = block_limbs;
        observed.extend(le_limbs(b, &digest_values));
        Self {
            real,
            index: index_bytes,
            recipient,
            amount,
            l1_block,
            digest,
            fields,
            observed,
            keccak_row,
        }
    }

    /// Sets the entry's witness (`real`: whether the circuit counts it).
    pub fn set(
        &self,
        pw: &mut PartialWitness<F>,
        entry: &DepositEntry,
        real: bool,
    ) -> anyhow::Result<()> {
        let d = &entry.deposit;
        pw.set_bool_target(self.real, real)?;
        let mut set = |targets: &[Byte], bytes: &[u8]| -> anyhow::Result<()> {
            anyhow::ensure!(targets.len() == bytes.len(), "byte count");
            for (t, &byte) in targets.iter().zip(bytes) {
                pw.set_target(t.value, F::from_canonical_u8(byte))?;
            }
            Ok(())
        };
        set(&self.index, &d.index.to_be_bytes())?;
        set(&self.recipient, d.recipient.as_slice())?;
        set(&self.amount, &d.amount.to_be_bytes()[4..])?;
        set(&self.l1_block, &d.l1_block.to_be_bytes())?;
        set(&self.digest, &entry.digest)?;
        Ok(())
    }
}

/// Absorbs `fields` into the Poseidon deposit chain `chain` if `real` (as
/// `DepositChain::absorb`).
pub fn absorb_deposit(
    b: &mut Builder,
    chain: HashOutTarget,
    fields: &[Target; 5],
    real: BoolTarget,
) -> HashOutTarget {
    let mut input = chain.elements.to_vec();
    input.extend_from_slice(fields);
    let next = b.hash_n_to_hash_no_pad::<PoseidonHash>(input);
    HashOutTarget {
        elements: std::array::from_fn(|i| b.select(real, next.elements[i], chain.elements[i])),
    }
}

/// `digest`'s first 24 bytes if `take`, else `prev`: one step of a running hash.
pub fn advance(b: &mut Builder, take: BoolTarget, digest: &[Byte], prev: &[Target]) -> Vec<Target> {
    digest[..HASH24_BYTES]
        .iter()
        .zip(prev)
        .map(|(d, p)| b.select(take, d.value, *p))
        .collect()
}
