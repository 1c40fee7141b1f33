// Inversion (one modexp; callers batch their inverses) and repeated squaring, for both
// contracts.
function finv(a) -> r {
    // a^(p-2) by the modexp precompile (a != 0 is checked by callers).
    let m := 0x1400
    mstore(m, 32)
    mstore(add(m, 32), 32)
    mstore(add(m, 64), 32)
    mstore(add(m, 96), a)
    mstore(add(m, 128), 0xfffffffeffffffff)
    mstore(add(m, 160), 0xffffffff00000001)
    if iszero(staticcall(gas(), 5, m, 192, m, 32)) { fail(90) }
    r := mload(m)
}
// 1 / (a0 + a1·X) = (a0 - a1·X) / (a0² - 7·a1²); reverts on zero.
function einv(a0, a1) -> r0, r1 {
    let n := mod(add(mul(a0, a0), mul(sub(0xffffffff00000001, 7), mul(a1, a1))), 0xffffffff00000001)
    if iszero(n) { fail(91) }
    let i := finv(n)
    r0 := fmul(a0, i)
    r1 := fmul(fneg(a1), i)
}
function pow2k(x0, x1, k) -> r0, r1 {
    r0 := x0
    r1 := x1
    for { let i := 0 } lt(i, k) { i := add(i, 1) } { r0, r1 := esquare(r0, r1) }
}
