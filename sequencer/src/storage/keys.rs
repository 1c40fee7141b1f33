//! Column families and key layouts. Integers are big-endian so that RocksDB's byte order
//! is numeric order, which range scans and `seek_for_prev` history lookups rely on.

use alloy_primitives::Address;

use super::{StoreError, StoreResult};

pub const CF_META: &str = "meta";
pub const CF_LEAVES: &str = "leaves";
pub const CF_LEAF_HISTORY: &str = "leaf_history";
pub const CF_ACCOUNT_HISTORY: &str = "account_history";
pub const CF_BLOCKS: &str = "blocks";
pub const CF_BLOCK_HASHES: &str = "block_hashes";
pub const CF_TXS: &str = "txs";
pub const CF_BATCHES: &str = "batches";
pub const CF_JOURNAL: &str = "journal";
pub const CF_CREDITED_DEPOSITS: &str = "credited_deposits";

pub const ALL_CFS: [&str; 10] = [
    CF_META,
    CF_LEAVES,
    CF_LEAF_HISTORY,
    CF_ACCOUNT_HISTORY,
    CF_BLOCKS,
    CF_BLOCK_HASHES,
    CF_TXS,
    CF_BATCHES,
    CF_JOURNAL,
    CF_CREDITED_DEPOSITS,
];

/// Column families that older versions kept and nothing reads any more: proving state
/// (now the proof coordinator's), and tree nodes by batch (the prover rebuilds the tree from
/// the leaf history; writing them was most of each block's keys).
pub const LEGACY_CFS: [&str; 4] = ["batch_proofs", "proving", "aggregation", "node_history"];

pub const META_HEAD: &[u8] = b"head";
pub const META_GENESIS: &[u8] = b"genesis";

/// `index ‖ batch`: a leaf as of the end of `batch`.
pub fn leaf_history_key(index: u64, batch: u64) -> [u8; 16] {
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&index.to_be_bytes());
    k[8..].copy_from_slice(&batch.to_be_bytes());
    k
}

/// `address ‖ block`: an account as of the end of `block`.
pub fn account_history_key(address: &Address, block: u64) -> [u8; 28] {
    let mut k = [0u8; 28];
    k[..20].copy_from_slice(address.as_slice());
    k[20..].copy_from_slice(&block.to_be_bytes());
    k
}

pub fn encode_account(nonce: u64, balance: u128) -> [u8; 24] {
    let mut v = [0u8; 24];
    v[..8].copy_from_slice(&nonce.to_be_bytes());
    v[8..].copy_from_slice(&balance.to_be_bytes());
    v
}

pub fn decode_account(v: &[u8]) -> StoreResult<(u64, u128)> {
    if v.len() != 24 {
        return Err(StoreError::Corrupt("bad account record".into()));
    }
    let nonce = u64::from_be_bytes(v[..8].try_into().expect("8 bytes"));
    let balance = u128::from_be_bytes(v[8..].try_into().expect("16 bytes"));
    Ok((nonce, balance))
}

pub fn decode_u64(v: &[u8]) -> StoreResult<u64> {
    v.try_into()
        .map(u64::from_be_bytes)
        .map_err(|_| StoreError::Corrupt("bad u64".into()))
}
