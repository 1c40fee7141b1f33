//! Folding batch proofs: each batch bound to a signature proof of its transfers, then
//! consecutive, chaining batches aggregate into one proof whose public inputs cover the
//! range; anything else is refused.
//!
//! The signature proofs here come from a stand-in circuit that attests whatever public
//! inputs it is given, so these tests exercise the aggregation's own rules (binding,
//! folding, wrapping) with batches of unsigned transfers, in seconds. The real signature
//! circuit is proven in `prover/tests/proofs/signature_proof.rs`, and bound to real batches by
//! the node in `tests/tests/aggregation.rs`; production aggregators accept only it
//! (`AggregationCircuits::build_standard`).

use std::sync::OnceLock;

use alloy_primitives::{Address, U256};
use quire_aggregator::aggregator::AggregateKind;
use quire_aggregator::fold::Child;
use quire_aggregator::public_inputs::{batch_digest, range_digest};
use quire_aggregator::{Aggregate, Aggregator, SignatureAggregate};
use quire_primitives::{AttestedBridge, StateTree, Transfer};
use quire_prover::signature::circuit::verifier::SignatureVerifier;
use quire_prover::signature::circuit::SIGNATURE_INPUTS;
use quire_prover::signature::witness::bridge_elements;
use quire_prover::witness::WitnessBuilder;
use quire_prover::{BatchCircuit, BatchProof, BatchPublicInputs, BatchShape, BatchVerifier};
use quire_sequencer::execution::apply_transfer;

const DEPTH: usize = 5;
const BASE_FEE: u64 = 1_000;
const ETH: u128 = 1_000_000_000_000_000_000;
const CHAIN: u64 = 271_828;
const CAPACITY: usize = 16;

/// A circuit of the signature proof's shape (its public inputs) that attests any values.
struct StandIn {
    data: plonky2::plonk::circuit_data::CircuitData<quire_aggregator::F, quire_aggregator::C, 2>,
    inputs: Vec<plonky2::iop::target::Target>,
}

impl StandIn {
    fn build() -> Self {
        let mut b = quire_aggregator::Builder::new(
            plonky2::plonk::circuit_data::CircuitConfig::standard_recursion_config(),
        );
        let inputs = b
            .add_virtual_public_input_arr::<SIGNATURE_INPUTS>()
            .to_vec();
        Self {
            data: b.build(),
            inputs,
        }
    }

    fn verifier(&self) -> SignatureVerifier {
        SignatureVerifier {
            capacity: CAPACITY,
            data: self.data.verifier_data(),
        }
    }

    /// A "signature proof" of `commitment`, `count` transfers on `chain`, with the bridge
    /// going from `before` to `after`, restated.
    fn attest(
        &self,
        agg: &Aggregator,
        commitment: quire_primitives::Digest,
        count: u64,
        chain: u64,
        (before, after): (AttestedBridge, AttestedBridge),
    ) -> SignatureAggregate {
        use plonky2::field::types::Field;
        use plonky2::iop::witness::{PartialWitness, WitnessWrite};
        let mut values = commitment.elements.to_vec();
        values.push(quire_aggregator::F::from_canonical_u64(count));
        values.push(quire_aggregator::F::from_canonical_u64(chain));
        values.extend(bridge_elements(&before, &after));
        let mut pw = PartialWitness::new();
        for (t, v) in self.inputs.iter().zip(values) {
            pw.set_target(*t, v).unwrap();
        }
        let proof = self.data.prove(pw).unwrap();
        agg.prove_signature_leaf(CAPACITY, &proof).unwrap()
    }

    fn of(&self, agg: &Aggregator, pi: &BatchPublicInputs) -> SignatureAggregate {
        self.attest(agg, pi.tx_commitment, pi.tx_count, CHAIN, bridge_of(pi))
    }
}

/// The bridge state at the end of batch `n` of the fixture's chains: the deposit count and
/// chain the batch proof attests, queue and withdrawal hashes that stand for the batch.
fn bridge_at(n: u64, deposit_count: u64, chain: quire_primitives::Digest) -> AttestedBridge {
    AttestedBridge {
        deposit_count,
        deposit_chain: quire_primitives::DepositChain(chain),
        queue_hash: quire_primitives::QueueHash::repeat_byte(n as u8),
        withdrawal_hash: quire_primitives::WithdrawalHash::repeat_byte(0x80 + n as u8),
    }
}

/// The bridge states before and after batch `pi` that its signature proof attests.
fn bridge_of(pi: &BatchPublicInputs) -> (AttestedBridge, AttestedBridge) {
    (
        bridge_at(
            pi.batch_number - 1,
            pi.deposit_count_before,
            pi.deposit_chain_before,
        ),
        bridge_at(
            pi.batch_number,
            pi.deposit_count_after,
            pi.deposit_chain_after,
        ),
    )
}

struct Fixture {
    signatures: StandIn,
    batch: BatchCircuit,
    aggregator: Aggregator,
    /// Batches 1..=4 of one chain, then a batch 2 of another chain.
    proofs: Vec<(BatchProof, BatchPublicInputs)>,
    leaves: Vec<Aggregate>,
    /// The chain's state before batches 1..=4.
    before: Vec<StateTree>,
}

fn addr(i: u8) -> Address {
    Address::repeat_byte(i)
}

fn transfer(from: Address, to: Address, value: u128, nonce: u64) -> Transfer {
    Transfer {
        tx_type: 2,
        sender: from,
        to,
        value,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: 2 * BASE_FEE as u128,
        max_priority_fee_per_gas: 10,
    }
}

/// Proves batch `number` from `tree`, applying the transfers to `tree` as the sequencer does.
fn prove_batch(
    batch: &BatchCircuit,
    tree: &mut StateTree,
    number: u64,
    transfers: &[Transfer],
) -> (BatchProof, BatchPublicInputs) {
    let mut b = WitnessBuilder::new(tree.leaves(), DEPTH, number, BASE_FEE, addr(0xfe)).unwrap();
    for t in transfers {
        b.push_transfer(t).unwrap();
        let upfront = U256::from(t.gas_limit) * U256::from(t.max_fee_per_gas) + U256::from(t.value);
        apply_transfer(tree, t, upfront, addr(0xfe), BASE_FEE).unwrap();
    }
    tree.commit();
    let w = b.finish().unwrap();
    let proof = batch.prove(&w).unwrap();
    let pi = batch.verify(&proof).unwrap();
    assert_eq!(pi.new_root, tree.root());
    (proof, pi)
}

/// The transfers of batch `n` (1..=4) of the fixture's chain.
fn batch_transfers(n: u64) -> Vec<Transfer> {
    match n {
        1 => vec![transfer(addr(0x10), addr(0x20), ETH, 0)],
        2 => vec![transfer(addr(0x20), addr(0x30), ETH / 2, 0)],
        3 => vec![
            transfer(addr(0x10), addr(0x30), 7, 1),
            transfer(addr(0x30), addr(0x10), 1, 0),
        ],
        4 => vec![transfer(addr(0xfe), addr(0x20), 9, 0)],
        _ => unreachable!(),
    }
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let batch = BatchCircuit::build(BatchShape {
            slots: 4,
            depth: DEPTH,
        });
        let other = BatchCircuit::build(BatchShape {
            slots: 5,
            depth: DEPTH,
        });
        let signatures = StandIn::build();
        let aggregator = Aggregator::build(
            &[&BatchVerifier::of(&batch), &BatchVerifier::of(&other)],
            &[&signatures.verifier()],
        )
        .unwrap();
        let mut tree = StateTree::new();
        for (i, a) in [addr(0x10), addr(0x20), addr(0xfe)].iter().enumerate() {
            let (idx, _) = tree.get_or_insert(*a).unwrap();
            tree.set_account(idx, 0, (10 - i as u128) * ETH).unwrap();
        }
        tree.commit();
        let genesis = tree.clone();
        let mut before = Vec::new();
        let mut proofs = Vec::new();
        for (n, circuit) in [(1, &batch), (2, &other), (3, &batch), (4, &batch)] {
            before.push(tree.clone());
            proofs.push(prove_batch(circuit, &mut tree, n, &batch_transfers(n)));
        }
        // Batch "2" of a fork that skipped batch 1.
        let mut fork = genesis;
        proofs.push(prove_batch(
            &batch,
            &mut fork,
            2,
            &[transfer(addr(0x20), addr(0x10), 3, 0)],
        ));
        let leaves = proofs
            .iter()
            .enumerate()
            .map(|(i, (p, pi))| {
                let shape = if i == 1 { other.shape } else { batch.shape };
                aggregator
                    .prove_leaf(shape, p, &signatures.of(&aggregator, pi))
                    .unwrap()
            })
            .collect();
        Fixture {
            signatures,
            batch,
            aggregator,
            proofs,
            leaves,
            before,
        }
    })
}

#[test]
fn consecutive_batches_fold_into_one_proof_covering_the_range() {
    let f = fixture();
    let agg = &f.aggregator;
    for (leaf, (_, pi)) in f.leaves.iter().zip(&f.proofs) {
        let a = agg.verify(leaf).unwrap();
        assert_eq!(
            (a.first_batch, a.last_batch),
            (pi.batch_number, pi.batch_number)
        );
        assert_eq!(a.batches_digest, batch_digest(pi, CHAIN));
        assert_eq!(
            a.chain_id, CHAIN,
            "the chain the signatures cover, in the open"
        );
    }
    for n in [2, 3, 4] {
        let top = agg.aggregate(&f.leaves[..n]).unwrap();
        assert_eq!(top.kind, AggregateKind::Fold);
        let pi = agg.verify(&top).unwrap();
        let batches: Vec<_> = f.proofs[..n].iter().map(|(_, p)| *p).collect();
        assert_eq!(pi.first_batch, 1);
        assert_eq!(pi.last_batch, n as u64);
        assert_eq!(pi.prev_root, batches[0].prev_root);
        assert_eq!(pi.new_root, batches[n - 1].new_root);
        assert_eq!(pi.leaf_count_before, batches[0].leaf_count_before);
        assert_eq!(pi.leaf_count_after, batches[n - 1].leaf_count_after);
        assert_eq!(pi.tx_count, batches.iter().map(|b| b.tx_count).sum::<u64>());
        let digests: Vec<_> = batches.iter().map(|b| batch_digest(b, CHAIN)).collect();
        assert_eq!(pi.batches_digest, range_digest(&digests));
        assert_eq!(pi.chain_id, CHAIN);
        // The bridge state from before the first batch to after the last.
        let (before, _) = bridge_of(&batches[0]);
        let (_, after) = bridge_of(&batches[n - 1]);
        assert_eq!(
            (
                pi.deposit_count_before,
                pi.queue_hash_before,
                pi.withdrawal_hash_before
            ),
            (
                before.deposit_count,
                before.queue_hash,
                before.withdrawal_hash
            )
        );
        assert_eq!(
            (
                pi.deposit_count_after,
                pi.queue_hash_after,
                pi.withdrawal_hash_after
            ),
            (after.deposit_count, after.queue_hash, after.withdrawal_hash)
        );
    }
}

fn refused(r: anyhow::Result<quire_aggregator::AggregateProof>, f: &Fixture) -> bool {
    match r {
        Err(_) => true,
        Ok(p) => f.aggregator.fold.data.verify(p).is_err(),
    }
}

#[test]
fn batches_that_are_not_consecutive_or_do_not_chain_do_not_fold() {
    let f = fixture();
    let agg = &f.aggregator;
    let vd = leaf_vd(f);
    let leaf = |_: usize| Child::Leaf(0, &vd);
    // 1 then 3: the wrapper refuses, and so does the circuit.
    assert!(agg.fold(&f.leaves[0], &f.leaves[2]).is_err());
    assert!(refused(
        agg.fold
            .prove((&f.leaves[0].proof, leaf(0)), (&f.leaves[2].proof, leaf(2))),
        f
    ));
    // 2 then 1 (wrong order).
    assert!(refused(
        agg.fold
            .prove((&f.leaves[1].proof, leaf(1)), (&f.leaves[0].proof, leaf(0))),
        f
    ));
    // 1 then a batch 2 that does not start where batch 1 ends.
    assert!(agg.fold(&f.leaves[0], &f.leaves[4]).is_err());
    assert!(refused(
        agg.fold
            .prove((&f.leaves[0].proof, leaf(0)), (&f.leaves[4].proof, leaf(4))),
        f
    ));
    // Numbers and roots chain, the bridge state does not: batch 2 whose signature proof
    // starts from another queue hash, or another withdrawal hash, than batch 1 ends in.
    let (p2, pi2) = &f.proofs[1];
    let (before, after) = bridge_of(pi2);
    for unchained in [
        AttestedBridge {
            queue_hash: quire_primitives::QueueHash::repeat_byte(0x77),
            ..before
        },
        AttestedBridge {
            withdrawal_hash: quire_primitives::WithdrawalHash::repeat_byte(0x77),
            ..before
        },
    ] {
        let signatures = f.signatures.attest(
            agg,
            pi2.tx_commitment,
            pi2.tx_count,
            CHAIN,
            (unchained, after),
        );
        let leaf2 = agg
            .prove_leaf(
                quire_prover::BatchShape {
                    slots: 5,
                    depth: DEPTH,
                },
                p2,
                &signatures,
            )
            .unwrap();
        assert!(agg.fold(&f.leaves[0], &leaf2).is_err());
        assert!(
            refused(
                agg.fold
                    .prove((&f.leaves[0].proof, leaf(0)), (&leaf2.proof, leaf(1))),
                f
            ),
            "a bridge state that does not chain"
        );
    }
    // Roots and account counts chain, only the numbers do not: batch 2's transition
    // proven as batch 3 after batch 1 (a gap), and batch 3's proven as batch 1 after
    // batch 2 (the wrong order).
    for (left, transition, label) in [(0, 2, 3), (1, 3, 1)] {
        let mut tree = f.before[transition as usize - 1].clone();
        let (proof, pi) = prove_batch(&f.batch, &mut tree, label, &batch_transfers(transition));
        assert_eq!(pi.prev_root, f.proofs[left].1.new_root);
        let relabelled = agg
            .prove_leaf(f.batch.shape, &proof, &f.signatures.of(agg, &pi))
            .unwrap();
        assert!(agg.fold(&f.leaves[left], &relabelled).is_err());
        assert!(
            refused(
                agg.fold.prove(
                    (&f.leaves[left].proof, leaf(left)),
                    (&relabelled.proof, Child::Leaf(0, &vd))
                ),
                f
            ),
            "batch {} then batch {transition} labelled {label}",
            left + 1
        );
    }
}

/// The verifier data folds accept a leaf with: the bind circuit's.
fn leaf_vd(
    f: &Fixture,
) -> plonky2::plonk::circuit_data::VerifierOnlyCircuitData<quire_aggregator::C, 2> {
    f.aggregator.leaf_index(f.batch.shape).unwrap().1.clone()
}

/// A fold of leaves 1 and 2 proven against a leaf's verifier data instead of the fold
/// circuit's: it verifies as a proof of the fold circuit, but passes on the leaf's key.
fn fold_against_leaf_key(f: &Fixture) -> Aggregate {
    let agg = &f.aggregator;
    let vd = leaf_vd(f);
    let proof = agg
        .fold
        .prove_against(
            (&f.leaves[0].proof, Child::Leaf(0, &vd)),
            (&f.leaves[1].proof, Child::Leaf(0, &vd)),
            &vd,
        )
        .unwrap();
    agg.fold.data.verify(proof.clone()).unwrap();
    Aggregate {
        proof,
        kind: AggregateKind::Fold,
    }
}

#[test]
fn tampered_or_foreign_proofs_do_not_fold() {
    let f = fixture();
    let agg = &f.aggregator;
    let vd = leaf_vd(f);
    // A leaf whose public inputs were edited (another new root).
    let mut forged = f.leaves[1].proof.clone();
    forged.public_inputs[6] += plonky2::field::types::Field::ONE;
    assert!(refused(
        agg.fold.prove(
            (&f.leaves[0].proof, Child::Leaf(0, &vd)),
            (&forged, Child::Leaf(0, &vd))
        ),
        f
    ));
    // A fold passed off as a leaf: its verifier data is not an accepted leaf's.
    let f12 = agg.fold(&f.leaves[0], &f.leaves[1]).unwrap();
    let fold_vd = agg.fold.data.verifier_only.clone();
    assert!(refused(
        agg.fold.prove(
            (&f12.proof, Child::Leaf(0, &fold_vd)),
            (&f.leaves[2].proof, Child::Leaf(0, &vd))
        ),
        f
    ));
    // A leaf passed off as a fold: verified against the fold's verifier data, or (the
    // proof verifying) against its own leaf verifier data while claimed to be a fold.
    for kind in [Child::Fold, Child::FoldWith(&vd)] {
        assert!(
            refused(
                agg.fold.prove(
                    (&f.leaves[0].proof, kind),
                    (&f.leaves[1].proof, Child::Leaf(0, &vd))
                ),
                f
            ),
            "{kind:?}"
        );
    }
    // A fold proven against other verifier data than the fold circuit's (here the leaf's):
    // the proof verifies as a fold proof, but the verifier data it passes on is not the
    // fold's, which the top-level check refuses.
    assert!(agg.verify(&fold_against_leaf_key(f)).is_err());
    // A top proof whose verifier-data inputs were replaced fails verification.
    let mut top = agg.fold(&f12, &f.leaves[2]).unwrap();
    agg.verify(&top).unwrap();
    let last = top.proof.public_inputs.len() - 1;
    top.proof.public_inputs[last] += plonky2::field::types::Field::ONE;
    assert!(agg.verify(&top).is_err());
    // The leaf circuit refuses a batch proof that does not verify.
    let mut bad = f.proofs[0].0.clone();
    bad.public_inputs[4] += plonky2::field::types::Field::ONE;
    assert!(agg
        .prove_leaf(f.batch.shape, &bad, &f.signatures.of(agg, &f.proofs[0].1))
        .map(|a| agg.verify(&a))
        .map_or(true, |v| v.is_err()));
    // A batch leaf that was not bound to its signatures is not a leaf folds accept.
    let unbound = agg.prove_batch_leaf(f.batch.shape, &f.proofs[2].0).unwrap();
    let unbound_vd = agg.leaf_verifier_data(f.batch.shape).unwrap().clone();
    assert!(refused(
        agg.fold.prove(
            (&f12.proof, Child::Fold),
            (&unbound, Child::Leaf(0, &unbound_vd))
        ),
        f
    ));
}

#[test]
fn a_batch_binds_only_to_a_signature_proof_of_its_transfers() {
    let f = fixture();
    let agg = &f.aggregator;
    let (proof, pi) = &f.proofs[0];
    let (_, other) = &f.proofs[1];
    // The signature proof of another batch (another commitment), of another count, or
    // of other deposits than the batch credited (a deposit counted twice, or another
    // deposit chain: another recipient or amount).
    let (before, after) = bridge_of(pi);
    let twice = AttestedBridge {
        deposit_count: after.deposit_count + 1,
        ..after
    };
    let mut elsewhere = after;
    elsewhere.deposit_chain.0.elements[0] += plonky2::field::types::Field::ONE;
    let cases = [
        f.signatures.of(agg, other),
        f.signatures.attest(
            agg,
            pi.tx_commitment,
            pi.tx_count + 1,
            CHAIN,
            (before, after),
        ),
        f.signatures
            .attest(agg, pi.tx_commitment, pi.tx_count, CHAIN, (before, twice)),
        f.signatures.attest(
            agg,
            pi.tx_commitment,
            pi.tx_count,
            CHAIN,
            (before, elsewhere),
        ),
    ];
    for (i, signatures) in cases.iter().enumerate() {
        assert!(
            agg.prove_leaf(f.batch.shape, proof, signatures).is_err(),
            "case {i}: the wrapper refuses"
        );
        // The circuit too, with the wrapper's check bypassed.
        let batch_leaf = agg.prove_batch_leaf(f.batch.shape, proof).unwrap();
        let batch_vd = agg.leaf_verifier_data(f.batch.shape).unwrap();
        let bound = agg.bind.prove(
            (&batch_leaf, 0, batch_vd),
            (&signatures.proof, 0, &signature_leaf_vd(f)),
        );
        assert!(
            bound.map_or(true, |p| agg.bind.data.verify(p).is_err()),
            "case {i}: the bind circuit refuses"
        );
    }
    // A batch proof passed off as a signature proof (not an accepted signature leaf).
    let batch_leaf = agg.prove_batch_leaf(f.batch.shape, proof).unwrap();
    let batch_vd = agg.leaf_verifier_data(f.batch.shape).unwrap();
    assert!(agg
        .bind
        .prove((&batch_leaf, 0, batch_vd), (&batch_leaf, 0, batch_vd))
        .map_or(true, |p| agg.bind.data.verify(p).is_err()));
    // A circuit of the aggregation shape that claims the batch's commitment, count and
    // chain (not an accepted signature leaf): only the membership check refuses it.
    let (fake_data, fake_proof) = claim_signatures(agg, pi);
    assert!(agg
        .bind
        .prove(
            (&batch_leaf, 0, batch_vd),
            (&fake_proof, 0, &fake_data.verifier_only)
        )
        .map_or(true, |p| agg.bind.data.verify(p).is_err()));
    // The chain the signatures cover is in the batch's digest.
    let elsewhere =
        f.signatures
            .attest(agg, pi.tx_commitment, pi.tx_count, CHAIN + 1, bridge_of(pi));
    let leaf = agg.prove_leaf(f.batch.shape, proof, &elsewhere).unwrap();
    let digest = agg.verify(&leaf).unwrap().batches_digest;
    assert_eq!(digest, batch_digest(pi, CHAIN + 1));
    assert_ne!(digest, batch_digest(pi, CHAIN));
    // And in the open, as the aggregate's chain id, which L1 checks against its own.
    assert_eq!(agg.verify(&leaf).unwrap().chain_id, CHAIN + 1);

    // A batch signed for another chain does not fold with this chain's batches (a window
    // cannot mix in transfers replayed from elsewhere): the wrapper refuses, and so does
    // the circuit.
    let (p2, pi2) = &f.proofs[1];
    let foreign2 = agg
        .prove_leaf(
            quire_prover::BatchShape {
                slots: 5,
                depth: DEPTH,
            },
            p2,
            &f.signatures.attest(
                agg,
                pi2.tx_commitment,
                pi2.tx_count,
                CHAIN + 1,
                bridge_of(pi2),
            ),
        )
        .unwrap();
    assert!(agg.fold(&f.leaves[0], &foreign2).is_err());
    let vd = leaf_vd(f);
    assert!(
        refused(
            agg.fold.prove(
                (&f.leaves[0].proof, Child::Leaf(0, &vd)),
                (&foreign2.proof, Child::Leaf(0, &vd))
            ),
            f
        ),
        "the fold circuit refuses two chains"
    );
    // A window wholly signed for the other chain folds, and says which chain it is of:
    // the Rollup of this chain refuses its final proof (contracts/test/Rollup.t.sol).
    let top = agg.fold(&leaf, &foreign2).unwrap();
    assert_eq!(agg.verify(&top).unwrap().chain_id, CHAIN + 1);
}

/// A circuit padded to the aggregation shape whose public inputs claim signatures of
/// `pi`'s transfers on [`CHAIN`], and a proof of it.
fn claim_signatures(
    agg: &Aggregator,
    pi: &BatchPublicInputs,
) -> (
    plonky2::plonk::circuit_data::CircuitData<quire_aggregator::F, quire_aggregator::C, 2>,
    quire_aggregator::AggregateProof,
) {
    use plonky2::field::types::Field;
    use plonky2::iop::witness::{PartialWitness, WitnessWrite};
    let mut b = quire_aggregator::Builder::new(quire_aggregator::common::config());
    let claims = b.add_virtual_public_input_arr::<SIGNATURE_INPUTS>();
    let zero = b.zero();
    for _ in SIGNATURE_INPUTS..quire_aggregator::common::num_public_inputs() {
        b.register_public_input(zero);
    }
    quire_aggregator::common::pad_to_common(&mut b, &agg.common);
    let data = b.build::<quire_aggregator::C>();
    assert_eq!(data.common, agg.common);
    let mut values = pi.tx_commitment.elements.to_vec();
    values.push(quire_aggregator::F::from_canonical_u64(pi.tx_count));
    values.push(quire_aggregator::F::from_canonical_u64(CHAIN));
    let (before, after) = bridge_of(pi);
    values.extend(bridge_elements(&before, &after));
    let mut pw = PartialWitness::new();
    for (t, v) in claims.iter().zip(values) {
        pw.set_target(*t, v).unwrap();
    }
    let proof = data.prove(pw).unwrap();
    (data, proof)
}

fn signature_leaf_vd(
    f: &Fixture,
) -> plonky2::plonk::circuit_data::VerifierOnlyCircuitData<quire_aggregator::C, 2> {
    f.aggregator
        .signature_leaf_verifier_data(CAPACITY)
        .unwrap()
        .clone()
}

#[test]
fn the_final_wrap_keeps_the_public_inputs_and_refuses_forgeries() {
    use quire_aggregator::wrap::{WrapCircuit, WRAP_RATE_BITS};
    let f = fixture();
    let agg = &f.aggregator;
    let wrap = WrapCircuit::build(agg, WRAP_RATE_BITS).unwrap();
    // 2^12 rows: at rate 2^-10 its LDE has 2^22 rows, as much as a prover is given memory for.
    assert_eq!(wrap.data.common.degree_bits(), 12);
    let top = agg.aggregate(&f.leaves[..3]).unwrap();
    let expected = agg.verify(&top).unwrap();
    let proof = wrap.prove(agg, &top).unwrap();
    assert_eq!(wrap.verify(&proof).unwrap(), expected);
    assert_eq!(proof.public_inputs, expected.to_final_elements());
    // (A window of one batch, where the wrap takes a leaf, is wrapped and verified on L1 by
    // the settlement test, tests/tests/e2e/settlement.rs.)
    // A chain id of 2^32 or more (the signature circuit allows up to 2^63): packed with the
    // transfer count it would read as (chain id − 2^32, count + 1); the wrap's range check
    // refuses it.
    let (p1, pi1) = &f.proofs[0];
    let wide = f.signatures.attest(
        agg,
        pi1.tx_commitment,
        pi1.tx_count,
        CHAIN + (1 << 32),
        bridge_of(pi1),
    );
    let wide_leaf = agg.prove_leaf(f.batch.shape, p1, &wide).unwrap();
    assert_eq!(agg.verify(&wide_leaf).unwrap().chain_id, CHAIN + (1 << 32));
    assert!(
        wrap.prove(agg, &wide_leaf)
            .map(|p| wrap.verify(&p))
            .map_or(true, |v| v.is_err()),
        "a chain id of 2^32 or more does not wrap"
    );
    // Edited public inputs do not verify.
    for i in [0, 1, 5, 9, 11, 14, 15, 16, 23, 24, 31] {
        let mut forged = proof.clone();
        forged.public_inputs[i] += plonky2::field::types::Field::ONE;
        assert!(wrap.verify(&forged).is_err(), "public input {i}");
    }
    // A leaf passed off as a fold.
    let fake = Aggregate {
        proof: f.leaves[0].proof.clone(),
        kind: AggregateKind::Fold,
    };
    assert!(wrap
        .prove(agg, &fake)
        .map(|p| wrap.verify(&p))
        .map_or(true, |v| v.is_err()));
    // A fold made against other verifier data than the fold circuit's (here a leaf's): it
    // verifies against the fold's key, but the verifier data it passes on is not the key
    // it was verified against, which the wrap requires of a fold.
    let fake = fold_against_leaf_key(f);
    assert!(wrap
        .prove(agg, &fake)
        .map(|p| wrap.verify(&p))
        .map_or(true, |v| v.is_err()));
    // A proof of another circuit of the aggregation shape that claims any values and passes
    // on its own verifier data, as a fold does, passed off as a fold: only the check that a
    // fold's verifier data is the fold circuit's refuses it.
    let (impostor, proof) = impostor(agg, &expected);
    assert!(wrap
        .prove_child(agg, &proof, Child::FoldWith(&impostor.verifier_only))
        .map(|p| wrap.verify(&p))
        .map_or(true, |v| v.is_err()));
}

/// A circuit padded to the aggregation shape whose public inputs are the given aggregate
/// values with another new root, then its own verifier data (as a fold passes on), and a
/// proof of it.
fn impostor(
    agg: &Aggregator,
    honest: &quire_aggregator::AggregatePublicInputs,
) -> (
    plonky2::plonk::circuit_data::CircuitData<quire_aggregator::F, quire_aggregator::C, 2>,
    quire_aggregator::AggregateProof,
) {
    use plonky2::iop::witness::{PartialWitness, WitnessWrite};
    use quire_aggregator::public_inputs::AGGREGATE_INPUTS;
    let mut b = quire_aggregator::Builder::new(quire_aggregator::common::config());
    let claims = b.add_virtual_public_input_arr::<AGGREGATE_INPUTS>();
    let own = b.add_verifier_data_public_inputs();
    quire_aggregator::common::pad_to_common(&mut b, &agg.common);
    let data = b.build::<quire_aggregator::C>();
    assert_eq!(
        data.common, agg.common,
        "the impostor has the aggregation shape"
    );
    let mut forged = *honest;
    forged.new_root.elements[0] += plonky2::field::types::Field::ONE;
    let mut pw = PartialWitness::new();
    for (t, v) in claims.iter().zip(forged.to_elements()) {
        pw.set_target(*t, v).unwrap();
    }
    pw.set_verifier_data_target(&own, &data.verifier_only)
        .unwrap();
    let proof = data.prove(pw).unwrap();
    data.verify(proof.clone()).unwrap();
    (data, proof)
}

#[test]
fn the_fold_takes_up_to_sixteen_leaf_circuits_and_batch_numbers_stay_below_2_pow_32() {
    use plonky2::field::types::Sample;
    use quire_aggregator::fold::FoldCircuit;
    let f = fixture();
    let hashes: Vec<_> = (0..16)
        .map(|_| plonky2::hash::hash_types::HashOut::<quire_aggregator::F>::rand())
        .collect();
    FoldCircuit::build_for_hashes(&f.aggregator.common, &hashes)
        .expect("16 leaf circuits fit the shape");
    let mut more = hashes.clone();
    more.push(hashes[0]);
    assert!(FoldCircuit::build_for_hashes(&f.aggregator.common, &more).is_err());
    // A batch numbered 2^32 proves, but no leaf wraps it.
    let mut tree = StateTree::new();
    let (i, _) = tree.get_or_insert(addr(0x10)).unwrap();
    tree.set_account(i, 0, ETH).unwrap();
    tree.commit();
    let (proof, _) = prove_batch(
        &f.batch,
        &mut tree,
        1 << 32,
        &[transfer(addr(0x10), addr(0x11), 1, 0)],
    );
    assert!(f
        .aggregator
        .prove_batch_leaf(f.batch.shape, &proof)
        .is_err());
}
