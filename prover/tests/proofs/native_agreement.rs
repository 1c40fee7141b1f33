//! The circuit, the witness replay and the sequencer's own execution agree on random
//! batches of transfers and L1 deposits: same new root, commitment, transfer count,
//! account count and deposit chain.

use std::sync::OnceLock;

use crate::common::*;
use alloy_primitives::{Address, U256};
use proptest::prelude::*;
use quire_primitives::{Deposit, DepositChain, Operation, StateTree, Transfer, TxCommitment};
use quire_prover::witness::{BatchWitness, WitnessBuilder};
use quire_prover::{BatchCircuit, BatchShape};
use quire_sequencer::execution::{apply_transfer, credit_deposit};

fn big_circuit() -> &'static BatchCircuit {
    static C: OnceLock<BatchCircuit> = OnceLock::new();
    C.get_or_init(|| {
        BatchCircuit::build(BatchShape {
            slots: 12,
            depth: DEPTH,
        })
    })
}

/// Addresses the random batches draw from: 0..4 have accounts, 4..7 do not.
fn pool(i: usize) -> Address {
    addr([0x10, 0x20, 0x30, 0x40, 0x05, 0x50, 0xe0][i])
}

#[derive(Debug, Clone)]
struct Candidate {
    from: usize,
    to: usize,
    value: u128,
    nonce_skew: i8,
    tip: u128,
    max_fee_extra: u128,
    /// An L1 deposit of `value` to `to` instead of a transfer.
    deposit: bool,
}

fn candidate() -> impl Strategy<Value = Candidate> {
    (
        0..4usize,
        0..7usize,
        0u128..6 * ETH,
        prop_oneof![8 => Just(0i8), 1 => Just(1), 1 => Just(-1)],
        0u128..3_000,
        0u128..5_000,
        prop_oneof![4 => Just(false), 1 => Just(true)],
    )
        .prop_map(
            |(from, to, value, nonce_skew, tip, max_fee_extra, deposit)| Candidate {
                from,
                to,
                value,
                nonce_skew,
                tip,
                max_fee_extra,
                deposit,
            },
        )
}

struct Outcome {
    tree: StateTree,
    included: Vec<Operation>,
    created: usize,
}

/// The sequencer's execution over the candidates; fee recipient `fr`.
fn native(start: &StateTree, cands: &[Candidate], fr: Address, max_slots: usize) -> Outcome {
    let mut tree = start.clone();
    let mut included = Vec::new();
    let mut created = 0;
    let mut slots = 0;
    let mut deposits = 0;
    for c in cands {
        if c.deposit {
            let d = Deposit {
                index: deposits,
                recipient: pool(c.to),
                amount: c.value,
                l1_block: 0,
            };
            let needs = if tree.get(&d.recipient).is_none() {
                2
            } else {
                1
            };
            if slots + needs > max_slots {
                break;
            }
            created += usize::from(credit_deposit(&mut tree, &d, fr).expect("in range"));
            slots += needs;
            deposits += 1;
            included.push(Operation::Deposit(d));
            continue;
        }
        let sender = pool(c.from);
        let nonce = tree.get(&sender).map_or(0, |l| l.nonce);
        let t = Transfer {
            tx_type: 2,
            sender,
            to: pool(c.to),
            value: c.value,
            nonce: nonce.saturating_add_signed(c.nonce_skew.into()),
            gas_limit: 21_000,
            max_fee_per_gas: BASE_FEE as u128 + c.max_fee_extra,
            max_priority_fee_per_gas: c.tip.min(BASE_FEE as u128 + c.max_fee_extra),
        };
        let needs = if tree.get(&t.to).is_none() { 2 } else { 1 };
        if slots + needs > max_slots {
            break;
        }
        let upfront = U256::from(t.gas_limit) * U256::from(t.max_fee_per_gas) + U256::from(t.value);
        if let Ok(new) = apply_transfer(&mut tree, &t, upfront, fr, BASE_FEE) {
            created += usize::from(new);
            slots += needs;
            included.push(Operation::Transfer(t));
        }
    }
    tree.commit();
    Outcome {
        tree,
        included,
        created,
    }
}

fn start_tree(fr_exists: bool) -> (StateTree, Address) {
    let fr = addr(0xfe);
    let mut accounts = vec![
        (pool(0), 10 * ETH),
        (pool(1), 10 * ETH),
        (pool(2), 3 * ETH),
        (pool(3), ETH / 2),
    ];
    if fr_exists {
        accounts.push((fr, ETH));
    }
    (tree_with(&accounts), fr)
}

/// `None` for an empty batch, which the sequencer never seals (blocks hold transfers or
/// deposits).
fn replay(start: &StateTree, fr: Address, included: &[Operation]) -> Option<BatchWitness> {
    let mut b = WitnessBuilder::new(&leaves(start), DEPTH, 3, BASE_FEE, fr).unwrap();
    for op in included {
        match op {
            Operation::Transfer(t) => b.push_transfer(t),
            Operation::Deposit(d) => b.push_deposit(d),
        }
        .expect("the sequencer included it, so the circuit's rules hold");
    }
    match b.finish() {
        Ok(w) => Some(w),
        Err(e) => {
            assert!(included.is_empty(), "{e}");
            None
        }
    }
}

fn check(start: &StateTree, out: &Outcome, w: &BatchWitness) {
    let mut commitment = TxCommitment::empty();
    let mut chain = DepositChain::empty();
    let (mut transfers, mut deposits) = (0, 0);
    for op in &out.included {
        match op {
            Operation::Transfer(t) => {
                commitment.absorb(t);
                transfers += 1;
            }
            Operation::Deposit(d) => {
                chain.absorb(d);
                deposits += 1;
            }
        }
    }
    assert_eq!(w.expected.prev_root, start.root());
    assert_eq!(w.expected.new_root, out.tree.root());
    assert_eq!(w.expected.tx_commitment, commitment.0);
    assert_eq!(w.expected.tx_count, transfers);
    assert_eq!(w.expected.deposit_count_after, deposits);
    assert_eq!(w.expected.deposit_chain_after, chain.0);
    assert_eq!(w.expected.leaf_count_after, out.tree.len());
    assert_eq!(w.slots.len(), out.included.len() + out.created);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// The witness replay (the circuit's arithmetic, natively) matches the sequencer.
    #[test]
    fn replay_matches_sequencer(cands in prop::collection::vec(candidate(), 0..24), fr_exists: bool) {
        let (start, fr) = start_tree(fr_exists);
        let out = native(&start, &cands, fr, usize::MAX);
        if let Some(w) = replay(&start, fr, &out.included) {
            check(&start, &out, &w);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(12))]

    /// The circuit proves every batch the sequencer builds, with the sequencer's roots.
    #[test]
    fn circuit_matches_sequencer(cands in prop::collection::vec(candidate(), 1..12), fr_exists: bool) {
        let (start, fr) = start_tree(fr_exists);
        let out = native(&start, &cands, fr, 12);
        let Some(w) = replay(&start, fr, &out.included) else { return Ok(()) };
        check(&start, &out, &w);
        let proof = big_circuit().prove(&w).expect("proves");
        let public = big_circuit().verify(&proof).expect("verifies");
        prop_assert_eq!(public, w.expected);
    }
}
