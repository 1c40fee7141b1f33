//! RLP encodings in the signature circuit, checked by random linear combination.
//!
//! A byte string s is represented by R(s) = Σ s_j·γ^j with γ a challenge drawn after the
//! signing blocks are fixed, and by γ^|s|, so concatenation is R(a‖b) = R(a) + γ^|a|·R(b).
//! The circuit builds R of the payload Ethereum signs from the transfer's fields, and
//! requires it to equal R of the block the Keccak table hashes (with Keccak's padding):
//! a block that differs from the encoding survives only if γ is a root of their
//! difference, a polynomial of degree below 136 over the quadratic extension (≈ 2^-121).
//!
//! Integers are minimal big-endian byte strings: 0 encodes as 0x80, 1..=0x7f as the byte
//! itself, anything else as 0x80 + L followed by its L bytes. With little-endian bytes
//! e_t (zero above L), R(BE(v)) = γ^(L−1)·Σ_t e_t·γ^(−t), so the circuit needs only L,
//! found from which bytes are zero.
//! Written by hand: no gadget library encodes RLP for plonky2.

use plonky2::field::extension::Extendable;
use plonky2::field::types::Field;
use plonky2::iop::ext_target::ExtensionTarget;
use plonky2::iop::target::{BoolTarget, Target};
use plonky2::util::reducing::ReducingFactorTarget;

use super::bytes::{Byte, ByteTables};
use crate::{Builder, EXT, F};

type Ext = ExtensionTarget<EXT>;

/// Powers of the challenge every encoding uses.
pub struct Rlc {
    /// γ.
    pub gamma: Ext,
    /// γ^-1.
    pub gamma_inv: Ext,
    /// γ^0 ..= γ^16.
    pub powers: Vec<Ext>,
}

/// An encoded byte string: R(s), γ^|s| and |s|.
#[derive(Clone, Copy, Debug)]
pub struct Segment {
    /// Σ s_j·γ^j.
    pub rlc: Ext,
    /// γ^|s|.
    pub power: Ext,
    /// |s|.
    pub len: Target,
}

impl Rlc {
    /// The powers of `gamma`.
    pub fn new(b: &mut Builder, gamma: Ext) -> Self {
        let gamma_inv = b.inverse_extension(gamma);
        let mut powers = vec![b.one_extension()];
        for _ in 0..16 {
            let next = b.mul_extension(*powers.last().expect("non-empty"), gamma);
            powers.push(next);
        }
        Self {
            gamma,
            gamma_inv,
            powers,
        }
    }

    /// γ^k for a constant k.
    pub fn power(&self, b: &mut Builder, k: usize) -> Ext {
        let mut p = self.powers[k.min(16)];
        let mut left = k.saturating_sub(16);
        while left > 0 {
            let step = left.min(16);
            p = b.mul_extension(p, self.powers[step]);
            left -= step;
        }
        p
    }

    /// Σ bytes\[j\]·γ^j.
    pub fn bytes(&self, b: &mut Builder, bytes: &[Target]) -> Ext {
        ReducingFactorTarget::new(self.gamma).reduce_base(bytes, b)
    }

    /// One constant byte.
    pub fn constant(&self, b: &mut Builder, byte: u8) -> Segment {
        Segment {
            rlc: b.constant_extension(<F as Extendable<EXT>>::Extension::from_canonical_u8(byte)),
            power: self.gamma,
            len: b.one(),
        }
    }

    /// A fixed-length string of `bytes` (at most 55) as RLP encodes it: 0x80 + length, then
    /// the bytes.
    pub fn string(&self, b: &mut Builder, bytes: &[Target]) -> Segment {
        assert!(bytes.len() <= 55 && bytes.len() > 1);
        let body = self.bytes(b, bytes);
        let prefix = b.constant_extension(<F as Extendable<EXT>>::Extension::from_canonical_usize(
            0x80 + bytes.len(),
        ));
        Segment {
            rlc: b.mul_add_extension(self.gamma, body, prefix),
            power: self.power(b, bytes.len() + 1),
            len: b.constant(F::from_canonical_usize(bytes.len() + 1)),
        }
    }

    /// The RLP encoding of the integer with little-endian bytes `bytes` (at most 15), each
    /// already range-checked by `tables`.
    pub fn integer(&self, b: &mut Builder, tables: &ByteTables, bytes: &[Byte]) -> Segment {
        let m = bytes.len();
        assert!((2..=15).contains(&m));
        // started[t]: some byte at t or above is non-zero, so byte t is part of the
        // minimal encoding. L = Σ started.
        let one = b.one();
        let mut started = vec![b.zero(); m + 1];
        for t in (0..m).rev() {
            let non_zero = b.sub(one, bytes[t].is_zero);
            // started[t+1] ∨ non_zero
            let sum = b.add(started[t + 1], non_zero);
            started[t] = b.arithmetic(-F::ONE, F::ONE, started[t + 1], non_zero, sum);
        }
        let len = b.add_many(&started[..m]);
        let values: Vec<Target> = bytes.iter().map(|x| x.value).collect();
        let tail = ReducingFactorTarget::new(self.gamma_inv).reduce_base(&values, b);
        let gamma_len = b.random_access_extension(len, self.powers[..16].to_vec());
        let len_ext = b.convert_to_ext(len);
        let prefix = b.add_const_extension(len_ext, F::from_canonical_u64(0x80));
        let long_rlc = b.mul_add_extension(gamma_len, tail, prefix);
        // A single byte below 0x80 (or zero) is its own encoding.
        let high = tables.high_bit(b, values[0]);
        let not_high = b.sub(one, high);
        let short = b.sub(one, started[1]);
        let short = BoolTarget::new_unsafe(b.mul(short, not_high));
        let zero = b.sub(one, started[0]);
        let short_value = b.mul_const_add(F::from_canonical_u64(0x80), zero, values[0]);
        let short_rlc = b.convert_to_ext(short_value);
        let long_power = b.mul_extension(self.gamma, gamma_len);
        // |enc| = 1 + (1 − short)·L = 1 − (short·L − L)
        let short_len = b.mul_sub(short.target, len, len);
        let enc_len = b.sub(one, short_len);
        Segment {
            rlc: b.select_ext(short, short_rlc, long_rlc),
            power: b.select_ext(short, self.gamma, long_power),
            len: enc_len,
        }
    }

    /// `flag` ? x : y.
    pub fn select(&self, b: &mut Builder, flag: BoolTarget, x: Segment, y: Segment) -> Segment {
        Segment {
            rlc: b.select_ext(flag, x.rlc, y.rlc),
            power: b.select_ext(flag, x.power, y.power),
            len: b.select(flag, x.len, y.len),
        }
    }

    /// One byte given as a target (already range-checked).
    pub fn byte(&self, b: &mut Builder, byte: Target) -> Segment {
        Segment {
            rlc: b.convert_to_ext(byte),
            power: self.gamma,
            len: b.one(),
        }
    }

    /// a ‖ c.
    pub fn concat(&self, b: &mut Builder, a: Segment, c: Segment) -> Segment {
        Segment {
            rlc: b.mul_add_extension(a.power, c.rlc, a.rlc),
            power: b.mul_extension(a.power, c.power),
            len: b.add(a.len, c.len),
        }
    }

    /// The concatenation of `parts`.
    pub fn concat_all(&self, b: &mut Builder, parts: &[Segment]) -> Segment {
        parts[1..]
            .iter()
            .fold(parts[0], |acc, &p| self.concat(b, acc, p))
    }

    /// An RLP list whose payload is `body` (shorter than 184 bytes): a one-byte header
    /// 0xc0 + length below 56 bytes, else 0xf8 and the length byte. Whether the length
    /// reaches 56 is the top bit of length + 72 (a byte for such lengths).
    pub fn list(&self, b: &mut Builder, tables: &ByteTables, body: Segment) -> Segment {
        let shifted = b.add_const(body.len, F::from_canonical_u64(72));
        let long = BoolTarget::new_unsafe(tables.high_bit(b, shifted));
        let len_ext = b.convert_to_ext(body.len);
        let short_rlc = b.add_const_extension(len_ext, F::from_canonical_u64(0xc0));
        let f8 = b.constant_extension(<F as Extendable<EXT>>::Extension::from_canonical_u64(0xf8));
        let long_rlc = b.mul_add_extension(self.gamma, len_ext, f8);
        let one = b.one();
        let header = Segment {
            rlc: b.select_ext(long, long_rlc, short_rlc),
            power: b.select_ext(long, self.powers[2], self.gamma),
            len: b.add(long.target, one),
        };
        self.concat(b, header, body)
    }
}
