//! The 2→1 fold: verifies two aggregation proofs of adjacent ranges of one chain and proves
//! their union.
//!
//! Each child is either a leaf (a wrapped batch proof) whose verifier data must be one of
//! the leaf circuits this aggregator was built for, or an earlier fold, whose verifier data
//! must be this circuit's own. A circuit cannot contain its own verifier data (it depends on
//! the circuit), so the fold takes it as a public input, requires every fold child to have
//! been verified against the same value, and leaves the final check — that the value is the
//! fold circuit's real verifier data — to whoever verifies the top proof (plonky2's cyclic
//! recursion pattern).

use anyhow::{ensure, Context};
use plonky2::hash::hash_types::HashOut;
use plonky2::hash::poseidon::PoseidonHash;
use plonky2::iop::witness::{PartialWitness, WitnessWrite};
use plonky2::plonk::circuit_data::{
    CircuitData, CommonCircuitData, VerifierCircuitTarget, VerifierOnlyCircuitData,
};
use plonky2::plonk::proof::ProofWithPublicInputsTarget;

pub use crate::child::{leaf_table, verifier_elements, verifier_hash, Child, MAX_LEAVES};
use crate::child::{verifier_targets, ChildKindTargets};

use crate::common::pad_to_common;
use crate::public_inputs::{AGGREGATE_INPUTS, CHAIN_ID_AT};
use crate::{AggregateProof, Builder, C, EXT, F};

/// A child's witness inputs.
struct ChildTargets {
    proof: ProofWithPublicInputsTarget<EXT>,
    verifier: VerifierCircuitTarget,
    kind: ChildKindTargets,
}

/// The fold circuit.
pub struct FoldCircuit {
    /// Circuit data.
    pub data: CircuitData<F, C, EXT>,
    children: [ChildTargets; 2],
    own: VerifierCircuitTarget,
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
            kind: ChildKindTargets::new(b),
        };
        let children = [child(&mut b), child(&mut b)];
        let l = children[0].proof.public_inputs.clone();
        let r = children[1].proof.public_inputs.clone();

        // The ranges are adjacent and chain: consecutive batch numbers, the left's new
        // root is the right's previous root, and so are the account counts, the deposit
        // counts, the queue hashes and the withdrawal hashes.
        let one = b.one();
        let next = b.add(l[1], one);
        b.connect(next, r[0]);
        for i in 0..4 {
            b.connect(l[6 + i], r[2 + i]);
            b.connect(l[23 + i], r[19 + i]);
            b.connect(l[31 + i], r[27 + i]);
        }
        b.connect(l[11], r[10]);
        b.connect(l[18], r[17]);
        // One chain: every transfer of the union was signed for the same chain id.
        b.connect(l[CHAIN_ID_AT], r[CHAIN_ID_AT]);

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
        out.push(l[17]);
        out.push(r[18]);
        out.extend_from_slice(&l[19..23]);
        out.extend_from_slice(&r[23..27]);
        out.extend_from_slice(&l[27..31]);
        out.extend_from_slice(&r[31..35]);
        out.push(l[CHAIN_ID_AT]);
        debug_assert_eq!(out.len(), AGGREGATE_INPUTS);
        b.register_public_inputs(&out);
        let own = b.add_verifier_data_public_inputs();
        let own_elements = verifier_targets(&own);

        for c in &children {
            b.verify_proof::<C>(&c.proof, &c.verifier, common);
            // A fold child was verified against our verifier data and verified its own
            // fold children against the same; a leaf child is an accepted leaf.
            c.kind.constrain(
                &mut b,
                &c.verifier,
                &c.proof.public_inputs,
                &own_elements,
                &hashes,
            );
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
        self.prove_against(left, right, &self.data.verifier_only)
    }

    /// [`Self::prove`] with `own` as the fold circuit's verifier data (the public inputs the
    /// proof passes on, and what a [`Child::Fold`] is verified against). Only the fold's real
    /// verifier data gives a proof that [`crate::Aggregator::verify`] accepts; tests use
    /// others.
    pub fn prove_against(
        &self,
        left: (&AggregateProof, Child<'_>),
        right: (&AggregateProof, Child<'_>),
        own: &VerifierOnlyCircuitData<C, EXT>,
    ) -> anyhow::Result<AggregateProof> {
        let mut pw = PartialWitness::new();
        for (t, (proof, kind)) in self.children.iter().zip([left, right]) {
            pw.set_proof_with_pis_target(&t.proof, proof)?;
            t.kind.set(&mut pw, &t.verifier, kind, own)?;
        }
        pw.set_verifier_data_target(&self.own, own)?;
        crate::common::prove_catching("folding", || self.data.prove(pw).context("folding"))
    }
}
