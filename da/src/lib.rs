//! Data availability: the byte encoding a batch publishes so that anyone can re-execute it,
//! and its packing into EIP-4844 blobs.
//!
//! The sequencer uses [`encoded_len`] to seal batches before they outgrow one blob; posting
//! blobs to L1 arrives with the L1 issue.

mod blob;
mod encoding;

pub use blob::{pack_blobs, unpack_blobs, BLOB_BYTES, USABLE_BYTES_PER_BLOB};
pub use encoding::{
    decode, encode, encoded_len, BatchData, BlockData, DecodeError, BATCH_HEADER_BYTES,
    BLOCK_HEADER_BYTES, TX_HEADER_BYTES,
};
