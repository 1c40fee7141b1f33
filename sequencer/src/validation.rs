//! Stateless checks of a raw transaction: decoding, type, chain id, shape of a transfer,
//! gas and fee fields, and the signature. Stateful checks (nonce, balance) belong to the
//! mempool, which holds the sender's pending transactions.

use alloy_consensus::transaction::SignerRecoverable;
use alloy_consensus::{Transaction, TxEnvelope};
use alloy_eips::eip2718::Decodable2718;
use alloy_primitives::{Bytes, B256, U256};
use quire_primitives::transfer::TransferDecodeError;
use quire_primitives::transfer::TRANSFER_GAS;
use quire_primitives::Transfer;

use crate::error::TxError;

/// Chain parameters the checks need.
#[derive(Clone, Copy, Debug)]
pub struct ValidationRules {
    /// EIP-155 chain id.
    pub chain_id: u64,
    /// Base fee per gas.
    pub base_fee: u64,
    /// Block gas limit.
    pub block_gas_limit: u64,
    /// Largest accepted encoding.
    pub max_tx_bytes: usize,
}

/// A transaction that passed every stateless check, with its recovered sender.
#[derive(Clone, Debug)]
pub struct ValidatedTx {
    /// Transaction hash.
    pub hash: B256,
    /// The signed EIP-2718 bytes as received.
    pub raw: Bytes,
    /// Decoded transaction.
    pub envelope: TxEnvelope,
    /// The transfer it performs (amounts saturate at `u128::MAX`; any such transaction
    /// fails the balance check before it is used).
    pub transfer: Transfer,
    /// `gas_limit × max_fee_per_gas + value`: what the sender must hold up front.
    pub upfront_cost: U256,
}

/// Decodes and checks `raw`.
pub fn validate(raw: Bytes, rules: &ValidationRules) -> Result<ValidatedTx, TxError> {
    if raw.len() > rules.max_tx_bytes {
        return Err(TxError::Oversized {
            size: raw.len(),
            limit: rules.max_tx_bytes,
        });
    }
    let mut buf = raw.as_ref();
    let envelope = TxEnvelope::decode_2718(&mut buf).map_err(|e| TxError::Decode(e.to_string()))?;
    if !buf.is_empty() {
        return Err(TxError::Decode(format!("{} trailing bytes", buf.len())));
    }
    if matches!(envelope, TxEnvelope::Eip4844(_) | TxEnvelope::Eip7702(_)) {
        return Err(TxError::UnsupportedType);
    }
    match envelope.chain_id() {
        None => return Err(TxError::NotReplayProtected),
        Some(have) if have != rules.chain_id => {
            return Err(TxError::WrongChainId {
                have,
                want: rules.chain_id,
            })
        }
        Some(_) => {}
    }
    if envelope.to().is_none() {
        return Err(TxError::ContractCreation);
    }
    if !envelope.input().is_empty() {
        return Err(TxError::Calldata);
    }
    if envelope.access_list().is_some_and(|l| !l.is_empty()) {
        return Err(TxError::AccessList);
    }
    let gas_limit = envelope.gas_limit();
    if gas_limit < TRANSFER_GAS {
        return Err(TxError::IntrinsicGasTooLow { have: gas_limit });
    }
    if gas_limit > rules.block_gas_limit {
        return Err(TxError::GasLimitExceeded);
    }
    let max_fee = envelope.max_fee_per_gas();
    let max_tip = envelope.max_priority_fee_per_gas().unwrap_or(max_fee);
    if max_tip > max_fee {
        return Err(TxError::TipAboveFeeCap);
    }
    if max_fee < u128::from(rules.base_fee) {
        return Err(TxError::FeeCapTooLow {
            max_fee,
            base_fee: rules.base_fee,
        });
    }
    // Signature last: it is the expensive check. `recover_signer` rejects high-s values.
    let sender = envelope
        .recover_signer()
        .map_err(|_| TxError::InvalidSignature)?;
    let transfer = Transfer::from_envelope(&envelope, sender).map_err(|e| match e {
        TransferDecodeError::ContractCreation => TxError::ContractCreation,
        _ => TxError::UnsupportedType,
    })?;
    let value = envelope.value();
    if transfer.to == quire_primitives::WITHDRAWAL_ADDRESS && value.is_zero() {
        return Err(TxError::EmptyWithdrawal);
    }
    // Saturating: U256 arithmetic wraps, and a wrapped cost would pass the balance check.
    let upfront_cost = U256::from(gas_limit)
        .saturating_mul(U256::from(max_fee))
        .saturating_add(value);
    Ok(ValidatedTx {
        hash: *envelope.tx_hash(),
        raw,
        envelope,
        transfer,
        upfront_cost,
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use alloy::consensus::{SignableTransaction, TxEip1559, TxLegacy};
    use alloy::eips::eip2718::Encodable2718;
    use alloy::network::TxSignerSync;
    use alloy::primitives::{address, Address, TxKind};
    use alloy::signers::local::PrivateKeySigner;

    pub const CHAIN: u64 = 271_828;

    pub fn rules() -> ValidationRules {
        ValidationRules {
            chain_id: CHAIN,
            base_fee: 1_000,
            block_gas_limit: 30_000_000,
            max_tx_bytes: 4096,
        }
    }

    pub fn eip1559(nonce: u64, to: Address, value: u64) -> TxEip1559 {
        quire_test_support::transfer(CHAIN, nonce, to, U256::from(value), 2_000, 100)
    }

    pub use quire_test_support::sign;

    fn signer() -> PrivateKeySigner {
        quire_test_support::key(6)
    }

    const TO: Address = address!("0x00000000000000000000000000000000000000aa");

    #[test]
    fn accepts_a_signed_transfer() {
        let s = signer();
        let v = validate(sign(&s, eip1559(3, TO, 5)), &rules()).unwrap();
        assert_eq!(v.transfer.sender, s.address());
        assert_eq!(v.transfer.nonce, 3);
        assert_eq!(v.upfront_cost, U256::from(21_000u64 * 2_000 + 5));
    }

    #[test]
    fn refuses_malformed_and_wrong_shape() {
        let r = rules();
        assert!(matches!(
            validate(Bytes::from_static(&[0x02, 0xc0]), &r),
            Err(TxError::Decode(_))
        ));
        assert!(matches!(
            validate(Bytes::from_static(&[0xf8]), &r),
            Err(TxError::Decode(_))
        ));
        let s = signer();
        let mut bad = eip1559(0, TO, 1);
        bad.chain_id = 1;
        assert_eq!(
            validate(sign(&s, bad), &r).unwrap_err(),
            TxError::WrongChainId {
                have: 1,
                want: CHAIN
            }
        );
        let mut create = eip1559(0, TO, 1);
        create.to = TxKind::Create;
        assert_eq!(
            validate(sign(&s, create), &r).unwrap_err(),
            TxError::ContractCreation
        );
        let mut call = eip1559(0, TO, 1);
        call.input = Bytes::from_static(&[1, 2, 3]);
        assert_eq!(validate(sign(&s, call), &r).unwrap_err(), TxError::Calldata);
        let mut low_gas = eip1559(0, TO, 1);
        low_gas.gas_limit = 20_999;
        assert!(matches!(
            validate(sign(&s, low_gas), &r),
            Err(TxError::IntrinsicGasTooLow { .. })
        ));
        let mut cheap = eip1559(0, TO, 1);
        cheap.max_fee_per_gas = 999;
        cheap.max_priority_fee_per_gas = 1;
        assert!(matches!(
            validate(sign(&s, cheap), &r),
            Err(TxError::FeeCapTooLow { .. })
        ));
        let mut tip = eip1559(0, TO, 1);
        tip.max_priority_fee_per_gas = 3_000;
        assert_eq!(
            validate(sign(&s, tip), &r).unwrap_err(),
            TxError::TipAboveFeeCap
        );
        let mut big = sign(&s, eip1559(0, TO, 1)).to_vec();
        big.push(0);
        assert!(matches!(validate(big.into(), &r), Err(TxError::Decode(_))));
        let mut tiny = r;
        tiny.max_tx_bytes = 10;
        assert!(matches!(
            validate(sign(&s, eip1559(0, TO, 1)), &tiny),
            Err(TxError::Oversized { .. })
        ));
    }

    #[test]
    fn refuses_unprotected_legacy() {
        let s = signer();
        let mut tx = TxLegacy {
            chain_id: None,
            nonce: 0,
            gas_price: 2_000,
            gas_limit: 21_000,
            to: TxKind::Call(TO),
            value: U256::from(1),
            ..Default::default()
        };
        let sig = s.sign_transaction_sync(&mut tx).unwrap();
        let raw: Bytes = TxEnvelope::from(tx.into_signed(sig)).encoded_2718().into();
        assert_eq!(
            validate(raw, &rules()).unwrap_err(),
            TxError::NotReplayProtected
        );
    }

    #[test]
    fn refuses_high_s_and_corrupted_signatures() {
        let s = signer();
        let mut tx = eip1559(0, TO, 1);
        let sig = s.sign_transaction_sync(&mut tx).unwrap();
        // The same signature with s' = n - s and the parity flipped recovers the same key
        // (malleability); EIP-2 requires refusing it.
        let n = U256::from_str_radix(
            "fffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141",
            16,
        )
        .unwrap();
        let high = alloy::primitives::Signature::new(sig.r(), n - sig.s(), !sig.v());
        let raw: Bytes = TxEnvelope::from(tx.clone().into_signed(high))
            .encoded_2718()
            .into();
        assert_eq!(
            validate(raw, &rules()).unwrap_err(),
            TxError::InvalidSignature
        );
        let zero = alloy::primitives::Signature::new(U256::ZERO, U256::from(1), false);
        let raw: Bytes = TxEnvelope::from(tx.into_signed(zero)).encoded_2718().into();
        assert_eq!(
            validate(raw, &rules()).unwrap_err(),
            TxError::InvalidSignature
        );
    }
}
