//! Keys and signed transfers for tests and load generators, so that every crate's tests
//! build and sign transactions one way: the way a wallet does (alloy's local signer and
//! EIP-2718 encoding).

use alloy::consensus::{SignableTransaction, Signed, TxEip1559, TxEip2930, TxEnvelope, TxLegacy};
use alloy::eips::eip2718::Encodable2718;
use alloy::network::TxSignerSync;
use alloy::primitives::{Address, Bytes, Signature, TxKind, U256};
use alloy::signers::local::PrivateKeySigner;

/// A deterministic test key: the scalar `[i + 1; 32]` (never zero, always below the curve
/// order).
pub fn key(i: u8) -> PrivateKeySigner {
    PrivateKeySigner::from_slice(&[i.wrapping_add(1).max(1); 32]).expect("a valid scalar")
}

/// An EIP-1559 transfer of `value` wei to `to`, gas limit 21,000, for tests to adjust.
pub fn transfer(
    chain_id: u64,
    nonce: u64,
    to: Address,
    value: U256,
    max_fee_per_gas: u128,
    max_priority_fee_per_gas: u128,
) -> TxEip1559 {
    TxEip1559 {
        chain_id,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas,
        max_priority_fee_per_gas,
        to: TxKind::Call(to),
        value,
        ..Default::default()
    }
}

/// `tx` signed by `signer`, EIP-2718 encoded: what `eth_sendRawTransaction` takes.
pub fn sign(signer: &PrivateKeySigner, mut tx: TxEip1559) -> Bytes {
    let sig = signer
        .sign_transaction_sync(&mut tx)
        .expect("a local key signs");
    TxEnvelope::from(tx.into_signed(sig)).encoded_2718().into()
}

/// Any transaction signed by `signer`, as an envelope.
pub fn sign_envelope<T>(signer: &PrivateKeySigner, mut tx: T) -> TxEnvelope
where
    T: SignableTransaction<Signature>,
    Signed<T>: Into<TxEnvelope>,
{
    let sig = signer
        .sign_transaction_sync(&mut tx)
        .expect("a local key signs");
    tx.into_signed(sig).into()
}

/// One transfer of each accepted type (0 legacy with EIP-155, 1 EIP-2930, 2 EIP-1559),
/// with gas price `fee` (EIP-1559: max fee `fee`, tip `fee / 2`), signed by `signer`.
pub fn typed_transfer(
    signer: &PrivateKeySigner,
    kind: u8,
    chain_id: u64,
    nonce: u64,
    to: Address,
    value: U256,
    fee: u128,
) -> TxEnvelope {
    let to = TxKind::Call(to);
    match kind {
        0 => sign_envelope(
            signer,
            TxLegacy {
                chain_id: Some(chain_id),
                nonce,
                gas_price: fee,
                gas_limit: 21_000,
                to,
                value,
                ..Default::default()
            },
        ),
        1 => sign_envelope(
            signer,
            TxEip2930 {
                chain_id,
                nonce,
                gas_price: fee,
                gas_limit: 21_000,
                to,
                value,
                ..Default::default()
            },
        ),
        _ => sign_envelope(
            signer,
            TxEip1559 {
                chain_id,
                nonce,
                max_fee_per_gas: fee,
                max_priority_fee_per_gas: fee / 2,
                gas_limit: 21_000,
                to,
                value,
                ..Default::default()
            },
        ),
    }
}

/// Batches of signed transfers for benchmarks and fixtures: batch `n` (1-based) holds
/// `per_batch` transfers, the k-th from key `k` (nonce n − 1, type k mod 3) to address
/// `0x64 + k` repeated, of 1,000 + n wei at gas price `fee`.
pub fn signed_batches(
    batches: u64,
    per_batch: u8,
    chain_id: u64,
    fee: u128,
) -> Vec<Vec<TxEnvelope>> {
    (1..=batches)
        .map(|n| {
            (0..per_batch)
                .map(|k| {
                    typed_transfer(
                        &key(k),
                        k % 3,
                        chain_id,
                        n - 1,
                        Address::repeat_byte(0x64 + k),
                        U256::from(1_000 + n),
                        fee,
                    )
                })
                .collect()
        })
        .collect()
}

/// [`sign`] as the 0x-hex string a JSON-RPC request carries.
pub fn sign_hex(signer: &PrivateKeySigner, tx: TxEip1559) -> String {
    sign(signer, tx).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::consensus::transaction::SignerRecoverable;
    use alloy::eips::eip2718::Decodable2718;

    #[test]
    fn a_signed_transfer_recovers_its_signer() {
        let k = key(3);
        let raw = sign(
            &k,
            transfer(7, 0, Address::repeat_byte(1), U256::from(5), 10, 1),
        );
        let envelope = TxEnvelope::decode_2718(&mut raw.as_ref()).unwrap();
        assert_eq!(envelope.recover_signer().unwrap(), k.address());
        assert!(sign_hex(&k, transfer(7, 0, Address::ZERO, U256::ZERO, 1, 1)).starts_with("0x"));
    }
}
