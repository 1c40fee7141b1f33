//! L2 block headers.

use alloy_primitives::{keccak256, Address, B256};
use alloy_rlp::{RlpDecodable, RlpEncodable};
use serde::{Deserialize, Serialize};

/// Header of an L2 block. Its keccak hash (over the RLP encoding) is the block hash wallets
/// see; `state_root` is the Poseidon root of the state tree after the block.
#[derive(Clone, Debug, PartialEq, Eq, RlpEncodable, RlpDecodable, Serialize, Deserialize)]
pub struct BlockHeader {
    /// Height; 0 is genesis.
    pub number: u64,
    /// Hash of the previous block (zero for genesis).
    pub parent_hash: B256,
    /// Unix seconds when the block was built.
    pub timestamp: u64,
    /// Receiver of the block's fees.
    pub fee_recipient: Address,
    /// Poseidon state root after the block, as 32 bytes.
    pub state_root: B256,
    /// Poseidon commitment to the block's transfers ([`crate::TxCommitment`]).
    pub tx_commitment: B256,
    /// Batch the block belongs to.
    pub batch_number: u64,
    /// Transfers in the block.
    pub tx_count: u64,
    /// Gas used (21,000 per transfer).
    pub gas_used: u64,
    /// Gas limit of the block.
    pub gas_limit: u64,
    /// Base fee per gas.
    pub base_fee: u64,
}

impl BlockHeader {
    /// The block hash.
    pub fn hash(&self) -> B256 {
        keccak256(alloy_rlp::encode(self))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rlp_roundtrip_and_hash_covers_fields() {
        let h = BlockHeader {
            number: 7,
            parent_hash: B256::repeat_byte(1),
            timestamp: 1_700_000_000,
            fee_recipient: Address::repeat_byte(2),
            state_root: B256::repeat_byte(3),
            tx_commitment: B256::repeat_byte(4),
            batch_number: 1,
            tx_count: 2,
            gas_used: 42_000,
            gas_limit: 30_000_000,
            base_fee: 1_000,
        };
        let encoded = alloy_rlp::encode(&h);
        let decoded: BlockHeader = alloy_rlp::Decodable::decode(&mut encoded.as_slice()).unwrap();
        assert_eq!(decoded, h);
        assert_ne!(
            BlockHeader {
                state_root: B256::ZERO,
                ..h.clone()
            }
            .hash(),
            h.hash()
        );
    }
}
