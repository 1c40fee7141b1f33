//! The largest standard circuit proves a full batch. Slow (a 2^15-row circuit: ~5 s to
//! build, ~6 s to prove, ~1 GiB): run with
//! `cargo test --release -p quire-prover --test proofs -- largest_circuit:: --ignored`.

use crate::common::{transfer, tree_with, BASE_FEE, ETH};
use alloy_primitives::Address;
use quire_prover::shapes::{self, MAX_SLOTS};
use quire_prover::witness::WitnessBuilder;
use quire_prover::BatchCircuit;

#[test]
#[ignore = "2^15-row proof; see the module docs for the command"]
fn a_full_batch_proves_in_the_largest_circuit_at_height_24() {
    let accounts: Vec<(Address, u128)> = (1..=40u8)
        .map(|i| (Address::repeat_byte(i), 100 * ETH))
        .collect();
    let t = tree_with(&accounts);
    let fr = Address::repeat_byte(1);
    let mut b = WitnessBuilder::new(t.leaves(), 24, 1, BASE_FEE, fr).unwrap();
    let mut nonces = [0u64; 41];
    let mut i = 0u64;
    while b.slots().len() + 2 <= MAX_SLOTS {
        let from = 2 + (i % 39) as u8;
        // Every fourth transfer creates an account.
        let to = if i.is_multiple_of(4) {
            let mut a = [0xaa; 20];
            a[12..].copy_from_slice(&i.to_be_bytes());
            Address::from(a)
        } else {
            Address::repeat_byte(2 + ((i * 7 + 3) % 39) as u8)
        };
        b.push_transfer(&transfer(
            Address::repeat_byte(from),
            to,
            1_000 + u128::from(i),
            nonces[from as usize],
        ))
        .unwrap();
        nonces[from as usize] += 1;
        i += 1;
    }
    let w = b.finish().unwrap();
    let shape = shapes::shape_for(w.slots.len(), 24).unwrap();
    assert_eq!(shape.slots, MAX_SLOTS);
    let circuit = BatchCircuit::build(shape);
    assert_eq!(circuit.rows(), 1 << 15);
    let proof = circuit.prove(&w).unwrap();
    assert_eq!(circuit.verify(&proof).unwrap(), w.expected);
}
