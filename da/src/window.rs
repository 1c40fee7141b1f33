//! A window's data: what one L1 commit publishes so that anyone holding the state before
//! the window rebuilds the state after it. It wraps each batch's deposits and transfers
//! (format version 3, [`crate::encode_transfers`]) with what execution needs besides them:
//! the batch's base fee and fee recipient.
//!
//! ```text
//! window := version=2:u8 first_batch:varint batches:varint batch*
//! batch  := base_fee:varint fee_recipient:[u8; 20] operations:varint bytes:varint [u8; bytes]
//! ```
//! `operations` counts the batch's deposits and transfers. A batch with any whose fee
//! recipient has no account creates it first, at the next free index, as execution does;
//! both sides of the encoding apply that rule so that account indices agree.

use alloy_primitives::Address;

use crate::transfers::{put_varint, Reader};
use crate::{decode_transfers, encode_transfers, AccountIndex, TransferBlock, TransferDataError};

/// Window format version written first.
pub const WINDOW_VERSION: u8 = 2;

/// One batch of a window.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WindowBatch {
    /// Base fee of every block of the batch, wei.
    pub base_fee: u64,
    /// Fee recipient of every block of the batch.
    pub fee_recipient: Address,
    /// Its blocks of transfers.
    pub blocks: Vec<TransferBlock>,
}

impl WindowBatch {
    /// Deposits and transfers.
    fn operation_count(&self) -> usize {
        self.blocks
            .iter()
            .map(|b| b.deposits.len() + b.transfers.len())
            .sum()
    }
}

/// Consecutive batches from `first_batch` on.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WindowData {
    /// Number of the first batch.
    pub first_batch: u64,
    /// The batches in order.
    pub batches: Vec<WindowBatch>,
}

fn create_fee_recipient(batch: &WindowBatch, accounts: &mut impl AccountIndex) {
    if batch.operation_count() > 0 && accounts.index_of(&batch.fee_recipient).is_none() {
        accounts.create(batch.fee_recipient);
    }
}

/// Encodes a window executed from `accounts` (which this advances).
pub fn encode_window(
    window: &WindowData,
    accounts: &mut impl AccountIndex,
) -> Result<Vec<u8>, TransferDataError> {
    let mut out = vec![WINDOW_VERSION];
    put_varint(&mut out, window.first_batch.into());
    put_varint(&mut out, window.batches.len() as u128);
    for batch in &window.batches {
        create_fee_recipient(batch, accounts);
        let bytes = encode_transfers(&batch.blocks, accounts)?;
        put_varint(&mut out, batch.base_fee.into());
        out.extend_from_slice(batch.fee_recipient.as_slice());
        put_varint(&mut out, batch.operation_count() as u128);
        put_varint(&mut out, bytes.len() as u128);
        out.extend_from_slice(&bytes);
    }
    Ok(out)
}

/// Decodes [`encode_window`]'s output against the accounts before the window (which this
/// advances), rejecting anything else.
pub fn decode_window(
    bytes: &[u8],
    accounts: &mut impl AccountIndex,
) -> Result<WindowData, TransferDataError> {
    let mut r = Reader(bytes);
    let version = r.byte()?;
    if version != WINDOW_VERSION {
        return Err(TransferDataError::Version(version));
    }
    let first_batch = r.u64()?;
    let count = r.u64()?;
    let mut batches = Vec::new();
    for _ in 0..count {
        let base_fee = r.u64()?;
        let fee_recipient = Address::from_slice(r.take(20)?);
        let operations = r.u64()?;
        let len = usize::try_from(r.u64()?).map_err(|_| TransferDataError::Truncated)?;
        let mut batch = WindowBatch {
            base_fee,
            fee_recipient,
            blocks: Vec::new(),
        };
        if operations > 0 && accounts.index_of(&fee_recipient).is_none() {
            accounts.create(fee_recipient);
        }
        batch.blocks = decode_transfers(r.take(len)?, accounts)?;
        if batch.operation_count() as u64 != operations {
            return Err(TransferDataError::Malformed("operation count"));
        }
        batches.push(batch);
    }
    if !r.0.is_empty() {
        return Err(TransferDataError::Trailing(r.0.len()));
    }
    Ok(WindowData {
        first_batch,
        batches,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Accounts, DepositCredit};
    use proptest::prelude::*;
    use quire_primitives::Transfer;

    fn address(i: u8) -> Address {
        Address::repeat_byte(i)
    }

    /// Windows of transfers that execute from accounts 1..=4 (nonces tracked here), to
    /// existing and fresh receivers, with fee recipients that may not exist yet.
    fn windows() -> impl Strategy<Value = WindowData> {
        let transfer = (1u8..=4, 1u8..=12, any::<u64>(), 0u8..3);
        let batch = (
            any::<u64>(),
            0u8..16,
            prop::collection::vec(prop::collection::vec(transfer, 0..5), 0..3),
        );
        (0u64..1 << 40, prop::collection::vec(batch, 0..4)).prop_map(|(first_batch, batches)| {
            let mut nonces = [0u64; 5];
            let batches = batches
                .into_iter()
                .map(|(base_fee, recipient, blocks)| WindowBatch {
                    base_fee,
                    fee_recipient: address(100 + recipient),
                    blocks: blocks
                        .into_iter()
                        .enumerate()
                        .map(|(i, ts)| TransferBlock {
                            timestamp: 1_700_000_000 + i as u64,
                            // Deposits to accounts the transfers pay, some fresh.
                            deposits: ts
                                .iter()
                                .filter(|t| t.3 == 1)
                                .map(|&(_, to, value, _)| DepositCredit {
                                    recipient: address(to + 20),
                                    amount: value.into(),
                                })
                                .collect(),
                            transfers: ts
                                .into_iter()
                                .map(|(s, to, value, kind)| {
                                    let nonce = nonces[s as usize];
                                    nonces[s as usize] += 1;
                                    Transfer {
                                        tx_type: kind,
                                        sender: address(s),
                                        to: address(to),
                                        value: value.into(),
                                        nonce,
                                        gas_limit: 21_000,
                                        max_fee_per_gas: 7,
                                        max_priority_fee_per_gas: if kind == 2 { 1 } else { 7 },
                                    }
                                })
                                .collect(),
                        })
                        .collect(),
                })
                .collect();
            WindowData {
                first_batch,
                batches,
            }
        })
    }

    fn genesis() -> Accounts {
        Accounts::new((1..=4).map(|i| (address(i), 0)))
    }

    proptest! {
        #[test]
        fn decode_is_the_exact_inverse(window in windows()) {
            let bytes = encode_window(&window, &mut genesis()).unwrap();
            let mut accounts = genesis();
            prop_assert_eq!(decode_window(&bytes, &mut accounts).unwrap(), window);
            // Every strict prefix is refused.
            for cut in 0..bytes.len() {
                prop_assert!(decode_window(&bytes[..cut], &mut genesis()).is_err());
            }
        }
    }

    #[test]
    fn fee_recipient_takes_the_next_index_before_receivers() {
        let window = WindowData {
            first_batch: 1,
            batches: vec![WindowBatch {
                base_fee: 1,
                fee_recipient: address(200),
                blocks: vec![TransferBlock {
                    timestamp: 1,
                    deposits: Vec::new(),
                    transfers: vec![Transfer {
                        tx_type: 2,
                        sender: address(1),
                        to: address(9),
                        value: 5,
                        nonce: 0,
                        gas_limit: 21_000,
                        max_fee_per_gas: 2,
                        max_priority_fee_per_gas: 1,
                    }],
                }],
            }],
        };
        let mut accounts = genesis();
        let bytes = encode_window(&window, &mut accounts).unwrap();
        assert_eq!(accounts.index_of(&address(200)), Some(4));
        assert_eq!(accounts.index_of(&address(9)), Some(5));
        let mut other = bytes.clone();
        other[0] = 9;
        assert_eq!(
            decode_window(&other, &mut genesis()),
            Err(TransferDataError::Version(9))
        );
        let mut longer = bytes;
        longer.push(0);
        assert_eq!(
            decode_window(&longer, &mut genesis()),
            Err(TransferDataError::Trailing(1))
        );
    }
}
