//! Bytes in the signature circuit: every byte is a lookup into a 256-entry table, which
//! range-checks it and, for free, says whether it is zero or has its top bit set; values
//! made of bytes are linear combinations of them.

use std::sync::Arc;

use plonky2::field::types::Field;
use plonky2::iop::target::Target;

use crate::{Builder, F};

/// The circuit's byte tables.
#[derive(Clone, Copy, Debug)]
pub struct ByteTables {
    /// byte → 1 if it is zero, else 0.
    zero: usize,
    /// byte → its top bit.
    high: usize,
}

/// A range-checked byte, and what its lookup said about it.
#[derive(Clone, Copy, Debug)]
pub struct Byte {
    /// The byte.
    pub value: Target,
    /// 1 if the byte is zero.
    pub is_zero: Target,
}

impl ByteTables {
    /// Adds the tables to `b`.
    pub fn new(b: &mut Builder) -> Self {
        let table =
            |f: fn(u16) -> u16| Arc::new((0..256u16).map(|i| (i, f(i))).collect::<Vec<_>>());
        Self {
            zero: b.add_lookup_table_from_pairs(table(|i| u16::from(i == 0))),
            high: b.add_lookup_table_from_pairs(table(|i| i >> 7)),
        }
    }

    /// A new byte of the witness.
    pub fn byte(&self, b: &mut Builder) -> Byte {
        let value = b.add_virtual_target();
        self.check(b, value)
    }

    /// `n` new bytes of the witness.
    pub fn bytes(&self, b: &mut Builder, n: usize) -> Vec<Byte> {
        (0..n).map(|_| self.byte(b)).collect()
    }

    /// Range-checks `value` as a byte.
    pub fn check(&self, b: &mut Builder, value: Target) -> Byte {
        let is_zero = b.add_lookup_from_index(value, self.zero);
        Byte { value, is_zero }
    }

    /// The top bit of `value` (which this also range-checks as a byte).
    pub fn high_bit(&self, b: &mut Builder, value: Target) -> Target {
        b.add_lookup_from_index(value, self.high)
    }
}

/// Σ bytes\[i\]·256^i: little-endian bytes as one value (at most 7 bytes, or 8 whose top
/// byte is checked below 0x80, so the value stays below the field's order).
pub fn le_value(b: &mut Builder, bytes: &[Target]) -> Target {
    assert!(bytes.len() <= 8);
    bytes.iter().rev().fold(b.zero(), |acc, &byte| {
        b.mul_const_add(F::from_canonical_u64(256), acc, byte)
    })
}

/// Big-endian bytes as one value (at most 7 bytes).
pub fn be_value(b: &mut Builder, bytes: &[Target]) -> Target {
    assert!(bytes.len() <= 7);
    bytes.iter().fold(b.zero(), |acc, &byte| {
        b.mul_const_add(F::from_canonical_u64(256), acc, byte)
    })
}

/// A byte string as 32-bit little-endian limbs, as the Keccak table holds a state.
pub fn le_limbs(b: &mut Builder, bytes: &[Target]) -> Vec<Target> {
    assert_eq!(bytes.len() % 4, 0);
    bytes.chunks(4).map(|c| le_value(b, c)).collect()
}

/// A 32-byte big-endian number as 16-bit limbs, least significant first, as the ECDSA
/// table holds one.
pub fn number_limbs(b: &mut Builder, bytes: &[Target]) -> Vec<Target> {
    assert_eq!(bytes.len(), 32);
    (0..16)
        .map(|l| be_value(b, &bytes[30 - 2 * l..32 - 2 * l]))
        .collect()
}

/// The values of `bytes`.
pub fn values(bytes: &[Byte]) -> Vec<Target> {
    bytes.iter().map(|x| x.value).collect()
}
