//! Batch leaf circuits: one per batch-circuit shape. A batch leaf verifies a batch proof and
//! restates its public inputs as an aggregate of one batch, in the common aggregation
//! shape, with the batch's transaction commitment after it for the bind circuit
//! (`bind.rs`), which accepts the batch only with a signature proof of that commitment;
//! folds take bound leaves only.

use anyhow::{ensure, Context};
use plonky2::hash::poseidon::PoseidonHash;
use plonky2::iop::witness::{PartialWitness, WitnessWrite};
use plonky2::plonk::circuit_data::{CircuitData, CommonCircuitData};
use plonky2::plonk::proof::{ProofWithPublicInputs, ProofWithPublicInputsTarget};
use quire_prover::{BatchProof, BatchShape, BatchVerifier};

use crate::common::{num_public_inputs, pad_to_common};
use crate::public_inputs::AGGREGATE_INPUTS;
use crate::{AggregateProof, Builder, C, EXT, F};

/// Elements of the transaction commitment a batch leaf exposes after its aggregate.
pub const COMMITMENT: usize = 4;

/// Elements a batch leaf exposes after its aggregate for the bind circuit: the transaction
/// commitment, then the batch proof's deposit counts (2) and deposit chains (8) before
/// and after (public inputs 21..31), which the signature proof must attest too.
pub const BIND_EXTRAS: usize = COMMITMENT + 10;

/// A leaf circuit for one batch shape.
pub struct LeafCircuit {
    /// The batch shape it accepts.
    pub shape: BatchShape,
    /// Circuit data (common data equals the aggregation common data).
    pub data: CircuitData<F, C, EXT>,
    batch_proof: ProofWithPublicInputsTarget<EXT>,
}

impl LeafCircuit {
    /// Builds the leaf for `batch`'s shape.
    pub fn build(
        batch: &BatchVerifier,
        common: &CommonCircuitData<F, EXT>,
    ) -> anyhow::Result<Self> {
        let mut b = Builder::new(crate::common::config());
        let proof = b.add_virtual_proof_with_pis(&batch.data.common);
        let vd = b.constant_verifier_data(&batch.data.verifier_only);
        b.verify_proof::<C>(&proof, &vd, &batch.data.common);
        // Batch public inputs: prev_root 0..4, new_root 4..8, batch_number 8,
        // tx_commitment 9..13, tx_count 13, base_fee 14..16, fee_recipient 16..19,
        // leaf counts 19, 20, deposit counts 21, 22, deposit chains 23..27, 27..31.
        let pi = &proof.public_inputs;
        // Batch numbers below 2^32: a fold's `last + 1 == first` cannot wrap the field.
        b.range_check(pi[8], 32);
        let mut digest_input = vec![pi[8]];
        digest_input.extend_from_slice(&pi[9..13]);
        digest_input.push(pi[13]);
        digest_input.extend_from_slice(&pi[14..19]);
        digest_input.extend_from_slice(&pi[21..31]);
        let digest = b.hash_n_to_hash_no_pad::<PoseidonHash>(digest_input);
        let mut out = vec![pi[8], pi[8]];
        out.extend_from_slice(&pi[0..8]);
        out.push(pi[19]);
        out.push(pi[20]);
        out.extend_from_slice(&digest.elements);
        out.push(pi[13]);
        // The bridge's queue and withdrawal hashes are the signature proof's to attest:
        // zero here, set by the bind circuit (folds accept bound leaves only).
        let zero = b.zero();
        out.resize(AGGREGATE_INPUTS, zero);
        b.register_public_inputs(&out);
        // For the bind circuit, in the slots a fold uses for its verifier data (a leaf has
        // none to pass on): the transaction commitment and the deposits; zeros fill the
        // rest.
        b.register_public_inputs(&pi[9..13]);
        b.register_public_inputs(&pi[21..31]);
        for _ in AGGREGATE_INPUTS + BIND_EXTRAS..num_public_inputs() {
            b.register_public_input(zero);
        }
        pad_to_common(&mut b, common);
        let data = b.build::<C>();
        if &data.common != common {
            tracing::error!(
                leaf_degree = data.common.degree_bits(),
                common_degree = common.degree_bits(),
                leaf_gates = ?data.common.gates.iter().map(|g| g.0.id()).collect::<Vec<_>>(),
                common_gates = ?common.gates.iter().map(|g| g.0.id()).collect::<Vec<_>>(),
                leaf_constants = data.common.num_constants,
                common_constants = common.num_constants,
                leaf_selectors = ?data.common.selectors_info,
                common_selectors = ?common.selectors_info,
                "leaf common data differs"
            );
        }
        ensure!(
            &data.common == common,
            "leaf circuit for {} does not match the aggregation shape",
            batch.shape
        );
        Ok(Self {
            shape: batch.shape,
            data,
            batch_proof: proof,
        })
    }

    /// Wraps a batch proof (which must verify against the batch circuit).
    pub fn prove(&self, proof: &BatchProof) -> anyhow::Result<AggregateProof> {
        let mut pw = PartialWitness::new();
        pw.set_proof_with_pis_target(&self.batch_proof, proof)?;
        crate::common::prove_catching("wrapping a batch proof", || {
            let p: ProofWithPublicInputs<F, C, EXT> =
                self.data.prove(pw).context("wrapping a batch proof")?;
            Ok(p)
        })
    }
}
