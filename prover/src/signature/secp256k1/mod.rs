//! secp256k1 arithmetic for signature proofs. Built so far: [`field_mul`], a starky table of
//! multiplications modulo the curve's base field prime, with 16-bit limbs range-checked by
//! a logUp lookup. The curve operations (the ECDSA check s·R = z·G + r·Q with prover-given
//! slopes) will be rows of this table reached by cross-table lookups; they are not built
//! yet.

pub mod curve;
pub mod field_mul;
pub mod identity;
pub mod scalar_mul;
