//! Pinning the final verifier key: `quire verify --key-digest` checks a digest of the whole
//! key, so a key file edited to accept forged proofs is refused even though plonky2's
//! circuit digest (which does not cover the common data) is unchanged.

use plonky2::plonk::circuit_builder::CircuitBuilder;
use plonky2::plonk::circuit_data::VerifierCircuitData;
use plonky2::util::serialization::DefaultGateSerializer;
use quire_aggregator::circuits::FinalVerifier;
use quire_aggregator::public_inputs::FINAL_INPUTS;
use quire_aggregator::wrap::{wrap_config, KeccakWrapConfig, WRAP_RATE_BITS};
use quire_aggregator::{EXT, F};

/// A small circuit with the final wrap's configuration and public-input count: a key file
/// of the same format as the real one, without building the aggregation circuits.
fn key() -> FinalVerifier {
    let mut b = CircuitBuilder::<F, EXT>::new(wrap_config(WRAP_RATE_BITS));
    let inputs = b.add_virtual_public_input_arr::<FINAL_INPUTS>();
    let sum = b.add_many(inputs);
    let product = b.mul(sum, inputs[0]);
    let square = b.mul(inputs[1], inputs[1]);
    b.connect(product, square);
    let data = b.build::<KeccakWrapConfig>().verifier_data();
    FinalVerifier { data }
}

#[test]
fn a_key_with_edited_fri_parameters_keeps_the_circuit_digest_but_fails_the_pin() {
    let honest = key();
    let dir = std::env::temp_dir().join(format!("quire-key-pin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("key.bin");
    std::fs::write(&path, honest.to_bytes().unwrap()).unwrap();
    let written = FinalVerifier::read(&path).unwrap();
    let pin = written.key_digest_hex().unwrap();
    assert_eq!(pin, honest.key_digest_hex().unwrap());
    written.check_pin(&pin).unwrap();
    written
        .check_pin(&format!("0x{}", pin.to_uppercase()))
        .unwrap();

    // Edit the written file: no FRI query rounds (a verifier with this key checks no
    // openings at all), everything else as it was.
    let bytes = std::fs::read(&path).unwrap();
    let mut data: VerifierCircuitData<F, KeccakWrapConfig, EXT> =
        VerifierCircuitData::from_bytes(bytes.clone(), &DefaultGateSerializer).unwrap();
    assert!(data.common.config.fri_config.num_query_rounds > 0);
    data.common.config.fri_config.num_query_rounds = 0;
    data.common.fri_params.config.num_query_rounds = 0;
    let edited = data.to_bytes(&DefaultGateSerializer).unwrap();
    assert_ne!(edited, bytes);
    std::fs::write(&path, &edited).unwrap();

    let tampered = FinalVerifier::read(&path).unwrap();
    assert_eq!(
        tampered.data.common.fri_params.config.num_query_rounds, 0,
        "the edit is in the key as read"
    );
    // plonky2's circuit digest does not see the edit...
    assert_eq!(tampered.circuit_digest_hex(), honest.circuit_digest_hex());
    // ...the pinned key digest does.
    assert_ne!(tampered.key_digest_hex().unwrap(), pin);
    let refused = tampered.check_pin(&pin).unwrap_err();
    assert!(
        refused.to_string().contains("not the pinned"),
        "{refused:#}"
    );

    // Another common-data field: the proof-of-work bits.
    let mut data: VerifierCircuitData<F, KeccakWrapConfig, EXT> =
        VerifierCircuitData::from_bytes(bytes, &DefaultGateSerializer).unwrap();
    data.common.config.fri_config.proof_of_work_bits = 0;
    data.common.fri_params.config.proof_of_work_bits = 0;
    let weaker = FinalVerifier { data };
    assert_eq!(weaker.circuit_digest_hex(), honest.circuit_digest_hex());
    assert!(weaker.check_pin(&pin).is_err());
    std::fs::remove_dir_all(&dir).ok();
}
