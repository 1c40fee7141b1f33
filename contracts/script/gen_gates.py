#!/usr/bin/env python3
"""Generates templates/gates.yul: the Yul evaluators (`eval_unfiltered`) of the plonky2 1.1 gates
of the wrap circuit. The Poseidon constants are read from plonky2's source (cargo registry);
the unrolled parts (MDS layer, partial rounds) are generated here.

Usage (from contracts/): python3 script/gen_gates.py [--fast-partial-rounds] [PLONKY2_SRC_DIR]

By default the Poseidon gate's partial rounds use the plain round structure, which needs only
ALL_ROUND_CONSTANTS (2880 bytes, also what the verifier hashes public inputs with) and gives the
same constraints; --fast-partial-rounds uses plonky2's optimised form as `eval_unfiltered`
does: about 12k less gas, but about 4.6 KB more code (tables of 5880 bytes).
"""
import glob
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
P = 2**64 - 2**32 + 1
PRIME = "0xffffffff00000001"


_CLI = sys.argv[1:] if __name__ == "__main__" else []
FAST = "--fast-partial-rounds" in _CLI
ARGS = [a for a in _CLI if a != "--fast-partial-rounds"]


def plonky2_hash_dir():
    if ARGS:
        return os.path.join(ARGS[0], "src", "hash")
    cands = sorted(glob.glob(os.path.expanduser("~/.cargo/registry/src/*/plonky2-1.1.0/src/hash")))
    if not cands:
        sys.exit("plonky2-1.1.0 source not found in ~/.cargo/registry: pass its directory")
    return cands[0]


def rust_array(text, decl):
    i = text.index(decl)
    k = text.index("[", text.index("=", i))
    depth = 0
    for m in range(k, len(text)):
        if text[m] == "[":
            depth += 1
        elif text[m] == "]":
            depth -= 1
            if depth == 0:
                break
    body = re.sub(r"//[^\n]*", "", text[k:m + 1])
    return [int(x, 0) for x in re.findall(r"0x[0-9a-fA-F]+|\b\d+\b", body)]


hd = plonky2_hash_dir()
pg = open(os.path.join(hd, "poseidon_goldilocks.rs")).read()
pp = open(os.path.join(hd, "poseidon.rs")).read()
ARC = rust_array(pp, "pub const ALL_ROUND_CONSTANTS")
CIRC = rust_array(pg, "const MDS_MATRIX_CIRC:")
DIAG = rust_array(pg, "const MDS_MATRIX_DIAG:")
FPFRC = rust_array(pg, "const FAST_PARTIAL_FIRST_ROUND_CONSTANT:")
FPRC = rust_array(pg, "const FAST_PARTIAL_ROUND_CONSTANTS:")
VS = rust_array(pg, "const FAST_PARTIAL_ROUND_VS:")
WH = rust_array(pg, "const FAST_PARTIAL_ROUND_W_HATS:")
IM = rust_array(pg, "const FAST_PARTIAL_ROUND_INITIAL_MATRIX:")
assert (len(ARC), len(CIRC), len(DIAG), len(FPFRC), len(FPRC), len(VS), len(WH), len(IM)) == (
    360, 12, 12, 12, 22, 242, 242, 121)
assert DIAG == [8] + [0] * 11 and FPRC[21] == 0
assert all(x < P for x in ARC + FPFRC + FPRC + VS + WH + IM)

# CosetInterpolationGate { subgroup_bits: 4 }: points g^k, g = 2^12 (primitive 16th root of unity
# of plonky2's Goldilocks: POWER_OF_TWO_GENERATOR^(2^28)), and the barycentric weights.
G16 = pow(7277203076849721926, 2**28, P)
assert G16 == 4096
DOM = [pow(G16, k, P) for k in range(16)]
BW = []
for i in range(16):
    d = 1
    for j in range(16):
        if j != i:
            d = d * (DOM[i] - DOM[j]) % P
    BW.append(pow(d, P - 2, P))
assert BW == [17293822565076172801, 256, 1048576, 4294967296, 17592186044416, 72057594037927936,
              68719476720, 281474976645120, 1152921504338411520, 18446744069414584065,
              18446744069413535745, 18446744065119617025, 18446726477228539905,
              18374686475376656385, 18446744000695107601, 18446462594437939201]


def addr(base, off):
    return base if off == 0 else f"add({base}, {off})"


def chain(terms, op="add"):
    # right-deep: Yul evaluates arguments right to left, so this keeps the stack shallow
    e = terms[-1]
    for t in reversed(terms[:-1]):
        e = f"{op}({t}, {e})"
    return e


def table(fname, vals, comment):
    b = b"".join(v.to_bytes(8, "big") for v in vals)
    b += b"\0" * (-len(b) % 32)
    lines = [comment, f"function {fname}(t) {{"]
    for i in range(0, len(b), 32):
        lines.append(f"    mstore({addr('t', i)}, 0x{b[i:i + 32].hex()})")
    lines.append("}")
    return "\n".join(lines)


def mds_layer():
    lines = [
        "// T[r] = sum_i MDS[r][i] * S[i] on 12 words at s (MDS = circulant(MDS_MATRIX_CIRC) +",
        "// diag(MDS_MATRIX_DIAG)). Words may pack two lanes lo + hi * 2^128 below 2^64 each: the",
        "// coefficients sum to 264, so each lane of the result stays below 2^73. Two passes of six",
        "// inputs held on the stack.",
        "function mds_layer(s, t) {",
    ]
    M = [[CIRC[(k - r) % 12] + (DIAG[r] if k == r else 0) for k in range(12)] for r in range(12)]
    for half in range(2):
        ks = range(6 * half, 6 * half + 6)
        lines.append("    {")
        for k in ks:
            lines.append(f"        let v{k} := mload({addr('s', 32 * k)})")
        for r in range(12):
            terms = [f"mul(v{k}, {M[r][k]})" for k in ks]
            if half == 1:
                terms.append(f"mload({addr('t', 32 * r)})")
            lines.append(f"        mstore({addr('t', 32 * r)}, {chain(terms)})")
        lines.append("    }")
    lines.append("}")
    return "\n".join(lines)


def mds_half():
    lines = [
        "// Component j of the algebra elements (w, o pre-offset by 64j): input i = wire 2i + j,",
        "// output r = wire 24 + 2r + j, constraint 2r + j at o + 128r.",
        "function mds_half(w, s, o) {",
    ]
    for i in range(12):
        lines.append(f"    mstore({addr('s', 32 * i)}, or(mload({addr('w', 128 * i)}), shl(128, mload(add(w, {128 * i + 32})))))")
    lines.append("    let t := add(s, 384)")
    lines.append("    mds_layer(s, t)")
    for r in range(12):
        lines.append(f"    mds_out(mload({addr('t', 32 * r)}), add(w, {1536 + 128 * r}), {addr('o', 128 * r)})")
    lines.append("}")
    return "\n".join(lines)


def pinit_col():
    lines = [
        "// u[c] = sum_{r=1..11} v[r] * FAST_PARTIAL_ROUND_INITIAL_MATRIX[r-1][c-1] (lanes unreduced,",
        "// < 2^132); kc = table entry of [0][c-1], row stride 11 entries.",
        "function pinit_col(v, pu, kc) {",
        "    let m := shr(192, mload(kc))",
        "    let a0 := mul(mload(add(v, 64)), m)",
        "    let a1 := mul(mload(add(v, 96)), m)",
    ]
    for r in range(2, 12):
        lines.append(f"    m := shr(192, mload(add(kc, {88 * (r - 1)})))")
        lines.append(f"    a0 := add(a0, mul(mload(add(v, {64 * r})), m))")
        lines.append(f"    a1 := add(a1, mul(mload(add(v, {64 * r + 32})), m))")
    lines += ["    mstore(pu, a0)", "    mstore(add(pu, 32), a1)", "}"]
    return "\n".join(lines)


def pmix():
    lines = [
        "// mds_partial_layer_fast for rounds r and r + 1, with y, z their new state[0] (the S-box",
        "// outputs plus round constants, known in advance from the wires): d <- 25 y + sum_i u[i]",
        "// W_HATS[r][i-1], u[i] <- u[i] + y VS[r][i-1], then e <- 25 z + sum_i u[i] W_HATS[r+1][i-1],",
        "// u[i] <- u[i] + z VS[r+1][i-1]; returns d (reduced) and writes u[0] = e (reduced).",
        "// kw = table address of the (W_HATS[r][0], VS[r][0]) pair minus 16; round r + 1 follows at",
        "// +176. u[1..11] lanes stay unreduced (< 2^134).",
        "function pos_pmix2(u, kw, y0, y1, z0, z1) -> d0, d1 {",
        "    d0 := mul(y0, 25)",
        "    d1 := mul(y1, 25)",
        "    let e0 := mul(z0, 25)",
        "    let e1 := mul(z1, 25)",
    ]
    assert CIRC[0] + DIAG[0] == 25
    for i in range(1, 12):
        lines += [
            "    {",
            f"        let m := mload(add(kw, {16 * i}))",
            f"        let x0 := mload(add(u, {64 * i}))",
            f"        let x1 := mload(add(u, {64 * i + 32}))",
            "        d0 := add(d0, mul(x0, shr(192, m)))",
            "        d1 := add(d1, mul(x1, shr(192, m)))",
            "        m := shr(192, shl(64, m))",
            "        x0 := add(x0, mul(y0, m))",
            "        x1 := add(x1, mul(y1, m))",
            f"        m := mload(add(kw, {176 + 16 * i}))",
            "        e0 := add(e0, mul(x0, shr(192, m)))",
            "        e1 := add(e1, mul(x1, shr(192, m)))",
            "        m := shr(192, shl(64, m))",
            f"        mstore(add(u, {64 * i}), add(x0, mul(z0, m)))",
            f"        mstore(add(u, {64 * i + 32}), add(x1, mul(z1, m)))",
            "    }",
        ]
    lines += [f"    d0 := mod(d0, {PRIME})", f"    d1 := mod(d1, {PRIME})",
              f"    mstore(u, mod(e0, {PRIME}))", f"    mstore(add(u, 32), mod(e1, {PRIME}))", "}"]
    return "\n".join(lines)


def pmds():
    lines = [
        "// Partial-round MDS layer: T = MDS(S) with S[0] = y and S[i] = src[i] + round constant i",
        "// (entries at rcp, lane c0) for i = 1..11, lanes unreduced; written to dst (!= src).",
        "function pos_pmds(src, dst, rcp, y) {",
    ]
    M = [[CIRC[(k - r) % 12] + (DIAG[r] if k == r else 0) for k in range(12)] for r in range(12)]
    for half in range(2):
        ks = range(6 * half, 6 * half + 6)
        lines.append("    {")
        for k in ks:
            if k == 0:
                continue
            lines.append(f"        let v{k} := add(mload(add(src, {32 * k})), shr(192, mload(add(rcp, {8 * k}))))")
        for r in range(12):
            terms = [f"mul({'y' if k == 0 else 'v%d' % k}, {M[r][k]})" for k in ks]
            if half == 1:
                terms.append(f"mload({addr('dst', 32 * r)})")
            lines.append(f"        mstore({addr('dst', 32 * r)}, {chain(terms)})")
        lines.append("    }")
    lines.append("}")
    return "\n".join(lines)


def select(text, fast):
    out, keep = [], [True]
    for line in text.splitlines(keepends=True):
        tag = line.strip()
        if tag == "//#if fast":
            keep.append(keep[-1] and fast)
        elif tag == "//#else":
            keep[-1] = keep[-2] and not keep[-1]
        elif tag == "//#endif":
            keep.pop()
        elif keep[-1]:
            out.append(line)
    assert len(keep) == 1
    return "".join(out)


TEMPLATE = open(os.path.join(HERE, "gates.yul.in")).read()


def main():
    whvs = []
    for r in range(22):
        for i in range(11):
            whvs += [WH[11 * r + i], VS[11 * r + i]]
    pos = ARC[0:48] + ARC[312:360] + FPFRC + FPRC + IM + whvs
    assert len(pos) == 735
    gen = {
        "MDS_LAYER": mds_layer(),
        "MDS_HALF": mds_half(),
        "PINIT_COL": pinit_col(),
        "PMIX": pmix(),
        "PMDS": pmds(),
        "POS_TABLES_PLAIN": table("pos_tables", ARC, """// Poseidon round constants: ALL_ROUND_CONSTANTS[k] (8 bytes, big-endian) at t + 8k, the
// layout of the verifier's ROUND_CONSTANTS (this function may be replaced by a copy of it)."""),
        "POS_TABLES_FAST": table("pos_tables", pos, """// Poseidon constants, entry k (8 bytes, big-endian) at t + 8k:
//   0..47    ALL_ROUND_CONSTANTS[0..48]    (full rounds 0..3)
//   48..95   ALL_ROUND_CONSTANTS[312..360] (full rounds 26..29)
//   96..107  FAST_PARTIAL_FIRST_ROUND_CONSTANT
//   108..129 FAST_PARTIAL_ROUND_CONSTANTS (22; the last is 0)
//   130..250 FAST_PARTIAL_ROUND_INITIAL_MATRIX, row-major ([r][c] at 130 + 11r + c)
//   251..734 FAST_PARTIAL_ROUND_W_HATS and _VS interleaved: W_HATS[r][i] at 251 + 22r + 2i,
//            VS[r][i] at 252 + 22r + 2i"""),
        "COSET_TABLES": table("coset_tables", DOM + BW, """// CosetInterpolationGate (subgroup_bits 4), entry k (8 bytes, big-endian) at t + 8k:
//   0..15 the subgroup points g^k (g = 2^12), 16..31 the barycentric weights."""),
    }
    gen["SCRATCH"] = str(6144 + 2304 if FAST else 2944 + 1536)
    out = select(TEMPLATE, FAST)
    for k, v in gen.items():
        out = out.replace("@" + k + "@", v)
    out = out.replace("PRIME", PRIME)
    assert "@" not in out
    path = os.path.join(ROOT, "templates", "gates.yul")
    with open(path, "w") as f:
        f.write(out)
    print(f"wrote {path} ({len(out)} bytes, {'fast' if FAST else 'plain'} partial rounds)")


if __name__ == "__main__":
    main()
