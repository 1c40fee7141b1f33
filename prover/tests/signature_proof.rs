//! Signature proofs end to end: the three tables proven together and checked natively
//! with the circuit's rows, and the signature circuit proving a batch's signatures.

use alloy::primitives::{Address, U256};
use plonky2::field::goldilocks_field::GoldilocksField;
use plonky2::plonk::config::PoseidonGoldilocksConfig;
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

#[test]
fn the_signature_circuit_proves_a_batch_of_every_type() {
    use quire_prover::signature::circuit::SignatureCircuit;
    let t = std::time::Instant::now();
    let circuit = SignatureCircuit::build(16);
    eprintln!(
        "built in {:?}: 2^{} rows",
        t.elapsed(),
        circuit.data.common.degree_bits()
    );
    let s = statement(5);
    let t = std::time::Instant::now();
    let proof = circuit.prove(&s).unwrap();
    eprintln!("proved in {:?}", t.elapsed());
    let pi = circuit.verify(&proof).unwrap();
    assert_eq!(pi.tx_commitment, s.commitment().0);
    assert_eq!(pi.tx_count, 5);
    assert_eq!(pi.chain_id, CHAIN);
}
