//! Packing bytes into EIP-4844 blobs.
//!
//! A blob is 4096 field elements of 32 bytes, each below the BLS12-381 scalar modulus. The
//! simplest canonical packing leaves the first byte of every element zero and fills the other
//! 31, so 126,976 of a blob's 131,072 bytes carry data. A 4-byte length prefix marks where
//! the data ends inside the last blob.
//!
//! Hand-written because today only the size and the round trip matter and this keeps the
//! crate free of KZG; when batches are posted to L1 (with KZG commitments), alloy's
//! `SidecarBuilder` and its coder should replace this packing.

/// Bytes in a blob.
pub const BLOB_BYTES: usize = 131_072;
/// Field elements in a blob.
const ELEMENTS: usize = 4096;
/// Data bytes per field element.
const BYTES_PER_ELEMENT: usize = 31;
/// Data bytes a blob carries.
pub const USABLE_BYTES_PER_BLOB: usize = ELEMENTS * BYTES_PER_ELEMENT;

/// Packs `data` (length-prefixed) into as many blobs as it needs.
pub fn pack_blobs(data: &[u8]) -> Vec<Vec<u8>> {
    let mut framed = (data.len() as u32).to_be_bytes().to_vec();
    framed.extend_from_slice(data);
    framed
        .chunks(USABLE_BYTES_PER_BLOB)
        .map(|chunk| {
            let mut blob = vec![0u8; BLOB_BYTES];
            for (i, piece) in chunk.chunks(BYTES_PER_ELEMENT).enumerate() {
                blob[i * 32 + 1..i * 32 + 1 + piece.len()].copy_from_slice(piece);
            }
            blob
        })
        .collect()
}

/// Inverse of [`pack_blobs`]; `None` if the blobs are malformed.
pub fn unpack_blobs(blobs: &[Vec<u8>]) -> Option<Vec<u8>> {
    let mut framed = Vec::with_capacity(blobs.len() * USABLE_BYTES_PER_BLOB);
    for blob in blobs {
        if blob.len() != BLOB_BYTES {
            return None;
        }
        for element in blob.chunks(32) {
            if element[0] != 0 {
                return None;
            }
            framed.extend_from_slice(&element[1..]);
        }
    }
    let len = u32::from_be_bytes(framed.get(..4)?.try_into().ok()?) as usize;
    framed.get(4..4 + len).map(<[u8]>::to_vec)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roundtrip_across_blob_boundaries() {
        for len in [
            0,
            1,
            USABLE_BYTES_PER_BLOB - 4,
            USABLE_BYTES_PER_BLOB - 3,
            3 * USABLE_BYTES_PER_BLOB,
        ] {
            let data: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
            let blobs = pack_blobs(&data);
            assert_eq!(
                blobs.len(),
                (len + 4).div_ceil(USABLE_BYTES_PER_BLOB).max(1)
            );
            assert_eq!(unpack_blobs(&blobs), Some(data));
        }
    }

    #[test]
    fn rejects_non_canonical_elements() {
        let mut blobs = pack_blobs(b"hello");
        blobs[0][32] = 1;
        assert_eq!(unpack_blobs(&blobs), None);
    }
}
