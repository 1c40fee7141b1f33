//! One transaction of the signature circuit: its fields as bytes, the block the Keccak
//! table hashes for its signing hash, the digest, the signer's key and the key's digest;
//! what it commits to, observes, looks up, and the RLP rule tying its block to its fields.

use plonky2::field::types::Field;
use plonky2::iop::target::{BoolTarget, Target};
use plonky2::iop::witness::{PartialWitness, WitnessWrite};
use quire_primitives::transfer::TRANSFER_ELEMENTS;
use quire_primitives::withdrawal::WITHDRAWAL_STEP_BYTES;
use quire_primitives::WITHDRAWAL_ADDRESS;

use super::bytes::{be_value, le_limbs, le_value, number_limbs, values, Byte, ByteTables};
use super::key_canonical::{CanonicalHints, CircuitBuilderKeyCanonical};
use super::rlp::{Rlc, Segment};
use crate::signature::witness::{CircuitEntry, BLOCK_BYTES};
use crate::{Builder, F};

/// Capacity limbs of a Keccak state (lanes 17..25): zero when one block is absorbed.
const CAPACITY_LIMBS: usize = 16;

/// The targets of one entry.
#[derive(Clone, Debug)]
pub struct EntryTargets {
    is_2930: BoolTarget,
    is_1559: BoolTarget,
    nonce: Vec<Byte>,
    gas_limit: Vec<Byte>,
    to: Vec<Byte>,
    value: Vec<Byte>,
    max_fee: Vec<Byte>,
    tip: Vec<Byte>,
    block: Vec<Byte>,
    digest: Vec<Byte>,
    key: Vec<Byte>,
    key_digest: Vec<Byte>,
    /// Per key coordinate: which case of "below p" it is in (`key_canonical.rs`).
    canonical: [CanonicalHints; 2],
    /// The commitment fields, as `Transfer::to_fields` orders them.
    pub fields: [Target; TRANSFER_ELEMENTS],
    /// What the circuit observes before its challenges.
    pub observed: Vec<Target>,
    /// The row it looks up in the ECDSA table (Q.x, Q.y, z in 16-bit limbs).
    pub ecdsa_row: Vec<Target>,
    /// The rows it looks up in the Keccak table: its signing block, then its key.
    pub keccak_rows: [Vec<Target>; 2],
    /// Whether it withdraws to L1 (its receiver is the withdrawal address).
    pub is_withdrawal: BoolTarget,
    /// The inverse of its receiver's distance from the withdrawal address (any value for
    /// a withdrawal).
    withdrawal_inverse: Target,
    /// The digest of its step of the withdrawal hash (looked up only for a withdrawal).
    pub withdrawal_digest: Vec<Byte>,
}

/// `bytes` (little-endian, at most 8) as a value below 2^63.
fn below_2_63(b: &mut Builder, tables: &ByteTables, bytes: &[Byte]) -> Target {
    let high = tables.high_bit(b, bytes[bytes.len() - 1].value);
    b.assert_zero(high);
    le_value(b, &values(bytes))
}

/// A 12-byte little-endian amount as its two 48-bit limbs.
fn amount(b: &mut Builder, bytes: &[Byte]) -> [Target; 2] {
    let v = values(bytes);
    [le_value(b, &v[..6]), le_value(b, &v[6..])]
}

/// An address (20 big-endian bytes) as its three limbs (`address_limbs`).
fn address(b: &mut Builder, bytes: &[Target]) -> [Target; 3] {
    [
        be_value(b, &bytes[..6]),
        be_value(b, &bytes[6..13]),
        be_value(b, &bytes[13..20]),
    ]
}

impl EntryTargets {
    /// Adds an entry's targets and the rules that need no challenge.
    pub fn new(b: &mut Builder, tables: &ByteTables) -> Self {
        let is_2930 = b.add_virtual_bool_target_safe();
        let is_1559 = b.add_virtual_bool_target_safe();
        let both = b.mul(is_2930.target, is_1559.target);
        b.assert_zero(both);
        let mut bytes = |n| tables.bytes(b, n);
        let (nonce, gas_limit, to) = (bytes(8), bytes(8), bytes(20));
        let (value, max_fee, tip) = (bytes(12), bytes(12), bytes(12));
        let (block, digest, key, key_digest) =
            (bytes(BLOCK_BYTES), bytes(32), bytes(64), bytes(32));
        let key_values = values(&key);
        let canonical = [
            b.assert_below_secp256k1_p(&key_values[..32]),
            b.assert_below_secp256k1_p(&key_values[32..]),
        ];

        let tx_type = b.mul_const_add(F::TWO, is_1559.target, is_2930.target);
        let nonce_value = below_2_63(b, tables, &nonce);
        let gas_value = below_2_63(b, tables, &gas_limit);
        let key_digest_values = values(&key_digest);
        let sender = address(b, &key_digest_values[12..]);
        let receiver = address(b, &values(&to));
        let v = amount(b, &value);
        let fee = amount(b, &max_fee);
        let t = amount(b, &tip);
        // Legacy and EIP-2930 transactions sign one gas price, carried in both fee fields.
        let not_1559 = b.not(is_1559);
        for k in 0..2 {
            let d = b.sub(fee[k], t[k]);
            let d = b.mul(not_1559.target, d);
            b.assert_zero(d);
        }
        let fields = [
            tx_type,
            nonce_value,
            gas_value,
            sender[0],
            sender[1],
            sender[2],
            receiver[0],
            receiver[1],
            receiver[2],
            v[0],
            v[1],
            fee[0],
            fee[1],
            t[0],
            t[1],
        ];

        let block_limbs = le_limbs(b, &values(&block));
        let digest_values = values(&digest);
        let digest_limbs = le_limbs(b, &digest_values);
        let key_limbs = le_limbs(b, &key_values);
        let key_digest_limbs = le_limbs(b, &key_digest_values);
        let observed = [&block_limbs, &digest_limbs, &key_limbs, &key_digest_limbs]
            .into_iter()
            .flatten()
            .copied()
            .collect();

        let zero = b.zero();
        let mut signing_row = block_limbs.clone();
        signing_row.extend(std::iter::repeat_n(zero, CAPACITY_LIMBS));
        signing_row.extend(&digest_limbs);
        // The key's block: 64 bytes, then Keccak's padding 0x01 … 0x80.
        let mut key_row = key_limbs.clone();
        key_row.push(b.one());
        key_row.extend(std::iter::repeat_n(zero, 16));
        key_row.push(b.constant(F::from_canonical_u64(0x80 << 24)));
        key_row.extend(std::iter::repeat_n(zero, CAPACITY_LIMBS));
        key_row.extend(&key_digest_limbs);
        debug_assert_eq!(key_row.len(), signing_row.len());

        let mut ecdsa_row = number_limbs(b, &key_values[..32]);
        ecdsa_row.extend(number_limbs(b, &key_values[32..]));
        ecdsa_row.extend(number_limbs(b, &digest_values));

        // A withdrawal is a transfer to the withdrawal address: the sum of the squared
        // byte differences (below 2^21, so it cannot wrap) is zero exactly then.
        let is_withdrawal = b.add_virtual_bool_target_safe();
        let withdrawal_inverse = b.add_virtual_target();
        let mut distance = b.zero();
        for (byte, want) in values(&to).iter().zip(WITHDRAWAL_ADDRESS.as_slice()) {
            let d = b.add_const(*byte, -F::from_canonical_u8(*want));
            distance = b.mul_add(d, d, distance);
        }
        let zero_if_withdrawal = b.mul(is_withdrawal.target, distance);
        b.assert_zero(zero_if_withdrawal);
        let one = b.one();
        let inverted = b.mul_sub(distance, withdrawal_inverse, one);
        let not_withdrawal = b.not(is_withdrawal);
        let inverted = b.mul(not_withdrawal.target, inverted);
        b.assert_zero(inverted);
        let withdrawal_digest = tables.bytes(b, 32);
        let mut observed: Vec<Target> = observed;
        observed.extend(le_limbs(b, &values(&withdrawal_digest)));

        Self {
            is_2930,
            is_1559,
            nonce,
            gas_limit,
            to,
            value,
            max_fee,
            tip,
            block,
            digest,
            key,
            key_digest,
            canonical,
            fields,
            observed,
            ecdsa_row,
            keccak_rows: [signing_row, key_row],
            is_withdrawal,
            withdrawal_inverse,
            withdrawal_digest,
        }
    }

    /// The Keccak row of this entry's step of the withdrawal hash, after hash `prev` (24
    /// bytes): what `withdrawal_hash` absorbs (the hash, the sender, the value
    /// big-endian), padded.
    pub fn withdrawal_row(&self, b: &mut Builder, prev: &[Target]) -> Vec<Target> {
        let mut pre = prev.to_vec();
        pre.extend(values(&self.key_digest[12..]));
        pre.extend(values(&self.value).into_iter().rev());
        debug_assert_eq!(pre.len(), WITHDRAWAL_STEP_BYTES);
        super::bridge::step_row(b, &pre, &values(&self.withdrawal_digest)).1
    }

    /// The RLP rule: the signing block is the payload Ethereum signs for these fields on
    /// the chain whose id encodes as `chain`, padded as Keccak pads one block.
    pub fn constrain_payload(
        &self,
        b: &mut Builder,
        tables: &ByteTables,
        rlc: &Rlc,
        chain: Segment,
    ) {
        let (padded, block) = self.payload_and_block(b, tables, rlc, chain);
        b.connect_extension(padded, block);
    }

    /// R of the padded payload built from the fields, and R of the block.
    fn payload_and_block(
        &self,
        b: &mut Builder,
        tables: &ByteTables,
        rlc: &Rlc,
        chain: Segment,
    ) -> (
        plonky2::iop::ext_target::ExtensionTarget<{ crate::EXT }>,
        plonky2::iop::ext_target::ExtensionTarget<{ crate::EXT }>,
    ) {
        let nonce = rlc.integer(b, tables, &self.nonce);
        let gas = rlc.integer(b, tables, &self.gas_limit);
        let value = rlc.integer(b, tables, &self.value);
        let fee = rlc.integer(b, tables, &self.max_fee);
        let tip = rlc.integer(b, tables, &self.tip);
        let to = rlc.string(b, &values(&self.to));
        let empty_string = rlc.constant(b, 0x80);
        let empty_list = rlc.constant(b, 0xc0);

        let shared = rlc.concat_all(b, &[gas, to, value, empty_string]);
        // Legacy (EIP-155): [nonce, gas price, gas, to, value, data, chain id, 0, 0].
        let legacy_body =
            rlc.concat_all(b, &[nonce, fee, shared, chain, empty_string, empty_string]);
        let legacy = rlc.list(b, tables, legacy_body);
        // EIP-2930: 0x01 ‖ [chain id, nonce, gas price, gas, to, value, data, access list];
        // EIP-1559: 0x02 ‖ [chain id, nonce, tip, max fee, gas, to, value, data, access list].
        let tip_fee = rlc.concat(b, tip, fee);
        let fees = rlc.select(b, self.is_1559, tip_fee, fee);
        let typed_body = rlc.concat_all(b, &[chain, nonce, fees, shared, empty_list]);
        let typed_list = rlc.list(b, tables, typed_body);
        let type_byte = rlc.byte(b, self.fields[0]);
        let typed = rlc.concat(b, type_byte, typed_list);
        let is_typed = b.add(self.is_2930.target, self.is_1559.target);
        let payload = rlc.select(b, BoolTarget::new_unsafe(is_typed), typed, legacy);

        // Keccak's padding: 0x01 right after the payload, 0x80 in the last byte.
        let end = rlc.power(b, BLOCK_BYTES - 1);
        let padded = b.add_extension(payload.rlc, payload.power);
        let padded = b.mul_const_add_extension(F::from_canonical_u64(0x80), end, padded);
        let block = rlc.bytes(b, &values(&self.block));
        (padded, block)
    }

    /// Sets the entry's witness.
    pub fn set(&self, pw: &mut PartialWitness<F>, entry: &CircuitEntry) -> anyhow::Result<()> {
        let t = &entry.transfer;
        pw.set_bool_target(self.is_2930, t.tx_type == 1)?;
        pw.set_bool_target(self.is_1559, t.tx_type == 2)?;
        let mut set_bytes = |targets: &[Byte], bytes: &[u8]| -> anyhow::Result<()> {
            anyhow::ensure!(targets.len() == bytes.len(), "byte count");
            for (target, &byte) in targets.iter().zip(bytes) {
                pw.set_target(target.value, F::from_canonical_u8(byte))?;
            }
            Ok(())
        };
        set_bytes(&self.nonce, &t.nonce.to_le_bytes())?;
        set_bytes(&self.gas_limit, &t.gas_limit.to_le_bytes())?;
        set_bytes(&self.to, t.to.as_slice())?;
        set_bytes(&self.value, &t.value.to_le_bytes()[..12])?;
        set_bytes(&self.max_fee, &t.max_fee_per_gas.to_le_bytes()[..12])?;
        set_bytes(&self.tip, &t.max_priority_fee_per_gas.to_le_bytes()[..12])?;
        set_bytes(&self.block, &entry.block())?;
        set_bytes(&self.digest, &entry.digest)?;
        set_bytes(&self.key, &entry.key)?;
        set_bytes(&self.key_digest, &entry.key_digest)?;
        set_bytes(&self.withdrawal_digest, &entry.withdrawal_digest)?;
        let distance: u64 =
            t.to.iter()
                .zip(WITHDRAWAL_ADDRESS.as_slice())
                .map(|(a, w)| (i64::from(*a) - i64::from(*w)).unsigned_abs().pow(2))
                .sum();
        pw.set_bool_target(self.is_withdrawal, entry.is_withdrawal)?;
        pw.set_target(
            self.withdrawal_inverse,
            if distance == 0 {
                F::ZERO
            } else {
                F::from_canonical_u64(distance).inverse()
            },
        )?;
        for (k, hints) in self.canonical.iter().enumerate() {
            hints.set(pw, &entry.key[32 * k..32 * (k + 1)])?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::{Address, U256};
    use plonky2::field::extension::quadratic::QuadraticExtension;
    use plonky2::field::extension::FieldExtension;
    use plonky2::field::types::PrimeField64;
    use plonky2::plonk::circuit_data::CircuitConfig;

    use super::*;
    use crate::signature::witness::SignedTransfer;

    /// One entry and a chain id in a circuit of their own, with γ a witness: either the
    /// RLP rule itself (`connect`) or both sides of it as public inputs.
    struct OneEntry {
        data: plonky2::plonk::circuit_data::CircuitData<F, crate::C, { crate::EXT }>,
        entry: EntryTargets,
        chain: Vec<Byte>,
        gamma: plonky2::iop::ext_target::ExtensionTarget<{ crate::EXT }>,
    }

    impl OneEntry {
        fn build(connect: bool) -> Self {
            let mut b = Builder::new(CircuitConfig::standard_recursion_config());
            let tables = ByteTables::new(&mut b);
            let entry = EntryTargets::new(&mut b, &tables);
            let chain = tables.bytes(&mut b, 8);
            let gamma = b.add_virtual_extension_target();
            let rlc = Rlc::new(&mut b, gamma);
            let chain_segment = rlc.integer(&mut b, &tables, &chain);
            if connect {
                entry.constrain_payload(&mut b, &tables, &rlc, chain_segment);
            } else {
                let (padded, block) = entry.payload_and_block(&mut b, &tables, &rlc, chain_segment);
                b.register_public_inputs(&padded.0);
                b.register_public_inputs(&block.0);
            }
            Self {
                data: b.build::<crate::C>(),
                entry,
                chain,
                gamma,
            }
        }

        fn prove(
            &self,
            e: &CircuitEntry,
            chain_id: u64,
            gamma: QuadraticExtension<F>,
        ) -> anyhow::Result<plonky2::plonk::proof::ProofWithPublicInputs<F, crate::C, { crate::EXT }>>
        {
            let mut pw = PartialWitness::new();
            self.entry.set(&mut pw, e)?;
            for (t, byte) in self.chain.iter().zip(chain_id.to_le_bytes()) {
                pw.set_target(t.value, F::from_canonical_u8(byte))?;
            }
            pw.set_extension_target(self.gamma, gamma)?;
            crate::signature::prove_catching(|| self.data.prove(pw))
        }
    }

    fn rlc_native(bytes: &[u8], gamma: QuadraticExtension<F>) -> QuadraticExtension<F> {
        bytes
            .iter()
            .rev()
            .fold(QuadraticExtension::<F>::ZERO, |acc, &x| {
                acc * gamma + QuadraticExtension::<F>::from_canonical_u8(x)
            })
    }

    /// The circuit's R of a payload built from the fields equals R of the real payload's
    /// block, for transfers of every type and many sizes.
    #[test]
    fn the_payload_built_from_the_fields_is_the_signed_one() {
        let circuit = OneEntry::build(false);
        let g = QuadraticExtension::<F>::from_basefield_array([
            F::from_canonical_u64(0x1234_5678_9abc),
            F::from_canonical_u64(77),
        ]);
        let cases = [
            (0u8, 271_828u64, 0u64, 0u128, 1u128),
            (0, 1, 127, 128, 1_000_000_000),
            (1, 5, 300, 1, 0x7f),
            (2, 271_828, 1 << 40, (1u128 << 95) + 3, 0xff),
            (2, (1 << 62) + 5, 12, 255, (1u128 << 81) + 1),
            (1, 137, 0, 1 << 64, 0x80),
        ];
        for (i, &(kind, chain_id, nonce, value, fee)) in cases.iter().enumerate() {
            let envelope = quire_test_support_sign(kind, chain_id, nonce, value, fee, i as u8);
            let signed = SignedTransfer::from_envelope(&envelope).unwrap();
            let entry_value = if i == 0 {
                CircuitEntry::padding(chain_id)
            } else {
                CircuitEntry::real(&signed, &mut Default::default())
            };
            let proof = circuit.prove(&entry_value, chain_id, g).unwrap();
            let pi = &proof.public_inputs;
            let want = rlc_native(&entry_value.block(), g);
            assert_eq!(
                [pi[2], pi[3]],
                FieldExtension::<2>::to_basefield_array(&want),
                "case {i}: R of the block"
            );
            let got = QuadraticExtension::<F>::from_basefield_array([pi[0], pi[1]]);
            assert_eq!(
                got,
                want,
                "case {i}: R built from the fields ({:?} vs {:?})",
                FieldExtension::<2>::to_basefield_array(&(got - want))
                    .map(|x: F| x.to_canonical_u64()),
                entry_value.payload
            );
        }
    }

    /// The RLP rule refuses a block that is not the signed payload of the entry's fields:
    /// another chain id, or fields that differ from the signed ones.
    #[test]
    fn a_block_that_is_not_the_payload_of_the_fields_is_refused() {
        let circuit = OneEntry::build(true);
        let g = QuadraticExtension::<F>::from_basefield_array([
            F::from_canonical_u64(0x0bad_cafe_f00d),
            F::from_canonical_u64(5),
        ]);
        let prove = |e: &CircuitEntry, chain_id: u64| circuit.prove(e, chain_id, g);
        for kind in 0..3u8 {
            let envelope = quire_test_support_sign(kind, 271_828, 7, 1_000, 2_000_000_000, kind);
            let honest = CircuitEntry::real(
                &SignedTransfer::from_envelope(&envelope).unwrap(),
                &mut Default::default(),
            );
            prove(&honest, 271_828).expect("the honest entry proves");
            // Signed for chain 271828, proven as chain 271829's.
            assert!(
                prove(&honest, 271_829).is_err(),
                "type {kind}: another chain id"
            );
            // Fields that differ from the signed ones, the signed block kept.
            let t = honest.transfer;
            let mut alterations = vec![
                quire_primitives::Transfer {
                    value: t.value + 1,
                    ..t
                },
                quire_primitives::Transfer {
                    nonce: t.nonce + 1,
                    ..t
                },
                quire_primitives::Transfer {
                    gas_limit: t.gas_limit + 1,
                    ..t
                },
                quire_primitives::Transfer {
                    to: Address::repeat_byte(0x77),
                    ..t
                },
                quire_primitives::Transfer {
                    tx_type: (t.tx_type + 1) % 3,
                    ..t
                },
            ];
            if kind == 2 {
                alterations.push(quire_primitives::Transfer {
                    max_priority_fee_per_gas: t.max_priority_fee_per_gas + 1,
                    ..t
                });
                alterations.push(quire_primitives::Transfer {
                    max_fee_per_gas: t.max_fee_per_gas + 1,
                    ..t
                });
            } else {
                alterations.push(quire_primitives::Transfer {
                    max_fee_per_gas: t.max_fee_per_gas + 1,
                    max_priority_fee_per_gas: t.max_priority_fee_per_gas + 1,
                    ..t
                });
            }
            for (i, transfer) in alterations.into_iter().enumerate() {
                let forged = CircuitEntry {
                    transfer,
                    ..honest.clone()
                };
                assert!(
                    prove(&forged, 271_828).is_err(),
                    "type {kind}, alteration {i}"
                );
            }
        }
    }

    /// A transfer of type `kind` signed by test key `k`.
    fn quire_test_support_sign(
        kind: u8,
        chain_id: u64,
        nonce: u64,
        value: u128,
        fee: u128,
        k: u8,
    ) -> alloy_consensus::TxEnvelope {
        quire_test_support::typed_transfer(
            &quire_test_support::key(k),
            kind,
            chain_id,
            nonce,
            Address::repeat_byte(k + 9),
            U256::from(value),
            fee,
        )
    }
}
