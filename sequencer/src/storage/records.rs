//! Stored record types.

use alloy_primitives::{Address, Bytes, B256};
use alloy_rlp::{Decodable, RlpDecodable, RlpEncodable};
use quire_primitives::BlockHeader;

use super::{StoreError, StoreResult};

/// A block as stored: header plus its transaction hashes in order.
#[derive(Clone, Debug, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct StoredBlock {
    /// The header.
    pub header: BlockHeader,
    /// Transaction hashes in execution order.
    pub tx_hashes: Vec<B256>,
}

/// An included transaction and where it is.
#[derive(Clone, Debug, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct TxRecord {
    /// Block that includes it.
    pub block_number: u64,
    /// Position in the block.
    pub index: u64,
    /// Recovered sender.
    pub sender: Address,
    /// Signed EIP-2718 bytes.
    pub raw: Bytes,
}

pub fn decode<T: Decodable>(bytes: &[u8], what: &str) -> StoreResult<T> {
    T::decode(&mut &bytes[..]).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}
