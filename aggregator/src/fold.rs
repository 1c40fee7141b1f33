//! The 2→1 fold: verifies two aggregation proofs of adjacent ranges and proves their union.
//!
//! Each child is either a leaf (a wrapped batch proof) whose verifier data must be one of
//! the leaf circuits this aggregator was built for, or an earlier fold, whose verifier data
//! must be this circuit's own. A circuit cannot contain its own verifier data (it depends on
//! the circuit), so the fold takes it as a public input, requires every fold child to have
//! been verified against the same value, and leaves the final check — that the value is the
//! fold circuit's real verifier data — to whoever verifies the top proof (plonky2's cyclic
//! recursion pattern).

use anyhow::{ensure, Context};
use plonky2::field::types::Field;
use plonky2::hash::hash_types::HashOut;
use plonky2::hash::poseidon::PoseidonHash;
use plonky2::iop::target::{BoolTarget, Target};
use plonky2::iop::witness::{PartialWitness, WitnessWrite};
use plonky2::plonk::circuit_data::{
    CircuitData, CommonCircuitData, VerifierCircuitTarget, VerifierOnlyCircuitData,
};
use plonky2::plonk::config::Hasher;
use plonky2::plonk::proof::ProofWithPublicInputsTarget;

use crate::common::pad_to_common;
use crate::public_inputs::AGGREGATE_INPUTS;
use crate::{AggregateProof, Builder, C, EXT, F};

/// A child's witness inputs.
struct ChildTargets {
    proof: ProofWithPublicInputsTarget<EXT>,
    verifier: VerifierCircuitTarget,
    is_fold: BoolTarget,
    leaf_index: Target,
}

/// What a child proof is.
#[derive(Clone, Copy, Debug)]
pub enum Child<'a> {
    /// A wrapped batch proof, from the leaf circuit at this index of the aggregator's list.
    Leaf(usize, &'a VerifierOnlyCircuitData<C, EXT>),
    /// An earlier fold.
    Fold,
}

/// The fold circuit.
pub struct FoldCircuit {
    /// Circuit data.
    pub data: CircuitData<F, C, EXT>,
    children: [ChildTargets; 2],
    own: VerifierCircuitTarget,
}

/// Verifier data as field elements, in the order `add_verifier_data_public_inputs`
/// registers them: circuit digest, then the constants cap.
fn verifier_targets(v: &VerifierCircuitTarget) -> Vec<Target> {
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

/// The digest identifying a leaf circuit in a fold's list of accepted leaves.
pub fn verifier_hash(v: &VerifierOnlyCircuitData<C, EXT>) -> HashOut<F> {
    PoseidonHash::hash_no_pad(&verifier_elements(v))
}

/// Most leaf circuits a fold or wrap accepts.
pub const MAX_LEAVES: usize = 16;

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

fn assert_equal_if(b: &mut Builder, cond: BoolTarget, x: Target, y: Target) {
    let d = b.sub(x, y);
    let p = b.mul(cond.target, d);
    b.assert_zero(p);
}

impl FoldCircuit {
    /// Builds the fold accepting leaves with these verifier data.
    pub fn build(
        common: &CommonCircuitData<F, EXT>,
        leaves: &[&VerifierOnlyCircuitData<C, EXT>],
    ) -> anyhow::Result<Self> {
        let hashes: Vec<HashOut<F>> = leaves.iter().map(|v| verifier_hash(v)).collect();
        Self::build_for_hashes(common, &hashes)
    }

    /// Builds the fold accepting leaves whose verifier data hash to `leaf_hashes`.
    pub fn build_for_hashes(
        common: &CommonCircuitData<F, EXT>,
        leaf_hashes: &[HashOut<F>],
    ) -> anyhow::Result<Self> {
        let hashes = leaf_table(leaf_hashes)?;
        let mut b = Builder::new(crate::common::config());
        let cap_height = common.config.fri_config.cap_height;
        let child = |b: &mut Builder| ChildTargets {
            proof: b.add_virtual_proof_with_pis(common),
            verifier: b.add_virtual_verifier_data(cap_height),
            is_fold: b.add_virtual_bool_target_safe(),
            leaf_index: b.add_virtual_target(),
        };
        let children = [child(&mut b), child(&mut b)];
        let l = children[0].proof.public_inputs.clone();
        let r = children[1].proof.public_inputs.clone();

        // The ranges are adjacent and chain: consecutive batch numbers, the left's new
        // root is the right's previous root, and so are the account counts.
        let one = b.one();
        let next = b.add(l[1], one);
        b.connect(next, r[0]);
        for i in 0..4 {
            b.connect(l[6 + i], r[2 + i]);
        }
        b.connect(l[11], r[10]);

        let mut digest_input = l[12..16].to_vec();
        digest_input.extend_from_slice(&r[12..16]);
        let digest = b.hash_n_to_hash_no_pad::<PoseidonHash>(digest_input);
        let tx_count = b.add(l[16], r[16]);
        let mut out = vec![l[0], r[1]];
        out.extend_from_slice(&l[2..6]);
        out.extend_from_slice(&r[6..10]);
        out.push(l[10]);
        out.push(r[11]);
        out.extend_from_slice(&digest.elements);
        out.push(tx_count);
        debug_assert_eq!(out.len(), AGGREGATE_INPUTS);
        b.register_public_inputs(&out);
        let own = b.add_verifier_data_public_inputs();
        let own_elements = verifier_targets(&own);

        for c in &children {
            b.verify_proof::<C>(&c.proof, &c.verifier, common);
            let elements = verifier_targets(&c.verifier);
            // A fold child was verified against our verifier data, and verified its own
            // fold children against the same.
            let passed_on = &c.proof.public_inputs[AGGREGATE_INPUTS..];
            for k in 0..own_elements.len() {
                assert_equal_if(&mut b, c.is_fold, elements[k], own_elements[k]);
                assert_equal_if(&mut b, c.is_fold, passed_on[k], own_elements[k]);
            }
            // A leaf child comes from one of the accepted leaf circuits.
            let h = b.hash_n_to_hash_no_pad::<PoseidonHash>(elements);
            let is_leaf = b.not(c.is_fold);
            for e in 0..4 {
                let table = hashes.iter().map(|d| b.constant(d.elements[e])).collect();
                let want = b.random_access(c.leaf_index, table);
                assert_equal_if(&mut b, is_leaf, h.elements[e], want);
            }
        }
        pad_to_common(&mut b, common);
        let data = b.build::<C>();
        ensure!(
            &data.common == common,
            "the fold circuit does not match the aggregation shape ({} gates)",
            data.common.degree()
        );
        Ok(Self {
            data,
            children,
            own,
        })
    }

    /// Folds two proofs of adjacent ranges.
    pub fn prove(
        &self,
        left: (&AggregateProof, Child<'_>),
        right: (&AggregateProof, Child<'_>),
    ) -> anyhow::Result<AggregateProof> {
        let mut pw = PartialWitness::new();
        for (t, (proof, kind)) in self.children.iter().zip([left, right]) {
            pw.set_proof_with_pis_target(&t.proof, proof)?;
            match kind {
                Child::Fold => {
                    pw.set_verifier_data_target(&t.verifier, &self.data.verifier_only)?;
                    pw.set_bool_target(t.is_fold, true)?;
                    pw.set_target(t.leaf_index, F::ZERO)?;
                }
                Child::Leaf(index, vd) => {
                    pw.set_verifier_data_target(&t.verifier, vd)?;
                    pw.set_bool_target(t.is_fold, false)?;
                    pw.set_target(t.leaf_index, F::from_canonical_usize(index))?;
                }
            }
        }
        pw.set_verifier_data_target(&self.own, &self.data.verifier_only)?;
        self.data.prove(pw).context("folding")
    }
}
