//! Data availability: the byte encodings of a batch's data, so that anyone can re-execute
//! it, and their packing into EIP-4844 blobs. Version 1 carries the signed transactions;
//! version 2 ([`encode_transfers`]) only what the transfers did, for batches whose
//! signatures a signature proof covers (accounts by index, nonces implied, fee fields
//! listed once per batch).
//!
//! An L1 commit publishes a window of batches ([`encode_window`]) in EIP-4844 blobs
//! ([`blob_sidecar`]) or calldata; [`data_from_blobs`] reads it back, checked against the
//! versioned hashes L1 recorded. The sequencer uses [`encoded_len`] to seal batches before
//! their version-1 encoding outgrows one blob.

mod blob;
mod encoding;
mod transfers;
mod window;

pub use blob::{
    blob_sidecar, blobs_for, data_from_blobs, load_kzg_settings, BlobError, BLOB_BYTES,
    USABLE_BYTES_PER_BLOB,
};
pub use encoding::{
    decode, encode, encoded_len, BatchData, BlockData, DecodeError, BATCH_HEADER_BYTES,
    BLOCK_HEADER_BYTES, TX_HEADER_BYTES,
};
pub use transfers::{
    decode_transfers, encode_transfers, AccountIndex, Accounts, DepositCredit, TransferBlock,
    TransferDataError, TRANSFERS_VERSION,
};
pub use window::{decode_window, encode_window, WindowBatch, WindowData, WINDOW_VERSION};
