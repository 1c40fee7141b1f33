//! Signature proofs end to end: the three tables proven together and checked natively
//! with the circuit's rows, and the signature circuit proving a batch's signatures.

use alloy::primitives::{Address, U256};
use plonky2::field::goldilocks_field::GoldilocksField;
use plonky2::plonk::config::PoseidonGoldilocksConfig;
use quire_prover::signature::circuit::SignatureCircuit;
use quire_prover::signature::tables::{prove_tables, verify_tables, TableConfigs, TableSizes};
use quire_prover::signature::witness::{BridgeStatement, SignatureStatement};
use quire_test_support::{key, typed_transfer};

type F = GoldilocksField;
type C = PoseidonGoldilocksConfig;
const D: usize = 2;
const CHAIN: u64 = 271_828;

fn statement(n: usize) -> SignatureStatement {
    let transfers = (0..n)
        .map(|i| {
            let envelope = typed_transfer(
                &key(i as u8),
                (i % 3) as u8,
                CHAIN,
                i as u64,
                Address::repeat_byte(0x40 + i as u8),
                U256::from(10u64.pow(i as u32 % 19) + 7),
                1_000_000_000 + i as u128,
            );
            quire_prover::signature::witness::SignedTransfer::from_envelope(&envelope).unwrap()
        })
        .collect();
    SignatureStatement {
        chain_id: CHAIN,
        transfers,
        bridge: BridgeStatement::default(),
    }
}

#[test]
fn the_tables_prove_and_verify_with_the_circuit_rows() {
    let s = statement(3);
    let capacity = 4;
    let sizes = TableSizes::for_counts(capacity, 2 * capacity + capacity / 2);
    let prefix = s.prefix(capacity);
    let config = TableConfigs::for_capacity(capacity);
    let proofs =
        prove_tables::<F, C, D>(&s.signatures(), &s.permutations(), sizes, &prefix, &config)
            .unwrap();
    let looked_up = s.looked_up();
    verify_tables(&proofs, &looked_up, &prefix, &config).unwrap();

    // A row the tables do not hold: another signing hash.
    let mut other = looked_up.clone();
    other.ecdsa[1][40] ^= 1;
    assert!(verify_tables(&proofs, &other, &prefix, &config).is_err());
    // A permutation missing from the circuit's side.
    let mut fewer = looked_up.clone();
    fewer.keccak.pop();
    assert!(verify_tables(&proofs, &fewer, &prefix, &config).is_err());
    // Another transcript (the circuit observed other values).
    let mut shifted = prefix.clone();
    shifted[0] += F::from_canonical_u64(1);
    assert!(verify_tables(&proofs, &looked_up, &shifted, &config).is_err());
}

use plonky2::field::types::Field;

fn circuit() -> &'static SignatureCircuit {
    static CIRCUIT: std::sync::OnceLock<SignatureCircuit> = std::sync::OnceLock::new();
    CIRCUIT.get_or_init(|| SignatureCircuit::build(16))
}

#[test]
fn the_signature_circuit_proves_a_batch_of_every_type_and_refuses_forgeries() {
    let circuit = circuit();
    assert_eq!(circuit.data.common.degree_bits(), 16);
    let s = statement(5);
    let proof = circuit.prove(&s).unwrap();
    let pi = circuit.verify(&proof).unwrap();
    assert_eq!(pi.tx_commitment, s.commitment().0);
    assert_eq!(pi.tx_count, 5);
    assert_eq!(pi.chain_id, CHAIN);

    let honest = s.entries(16);
    let deposits = s.deposit_entries(16);
    // A sender that is not the recovered address: the entry claims another sender (and a
    // key digest ending in it), the tables stay honest.
    let mut forged = honest.clone();
    let other = Address::repeat_byte(0x99);
    forged[2].transfer.sender = other;
    forged[2].key_digest[12..].copy_from_slice(other.as_slice());
    assert!(
        circuit
            .prove_entries(&s, (&forged, 5), (&deposits, 0))
            .is_err(),
        "another sender"
    );
    // Another key: the key (and its real digest) of another signer.
    let mut forged = honest.clone();
    let stranger = statement(7).entries(16)[6].clone();
    forged[2].key = stranger.key;
    forged[2].key_digest = stranger.key_digest;
    forged[2].transfer.sender = stranger.transfer.sender;
    assert!(
        circuit
            .prove_entries(&s, (&forged, 5), (&deposits, 0))
            .is_err(),
        "another key"
    );
    // A transfer dropped from what the signatures cover (the count says 4).
    assert!(
        circuit
            .prove_entries(&s, (&honest, 4), (&deposits, 0))
            .is_err(),
        "a dropped transfer"
    );
    // Altered public inputs do not verify.
    let mut edited = proof.clone();
    edited.public_inputs[5] += F::from_canonical_u64(1);
    assert!(circuit.verify(&edited).is_err());
}

/// A batch of four transfers, the third a withdrawal, that credited two deposits, after
/// five earlier deposits and some earlier withdrawals.
fn bridge_statement() -> SignatureStatement {
    use quire_primitives::{BridgeState, Deposit, QueueHash, WithdrawalHash, WITHDRAWAL_ADDRESS};
    let transfers = (0..4)
        .map(|i| {
            let to = if i == 2 {
                WITHDRAWAL_ADDRESS
            } else {
                Address::repeat_byte(0x40 + i as u8)
            };
            let envelope = typed_transfer(
                &key(i as u8),
                (i % 3) as u8,
                CHAIN,
                i as u64,
                to,
                U256::from(1_000_000_007u64 * (i as u64 + 1)),
                1_000_000_000,
            );
            quire_prover::signature::witness::SignedTransfer::from_envelope(&envelope).unwrap()
        })
        .collect();
    let mut before = BridgeState::genesis();
    before.deposit_count = 5;
    before.queue_hash = QueueHash::repeat_byte(0x5a);
    before.withdrawal_hash = WithdrawalHash::repeat_byte(0xa5);
    before.deposit_chain.absorb(&Deposit {
        index: 4,
        recipient: Address::repeat_byte(9),
        amount: 1,
        l1_block: 1,
    });
    let deposits = (0..2)
        .map(|i| Deposit {
            index: 5 + i,
            recipient: Address::repeat_byte(0x70 + i as u8),
            amount: 10u128.pow(18) + u128::from(i),
            l1_block: 1_000 + i,
        })
        .collect();
    SignatureStatement {
        chain_id: CHAIN,
        transfers,
        bridge: BridgeStatement { before, deposits },
    }
}

/// Padding deposit entries from `from` on, chained from the entries before them as the
/// circuit chains them (each after the previous entry's digest), so that a cheater's
/// entries differ from the honest ones only where the cheat is.
fn rechain(entries: &mut [quire_prover::signature::witness::DepositEntry], from: usize) {
    for i in from..entries.len() {
        let (index, prev) = (entries[i].deposit.index, entries[i - 1].digest);
        entries[i] = quire_prover::signature::witness::DepositEntry::padding(index, &prev);
    }
}

/// The deposits a batch credited are hashed into the Bridge's queue hash exactly as L1
/// hashes them (from the count before, in order) and into the deposit chain the batch
/// proof attests; its withdrawals into the withdrawal hash the Rollup recomputes. Each
/// rule fails on a cheater whose tables hold exactly what it looks up.
#[test]
fn the_signature_circuit_proves_deposits_and_withdrawals_and_refuses_forgeries() {
    use quire_primitives::withdrawal::withdrawal_hash;
    let circuit = circuit();
    let s = bridge_statement();
    assert_eq!(s.bridge_ops(), 3);
    let proof = circuit.prove(&s).unwrap();
    let pi = circuit.verify(&proof).unwrap();
    let before = s.bridge.before;
    assert_eq!(pi.bridge_before, before.attested());
    // What L1 and the batch proof compute, independently of the circuit's witness.
    let d = &s.bridge.deposits;
    let queue = d[1].queue_hash(d[0].queue_hash(before.queue_hash));
    let mut chain = before.deposit_chain;
    chain.absorb(&d[0]);
    chain.absorb(&d[1]);
    let w = &s.transfers[2].transfer;
    assert_eq!(pi.bridge_after.deposit_count, 7);
    assert_eq!(pi.bridge_after.queue_hash, queue);
    assert_eq!(pi.bridge_after.deposit_chain, chain);
    assert_eq!(
        pi.bridge_after.withdrawal_hash,
        withdrawal_hash(before.withdrawal_hash, &w.sender, w.value)
    );
    assert_eq!(pi.tx_count, 4);

    let entries = s.entries(16);
    let deposits = s.deposit_entries(16);
    let prove =
        |e: &[quire_prover::signature::witness::CircuitEntry],
         d: &[quire_prover::signature::witness::DepositEntry],
         real_deposits: usize| { circuit.prove_entries(&s, (e, 4), (d, real_deposits)) };
    use quire_prover::signature::witness::DepositEntry;
    // Deposits out of queue order: 6 and 7 credited, skipping 5 (each step hashed honestly
    // and chained from the one before).
    let mut skipped = deposits.clone();
    let shifted = |k: usize| quire_primitives::Deposit {
        index: s.bridge.deposits[k].index + 1,
        ..s.bridge.deposits[k]
    };
    skipped[0] = DepositEntry::real(&shifted(0), before.queue_hash);
    skipped[1] = DepositEntry::real(
        &shifted(1),
        quire_primitives::QueueHash::from_slice(&skipped[0].digest[..24]),
    );
    rechain(&mut skipped, 2);
    assert!(prove(&entries, &skipped, 2).is_err(), "a skipped deposit");
    // A deposit credited to another recipient than the queue's: its step hashes the
    // queue's recipient, the entry claims another.
    let mut other = deposits.clone();
    other[1].deposit.recipient = Address::repeat_byte(0x33);
    assert!(prove(&entries, &other, 2).is_err(), "another recipient");
    // A deposit chained from another queue hash than the one before it.
    let mut unchained = deposits.clone();
    unchained[1] = DepositEntry::real(&s.bridge.deposits[1], before.queue_hash);
    assert!(
        prove(&entries, &unchained, 2).is_err(),
        "a broken queue chain"
    );
    // A withdrawal left out of the withdrawal hash.
    let mut hidden = entries.clone();
    hidden[2].is_withdrawal = false;
    hidden[2].withdrawal_digest = [0; 32];
    assert!(prove(&hidden, &deposits, 2).is_err(), "a hidden withdrawal");
    // A transfer to another address counted as a withdrawal.
    let mut invented = entries.clone();
    invented[1].is_withdrawal = true;
    invented[1].withdrawal_digest =
        alloy::primitives::keccak256(&invented[1].withdrawal_block(&before.withdrawal_hash)[..56])
            .0;
    invented[2].withdrawal_digest = alloy::primitives::keccak256(
        &invented[2].withdrawal_block(&quire_primitives::WithdrawalHash::from_slice(
            &invented[1].withdrawal_digest[..24],
        ))[..56],
    )
    .0;
    assert!(
        prove(&invented, &deposits, 2).is_err(),
        "an invented withdrawal"
    );
}
