//! The final wrap: one more recursion that turns an aggregate into the proof meant for L1.
//!
//! The wrap proof hashes its Merkle trees and Fiat–Shamir transcript with Keccak-256 (cheap
//! in the EVM, where Poseidon over Goldilocks is not) and uses a high-rate FRI
//! configuration (few queries, so few Merkle paths: a small proof), at the price of a
//! slower prover on this one small circuit. Its public inputs are only the aggregate's own
//! 17 elements; the verifier data the fold passes along is checked inside the wrap against
//! the fold circuit's real verifier data, so an L1 verifier does not need it.

use anyhow::Context;
use plonky2::field::extension::quadratic::QuadraticExtension;
use plonky2::field::types::Field;
use plonky2::fri::reduction_strategies::FriReductionStrategy;
use plonky2::fri::FriConfig;
use plonky2::hash::keccak::KeccakHash;
use plonky2::hash::poseidon::PoseidonHash;
use plonky2::iop::target::{BoolTarget, Target};
use plonky2::iop::witness::{PartialWitness, WitnessWrite};
use plonky2::plonk::circuit_data::{
    CircuitConfig, CircuitData, CommonCircuitData, VerifierCircuitTarget, VerifierOnlyCircuitData,
};
use plonky2::plonk::config::GenericConfig;
use plonky2::plonk::proof::{ProofWithPublicInputs, ProofWithPublicInputsTarget};
use serde::{Deserialize, Serialize};

use crate::aggregator::{Aggregate, AggregateKind, Aggregator};
use crate::fold::verifier_hash;
use crate::public_inputs::{AggregatePublicInputs, AGGREGATE_INPUTS};
use crate::{Builder, C, EXT, F};

/// plonky2 configuration of the wrap proof: Keccak-256 (32-byte digests) for Merkle trees
/// and the transcript.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeccakWrapConfig;

impl GenericConfig<2> for KeccakWrapConfig {
    type F = F;
    type FE = QuadraticExtension<F>;
    type Hasher = KeccakHash<32>;
    type InnerHasher = PoseidonHash;
}

/// A final proof.
pub type WrapProof = ProofWithPublicInputs<F, KeccakWrapConfig, EXT>;

/// FRI settings of the wrap: rate 2^-`rate_bits`, queries for ~100 bits of conjectured
/// security with 16 bits of grinding.
pub fn wrap_config(rate_bits: usize) -> CircuitConfig {
    let pow = 16;
    CircuitConfig {
        fri_config: FriConfig {
            rate_bits,
            cap_height: 4,
            proof_of_work_bits: pow,
            reduction_strategy: FriReductionStrategy::ConstantArityBits(4, 5),
            num_query_rounds: (100 - pow as usize).div_ceil(rate_bits),
        },
        ..CircuitConfig::standard_recursion_config()
    }
}

/// The default wrap rate.
pub const WRAP_RATE_BITS: usize = 7;

/// The wrap circuit.
pub struct WrapCircuit {
    /// Circuit data.
    pub data: CircuitData<F, KeccakWrapConfig, EXT>,
    inner: ProofWithPublicInputsTarget<EXT>,
    verifier: VerifierCircuitTarget,
    is_fold: BoolTarget,
    leaf_index: Target,
}

fn assert_equal_if(b: &mut Builder, cond: BoolTarget, x: Target, y: Target) {
    let d = b.sub(x, y);
    let p = b.mul(cond.target, d);
    b.assert_zero(p);
}

impl WrapCircuit {
    /// Builds the wrap for an aggregator's fold and leaves.
    pub fn build(aggregator: &Aggregator, rate_bits: usize) -> anyhow::Result<Self> {
        let common: &CommonCircuitData<F, EXT> = &aggregator.common;
        let fold_vd = &aggregator.fold.data.verifier_only;
        let leaf_hashes: Vec<_> = aggregator
            .leaf_verifier_data_all()
            .iter()
            .map(|v| verifier_hash(v))
            .collect();
        let table = crate::fold::leaf_table(&leaf_hashes)?;
        let mut b = Builder::new(wrap_config(rate_bits));
        let inner = b.add_virtual_proof_with_pis(common);
        let verifier = b.add_virtual_verifier_data(common.config.fri_config.cap_height);
        b.verify_proof::<C>(&inner, &verifier, common);
        let is_fold = b.add_virtual_bool_target_safe();
        let leaf_index = b.add_virtual_target();

        let mut elements = verifier.circuit_digest.elements.to_vec();
        for h in &verifier.constants_sigmas_cap.0 {
            elements.extend_from_slice(&h.elements);
        }
        // A fold: its verifier data, and what it passed on, are the fold circuit's.
        let fold_elements = crate::fold::verifier_elements(fold_vd);
        for (k, want) in fold_elements.iter().enumerate() {
            let want = b.constant(*want);
            assert_equal_if(&mut b, is_fold, elements[k], want);
            assert_equal_if(
                &mut b,
                is_fold,
                inner.public_inputs[AGGREGATE_INPUTS + k],
                want,
            );
        }
        // A leaf: one of the accepted leaf circuits.
        let h = b.hash_n_to_hash_no_pad::<PoseidonHash>(elements);
        let is_leaf = b.not(is_fold);
        for e in 0..4 {
            let table = table.iter().map(|h| b.constant(h.elements[e])).collect();
            let want = b.random_access(leaf_index, table);
            assert_equal_if(&mut b, is_leaf, h.elements[e], want);
        }
        b.register_public_inputs(&inner.public_inputs[..AGGREGATE_INPUTS]);
        let data = b.build::<KeccakWrapConfig>();
        Ok(Self {
            data,
            inner,
            verifier,
            is_fold,
            leaf_index,
        })
    }

    /// Wraps an aggregate (leaf or fold).
    pub fn prove(&self, aggregator: &Aggregator, a: &Aggregate) -> anyhow::Result<WrapProof> {
        let mut pw = PartialWitness::new();
        pw.set_proof_with_pis_target(&self.inner, &a.proof)?;
        match a.kind {
            AggregateKind::Fold => {
                pw.set_verifier_data_target(&self.verifier, &aggregator.fold.data.verifier_only)?;
                pw.set_bool_target(self.is_fold, true)?;
                pw.set_target(self.leaf_index, F::ZERO)?;
            }
            AggregateKind::Leaf(shape) => {
                let (index, vd): (usize, &VerifierOnlyCircuitData<C, EXT>) =
                    aggregator.leaf_index(shape)?;
                pw.set_verifier_data_target(&self.verifier, vd)?;
                pw.set_bool_target(self.is_fold, false)?;
                pw.set_target(self.leaf_index, F::from_canonical_usize(index))?;
            }
        }
        self.data.prove(pw).context("wrapping the aggregate")
    }

    /// Verifies a final proof and returns what it proves.
    pub fn verify(&self, proof: &WrapProof) -> anyhow::Result<AggregatePublicInputs> {
        self.data
            .verify(proof.clone())
            .context("final proof does not verify")?;
        Ok(AggregatePublicInputs::from_elements(&proof.public_inputs)?)
    }
}
