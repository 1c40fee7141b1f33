//! Differential test of the ECDSA equation against alloy's recovery, on random signed
//! transactions of every accepted type (legacy with EIP-155, EIP-2930, EIP-1559): for a
//! valid signature the witness's signer is alloy's recovered sender, its signing payload
//! hashes to alloy's signing hash, and the equation the ECDSA table checks holds; for a
//! corrupted one (other fields, other chain id, other s, high s) the equation fails for
//! the true signer's key, or the witness is refused.

use alloy::consensus::transaction::SignerRecoverable;
use alloy::consensus::{SignableTransaction, TxEnvelope};
use alloy::primitives::{Address, Signature, U256};
use alloy::signers::local::PrivateKeySigner;
use quire_prover::signature::secp256k1::curve::lift_x;
use quire_prover::signature::secp256k1::ecdsa::CURVE as ECDSA;
use quire_prover::signature::secp256k1::msm::{ecdsa_work, native_output, zero_output};
use quire_prover::signature::witness::{SignatureWitnessError, SignedTransfer, ORDER};
use rand::{Rng, SeedableRng};

fn signature_witness(envelope: &TxEnvelope) -> Result<SignedTransfer, SignatureWitnessError> {
    SignedTransfer::from_envelope(envelope)
}

/// A random transfer of type `kind` (0 legacy, 1 EIP-2930, 2 EIP-1559), signed.
fn signed(rng: &mut rand::rngs::StdRng, kind: u8, key: &PrivateKeySigner) -> TxEnvelope {
    quire_test_support::typed_transfer(
        key,
        kind,
        rng.random_range(1..1_000_000u64),
        rng.random_range(0..1_000u64),
        Address::from(rng.random::<[u8; 20]>()),
        U256::from(rng.random::<u128>() >> 40),
        rng.random_range(1..1_000_000_000_000u128),
    )
}

/// `envelope` with its transaction changed by `change` and its signature replaced by
/// `signature` (the signing hash follows the new fields).
fn altered(
    envelope: &TxEnvelope,
    signature: Option<Signature>,
    bump_value: bool,
    other_chain: bool,
) -> TxEnvelope {
    macro_rules! alter {
        ($signed:expr) => {{
            let mut tx = $signed.tx().clone();
            if bump_value {
                tx.value += U256::from(1);
            }
            if other_chain {
                tx.chain_id = (tx.chain_id + 1).into();
            }
            tx.into_signed(signature.unwrap_or(*$signed.signature()))
                .into()
        }};
    }
    match envelope {
        TxEnvelope::Legacy(t) => {
            let mut tx = t.tx().clone();
            if bump_value {
                tx.value += U256::from(1);
            }
            if other_chain {
                tx.chain_id = tx.chain_id.map(|c| c + 1);
            }
            tx.into_signed(signature.unwrap_or(*t.signature())).into()
        }
        TxEnvelope::Eip2930(t) => alter!(t),
        TxEnvelope::Eip1559(t) => alter!(t),
        _ => unreachable!("only transfers are built here"),
    }
}

fn equation_holds(work: &[(U256, (U256, U256))]) -> bool {
    native_output(&ECDSA, work).is_ok_and(|out| out == zero_output())
}

#[test]
fn the_equation_agrees_with_alloy_recovery() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(11);
    for i in 0..45u8 {
        let key = PrivateKeySigner::from_bytes(&rng.random::<[u8; 32]>().into()).unwrap();
        let envelope = signed(&mut rng, i % 3, &key);
        let sender = envelope.recover_signer().unwrap();
        assert_eq!(sender, key.address());

        let witness = signature_witness(&envelope).unwrap();
        assert_eq!(witness.signer(), sender, "tx {i}");
        assert!(
            equation_holds(&witness.equation()),
            "tx {i}: a valid signature fails"
        );
        assert_eq!(
            alloy::primitives::keccak256(&witness.payload),
            envelope.signature_hash(),
            "tx {i}: the payload is what the signature covers"
        );

        let true_key = witness.signature.q;
        let signature = match &envelope {
            TxEnvelope::Legacy(t) => *t.signature(),
            TxEnvelope::Eip2930(t) => *t.signature(),
            TxEnvelope::Eip1559(t) => *t.signature(),
            _ => unreachable!(),
        };
        let r_point = lift_x(signature.r(), signature.v()).unwrap();

        // Fields that differ from the signed ones, and another chain id: alloy recovers
        // another address, and the equation fails for the signer's key.
        for (bump_value, other_chain) in [(true, false), (false, true)] {
            let forged = altered(&envelope, None, bump_value, other_chain);
            assert_ne!(forged.recover_signer().ok(), Some(sender));
            if let Ok(w) = signature_witness(&forged) {
                assert_ne!(w.signer(), sender);
                let z = w.signature.z;
                let claimed = ecdsa_work(r_point, true_key, signature.r(), signature.s(), z);
                assert!(
                    !equation_holds(&claimed),
                    "tx {i}: a forged transaction passes"
                );
            }
        }

        // A wrong signature (another s): the equation fails for the signer's key.
        let z = witness.signature.z;
        let other_s = signature.s() ^ U256::from(2);
        let claimed = ecdsa_work(r_point, true_key, signature.r(), other_s, z);
        assert!(!equation_holds(&claimed), "tx {i}: another s passes");

        // High s (the same signature's malleable twin): refused by alloy's sender recovery
        // and by the witness.
        let twin = Signature::new(signature.r(), ORDER - signature.s(), !signature.v());
        let high = altered(&envelope, Some(twin), false, false);
        assert!(high.recover_signer().is_err());
        assert_eq!(
            signature_witness(&high).unwrap_err(),
            SignatureWitnessError::HighS
        );
    }
}
