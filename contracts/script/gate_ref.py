#!/usr/bin/env python3
"""Python model of `eval_unfiltered` of the 13 plonky2 1.1 gates of the wrap circuit (D = 2),
for the gate tests: checks itself against plonky2's vectors, and writes vectors with extreme
field values (0, 1, p - 1, ...) that random vectors do not reach, for the overflow bounds of the
Yul evaluators.

Usage (from contracts/):
  python3 script/gate_ref.py check test/fixtures/gate_vectors.json
  python3 script/gate_ref.py edge test/fixtures/gate_vectors_edge.json
"""
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from gen_gates import ARC, BW, CIRC, DIAG, DOM, FPFRC, FPRC, IM, P, VS, WH  # noqa: E402

# F_2 = F[X]/(X^2 - 7): pairs; the algebra F_2[Y]/(Y^2 - 7): pairs of pairs.
Z, ONE = (0, 0), (1, 0)


def ea(a, b): return ((a[0] + b[0]) % P, (a[1] + b[1]) % P)
def es(a, b): return ((a[0] - b[0]) % P, (a[1] - b[1]) % P)
def em(a, b): return ((a[0] * b[0] + 7 * a[1] * b[1]) % P, (a[0] * b[1] + a[1] * b[0]) % P)
def ek(x): return (x % P, 0)
def aa(A, B): return (ea(A[0], B[0]), ea(A[1], B[1]))
def as_(A, B): return (es(A[0], B[0]), es(A[1], B[1]))
def am(A, B): return (ea(em(A[0], B[0]), em(ek(7), em(A[1], B[1]))), ea(em(A[0], B[1]), em(A[1], B[0])))
def asc(A, s): return (em(A[0], s), em(A[1], s))


AZ, AONE = (Z, Z), (ONE, Z)


def alg(w, i): return (w[i], w[i + 1])


def mds_row(r, v, zero, add, scal):
    res = zero
    for i in range(12):
        res = add(res, scal(v[(i + r) % 12], ek(CIRC[i])))
    return add(res, scal(v[r], ek(DIAG[r])))


def g_noop(w, c, pih): return []
def g_constant(w, c, pih): return [es(c[i], w[i]) for i in range(2)]
def g_public_input(w, c, pih): return [es(w[i], ek(pih[i])) for i in range(4)]


def g_poseidon_mds(w, c, pih):
    inp = [alg(w, 2 * i) for i in range(12)]
    out = []
    for r in range(12):
        out += list(as_(alg(w, 24 + 2 * r), mds_row(r, inp, AZ, aa, asc)))
    return out


def g_base_sum(w, c, pih):
    limbs = w[1:64]
    acc = Z
    for l in reversed(limbs):
        acc = ea(em(acc, ek(2)), l)
    return [es(acc, w[0])] + [em(em(ONE, es(l, ek(0))), es(l, ek(1))) for l in limbs]


def reducing(w, n, coeff, acc_start):
    alpha, acc, out = alg(w, 2), alg(w, 4), []
    for i in range(n):
        nxt = alg(w, 0) if i == n - 1 else alg(w, acc_start + 2 * i)
        out += list(as_(aa(am(acc, alpha), coeff(i)), nxt))
        acc = nxt
    return out


def g_reducing_extension(w, c, pih): return reducing(w, 32, lambda i: alg(w, 6 + 2 * i), 70)
def g_reducing(w, c, pih): return reducing(w, 43, lambda i: (w[6 + i], Z), 49)


def g_arithmetic_extension(w, c, pih):
    out = []
    for i in range(10):
        b = 8 * i
        comp = aa(asc(am(alg(w, b), alg(w, b + 2)), c[0]), asc(alg(w, b + 4), c[1]))
        out += list(as_(alg(w, b + 6), comp))
    return out


def g_arithmetic(w, c, pih):
    return [es(w[4 * i + 3], ea(em(em(w[4 * i], w[4 * i + 1]), c[0]), em(w[4 * i + 2], c[1])))
            for i in range(20)]


def g_mul_extension(w, c, pih):
    out = []
    for i in range(13):
        b = 6 * i
        out += list(as_(alg(w, b + 4), asc(am(alg(w, b), alg(w, b + 2)), c[0])))
    return out


def g_random_access(w, c, pih):
    out = []
    for cp in range(4):
        base = 18 * cp
        items = [w[base + 2 + i] for i in range(16)]
        bits = [w[74 + 4 * cp + i] for i in range(4)]
        out += [em(b, es(b, ONE)) for b in bits]
        rec = Z
        for b in reversed(bits):
            rec = ea(ea(rec, rec), b)
        out.append(es(rec, w[base]))
        for b in bits:
            items = [ea(items[2 * j], em(b, es(items[2 * j + 1], items[2 * j]))) for j in range(len(items) // 2)]
        out.append(es(items[0], w[base + 1]))
    return out + [es(c[i], w[72 + i]) for i in range(2)]


def partial_interpolate(dom, vals, wts, x, ev, pr):
    for v, wt, xi in zip(vals, wts, dom):
        term = as_(x, (ek(xi), Z))
        ev = aa(am(ev, term), am(asc(v, ek(wt)), pr))
        pr = am(pr, term)
    return ev, pr


def g_coset_interpolation(w, c, pih):
    sep = alg(w, 45)
    out = list(as_(alg(w, 33), asc(sep, w[0])))
    vals = [alg(w, 1 + 2 * i) for i in range(16)]
    ev, pr = partial_interpolate(DOM[:6], vals[:6], BW[:6], sep, AZ, AONE)
    for i in range(2):
        ie, ip = alg(w, 37 + 2 * i), alg(w, 41 + 2 * i)
        out += list(as_(ie, ev)) + list(as_(ip, pr))
        s = 1 + 5 * (i + 1)
        e = min(s + 5, 16)
        ev, pr = partial_interpolate(DOM[s:e], vals[s:e], BW[s:e], sep, ie, ip)
    return out + list(as_(alg(w, 35), ev))


def sbox(x):
    x2 = em(x, x)
    return em(em(x, x2), em(x2, x2))


def g_poseidon(w, c, pih):
    # plonky2's optimised partial rounds, as in PoseidonGate::eval_unfiltered
    swap, out = w[24], []
    out.append(em(swap, es(swap, ONE)))
    for i in range(4):
        out.append(es(em(swap, es(w[i + 4], w[i])), w[25 + i]))
    st = [Z] * 12
    for i in range(4):
        st[i], st[i + 4] = ea(w[i], w[25 + i]), es(w[i + 4], w[25 + i])
    st[8:12] = w[8:12]
    mds = lambda s: [mds_row(r, s, Z, ea, em) for r in range(12)]
    for r in range(4):
        st = [ea(st[i], ek(ARC[i + 12 * r])) for i in range(12)]
        if r:
            for i in range(12):
                sb = w[29 + 12 * (r - 1) + i]
                out.append(es(st[i], sb))
                st[i] = sb
        st = mds([sbox(x) for x in st])
    st = [ea(st[i], ek(FPFRC[i])) for i in range(12)]
    res = [st[0]] + [Z] * 11
    for r in range(1, 12):
        for cc in range(1, 12):
            res[cc] = ea(res[cc], em(st[r], ek(IM[11 * (r - 1) + cc - 1])))
    st = res
    for r in range(22):
        sb = w[65 + r]
        out.append(es(st[0], sb))
        s0 = sbox(sb)
        if r < 21:
            s0 = ea(s0, ek(FPRC[r]))
        d = em(s0, ek(CIRC[0] + DIAG[0]))
        for i in range(1, 12):
            d = ea(d, em(st[i], ek(WH[11 * r + i - 1])))
        st = [d] + [ea(em(s0, ek(VS[11 * r + i - 1])), st[i]) for i in range(1, 12)]
    for r in range(4):
        st = [ea(st[i], ek(ARC[i + 12 * (26 + r)])) for i in range(12)]
        for i in range(12):
            sb = w[87 + 12 * r + i]
            out.append(es(st[i], sb))
            st[i] = sb
        st = mds([sbox(x) for x in st])
    return out + [es(st[i], w[12 + i]) for i in range(12)]


# In the circuit's gate order (the order of the vectors): (id prefix, model, constraints).
GATES = [
    ("NoopGate", g_noop, 0),
    ("ConstantGate { num_consts: 2 }", g_constant, 2),
    ("PoseidonMdsGate", g_poseidon_mds, 24),
    ("PublicInputGate", g_public_input, 4),
    ("BaseSumGate { num_limbs: 63 } + Base: 2", g_base_sum, 64),
    ("ReducingExtensionGate { num_coeffs: 32 }", g_reducing_extension, 64),
    ("ReducingGate { num_coeffs: 43 }", g_reducing, 86),
    ("ArithmeticExtensionGate { num_ops: 10 }", g_arithmetic_extension, 20),
    ("ArithmeticGate { num_ops: 20 }", g_arithmetic, 20),
    ("MulExtensionGate { num_ops: 13 }", g_mul_extension, 26),
    ("RandomAccessGate { bits: 4, num_copies: 4, num_extra_constants: 2", g_random_access, 26),
    ("CosetInterpolationGate { subgroup_bits: 4, degree: 6, barycentric_weights: ["
     + ", ".join(map(str, BW)) + "]", g_coset_interpolation, 12),
    ("PoseidonGate", g_poseidon, 123),
]


def pairs(hexes):
    v = [int(x, 16) for x in hexes]
    return [(v[2 * i], v[2 * i + 1]) for i in range(len(v) // 2)]


def flat(v): return [hex(x) for e in v for x in e]


def check(path):
    vectors = json.load(open(path))["gates"]
    assert len(vectors) == 3 * len(GATES)
    for k, t in enumerate(vectors):
        name, f, n = GATES[k // 3]
        assert t["id"].startswith(name), t["id"]
        got = f(pairs(t["wires"]), pairs(t["constants"]), [int(x, 16) for x in t["pih"]])
        assert len(got) == n and flat(got) == [hex(int(x, 16)) for x in t["out"]], (t["id"], k)
    print(f"{path}: the model agrees with all {len(vectors)} vectors")


def edge(path):
    rnd = random.Random(1)
    special = [0, 1, 7, P - 1, P - 2, P - 7, 2**63, 2**64 - 2**32]
    gens = [
        lambda: P - 1,
        lambda: rnd.choice(special),
        lambda: rnd.choice([P - 1, P - 2, rnd.randrange(P)]),
    ]
    vectors = []
    for name, f, n in GATES:
        for g in gens:
            c = [(g(), g()) for _ in range(2)]
            w = [(g(), g()) for _ in range(135)]
            pih = [g() for _ in range(4)]
            out = f(w, c, pih)
            assert len(out) == n
            vectors.append({"id": name + " (edge values)", "constants": flat(c), "wires": flat(w),
                            "pih": [hex(x) for x in pih], "out": flat(out)})
    with open(path, "w") as fh:
        json.dump({"gates": vectors}, fh, indent=1)
    print(f"wrote {len(vectors)} vectors to {path}")


if __name__ == "__main__":
    {"check": check, "edge": edge}[sys.argv[1]](sys.argv[2])
