//! Data availability: the byte encodings of a batch's data, so that anyone can re-execute
//! it, and their packing into EIP-4844 blobs. Version 1 carries the signed transactions;
//! version 2 ([`encode_transfers`]) only what the transfers did, for batches whose
//! signatures a signature proof covers (accounts by index, nonces implied, fee fields
//! listed once per batch).
//!
//! The sequencer uses [`encoded_len`] to seal batches before they outgrow one blob; posting
//! blobs to L1 arrives with the L1 issue.

mod blob;
mod encoding;
mod transfers;

pub use blob::{pack_blobs, unpack_blobs, BLOB_BYTES, USABLE_BYTES_PER_BLOB};
pub use encoding::{
    decode, encode, encoded_len, BatchData, BlockData, DecodeError, BATCH_HEADER_BYTES,
    BLOCK_HEADER_BYTES, TX_HEADER_BYTES,
};
pub use transfers::{
    decode_transfers, encode_transfers, AccountIndex, Accounts, TransferBlock, TransferDataError,
    TRANSFERS_VERSION,
};
