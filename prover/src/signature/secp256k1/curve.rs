//! Native secp256k1 point arithmetic in affine coordinates, producing the slopes and
//! inverses that the tables take as witnesses (the tables check them; they never divide).

use std::sync::OnceLock;

use alloy_primitives::{keccak256, U256};

use super::identity::P;

/// An affine point (x, y); the tables never need the point at infinity (see
/// [`offset_point`]).
pub type Point = (U256, U256);

fn add(a: U256, b: U256) -> U256 {
    a.add_mod(b, P)
}
fn sub(a: U256, b: U256) -> U256 {
    a.add_mod(P - b % P, P)
}
fn mul(a: U256, b: U256) -> U256 {
    a.mul_mod(b, P)
}
/// The inverse of `a` modulo p (`None` for zero).
pub fn inv(a: U256) -> Option<U256> {
    (a % P).inv_mod(P)
}

/// Whether (x, y) is on y² = x³ + 7.
pub fn on_curve((x, y): Point) -> bool {
    x < P && y < P && mul(y, y) == add(mul(mul(x, x), x), U256::from(7))
}

/// Doubling, with its slope λ = 3x² / 2y.
pub fn double((x, y): Point) -> (Point, U256) {
    let lambda = mul(
        mul(U256::from(3), mul(x, x)),
        inv(add(y, y)).expect("y ≠ 0 on secp256k1"),
    );
    let x3 = sub(mul(lambda, lambda), add(x, x));
    let y3 = sub(mul(lambda, sub(x, x3)), y);
    ((x3, y3), lambda)
}

/// Addition of points with different x, with its slope and 1/(x_b − x_a); `None` when
/// the x coordinates are equal (incomplete formula).
pub fn add_points((xa, ya): Point, (xb, yb): Point) -> Option<(Point, U256, U256)> {
    let inverse = inv(sub(xb, xa))?;
    let lambda = mul(sub(yb, ya), inverse);
    let x3 = sub(sub(mul(lambda, lambda), xa), xb);
    let y3 = sub(mul(lambda, sub(xa, x3)), ya);
    Some(((x3, y3), lambda, inverse))
}

/// The point with x coordinate `x` and y of parity `odd`, if x < p and x³ + 7 is a square.
pub fn lift_x(x: U256, odd: bool) -> Option<Point> {
    if x >= P {
        return None;
    }
    let rhs = add(mul(mul(x, x), x), U256::from(7));
    // p ≡ 3 (mod 4): a square root of a square a is a^((p+1)/4).
    let y = rhs.pow_mod((P + U256::from(1)) >> 2, P);
    if mul(y, y) != rhs {
        return None;
    }
    let y = if y.bit(0) == odd { y } else { (P - y) % P };
    Some((x, y))
}

/// The generator G.
pub const GENERATOR: Point = (
    U256::from_be_slice(&[
        0x79, 0xBE, 0x66, 0x7E, 0xF9, 0xDC, 0xBB, 0xAC, 0x55, 0xA0, 0x62, 0x95, 0xCE, 0x87, 0x0B,
        0x07, 0x02, 0x9B, 0xFC, 0xDB, 0x2D, 0xCE, 0x28, 0xD9, 0x59, 0xF2, 0x81, 0x5B, 0x16, 0xF8,
        0x17, 0x98,
    ]),
    U256::from_be_slice(&[
        0x48, 0x3A, 0xDA, 0x77, 0x26, 0xA3, 0xC4, 0x65, 0x5D, 0xA4, 0xFB, 0xFC, 0x0E, 0x11, 0x08,
        0xA8, 0xFD, 0x17, 0xB4, 0x48, 0xA6, 0x85, 0x54, 0x19, 0x9C, 0x47, 0xD0, 0x8F, 0xFB, 0x10,
        0xD4, 0xB8,
    ]),
);

/// The point every scalar multiplication starts from, so that no step meets the point at
/// infinity: the first point on the curve whose x is at or after
/// keccak256("quire secp256k1 offset") mod p, with even y. Nobody knows its discrete log.
pub fn offset_point() -> Point {
    static POINT: OnceLock<Point> = OnceLock::new();
    *POINT.get_or_init(|| {
        let mut x = U256::from_be_bytes(keccak256(b"quire secp256k1 offset").0) % P;
        loop {
            if let Some(point) = lift_x(x, false) {
                return point;
            }
            x = add(x, U256::from(1));
        }
    })
}
