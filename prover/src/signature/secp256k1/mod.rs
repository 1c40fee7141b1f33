//! secp256k1 arithmetic for signature proofs: [`identity`], modular identities over 16-bit
//! limbs (the one place limb arithmetic is written); [`field_mul`], a table of field
//! products; [`msm`], tables of (multi-)scalar multiplications, among them the ECDSA
//! equation s·R − r·Q − z·G = 0; [`curve`], the native point arithmetic that fills them.

pub mod curve;
pub mod ecdsa;
pub mod field_mul;
pub mod identity;
pub mod msm;
pub mod range;
#[cfg(test)]
mod testing;
