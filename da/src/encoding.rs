//! Batch data format, version 1:
//!
//! ```text
//! batch := version:u8 block_count:u32 block*
//! block := timestamp:u64 tx_count:u32 tx*
//! tx    := len:u24 raw:[u8; len]        (the signed EIP-2718 transaction)
//! ```
//! Integers are big-endian. Raw signed transactions are kept as sent, so senders are
//! recovered from the data itself and nothing is trusted from the sequencer.

use alloy_primitives::Bytes;
use thiserror::Error;

/// Format version written first.
pub const VERSION: u8 = 1;
/// Bytes of the batch header.
pub const BATCH_HEADER_BYTES: usize = 1 + 4;
/// Bytes of each block header.
pub const BLOCK_HEADER_BYTES: usize = 8 + 4;
/// Bytes in front of each transaction.
pub const TX_HEADER_BYTES: usize = 3;
/// Largest transaction the format can carry.
pub const MAX_TX_BYTES: usize = (1 << 24) - 1;

/// One block's share of a batch.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BlockData {
    /// Block timestamp (unix seconds).
    pub timestamp: u64,
    /// Signed transactions in execution order.
    pub txs: Vec<Bytes>,
}

/// Everything a batch publishes.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BatchData {
    /// Blocks in order.
    pub blocks: Vec<BlockData>,
}

/// Why bytes are not a batch.
#[derive(Debug, Error, PartialEq, Eq)]
pub enum DecodeError {
    /// Unknown version byte.
    #[error("unsupported batch data version {0}")]
    Version(u8),
    /// Input ended early.
    #[error("batch data truncated")]
    Truncated,
    /// Bytes left after the last block.
    #[error("{0} trailing bytes after batch data")]
    Trailing(usize),
}

/// Length of the encoding of a batch with these blocks, where each block is given by the
/// lengths of its transactions. Lets the sequencer size a batch without encoding it.
pub fn encoded_len<'a>(blocks: impl IntoIterator<Item = &'a [usize]>) -> usize {
    BATCH_HEADER_BYTES
        + blocks
            .into_iter()
            .map(|txs| BLOCK_HEADER_BYTES + txs.iter().map(|l| TX_HEADER_BYTES + l).sum::<usize>())
            .sum::<usize>()
}

/// Encodes a batch. Panics only if a transaction exceeds [`MAX_TX_BYTES`], which the
/// sequencer's size limit rules out.
pub fn encode(batch: &BatchData) -> Vec<u8> {
    let mut out = Vec::new();
    out.push(VERSION);
    out.extend_from_slice(&(batch.blocks.len() as u32).to_be_bytes());
    for block in &batch.blocks {
        out.extend_from_slice(&block.timestamp.to_be_bytes());
        out.extend_from_slice(&(block.txs.len() as u32).to_be_bytes());
        for tx in &block.txs {
            assert!(
                tx.len() <= MAX_TX_BYTES,
                "transaction too large for batch data"
            );
            out.extend_from_slice(&(tx.len() as u32).to_be_bytes()[1..]);
            out.extend_from_slice(tx);
        }
    }
    out
}

/// Decodes [`encode`]'s output, rejecting anything else.
pub fn decode(mut bytes: &[u8]) -> Result<BatchData, DecodeError> {
    fn take<'a>(bytes: &mut &'a [u8], n: usize) -> Result<&'a [u8], DecodeError> {
        if bytes.len() < n {
            return Err(DecodeError::Truncated);
        }
        let (head, rest) = bytes.split_at(n);
        *bytes = rest;
        Ok(head)
    }
    fn uint(bytes: &mut &[u8], n: usize) -> Result<u64, DecodeError> {
        Ok(take(bytes, n)?
            .iter()
            .fold(0u64, |acc, b| (acc << 8) | u64::from(*b)))
    }
    let version = uint(&mut bytes, 1)? as u8;
    if version != VERSION {
        return Err(DecodeError::Version(version));
    }
    let block_count = uint(&mut bytes, 4)?;
    let mut blocks = Vec::new();
    for _ in 0..block_count {
        let timestamp = uint(&mut bytes, 8)?;
        let tx_count = uint(&mut bytes, 4)?;
        let mut txs = Vec::new();
        for _ in 0..tx_count {
            let len = uint(&mut bytes, 3)? as usize;
            txs.push(Bytes::copy_from_slice(take(&mut bytes, len)?));
        }
        blocks.push(BlockData { timestamp, txs });
    }
    if !bytes.is_empty() {
        return Err(DecodeError::Trailing(bytes.len()));
    }
    Ok(BatchData { blocks })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn roundtrip_and_predicted_length(blocks in prop::collection::vec(
            (any::<u64>(), prop::collection::vec(prop::collection::vec(any::<u8>(), 0..200), 0..6)), 0..5)) {
            let batch = BatchData {
                blocks: blocks.iter().map(|(ts, txs)| BlockData {
                    timestamp: *ts,
                    txs: txs.iter().map(|t| Bytes::copy_from_slice(t)).collect(),
                }).collect(),
            };
            let bytes = encode(&batch);
            let lens: Vec<Vec<usize>> = batch.blocks.iter().map(|b| b.txs.iter().map(|t| t.len()).collect()).collect();
            prop_assert_eq!(encoded_len(lens.iter().map(|v| v.as_slice())), bytes.len());
            prop_assert_eq!(decode(&bytes), Ok(batch));
        }
    }

    #[test]
    fn rejects_bad_input() {
        assert_eq!(decode(&[]), Err(DecodeError::Truncated));
        assert_eq!(decode(&[9, 0, 0, 0, 0]), Err(DecodeError::Version(9)));
        assert_eq!(decode(&[1, 0, 0, 0, 1]), Err(DecodeError::Truncated));
        assert_eq!(decode(&[1, 0, 0, 0, 0, 7]), Err(DecodeError::Trailing(1)));
    }
}
