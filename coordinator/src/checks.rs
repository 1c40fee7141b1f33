//! What a submitted output must satisfy before it is stored: it decodes, comes from the
//! right circuit, verifies, and its public inputs equal what the job's stored (already
//! verified) inputs say it must prove. Each check sorts its failures: the output's fault
//! is [`SubmitError::Refused`], the coordinator's own is [`SubmitError::Internal`].

use quire_aggregator::aggregator::{Aggregate, AggregateKind};
use quire_aggregator::circuits::AggregationCircuits;
use quire_aggregator::{AggregatePublicInputs, SignatureProofFile, Step, StepOutput};
use quire_primitives::chain::{ChainReadError, ChainReader};
use quire_primitives::field::digest_to_b256;
use quire_prover::cache::CircuitCache;
use quire_prover::proof_file::BatchProofFile;
use quire_prover::{shapes, BatchPublicInputs, BatchShape, ChainCheckError};

use crate::errors::SubmitError;
use crate::store::ProofStore;

fn refused(why: impl std::fmt::Display) -> SubmitError {
    SubmitError::Refused(format!("{why:#}"))
}

fn internal(why: impl std::fmt::Display) -> SubmitError {
    SubmitError::Internal(format!("{why:#}"))
}

/// Checks a batch proof handed in for batch `n`; returns what it proves.
pub fn batch_proof(
    cache: &CircuitCache,
    chain: &dyn ChainReader,
    n: u64,
    file: &BatchProofFile,
) -> Result<BatchPublicInputs, SubmitError> {
    if file.batch_number != n {
        return Err(refused(format_args!(
            "a proof labelled batch {} handed in for batch {n}",
            file.batch_number
        )));
    }
    if !shapes::is_standard(file.shape) {
        return Err(refused(format_args!(
            "not a standard circuit shape: {}",
            file.shape
        )));
    }
    let verifier = cache.verifier(file.shape).map_err(internal)?;
    let proof = file.decode(&verifier.data.common).map_err(refused)?;
    let pi = verifier.verify(&proof).map_err(refused)?;
    if pi.batch_number != n {
        return Err(refused(format_args!(
            "the proof is for batch {}, handed in for batch {n}",
            pi.batch_number
        )));
    }
    match quire_prover::check_against_chain(&pi, chain) {
        Ok(()) => Ok(pi),
        Err(
            e @ (ChainCheckError::Differs { .. }
            | ChainCheckError::Chain(ChainReadError::NoBatch(_) | ChainReadError::NotSealed(_))),
        ) => Err(refused(e)),
        Err(e) => Err(internal(e)),
    }
}

/// Checks a signature proof handed in for batch `n` of chain `chain_id`: it decodes,
/// verifies as a restated signature proof, and covers exactly the batch's transfers (its
/// stored transaction commitment and count) on this chain, and its bridge operations (the
/// stored bridge state before and after it).
pub fn signature_proof(
    circuits: &AggregationCircuits,
    chain: &dyn ChainReader,
    chain_id: u64,
    n: u64,
    file: &SignatureProofFile,
) -> Result<(), SubmitError> {
    if file.batch != n {
        return Err(refused(format_args!(
            "a signature proof labelled batch {} handed in for batch {n}",
            file.batch
        )));
    }
    if n == 0 {
        return Err(refused("batch 0 holds only genesis: nothing to prove"));
    }
    let proof = file.decode(&circuits.aggregator.common).map_err(refused)?;
    let pi = circuits
        .aggregator
        .verify_signatures(&proof)
        .map_err(refused)?;
    let header = match chain.batch_header(n).map_err(internal)? {
        Some(h) => h,
        None => return Err(refused(format_args!("batch {n} does not exist"))),
    };
    if pi.chain_id != chain_id {
        return Err(refused(format_args!(
            "the signature proof is for chain {}, not {chain_id}",
            pi.chain_id
        )));
    }
    if digest_to_b256(&pi.tx_commitment) != header.tx_commitment || pi.tx_count != header.tx_count {
        return Err(refused(format_args!(
            "the signature proof covers other transfers than batch {n}'s"
        )));
    }
    let before = match chain.batch_header(n - 1).map_err(internal)? {
        Some(h) => h,
        None => return Err(internal(format_args!("batch {} is missing", n - 1))),
    };
    let stored = |h: &quire_primitives::BatchHeader| {
        h.bridge_state()
            .map(|s| s.attested())
            .ok_or_else(|| internal(format_args!("batch {}'s bridge state is corrupt", h.number)))
    };
    if pi.bridge_before != stored(&before)? || pi.bridge_after != stored(&header)? {
        return Err(refused(format_args!(
            "the signature proof covers other deposits or withdrawals than batch {n}'s"
        )));
    }
    Ok(())
}

/// The stored aggregate of `lo..=hi`, decoded (already verified when it was accepted).
fn stored_part(
    store: &ProofStore,
    circuits: &AggregationCircuits,
    lo: u64,
    hi: u64,
) -> Result<Aggregate, SubmitError> {
    store
        .aggregate(lo, hi)?
        .ok_or_else(|| SubmitError::NotReady(format!("no aggregate of batches {lo}..={hi} yet")))?
        .aggregate(&circuits.aggregator.common)
        .map_err(internal)
}

/// Batch `n`'s accepted proof: the shape of the circuit that made it, and what a leaf of
/// it must attest (with the bridge state its accepted signature proof attests). One read
/// and decode serves both checks of a leaf.
fn accepted_batch(
    store: &ProofStore,
    cache: &CircuitCache,
    circuits: &AggregationCircuits,
    chain_id: u64,
    n: u64,
) -> Result<(BatchShape, AggregatePublicInputs), SubmitError> {
    let accepted = store
        .batch_proof(n)?
        .ok_or_else(|| SubmitError::NotReady(format!("batch {n} has no accepted proof")))?;
    let verifier = cache.verifier(accepted.file.shape).map_err(internal)?;
    let proof = accepted
        .file
        .decode(&verifier.data.common)
        .map_err(internal)?;
    let pi = BatchPublicInputs::from_elements(&proof.public_inputs).map_err(internal)?;
    let signatures = store
        .signature_proof(n)?
        .ok_or_else(|| SubmitError::NotReady(format!("batch {n} has no accepted signature proof")))?
        .decode(&circuits.aggregator.common)
        .map_err(internal)?
        .public_inputs()
        .map_err(internal)?;
    Ok((
        accepted.file.shape,
        AggregatePublicInputs::of_batch(
            &pi,
            chain_id,
            &signatures.bridge_before,
            &signatures.bridge_after,
        ),
    ))
}

/// What a fold's or the wrap's output must attest, from its stored children.
fn expected(
    store: &ProofStore,
    circuits: &AggregationCircuits,
    step: &Step,
) -> Result<AggregatePublicInputs, SubmitError> {
    let public = |a: Aggregate| a.public_inputs().map_err(internal);
    Ok(match *step {
        Step::Leaf(n) => {
            return Err(internal(format_args!(
                "batch {n}'s leaf is checked against its accepted batch proof"
            )))
        }
        Step::Fold { lo, mid, hi } => {
            let l = public(stored_part(store, circuits, lo, mid)?)?;
            let r = public(stored_part(store, circuits, mid + 1, hi)?)?;
            AggregatePublicInputs::fold(&l, &r)
        }
        Step::Wrap(w) => public(stored_part(store, circuits, w.start, w.end)?)?,
    })
}

/// Checks a step's output; returns what it proves.
pub fn step_output(
    store: &ProofStore,
    cache: &CircuitCache,
    circuits: &AggregationCircuits,
    chain_id: u64,
    step: &Step,
    output: &StepOutput,
) -> Result<AggregatePublicInputs, SubmitError> {
    // The output's kind and its proof first (a wrong or bad output is refused whatever is
    // stored, except that a leaf's kind needs the batch proof's shape), then what the
    // stored inputs say it must attest.
    let (proven, want) = match (step, output) {
        (Step::Leaf(n), StepOutput::Part(a)) => {
            let (shape, want) = accepted_batch(store, cache, circuits, chain_id, *n)?;
            if a.kind != AggregateKind::Leaf(shape) {
                return Err(refused(format_args!(
                    "a leaf of batch {n} must come from the leaf circuit for {shape}"
                )));
            }
            (circuits.aggregator.verify(a).map_err(refused)?, want)
        }
        (Step::Fold { .. }, StepOutput::Part(a)) => {
            if a.kind != AggregateKind::Fold {
                return Err(refused("a fold step must return a fold"));
            }
            let proven = circuits.aggregator.verify(a).map_err(refused)?;
            (proven, expected(store, circuits, step)?)
        }
        (Step::Wrap(_), StepOutput::Final(p)) => {
            let proven = circuits.final_verifier().verify(p).map_err(refused)?;
            (proven, expected(store, circuits, step)?)
        }
        _ => {
            return Err(refused(format_args!(
                "the output is not what the {step} makes"
            )))
        }
    };
    if proven != want {
        return Err(refused(format_args!(
            "the proof attests {proven:?}, the {step} must attest {want:?}"
        )));
    }
    Ok(proven)
}
