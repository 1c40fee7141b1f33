//! A public-key coordinate is a canonical element of secp256k1's base field: its 32
//! big-endian bytes are below p = 2^256 − 2^32 − 977. Without this rule a coordinate x and
//! x + p would be the same point to the ECDSA table (which works modulo p) but different
//! 64-byte keys to Keccak: two "addresses" for one key.
//!
//! p in bytes is 24 bytes of 0xff, then the word 0xfffffffe, then 0xfffffc2f. A value is
//! below p exactly when its top 24 bytes are not all 0xff, or else its middle word is below
//! 0xfffffffe, or else that word is 0xfffffffe and its low word is at most 0xfffffc2e. The
//! prover says which case holds ([`CanonicalHints`]); each case's condition is enforced.

use plonky2::field::types::Field;
use plonky2::iop::target::{BoolTarget, Target};
use plonky2::iop::witness::{PartialWitness, WitnessWrite};

use super::bytes::be_value;
use crate::{Builder, F};

/// The middle word of p (bytes 24..28).
const P_MIDDLE: u64 = 0xffff_fffe;
/// The low word of p − 1 (bytes 28..32).
const P_MINUS_ONE_LOW: u64 = 0xffff_fc2e;

/// The prover's witness of which case of "below p" a coordinate is in.
#[derive(Clone, Copy, Debug)]
pub struct CanonicalHints {
    /// The top 24 bytes are not all 0xff.
    top_below: BoolTarget,
    /// The inverse of Σ(255 − byte) over the top 24 bytes (nonzero exactly when
    /// `top_below`).
    inverse: Target,
    /// The top is all 0xff and the middle word is below 0xfffffffe.
    middle_below: BoolTarget,
}

/// Gadget: a 32-byte big-endian value is below secp256k1's p.
pub trait CircuitBuilderKeyCanonical {
    /// Constrains `bytes` (32 values, each already a byte) to be below p, with fresh hints.
    fn assert_below_secp256k1_p(&mut self, bytes: &[Target]) -> CanonicalHints;
}

impl CircuitBuilderKeyCanonical for Builder {
    fn assert_below_secp256k1_p(&mut self, bytes: &[Target]) -> CanonicalHints {
        assert_eq!(bytes.len(), 32, "a coordinate has 32 bytes");
        let b = self;
        let hints = CanonicalHints {
            top_below: b.add_virtual_bool_target_safe(),
            inverse: b.add_virtual_target(),
            middle_below: b.add_virtual_bool_target_safe(),
        };
        let one = b.one();
        // top_below ⇒ the top isn't all 0xff: Σ(255 − byte) (at most 24·255, no wrap) has an
        // inverse.
        let sum = b.add_many(&bytes[..24]);
        let all_ff = b.constant(F::from_canonical_u64(24 * 255));
        let distance = b.sub(all_ff, sum);
        let t = b.mul_sub(distance, hints.inverse, one);
        let t = b.mul(hints.top_below.target, t);
        b.assert_zero(t);
        // Otherwise the middle word decides, or the low word does.
        let top_ff = b.not(hints.top_below);
        let middle = be_value(b, &bytes[24..28]);
        let low = be_value(b, &bytes[28..]);
        // middle_below ⇒ middle ≤ 0xfffffffd (the slack is below 2^32 only then).
        let middle_case = b.mul(top_ff.target, hints.middle_below.target);
        let largest_middle = b.constant(F::from_canonical_u64(P_MIDDLE - 1));
        let middle_slack = b.sub(largest_middle, middle);
        let middle_slack = b.mul(middle_case, middle_slack);
        b.range_check(middle_slack, 32);
        // Neither ⇒ middle = 0xfffffffe and low ≤ 0xfffffc2e.
        let not_middle_below = b.not(hints.middle_below);
        let low_case = b.mul(top_ff.target, not_middle_below.target);
        let p_middle = b.constant(F::from_canonical_u64(P_MIDDLE));
        let off = b.sub(middle, p_middle);
        let off = b.mul(low_case, off);
        b.assert_zero(off);
        let largest_low = b.constant(F::from_canonical_u64(P_MINUS_ONE_LOW));
        let low_slack = b.sub(largest_low, low);
        let low_slack = b.mul(low_case, low_slack);
        b.range_check(low_slack, 32);
        hints
    }
}

impl CanonicalHints {
    /// The honest hints for a coordinate's 32 big-endian bytes.
    pub fn set(&self, pw: &mut PartialWitness<F>, coordinate: &[u8]) -> anyhow::Result<()> {
        anyhow::ensure!(coordinate.len() == 32, "a coordinate has 32 bytes");
        let distance: u64 = coordinate[..24].iter().map(|&x| 255 - u64::from(x)).sum();
        let middle = u32::from_be_bytes(coordinate[24..28].try_into()?);
        self.set_raw(pw, distance != 0, distance, u64::from(middle) < P_MIDDLE)
    }

    fn set_raw(
        &self,
        pw: &mut PartialWitness<F>,
        top_below: bool,
        distance: u64,
        middle_below: bool,
    ) -> anyhow::Result<()> {
        pw.set_bool_target(self.top_below, top_below)?;
        let inverse = if distance == 0 {
            F::ZERO
        } else {
            F::from_canonical_u64(distance).inverse()
        };
        pw.set_target(self.inverse, inverse)?;
        pw.set_bool_target(self.middle_below, middle_below)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::U256;
    use plonky2::plonk::circuit_data::{CircuitConfig, CircuitData};

    use super::*;

    fn circuit() -> (
        CircuitData<F, crate::C, { crate::EXT }>,
        Vec<Target>,
        CanonicalHints,
    ) {
        let mut b = Builder::new(CircuitConfig::standard_recursion_config());
        let bytes = b.add_virtual_targets(32);
        let hints = b.assert_below_secp256k1_p(&bytes);
        (b.build::<crate::C>(), bytes, hints)
    }

    fn p() -> U256 {
        U256::MAX - U256::from((1u64 << 32) + 977) + U256::from(1)
    }

    /// Whether some choice of hints proves `x` below p (honest hints first, then every
    /// other choice a cheater could make).
    fn accepted(
        c: &(
            CircuitData<F, crate::C, { crate::EXT }>,
            Vec<Target>,
            CanonicalHints,
        ),
        x: U256,
    ) -> bool {
        let (data, bytes, hints) = c;
        let be = x.to_be_bytes::<32>();
        let distance: u64 = be[..24].iter().map(|&v| 255 - u64::from(v)).sum();
        let mut choices = vec![None];
        for top in [false, true] {
            for middle in [false, true] {
                choices.push(Some((top, middle)));
            }
        }
        choices.into_iter().any(|choice| {
            let mut pw = PartialWitness::new();
            for (t, v) in bytes.iter().zip(be) {
                pw.set_target(*t, F::from_canonical_u8(v)).unwrap();
            }
            match choice {
                None => hints.set(&mut pw, &be).unwrap(),
                Some((top, middle)) => hints.set_raw(&mut pw, top, distance, middle).unwrap(),
            }
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| data.prove(pw)))
                .ok()
                .and_then(Result::ok)
                .is_some_and(|proof| data.verify(proof).is_ok())
        })
    }

    #[test]
    fn coordinates_below_p_are_accepted_and_the_rest_refused() {
        let c = circuit();
        let p = p();
        assert_eq!(
            p,
            U256::from_str_radix(
                "fffffffffffffffffffffffffffffffffffffffffffffffffffffffefffffc2f",
                16
            )
            .unwrap()
        );
        let one = U256::from(1);
        let word = |middle: u64, low: u64| {
            (U256::MAX >> 64 << 64) | (U256::from(middle) << 32) | U256::from(low)
        };
        for below in [
            U256::ZERO,
            one,
            p - one,
            word(P_MIDDLE - 1, 0xffff_ffff),
            word(P_MIDDLE, 0),
            (U256::MAX >> 64 << 64) - one,
        ] {
            assert!(accepted(&c, below), "{below:#x} is below p");
        }
        // At or above p, under any hints: p itself, the values between p and 2^256 − 2^32
        // (middle word 0xfffffffe) and above (middle word 0xffffffff, which the first
        // version of this rule let through with a low word up to 0xfffffc2e).
        for above in [
            p,
            p + one,
            word(P_MIDDLE, 0xffff_ffff),
            word(0xffff_ffff, 0),
            word(0xffff_ffff, P_MINUS_ONE_LOW),
            U256::MAX - U256::from(977),
            U256::MAX,
        ] {
            assert!(!accepted(&c, above), "{above:#x} is not below p");
        }
    }
}
