//! Shared fixtures: a small tree, transfers, and one small circuit per test binary.
#![allow(dead_code)]

use std::sync::OnceLock;

use alloy_primitives::Address;
use quire_primitives::{AccountLeaf, StateTree, Transfer};
use quire_prover::witness::{BatchWitness, WitnessBuilder};
use quire_prover::{BatchCircuit, BatchShape};

/// Tree height of the test circuit: room for 32 accounts.
pub const DEPTH: usize = 5;
/// Slots of the test circuit.
pub const SLOTS: usize = 6;
pub const BASE_FEE: u64 = 1_000;
pub const ETH: u128 = 1_000_000_000_000_000_000;

pub fn circuit() -> &'static BatchCircuit {
    static C: OnceLock<BatchCircuit> = OnceLock::new();
    C.get_or_init(|| {
        BatchCircuit::build(BatchShape {
            slots: SLOTS,
            depth: DEPTH,
        })
    })
}

pub fn addr(i: u8) -> Address {
    Address::repeat_byte(i)
}

/// Fee recipient of the fixtures (has an account in [`tree`]).
pub fn fee_recipient() -> Address {
    addr(0xfe)
}

/// Accounts 0x10, 0x20, 0x30 with 10 ETH each, and the fee recipient with 1 ETH.
pub fn tree() -> StateTree {
    tree_with(&[
        (addr(0x10), 10 * ETH),
        (addr(0x20), 10 * ETH),
        (addr(0x30), 10 * ETH),
        (fee_recipient(), ETH),
    ])
}

pub fn tree_with(accounts: &[(Address, u128)]) -> StateTree {
    let mut t = StateTree::new();
    for (a, balance) in accounts {
        let (i, _) = t.get_or_insert(*a).unwrap();
        t.set_account(i, 0, *balance).unwrap();
    }
    t.commit();
    t
}

pub fn leaves(t: &StateTree) -> Vec<AccountLeaf> {
    t.leaves().to_vec()
}

pub fn transfer(from: Address, to: Address, value: u128, nonce: u64) -> Transfer {
    Transfer {
        tx_type: 2,
        sender: from,
        to,
        value,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: 3 * BASE_FEE as u128,
        max_priority_fee_per_gas: 100,
    }
}

pub fn builder(t: &StateTree) -> WitnessBuilder {
    builder_for(t, fee_recipient())
}

pub fn builder_for(t: &StateTree, fee_recipient: Address) -> WitnessBuilder {
    WitnessBuilder::new(&leaves(t), DEPTH, 7, BASE_FEE, fee_recipient).unwrap()
}

pub fn honest(t: &StateTree, transfers: &[Transfer]) -> BatchWitness {
    let mut b = builder(t);
    for tr in transfers {
        b.push_transfer(tr).unwrap();
    }
    b.finish().unwrap()
}

/// True if the circuit refuses the witness: proving fails or the proof does not verify.
pub fn rejected(w: &BatchWitness) -> bool {
    match circuit().prove(w) {
        Err(_) => true,
        Ok(proof) => circuit().verify(&proof).is_err(),
    }
}
