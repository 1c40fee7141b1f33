//! The final wrap: one more recursion that turns an aggregate into the proof meant for L1.
//!
//! The wrap proof hashes its Merkle trees and Fiat–Shamir transcript with Keccak-256 (cheap
//! in the EVM, where Poseidon over Goldilocks is not) and uses a high-rate FRI
//! configuration (few queries, so few Merkle paths: a small proof), at the price of a
//! slower prover on this one small circuit. Its public inputs are only the aggregate's own
//! values, four pairs of them packed into one element each (32 elements,
//! [`FINAL_INPUTS`](crate::public_inputs::FINAL_INPUTS)); the verifier data the fold
//! passes along is checked inside the wrap against the fold circuit's real verifier data,
//! so an L1 verifier does not need it.

use anyhow::Context;
use plonky2::field::extension::quadratic::QuadraticExtension;
use plonky2::field::types::Field;
use plonky2::fri::reduction_strategies::FriReductionStrategy;
use plonky2::fri::FriConfig;
use plonky2::hash::poseidon::PoseidonHash;
use plonky2::iop::witness::{PartialWitness, WitnessWrite};
use plonky2::plonk::circuit_data::{
    CircuitConfig, CircuitData, CommonCircuitData, VerifierCircuitTarget,
};
use plonky2::plonk::config::GenericConfig;
use plonky2::plonk::proof::{ProofWithPublicInputs, ProofWithPublicInputsTarget};
use serde::{Deserialize, Serialize};

use crate::aggregator::{Aggregate, AggregateKind, Aggregator};
use crate::child::{leaf_table, verifier_hash, Child, ChildKindTargets};
use crate::public_inputs::{final_layout, AggregatePublicInputs, FinalElement};
use crate::wrap_hash::KeccakBeHash;
use crate::{AggregateProof, Builder, C, EXT, F};

/// plonky2 configuration of the wrap proof: Keccak-256 truncated to 25 bytes (200 bits:
/// 100-bit collision resistance, as plonky2's own Keccak configuration) for Merkle trees
/// and the transcript, over big-endian element encodings ([`KeccakBeHash`]: what the EVM
/// reads without reversing bytes). The public-input hash stays Poseidon: the circuit
/// computes it, and Keccak in plonky2 gates costs ~2^15 rows per block.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeccakWrapConfig;

impl GenericConfig<2> for KeccakWrapConfig {
    type F = F;
    type FE = QuadraticExtension<F>;
    type Hasher = KeccakBeHash<WRAP_HASH_BYTES>;
    type InnerHasher = PoseidonHash;
}

/// A final proof.
pub type WrapProof = ProofWithPublicInputs<F, KeccakWrapConfig, EXT>;

/// Bytes of a wrap Merkle digest.
pub const WRAP_HASH_BYTES: usize = 25;

/// Bits of grinding (proof of work) in the wrap's FRI: off-chain work that replaces
/// queries, which cost calldata and execution on L1. 2^20 Keccak permutations take about
/// a second on two cores; each further bit doubles that.
pub const WRAP_POW_BITS: u32 = 20;

/// Conjectured security the wrap's FRI queries and grinding reach together, in bits
/// (`queries · rate_bits + grinding bits`, the ethSTARK conjecture plonky2 uses).
pub const WRAP_SECURITY_BITS: usize = 100;

/// FRI settings of the wrap: rate 2^-`rate_bits`, enough queries for
/// [`WRAP_SECURITY_BITS`] with [`WRAP_POW_BITS`] of grinding, Merkle caps of 16 digests
/// (for 9 to 12 queries the size that minimises caps plus paths in the calldata: one level
/// more costs 8 digests in each of the proof's 5 caps and saves one digest on each of a
/// query's 6 paths).
pub fn wrap_config(rate_bits: usize) -> CircuitConfig {
    let pow = WRAP_POW_BITS;
    CircuitConfig {
        fri_config: FriConfig {
            rate_bits,
            cap_height: 4,
            proof_of_work_bits: pow,
            reduction_strategy: FriReductionStrategy::ConstantArityBits(4, 5),
            num_query_rounds: (WRAP_SECURITY_BITS - pow as usize).div_ceil(rate_bits),
        },
        ..CircuitConfig::standard_recursion_config()
    }
}

/// The wrap rate: 2^-10, so 8 queries with [`WRAP_POW_BITS`] of grinding (12 at 2^-7):
/// each query costs the L1 verifier about 67k gas of execution and 5 KB of calldata. The
/// price is the prover's: the wrap circuit has 2^12 rows (see
/// [`ChildKindTargets::constrain_final`]), and its LDE at 2^-10 has 2^22 rows: 50–60 s
/// and 13.3 GB peak to prove on two cores (benchmarks/README.md).
pub const WRAP_RATE_BITS: usize = 10;

/// The wrap circuit.
pub struct WrapCircuit {
    /// Circuit data.
    pub data: CircuitData<F, KeccakWrapConfig, EXT>,
    inner: ProofWithPublicInputsTarget<EXT>,
    verifier: VerifierCircuitTarget,
    kind: ChildKindTargets,
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
        let table = leaf_table(&leaf_hashes)?;
        let mut b = Builder::new(wrap_config(rate_bits));
        let inner = b.add_virtual_proof_with_pis(common);
        let verifier = b.add_virtual_verifier_data(common.config.fri_config.cap_height);
        b.verify_proof::<C>(&inner, &verifier, common);
        // A fold (its verifier data, and what it passed on, are the fold circuit's) or an
        // accepted leaf.
        let kind = ChildKindTargets::new(&mut b);
        kind.constrain_final(
            &mut b,
            &verifier,
            &inner.public_inputs,
            verifier_hash(fold_vd),
            &table,
        );
        // Public: the aggregate's inputs with four pairs packed ([`final_layout`]): the
        // batch range, the account counts, the chain id with the transfer count, and the
        // deposit counts. `low` below 2^32 and `high` below 2^31 keep low + high·2^32
        // below p and the packing injective.
        let pi = &inner.public_inputs;
        for element in final_layout() {
            let public = match element {
                FinalElement::Plain(i) => pi[i],
                FinalElement::Packed { low, high } => {
                    b.range_check(pi[low], 32);
                    b.range_check(pi[high], 31);
                    b.mul_const_add(F::from_canonical_u64(1 << 32), pi[high], pi[low])
                }
            };
            b.register_public_input(public);
        }
        let data = b.build::<KeccakWrapConfig>();
        Ok(Self {
            data,
            inner,
            verifier,
            kind,
        })
    }

    /// Wraps an aggregate (leaf or fold).
    pub fn prove(&self, aggregator: &Aggregator, a: &Aggregate) -> anyhow::Result<WrapProof> {
        let kind = match a.kind {
            AggregateKind::Fold => Child::Fold,
            AggregateKind::Leaf(shape) => {
                let (index, vd) = aggregator.leaf_index(shape)?;
                Child::Leaf(index, vd)
            }
        };
        self.prove_child(aggregator, &a.proof, kind)
    }

    /// Wraps a proof said to be of kind `kind`, verified against that kind's verifier data
    /// (tests: [`Child::FoldWith`] passes off a proof of another circuit as a fold).
    pub fn prove_child(
        &self,
        aggregator: &Aggregator,
        proof: &AggregateProof,
        kind: Child<'_>,
    ) -> anyhow::Result<WrapProof> {
        let mut pw = PartialWitness::new();
        pw.set_proof_with_pis_target(&self.inner, proof)?;
        self.kind.set(
            &mut pw,
            &self.verifier,
            kind,
            &aggregator.fold.data.verifier_only,
        )?;
        crate::common::prove_catching("wrapping", || {
            self.data.prove(pw).context("wrapping the aggregate")
        })
    }

    /// Verifies a final proof and returns what it proves.
    pub fn verify(&self, proof: &WrapProof) -> anyhow::Result<AggregatePublicInputs> {
        self.data
            .verify(proof.clone())
            .context("final proof does not verify")?;
        Ok(AggregatePublicInputs::from_final_elements(
            &proof.public_inputs,
        )?)
    }
}
