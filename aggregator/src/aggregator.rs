//! Builds the leaf, signature leaf, bind and fold circuits for a set of batch shapes and
//! signature capacities, and wraps, binds, folds and verifies aggregation proofs.

use anyhow::{anyhow, bail, ensure, Context};
use plonky2::plonk::circuit_data::{CommonCircuitData, VerifierOnlyCircuitData};
use plonky2::recursion::cyclic_recursion::check_cyclic_proof_verifier_data;
use quire_prover::signature::circuit::verifier::SignatureVerifier;
use quire_prover::signature::circuit::{SignatureProof, SignaturePublicInputs};
use quire_prover::{BatchProof, BatchShape, BatchVerifier};

use crate::bind::BindCircuit;
use crate::fold::{verifier_hash, Child, FoldCircuit};
use crate::leaf::LeafCircuit;
use crate::public_inputs::{split_point, AggregatePublicInputs};
use crate::signature_leaf::SignatureLeafCircuit;
use crate::{common, AggregateProof, EXT, F};

/// Which circuit produced an aggregation proof.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AggregateKind {
    /// The bind circuit, over the batch leaf for this batch shape (one batch, with its
    /// signatures).
    Leaf(BatchShape),
    /// The fold circuit (two or more batches).
    Fold,
}

/// A proof covering a range of batches.
#[derive(Clone, Debug)]
pub struct Aggregate {
    /// The proof.
    pub proof: AggregateProof,
    /// Its circuit.
    pub kind: AggregateKind,
}

impl Aggregate {
    /// Its public inputs (not verified: see [`Aggregator::verify`]).
    pub fn public_inputs(&self) -> anyhow::Result<AggregatePublicInputs> {
        Ok(AggregatePublicInputs::from_elements(
            &self.proof.public_inputs,
        )?)
    }
}

/// What a batch leaf exposes for the bind circuit: its transaction commitment and count,
/// and its deposit counts and chains before and after.
#[derive(Debug, PartialEq, Eq)]
struct BatchPublicInputsView {
    tx_commitment: quire_primitives::Digest,
    tx_count: u64,
    deposits: [(u64, quire_primitives::Digest); 2],
}

impl BatchPublicInputsView {
    fn of(proof: &crate::AggregateProof) -> Self {
        use plonky2::field::types::PrimeField64;
        let pi = &proof.public_inputs;
        let at = crate::public_inputs::AGGREGATE_INPUTS;
        let digest = |i: usize| quire_primitives::Digest {
            elements: [pi[i], pi[i + 1], pi[i + 2], pi[i + 3]],
        };
        Self {
            tx_commitment: digest(at),
            tx_count: pi[16].to_canonical_u64(),
            deposits: [
                (pi[at + 4].to_canonical_u64(), digest(at + 6)),
                (pi[at + 5].to_canonical_u64(), digest(at + 10)),
            ],
        }
    }

    fn of_signatures(s: &SignaturePublicInputs) -> Self {
        Self {
            tx_commitment: s.tx_commitment,
            tx_count: s.tx_count,
            deposits: [
                (
                    s.bridge_before.deposit_count,
                    s.bridge_before.deposit_chain.0,
                ),
                (s.bridge_after.deposit_count, s.bridge_after.deposit_chain.0),
            ],
        }
    }
}

/// A signature proof restated in the aggregation shape, ready to be bound to its batch.
#[derive(Clone, Debug)]
pub struct SignatureAggregate {
    /// The signature leaf's proof.
    pub proof: crate::AggregateProof,
    /// Capacity of the signature circuit behind it.
    pub capacity: usize,
}

impl SignatureAggregate {
    /// What it attests (not verified: see [`Aggregator::verify_signatures`]).
    pub fn public_inputs(&self) -> anyhow::Result<SignaturePublicInputs> {
        SignaturePublicInputs::from_elements(
            &self.proof.public_inputs[..quire_prover::signature::circuit::SIGNATURE_INPUTS],
        )
    }
}

/// The aggregation circuits for a fixed list of batch shapes and signature capacities.
pub struct Aggregator {
    /// Common data of every leaf and fold proof.
    pub common: CommonCircuitData<F, EXT>,
    leaves: Vec<LeafCircuit>,
    signature_leaves: Vec<SignatureLeafCircuit>,
    /// The bind circuit: what folds and the wrap accept as a leaf.
    pub bind: BindCircuit,
    /// The fold circuit.
    pub fold: FoldCircuit,
}

impl Aggregator {
    /// Builds batch leaf circuits for `batch_circuits`, signature leaf circuits for
    /// `signature_circuits`, the bind circuit accepting both, and the fold circuit
    /// accepting bound leaves.
    pub fn build(
        batch_circuits: &[&BatchVerifier],
        signature_circuits: &[&SignatureVerifier],
    ) -> anyhow::Result<Self> {
        let common = common::common_data();
        let leaves = batch_circuits
            .iter()
            .map(|b| LeafCircuit::build(b, &common))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let signature_leaves = signature_circuits
            .iter()
            .map(|s| SignatureLeafCircuit::build(s, &common))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let hashes = |vds: Vec<&VerifierOnlyCircuitData<crate::C, EXT>>| {
            vds.into_iter().map(verifier_hash).collect::<Vec<_>>()
        };
        let bind = BindCircuit::build(
            &common,
            &hashes(leaves.iter().map(|l| &l.data.verifier_only).collect()),
            &hashes(
                signature_leaves
                    .iter()
                    .map(|l| &l.data.verifier_only)
                    .collect(),
            ),
        )?;
        let fold = FoldCircuit::build(&common, &[&bind.data.verifier_only])?;
        Ok(Self {
            common,
            leaves,
            signature_leaves,
            bind,
            fold,
        })
    }

    fn signature_leaf(&self, capacity: usize) -> anyhow::Result<(usize, &SignatureLeafCircuit)> {
        self.signature_leaves
            .iter()
            .enumerate()
            .find(|(_, l)| l.capacity == capacity)
            .ok_or_else(|| anyhow!("no signature leaf circuit for capacity {capacity}"))
    }

    /// Verifier data of the signature leaf circuit for `capacity`.
    pub fn signature_leaf_verifier_data(
        &self,
        capacity: usize,
    ) -> anyhow::Result<&VerifierOnlyCircuitData<crate::C, EXT>> {
        Ok(&self.signature_leaf(capacity)?.1.data.verifier_only)
    }

    /// Restates a signature proof of `capacity` in the aggregation shape.
    pub fn prove_signature_leaf(
        &self,
        capacity: usize,
        proof: &SignatureProof,
    ) -> anyhow::Result<SignatureAggregate> {
        Ok(SignatureAggregate {
            proof: self.signature_leaf(capacity)?.1.prove(proof)?,
            capacity,
        })
    }

    /// Verifies a restated signature proof and returns what it attests.
    pub fn verify_signatures(
        &self,
        s: &SignatureAggregate,
    ) -> anyhow::Result<SignaturePublicInputs> {
        self.signature_leaf(s.capacity)?
            .1
            .data
            .verify(s.proof.clone())
            .context("signature leaf proof does not verify")?;
        s.public_inputs()
    }

    fn leaf(&self, shape: BatchShape) -> anyhow::Result<(usize, &LeafCircuit)> {
        self.leaves
            .iter()
            .enumerate()
            .find(|(_, l)| l.shape == shape)
            .ok_or_else(|| anyhow!("no leaf circuit for batch shape {shape}"))
    }

    /// Verifier data of the batch leaf circuit for `shape` (the inner proof of a bound
    /// leaf).
    pub fn leaf_verifier_data(
        &self,
        shape: BatchShape,
    ) -> anyhow::Result<&VerifierOnlyCircuitData<crate::C, EXT>> {
        Ok(&self.leaf(shape)?.1.data.verifier_only)
    }

    /// Index and verifier data, among the leaves folds accept, of a bound leaf of batch
    /// shape `shape`: the bind circuit's, the only one.
    pub fn leaf_index(
        &self,
        shape: BatchShape,
    ) -> anyhow::Result<(usize, &VerifierOnlyCircuitData<crate::C, EXT>)> {
        self.leaf(shape)?;
        Ok((0, &self.bind.data.verifier_only))
    }

    /// Verifier data of every leaf circuit folds and the wrap accept, in index order: the
    /// bind circuit.
    pub fn leaf_verifier_data_all(&self) -> Vec<&VerifierOnlyCircuitData<crate::C, EXT>> {
        vec![&self.bind.data.verifier_only]
    }

    /// Proves a batch proof of `shape` again in the batch leaf circuit for that shape: the
    /// inner step of [`Self::prove_leaf`], which folds do not accept on its own.
    pub fn prove_batch_leaf(
        &self,
        shape: BatchShape,
        proof: &BatchProof,
    ) -> anyhow::Result<crate::AggregateProof> {
        self.leaf(shape)?.1.prove(proof)
    }

    /// Proves a batch proof of `shape` again in the batch leaf circuit for that shape, then
    /// binds it to `signatures` (a restated signature proof of the same transfers): an
    /// aggregate of one batch, in the common shape folds take.
    pub fn prove_leaf(
        &self,
        shape: BatchShape,
        proof: &BatchProof,
        signatures: &SignatureAggregate,
    ) -> anyhow::Result<Aggregate> {
        let (batch_index, leaf) = self.leaf(shape)?;
        let batch_leaf = leaf.prove(proof)?;
        let (b, sig) = (
            BatchPublicInputsView::of(&batch_leaf),
            BatchPublicInputsView::of_signatures(&signatures.public_inputs()?),
        );
        ensure!(
            (b.tx_commitment, b.tx_count) == (sig.tx_commitment, sig.tx_count),
            "the signature proof covers other transfers than the batch's"
        );
        ensure!(
            b.deposits == sig.deposits,
            "the signature proof covers other deposits than the batch's"
        );
        let (signature_index, signature_leaf) = self.signature_leaf(signatures.capacity)?;
        let bound = self.bind.prove(
            (&batch_leaf, batch_index, &leaf.data.verifier_only),
            (
                &signatures.proof,
                signature_index,
                &signature_leaf.data.verifier_only,
            ),
        )?;
        Ok(Aggregate {
            proof: bound,
            kind: AggregateKind::Leaf(shape),
        })
    }

    fn child<'a>(&'a self, a: &'a Aggregate) -> anyhow::Result<Child<'a>> {
        Ok(match a.kind {
            AggregateKind::Fold => Child::Fold,
            AggregateKind::Leaf(shape) => {
                let (i, vd) = self.leaf_index(shape)?;
                Child::Leaf(i, vd)
            }
        })
    }

    /// Folds two aggregates of adjacent, chaining ranges of one chain (checked first, for a clear error;
    /// the circuit enforces the same).
    pub fn fold(&self, left: &Aggregate, right: &Aggregate) -> anyhow::Result<Aggregate> {
        let (l, r) = (left.public_inputs()?, right.public_inputs()?);
        if l.last_batch + 1 != r.first_batch {
            bail!(
                "batches {}..={} and {}..={} are not consecutive",
                l.first_batch,
                l.last_batch,
                r.first_batch,
                r.last_batch
            );
        }
        if l.new_root != r.prev_root || l.leaf_count_after != r.leaf_count_before {
            bail!(
                "batch {} does not start from the state batch {} ends in",
                r.first_batch,
                l.last_batch
            );
        }
        if l.deposit_count_after != r.deposit_count_before
            || l.queue_hash_after != r.queue_hash_before
            || l.withdrawal_hash_after != r.withdrawal_hash_before
        {
            bail!(
                "batch {} does not start from the bridge state batch {} ends in",
                r.first_batch,
                l.last_batch
            );
        }
        if l.chain_id != r.chain_id {
            bail!(
                "batches {}..={} were signed for chain {} and batches {}..={} for chain {}",
                l.first_batch,
                l.last_batch,
                l.chain_id,
                r.first_batch,
                r.last_batch,
                r.chain_id
            );
        }
        let proof = self.fold.prove(
            (&left.proof, self.child(left)?),
            (&right.proof, self.child(right)?),
        )?;
        Ok(Aggregate {
            proof,
            kind: AggregateKind::Fold,
        })
    }

    /// Folds consecutive aggregates of one batch each into one, along the canonical tree
    /// ([`crate::public_inputs::range_digest`]).
    pub fn aggregate(&self, parts: &[Aggregate]) -> anyhow::Result<Aggregate> {
        for p in parts {
            let pi = p.public_inputs()?;
            ensure!(
                pi.first_batch == pi.last_batch,
                "aggregate takes single batches (got {}..={})",
                pi.first_batch,
                pi.last_batch
            );
        }
        self.aggregate_tree(parts)
    }

    fn aggregate_tree(&self, parts: &[Aggregate]) -> anyhow::Result<Aggregate> {
        match parts.len() {
            0 => bail!("nothing to aggregate"),
            1 => Ok(parts[0].clone()),
            n => {
                let m = split_point(n);
                let left = self.aggregate_tree(&parts[..m])?;
                let right = self.aggregate_tree(&parts[m..])?;
                self.fold(&left, &right)
            }
        }
    }

    /// Verifies an aggregate and returns what it proves. A fold must carry the fold
    /// circuit's own verifier data in its public inputs (the check the circuit leaves to
    /// its verifier).
    ///
    /// The caller must still compare `batches_digest` with
    /// [`crate::public_inputs::range_digest`] of the batches it expects (their numbers,
    /// transaction commitments, base fees, fee recipients and the chain id): that digest,
    /// with the roots, is what ties the proof to a chain's batches.
    pub fn verify(&self, a: &Aggregate) -> anyhow::Result<AggregatePublicInputs> {
        match a.kind {
            AggregateKind::Leaf(shape) => {
                self.leaf(shape)?;
                self.bind
                    .data
                    .verify(a.proof.clone())
                    .context("leaf proof does not verify")?;
            }
            AggregateKind::Fold => {
                self.fold
                    .data
                    .verify(a.proof.clone())
                    .context("fold proof does not verify")?;
                check_cyclic_proof_verifier_data(
                    &a.proof,
                    &self.fold.data.verifier_only,
                    &self.fold.data.common,
                )
                .context("fold proof was made against other verifier data")?;
            }
        }
        let pi = a.public_inputs()?;
        ensure!(pi.first_batch <= pi.last_batch, "empty range");
        Ok(pi)
    }
}
