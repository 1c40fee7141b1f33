//! Honest batches prove, verify, and match the native state tree.

use crate::common::*;
use quire_primitives::StateTree;

#[test]
fn transfers_to_existing_and_new_accounts_prove_and_match_native_roots() {
    let t = tree();
    let transfers = [
        transfer(addr(0x10), addr(0x20), ETH, 0),
        transfer(addr(0x10), addr(0x05), 2 * ETH, 1),
        transfer(addr(0x20), addr(0x40), 3, 0),
        transfer(fee_recipient(), addr(0x10), 1000, 0),
    ];
    let w = honest(&t, &transfers);
    assert_eq!(w.slots.len(), 6, "four transfers and two inserts");
    let proof = circuit().prove(&w).expect("proves");
    let public = circuit().verify(&proof).expect("verifies");
    assert_eq!(public, w.expected);

    // The sequencer's rules, applied to the native tree, reach the same root.
    let mut native: StateTree = t.clone();
    let mut fees = 0u128;
    for tr in &transfers {
        let fee = tr.fee(BASE_FEE);
        let s = native.index_of(&tr.sender).unwrap();
        let leaf = *native.leaf(s).unwrap();
        native
            .set_account(s, leaf.nonce + 1, leaf.balance - tr.value - fee)
            .unwrap();
        let (r, _) = native.get_or_insert(tr.to).unwrap();
        let leaf = *native.leaf(r).unwrap();
        native
            .set_account(r, leaf.nonce, leaf.balance + tr.value)
            .unwrap();
        let f = native.index_of(&fee_recipient()).unwrap();
        let leaf = *native.leaf(f).unwrap();
        native
            .set_account(f, leaf.nonce, leaf.balance + fee)
            .unwrap();
        fees += fee;
    }
    native.commit();
    assert_eq!(public.new_root, native.root());
    assert_eq!(public.prev_root, t.root());
    assert_eq!(public.tx_count, 4);
    assert_eq!(public.leaf_count_after, public.leaf_count_before + 2);
    assert!(fees > 0);
}
