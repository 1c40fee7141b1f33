//! One test per rule of the batch circuit: a witness that breaks exactly that rule (and is
//! otherwise self-consistent, built by the same native replay) must fail to prove or fail
//! to verify. Each starts from an honest batch that proves, so a failure is the rule's.

use crate::common::*;
use alloy_primitives::Address;
use plonky2::field::types::Field;
use quire_primitives::field::amount_limbs;
use quire_primitives::{Deposit, DepositChain};
use quire_prover::witness::{BatchWitness, SlotKind, SlotWitness, WitnessBuilder};
use quire_prover::F;

fn idx(b: &WitnessBuilder, a: Address) -> u64 {
    b.index_of(&a).expect("account exists")
}

fn fields_with(t: quire_primitives::Transfer, edit: impl FnOnce(&mut [F; 15])) -> [F; 15] {
    let mut f = t.to_fields();
    edit(&mut f);
    f
}

/// The honest version of a scenario proves: the cheats below differ from it in one rule.
fn proves(w: &BatchWitness) {
    let proof = circuit().prove(w).expect("honest witness proves");
    assert_eq!(circuit().verify(&proof).expect("verifies"), w.expected);
}

#[test]
fn honest_baseline_proves() {
    let t = tree();
    proves(&honest(&t, &[transfer(addr(0x10), addr(0x20), ETH, 0)]));
}

#[test]
fn a_zero_base_fee_is_rejected() {
    // With a zero base fee and no tip a transfer costs nothing, so a new account can
    // "send" 0 to itself: an insert of X followed by X → X is self-consistent although X
    // had no account (the sequencer refuses it). The circuit requires a positive base fee.
    let t = tree();
    let mut b = WitnessBuilder::new(&leaves(&t), DEPTH, 7, 0, fee_recipient()).unwrap();
    let x = addr(0x45);
    let tr = quire_primitives::Transfer {
        max_priority_fee_per_gas: 0,
        ..transfer(x, x, 0, 0)
    };
    assert!(
        b.clone().push_transfer(&tr).is_err(),
        "the honest builder refuses it"
    );
    let (low, at) = (b.low_leaf(&x), b.leaf_count());
    b.push_insert(x, low, at).unwrap();
    let i = idx(&b, x);
    b.push_tx(tr.to_fields(), i, i).unwrap();
    let w = b.finish().unwrap();
    assert_eq!(w.base_fee, 0);
    assert!(rejected(&w));
}

#[test]
fn overdraw_is_rejected() {
    let t = tree();
    let mut b = builder(&t);
    // 10 ETH balance; 10 ETH value plus the fee is one fee too much.
    let tr = transfer(addr(0x10), addr(0x20), 10 * ETH, 0);
    assert!(
        b.clone().push_transfer(&tr).is_err(),
        "the honest builder refuses it"
    );
    let (s, r) = (idx(&b, addr(0x10)), idx(&b, addr(0x20)));
    b.push_tx(tr.to_fields(), s, r).unwrap();
    assert!(rejected(&b.finish().unwrap()));
    // Exactly the balance covers value + fee: accepted.
    let fee = tr.fee(BASE_FEE);
    proves(&honest(
        &t,
        &[transfer(addr(0x10), addr(0x20), 10 * ETH - fee, 0)],
    ));
}

#[test]
fn skipped_nonce_is_rejected() {
    let t = tree();
    let mut b = builder(&t);
    let tr = transfer(addr(0x10), addr(0x20), ETH, 1);
    let (s, r) = (idx(&b, addr(0x10)), idx(&b, addr(0x20)));
    b.push_tx(tr.to_fields(), s, r).unwrap();
    assert!(rejected(&b.finish().unwrap()));
}

#[test]
fn repeated_nonce_is_rejected() {
    let t = tree();
    let tr = transfer(addr(0x10), addr(0x20), ETH, 0);
    // Replayed after an honest execution: the sender's nonce is 1 by then.
    let mut b = builder(&t);
    b.push_transfer(&tr).unwrap();
    let (s, r) = (idx(&b, addr(0x10)), idx(&b, addr(0x20)));
    b.push_tx(tr.to_fields(), s, r).unwrap();
    assert!(rejected(&b.finish().unwrap()));
    // Replayed by a prover whose state never increments the sender's nonce: the nonces
    // match every time, only the increment stops it.
    let mut b = builder(&t);
    for _ in 0..2 {
        b.push_tx_with_nonce_step(tr.to_fields(), s, r, F::ZERO)
            .unwrap();
    }
    assert!(rejected(&b.finish().unwrap()));
}

#[test]
fn debiting_another_account_than_the_sender_is_rejected() {
    let t = tree();
    let mut b = builder(&t);
    let tr = transfer(addr(0x10), addr(0x20), ETH, 0);
    let (other, r) = (idx(&b, addr(0x30)), idx(&b, addr(0x20)));
    b.push_tx(tr.to_fields(), other, r).unwrap();
    assert!(rejected(&b.finish().unwrap()));
}

#[test]
fn crediting_another_account_than_the_receiver_is_rejected() {
    let t = tree();
    let mut b = builder(&t);
    let tr = transfer(addr(0x10), addr(0x20), ETH, 0);
    let (s, other) = (idx(&b, addr(0x10)), idx(&b, addr(0x30)));
    b.push_tx(tr.to_fields(), s, other).unwrap();
    assert!(rejected(&b.finish().unwrap()));
}

#[test]
fn a_leaf_that_is_not_in_the_tree_is_rejected() {
    // The prover claims the sender holds 1,000 ETH: the path no longer leads to the root.
    let t = tree();
    let mut b = builder(&t);
    let s = idx(&b, addr(0x10));
    let real = *b.tree().leaf(s).unwrap();
    let mut fake = real;
    fake[7..9].copy_from_slice(&amount_limbs(1_000 * ETH));
    b.raw_update(s, real, fake);
    b.push_transfer(&transfer(addr(0x10), addr(0x20), 500 * ETH, 0))
        .unwrap();
    assert!(rejected(&b.finish().unwrap()));
}

#[test]
fn a_receiver_leaf_that_is_not_in_the_tree_is_rejected() {
    // The prover claims the receiver holds 1,000 ETH: its path no longer leads to the
    // root after the sender's update (everything after is consistent with the claim).
    // The sender's path is the real one (its membership holds); only the receiver's old
    // leaf is made up, and its siblings are the real ones after the sender's update.
    let t = tree();
    let tr = transfer(addr(0x10), addr(0x20), ETH, 0);
    let real_sender_path = honest(&t, &[tr]).slots[0].first.siblings.clone();
    let mut b = builder(&t);
    let r = idx(&b, addr(0x20));
    let real = *b.tree().leaf(r).unwrap();
    let mut fake = real;
    fake[7..9].copy_from_slice(&amount_limbs(1_000 * ETH));
    b.raw_update(r, real, fake);
    b.push_transfer(&tr).unwrap();
    let mut w = b.finish().unwrap();
    w.slots[0].first.siblings = real_sender_path;
    assert!(rejected(&w));
}

#[test]
fn a_wrong_sibling_is_rejected() {
    let t = tree();
    let mut w = honest(&t, &[transfer(addr(0x10), addr(0x20), ETH, 0)]);
    w.slots[0].second.siblings[2].elements[0] += F::ONE;
    assert!(rejected(&w));
}

#[test]
fn crediting_the_wrong_amount_is_rejected() {
    // The prover's state after the transfer's slot credits the receiver something else
    // than the value: nothing (the sender is debited, the value vanishes), or one wei more.
    // The slot's witness is the honest one; the rest of the batch follows the prover's state.
    let t = tree();
    for credited in [10 * ETH, 11 * ETH + 1] {
        let mut b = builder(&t);
        b.push_transfer(&transfer(addr(0x10), addr(0x20), ETH, 0))
            .unwrap();
        let r = idx(&b, addr(0x20));
        let real = *b.tree().leaf(r).unwrap();
        let mut other = real;
        other[7..9].copy_from_slice(&amount_limbs(credited));
        b.raw_update(r, real, other);
        assert!(rejected(&b.finish().unwrap()), "credited {credited}");
    }
}

#[test]
fn undercharging_the_fee_is_rejected() {
    // The prover replays with half the base fee but claims the real one.
    let t = tree();
    let mut b = WitnessBuilder::new(&leaves(&t), DEPTH, 7, BASE_FEE / 2, fee_recipient()).unwrap();
    b.push_transfer(&transfer(addr(0x10), addr(0x20), ETH, 0))
        .unwrap();
    let mut w = b.finish().unwrap();
    w.base_fee = BASE_FEE;
    assert!(rejected(&w));
}

#[test]
fn a_fee_cap_below_the_base_fee_is_rejected() {
    let t = tree();
    let mut b = builder(&t);
    let tr = quire_primitives::Transfer {
        max_fee_per_gas: BASE_FEE as u128 - 1,
        max_priority_fee_per_gas: 0,
        ..transfer(addr(0x10), addr(0x20), ETH, 0)
    };
    assert!(b.clone().push_transfer(&tr).is_err());
    let (s, r) = (idx(&b, addr(0x10)), idx(&b, addr(0x20)));
    b.push_tx(tr.to_fields(), s, r).unwrap();
    assert!(rejected(&b.finish().unwrap()));
}

#[test]
fn withheld_fees_cannot_be_proven() {
    // The state a prover withholding the fee wants proven: the transfer executed, the fee
    // recipient's balance unchanged.
    let t = tree();
    let tr = transfer(addr(0x10), addr(0x20), ETH, 0);
    let mut cheat = t.clone();
    let s = cheat.index_of(&tr.sender).unwrap();
    cheat
        .set_account(s, 1, 10 * ETH - ETH - tr.fee(BASE_FEE))
        .unwrap();
    let r = cheat.index_of(&tr.to).unwrap();
    cheat.set_account(r, 0, 10 * ETH + ETH).unwrap();
    cheat.commit();
    // The circuit takes no new root: the final credit computes it. The honest witness,
    // claimed to end in the withheld state, proves only the credited root.
    let mut w = honest(&t, &[tr]);
    let credited = w.expected.new_root;
    w.expected.new_root = cheat.root();
    let proof = circuit().prove(&w).unwrap();
    let public = circuit().verify(&proof).unwrap();
    assert_eq!(public.new_root, credited);
    assert_ne!(public.new_root, cheat.root());
    // A witness whose fee recipient's leaf, in the final credit, holds the fee less than it
    // does: credited, it ends with the balance it started with.
    let mut b = builder(&t);
    b.push_transfer(&tr).unwrap();
    let f = idx(&b, fee_recipient());
    let real = *b.tree().leaf(f).unwrap();
    let mut less = real;
    less[7..9].copy_from_slice(&amount_limbs(ETH - tr.fee(BASE_FEE)));
    b.raw_update(f, real, less);
    let w = b.finish().unwrap();
    assert_eq!(w.expected.new_root, cheat.root());
    assert!(rejected(&w));
}

#[test]
fn fees_credited_to_another_account_are_rejected() {
    let t = tree();
    let mut b = builder(&t);
    b.push_transfer(&transfer(addr(0x10), addr(0x20), ETH, 0))
        .unwrap();
    let other = idx(&b, addr(0x30));
    assert!(rejected(&b.finish_flushing_to(other).unwrap()));
}

#[test]
fn creating_an_account_that_exists_is_rejected() {
    let t = tree();
    let existing = addr(0x20);
    let b0 = builder(&t);
    // Its predecessor (0x10…, next 0x20…): the address is not below the next key. Itself
    // (0x20…, next 0x30…): the address is not above the predecessor's key.
    for low in [b0.low_leaf(&existing), idx(&b0, existing)] {
        let mut b = b0.clone();
        let at = b.leaf_count();
        b.push_insert(existing, low, at).unwrap();
        let (s, r) = (idx(&b, addr(0x10)), idx(&b, existing));
        b.push_tx(transfer(addr(0x10), existing, ETH, 0).to_fields(), s, r)
            .unwrap();
        assert!(rejected(&b.finish().unwrap()), "predecessor {low}");
    }
}

#[test]
fn an_insert_with_a_predecessor_that_does_not_bracket_it_is_rejected() {
    let t = tree();
    let new = addr(0x45);
    let b0 = builder(&t);
    // The sentinel's next key (0x10…) is below 0x45…: 0x45… is not below the next key.
    // The last leaf (0xfe…, next: end of the list) is above 0x45…: 0x45… is not above it.
    for low in [0, idx(&b0, fee_recipient())] {
        let mut b = b0.clone();
        let at = b.leaf_count();
        b.push_insert(new, low, at).unwrap();
        let (s, r) = (idx(&b, addr(0x10)), idx(&b, new));
        b.push_tx(transfer(addr(0x10), new, ETH, 0).to_fields(), s, r)
            .unwrap();
        assert!(rejected(&b.finish().unwrap()), "predecessor {low}");
    }
}

#[test]
fn an_insert_that_skips_a_leaf_index_is_rejected() {
    let t = tree();
    let mut b = builder(&t);
    let new = addr(0x45);
    let low = b.low_leaf(&new);
    let at = b.leaf_count() + 1;
    b.push_insert(new, low, at).unwrap();
    let (s, r) = (idx(&b, addr(0x10)), idx(&b, new));
    b.push_tx(transfer(addr(0x10), new, ETH, 0).to_fields(), s, r)
        .unwrap();
    assert!(rejected(&b.finish().unwrap()));
}

#[test]
fn an_insert_not_followed_by_its_transfer_is_rejected() {
    let t = tree();
    // Followed by a transfer to another account.
    let mut b = builder(&t);
    let new = addr(0x45);
    let (low, at) = (b.low_leaf(&new), b.leaf_count());
    b.push_insert(new, low, at).unwrap();
    b.push_transfer(&transfer(addr(0x10), addr(0x20), ETH, 0))
        .unwrap();
    assert!(rejected(&b.finish().unwrap()));
    // Last in the batch.
    let mut b = builder(&t);
    b.push_transfer(&transfer(addr(0x10), addr(0x20), ETH, 0))
        .unwrap();
    b.push_insert(new, low, at).unwrap();
    assert!(rejected(&b.finish().unwrap()));
    // Followed by padding, then the transfer.
    let mut b = builder(&t);
    b.push_insert(new, low, at).unwrap();
    b.push_slot(SlotWitness::noop(DEPTH));
    let (s, r) = (idx(&b, addr(0x10)), idx(&b, new));
    b.push_tx(transfer(addr(0x10), new, ETH, 0).to_fields(), s, r)
        .unwrap();
    assert!(rejected(&b.finish().unwrap()));
}

#[test]
fn a_padding_slot_cannot_change_state() {
    let t = tree();
    // A padding slot carrying a real update (1 ETH to 0x30): the circuit keeps the root,
    // so the prover's state no longer matches and the next update fails.
    let mut b = builder(&t);
    let r = idx(&b, addr(0x30));
    let real = *b.tree().leaf(r).unwrap();
    let mut richer = real;
    richer[7..9].copy_from_slice(&amount_limbs(11 * ETH));
    b.push_transfer(&transfer(addr(0x10), addr(0x20), ETH, 0))
        .unwrap();
    let second = b.raw_update(r, real, richer);
    let mut slot = SlotWitness::noop(DEPTH);
    slot.second = second;
    b.push_slot(slot);
    assert!(rejected(&b.finish().unwrap()));

    // Garbage in padding slots changes nothing: same public inputs.
    let mut w = honest(&t, &[transfer(addr(0x10), addr(0x20), ETH, 0)]);
    let mut junk = SlotWitness::noop(DEPTH);
    // (Transfer fields must be well-formed limbs: the slot's arithmetic runs regardless.)
    junk.tx = transfer(addr(0x77), addr(0x10), 5 * ETH, 9).to_fields();
    junk.first.old_leaf = [F::from_canonical_u64(3); 9];
    junk.second.siblings[0].elements[1] = F::from_canonical_u64(9);
    w.slots.push(junk);
    let proof = circuit().prove(&w).unwrap();
    assert_eq!(circuit().verify(&proof).unwrap(), w.expected);
}

#[test]
fn a_padding_slot_turned_into_a_transfer_changes_the_public_inputs() {
    let t = tree();
    let honest_w = honest(&t, &[transfer(addr(0x10), addr(0x20), ETH, 0)]);
    let mut b = builder(&t);
    b.push_transfer(&transfer(addr(0x10), addr(0x20), ETH, 0))
        .unwrap();
    let (s, r) = (idx(&b, addr(0x30)), idx(&b, addr(0x20)));
    b.push_tx(transfer(addr(0x30), addr(0x20), ETH, 0).to_fields(), s, r)
        .unwrap();
    let w = b.finish().unwrap();
    assert_eq!(w.slots[1].kind, SlotKind::Tx);
    let proof = circuit().prove(&w).unwrap();
    let public = circuit().verify(&proof).unwrap();
    assert_ne!(public.tx_commitment, honest_w.expected.tx_commitment);
    assert_ne!(public.tx_count, honest_w.expected.tx_count);
}

#[test]
fn public_inputs_that_differ_from_the_transactions_fail_to_verify() {
    let t = tree();
    let w = honest(&t, &[transfer(addr(0x10), addr(0x20), ETH, 0)]);
    let proof = circuit().prove(&w).unwrap();
    // Claim another commitment, root, batch number, fee recipient or base fee.
    for i in [0, 4, 8, 9, 13, 14, 16, 20, 21, 22, 23, 27] {
        let mut forged = proof.clone();
        forged.public_inputs[i] += F::ONE;
        assert!(
            circuit().verify(&forged).is_err(),
            "public input {i} forged"
        );
    }
    // A transfer field changed in the commitment must also change what is credited: the
    // fields that are hashed are the fields that are executed.
    let mut b = builder(&t);
    let tr = transfer(addr(0x10), addr(0x20), ETH, 0);
    let (s, r) = (idx(&b, addr(0x10)), idx(&b, addr(0x20)));
    b.push_tx(fields_with(tr, |f| f[9] += F::ONE), s, r)
        .unwrap();
    let cheat = b.finish().unwrap();
    let proof = circuit().prove(&cheat).unwrap();
    let public = circuit().verify(&proof).unwrap();
    assert_ne!(public.tx_commitment, w.expected.tx_commitment);
}

#[test]
fn the_fee_recipient_is_created_when_missing_and_only_then() {
    let t = tree_with(&[(addr(0x10), 10 * ETH), (addr(0x20), ETH)]);
    let fr = addr(0x99);
    let mut b = builder_for(&t, fr);
    b.push_transfer(&transfer(addr(0x10), addr(0x20), ETH, 0))
        .unwrap();
    let w = b.finish().unwrap();
    assert_eq!(w.fee_slot.kind, SlotKind::Insert);
    proves(&w);
    // Not creating it: the final fee credit has no leaf to land in, and redirected to
    // another account's leaf it is refused.
    let mut b2 =
        WitnessBuilder::with_fee_account(&leaves(&t), DEPTH, 7, BASE_FEE, fr, false).unwrap();
    b2.push_transfer(&transfer(addr(0x10), addr(0x20), ETH, 0))
        .unwrap();
    let to = idx(&b2, addr(0x20));
    let w2 = b2.finish_flushing_to(to).unwrap();
    assert_eq!(w2.fee_slot.kind, SlotKind::Noop);
    assert!(rejected(&w2));
    // Creating it when it exists, linked from its predecessor (0x30…, next 0xfe…) or from
    // its own leaf (0xfe…, the last).
    let t = tree();
    let mut b = builder(&t);
    for low in [b.low_leaf(&fee_recipient()), idx(&b, fee_recipient())] {
        let at = b.leaf_count();
        let mut cheat = b.clone();
        cheat.push_insert(fee_recipient(), low, at).unwrap();
        cheat
            .push_transfer(&transfer(addr(0x10), addr(0x20), 1, 0))
            .unwrap();
        let mut w3 = cheat.finish().unwrap();
        w3.fee_slot = w3.slots.remove(0);
        assert!(rejected(&w3), "predecessor {low}");
    }
    b.push_transfer(&transfer(addr(0x10), addr(0x20), 1, 0))
        .unwrap();
    proves(&b.finish().unwrap());
}

#[test]
fn a_receiver_balance_above_2_pow_96_is_rejected() {
    let max = quire_primitives::MAX_BALANCE;
    let t = tree_with(&[
        (addr(0x10), 10 * ETH),
        (addr(0x20), max - 10),
        (fee_recipient(), 0),
    ]);
    let mut b = builder(&t);
    let tr = transfer(addr(0x10), addr(0x20), 11, 0);
    assert!(
        b.clone().push_transfer(&tr).is_err(),
        "the honest builder refuses it"
    );
    let (s, r) = (idx(&b, addr(0x10)), idx(&b, addr(0x20)));
    b.push_tx(tr.to_fields(), s, r).unwrap();
    assert!(rejected(&b.finish().unwrap()));
    // Up to the limit is fine.
    proves(&honest(&t, &[transfer(addr(0x10), addr(0x20), 10, 0)]));
}

#[test]
fn the_fee_recipient_account_cannot_be_created_later_than_the_first_slot() {
    // Created by an ordinary insert, paid by a transfer to it: balances would be right,
    // but the account would sit at another index than the sequencer gives it.
    let t = tree_with(&[(addr(0x10), 10 * ETH), (addr(0x20), ETH)]);
    let fr = addr(0x99);
    let mut b =
        WitnessBuilder::with_fee_account(&leaves(&t), DEPTH, 7, BASE_FEE, fr, false).unwrap();
    b.push_transfer(&transfer(addr(0x10), addr(0x20), ETH, 0))
        .unwrap();
    b.push_transfer(&transfer(addr(0x10), fr, ETH, 1)).unwrap();
    let w = b.finish().unwrap();
    assert_eq!(w.fee_slot.kind, SlotKind::Noop);
    assert!(rejected(&w));
}

#[test]
fn a_wrong_account_count_is_rejected() {
    let t = tree();
    let honest_w = honest(&t, &[transfer(addr(0x10), addr(0x20), ETH, 0)]);
    proves(&honest_w);
    let b = builder(&t);
    let count = honest_w.leaf_count_before;
    for claimed in [count - 1, count + 1] {
        let mut w = honest_w.clone();
        w.leaf_count_before = claimed;
        w.expected.leaf_count_before = claimed;
        w.expected.leaf_count_after = claimed;
        w.last_leaf.index = claimed - 1;
        w.last_leaf.siblings = b.tree().siblings(claimed - 1);
        w.last_leaf.old_leaf = b.tree().leaf(claimed - 1).copied().unwrap_or([F::ZERO; 9]);
        w.first_empty.index = claimed;
        w.first_empty.siblings = b.tree().siblings(claimed);
        assert!(
            rejected(&w),
            "claimed {claimed} accounts, the tree has {count}"
        );
    }
}

#[test]
fn a_batch_without_transfers_is_rejected() {
    let t = tree_with(&[(addr(0x10), 10 * ETH)]);
    // Even one that only creates the fee recipient's (missing) account.
    let b = builder_for(&t, addr(0x99));
    assert!(b.clone().finish().is_err(), "the honest builder refuses it");
    assert!(rejected(&b.finish_any().unwrap()));
}

fn deposit(index: u64, to: Address, amount: u128) -> Deposit {
    Deposit {
        index,
        recipient: to,
        amount,
        l1_block: 100 + index,
    }
}

fn chain_of(start: DepositChain, ds: &[Deposit]) -> DepositChain {
    let mut c = start;
    ds.iter().for_each(|d| c.absorb(d));
    c
}

#[test]
fn deposits_are_credited_in_queue_order_and_exposed() {
    let t = tree();
    let fresh = addr(0x44);
    // The batch starts at queue index 5 of a chain already holding five deposits.
    let start = chain_of(
        DepositChain::empty(),
        &(0..5)
            .map(|i| deposit(i, addr(0x10), 1))
            .collect::<Vec<_>>(),
    );
    let ds = [deposit(5, addr(0x20), 3 * ETH), deposit(6, fresh, 2 * ETH)];
    let mut b = builder(&t).with_deposits_before(5, start);
    for d in &ds {
        b.push_deposit(d).unwrap();
    }
    // The new account spends what its deposit brought.
    b.push_transfer(&transfer(fresh, addr(0x30), ETH, 0))
        .unwrap();
    let w = b.finish().unwrap();
    assert_eq!(
        w.slots[1].kind,
        SlotKind::Insert,
        "the fresh recipient is inserted"
    );
    let proof = circuit().prove(&w).expect("honest deposits prove");
    let public = circuit().verify(&proof).unwrap();
    assert_eq!(public, w.expected);
    assert_eq!(
        (public.deposit_count_before, public.deposit_count_after),
        (5, 7)
    );
    assert_eq!(public.deposit_chain_before, start.0);
    assert_eq!(public.deposit_chain_after, chain_of(start, &ds).0);
    assert_eq!(public.tx_count, 1);

    // A batch of deposits only proves too.
    let mut b = builder(&t);
    b.push_deposit(&deposit(0, addr(0x10), ETH)).unwrap();
    let w = b.finish().unwrap();
    let public = circuit().verify(&circuit().prove(&w).unwrap()).unwrap();
    assert_eq!((public.tx_count, public.deposit_count_after), (0, 1));

    // The honest builder refuses a deposit out of queue order.
    let mut b = builder(&t);
    assert!(b.push_deposit(&deposit(1, addr(0x10), ETH)).is_err());
}

#[test]
fn a_deposit_credited_twice_shows_in_the_public_inputs() {
    let t = tree();
    let d = deposit(0, addr(0x20), ETH);
    let mut once = builder(&t);
    once.push_deposit(&d).unwrap();
    let once = once.finish().unwrap();
    let mut twice = builder(&t);
    let r = idx(&twice, addr(0x20));
    twice.push_deposit_slot(d.recipient, d.amount, r).unwrap();
    twice.push_deposit_slot(d.recipient, d.amount, r).unwrap();
    let twice = twice.finish().unwrap();
    // It proves, but only as two deposits of the queue with the chain of two: it cannot
    // claim to have consumed one.
    let public = circuit().verify(&circuit().prove(&twice).unwrap()).unwrap();
    assert_eq!(public.deposit_count_after, 2);
    assert_ne!(
        public.deposit_chain_after,
        once.expected.deposit_chain_after
    );
    let mut forged = circuit().prove(&twice).unwrap();
    forged.public_inputs[22] = F::ONE;
    for (i, e) in once
        .expected
        .deposit_chain_after
        .elements
        .iter()
        .enumerate()
    {
        forged.public_inputs[27 + i] = *e;
    }
    assert!(circuit().verify(&forged).is_err());
}

#[test]
fn a_deposit_credited_to_another_account_is_rejected() {
    let t = tree();
    let mut b = builder(&t);
    // The chain absorbs 0x20 as the recipient; the credit goes to 0x30's leaf.
    let other = idx(&b, addr(0x30));
    b.push_deposit_slot(addr(0x20), ETH, other).unwrap();
    assert!(rejected(&b.finish().unwrap()));
}

#[test]
fn a_deposit_slot_cannot_debit_anyone() {
    let t = tree();
    // A deposit slot whose first update takes 1 ETH from 0x10: the circuit ignores the
    // first update of a deposit, so the prover's state diverges and the next update fails.
    let mut b = builder(&t);
    let s = idx(&b, addr(0x10));
    let real = *b.tree().leaf(s).unwrap();
    let mut poorer = real;
    poorer[7..9].copy_from_slice(&amount_limbs(9 * ETH));
    let first = b.raw_update(s, real, poorer);
    let r = idx(&b, addr(0x20));
    b.push_deposit_slot(addr(0x20), ETH, r).unwrap();
    let mut w = b.finish().unwrap();
    w.slots[0].first = first;
    assert!(rejected(&w));
}
