//! Running one aggregation step from its inputs: what every worker does, in the node or
//! in `quire prover`, whoever hands the step out.

use anyhow::anyhow;
use quire_prover::cache::CircuitCache;
use quire_prover::proof_file::BatchProofFile;
use serde::{Deserialize, Serialize};

use crate::aggregator::Aggregate;
use crate::circuits::AggregationCircuits;
use crate::files::{FinalProofFile, PartRecord, SignatureProofFile};
use crate::plan::Step;
use crate::public_inputs::AggregatePublicInputs;
use crate::wrap::WrapProof;

/// A step with everything needed to run it (what a remote worker is sent).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StepInputs {
    /// The step.
    pub step: Step,
    /// For a leaf: the batch's accepted proof.
    pub batch_proof: Option<BatchProofFile>,
    /// For a leaf: the batch's accepted signature proof.
    #[serde(default)]
    pub signatures: Option<SignatureProofFile>,
    /// For a fold: the left and right aggregates; for the wrap: the window's root.
    pub parts: Vec<PartRecord>,
}

/// What a step produced.
pub enum StepOutput {
    /// A leaf or fold aggregate.
    Part(Aggregate),
    /// The final proof.
    Final(WrapProof),
}

/// A step's output on the wire and in storage.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum StepResult {
    /// A leaf or fold aggregate.
    Part(PartRecord),
    /// The final proof.
    Final(FinalProofFile),
}

impl StepOutput {
    /// The wire form, recording `worker` as its maker.
    pub fn encode(&self, worker: &str) -> anyhow::Result<StepResult> {
        Ok(match self {
            StepOutput::Part(a) => StepResult::Part(PartRecord::new(a, worker)),
            StepOutput::Final(p) => StepResult::Final(FinalProofFile::new(
                p,
                &AggregatePublicInputs::from_final_elements(&p.public_inputs)?,
            )),
        })
    }
}

impl StepResult {
    /// Decodes the proof inside (without verifying it).
    pub fn decode(&self, circuits: &AggregationCircuits) -> anyhow::Result<StepOutput> {
        Ok(match self {
            StepResult::Part(record) => {
                StepOutput::Part(record.aggregate(&circuits.aggregator.common)?)
            }
            StepResult::Final(file) => StepOutput::Final(file.decode(&circuits.final_verifier())?),
        })
    }
}

/// Proves a step from its inputs.
pub fn prove_step(
    circuits: &AggregationCircuits,
    cache: &CircuitCache,
    inputs: &StepInputs,
) -> anyhow::Result<StepOutput> {
    let common = &circuits.aggregator.common;
    let part = |i: usize| -> anyhow::Result<Aggregate> {
        inputs
            .parts
            .get(i)
            .ok_or_else(|| anyhow!("the {} is missing an input", inputs.step))?
            .aggregate(common)
    };
    Ok(match inputs.step {
        Step::Leaf(_) => {
            let file = inputs
                .batch_proof
                .as_ref()
                .ok_or_else(|| anyhow!("a leaf needs its batch proof"))?;
            let verifier = cache.verifier(file.shape)?;
            let proof = file.decode(&verifier.data.common)?;
            let signatures = inputs
                .signatures
                .as_ref()
                .ok_or_else(|| anyhow!("a leaf needs its batch's signature proof"))?
                .decode(common)?;
            StepOutput::Part(
                circuits
                    .aggregator
                    .prove_leaf(file.shape, &proof, &signatures)?,
            )
        }
        Step::Fold { .. } => StepOutput::Part(circuits.aggregator.fold(&part(0)?, &part(1)?)?),
        Step::Wrap(_) => StepOutput::Final(circuits.wrap.prove(&circuits.aggregator, &part(0)?)?),
    })
}

/// Proves the signatures of a batch's transfers: the signature circuit of the smallest
/// capacity that holds them (tables, then circuit), restated in the aggregation shape.
pub fn prove_signatures(
    circuits: &AggregationCircuits,
    cache: &CircuitCache,
    batch: u64,
    statement: &quire_prover::signature::witness::SignatureStatement,
    worker: &str,
) -> anyhow::Result<SignatureProofFile> {
    let (n, ops) = (statement.transfers.len(), statement.bridge_ops());
    let capacity =
        quire_prover::signature::circuit::capacity_for(n, ops).ok_or_else(|| {
            anyhow!(
                "{n} transfers with {ops} deposits and withdrawals are more than the largest signature circuit holds"
            )
        })?;
    let circuit = cache.signature_circuit(capacity);
    let proof = circuit.prove(statement)?;
    let restated = circuits.aggregator.prove_signature_leaf(capacity, &proof)?;
    Ok(SignatureProofFile::new(batch, &restated, worker))
}
