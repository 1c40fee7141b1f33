//! Builds the leaf and fold circuits for a set of batch shapes, and wraps, folds and
//! verifies aggregation proofs.

use anyhow::{anyhow, bail, ensure, Context};
use plonky2::plonk::circuit_data::CommonCircuitData;
use plonky2::recursion::cyclic_recursion::check_cyclic_proof_verifier_data;
use quire_prover::{BatchProof, BatchShape, BatchVerifier};

use crate::fold::{Child, FoldCircuit};
use crate::leaf::LeafCircuit;
use crate::public_inputs::{split_point, AggregatePublicInputs};
use crate::{common, AggregateProof, EXT, F};

/// Which circuit produced an aggregation proof.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AggregateKind {
    /// The leaf circuit for this batch shape (one batch).
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

/// The aggregation circuits for a fixed list of batch shapes.
pub struct Aggregator {
    /// Common data of every leaf and fold proof.
    pub common: CommonCircuitData<F, EXT>,
    leaves: Vec<LeafCircuit>,
    /// The fold circuit.
    pub fold: FoldCircuit,
}

impl Aggregator {
    /// Builds leaf circuits for `batch_circuits` and the fold circuit accepting them.
    pub fn build(batch_circuits: &[&BatchVerifier]) -> anyhow::Result<Self> {
        let common = common::common_data();
        let leaves = batch_circuits
            .iter()
            .map(|b| LeafCircuit::build(b, &common))
            .collect::<anyhow::Result<Vec<_>>>()?;
        let vds: Vec<_> = leaves.iter().map(|l| &l.data.verifier_only).collect();
        let fold = FoldCircuit::build(&common, &vds)?;
        Ok(Self {
            common,
            leaves,
            fold,
        })
    }

    fn leaf(&self, shape: BatchShape) -> anyhow::Result<(usize, &LeafCircuit)> {
        self.leaves
            .iter()
            .enumerate()
            .find(|(_, l)| l.shape == shape)
            .ok_or_else(|| anyhow!("no leaf circuit for batch shape {shape}"))
    }

    /// Verifier data of the leaf circuit for `shape`.
    pub fn leaf_verifier_data(
        &self,
        shape: BatchShape,
    ) -> anyhow::Result<&plonky2::plonk::circuit_data::VerifierOnlyCircuitData<crate::C, EXT>> {
        Ok(&self.leaf(shape)?.1.data.verifier_only)
    }

    /// Index and verifier data of the leaf circuit for `shape`.
    pub fn leaf_index(
        &self,
        shape: BatchShape,
    ) -> anyhow::Result<(
        usize,
        &plonky2::plonk::circuit_data::VerifierOnlyCircuitData<crate::C, EXT>,
    )> {
        let (i, leaf) = self.leaf(shape)?;
        Ok((i, &leaf.data.verifier_only))
    }

    /// Verifier data of every leaf circuit, in index order.
    pub fn leaf_verifier_data_all(
        &self,
    ) -> Vec<&plonky2::plonk::circuit_data::VerifierOnlyCircuitData<crate::C, EXT>> {
        self.leaves.iter().map(|l| &l.data.verifier_only).collect()
    }

    /// Proves a batch proof of `shape` again in the leaf circuit for that shape: an
    /// aggregate of one batch, in the common shape folds take.
    pub fn prove_leaf(&self, shape: BatchShape, proof: &BatchProof) -> anyhow::Result<Aggregate> {
        let (_, leaf) = self.leaf(shape)?;
        Ok(Aggregate {
            proof: leaf.prove(proof)?,
            kind: AggregateKind::Leaf(shape),
        })
    }

    fn child<'a>(&'a self, a: &'a Aggregate) -> anyhow::Result<Child<'a>> {
        Ok(match a.kind {
            AggregateKind::Fold => Child::Fold,
            AggregateKind::Leaf(shape) => {
                let (i, leaf) = self.leaf(shape)?;
                Child::Leaf(i, &leaf.data.verifier_only)
            }
        })
    }

    /// Folds two aggregates of adjacent, chaining ranges (checked first, for a clear error;
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
    /// transaction commitments, base fees and fee recipients): that digest, with the
    /// roots, is what ties the proof to a chain's batches.
    pub fn verify(&self, a: &Aggregate) -> anyhow::Result<AggregatePublicInputs> {
        match a.kind {
            AggregateKind::Leaf(shape) => {
                let (_, leaf) = self.leaf(shape)?;
                leaf.data
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
