//! What a signature proof needs to know about one signed transaction: its signing hash,
//! the signer's public key and address, and the ECDSA equation the tables check.
//!
//! The public key comes from alloy's recovery (k256), the same recovery the sequencer's
//! validation uses; the tables then prove the equation for it without trusting it.

use alloy_consensus::transaction::SignableTransaction;
use alloy_consensus::TxEnvelope;
use alloy_primitives::{keccak256, Address, B256, U256};
use k256::elliptic_curve::sec1::ToEncodedPoint;

use super::secp256k1::curve::{lift_x, Point};
use super::secp256k1::msm::ecdsa_work;

/// secp256k1's group order n.
pub const ORDER: U256 = U256::from_limbs([
    0xBFD2_5E8C_D036_4141,
    0xBAAE_DCE6_AF48_A03B,
    0xFFFF_FFFF_FFFF_FFFE,
    0xFFFF_FFFF_FFFF_FFFF,
]);

/// Why a transaction's signature cannot be proven.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignatureWitnessError {
    /// The transaction type carries no ECDSA signature quire accepts.
    #[error("unsupported transaction type")]
    UnsupportedType,
    /// r or s is zero or not below the group order.
    #[error("r or s out of range")]
    OutOfRange,
    /// s above n/2 (EIP-2 forbids it).
    #[error("high s")]
    HighS,
    /// No point has x = r with the signature's parity, or recovery failed.
    #[error("the signature does not recover a key")]
    Unrecoverable,
}

/// One transaction's signature, ready for the tables.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SignatureWitness {
    /// Keccak-256 of the signed payload (EIP-155 chain id included for legacy).
    pub signing_hash: B256,
    /// The signer's public key.
    pub public_key: Point,
    /// Its address: the last 20 bytes of Keccak-256 of the key's coordinates.
    pub signer: Address,
    /// The bases and scalars of s·R − r·Q − z·G = 0, for `EcdsaMsmStark`.
    pub equation: Vec<(U256, Point)>,
}

fn split(
    envelope: &TxEnvelope,
) -> Result<(B256, alloy_primitives::Signature), SignatureWitnessError> {
    match envelope {
        TxEnvelope::Legacy(t) => Ok((t.tx().signature_hash(), *t.signature())),
        TxEnvelope::Eip2930(t) => Ok((t.tx().signature_hash(), *t.signature())),
        TxEnvelope::Eip1559(t) => Ok((t.tx().signature_hash(), *t.signature())),
        _ => Err(SignatureWitnessError::UnsupportedType),
    }
}

/// The witness of `envelope`'s signature (legacy, EIP-2930 or EIP-1559).
pub fn signature_witness(envelope: &TxEnvelope) -> Result<SignatureWitness, SignatureWitnessError> {
    let (hash, signature) = split(envelope)?;
    let (r, s) = (signature.r(), signature.s());
    if r.is_zero() || s.is_zero() || r >= ORDER || s >= ORDER {
        return Err(SignatureWitnessError::OutOfRange);
    }
    if s > ORDER >> 1 {
        return Err(SignatureWitnessError::HighS);
    }
    let r_point = lift_x(r, signature.v()).ok_or(SignatureWitnessError::Unrecoverable)?;
    let key = signature
        .recover_from_prehash(&hash)
        .map_err(|_| SignatureWitnessError::Unrecoverable)?;
    let encoded = key.as_affine().to_encoded_point(false);
    let (x, y) = match (encoded.x(), encoded.y()) {
        (Some(x), Some(y)) => (U256::from_be_slice(x), U256::from_be_slice(y)),
        _ => return Err(SignatureWitnessError::Unrecoverable),
    };
    let mut coordinates = [0u8; 64];
    coordinates[..32].copy_from_slice(&x.to_be_bytes::<32>());
    coordinates[32..].copy_from_slice(&y.to_be_bytes::<32>());
    let signer = Address::from_slice(&keccak256(coordinates)[12..]);
    let z = U256::from_be_bytes(hash.0);
    Ok(SignatureWitness {
        signing_hash: hash,
        public_key: (x, y),
        signer,
        equation: ecdsa_work(r_point, (x, y), r, s, z),
    })
}
