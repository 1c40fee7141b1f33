//! What a verified child proof may be, shared by the fold and the final wrap: a leaf from
//! the list of accepted leaf circuits, or a fold made against the fold circuit's verifier
//! data (and passing that same data on in its public inputs).

use anyhow::ensure;
use plonky2::field::types::Field;
use plonky2::hash::hash_types::{HashOut, HashOutTarget};
use plonky2::hash::poseidon::PoseidonHash;
use plonky2::iop::target::{BoolTarget, Target};
use plonky2::iop::witness::{PartialWitness, WitnessWrite};
use plonky2::plonk::circuit_data::{VerifierCircuitTarget, VerifierOnlyCircuitData};
use plonky2::plonk::config::Hasher;
use quire_prover::circuit::address::assert_zero_if;

use crate::public_inputs::AGGREGATE_INPUTS;
use crate::{Builder, C, EXT, F};

/// What a child proof is.
#[derive(Clone, Copy, Debug)]
pub enum Child<'a> {
    /// A wrapped batch proof, from the leaf circuit at this index of the aggregator's list.
    Leaf(usize, &'a VerifierOnlyCircuitData<C, EXT>),
    /// A fold.
    Fold,
    /// A child claimed to be a fold but verified against this verifier data (tests: the
    /// circuit accepts a fold child only if it is the fold's own).
    FoldWith(&'a VerifierOnlyCircuitData<C, EXT>),
}

/// Most leaf circuits a fold or wrap accepts.
pub const MAX_LEAVES: usize = 16;

/// Verifier data as targets, in the order `add_verifier_data_public_inputs` registers
/// them: circuit digest, then the constants cap.
pub fn verifier_targets(v: &VerifierCircuitTarget) -> Vec<Target> {
    let mut out = v.circuit_digest.elements.to_vec();
    for h in &v.constants_sigmas_cap.0 {
        out.extend_from_slice(&h.elements);
    }
    out
}

/// [`verifier_targets`] for concrete verifier data.
pub fn verifier_elements(v: &VerifierOnlyCircuitData<C, EXT>) -> Vec<F> {
    let mut out = v.circuit_digest.elements.to_vec();
    for h in &v.constants_sigmas_cap.0 {
        out.extend_from_slice(&h.elements);
    }
    out
}

/// The digest identifying a leaf circuit in the list of accepted leaves.
pub fn verifier_hash(v: &VerifierOnlyCircuitData<C, EXT>) -> HashOut<F> {
    PoseidonHash::hash_no_pad(&verifier_elements(v))
}

/// The accepted leaves' hashes as a lookup table of exactly [`MAX_LEAVES`] entries (the
/// last repeated): plonky2's `random_access` picks its gate by table size, and the
/// aggregation shape contains the gate for 16 entries only (the recursive verifier's).
pub fn leaf_table(hashes: &[HashOut<F>]) -> anyhow::Result<Vec<HashOut<F>>> {
    ensure!(!hashes.is_empty(), "at least one leaf circuit is needed");
    ensure!(
        hashes.len() <= MAX_LEAVES,
        "at most {MAX_LEAVES} leaf circuits, got {}",
        hashes.len()
    );
    let mut table = hashes.to_vec();
    table.resize(MAX_LEAVES, hashes[hashes.len() - 1]);
    Ok(table)
}

/// If `when`, `h` is the `table` entry at `index` (a table of [`MAX_LEAVES`] entries, as
/// [`leaf_table`] makes).
pub fn constrain_member(
    b: &mut Builder,
    when: BoolTarget,
    h: HashOutTarget,
    index: Target,
    table: &[HashOut<F>],
) {
    for e in 0..4 {
        let column = table.iter().map(|d| b.constant(d.elements[e])).collect();
        let want = b.random_access(index, column);
        assert_zero_if(b, when, h.elements[e], want);
    }
}

/// The witness inputs that say what a child is.
#[derive(Clone, Copy, Debug)]
pub struct ChildKindTargets {
    /// The child is a fold.
    pub is_fold: BoolTarget,
    /// Its entry in the leaf table, if it is a leaf.
    pub leaf_index: Target,
}

impl ChildKindTargets {
    /// Allocates the inputs.
    pub fn new(b: &mut Builder) -> Self {
        Self {
            is_fold: b.add_virtual_bool_target_safe(),
            leaf_index: b.add_virtual_target(),
        }
    }

    /// Constrains a child verified against `verifier` with public inputs `public`:
    /// a fold's verifier data, and the verifier data it passed on, equal `fold`; a leaf's
    /// verifier data hashes to the `table` entry at the leaf index.
    pub fn constrain(
        &self,
        b: &mut Builder,
        verifier: &VerifierCircuitTarget,
        public: &[Target],
        fold: &[Target],
        table: &[HashOut<F>],
    ) {
        let elements = verifier_targets(verifier);
        let passed_on = &public[AGGREGATE_INPUTS..];
        for k in 0..fold.len() {
            assert_zero_if(b, self.is_fold, elements[k], fold[k]);
            assert_zero_if(b, self.is_fold, passed_on[k], fold[k]);
        }
        let h = b.hash_n_to_hash_no_pad::<PoseidonHash>(elements);
        self.constrain_leaf(b, h, table);
    }

    /// [`constrain`](Self::constrain) for a circuit in which the fold circuit's verifier
    /// data is a constant (the final wrap): a fold child is recognised by the hash of its
    /// verifier data, which the leaf check computes anyway, equal to `fold_hash`, and by
    /// passing on the verifier data it was verified against. Four constants instead of 68
    /// keep the wrap within 2^12 rows, which halves its proving cost at a given FRI rate.
    pub fn constrain_final(
        &self,
        b: &mut Builder,
        verifier: &VerifierCircuitTarget,
        public: &[Target],
        fold_hash: HashOut<F>,
        table: &[HashOut<F>],
    ) {
        let elements = verifier_targets(verifier);
        let passed_on = &public[AGGREGATE_INPUTS..];
        assert_eq!(
            passed_on.len(),
            elements.len(),
            "fold proofs pass on verifier data"
        );
        for (p, e) in passed_on.iter().zip(&elements) {
            assert_zero_if(b, self.is_fold, *p, *e);
        }
        let h = b.hash_n_to_hash_no_pad::<PoseidonHash>(elements);
        for (e, want) in h.elements.iter().zip(fold_hash.elements) {
            let want = b.constant(want);
            assert_zero_if(b, self.is_fold, *e, want);
        }
        self.constrain_leaf(b, h, table);
    }

    /// A child that is not a fold is a leaf whose verifier data hashes to `h`, the `table`
    /// entry at the leaf index.
    fn constrain_leaf(&self, b: &mut Builder, h: HashOutTarget, table: &[HashOut<F>]) {
        let is_leaf = b.not(self.is_fold);
        constrain_member(b, is_leaf, h, self.leaf_index, table);
    }

    /// Sets the inputs, and `verifier`, for a child of kind `kind`; `fold_vd` is the fold
    /// circuit's verifier data.
    pub fn set(
        &self,
        pw: &mut PartialWitness<F>,
        verifier: &VerifierCircuitTarget,
        kind: Child<'_>,
        fold_vd: &VerifierOnlyCircuitData<C, EXT>,
    ) -> anyhow::Result<()> {
        let (vd, is_fold, index) = match kind {
            Child::Fold => (fold_vd, true, 0),
            Child::FoldWith(vd) => (vd, true, 0),
            Child::Leaf(index, vd) => (vd, false, index),
        };
        pw.set_verifier_data_target(verifier, vd)?;
        pw.set_bool_target(self.is_fold, is_fold)?;
        pw.set_target(self.leaf_index, F::from_canonical_usize(index))?;
        Ok(())
    }
}
