//! Stored record types.

use alloy_primitives::{Address, Bytes, B256};
use alloy_rlp::{Decodable, RlpDecodable, RlpEncodable};
use quire_primitives::{BlockHeader, Deposit};

use super::{StoreError, StoreResult};

/// A block as stored: header plus its transaction hashes in order.
#[derive(Clone, Debug, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct StoredBlock {
    /// The header.
    pub header: BlockHeader,
    /// Transaction hashes in execution order.
    pub tx_hashes: Vec<B256>,
    /// L1 deposits credited at the start of the block, in queue order.
    pub deposits: Vec<CreditedDeposit>,
}

/// An L1 deposit as the sequencer records crediting it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct CreditedDeposit {
    /// Queue index.
    pub index: u64,
    /// Credited account.
    pub recipient: Address,
    /// Wei credited.
    pub amount: u128,
    /// L1 block of the deposit.
    pub l1_block: u64,
}

impl From<&Deposit> for CreditedDeposit {
    fn from(d: &Deposit) -> Self {
        Self {
            index: d.index,
            recipient: d.recipient,
            amount: d.amount,
            l1_block: d.l1_block,
        }
    }
}

impl From<&CreditedDeposit> for Deposit {
    fn from(d: &CreditedDeposit) -> Self {
        Self {
            index: d.index,
            recipient: d.recipient,
            amount: d.amount,
            l1_block: d.l1_block,
        }
    }
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
