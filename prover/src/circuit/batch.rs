//! The whole-batch circuit: the fee recipient's slot, `slots` ordinary slots (transfers,
//! inserts and L1 deposits), the final fee credit, and the public inputs.

use anyhow::{anyhow, Context};
use plonky2::field::types::Field;
use plonky2::hash::hash_types::HashOutTarget;
use plonky2::iop::target::Target;
use plonky2::iop::witness::{PartialWitness, WitnessWrite};
use plonky2::plonk::circuit_data::{CircuitConfig, CircuitData};
use plonky2::plonk::proof::ProofWithPublicInputs;
use plonky2::util::serialization::{DefaultGateSerializer, DefaultGeneratorSerializer};
use serde::{Deserialize, Serialize};

use super::merkle::{empty_leaf_hash, lift_root, root_from_path, LeafTarget};
use super::slot::{apply_flush, apply_slot, BatchContext, Registers, SlotInputs};
use super::targets::{BatchTargets, UpdateTargets};
use super::u96::{U96Target, LIMB_BITS};
use crate::public_inputs::{BatchPublicInputs, PUBLIC_INPUTS};
use crate::witness::{BatchWitness, SlotKind, UpdateWitness};
use crate::{Builder, C, EXT, F};

/// The size of a batch circuit: how many slots it has and the height of the subtree its
/// paths cover (it proves batches over trees of at most 2^depth accounts).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct BatchShape {
    /// Ordinary slots: one per transfer, plus one per account a transfer creates.
    pub slots: usize,
    /// Subtree height.
    pub depth: usize,
}

impl std::fmt::Display for BatchShape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} slots, depth {}", self.slots, self.depth)
    }
}

/// A built batch circuit and its witness inputs.
pub struct BatchCircuit {
    /// Its shape.
    pub shape: BatchShape,
    /// Prover and verifier data.
    pub data: CircuitData<F, C, EXT>,
    targets: BatchTargets,
}

/// A batch proof.
pub type BatchProof = ProofWithPublicInputs<F, C, EXT>;

impl BatchCircuit {
    /// The plonky2 configuration: the standard recursion-friendly one, so that batch proofs
    /// can be folded by the aggregator.
    pub fn config() -> CircuitConfig {
        CircuitConfig::standard_recursion_config()
    }

    /// Builds the circuit (seconds to tens of seconds for large shapes; see the cache).
    pub fn build(shape: BatchShape) -> Self {
        let (b, targets) = Self::layout(shape);
        let data = b.build::<C>();
        Self {
            shape,
            data,
            targets,
        }
    }

    /// Gates a shape needs before padding to a power of two: cheap (no commitments), used
    /// to choose slot counts that fill their power of two.
    pub fn gate_count(shape: BatchShape) -> usize {
        Self::layout(shape).0.num_gates()
    }

    fn layout(shape: BatchShape) -> (Builder, BatchTargets) {
        assert!(
            (1..=quire_primitives::TREE_DEPTH).contains(&shape.depth),
            "depth out of range"
        );
        let mut b = Builder::new(Self::config());
        let targets = BatchTargets::new(&mut b, shape.slots, shape.depth);

        for limb in targets.base_fee {
            b.range_check(limb, LIMB_BITS);
        }
        // The base fee is not zero: `lo + hi` (below 2^49, so it does not wrap and is zero
        // only if both limbs are) has an inverse. With a zero fee, an insert followed by a
        // zero-value self-transfer from the new account would prove.
        let fee_limbs = b.add(targets.base_fee[0], targets.base_fee[1]);
        let fee_times_inv = b.mul(fee_limbs, targets.base_fee_inv);
        let one = b.one();
        b.connect(fee_times_inv, one);
        b.range_check(targets.fee_recipient[0], 48);
        b.range_check(targets.fee_recipient[1], 56);
        b.range_check(targets.fee_recipient[2], 56);
        // Deposit counts stay far below the field: `before + credited` cannot wrap.
        b.range_check(targets.deposit_count_before, 32);
        let ctx = BatchContext {
            depth: shape.depth,
            base_fee: U96Target::new(targets.base_fee[0], targets.base_fee[1]),
            fee_recipient: targets.fee_recipient,
        };

        // The account count is the tree's: the leaf before it exists and the slot at it is
        // empty (the tree fills indices densely from 0, so only the true count passes).
        let last_index = b.add(targets.last_leaf.index, one);
        b.connect(last_index, targets.leaf_count_before);
        b.connect(targets.first_empty.index, targets.leaf_count_before);
        let last = LeafTarget::from_fields(&targets.last_leaf.old_leaf).hash(&mut b);
        let last_bits = b.split_le(targets.last_leaf.index, shape.depth);
        let last_root = root_from_path(&mut b, last, &last_bits, &targets.last_leaf.siblings);
        b.connect_hashes(last_root, targets.prev_sub_root);
        let empty = b.constant_hash(empty_leaf_hash());
        let empty_bits = b.split_le(targets.first_empty.index, shape.depth);
        let empty_root = root_from_path(&mut b, empty, &empty_bits, &targets.first_empty.siblings);
        b.connect_hashes(empty_root, targets.prev_sub_root);

        let zero = b.zero();
        let _false = b._false();
        let mut regs = Registers {
            root: targets.prev_sub_root,
            pending: U96Target::zero(&mut b),
            commitment: HashOutTarget::from_vec(vec![zero; 4]),
            tx_count: zero,
            leaf_count: targets.leaf_count_before,
            insert_pending: _false,
            inserted: [zero; 3],
            deposit_chain: targets.deposit_chain_before,
            deposit_count: targets.deposit_count_before,
        };

        // The fee recipient's account, created before the first transfer if missing.
        let fee_slot = &targets.fee_slot;
        let mut fee_tx = [zero; quire_primitives::transfer::TRANSFER_ELEMENTS];
        fee_tx[6..9].copy_from_slice(&targets.fee_recipient);
        let not_create = b.not(fee_slot.create);
        let after_fee = apply_slot(
            &mut b,
            &ctx,
            regs,
            &SlotInputs {
                is_tx: _false,
                is_insert: fee_slot.create,
                is_noop: not_create,
                is_deposit: _false,
                tx: fee_tx,
                first: &fee_slot.first,
                second: &fee_slot.second,
                may_insert_fee_recipient: true,
            },
        );
        regs = Registers {
            insert_pending: _false,
            ..after_fee
        };

        for slot in &targets.slots {
            regs = apply_slot(&mut b, &ctx, regs, &SlotInputs::of(slot));
        }
        // The batch cannot end between an insert and its credit, and holds a transfer or a
        // deposit.
        b.assert_zero(regs.insert_pending.target);
        let credited = b.sub(regs.deposit_count, targets.deposit_count_before);
        let operations = b.add(regs.tx_count, credited);
        let empty = b.is_equal(operations, zero);
        b.assert_zero(empty.target);
        let final_sub_root = apply_flush(&mut b, &ctx, regs, &targets.flush);

        let prev_root = lift_root(&mut b, targets.prev_sub_root, shape.depth);
        let new_root = lift_root(&mut b, final_sub_root, shape.depth);
        let mut public: Vec<Target> = Vec::with_capacity(PUBLIC_INPUTS);
        public.extend_from_slice(&prev_root.elements);
        public.extend_from_slice(&new_root.elements);
        public.push(targets.batch_number);
        public.extend_from_slice(&regs.commitment.elements);
        public.push(regs.tx_count);
        public.extend_from_slice(&targets.base_fee);
        public.extend_from_slice(&targets.fee_recipient);
        public.push(targets.leaf_count_before);
        public.push(regs.leaf_count);
        public.push(targets.deposit_count_before);
        public.push(regs.deposit_count);
        public.extend_from_slice(&targets.deposit_chain_before.elements);
        public.extend_from_slice(&regs.deposit_chain.elements);
        b.register_public_inputs(&public);
        (b, targets)
    }

    /// Rows of the circuit (a power of two).
    pub fn rows(&self) -> usize {
        self.data.common.degree()
    }

    /// Proves a batch. Fails if the witness does not fit the shape or breaks a rule the
    /// circuit enforces in witness generation; other broken rules give a proof that does
    /// not verify.
    pub fn prove(&self, w: &BatchWitness) -> anyhow::Result<BatchProof> {
        let pw = self.fill(w)?;
        let data = &self.data;
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| data.prove(pw))) {
            Ok(result) => result.context("proving"),
            Err(_) => Err(anyhow!("the prover panicked: witness inconsistent")),
        }
    }

    /// Checks a proof against this circuit and decodes its public inputs.
    pub fn verify(&self, proof: &BatchProof) -> anyhow::Result<BatchPublicInputs> {
        self.data
            .verify(proof.clone())
            .context("batch proof does not verify")?;
        Ok(BatchPublicInputs::from_elements(&proof.public_inputs)?)
    }

    fn fill(&self, w: &BatchWitness) -> anyhow::Result<PartialWitness<F>> {
        let t = &self.targets;
        if w.depth != self.shape.depth {
            return Err(anyhow!(
                "witness is for depth {}, circuit has {}",
                w.depth,
                self.shape.depth
            ));
        }
        if w.slots.len() > self.shape.slots {
            return Err(anyhow!(
                "witness needs {} slots, circuit has {}",
                w.slots.len(),
                self.shape.slots
            ));
        }
        let mut pw = PartialWitness::new();
        pw.set_hash_target(t.prev_sub_root, w.prev_sub_root)?;
        pw.set_target(
            t.leaf_count_before,
            F::from_canonical_u64(w.leaf_count_before),
        )?;
        pw.set_target(t.batch_number, F::from_canonical_u64(w.batch_number))?;
        let fee = quire_primitives::field::amount_limbs(u128::from(w.base_fee));
        pw.set_target(t.base_fee[0], fee[0])?;
        pw.set_target(t.base_fee[1], fee[1])?;
        // Zero has no inverse: a zero base fee gets 0 here and fails the constraint.
        let limb_sum = fee[0] + fee[1];
        pw.set_target(t.base_fee_inv, limb_sum.try_inverse().unwrap_or(F::ZERO))?;
        let fr = quire_primitives::field::address_limbs(&w.fee_recipient);
        for (target, limb) in t.fee_recipient.iter().zip(fr) {
            pw.set_target(*target, limb)?;
        }
        pw.set_target(
            t.deposit_count_before,
            F::from_canonical_u64(w.deposit_count_before),
        )?;
        pw.set_hash_target(t.deposit_chain_before, w.deposit_chain_before)?;
        pw.set_bool_target(t.fee_slot.create, w.fee_slot.kind == SlotKind::Insert)?;
        set_update(&mut pw, &t.last_leaf, &w.last_leaf)?;
        set_update(&mut pw, &t.first_empty, &w.first_empty)?;
        set_update(&mut pw, &t.fee_slot.first, &w.fee_slot.first)?;
        set_update(&mut pw, &t.fee_slot.second, &w.fee_slot.second)?;
        let padding = crate::witness::SlotWitness::noop(w.depth);
        for (i, slot_t) in t.slots.iter().enumerate() {
            let s = w.slots.get(i).unwrap_or(&padding);
            pw.set_bool_target(slot_t.is_tx, s.kind == SlotKind::Tx)?;
            pw.set_bool_target(slot_t.is_insert, s.kind == SlotKind::Insert)?;
            pw.set_bool_target(slot_t.is_noop, s.kind == SlotKind::Noop)?;
            pw.set_bool_target(slot_t.is_deposit, s.kind == SlotKind::Deposit)?;
            for (target, value) in slot_t.tx.iter().zip(s.tx) {
                pw.set_target(*target, value)?;
            }
            set_update(&mut pw, &slot_t.first, &s.first)?;
            set_update(&mut pw, &slot_t.second, &s.second)?;
        }
        set_update(&mut pw, &t.flush, &w.flush)?;
        Ok(pw)
    }

    /// Serialises the circuit (prover and verifier data, and its witness inputs).
    pub fn to_bytes(&self) -> anyhow::Result<Vec<u8>> {
        let data = self
            .data
            .to_bytes(
                &DefaultGateSerializer,
                &DefaultGeneratorSerializer::<C, EXT>::default(),
            )
            .map_err(|e| anyhow!("serialising circuit data: {e:?}"))?;
        let targets = self
            .targets
            .to_bytes()
            .map_err(|e| anyhow!("serialising targets: {e:?}"))?;
        let mut out = Vec::with_capacity(data.len() + targets.len() + 32);
        out.extend_from_slice(&(self.shape.slots as u64).to_le_bytes());
        out.extend_from_slice(&(self.shape.depth as u64).to_le_bytes());
        out.extend_from_slice(&(targets.len() as u64).to_le_bytes());
        out.extend_from_slice(&targets);
        out.extend_from_slice(&data);
        Ok(out)
    }

    /// Reads a circuit written by [`Self::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> anyhow::Result<Self> {
        let word = |at: usize| -> anyhow::Result<u64> {
            let b = bytes
                .get(at..at + 8)
                .ok_or_else(|| anyhow!("truncated circuit file"))?;
            Ok(u64::from_le_bytes(b.try_into().expect("8 bytes")))
        };
        let shape = BatchShape {
            slots: word(0)? as usize,
            depth: word(8)? as usize,
        };
        let targets_len = word(16)? as usize;
        let targets_end = 24usize
            .checked_add(targets_len)
            .filter(|end| *end <= bytes.len())
            .ok_or_else(|| anyhow!("truncated circuit file"))?;
        let targets = BatchTargets::from_bytes(&bytes[24..targets_end])
            .map_err(|e| anyhow!("reading targets: {e:?}"))?;
        let data = CircuitData::from_bytes(
            &bytes[targets_end..],
            &DefaultGateSerializer,
            &DefaultGeneratorSerializer::<C, EXT>::default(),
        )
        .map_err(|e| anyhow!("reading circuit data: {e:?}"))?;
        if targets.slots.len() != shape.slots || data.common.num_public_inputs != PUBLIC_INPUTS {
            return Err(anyhow!("circuit file does not match its shape"));
        }
        Ok(Self {
            shape,
            data,
            targets,
        })
    }
}

fn set_update(
    pw: &mut PartialWitness<F>,
    t: &UpdateTargets,
    w: &UpdateWitness,
) -> anyhow::Result<()> {
    if w.siblings.len() != t.siblings.len() {
        return Err(anyhow!(
            "path has {} siblings, circuit wants {}",
            w.siblings.len(),
            t.siblings.len()
        ));
    }
    for (target, value) in t.old_leaf.iter().zip(w.old_leaf) {
        pw.set_target(*target, value)?;
    }
    pw.set_target(t.index, F::from_canonical_u64(w.index))?;
    for (target, value) in t.siblings.iter().zip(&w.siblings) {
        pw.set_hash_target(*target, *value)?;
    }
    Ok(())
}
