//! The bind circuit: where a batch meets its signatures. It verifies a batch leaf (one of
//! the accepted batch leaf circuits) and a signature leaf (one of the accepted signature
//! leaf circuits), requires the signature proof to cover the batch's transaction
//! commitment and transfer count and the deposits it credited (the same deposit counts
//! and Poseidon deposit chains before and after), and restates the batch's aggregate with
//! the chain id folded into its digest, `Poseidon(batch digest ‖ chain id)`, and the
//! Bridge's queue hashes and the withdrawal hashes the signature proof attests, and the
//! chain id itself as the aggregate's last public input (L1 checks it). Folds and
//! the final wrap accept these bound leaves, and no batch reaches them without its
//! signatures.

use anyhow::{ensure, Context};
use plonky2::field::types::Field;
use plonky2::hash::hash_types::HashOut;
use plonky2::hash::poseidon::PoseidonHash;
use plonky2::iop::target::Target;
use plonky2::iop::witness::{PartialWitness, WitnessWrite};
use plonky2::plonk::circuit_data::{
    CircuitData, CommonCircuitData, VerifierCircuitTarget, VerifierOnlyCircuitData,
};
use plonky2::plonk::proof::ProofWithPublicInputsTarget;

use crate::child::{constrain_member, leaf_table, verifier_targets};
use crate::common::{num_public_inputs, pad_to_common};
use crate::leaf::{BIND_EXTRAS, COMMITMENT};
use crate::public_inputs::AGGREGATE_INPUTS;
use crate::{AggregateProof, Builder, C, EXT, F};
use quire_prover::signature::circuit::SIGNATURE_INPUTS;

/// One child: its proof, the verifier data it is checked against, and its entry in the
/// table of accepted circuits.
struct ChildTargets {
    proof: ProofWithPublicInputsTarget<EXT>,
    verifier: VerifierCircuitTarget,
    index: Target,
}

/// The bind circuit.
pub struct BindCircuit {
    /// Circuit data.
    pub data: CircuitData<F, C, EXT>,
    batch: ChildTargets,
    signatures: ChildTargets,
}

impl BindCircuit {
    /// Builds the circuit accepting batch leaves whose verifier data hash to `batch_leaves`
    /// and signature leaves whose verifier data hash to `signature_leaves`.
    pub fn build(
        common: &CommonCircuitData<F, EXT>,
        batch_leaves: &[HashOut<F>],
        signature_leaves: &[HashOut<F>],
    ) -> anyhow::Result<Self> {
        let batch_table = leaf_table(batch_leaves)?;
        let signature_table = leaf_table(signature_leaves)?;
        let mut b = Builder::new(crate::common::config());
        let cap_height = common.config.fri_config.cap_height;
        let child = |b: &mut Builder, table: &[HashOut<F>]| {
            let c = ChildTargets {
                proof: b.add_virtual_proof_with_pis(common),
                verifier: b.add_virtual_verifier_data(cap_height),
                index: b.add_virtual_target(),
            };
            b.verify_proof::<C>(&c.proof, &c.verifier, common);
            let h = b.hash_n_to_hash_no_pad::<PoseidonHash>(verifier_targets(&c.verifier));
            let always = b._true();
            constrain_member(b, always, h, c.index, table);
            c
        };
        let batch = child(&mut b, &batch_table);
        let signatures = child(&mut b, &signature_table);
        let bp = batch.proof.public_inputs.clone();
        let sp = signatures.proof.public_inputs.clone();

        // The signatures cover exactly the batch's transfers, and the deposits the
        // signature proof hashed into the queue hash are the ones the batch credited.
        for i in 0..COMMITMENT {
            b.connect(bp[AGGREGATE_INPUTS + i], sp[i]);
        }
        b.connect(bp[16], sp[4]);
        for i in COMMITMENT..BIND_EXTRAS {
            b.connect(bp[AGGREGATE_INPUTS + i], sp[2 + i]);
        }
        // The batch's digest, bound to the chain the signatures are for.
        let mut digest_input = bp[12..16].to_vec();
        digest_input.push(sp[5]);
        let digest = b.hash_n_to_hash_no_pad::<PoseidonHash>(digest_input);
        let mut out = bp[..12].to_vec();
        out.extend_from_slice(&digest.elements);
        out.push(bp[16]);
        // Deposit counts, then queue hashes and withdrawal hashes before and after.
        out.extend_from_slice(&sp[6..8]);
        out.extend_from_slice(&sp[16..SIGNATURE_INPUTS]);
        // The chain the signatures are for, in the open: folds require one chain, and L1
        // requires its own.
        out.push(sp[5]);
        debug_assert_eq!(out.len(), AGGREGATE_INPUTS);
        b.register_public_inputs(&out);
        let zero = b.zero();
        for _ in AGGREGATE_INPUTS..num_public_inputs() {
            b.register_public_input(zero);
        }
        pad_to_common(&mut b, common);
        let data = b.build::<C>();
        ensure!(
            &data.common == common,
            "the bind circuit does not match the aggregation shape ({} rows)",
            data.common.degree()
        );
        Ok(Self {
            data,
            batch,
            signatures,
        })
    }

    /// Binds a batch leaf (the accepted batch leaf at `batch_index`, with verifier data
    /// `batch_vd`) to a signature leaf (likewise).
    pub fn prove(
        &self,
        batch: (&AggregateProof, usize, &VerifierOnlyCircuitData<C, EXT>),
        signatures: (&AggregateProof, usize, &VerifierOnlyCircuitData<C, EXT>),
    ) -> anyhow::Result<AggregateProof> {
        let mut pw = PartialWitness::new();
        for (t, (proof, index, vd)) in [(&self.batch, batch), (&self.signatures, signatures)] {
            pw.set_proof_with_pis_target(&t.proof, proof)?;
            pw.set_verifier_data_target(&t.verifier, vd)?;
            pw.set_target(t.index, F::from_canonical_usize(index))?;
        }
        crate::common::prove_catching("binding a batch to its signatures", || {
            self.data
                .prove(pw)
                .context("binding a batch to its signatures")
        })
    }
}
