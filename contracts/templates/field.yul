// Goldilocks field (p = 2^64 - 2^32 + 1) and its quadratic extension F[X]/(X^2 - 7), as
// plonky2 defines them. Base elements are canonical words in [0, p); an extension element
// is a pair (c0, c1) meaning c0 + c1·X. Products of two canonical elements stay below
// 2^128, so sums of a few products are reduced once (`mod`) instead of per product.
function fadd(a, b) -> r { r := addmod(a, b, 0xffffffff00000001) }
function fsub(a, b) -> r { r := addmod(a, sub(0xffffffff00000001, b), 0xffffffff00000001) }
function fmul(a, b) -> r { r := mulmod(a, b, 0xffffffff00000001) }
function fneg(a) -> r { r := mod(sub(0xffffffff00000001, a), 0xffffffff00000001) }
function eadd(a0, a1, b0, b1) -> r0, r1 {
    r0 := addmod(a0, b0, 0xffffffff00000001)
    r1 := addmod(a1, b1, 0xffffffff00000001)
}
function esub(a0, a1, b0, b1) -> r0, r1 {
    r0 := addmod(a0, sub(0xffffffff00000001, b0), 0xffffffff00000001)
    r1 := addmod(a1, sub(0xffffffff00000001, b1), 0xffffffff00000001)
}
function emul(a0, a1, b0, b1) -> r0, r1 {
    r0 := mod(add(mul(a0, b0), mul(7, mul(a1, b1))), 0xffffffff00000001)
    r1 := mod(add(mul(a0, b1), mul(a1, b0)), 0xffffffff00000001)
}
function esquare(a0, a1) -> r0, r1 {
    r0 := mod(add(mul(a0, a0), mul(7, mul(a1, a1))), 0xffffffff00000001)
    r1 := mulmod(shl(1, a0), a1, 0xffffffff00000001)
}
// Extension element times a base element.
function escale(a0, a1, s) -> r0, r1 {
    r0 := mulmod(a0, s, 0xffffffff00000001)
    r1 := mulmod(a1, s, 0xffffffff00000001)
}
function eload(p) -> r0, r1 {
    r0 := mload(p)
    r1 := mload(add(p, 32))
}
function estore(p, r0, r1) {
    mstore(p, r0)
    mstore(add(p, 32), r1)
}
