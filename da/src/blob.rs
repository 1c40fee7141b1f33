//! Packing a window's bytes into EIP-4844 blobs, with KZG commitments and proofs, through
//! alloy's sidecar builder (c-kzg and the Ethereum trusted setup): 31 data bytes per
//! field element (the first byte of each stays zero, below the BLS12-381 modulus), one
//! length element in front.

use alloy_eips::eip4844::builder::{SidecarBuilder, SidecarCoder, SimpleCoder};
use alloy_eips::eip4844::env_settings::EnvKzgSettings;
use alloy_eips::eip4844::{Blob, BlobTransactionSidecar};
use alloy_primitives::B256;
use thiserror::Error;

/// Bytes in a blob.
pub const BLOB_BYTES: usize = 131_072;
/// Data bytes a blob carries: 4096 field elements of 31 bytes.
pub const USABLE_BYTES_PER_BLOB: usize = 4096 * 31;

/// Why blobs could not be built or read.
#[derive(Debug, Error)]
pub enum BlobError {
    /// c-kzg refused (commitment or proof computation).
    #[error("KZG: {0}")]
    Kzg(String),
    /// The blobs do not hold one length-prefixed piece of data.
    #[error("blobs do not decode: {0}")]
    Malformed(&'static str),
    /// A blob's versioned hash is not the one L1 recorded.
    #[error("blob {index} has versioned hash {got}, L1 recorded {expected}")]
    VersionedHash {
        /// Position in the window.
        index: usize,
        /// What L1 recorded.
        expected: B256,
        /// What the blob hashes to.
        got: B256,
    },
    /// Another number of blobs than L1 recorded.
    #[error("{got} blobs where L1 recorded {expected}")]
    Count {
        /// What L1 recorded.
        expected: usize,
        /// What was supplied.
        got: usize,
    },
}

/// The sidecar (blobs, KZG commitments and proofs) carrying `data`.
pub fn blob_sidecar(data: &[u8]) -> Result<BlobTransactionSidecar, BlobError> {
    SidecarBuilder::<SimpleCoder>::from_slice(data)
        .build_4844()
        .map_err(|e| BlobError::Kzg(e.to_string()))
}

/// Loads the KZG trusted setup (≈ 4 s of CPU on a 2-core machine, once per process) so
/// that the first window's sidecar does not pay for it: a node calls this at start-up, off
/// the paths that serve transactions.
pub fn load_kzg_settings() {
    EnvKzgSettings::Default.get();
}

/// How many blobs `len` bytes of data take (one length element, then 31 bytes each).
pub fn blobs_for(len: usize) -> usize {
    (len.div_ceil(31) + 1).div_ceil(4096).max(1)
}

/// The data of blobs that L1 recorded under `versioned_hashes`: each blob's KZG commitment
/// is recomputed and must hash to the recorded versioned hash, then the bytes are decoded.
pub fn data_from_blobs(blobs: &[Blob], versioned_hashes: &[B256]) -> Result<Vec<u8>, BlobError> {
    if blobs.len() != versioned_hashes.len() {
        return Err(BlobError::Count {
            expected: versioned_hashes.len(),
            got: blobs.len(),
        });
    }
    let sidecar = BlobTransactionSidecar::try_from_blobs_with_settings(
        blobs.to_vec(),
        EnvKzgSettings::Default.get(),
    )
    .map_err(|e| BlobError::Kzg(e.to_string()))?;
    for (index, (got, expected)) in sidecar.versioned_hashes().zip(versioned_hashes).enumerate() {
        if got != *expected {
            return Err(BlobError::VersionedHash {
                index,
                expected: *expected,
                got,
            });
        }
    }
    let mut pieces = SimpleCoder::default()
        .decode_all(blobs)
        .ok_or(BlobError::Malformed("not canonical length-prefixed data"))?;
    match pieces.len() {
        1 => Ok(pieces.pop().expect("one piece")),
        _ => Err(BlobError::Malformed("not exactly one piece of data")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_across_blob_boundaries_with_versioned_hashes() {
        for len in [1, USABLE_BYTES_PER_BLOB - 40, USABLE_BYTES_PER_BLOB + 10] {
            let data: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
            let sidecar = blob_sidecar(&data).unwrap();
            assert_eq!(sidecar.blobs.len(), blobs_for(len), "len {len}");
            let hashes: Vec<B256> = sidecar.versioned_hashes().collect();
            assert_eq!(data_from_blobs(&sidecar.blobs, &hashes).unwrap(), data);
        }
    }

    #[test]
    fn refuses_blobs_l1_did_not_record() {
        let sidecar = blob_sidecar(b"window data").unwrap();
        let mut hashes: Vec<B256> = sidecar.versioned_hashes().collect();
        let mut other = sidecar.blobs.clone();
        other[0][100] ^= 1;
        assert!(matches!(
            data_from_blobs(&other, &hashes),
            Err(BlobError::VersionedHash { index: 0, .. })
        ));
        hashes.push(B256::ZERO);
        assert!(matches!(
            data_from_blobs(&sidecar.blobs, &hashes),
            Err(BlobError::Count { .. })
        ));
    }
}
