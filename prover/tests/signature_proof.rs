//! Signature proofs end to end: the three tables proven together and checked natively
//! with the circuit's rows, and the signature circuit proving a batch's signatures.

use alloy::primitives::{Address, U256};
use plonky2::field::goldilocks_field::GoldilocksField;
use plonky2::plonk::config::PoseidonGoldilocksConfig;
use quire_prover::signature::circuit::SignatureCircuit;
use quire_prover::signature::tables::{prove_tables, verify_tables, TableConfigs, TableSizes};
use quire_prover::signature::witness::SignatureStatement;
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
    }
}

#[test]
fn the_tables_prove_and_verify_with_the_circuit_rows() {
    let s = statement(3);
    let capacity = 4;
    let sizes = TableSizes::for_counts(capacity, 2 * capacity);
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
    // A sender that is not the recovered address: the entry claims another sender (and a
    // key digest ending in it), the tables stay honest.
    let mut forged = honest.clone();
    let other = Address::repeat_byte(0x99);
    forged[2].transfer.sender = other;
    forged[2].key_digest[12..].copy_from_slice(other.as_slice());
    assert!(
        circuit.prove_entries(&s, &forged, 5).is_err(),
        "another sender"
    );
    // Another key: the key (and its real digest) of another signer.
    let mut forged = honest.clone();
    let stranger = statement(7).entries(16)[6].clone();
    forged[2].key = stranger.key;
    forged[2].key_digest = stranger.key_digest;
    forged[2].transfer.sender = stranger.transfer.sender;
    assert!(
        circuit.prove_entries(&s, &forged, 5).is_err(),
        "another key"
    );
    // A transfer dropped from what the signatures cover (the count says 4).
    assert!(
        circuit.prove_entries(&s, &honest, 4).is_err(),
        "a dropped transfer"
    );
    // Altered public inputs do not verify.
    let mut edited = proof.clone();
    edited.public_inputs[5] += F::from_canonical_u64(1);
    assert!(circuit.verify(&edited).is_err());
}
